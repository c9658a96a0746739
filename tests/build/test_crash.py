"""Crash consistency without Prefect: outputs replaced together or not at all, what a killed
build leaves swept at the next start, its processes ended with it, reports told by the records.

``bench/kill_test.py`` kills real builds at random moments; these are its pieces, one by one.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from flows import files
from flows.build import cache, units
from flows.outcome import Outcome
from flows.report.files import write_reports
from flows.report.summary import BuildReport
from flows.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
LETTER = (
    "A Letter to the Editor\n\nDear comrades,\n\nThe meeting is on Friday.[1]\n\n1. At eight.\n"
)
#: A PNG's signature and then noise: it passes as a cover, and typst cannot decode it.
BAD_PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8


def _build(raw: Path, out: Path, settings: Settings) -> list[Outcome]:
    """What the flow does with each stale unit, without Prefect and without reports."""
    plan = cache.plan(cache.document_units(raw), out, settings)
    return units.build_batch([(u, plan.fingerprints[u.key]) for u in plan.stale], out, settings)


def _files(out: Path) -> dict[str, bytes]:
    """Every file of the output folder but the cache's, with its bytes."""
    return {
        str(p.relative_to(out)): p.read_bytes()
        for p in sorted(out.rglob("*"))
        if p.is_file() and ".cache" not in p.relative_to(out).parts
    }


def _leftovers(out: Path) -> list[str]:
    """Temporary files and folders left in the output folder (the staged and the moved aside
    in .cache/tmp/ and .cache/aside/, write_atomic's hidden ones)."""
    found = [p for name in ("tmp", "aside") if (out / ".cache" / name).is_dir()
             for p in (out / ".cache" / name).iterdir()]  # fmt: skip
    found += [p for p in out.rglob(".*") if p.is_file() and p.name.count(".") >= 2]
    return sorted(str(p.relative_to(out)) for p in found)


def _bad_cover(raw: Path) -> None:
    """The letter's own cover, which typst cannot decode (in a folder: not a raw text)."""
    (raw / "images").mkdir()
    (raw / "images" / "bad.png").write_bytes(BAD_PNG)
    (raw / "letter.yaml").write_text("cover: images/bad.png\n")


@pytest.fixture
def raw(tmp_path: Path) -> Path:
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "letter.txt").write_text(LETTER)
    return raw


SETTINGS = Settings(formats=("html", "pdf"), check=False)


def test_a_document_that_fails_in_one_format_keeps_all_its_previous_outputs(
    raw: Path, tmp_path: Path
) -> None:
    """Defect: the HTML (and EPUB) of a failing document were replaced before its PDF failed,
    so its outputs came from two builds."""
    out = tmp_path / "build"
    [first] = _build(raw, out, SETTINGS)
    assert first.status == "built"
    before = _files(out)
    assert "letter/letter.html" in before and "letter/letter.pdf" in before
    (raw / "letter.txt").write_text(LETTER.replace("Friday", "Saturday"))
    _bad_cover(raw)  # the PDF's cover: typst fails on it
    [second] = _build(raw, out, SETTINGS)
    assert second.status == "failed" and "typst could not compile" in second.reason
    assert _files(out) == before  # the HTML too: still Friday
    assert _leftovers(out) == []


def test_a_new_document_that_fails_leaves_nothing(raw: Path, tmp_path: Path) -> None:
    """Defect: a new document's half-made outputs were never recorded, nor removed."""
    out = tmp_path / "build"
    _bad_cover(raw)
    [outcome] = _build(raw, out, SETTINGS)
    assert outcome.status == "failed"
    assert _files(out) == {}
    assert _leftovers(out) == []


@pytest.mark.parametrize("exchange", [True, False], ids=["exchanged", "moved-aside"])
def test_staged_outputs_replace_the_old_ones_together(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, exchange: bool
) -> None:
    out = tmp_path / "build"
    if not exchange:  # a file system that cannot swap two folders at once
        monkeypatch.setattr(files, "_exchange", lambda a, b: False)
    old = files.Stage.open(out, "letter")
    old.write("html", b"old page")
    old.write("pdf", b"old pdf")
    old.commit()
    new = files.Stage.open(out, "letter")
    staged = new.write("html", b"new page")
    assert staged.read_bytes() == b"new page" and new.final(staged) == out / "letter/letter.html"
    assert _files(out) == {"letter/letter.html": b"old page", "letter/letter.pdf": b"old pdf"}
    new.commit()
    assert _files(out) == {"letter/letter.html": b"new page"}  # exactly the new set
    assert _leftovers(out) == []
    dropped = files.Stage.open(out, "letter")
    dropped.write("html", b"never seen")
    dropped.discard()
    assert _files(out) == {"letter/letter.html": b"new page"}
    assert _leftovers(out) == []


def test_old_outputs_moved_aside_by_a_commit_killed_halfway_are_put_back(tmp_path: Path) -> None:
    """Where two folders cannot be swapped at once, a commit moves the old one aside first; a
    crash before the new one is in its place is repaired when the next build starts."""
    out = tmp_path / "build"
    stage = files.Stage.open(out, "letter")
    stage.write("html", b"good page")
    stage.commit()
    aside = out / ".cache" / "aside" / "letter.k1ll3d00"
    aside.parent.mkdir(parents=True)
    os.rename(out / "letter", aside)  # the first rename of the commit, then the crash
    with cache.exclusive(out):  # the next build starts
        assert _files(out) == {"letter/letter.html": b"good page"}
    assert _leftovers(out) == []


def test_what_a_killed_build_left_is_swept_when_the_next_one_starts(
    raw: Path, tmp_path: Path
) -> None:
    """Defect: a killed build left a zero-byte temporary file in build/.cache/ (and its staged
    files, its processes' temporary files)."""
    out = tmp_path / "build"
    _build(raw, out, Settings(formats=("html",), check=False))
    outputs, records = _files(out), sorted((out / ".cache").glob("*.json"))
    litter = [
        out / ".cache" / ".doc-letter.txt.json.x1y2z3w4",  # write_atomic's, killed: zero bytes
        out / ".cache" / ".doc-letter.txt.json.a1b2c3d4.part",
        out / ".report.json.q9r8s7t6.part",
        out / ".cache" / "tmp" / "run-dead" / "t" / "pymp-abcdefgh" / "listener-x",
        out / ".cache" / "tmp" / "run-dead" / "stage-letter-abcdefgh" / "letter.html",
        out / ".cache" / "tmp" / "stage-other-12345678" / "other.pdf",
    ]
    for path in litter:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"")
    with cache.exclusive(out):
        assert not [p for p in litter if p.exists()]
        assert _leftovers(out) == []
    assert _files(out) == outputs
    assert sorted((out / ".cache").glob("*.json")) == records


def test_the_next_build_lists_what_a_killed_build_had_recorded(raw: Path, tmp_path: Path) -> None:
    """Defect: a build killed after it recorded its documents, before it wrote its reports: the
    next build said "Nothing to do" and index.html and report.json went on without them."""
    out = tmp_path / "build"
    settings = Settings(formats=("html",), check=False)
    write_reports(out, BuildReport(_build(raw, out, settings)), settings)  # a whole build
    (raw / "notice.txt").write_text(LETTER.replace("A Letter to the Editor", "A Notice"))
    time.sleep(0.01)  # the killed build's record comes after the reports
    [built] = _build(raw, out, settings)  # recorded; the build is killed before its reports
    assert built.status == "built"
    assert "A Notice" not in (out / "index.html").read_text()
    command = [sys.executable, "-m", "flows.cli", "build", "--raw", str(raw), "--out", str(out),
               "--formats", "html", "--no-check"]  # fmt: skip
    proc = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "Nothing to do: 2 document(s) up to date" in proc.stderr
    assert "A Notice" in (out / "index.html").read_text()
    assert "A Notice" in (out / "report.html").read_text()
    data = json.loads((out / "report.json").read_text())
    assert sorted(d["source"] for d in data["documents"]) == ["letter.txt", "notice.txt"]
    again = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert "written again" not in again.stderr  # now they agree
    # Killed after it rebuilt a document it had listed before: the same units, a newer record.
    (raw / "letter.txt").write_text(LETTER.replace("A Letter to the Editor", "A Letter, Revised"))
    time.sleep(0.01)
    assert [o.status for o in _build(raw, out, settings)] == ["built"]
    proc = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert "Nothing to do" in proc.stderr and "written again" in proc.stderr
    assert "A Letter, Revised" in (out / "index.html").read_text()


_OWNER = """
import subprocess, sys, tempfile, time
from pathlib import Path
from flows import lifeline

with lifeline.private_run(Path(sys.argv[1])) as run:
    # A grandchild in a session of its own: no process group signal reaches it.
    child = subprocess.Popen([sys.executable, "-c", "import subprocess, sys, time; "
                              "p = subprocess.Popen(['sleep', '600'], start_new_session=True); "
                              "print(p.pid, flush=True); time.sleep(600)"],
                             stdout=subprocess.PIPE, text=True)
    grandchild = int(child.stdout.readline())
    scratch = Path(tempfile.mkdtemp(prefix="pandoc-hist"))
    print(run, tempfile.gettempdir(), scratch, child.pid, grandchild, flush=True)
    time.sleep(600)
"""


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


@pytest.mark.skipif(sys.platform != "linux", reason="the guardian reads Linux's /proc")
def test_a_killed_commands_processes_and_temporary_files_end_with_it(tmp_path: Path) -> None:
    """Defect: killing the command (alone) left its processes (Prefect's server, workers,
    Pandoc, JVMs) running, and their temporary files in TMPDIR."""
    from flows import lifeline

    script = tmp_path / "owner.py"
    script.write_text(_OWNER)
    temp_root = files.temp_root(tmp_path / "build")
    owner = subprocess.Popen([sys.executable, str(script), str(temp_root)], cwd=ROOT,
                             stdout=subprocess.PIPE, text=True)  # fmt: skip
    assert owner.stdout is not None
    run, tmpdir, scratch, *pids = owner.stdout.readline().split()
    assert Path(scratch).is_relative_to(tmpdir) and Path(scratch).is_dir()
    named = Path(run) / lifeline.POINTER  # a TMPDIR too deep for a socket is elsewhere, named
    assert Path(tmpdir).is_relative_to(run) or named.read_text().strip() == tmpdir
    assert all(map(_alive, map(int, pids)))
    owner.send_signal(signal.SIGKILL)
    owner.wait()
    deadline = time.monotonic() + 30
    while (Path(run).exists() or any(map(_alive, map(int, pids)))) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert [pid for pid in pids if _alive(int(pid))] == []
    assert not Path(run).exists() and not Path(tmpdir).exists()


_QUICK = """
import os, sys
from pathlib import Path
from flows import lifeline

lifeline.spawn_guardian(Path(sys.argv[1]))
os._exit(0)  # killed before its guardian has even started
"""


@pytest.mark.skipif(sys.platform != "linux", reason="the guardian reads Linux's /proc")
def test_a_guardian_whose_command_died_before_it_started_still_cleans_up(tmp_path: Path) -> None:
    """Found by bench/kill_test.py: a command killed within its first second left its guardian
    waiting, for ever, on the process that had adopted it."""
    run = tmp_path / "run"
    (run / "t").mkdir(parents=True)
    script = tmp_path / "quick.py"
    script.write_text(_QUICK)
    subprocess.run([sys.executable, str(script), str(run)], cwd=ROOT, check=True, timeout=60)
    deadline = time.monotonic() + 30
    while run.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not run.exists()


def test_a_private_tmpdir_too_deep_for_a_socket_lives_in_the_system_one_and_goes_too(
    tmp_path: Path,
) -> None:
    from flows import lifeline

    deep = tmp_path.joinpath(*["deep" * 4] * 6) / "build"
    with lifeline.private_run(files.temp_root(deep)) as run:
        tmpdir = Path(os.environ["TMPDIR"])
        assert len(str(tmpdir)) <= lifeline.LONGEST_TMPDIR
        assert (run / lifeline.POINTER).read_text().strip() == str(tmpdir)
    lifeline.remove_run(run)  # what the guardian does once the command has ended
    assert not tmpdir.exists() and not run.exists()


def _sleeper(tmp: Path, *argv: str) -> subprocess.Popen[bytes]:
    """A process whose environment names the project folder, as a build's processes' do; once it
    says it runs (until then /proc shows the forked test's command line and environment)."""
    code = "import time; print(flush=True); time.sleep(60)"
    env = {**os.environ, "PREFECT_HOME": str(tmp / ".prefect")}
    process = subprocess.Popen([sys.executable, "-c", code, *argv], stdout=subprocess.PIPE, env=env)
    assert process.stdout is not None
    process.stdout.readline()
    return process


def _kill_test(monkeypatch: pytest.MonkeyPatch) -> Any:
    """bench/kill_test.py as a module."""
    import importlib.util

    script = Path(__file__).resolve().parents[2] / "bench" / "kill_test.py"
    spec = importlib.util.spec_from_file_location("kill_test", script)
    assert spec is not None and spec.loader is not None
    kill_test = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "kill_test", kill_test)  # its dataclasses look it up
    spec.loader.exec_module(kill_test)
    return kill_test


def test_the_kill_test_reads_the_catalogue_folder_as_feeds_not_a_document(
    raw: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Defect: bench/kill_test.py took build/opds/ (the OPDS catalogue's feeds) for a document
    folder with no report, a problem after every build."""
    kill_test = _kill_test(monkeypatch)
    out = tmp_path / "build"
    outcomes = _build(raw, out, SETTINGS)
    write_reports(out, BuildReport(outcomes, 1.0), SETTINGS)
    assert (out / "opds").is_dir()
    assert kill_test.check_outputs(out, {}) == []
    (out / "opds" / "authors.xml").write_bytes(b"<feed xmlns='http://www.w3.org/2005/Atom'><ti")
    problems = kill_test.check_outputs(out, {})
    assert [p.split(" (")[0] for p in problems] == ["opds/authors.xml: not XML"]


@pytest.mark.skipif(sys.platform != "linux", reason="the kill test reads Linux's /proc")
def test_the_kill_test_counts_every_process_left_but_the_projects_resident_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Defect: bench/kill_test.py counted the project's resident Prefect server, which builds
    leave running by design, as a process left behind after every kill."""
    kill_test = _kill_test(monkeypatch)
    (tmp_path / ".prefect").mkdir()
    server = _sleeper(tmp_path, "-m", "flows.prefect.resident")
    stray = _sleeper(tmp_path, "a worker")
    try:
        assert {int(line.split()[0]) for line in kill_test.ours(tmp_path)} == {
            server.pid,
            stray.pid,
        }  # no record: the server is left behind like any other
        record = tmp_path / ".prefect" / "server.json"
        record.write_text(json.dumps({"pid": server.pid}))
        assert [int(line.split()[0]) for line in kill_test.ours(tmp_path)] == [stray.pid]
        record.write_text(json.dumps({"pid": stray.pid}))  # a record naming another process
        assert {int(line.split()[0]) for line in kill_test.ours(tmp_path)} == {
            server.pid,
            stray.pid,
        }
    finally:
        for proc in (server, stray):
            proc.kill()
            proc.wait()
            if proc.stdout is not None:
                proc.stdout.close()
