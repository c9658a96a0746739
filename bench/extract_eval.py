"""How well the HTML cleaner finds the article, against trafilatura and readability-lxml.

    .venv/bin/python bench/extract_eval.py ../shared/corpus [--split dev] [--only pamphleteer]
                                                             [--limit N] [--worst N]

For each split of the corpus (read its README) and each extractor: token precision, recall and
F1 and the comment leak, scored as the corpus README defines them, and pages per second (the
extractor alone, from the page's bytes to its text). Then the footnote probes: how many markers
and notes survive cleaning. Nothing here is asserted: the figures are printed.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
import time
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flows.clean.html.extract import html_to_markdown  # noqa: E402
from flows.markdown import to_plain  # noqa: E402
from flows.read.decode import decode_html  # noqa: E402
from flows.settings import Settings  # noqa: E402

Extractor = Callable[[bytes, str], str]  # (page bytes, manifest codec) -> text
_TOKEN = re.compile(r"\w+")


def pamphleteer(data: bytes, codec: str) -> str:
    markdown = html_to_markdown(decode_html(data, "page.html"), Settings())
    return f"{markdown.meta.get('title', '')}\n{to_plain(markdown.body)}"


def pamphleteer_body(data: bytes, codec: str) -> str:
    return to_plain(html_to_markdown(decode_html(data, "page.html"), Settings()).body)


def trafilatura_(data: bytes, codec: str) -> str:
    import trafilatura

    return trafilatura.extract(data, favor_precision=True, include_comments=False) or ""


def readability_(data: bytes, codec: str) -> str:
    from lxml import html as lxml_html
    from readability import Document

    summary = Document(data.decode(codec, errors="replace")).summary(html_partial=True)
    return lxml_html.fromstring(summary).text_content() if summary.strip() else ""


EXTRACTORS: dict[str, Extractor] = {
    "pamphleteer": pamphleteer,
    "pamphleteer (body only)": pamphleteer_body,
    "trafilatura": trafilatura_,
    "readability": readability_,
}


# -- scoring (the corpus README) ----------------------------------------------------------------


def tokens(text: str) -> Counter[str]:
    return Counter(_TOKEN.findall(text.lower()))


@dataclass
class Score:
    tp_fp_fn: list[tuple[float, float, float]] = field(default_factory=list)
    nonempty_pred: list[bool] = field(default_factory=list)
    nonempty_gold: list[bool] = field(default_factory=list)
    leaks: list[float] = field(default_factory=list)
    seconds: float = 0.0

    def add(self, pred: str, gold: str, comments: str | None) -> None:
        p, g = tokens(pred), tokens(gold)
        tp = sum((p & g).values())
        fp = sum((p - g).values())
        fn = sum((g - p).values())
        total = tp + fp + fn
        self.tp_fp_fn.append((tp / total, fp / total, fn / total) if total else (0, 0, 0))
        self.nonempty_pred.append(bool(p))
        self.nonempty_gold.append(bool(g))
        if comments is not None:
            c = tokens(comments)
            if c:
                self.leaks.append(sum(((p - g) & c).values()) / sum(c.values()))

    def figures(self) -> tuple[float, float, float, float]:
        ps = [
            tp / (tp + fp)
            for (tp, fp, _), ok in zip(self.tp_fp_fn, self.nonempty_pred, strict=True)
            if ok
        ]
        rs = [
            tp / (tp + fn)
            for (tp, _, fn), ok in zip(self.tp_fp_fn, self.nonempty_gold, strict=True)
            if ok
        ]
        precision = sum(ps) / len(ps) if ps else 0.0
        recall = sum(rs) / len(rs) if rs else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        leak = sum(self.leaks) / len(self.leaks) if self.leaks else 0.0
        return precision, recall, f1, leak


# -- footnote probes ------------------------------------------------------------------------------

_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "‘": "'", "’": "'", "«": '"', "»": '"'})


def normalise(text: str) -> str:
    text = unicodedata.normalize("NFC", text).replace("\u00ad", "").translate(_QUOTES)
    return re.sub(r"\s+", " ", text)


def probe(text: str, page: dict) -> tuple[int, int, int, int, list[str]]:
    out = normalise(text)
    missing: list[str] = []
    markers = 0
    for m in page["markers"]:
        n = re.escape(m["n"])
        pattern = re.escape(normalise(m["left"])) + rf"(?:\[{n}\]|\({n}\)|{n})(?!\d)"
        if re.search(pattern, out):
            markers += 1
        else:
            missing.append(f"marker {m['n']} after {m['left']!r}")
    notes = 0
    for note in page["notes"]:
        # A back-link arrow the probe copied with the note's first words is not the note's text:
        # the cleaner drops it (as it must).
        if normalise(note["start"]).replace(" ↩", "").strip() in out:
            notes += 1
        else:
            missing.append(f"note {note['start']!r}")
    return markers, len(page["markers"]), notes, len(page["notes"]), missing


# -- running ---------------------------------------------------------------------------------


def _read(corpus: Path, rel: str | None) -> str | None:
    return (corpus / rel).read_text(encoding="utf-8") if rel else None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("corpus", type=Path)
    ap.add_argument("--split", action="append", choices=["dev", "test"])
    ap.add_argument("--only", action="append", choices=sorted(EXTRACTORS))
    ap.add_argument("--limit", type=int, help="the first N pages of each split")
    ap.add_argument("--worst", type=int, default=0, help="list pamphleteer's N worst pages")
    args = ap.parse_args(argv)
    corpus: Path = args.corpus
    pages = [json.loads(line) for line in (corpus / "manifest.jsonl").open(encoding="utf-8")]
    names = args.only or list(EXTRACTORS)
    splits = args.split or ["dev", "test"]

    print(f"corpus {corpus} · {len(pages)} pages")
    print(f"{'split':5} {'extractor':24} {'pages':>5} {'P':>6} {'R':>6} {'F1':>6} {'leak':>6} "
          f"{'pages/s':>8}")  # fmt: skip
    for split in splits:
        chosen = [p for p in pages if p["split"] == split][: args.limit]
        loaded = [
            (
                p,
                gzip.decompress((corpus / p["html"]).read_bytes()),
                _read(corpus, p["body"]),
                _read(corpus, p["comments"]),
            )  # fmt: skip
            for p in chosen
        ]
        scores = {name: Score() for name in names}
        per_page: list[tuple[float, str]] = []
        for name in names:  # imports and first-call set-up are not what a page costs
            if loaded:
                EXTRACTORS[name](loaded[0][1], loaded[0][0]["encoding"])
        # Page by page, every extractor in turn: a busy machine slows them all alike.
        for page, data, gold, comments in loaded:
            for name in names:
                start = time.perf_counter()
                text = EXTRACTORS[name](data, page["encoding"])
                scores[name].seconds += time.perf_counter() - start
                scores[name].add(text, gold or "", comments)
            tp, fp, fn = scores[names[0]].tp_fp_fn[-1]
            per_page.append((tp, f"{page['id']} P={tp / (tp + fp or 1):.2f} "
                                 f"R={tp / (tp + fn or 1):.2f}"))  # fmt: skip
        for name in names:
            score = scores[name]
            p, r, f1, leak = score.figures()
            rate = len(loaded) / score.seconds if score.seconds else 0.0
            print(f"{split:5} {name:24} {len(loaded):5} {p:6.3f} {r:6.3f} {f1:6.3f} {leak:6.3f} "
                  f"{rate:8.1f}", flush=True)  # fmt: skip
            if args.worst and name == names[0]:
                for _, line in sorted(per_page)[: args.worst]:
                    print("      ", line)

    print("\nfootnote probes (markers kept / notes kept):")
    probes = [json.loads(line) for line in (corpus / "footnotes.jsonl").open(encoding="utf-8")]
    for name in names:
        totals = [0, 0, 0, 0]
        lost: list[str] = []
        for page in probes:
            data = gzip.decompress((corpus / page["html"]).read_bytes())
            found = probe(EXTRACTORS[name](data, page["encoding"]), page)
            totals = [a + b for a, b in zip(totals, found[:4], strict=True)]
            lost += [f"{page['id']}: {m}" for m in found[4]]
        print(f"  {name:24} markers {totals[0]}/{totals[1]}  notes {totals[2]}/{totals[3]}")
        if name.startswith("pamphleteer") and lost:
            for line in lost:
                print("      lost", line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
