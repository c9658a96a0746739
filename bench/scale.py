"""Scale benchmark: pamphleteer on hundreds of real articles, against a naive script and the floor.

    nice .venv/bin/python bench/scale.py [--count 200] [--corpus ../shared/corpus] [--html]
                                         [--repeat 3]

Generates a raw/ folder of ``--count`` real articles from the shared corpus into a temporary
folder (never into the repository): the gold body texts as ``.txt`` files, or with ``--html`` the
crawled pages, when the reader supports HTML. Then prints, in one run:

- pamphleteer cold (empty build/), a rebuild with nothing changed, a rebuild after one article
  changed (and which outputs it touched) — with Prefect's temporary server, and again with a
  long-lived ``prefect server`` as a user with a server has (one that has served a build
  before; ``--repeat`` cold builds there, of which the median counts and each is printed: this
  machine's speed drifts by several percent from one minute to the next);
- the same pipeline in a plain thread pool without Prefect: the difference is Prefect's share;
- the naive script (bench/naive.py): per article, two at a time, the pandoc binary once per
  format and the Typst compiled in a fresh Python process;
- the floor: the CPU time of the Pandoc and typst work alone (measured serially, in this process,
  with the allocator settings the workers have: ``workers.tune_allocator``), divided by the
  cores. It is measured before the builds and around each cold build with the long-lived
  server: each of those is compared with the mean of the two floors measured just before and
  after it, the rest with the mean of all.

Peak memory is the largest sum of the memory of a run's process tree, sampled every 100 ms
(every 20 ms in the first half second; a sample costs a few ms of CPU, taken from the run
measured), twice: resident (RSS: a page shared by several processes, as the fork server's are
with the workers it forks, counted in each) and proportional (PSS: a shared page's size divided
among the processes that map it, so the sum is what the run costs the machine). Each peak keeps
what each process held at that moment (:attr:`Run.at_peak`). Nothing is asserted: read the
figures.
"""

from __future__ import annotations

import argparse
import compileall
import gzip
import json
import logging
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flows.assemble.edition import assemble  # noqa: E402
from flows.build import (
    cache,  # noqa: E402
    engine,  # noqa: E402
    workers,  # noqa: E402
)
from flows.build.pipeline import prepare  # noqa: E402
from flows.model import PamphleteerError  # noqa: E402
from flows.read.decode import read  # noqa: E402
from flows.render import (
    booklet,  # noqa: E402
    cover,  # noqa: E402
    typeset,
)
from flows.render import formats as render  # noqa: E402
from flows.render import pandoc as pandoc_server  # noqa: E402
from flows.settings import Settings  # noqa: E402

CORES = os.cpu_count() or 1
PY = sys.executable


@dataclass
class Run:
    seconds: float
    peak_mb: float  # the largest sum of the tree's resident memory (RSS)
    cpu: float  # user + system seconds of the whole process tree (and of a long-lived server)
    stderr: str = ""
    code: int = 0  # the exit code
    pss_mb: float = 0.0  # the largest sum of the tree's proportional memory (PSS)
    #: At the PSS peak: each process's (component, RSS MB, PSS MB), biggest first.
    at_peak: tuple[tuple[str, float, float], ...] = ()


def pss(pid: int) -> int:
    """Bytes of a process's proportional set size (Linux's /proc; 0 when it cannot be read)."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def component(p: psutil.Process, root: int, labels: dict[int, str]) -> str:
    """What a process of a build is, for the memory table: the command, the fork server, a
    worker (forked by the fork server), Pandoc, a validator's JVM, the Prefect server."""
    try:
        name, cmdline, parent = p.name(), " ".join(p.cmdline()), p.ppid()
    except psutil.Error:
        return "?"
    if p.pid == root:
        return "command"
    if "flows.cli.warm_process" in cmdline:
        return "build (forked by the warm command)"
    if labels.get(parent, "").startswith("Prefect server"):
        return "Prefect server"
    if "flows.prefect.resident" in cmdline or "prefect.server" in cmdline:
        return "Prefect server"
    if name.startswith("pandoc"):
        return "pandoc"
    if name == "java":
        return "EPUBCheck JVM" if "epubcheck" in cmdline.lower() else "JVM (" + cmdline[-40:] + ")"
    if "forkserver" in cmdline:
        return "worker" if labels.get(parent) == "forkserver" else "forkserver"
    if "resource_tracker" in cmdline:
        return "resource tracker"
    if "lifeline.py" in cmdline:
        return "lifeline guardian"
    return name


#: A long-lived Prefect server the runs talk to: its CPU time counts in theirs.
SERVER: list[psutil.Process] = []


def _server_cpu() -> float:
    return sum(sum(p.cpu_times()[:2]) for p in SERVER for p in [p, *p.children(recursive=True)])


def _warm_record(cmd: list[str]) -> Path | None:
    """The record of the project's warm command (``.prefect/command.json`` beside ``--raw``)."""
    if "--raw" not in cmd:
        return None
    return Path(cmd[cmd.index("--raw") + 1]).resolve().parent / ".prefect" / "command.json"


def _warm_builds(record: Path | None) -> list[psutil.Process]:
    """The build a warm command runs for the measured command: its child, forked from the
    warm process, and that child's processes (the warm process itself is a resident, as the
    Prefect server is: outside the build's tree)."""
    try:
        warm = psutil.Process(int(json.loads(record.read_text())["pid"])) if record else None
    except (OSError, ValueError, KeyError, psutil.Error):
        return []
    if warm is None:
        return []
    found = []
    with suppress(psutil.Error):
        for child in warm.children():
            found += [child, *child.children(recursive=True)]
    return found


def wait_warm(project: Path, limit: float = 60.0) -> bool:
    """Wait until the project's warm command, which its first build started, listens (as it
    does long before a user types the next command); whether it does."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        try:
            pid = json.loads((project / ".prefect" / "command.json").read_text())["pid"]
            if f"warm: ready (pid {pid})" in (project / ".prefect" / "command.log").read_text():
                return True
        except (OSError, ValueError, KeyError):
            pass
        time.sleep(0.2)
    return False


def measured(cmd: list[str], env: dict[str, str] | None = None, any_exit: bool = False) -> Run:
    """Run a command: its wall time, CPU time, and the peak of its tree's resident memory."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    server_before = _server_cpu()
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)  # fmt: skip
    peak = peak_pss = 0
    at_peak: list[tuple[str, int, int]] = []
    root = psutil.Process(proc.pid)
    stop = threading.Event()
    seen: dict[tuple[int, float], float] = {}  # each process's CPU seconds when last sampled
    labels: dict[int, str] = {}  # pid: component (parents are listed before their children)

    warm_record = _warm_record(cmd)

    def sample() -> None:
        nonlocal peak, peak_pss, at_peak
        while not stop.is_set():
            try:
                tree = [root, *root.children(recursive=True), *_warm_builds(warm_record)]
                now = []
                for p in tree:
                    if p.pid not in labels:
                        labels[p.pid] = component(p, root.pid, labels)
                    with suppress(psutil.Error):
                        now.append((labels[p.pid], p.memory_info().rss, pss(p.pid)))
                peak = max(peak, sum(rss for _, rss, _ in now))
                if sum(q for _, _, q in now) > peak_pss:
                    peak_pss = sum(q for _, _, q in now)
                    at_peak = sorted(now, key=lambda c: -c[2])
                for p in tree:
                    seen[(p.pid, p.create_time())] = sum(p.cpu_times()[:2])
            except psutil.Error:
                pass
            # A sample costs ~2 ms of CPU that the run would otherwise have: every 100 ms, but
            # every 20 ms in the first half second, so that a short run is sampled too.
            stop.wait(0.02 if time.perf_counter() - start < 0.5 else 0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, stderr = proc.communicate()
    seconds = time.perf_counter() - start
    stop.set()
    sampler.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    # Processes nobody waits for (a worker's long-lived Pandoc, the fork server) are missing
    # from the children's rusage; sampling misses the last 100 ms of each, and the short-lived
    # ones (the naive script's): take the larger of the two counts.
    cpu = max(cpu, sum(seen.values()))
    cpu += _server_cpu() - server_before
    if proc.returncode not in (0, 1) and not any_exit:
        raise SystemExit(f"{' '.join(cmd[:4])}… failed ({proc.returncode}):\n{stderr[-3000:]}")
    mb = 2**20
    return Run(seconds, peak / mb, cpu, stderr, proc.returncode, peak_pss / mb,
               tuple((what, rss / mb, q / mb) for what, rss, q in at_peak))  # fmt: skip


def make_corpus(corpus: Path, raw: Path, count: int, html: bool) -> str:
    """``count`` articles in manifest order, as .txt gold bodies or .html pages."""
    raw.mkdir(parents=True)
    pages = [json.loads(line) for line in (corpus / "manifest.jsonl").read_text().splitlines()]
    for page in pages[:count]:
        if html:
            data = gzip.decompress((corpus / page["html"]).read_bytes())
            (raw / f"{page['id']}.html").write_bytes(data)
        else:
            shutil.copy(corpus / page["body"], raw / f"{page['id']}.txt")
    kind = "HTML pages" if html else "gold body texts (.txt)"
    return f"{len(list(raw.iterdir()))} articles from {corpus}, {kind}"


def html_supported(corpus: Path) -> bool:
    page = json.loads((corpus / "manifest.jsonl").read_text().splitlines()[0])
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "probe.html"
        path.write_bytes(gzip.decompress((corpus / page["html"]).read_bytes()))
        try:
            read(path)
        except PamphleteerError:
            return False
    return True


def cli(raw: Path, out: Path, env: dict[str, str], *extra: str) -> Run:
    # No EPUBCheck: a JVM per EPUB (~5 s of CPU each) would be most of the time, and the naive
    # script validates nothing either.
    cmd = [PY, "-m", "flows.cli", "build", "--raw", str(raw), "--out", str(out), "--no-check",
           *extra]  # fmt: skip
    return measured(cmd, env)


def outputs_mtimes(out: Path) -> dict[str, int]:
    """Every output file (the editions' folders and the index and reports beside them)."""
    return {
        str(p.relative_to(out)): p.stat().st_mtime_ns
        for p in [*out.glob("*/*"), *out.glob("*")]
        if p.is_file() and p.parent.name != cache.CACHE_DIR
    }


def ours(
    corpus: Path, work: Path, env: dict[str, str], label: str, repeat: int = 1,
    floor_now: Callable[[], float] | None = None, extra: tuple[str, ...] = (),
) -> dict[str, object]:  # fmt: skip
    """Cold builds (``repeat`` of them, into an empty build/ each, with ``floor_now`` measured
    before each and after the last: each cold build is compared with the floors around it),
    then a rebuild with nothing changed, then one after an article changed."""
    out, raw = work / f"build-{label}", work / f"raw-{label}"
    shutil.copytree(corpus, raw)
    colds: list[Run] = []
    around: list[float] = []  # the floors measured between the cold builds (CPU seconds)
    for _ in range(repeat):
        if floor_now:
            around.append(floor_now())
        shutil.rmtree(out, ignore_errors=True)
        colds.append(cli(raw, out, env, *extra))
    if floor_now:
        around.append(floor_now())
    # Each cold build's own floor (wall seconds): the mean of those measured before and after it.
    own = [(a + b) / 2 / CORES for a, b in zip(around, around[1:], strict=False)]
    ranked = sorted(
        range(repeat), key=lambda i: colds[i].seconds / own[i] if own else colds[i].seconds
    )
    median = ranked[len(ranked) // 2]
    cold = colds[median]
    report = json.loads((out / "report.json").read_text())
    nochange = cli(raw, out, env, *extra)
    before = outputs_mtimes(out)
    victim = sorted(raw.iterdir())[len(list(raw.iterdir())) // 2]
    original = victim.read_bytes()
    victim.write_bytes(original + b"\n\nA paragraph added for the benchmark.\n")
    one = cli(raw, out, env, *extra)
    after = outputs_mtimes(out)
    touched = sorted({k.split("/")[0][:24] for k in after if after[k] != before.get(k)})
    one_report = json.loads((out / "report.json").read_text())
    return {
        "cold": cold, "colds": colds, "around": around, "own": own, "median": median,
        "nochange": nochange, "one": one, "counts": report["counts"],
        "one_counts": one_report["counts"], "touched": touched, "victim": victim.name,
    }  # fmt: skip


def plain(raw: Path, out: Path) -> Run:
    """The same pipeline, batches and worker pool without Prefect: the flow adds the rest."""
    return measured([PY, str(Path(__file__)), "--plain", str(raw), str(out)])


def run_plain(raw: Path, out: Path) -> None:
    """What the flow does, on the same worker processes: the engine, no Prefect."""
    engine.build(engine.Build.planned(raw, out, Settings(check=False)))


Source = tuple[str, dict[str, object], Settings]  # an edition's source, metadata and settings


def sources_for_naive(raw: Path, folder: Path) -> list[Source]:
    """Each article's assembled edition source (and the Typst templates' inputs), as the naive
    script and the floor take them."""
    folder.mkdir()
    settings = Settings()
    # Prefect, imported here for the long-lived server, prints third-party warnings (trafilatura's
    # "empty link") that the build's workers keep quiet.
    logging.getLogger("trafilatura").setLevel(logging.ERROR)
    written = []
    for path in sorted(raw.iterdir()):
        try:
            doc = prepare(path)
            doc_settings = settings.for_edition(doc.meta, path.name)
            source = assemble(doc, doc_settings)
        except PamphleteerError:
            continue
        (folder / f"{path.stem}.md").write_text(source)
        data = typeset.typst_data(doc.meta, doc_settings)
        (folder / f"{path.stem}.json").write_text(json.dumps(data, ensure_ascii=False))
        written.append((source, dict(doc.meta), doc_settings))
    return written


def floor(sources: list[Source]) -> float:
    """CPU seconds of the Pandoc and typst work of every format alone (the cover PNG, HTML, EPUB,
    PDF and its booklet), one after another: Pandoc's in its process, typst's in this one."""

    def pandoc() -> float:  # the long-lived Pandoc processes' CPU so far
        return sum(sum(psutil.Process(p.proc.pid).cpu_times()[:2]) for p in pandoc_server._all)

    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    pandoc_before = pandoc()
    start = time.process_time()
    for source, meta, settings in sources:
        png = cover.cover_png(meta, settings)
        render.html(source, settings)
        render.epub(source, settings, meta, png)
        booklet.impose(render.pdf(source, settings, meta).data, settings)
    own = time.process_time() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    children_cpu = (after.ru_utime - children.ru_utime) + (after.ru_stime - children.ru_stime)
    return own + children_cpu + pandoc() - pandoc_before


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {CORES} cores"


def row(label: str, run: Run, ref: Run | None = None, note: str = "") -> str:
    ratio = f"{run.seconds / ref.seconds:6.2f}×" if ref else " " * 7
    cpu_ratio = f"{run.cpu / ref.cpu:6.2f}×" if ref else " " * 7
    return (
        f"  {label:<44}{run.seconds:8.2f} s {ratio} {run.cpu:8.1f} s {cpu_ratio}"
        f" {run.peak_mb:7.0f} MB  {note}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--corpus", default=str(ROOT.parent / "shared" / "corpus"))
    parser.add_argument("--html", action="store_true", help="raw HTML pages (needs the reader)")
    parser.add_argument(
        "--repeat", type=int, default=3, help="cold builds with the long-lived server (median)"
    )
    parser.add_argument("--plain", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.plain:
        run_plain(Path(args.plain[0]), Path(args.plain[1]))
        return
    # pamphleteer's own modules compiled, as an installed package has them (pip compiles at
    # install; an editable install compiles at first use, unless PYTHONDONTWRITEBYTECODE is set,
    # when every run compiles them again: ~0.07 s of CPU a process).
    compileall.compile_dir(ROOT / "flows", quiet=1)
    # The floor's typst work runs in this process: with the allocator the workers have (glibc's
    # defaults fault a cover's pixmap in afresh for every document, ~2 s of kernel CPU in 200).
    workers.tune_allocator()
    corpus = Path(args.corpus)
    if args.html and not html_supported(corpus):
        print("The reader does not read HTML yet: using the gold body texts.", file=sys.stderr)
        args.html = False
    print(f"Before: {load()}")
    with tempfile.TemporaryDirectory(prefix="pamphleteer-bench-") as tmp:
        work = Path(tmp)
        raw = work / "raw"
        print(make_corpus(corpus, raw, args.count, args.html))
        env = {**os.environ, "PREFECT_HOME": str(work / "prefect"),
               "PREFECT_LOGGING_LEVEL": "WARNING"}  # fmt: skip
        env.pop("PREFECT_API_URL", None)
        (work / "one").mkdir()
        (work / "one" / "one.txt").write_text("One\n\nA paragraph.\n")
        # Creates Prefect's database, as a first use has.
        cli(work / "one", work / "warm", env, "--temporary-server")
        sources = sources_for_naive(raw, work / "sources")
        # The machine's speed drifts by several percent over the minutes this takes: the floor
        # is measured before the builds and between the cold builds with a long-lived server;
        # the mean of all is the reference, and each of those cold builds also has its own.
        floors = [floor(sources)]
        temp = ours(raw, work, env, "temporary", extra=("--temporary-server",))
        from flows.prefect import resident

        os.environ["PREFECT_HOME"] = env["PREFECT_HOME"]
        with resident.running(Path(env["PREFECT_HOME"])) as server:
            SERVER[:] = [psutil.Process(server.pid)]
            served_env = {**env, "PREFECT_API_URL": server.url}
            # A long-lived server has served before: its first requests' start-up (~0.4 s of
            # CPU) is not a build's.
            cli(work / "one", work / "warm-server", served_env)
            served = ours(raw, work, served_env, "server", args.repeat, lambda: floor(sources))
            floors += served["around"]  # type: ignore[arg-type]
            SERVER.clear()
        base = plain(raw, work / "build-plain")
        naive = measured([PY, str(ROOT / "bench" / "naive.py"), str(work / "sources"),
                          str(work / "naive")])  # fmt: skip
    cpu = sum(floors) / len(floors)
    floor_s = cpu / CORES
    print(
        f"\n{len(sources)} articles into HTML, EPUB and PDF (ours: also a cover and a booklet; "
        "no EPUBCheck)"
    )
    measured_floors = ", ".join(f"{f:.1f}" for f in floors)
    print(f"{CORES} cores; floor = {cpu:.1f} s CPU of Pandoc + typst / {CORES} = {floor_s:.1f} s "
          f"(the mean of {len(floors)}, in order: {measured_floors} s)")  # fmt: skip
    print(f"  {'':<44}{'wall':>10} {'÷naive':>7} {'CPU':>10} {'÷naive':>7} {'peak mem':>10}")
    print(row("naive script (pandoc ×3 + fresh typst process)", naive))
    print(row("pipeline in a plain thread pool (no Prefect)", base, naive,
              f"CPU/cores = {base.cpu / CORES / floor_s:.2f}× floor"))  # fmt: skip
    for label, res in (("temporary Prefect server", temp), ("long-lived Prefect server", served)):
        c: Run = res["cold"]  # type: ignore[assignment]
        n: Run = res["nochange"]  # type: ignore[assignment]
        o: Run = res["one"]  # type: ignore[assignment]
        colds: list[Run] = res["colds"]  # type: ignore[assignment]
        own: list[float] = res["own"]  # type: ignore[assignment]
        print(f" pamphleteer build, {label}:")
        if own:  # compared with the floors measured around it
            ref, whose = own[res["median"]], "its own "  # type: ignore[index]
        else:
            ref, whose = floor_s, ""
        name = f"cold (median of {len(colds)})" if len(colds) > 1 else "cold"
        print(row(name, c, naive, f"wall {c.seconds / ref:.2f}× {whose}floor, CPU/cores "
                  f"{c.cpu / CORES / ref:.2f}× floor; {res['counts']}"))  # fmt: skip
        if own:
            each = ", ".join(
                f"{r.seconds:.2f} s ({r.seconds / f:.2f}× {f:.2f} s)"
                for r, f in zip(colds, own, strict=True)
            )
            print(f"  {'':<4}each, in order (× the floors around it): {each}")
        print(row("no change", n, naive, f"{n.seconds / c.seconds:.1%} of cold"))
        print(row(f"one article changed ({res['victim'][:18]}…)", o, naive,
                  f"{o.seconds / c.seconds:.1%} of cold; rebuilt {res['one_counts']['built']}, "
                  f"outputs touched in: {', '.join(res['touched'])}"))  # fmt: skip
        share = max(0.0, c.seconds - base.seconds) / c.seconds
        cpu_share = max(0.0, c.cpu - base.cpu) / c.cpu
        print(f"  {'Prefect share of cold (vs plain pool)':<44}{share:8.1%} of wall, "
              f"{cpu_share:.1%} of CPU")  # fmt: skip
    print(f"\nAfter: {load()}")


if __name__ == "__main__":
    main()
