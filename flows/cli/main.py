"""The ``pamphleteer`` command.

``pamphleteer build`` runs the Prefect flow over ``raw/``; ``pamphleteer clean`` prints what the
first two stages make of single files (no Prefect involved, so it answers at once).
"""

from __future__ import annotations

import argparse
import atexit
import logging
import os
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from flows.cli import warm
from flows.limits import Limits
from flows.model import PamphleteerError
from flows.prefect import env as prefect_env
from flows.prefect import resident
from flows.prefect.env import use_project_state
from flows.read.project import project_editions, project_file, project_settings
from flows.settings import FORMATS, Settings, load_limits

if TYPE_CHECKING:
    from flows.build import cache
    from flows.outcome import Outcome
    from flows.read.editions import Edition


def _err(message: str) -> None:
    print(f"pamphleteer: {message}", file=sys.stderr)


def cmd_clean(args: argparse.Namespace) -> int:
    from flows.build.pipeline import cleaned_markdown, prepare
    from flows.files import stem, write_atomic

    failed = 0
    for name in args.files:
        path = Path(name)
        try:
            doc = prepare(
                path, settings=Settings(keep_comments=args.keep_comments, images=args.images)
            )
        except PamphleteerError as exc:
            _err(str(exc) if str(exc).startswith(path.name) else f"{path}: {exc}")
            failed += 1
            continue
        text = cleaned_markdown(doc)
        if args.out:
            target = Path(args.out) / f"{stem(path)}.md"
            write_atomic(target, text.encode())
            print(f"{path} -> {target}", file=sys.stderr)
        else:
            sys.stdout.write(text)
        for message in doc.report.warnings:
            print(f"{path.name}: {message}", file=sys.stderr)
    if failed:
        _err(f"{failed} of {len(args.files)} file(s) failed")
    return 1 if failed else 0


def _settings(args: argparse.Namespace) -> Settings:
    return project_settings(args.raw, args.formats, args.templates, args.settings,
                            not args.no_check, args.keep_comments, args.images)  # fmt: skip


def _editions(args: argparse.Namespace, limits: Limits) -> list[Edition]:
    return project_editions(args.raw, args.editions, limits)


#: Told of each document as it is built: (done, total, its outcome).
Progress = Callable[[int, int, "Outcome"], None]


def _progress_line(out_dir: Path, item: Outcome) -> str:
    if item.status == "failed":  # the reason names the file for the report: once is enough here
        return f"FAILED {item.label}: {item.reason.removeprefix(f'{item.label}: ')}"
    notes = f"{item.notes['linked']}/{item.notes['found']} notes"
    warn = f", {len(item.warnings)} warning(s)" if item.warnings else ""
    from flows.validate.validators import summary_of

    checks = "".join(f"; {summary_of(c)}" for c in item.checks.values())
    return f"ok     {item.label} -> {out_dir / item.slug}/ ({notes}{warn}{checks})"


def _quiet_prefect() -> None:
    """Prefect's warnings and errors only; -v shows everything."""
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    # "Still processing items: 2 items remaining…" is Prefect sending its last events as the
    # process exits, logged as a warning: not the user's concern.
    logging.getLogger("EventsWorker").setLevel(logging.ERROR)


def _reports_again(out_dir: Path, entries: list[cache.Entry], settings: Settings) -> str:
    """With nothing to build: sweep what a killed build left, and write the reports and the
    index again when they no longer tell what the cache records (a build killed after it
    recorded a unit, before it wrote them). What to tell the user."""
    from flows.build import cache
    from flows.build.records import current, from_records

    try:
        with cache.exclusive(out_dir):
            if current(out_dir, entries):
                return ""
            from_records(out_dir, entries, settings)
    except PamphleteerError:  # a build of out_dir under way: it writes them
        return ""
    return f" The index and reports were out of date: written again from {len(entries)} record(s)."


def cmd_build(args: argparse.Namespace) -> int:
    from flows import lifeline
    from flows.build import cache
    from flows.build.engine import Build
    from flows.files import temp_root

    # Absolute: Dask workers may run elsewhere (with the same shared paths).
    raw_dir, out_dir = Path(args.raw).resolve(), Path(args.out).resolve()
    started = time.perf_counter()
    settings = _settings(args)
    editions = _editions(args, settings.limits)
    # Planned before Prefect starts: with nothing to do, answer in milliseconds.
    job = Build.planned(raw_dir, out_dir, settings, args.force, editions)
    plan = job.plan
    if not plan.stale and not plan.fresh:  # no unit at all
        raise PamphleteerError(
            f"{raw_dir} holds no texts (.txt, .md, .html): nothing to build, nothing started"
        )
    for what in job.skipped:  # a link out of raw/, a pipe…: said before anything else
        print(f"skipped {what}", file=sys.stderr)
    if plan.nothing_to_do:
        failed = [e for e in plan.fresh if e.result.get("status") == "failed"]
        again = _reports_again(out_dir, plan.fresh, settings)
        print(
            f"Nothing to do: {len(plan.fresh)} document(s) up to date in {out_dir} "
            f"({(time.perf_counter() - started) * 1000:.0f} ms). --force rebuilds them.{again}",
            file=sys.stderr,
        )
        for entry in failed:
            print(f"  still failing: {entry.result['reason']}", file=sys.stderr)
        return 1 if failed else 0
    if args.dask_address:
        _check_dask(args.dask_address)

    with ExitStack() as stack:
        server = _PrefectServer(stack, args.temporary_server, settings.limits)
        stack.enter_context(cache.exclusive(out_dir))  # one build of out_dir at a time
        # Before the workers load the cores (its start needs them too), and before this build's
        # private run: the project's server outlives the build.
        server.start()
        if _resident_checker(settings, args):  # its JVM starts while Prefect is imported
            from flows.validate import resident as checker

            stack.enter_context(checker.used(prefect_env.home(), settings.limits))
        # This build's own folder: its processes' TMPDIR, its staged outputs; they all end
        # with the command, and the folder with them, even when it is killed.
        stack.enter_context(lifeline.private_run(temp_root(out_dir)))
        if not args.dask_address:
            from flows.build.workers import start_fork_server

            start_fork_server(job.html)  # its imports overlap Prefect's (one of the build's)
        print(
            f"{len(plan.stale)} to build, {len(plan.fresh)} up to date, {len(plan.orphans)} to "
            f"remove. Prefect: {server.describe()}…",
            file=sys.stderr,
            flush=True,
        )
        # With Dask, lines: the bar's console cannot travel to its workers.
        bar = stack.enter_context(_progress(out_dir, len(plan.stale), bar=not args.dask_address))
        server.wait()
        from flows.prefect.build import run_build

        try:
            # The flow plans again (milliseconds): what it builds is what this plan says.
            report = run_build(
                raw_dir, out_dir, settings, args.force, bar, args.dask_address, editions
            )
        except RuntimeError as exc:
            server.failed(exc)
            raise
    c = report.counts
    built = report.of("built")
    anthologies = sum(1 for o in built if o.edition)
    print(
        f"Built {c['built'] - anthologies} document(s) and {anthologies} "
        f"{'anthology' if anthologies == 1 else 'anthologies'}, {c['failed']} failed, "
        f"{c['unchanged']} unchanged, {c['removed']} removed, {c['skipped']} skipped, in "
        f"{time.perf_counter() - started:.1f} s. Index: {out_dir / 'index.html'}; report: "
        f"{out_dir / 'report.html'}, {out_dir / 'report.json'}",
        file=sys.stderr,
    )
    _print_details(out_dir, built)
    return 0 if report.ok else 1


def _resident_checker(settings: Settings, args: argparse.Namespace) -> bool:
    """Whether the build asks the project's resident EPUBCheck (not with --temporary-server,
    which leaves nothing behind, nor on a Dask cluster, whose workers could not reach it)."""
    from flows.validate.validators import checks_epubs

    wanted = checks_epubs(settings.check, settings.formats)
    return wanted and not (args.temporary_server or args.dask_address)


@contextmanager
def _progress(
    out_dir: Path, total: int, stream: TextIO | None = None, bar: bool = True
) -> Iterator[Progress]:
    """How a build reports each document: a progress bar on a terminal (failures printed above
    it), one line per document otherwise (a log, a cron job's mail, the tests) or with ``bar``
    false. The flow's parameters travel to Dask with its task runs: the lines' function holds
    nothing but paths (``sys.stderr`` is looked up when it prints)."""
    if not bar or not (stream or sys.stderr).isatty():

        def line(done: int, total: int, item: Outcome) -> None:
            print(f"[{done}/{total}] {_progress_line(out_dir, item)}", file=stream or sys.stderr,
                  flush=True)  # fmt: skip

        yield line
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
    from rich.progress import Progress as Bar

    console = Console(file=stream or sys.stderr)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn(), TextColumn("{task.fields[last]}"))  # fmt: skip
    with Bar(*columns, console=console, transient=True) as bar:
        task = bar.add_task("Building", total=total, last="")

        def advance(done: int, total: int, item: Outcome) -> None:
            if item.status == "failed":
                console.print(_progress_line(out_dir, item), markup=False, highlight=False)
            bar.update(task, completed=done, last=item.label)

        yield advance


_START_IT = "start that Prefect server, or unset PREFECT_API_URL to use the project's own"


class _PrefectServer:
    """The Prefect server a command uses: the one ``PREFECT_API_URL`` names (it must answer),
    a temporary one in this process (``--temporary-server``), or the project's resident server
    (:mod:`flows.prefect.resident`), started if none runs. :meth:`start` and :meth:`wait` come
    before Prefect is imported (it reads ``PREFECT_API_URL`` then)."""

    def __init__(self, stack: ExitStack, temporary: bool, limits: Limits) -> None:
        self.stack, self.limits = stack, limits
        self.configured = os.environ.get("PREFECT_API_URL")
        self.temporary = temporary and not self.configured
        self.starting: resident.Starting | None = None
        if self.configured:
            _check_server(self.configured)  # before any work: a build it cannot record

    def start(self) -> None:
        if self.configured or self.temporary:
            return
        home = prefect_env.home()
        self.stack.enter_context(resident.lease(home))  # its watchdog keeps it up meanwhile
        limits = self.limits
        self.starting = resident.start(
            home, limits.server_idle_minutes, limits.server_start_seconds
        )

    def describe(self) -> str:
        if self.configured:
            return self.configured
        if self.temporary:
            return "a temporary server (5–10 s to start)"
        assert self.starting is not None
        if self.starting.record is not None:
            return f"the project's server, {self.starting.record.ui}"
        return (
            "starting the project's server (once: the next builds reuse it; it stops after "
            f"{self.limits.server_idle_minutes:g} min idle, or `pamphleteer server stop`)"
        )

    def wait(self) -> None:
        if self.starting is not None:
            record = self.starting.wait(self.limits.server_start_seconds)
            os.environ["PREFECT_API_URL"] = record.url
        prefect_env.read_again()
        if self.temporary:
            prefect_env.detach_temporary_server()

    def failed(self, exc: RuntimeError) -> None:
        """A RuntimeError of Prefect's that is the server's, as one line (else: return)."""
        if str(exc).startswith("Timed out while attempting to connect to ephemeral"):
            raise PamphleteerError(
                "Prefect's temporary server did not start within "
                f"{os.environ['PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS']} s (a very "
                "busy machine?): try again, or leave out --temporary-server (what was built "
                "is kept)"
            ) from None
        if str(exc).startswith("Failed to reach API"):
            where = self.configured or "the project's Prefect server"
            raise PamphleteerError(
                f"{exc}: {where} stopped answering (what was built is kept)"
            ) from None


def _check_server(url: str) -> None:
    """The Prefect server ``PREFECT_API_URL`` names must answer, or the build does not start."""
    import httpx

    # Plain HTTP has no TLS to verify: not loading the CA certificates saves ~15 ms.
    verify = not url.lower().startswith("http://")
    try:
        answer = httpx.get(f"{url.rstrip('/')}/health", timeout=5, verify=verify)
    except httpx.HTTPError as exc:
        raise PamphleteerError(
            f"the Prefect server at {url} does not answer ({exc}): {_START_IT}"
        ) from None
    if answer.status_code != 200:
        raise PamphleteerError(
            f"the Prefect server at {url} answers {answer.status_code} to /health: {_START_IT}"
        )


def _check_dask(address: str) -> None:
    """The Dask scheduler must accept a connection, or the build does not start."""
    from urllib.parse import urlsplit

    parts = urlsplit(address if "://" in address else f"tcp://{address}")
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        host = port = None
    if not host or not port:
        raise PamphleteerError(
            f"--dask-address {address}: expected tcp://HOST:PORT (the scheduler's address)"
        )
    try:
        socket.create_connection((host, port), timeout=5).close()
    except OSError as exc:
        raise PamphleteerError(
            f"the Dask scheduler at {address} does not answer ({exc.strerror or exc}): start it "
            "(`dask scheduler`), or leave out --dask-address to build on this machine"
        ) from None


#: Lines of warnings and of printing instructions a build prints at most; the rest is in
#: report.html (a build of hundreds of articles would otherwise end with pages of them).
SHOWN = 12


def _print_details(out_dir: Path, built: list[Outcome]) -> None:
    from flows.report.summary import messages_of

    warnings = [f"  {source}: {text}" for source, text in messages_of(built)]
    for line in warnings[:SHOWN]:
        print(line, file=sys.stderr)
    if len(warnings) > SHOWN:
        print(f"  … and {len(warnings) - SHOWN} more warning(s): see {out_dir / 'report.html'}",
              file=sys.stderr)  # fmt: skip
    booklets = [item for item in built if item.booklet]
    for item in booklets[:SHOWN]:
        booklet = out_dir / item.outputs["booklet"]
        print(f"To print {booklet}: {item.booklet}", file=sys.stderr)
    if len(booklets) > SHOWN:
        print(f"How to print the {len(booklets) - SHOWN} other booklets: see "
              f"{out_dir / 'report.html'}", file=sys.stderr)  # fmt: skip


def cmd_fetch(args: argparse.Namespace) -> int:
    raw_dir = Path(args.raw)
    if not raw_dir.is_dir():
        raise PamphleteerError(f"{args.raw}: no such folder of raw texts")
    settings_file = project_file(args.settings, raw_dir, "pamphleteer.yaml")
    limits = load_limits(settings_file) if settings_file else Limits()
    from flows.fetch import feeds
    from flows.fetch import pages as sources

    found = sources.sources(raw_dir)
    listed = feeds.sources_file(raw_dir).is_file()
    if not found.pages and not found.failed and not listed:
        print(f"No sidecar in {raw_dir} names a page to fetch (source_url), and there is no "
              f"{feeds.SOURCES_FILE} beside it", file=sys.stderr)  # fmt: skip
        return 0
    if found.pages or listed:
        if not args.verbose:
            _quiet_prefect()
        with ExitStack() as stack:
            server = _PrefectServer(stack, args.temporary_server, limits)
            server.start()
            server.wait()
            from flows.prefect.fetch import fetch_sources  # Prefect configures its loggers here

            if not args.verbose:
                # A page that failed has its line below: Prefect's traceback of it on the
                # console is noise (its server still gets the task runs' logs).
                logging.getLogger("prefect.task_runs").propagate = False
            try:
                results = fetch_sources(raw_dir, limits=limits, interval=args.interval)
            except RuntimeError as exc:
                server.failed(exc)
                raise
    else:  # nothing to download: no Prefect to start
        results = list(found.failed)
    for r in results:
        if r.url:
            why = f": {r.reason}" if r.reason else ""
            print(f"{r.status:<12} {r.stem} <- {r.url}{why}", file=sys.stderr)
        else:  # a sidecar with no address to fetch: the reason names it
            print(f"{r.status:<12} {r.reason}", file=sys.stderr)
    kept = sum(r.status in ("kept", "failed") for r in results)
    print(f"{len(results)} source(s), {kept} not refreshed", file=sys.stderr)
    return 1 if kept else 0


def cmd_add(args: argparse.Namespace) -> int:
    import asyncio

    from flows.fetch.add import add

    raw_dir = Path(args.raw)
    if not raw_dir.is_dir():
        raise PamphleteerError(f"{args.raw}: no such folder of raw texts")
    settings_file = project_file(args.settings, raw_dir, "pamphleteer.yaml")
    limits = load_limits(settings_file) if settings_file else Limits()
    results = asyncio.run(add(raw_dir, args.urls, limits, args.interval))
    for r in results:
        print(r.line(), file=sys.stderr)
    added = sum(r.status == "added" for r in results)
    print(f"{added} of {len(results)} page(s) added to {raw_dir}", file=sys.stderr)
    return 0 if added == len(results) else 1


def _serve_http(args: argparse.Namespace) -> Any:
    """The HTTP server of ``serve --http``, started (None without the option)."""
    if not args.http:
        return None
    from flows.report import publish

    host, port = publish.parse_address(args.http)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)  # a first scheduled run fills it
    server = publish.start(out, host, port)
    url = publish.url_of(server)
    print(f"Serving {out} at {url} (OPDS catalogue: {url}opds.xml)", file=sys.stderr, flush=True)
    return server


def cmd_serve(args: argparse.Namespace) -> int:
    if not args.cron and not args.interval and args.http:
        server = _serve_http(args)  # only the files: no schedule, no Prefect
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass
        finally:
            server.shutdown()
        return 0
    if not args.cron and not args.interval:
        raise PamphleteerError(
            "serve needs --cron EXPRESSION or --interval SECONDS (or --http HOST:PORT)"
        )
    if args.interval is not None and args.interval <= 0:
        raise PamphleteerError(f"--interval {args.interval:g}: expected a number of seconds > 0")
    if not Path(args.raw).is_dir():
        raise PamphleteerError(f"{args.raw}: no such folder of raw texts")
    settings = _settings(args)  # check formats, templates and settings before anything starts
    _editions(args, settings.limits)
    if not args.verbose:
        _quiet_prefect()
    from flows.prefect.serve import check_cron, serve

    if args.cron:
        check_cron(args.cron)

    def absolute(path: str | None) -> str | None:
        return str(Path(path).resolve()) if path else None

    parameters = {
        "raw": absolute(args.raw),
        "out": absolute(args.out),
        "formats": args.formats,
        "templates": absolute(args.templates),
        "settings": absolute(args.settings),
        "editions": absolute(args.editions),
        "check": not args.no_check,
        "keep_comments": args.keep_comments,
        "images": args.images,
        "fetch": not args.no_fetch,
    }
    from flows.lifeline import guarded_service

    with ExitStack() as stack:
        if http := _serve_http(args):
            stack.callback(http.shutdown)
        server = _PrefectServer(stack, False, settings.limits)
        server.start()  # serve holds the project's server (its lease) until it stops
        server.wait()
        with guarded_service():  # its flow runs end with it, even killed
            serve(parameters, args.cron, args.interval)
    return 0


def cmd_server(args: argparse.Namespace) -> int:
    """``pamphleteer server status|stop``: the project's resident Prefect server."""
    home = prefect_env.home()
    configured = os.environ.get("PREFECT_API_URL")
    from flows.validate import resident as checker

    if args.action == "stop":
        stopped = resident.stop(home)
        print(
            f"Stopped Prefect's server of {home.parent} (pid {stopped.pid})"
            if stopped
            else f"No Prefect server of {home.parent} was running",
            file=sys.stderr,
        )
        if stopped_checker := checker.stop(home):
            print(f"Stopped the resident EPUBCheck of {home.parent} (pid {stopped_checker.pid})",
                  file=sys.stderr)  # fmt: skip
        if stopped_warm := warm.stop(home):
            print(f"Stopped the warm command of {home.parent} (pid {stopped_warm.pid})",
                  file=sys.stderr)  # fmt: skip
        return 0
    record = resident.read_record(home)
    if record is not None and resident.answers(record):
        up = (time.time() - record.started) / 60
        print(
            f"Prefect's server of {home.parent}: running at {record.ui} (pid {record.pid}, "
            f"Prefect {record.prefect}, up {up:.0f} min; stops after {record.idle_minutes:g} "
            f"min idle); log: {home / resident.LOG}",
            file=sys.stderr,
        )
    else:
        print(f"Prefect's server of {home.parent}: not running (a build starts it)",
              file=sys.stderr)  # fmt: skip
    if configured:
        print(f"PREFECT_API_URL is set: builds use {configured} instead", file=sys.stderr)
    found = checker.read_record(home)
    if found is not None and found.ours():
        print(f"The resident EPUBCheck of {home.parent}: running (pid {found.pid}; stops after "
              f"{found.idle_minutes:g} min idle); log: {home / checker.LOG}",
              file=sys.stderr)  # fmt: skip
    if (ready := warm.read_record(home)) is not None and ready.ours():
        print(f"The warm command of {home.parent}: running (pid {ready.pid}; stops after "
              f"{ready.idle_minutes:g} min idle); log: {home / warm.LOG}",
              file=sys.stderr)  # fmt: skip
    return 0


def _project_options(p: argparse.ArgumentParser) -> None:
    """What a build reads and writes: the options `build` and `serve` share."""
    p.add_argument("--raw", default="raw", help="folder of scraped texts (default: raw)")
    p.add_argument("--out", default="build", help="output folder (default: build)")
    p.add_argument("--formats", default=",".join(FORMATS), help="comma-separated: html,epub,pdf")
    p.add_argument("--templates", help="folder of your own templates, searched before ours")
    p.add_argument("--settings", help="press settings (default: pamphleteer.yaml beside raw/)")
    p.add_argument("--editions", help="anthologies (default: editions.yaml beside raw/)")
    p.add_argument("--no-check", action="store_true",
                   help="skip EPUBCheck (one JVM for the build, a tenth of a second per EPUB "
                        "once warm) for a quick build")  # fmt: skip


def _cleaning_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--keep-comments",
        action="store_true",
        help="keep reader comments, as a final 'Responses' section (default: cut them)",
    )
    p.add_argument(
        "--images", action="store_true", help="keep a page's images (default: text only)"
    )


class _Version(argparse.Action):
    """``--version``: the version is looked up only when asked for."""

    def __call__(self, parser: argparse.ArgumentParser, *_: object) -> None:
        from flows import __version__

        parser.exit(message=f"pamphleteer {__version__}\n")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="pamphleteer", description="Turn scraped articles into HTML, EPUB and PDF editions."
    )
    p.add_argument("--version", action=_Version, nargs=0, help="show the version and exit")
    sub = p.add_subparsers(dest="command", required=True)

    b = sub.add_parser("build", help="build the editions of every text in raw/")
    _project_options(b)
    b.add_argument("--force", action="store_true", help="rebuild everything, changed or not")
    b.add_argument("--dask-address", help="run on an existing Dask cluster (tcp://host:port)")
    b.add_argument("-v", "--verbose", action="store_true", help="show Prefect's own logs")
    _server_option(b)
    _cleaning_options(b)
    b.set_defaults(func=cmd_build, parser=b)

    f = sub.add_parser("fetch", help="refresh the pages sidecars name (source_url) into raw/")
    f.add_argument("--raw", default="raw", help="folder of scraped texts (default: raw)")
    f.add_argument("--interval", type=float, default=1.0, help="seconds between requests to a host")
    f.add_argument("--settings", help="limits (default: pamphleteer.yaml beside raw/)")
    f.add_argument("-v", "--verbose", action="store_true", help="show Prefect's own logs")
    _server_option(f)
    f.set_defaults(func=cmd_fetch, parser=f)

    s = sub.add_parser("serve", help="fetch and rebuild on a schedule (a Prefect deployment)")
    s.add_argument("--cron", help='when to run, e.g. "0 3 * * *" (03:00 every day)')
    s.add_argument("--interval", type=float, help="or: run every SECONDS")
    _project_options(s)
    s.add_argument("--no-fetch", action="store_true", help="rebuild only; do not refresh sources")
    s.add_argument("--http", metavar="HOST:PORT",
                   help="also serve the output folder over HTTP, e.g. 127.0.0.1:8000 (alone: "
                        "only that)")  # fmt: skip
    s.add_argument("-v", "--verbose", action="store_true", help="show Prefect's own logs")
    _cleaning_options(s)
    s.set_defaults(func=cmd_serve, parser=s)

    a = sub.add_parser("add", help="save web pages into raw/, each with a sidecar to review")
    a.add_argument("urls", nargs="+", metavar="URL")
    a.add_argument("--raw", default="raw", help="folder of scraped texts (default: raw)")
    a.add_argument("--interval", type=float, default=1.0, help="seconds between requests to a host")
    a.add_argument("--settings", help="limits (default: pamphleteer.yaml beside raw/)")
    a.set_defaults(func=cmd_add, parser=a)

    c = sub.add_parser("clean", help="print the cleaned Markdown of files (no Prefect)")
    c.add_argument("files", nargs="+", metavar="FILE")
    c.add_argument("--out", help="write DIR/<stem>.md for each file instead of printing")
    _cleaning_options(c)
    c.set_defaults(func=cmd_clean, parser=c)

    r = sub.add_parser(
        "server",
        help="the project's Prefect server and EPUBCheck, which builds start and reuse "
        "(status, stop)",
    )
    r.add_argument("action", choices=["status", "stop"])
    r.add_argument("--raw", default="raw", help="the project's raw/ (default: raw)")
    r.set_defaults(func=cmd_server, parser=r)
    return p


def _server_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--temporary-server",
        action="store_true",
        help="run Prefect's temporary server in this process (~10 s more) instead of the "
        "project's resident one; leaves no server behind",
    )


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line; an unknown option is shown with its command's usage, not the top's."""
    args, extra = parser().parse_known_args(argv)
    if extra:
        args.parser.error(f"unrecognized arguments: {' '.join(extra)}")
    return args


def main(argv: list[str] | None = None, hand_over: bool = True) -> int:
    """The command; a build runs in the project's warm command when one fits (``hand_over``),
    else here, and then starts one for the next builds (:mod:`flows.cli.warm`)."""
    argv = sys.argv[1:] if argv is None else argv
    args = parse(argv)
    if hasattr(args, "raw"):  # build, fetch, serve, server: Prefect's state in the project
        use_project_state(Path(args.raw).resolve().parent)
    warm_build = args.command == "build" and not args.temporary_server
    if args.command == "build" and not args.verbose:
        _quiet_prefect()  # before the warm command's identity: its builds' Prefect settings
    try:
        if warm_build and hand_over:
            code = warm.hand_over(prefect_env.home(), argv)
            if code is not None:
                return code
        code = args.func(args)
        if warm_build and hand_over:
            _start_warm()
        return code
    except PamphleteerError as exc:
        _err(str(exc))
        return 2
    except KeyboardInterrupt:
        _err("interrupted")
        return 130


def _start_warm() -> None:
    """Start the project's warm command for the next builds; it stops after the idle time of
    the project's server. A build that could not start it has still built."""
    home = prefect_env.home()
    record = resident.read_record(home)
    idle = record.idle_minutes if record is not None else Limits.server_idle_minutes
    try:
        warm.start(home, idle)
    except OSError as exc:
        _err(f"the warm command did not start ({exc}): the next build starts Prefect itself")


def finish(code: int) -> int:
    """What the interpreter does at exit, but tearing it down: the command's threads joined, its
    exit handlers run (Prefect's last events and logs sent), its streams flushed. The caller
    then ends the process with ``os._exit``: freeing Prefect's thousands of objects one by one
    is a noticeable part of a one-document build (figures in docs/engine.md)."""
    threading._shutdown()  # type: ignore[attr-defined]
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with suppress(OSError, ValueError):  # a pipe closed by its reader
            stream.flush()
    return code


def run() -> None:
    """The console script."""
    os._exit(finish(main()))


if __name__ == "__main__":
    run()
