"""The ``pamphleteer`` command.

``pamphleteer build`` runs the Prefect flow over ``raw/``; ``pamphleteer clean`` prints what the
first two stages make of single files (no Prefect involved, so it answers at once).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

from flows.model import PamphleteerError
from flows.settings import FORMATS, Settings, parse_formats


def _err(message: str) -> None:
    print(f"pamphleteer: {message}", file=sys.stderr)


def cmd_clean(args: argparse.Namespace) -> int:
    from flows.pipeline import cleaned_markdown, prepare
    from flows.render import write_atomic

    failed = 0
    for name in args.files:
        path = Path(name)
        try:
            doc = prepare(path)
        except PamphleteerError as exc:
            _err(str(exc) if str(exc).startswith(path.name) else f"{path}: {exc}")
            failed += 1
            continue
        text = cleaned_markdown(doc)
        if args.out:
            target = Path(args.out) / f"{path.stem}.md"
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
    settings = Settings(formats=parse_formats(args.formats))
    return settings.with_overrides(Path(args.templates) if args.templates else None)


def _progress_line(out_dir: Path, item: dict[str, Any]) -> str:
    if item["status"] == "failed":
        return f"FAILED {item['source']}: {item['reason']}"
    notes = f"{item['notes']['linked']}/{item['notes']['found']} notes"
    warnings = [m for m in item.get("messages", []) if m.get("level") != "info"]
    warn = f", {len(warnings)} warning(s)" if warnings else ""
    return f"ok     {item['source']} -> {out_dir / item['slug']}/ ({notes}{warn})"


def cmd_build(args: argparse.Namespace) -> int:
    from flows import cache

    # Absolute: Dask workers may run elsewhere (with the same shared paths).
    raw_dir, out_dir = Path(args.raw).resolve(), Path(args.out).resolve()
    settings = _settings(args)
    started = time.perf_counter()
    # Decided before Prefect starts: with nothing to do, answer in milliseconds.
    plan = cache.plan(cache.document_units(raw_dir), out_dir, settings, args.force)
    if plan.nothing_to_do and (out_dir / "report.json").is_file():
        failed = [e for e in plan.fresh if e.result.get("status") == "failed"]
        print(
            f"Nothing to do: {len(plan.fresh)} document(s) up to date in {out_dir} "
            f"({(time.perf_counter() - started) * 1000:.0f} ms). --force rebuilds them.",
            file=sys.stderr,
        )
        for entry in failed:
            print(f"  still failing: {entry.result['reason']}", file=sys.stderr)
        return 1 if failed else 0
    if not args.verbose:
        os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    server = os.environ.get("PREFECT_API_URL") or "a temporary server (about 10 s to start)"
    print(
        f"{len(plan.stale)} to build, {len(plan.fresh)} up to date, {len(plan.orphans)} to remove. "
        f"Starting Prefect with {server}…",
        file=sys.stderr,
        flush=True,
    )
    from flows.build import run_build

    def progress(done: int, total: int, item: dict[str, Any]) -> None:
        print(f"[{done}/{total}] {_progress_line(out_dir, item)}", file=sys.stderr, flush=True)

    report = run_build(raw_dir, out_dir, settings, args.force, progress, args.dask_address)
    c = report.counts
    print(
        f"Built {c['built']} document(s), {c['failed']} failed, {c['unchanged']} unchanged, "
        f"{c['removed']} removed, in {time.perf_counter() - started:.1f} s. "
        f"Report: {out_dir / 'report.json'}, {out_dir / 'report.html'}",
        file=sys.stderr,
    )
    for item in report.of("built"):
        for m in item.get("messages", []):
            if m.get("level") != "info":
                print(f"  {item['source']}: {m['code']} {m['text']}", file=sys.stderr)
    return 0 if report.ok else 1


def cmd_fetch(args: argparse.Namespace) -> int:
    if not args.verbose:
        os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    from flows.fetch import fetch_sources

    results = fetch_sources(Path(args.raw), interval=args.interval)
    for r in results:
        why = f": {r.reason}" if r.reason else ""
        print(f"{r.status:<12} {r.stem} <- {r.url}{why}", file=sys.stderr)
    kept = sum(r.status == "kept" for r in results)
    print(f"{len(results)} source(s), {kept} not refreshed", file=sys.stderr)
    return 1 if kept else 0


def cmd_serve(args: argparse.Namespace) -> int:
    if not args.cron and not args.interval:
        raise PamphleteerError("serve needs --cron EXPRESSION or --interval SECONDS")
    _settings(args)  # check formats and templates before anything starts
    from flows.serve import serve

    parameters = {
        "raw": str(Path(args.raw).resolve()),
        "out": str(Path(args.out).resolve()),
        "formats": args.formats,
        "templates": str(Path(args.templates).resolve()) if args.templates else None,
        "fetch": not args.no_fetch,
    }
    serve(parameters, args.cron, args.interval)
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="pamphleteer", description="Turn scraped articles into HTML, EPUB and PDF editions."
    )
    sub = p.add_subparsers(dest="command", required=True)

    b = sub.add_parser("build", help="build the editions of every text in raw/")
    b.add_argument("--raw", default="raw", help="folder of scraped texts (default: raw)")
    b.add_argument("--out", default="build", help="output folder (default: build)")
    b.add_argument("--formats", default=",".join(FORMATS), help="comma-separated: html,epub,pdf")
    b.add_argument("--templates", help="folder of your own templates, searched before ours")
    b.add_argument("--force", action="store_true", help="rebuild everything, changed or not")
    b.add_argument("--dask-address", help="run on an existing Dask cluster (tcp://host:port)")
    b.add_argument("-v", "--verbose", action="store_true", help="show Prefect's own logs")
    b.set_defaults(func=cmd_build)

    f = sub.add_parser("fetch", help="refresh the pages sidecars name (source_url) into raw/")
    f.add_argument("--raw", default="raw", help="folder of scraped texts (default: raw)")
    f.add_argument("--interval", type=float, default=1.0, help="seconds between requests to a host")
    f.add_argument("-v", "--verbose", action="store_true", help="show Prefect's own logs")
    f.set_defaults(func=cmd_fetch)

    s = sub.add_parser("serve", help="fetch and rebuild on a schedule (a Prefect deployment)")
    s.add_argument("--cron", help='when to run, e.g. "0 3 * * *" (03:00 every day)')
    s.add_argument("--interval", type=float, help="or: run every SECONDS")
    s.add_argument("--raw", default="raw", help="folder of scraped texts (default: raw)")
    s.add_argument("--out", default="build", help="output folder (default: build)")
    s.add_argument("--formats", default=",".join(FORMATS), help="comma-separated: html,epub,pdf")
    s.add_argument("--templates", help="folder of your own templates, searched before ours")
    s.add_argument("--no-fetch", action="store_true", help="rebuild only; do not refresh sources")
    s.set_defaults(func=cmd_serve)

    c = sub.add_parser("clean", help="print the cleaned Markdown of files (no Prefect)")
    c.add_argument("files", nargs="+", metavar="FILE")
    c.add_argument("--out", help="write DIR/<stem>.md for each file instead of printing")
    c.set_defaults(func=cmd_clean)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except PamphleteerError as exc:
        _err(str(exc))
        return 2
    except KeyboardInterrupt:
        _err("interrupted")
        return 130


if __name__ == "__main__":
    sys.exit(main())
