"""Kill ``pamphleteer build`` at random moments and check what it leaves.

    .venv/bin/python bench/kill_test.py --trials 20 --mode both

A project folder in the system's temporary folder (never in the repository) gets a raw/ of
texts: the repository's seeds and gold texts of the evaluation corpus (``--corpus``). Each trial
changes a few texts (or wipes build/ to start afresh), starts ``pamphleteer build`` in a process
group of its own, sends SIGKILL at a random moment — to the command alone or to its whole group —
and checks:

- processes: none left that names the project folder (in its command line or environment;
  workers, Pandoc and JVMs all do), after a grace period for the guardian, but the project's
  resident Prefect server and EPUBCheck (their records' pids), which builds leave running by
  design: at the end ``pamphleteer server stop`` must stop them, and then nothing may be left;
- outputs: every document folder complete (each file passes ``flows.validate.outputs``, its report
  lists exactly its files) and from one build (the HTML, EPUB and PDF carry the same trial's mark);
- temporary files: none in the system temporary folder given to the command (its TMPDIR);
- the next plain build: it ends, lists every text in index.html and report.json, and leaves
  no staged, moved-aside or half-written file and no process behind.

The summary at the end counts the trials and every problem found; the exit status is 1 if any.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lxml import etree  # noqa: E402

from flows.report import catalogue  # noqa: E402
from flows.validate.outputs import check  # noqa: E402

SEEDS = Path("/work/shared/seeds")
CORPUS = Path("/work/shared/corpus/gold")
#: Seconds the guardian and the processes it kills get to be gone.
GRACE = 60.0


@dataclass
class Tally:
    trials: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)

    def problem(self, trial: str, what: str) -> None:
        self.problems.append(f"{trial}: {what}")
        print(f"  PROBLEM {what}", flush=True)


def project(tmp: Path, texts: int, rng: random.Random) -> Path:
    raw = tmp / "raw"
    raw.mkdir(parents=True)
    for path in sorted(SEEDS.glob("*.txt")):
        shutil.copy(path, raw / path.name)
    gold = sorted(CORPUS.glob("*/*.body.txt"))
    gold = [p for p in gold if 2_000 < p.stat().st_size < 20_000]
    for path in rng.sample(gold, max(0, texts - len(list(raw.iterdir())))):
        (raw / path.name.replace(".body.txt", ".txt")).write_bytes(path.read_bytes())
    (tmp / "systmp").mkdir()
    return raw


def command(tmp: Path, check_epub: bool) -> list[str]:
    """``pamphleteer build`` of this checkout (``python -m flows.cli.main``, see
    :func:`environment`)."""
    args = [sys.executable, "-m", "flows.cli", "build", "--raw", str(tmp / "raw"),
            "--out", str(tmp / "build")]  # fmt: skip
    return args if check_epub else [*args, "--no-check"]


def environment(tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "PAMPHLETEER_"))}
    env["TMPDIR"] = str(tmp / "systmp")  # what the build's processes would litter
    env["PYTHONPATH"] = str(ROOT)  # this checkout's code, even a copy of it
    return env


def residents(tmp: Path) -> set[int]:
    """The project's resident processes, as their records (``.prefect/server.json``,
    ``.prefect/checker.json``) name them and if they are those: Prefect's server, the resident
    EPUBCheck and its JVM. They outlive every build by design (until idle for a while, or
    ``pamphleteer server stop``), so they are not processes a build left behind."""
    found = set()
    for record, program in (("server.json", b"flows.prefect.resident"),
                            ("checker.json", b"flows.validate.resident"),
                            ("command.json", b"flows.cli.warm_process")):  # fmt: skip
        try:
            pid = int(json.loads((tmp / ".prefect" / record).read_bytes())["pid"])
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if program in cmdline:
            found.add(pid)
            if record == "command.json":  # its children are builds: they must end with theirs
                continue
            with contextlib.suppress(OSError, ValueError):  # the checker's JVM (any thread's)
                for task in Path(f"/proc/{pid}/task").iterdir():
                    found.update(int(c) for c in (task / "children").read_text().split())
    return found


def stop_server(tmp: Path) -> subprocess.CompletedProcess[str]:
    """``pamphleteer server stop`` for the project (what its user would run)."""
    return subprocess.run([sys.executable, "-m", "flows.cli", "server", "stop", "--raw",
                           str(tmp / "raw")], capture_output=True, text=True,
                          env=environment(tmp), cwd=tmp, timeout=120)  # fmt: skip


def ours(tmp: Path) -> list[str]:
    """Processes (not this one, nor the project's recorded residents) whose command line or
    environment names the project folder."""
    mark = str(tmp).encode()
    found = []
    exempt = {os.getpid(), *residents(tmp)}
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) in exempt:
            continue
        try:
            cmdline = Path(f"/proc/{name}/cmdline").read_bytes()
            environ = Path(f"/proc/{name}/environ").read_bytes()
            state = Path(f"/proc/{name}/stat").read_bytes().rsplit(b")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if state != b"Z" and (mark in cmdline or mark in environ):
            shown = cmdline.replace(b"\0", b" ").decode(errors="replace")[:120]
            found.append(f"{name} {shown}")
    return found


def wait_gone(tmp: Path) -> list[str]:
    deadline = time.monotonic() + GRACE
    while (left := ours(tmp)) and time.monotonic() < deadline:
        time.sleep(0.2)
    return left


def pdf_text(data: bytes) -> str:
    import io

    from pypdf import PdfReader

    return " ".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)


def epub_text(data: bytes) -> str:
    import io

    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return " ".join(z.read(n).decode(errors="replace") for n in z.namelist()
                        if n.endswith(".xhtml"))  # fmt: skip


def catalogue_problems(folder: Path) -> list[str]:
    """Problems of the OPDS catalogue's folder: a temporary or a partial (not XML) feed."""
    problems = []
    for path in sorted(folder.iterdir()):
        if path.name.startswith("."):
            problems.append(f"{folder.name}: a temporary file among the feeds: {path.name}")
            continue
        try:
            etree.parse(path, etree.XMLParser(resolve_entities=False, no_network=True))
        except (OSError, etree.XMLSyntaxError) as exc:
            problems.append(f"{folder.name}/{path.name}: not XML ({exc})")
    return problems


def check_outputs(out: Path, marks: dict[str, str]) -> list[str]:
    """Problems of the document folders: a partial file, a folder mixing two builds."""
    problems = []
    if not out.is_dir():
        return problems
    for folder in sorted(p for p in out.iterdir() if p.is_dir() and not p.name.startswith(".")):
        if folder.name == catalogue.FOLDER:  # the OPDS catalogue's feeds, not a document's
            problems += catalogue_problems(folder)
            continue
        names = {p.name for p in folder.iterdir()}
        hidden = sorted(n for n in names if n.startswith("."))
        if hidden:
            problems.append(f"{folder.name}: temporary files among the outputs: {hidden}")
        reports = [n for n in names if n.endswith(".report.json")]
        if len(reports) != 1:
            problems.append(f"{folder.name}: {len(reports)} reports in {sorted(names)}")
            continue
        try:
            report = json.loads((folder / reports[0]).read_bytes())
        except ValueError as exc:
            problems.append(f"{folder.name}: its report is not JSON ({exc})")
            continue
        listed = set(report["outputs"].values()) | {reports[0]}
        if listed != names - set(hidden):
            problems.append(
                f"{folder.name}: files {sorted(names)}, its report lists {sorted(listed)}"
            )
        seen = {}
        for name in sorted(names - set(hidden)):
            fmt = name.rsplit(".", 1)[1]
            data = (folder / name).read_bytes()
            if (verdict := check(fmt, data)) != "ok":
                problems.append(f"{folder.name}/{name}: {verdict}")
                continue
            if fmt in ("html", "epub") or (fmt == "pdf" and "booklet" not in name):
                text = {"html": lambda d: d.decode(errors="replace"), "epub": epub_text,
                        "pdf": pdf_text}[fmt](data)  # fmt: skip
                text = re.sub(r"[\s\-\u00ad\u2010]", "", text)  # lines, hyphenation
                seen[fmt] = tuple(sorted(m for m in marks.values() if m in text))
        if len(set(seen.values())) > 1:
            problems.append(f"{folder.name}: formats from different builds: {seen}")
    return problems


def littered(tmp: Path) -> list[Path]:
    """What the system temporary folder given to the builds holds, but the resident EPUBCheck's
    socket folder while it runs (see residents)."""
    try:
        record = json.loads((tmp / ".prefect" / "checker.json").read_bytes())
        own = Path(record["socket"]).parent if int(record["pid"]) in residents(tmp) else None
    except (OSError, ValueError, KeyError, TypeError):
        own = None
    return [p for p in (tmp / "systmp").rglob("*")
            if own is None or not (p == own or p.is_relative_to(own))]  # fmt: skip


def leftovers(tmp: Path) -> list[str]:
    out = tmp / "build"
    found = [str(p) for p in littered(tmp)]
    for name in ("tmp", "aside"):
        folder = out / ".cache" / name
        found += [str(p) for p in folder.iterdir()] if folder.is_dir() else []
    found += [str(p) for p in out.rglob(".*") if p.is_file() and p.name.count(".") >= 2]
    return found


def change_texts(raw: Path, trial: int, rng: random.Random, marks: dict[str, str]) -> None:
    """Append a paragraph marked with this trial to a few texts, so their outputs are replaced."""
    texts = sorted(raw.glob("*.txt"))
    for path in rng.sample(texts, min(3, len(texts))):
        mark = f"Killmark{trial:03d}x{rng.randrange(10**6):06d}"
        with path.open("a", encoding="utf-8") as f:
            f.write(f"\n\n{mark} closes this text.\n")
        marks[path.name] = mark


def plain_build(tmp: Path, args: argparse.Namespace) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command(tmp, args.check), capture_output=True, text=True,
                          env=environment(tmp), cwd=tmp, timeout=1800)  # fmt: skip


def lists_every_text(tmp: Path) -> list[str]:
    out, raw = tmp / "build", tmp / "raw"
    try:
        report = json.loads((out / "report.json").read_bytes())
        index = (out / "index.html").read_text()
    except (OSError, ValueError) as exc:
        return [f"no report or index: {exc}"]
    sources = sorted(d["source"] for d in report["documents"])
    failed = sorted(f["source"] for f in report["failures"])
    texts = sorted(p.name for p in raw.glob("*.txt"))
    problems = []
    if sorted(sources + failed) != texts:
        problems.append(f"report.json lists {sources} (+ failed {failed}), raw/ has {texts}")
    for d in report["documents"]:
        if f'href="{d["slug"]}/{d["slug"]}.html"' not in index:
            problems.append(f"index.html does not link {d['slug']}")
    return problems


def trial(n: int, mode: str, tmp: Path, rng: random.Random, span: float,
          args: argparse.Namespace, tally: Tally, marks: dict[str, str]) -> float:  # fmt: skip
    """One kill and its checks; how long the next plain build took."""
    label = f"{mode} #{n}"
    if rng.random() < 0.2:
        shutil.rmtree(tmp / "build", ignore_errors=True)  # a first build, every document new
        marks.clear()
    change_texts(tmp / "raw", n, rng, marks)
    delay = args.at if args.at is not None else rng.uniform(0.0, span)
    log = (tmp / "kill.log").open("w")
    proc = subprocess.Popen(command(tmp, args.check), stdout=log, stderr=log, cwd=tmp,
                            env=environment(tmp), start_new_session=True)  # fmt: skip
    try:
        proc.wait(timeout=delay)
        tally.trials[f"{mode}: ended before the kill"] += 1
        print(f"{label}: ended before {delay:.1f} s", flush=True)
    except subprocess.TimeoutExpired:
        if mode == "group":
            os.killpg(proc.pid, signal.SIGKILL)
        else:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        tally.trials[f"{mode}: killed"] += 1
        log.flush()
        said = (tmp / "kill.log").read_text().strip().splitlines()
        print(f"{label}: killed at {delay:.1f} s ({said[-1][:90] if said else 'nothing said'})",
              flush=True)  # fmt: skip
    log.close()
    if left := wait_gone(tmp):
        tally.problem(label, f"processes left {GRACE:.0f} s after the kill: {left}")
        for line in left:
            os.kill(int(line.split()[0]), signal.SIGKILL)
    for problem in check_outputs(tmp / "build", marks):
        tally.problem(label, problem)
    for path in littered(tmp):
        tally.problem(label, f"left in TMPDIR: {path.relative_to(tmp)}")
        shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)
    started = time.monotonic()
    done = plain_build(tmp, args)
    took = time.monotonic() - started
    if done.returncode not in (0, 1):
        tally.problem(label, f"the next build ended {done.returncode}: {done.stderr[-400:]}")
    for problem in lists_every_text(tmp):
        tally.problem(label, f"after the next build: {problem}")
    if left := wait_gone(tmp):
        tally.problem(label, f"processes left after the next build: {left}")
    for path in leftovers(tmp):
        tally.problem(label, f"left after the next build: {path}")
    for problem in check_outputs(tmp / "build", marks):
        tally.problem(label, f"after the next build: {problem}")
    killed = sum(c for w, c in tally.trials.items() if w.endswith("killed"))
    print(
        f"  so far: {killed} killed, {sum(tally.trials.values()) - killed} ended before the "
        f"kill, {len(tally.problems)} problem(s); the next build took {took:.1f} s",
        flush=True,
    )
    return took


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--trials", type=int, default=20, help="kills per mode (default 20)")
    p.add_argument("--mode", choices=("command", "group", "both"), default="both")
    p.add_argument("--texts", type=int, default=8, help="texts in raw/ (default 8)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--at", type=float, help="kill at this second of every build, not at random")
    p.add_argument("--check", action="store_true", help="run EPUBCheck too (slower, JVMs)")
    p.add_argument("--keep", action="store_true", help="keep the project folder")
    args = p.parse_args()
    rng = random.Random(args.seed)
    tmp = Path(tempfile.mkdtemp(prefix="pamphleteer-kill-"))
    tally, marks = Tally(), {}
    try:
        raw = project(tmp, args.texts, rng)
        print(f"{tmp}: {len(list(raw.iterdir()))} texts; a first build to time it", flush=True)
        started = time.monotonic()
        first = plain_build(tmp, args)
        span = time.monotonic() - started
        print(f"first build: {span:.1f} s, exit {first.returncode}", flush=True)
        for problem in lists_every_text(tmp):
            tally.problem("first build", problem)
        modes = ("command", "group") if args.mode == "both" else (args.mode,)
        for mode in modes:
            for n in range(1, args.trials + 1):
                # Kills fall within a build like the one before (a few texts changed, what a
                # kill left unbuilt), so few of them come after it has ended.
                span = trial(n, mode, tmp, rng, span, args, tally, marks)
    finally:
        # The residents are the only processes a build may leave: stopped as a user would,
        # then nothing at all may be left.
        stopped = stop_server(tmp)
        if stopped.returncode != 0:
            tally.problem("server stop", f"exit {stopped.returncode}: {stopped.stderr[-300:]}")
        if left := wait_gone(tmp):
            tally.problem("server stop", f"processes left: {left}")
            for line in left:
                os.kill(int(line.split()[0]), signal.SIGKILL)
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    print("\nSummary")
    for what, count in sorted(tally.trials.items()):
        print(f"  {what}: {count}")
    print(f"  problems: {len(tally.problems)}")
    for problem in tally.problems:
        print(f"    {problem}")
    return 1 if tally.problems else 0


if __name__ == "__main__":
    sys.exit(main())
