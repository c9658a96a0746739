"""The ``pamphleteer`` command.

``pamphleteer build`` runs the Prefect flow over ``raw/``; ``pamphleteer clean`` prints what the
first two stages make of single files (no Prefect involved, so it answers at once).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from flows.model import PamphleteerError
from flows.settings import FORMATS, Press, Settings, load_press, parse_formats


def _err(message: str) -> None:
    print(f"pamphleteer: {message}", file=sys.stderr)


def cmd_clean(args: argparse.Namespace) -> int:
    from flows.pipeline import cleaned_markdown, prepare
    from flows.read import stem
    from flows.render import write_atomic

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


def _project_file(given: str | None, raw_dir: Path, default: str) -> Path | None:
    """A project file given on the command line (it must exist), else the one beside raw/."""
    if given:
        if not Path(given).is_file():
            raise PamphleteerError(f"{given}: no such file")
        return Path(given)
    beside = raw_dir.resolve().parent / default
    return beside if beside.is_file() else None


def cmd_build(args: argparse.Namespace) -> int:
    from flows.anthology import load_editions

    raw_dir, out_dir = Path(args.raw), Path(args.out)
    settings_file = _project_file(args.settings, raw_dir, "pamphleteer.yaml")
    press = load_press(settings_file) if settings_file else Press()
    settings = Settings(
        formats=parse_formats(args.formats),
        press=press,
        check=not args.no_check,
        keep_comments=args.keep_comments,
        images=args.images,
    )
    settings = settings.with_overrides(Path(args.templates) if args.templates else None)
    editions_file = _project_file(args.editions, raw_dir, "editions.yaml")
    editions = load_editions(editions_file, raw_dir) if editions_file else []
    if not args.verbose:
        os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    started = time.perf_counter()
    print("Starting Prefect (a temporary server takes about 10 s)…", file=sys.stderr, flush=True)
    from flows.build import Failure, run_build

    def progress(done: int, total: int, item: object) -> None:
        if isinstance(item, Failure):
            line = f"FAILED {item.label}: {item.reason}"
        else:
            notes = f"{item.report.notes_linked}/{item.report.notes_found} notes"
            warn = f", {len(item.report.warnings)} warning(s)" if item.report.warnings else ""
            checks = "".join(f"; {c.summary()}" for c in item.checks.values())
            line = f"ok     {item.label} -> {out_dir / item.slug}/ ({notes}{warn}{checks})"
        print(f"[{done}/{total}] {line}", file=sys.stderr, flush=True)

    summary = run_build(raw_dir, out_dir, settings, progress, editions)
    report = {
        "documents": [r.to_dict() for r in summary.results],
        "failures": [
            {
                "source": f.source.name,
                **({"edition": f.edition} if f.edition else {}),
                "reason": f.reason,
            }
            for f in summary.failures
        ],  # fmt: skip
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    from flows.render import write_atomic

    write_atomic(out_dir / "report.json", json.dumps(report, indent=2).encode() + b"\n")
    from flows.index import entries_from_results, render_index

    index = render_index(entries_from_results(summary.results, out_dir), settings)
    write_atomic(out_dir / "index.html", index.encode())
    elapsed = time.perf_counter() - started
    anthologies = sum(1 for r in summary.results if r.edition)
    print(
        f"Built {len(summary.results) - anthologies} document(s) and {anthologies} "
        f"{'anthology' if anthologies == 1 else 'anthologies'}, {len(summary.failures)} failed, "
        f"in {elapsed:.1f} s. Index: {out_dir / 'index.html'}; report: {out_dir / 'report.json'}",
        file=sys.stderr,
    )
    for result in summary.results:
        for message in result.report.warnings:
            print(f"  {result.label}: {message}", file=sys.stderr)
    for result in summary.results:
        if result.printing:
            booklet = result.outputs["booklet"]
            print(f"To print {booklet}: {result.printing}", file=sys.stderr)
    return 0 if summary.ok else 1


def _cleaning_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--keep-comments",
        action="store_true",
        help="keep reader comments, as a final 'Responses' section (default: cut them)",
    )
    p.add_argument(
        "--images", action="store_true", help="keep a page's images (default: text only)"
    )


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
    b.add_argument("--settings", help="press settings (default: pamphleteer.yaml beside raw/)")
    b.add_argument("--editions", help="anthologies (default: editions.yaml beside raw/)")
    b.add_argument("--no-check", action="store_true",
                   help="skip EPUBCheck (about 5 s per document) for a quick build")  # fmt: skip
    b.add_argument("-v", "--verbose", action="store_true", help="show Prefect's own logs")
    _cleaning_options(b)
    b.set_defaults(func=cmd_build)

    c = sub.add_parser("clean", help="print the cleaned Markdown of files (no Prefect)")
    c.add_argument("files", nargs="+", metavar="FILE")
    c.add_argument("--out", help="write DIR/<stem>.md for each file instead of printing")
    _cleaning_options(c)
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
