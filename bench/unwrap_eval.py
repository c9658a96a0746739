"""How well hard-wrapped text is unwrapped: the corpus's gold paragraphs, wrapped as mail, a
book (first-line indents, no blank lines) and a typeset PDF (words split by hyphens), and as a
browser copies them (not wrapped at all), then read back by the cleaner's splitter.

    .venv/bin/python bench/unwrap_eval.py [--split dev|test] [--corpus ../shared/corpus2]

Prints, per shape: paragraphs found exactly (precision, recall), and line-end hyphens decided
right (a compound keeps its hyphen, a split word is joined). Texts in scripts without spaces
are skipped; nothing is written.
"""

from __future__ import annotations

import argparse
import json
import re
import textwrap
from collections import Counter
from pathlib import Path

from flows.clean.text import split_text
from flows.typography import normalise_spaces

WIDTH = 72
_WORD = re.compile(r"^[^\W\d_]{7,}")


def _wrap(paragraph: str, indent: str = "") -> list[str]:
    return textwrap.wrap(paragraph, WIDTH, initial_indent=indent, break_long_words=False)


def shapes(paragraphs: list[str]) -> dict[str, tuple[str, list[tuple[str, str]]]]:
    """The text in each shape, with the line-end hyphens it has: (what the reader should see,
    'compound' or 'split')."""
    mail_lines: list[str] = []
    hyphens: list[tuple[str, str]] = []
    for p in paragraphs:
        lines = _wrap(p)
        for a, b in zip(lines, lines[1:], strict=False):
            if re.search(r"[^\W\d_]-$", a) and b[:1].isalpha():
                hyphens.append((a.split()[-1] + b.split()[0], "compound"))
        mail_lines += [*lines, ""]
    book = "\n".join(line for p in paragraphs for line in _wrap(p, "    "))
    pdf_lines: list[str] = []
    split_hyphens: list[tuple[str, str]] = []
    for p in paragraphs:
        lines = _wrap(p)
        for k in range(len(lines) - 1):
            if lines[k].endswith("-"):
                continue
            m = _WORD.match(lines[k + 1])
            if m and len(lines[k + 1].split()) > 1:
                word = m[0]
                cut = len(word) // 2
                lines[k] += f" {word[:cut]}-"
                lines[k + 1] = lines[k + 1][cut:]
                split_hyphens.append((word, "split"))
        pdf_lines += [*lines, ""]
    return {
        "browser": ("\n\n".join(paragraphs), []),  # not wrapped: must come back as it is
        "mail": ("\n".join(mail_lines), hyphens),
        "book": (book, []),
        "pdf": ("\n".join(pdf_lines), split_hyphens),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--split", default="dev")
    parser.add_argument(
        "--corpus", default=str(Path(__file__).parent.parent.parent / "shared/corpus2")
    )
    parser.add_argument("--limit", type=int, default=300)
    args = parser.parse_args()
    root = Path(args.corpus)
    pages = [json.loads(line) for line in (root / "manifest.jsonl").open()]
    pages = [
        p for p in pages if p["split"] == args.split and p["lang"] not in ("zh", "ja", "th", "my")
    ]
    totals: dict[str, Counter[str]] = {}
    for page in pages[: args.limit]:
        gold = [normalise_spaces(ln) for ln in (root / page["body"]).read_text().splitlines()]
        gold = [g for g in gold if g]
        if not gold:
            continue
        for shape, (text, hyphens) in shapes(gold).items():
            got = [b.text for b in split_text(text, page["lang"])]
            t = totals.setdefault(shape, Counter())
            matched = sum((Counter(got) & Counter(gold)).values())
            t["matched"] += matched
            t["got"] += len(got)
            t["gold"] += len(gold)
            t["pages"] += 1
            t["pages_exact"] += got == gold
            joined = " ".join(got)
            for word, kind in hyphens:
                t[f"{kind}s"] += 1
                t[f"{kind}s_right"] += (
                    re.search(rf"(?<!\w){re.escape(word)}(?!\w)", joined) is not None
                )
    print(f"{args.split}: {len(pages[: args.limit])} pages, wrapped at {WIDTH}")
    for shape, t in totals.items():
        line = (
            f"{shape:5} paragraphs P {t['matched'] / t['got']:.3f} R {t['matched'] / t['gold']:.3f}"
            f"  pages exact {t['pages_exact']}/{t['pages']}"
        )
        for kind in ("compound", "split"):
            if t[f"{kind}s"]:
                line += f"  {kind}s right {t[f'{kind}s_right']}/{t[f'{kind}s']}"
        print(line)


if __name__ == "__main__":
    main()
