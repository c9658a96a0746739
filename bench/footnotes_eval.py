"""How well footnotes come out on real pages: linked at the right words where the page has notes,
and none made up where it has not.

    .venv/bin/python bench/footnotes_eval.py ../shared/corpus [--text]

Every corpus page goes through pamphleteer's read → clean → footnotes stages (as the HTML it was
crawled as; with --text, its gold body text as a text scrape instead). Printed:
- per probe page of footnotes.jsonl: markers linked at the right words / expected (to the note
  of their number, or to a note of the same text), notes linked;
- over all other pages: how many notes pamphleteer made (target 0), and on which pages.
Nothing here is asserted; the figures are for reading. The corpus is never copied into the repo.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
import tempfile
import time
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flows.build.pipeline import prepare  # noqa: E402
from flows.markdown import to_plain  # noqa: E402
from flows.model import PamphleteerError  # noqa: E402

_QUOTES = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'", "\u00ad": None})


def normalise(text: str) -> str:
    """As footnotes.jsonl normalises ``left``: whitespace collapsed, soft hyphens out, quotes
    straight."""
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES)
    return " ".join(text.split())


def linked_notes(body: str) -> list[tuple[str, str, str]]:
    """(note number, text before the marker, the note's text) per linked marker, in order.

    Both texts are what a reader sees (markup, link targets and escapes removed), with earlier
    markers shown as ``[n]``, as footnotes.jsonl writes them in ``left``.
    """
    definitions: dict[str, str] = {}
    text_blocks: list[str] = []
    last = None
    for block in body.split("\n\n"):
        if m := re.match(r"\[\^([\w-]+)\]: (.*)", block, re.S):
            last = m[1]
            definitions[last] = normalise(to_plain(m[2]))
        elif last is not None and block.startswith("    "):
            continue  # a further paragraph of the note
        else:
            text_blocks.append(block)
    marked = re.sub(r"\[\^([\w-]+)\]", lambda m: f"\u27e6{m[1]}\u27e7", "\n\n".join(text_blocks))
    plain = normalise(to_plain(marked))
    found = []
    for m in re.finditer("\u27e6([\\w-]+)\u27e7", plain):
        before = re.sub("\u27e6(?:\\w+-)?(\\d+)\u27e7", r"[\1]", plain[: m.start()])
        found.append((m[1].split("-")[-1], before, definitions.get(m[1], "")))
    return found


def _start(text: str) -> str:
    """A note's expected first words; a back-link arrow the probe copied is not note text."""
    return normalise(text.replace("↩", "").replace("\ufe0e", ""))


def _begins(text: str, k: int, start: str) -> bool:
    """Note ``k``'s text begins as the probe says. A probe copies the start of the paragraph the
    note is in; where the note's label comes later in it ("Brilliant, eh? 1) You could…"), the
    note begins after its label."""
    start = _start(start)
    label = re.search(rf"(?:^|\s)\(?{k}[).]\s+", start)
    return text.startswith(start) or bool(label and text.startswith(start[label.end() :]))


def _opens(probe: dict, expected: str, n: str, text: str) -> bool:
    """A marker opens the note the page meant: note ``expected``, or one with the same text (a
    page that numbered two identical notes 9 and 10 but pointed both markers at 9)."""
    if n == expected:
        return True
    k = int(expected) if expected.isdigit() else 0
    return 0 < k <= len(probe["notes"]) and text.startswith(_start(probe["notes"][k - 1]["start"]))


def source_file(corpus: Path, page: dict, folder: Path, as_text: bool) -> Path:
    if as_text:
        path = folder / f"{page['id']}.txt"
        path.write_text((corpus / page["body"]).read_text(encoding="utf-8"), encoding="utf-8")
    else:
        path = folder / f"{page['id']}.html"
        path.write_bytes(gzip.decompress((corpus / page["html"]).read_bytes()))
    return path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--text", action="store_true", help="use the gold texts as text scrapes")
    args = parser.parse_args()
    corpus: Path = args.corpus
    pages = [json.loads(line) for line in (corpus / "manifest.jsonl").open()]
    probes = {p["id"]: p for p in map(json.loads, (corpus / "footnotes.jsonl").open())}
    by_id = {p["id"]: p for p in pages}
    for pid, probe in probes.items():
        by_id.setdefault(pid, probe)

    made_up: dict[str, int] = {}
    failures: dict[str, str] = {}
    rows = []
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        for pid, page in by_id.items():
            if args.text and "body" not in page:
                continue  # probe pages outside the manifest have no gold text
            try:
                doc = prepare(source_file(corpus, page, Path(tmp), args.text))
            except PamphleteerError as exc:
                failures[pid] = str(exc)
                continue
            found = linked_notes(doc.body)
            if pid not in probes:
                if found:
                    made_up[pid] = len(found)
                continue
            probe = probes[pid]
            right = sum(
                1
                for marker in probe["markers"]
                if any(
                    _opens(probe, marker["n"], n, text)
                    and before.endswith(normalise(marker["left"]))
                    for n, before, text in found
                )  # fmt: skip
            )
            notes_ok = sum(
                1
                for k, note in enumerate(probe["notes"], start=1)
                if any(n == str(k) and _begins(text, k, note["start"]) for n, _, text in found)
            )
            rows.append((pid, probe["style"], right, len(probe["markers"]), notes_ok,
                         len(probe["notes"]), len(found)))  # fmt: skip
    seconds = time.perf_counter() - start

    mode = "gold texts as text scrapes" if args.text else "crawled HTML"
    print(f"Footnotes over {len(by_id)} corpus pages ({mode}), {seconds:.1f} s\n")
    print(f"{'probe page':<34}{'markers at word':>16}{'notes linked':>14}{'made':>6}  style")
    total = [0, 0, 0, 0]
    for pid, style, right, markers, notes_ok, notes, made in rows:
        total = [total[0] + right, total[1] + markers, total[2] + notes_ok, total[3] + notes]
        print(
            f"{pid[:33]:<34}{right:>8}/{markers:<7}{notes_ok:>7}/{notes:<6}{made:>6}  {style[:60]}"
        )
    print(f"{'all probe pages':<34}{total[0]:>8}/{total[1]:<7}{total[2]:>7}/{total[3]:<6}")
    others = len(by_id) - len(probes) - len(failures)
    print(f"\nNotes made on the {others} pages without footnotes: {sum(made_up.values())} "
          f"(on {len(made_up)} pages; target 0)")  # fmt: skip
    for pid, count in sorted(made_up.items()):
        print(f"  {pid}: {count}")
    if failures:
        print(f"\n{len(failures)} page(s) failed to read or clean:")
        for pid, reason in list(failures.items())[:20]:
            print(f"  {pid}: {reason[:120]}")


if __name__ == "__main__":
    main()
