"""How well the HTML cleaner finds the article, against trafilatura and readability-lxml.

    .venv/bin/python bench/extract_eval.py [CORPUS ...] [--split dev|test] [--only NAME]
                                           [--limit N] [--worst N] [--jobs N]

CORPUS defaults to ``../shared/corpus`` and ``../shared/corpus2`` (read their READMEs). For each
corpus and each *source* in it (Dragnet, AEB, CleanEval, Fundus…: their golds follow different
conventions, so they are never pooled), every extractor in the same run: token precision, recall
and F1 as the corpus README defines them; the comment leak where the corpus has comment gold; the
"must contain" snippets found where the manifest gives them (``must_contain``); pages per second
(the extractor alone, from the page's bytes to its text). Then the footnote probes. Nothing here is
asserted: the figures are printed.

The per-source table is :func:`source_table` over :class:`PageScore` rows: another benchmark
(metadata: title, author, date) adds its own :class:`Column` and reuses it.
"""

from __future__ import annotations

import argparse
import gzip
import json
import multiprocessing
import re
import sys
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flows.clean.html.extract import html_to_markdown  # noqa: E402
from flows.markdown import to_plain  # noqa: E402
from flows.read.decode import decode_html  # noqa: E402
from flows.settings import Settings  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPORA = (ROOT.parent / "shared" / "corpus", ROOT.parent / "shared" / "corpus2")

#: (page bytes, manifest codec) -> (title, text): the title apart, for the golds that hold none.
Extractor = Callable[[bytes, str], tuple[str, str]]
_TOKEN = re.compile(r"\w+")
#: Languages whose ``\w+`` runs are whole clauses: scored on characters (corpus2's README).
CHARACTER_LANGS = frozenset({"zh", "ja", "th", "my"})


def pamphleteer(data: bytes, codec: str) -> tuple[str, str]:
    """What a reader of the edition sees: the title; the subtitle (a page's standfirst, when the
    cleaner found it in the page's description), then the body."""
    markdown = html_to_markdown(decode_html(data, "page.html"), Settings())
    subtitle = markdown.meta.get("subtitle", "")
    return markdown.meta.get("title", ""), f"{subtitle}\n{to_plain(markdown.body)}"


def trafilatura_(data: bytes, codec: str) -> tuple[str, str]:
    import trafilatura

    text = trafilatura.extract(data, favor_precision=True, include_comments=False) or ""
    meta = trafilatura.extract_metadata(data)
    return (meta.title or "") if meta else "", text


def readability_(data: bytes, codec: str) -> tuple[str, str]:
    from lxml import html as lxml_html
    from readability import Document

    document = Document(data.decode(codec, errors="replace"))
    summary = document.summary(html_partial=True)
    text = lxml_html.fromstring(summary).text_content() if summary.strip() else ""
    return document.short_title() or "", text


#: Sources whose gold text holds no title (the corpora's READMEs: AEB's ``articleBody``,
#: Fundus's ``body``; newspaper4k's gold is newspaper's ``text``, which has none either). Every
#: extractor's title is scored with the text elsewhere: Dragnet's gold, a copy of the page,
#: "often includes the title and byline", CleanEval's is most of the page.
UNTITLED_GOLD = frozenset({"aeb", "fundus", "newspaper4k"})


def as_scored(title: str, text: str, source: str) -> str:
    return text if source in UNTITLED_GOLD else f"{title}\n{text}"


EXTRACTORS: dict[str, Extractor] = {
    "pamphleteer": pamphleteer,
    "trafilatura": trafilatura_,
    "readability": readability_,
}


# -- scoring (the corpora's READMEs) ------------------------------------------------------------


def tokens(text: str, lang: str = "") -> Counter[str]:
    if lang[:2] in CHARACTER_LANGS:
        return Counter(c for c in text.lower() if not c.isspace())
    return Counter(_TOKEN.findall(text.lower()))


def _squash(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


@dataclass(frozen=True)
class PageScore:
    """One extractor on one page: the token counts, and any other figure a benchmark adds."""

    page: str
    source: str
    extractor: str
    tp: float  # normalised so that tp + fp + fn = 1
    fp: float
    fn: float
    pred_nonempty: bool
    gold_nonempty: bool
    seconds: float = 0.0
    leak: float | None = None  # None: the page has no comment gold
    snippets: float | None = None  # share of "must contain" snippets found; None: none given
    extra: dict[str, float | None] = field(default_factory=dict)  # e.g. "title": 1.0


def score_page(page: dict, extractor: str, pred: str, gold: str, comments: str | None,
               seconds: float = 0.0) -> PageScore:  # fmt: skip
    lang = page.get("lang") or ""
    p, g = tokens(pred, lang), tokens(gold, lang)
    tp = sum((p & g).values())
    fp = sum((p - g).values())
    fn = sum((g - p).values())
    total = tp + fp + fn or 1
    leak = None
    if comments is not None and (c := tokens(comments, lang)):
        leak = sum(((p - g) & c).values()) / sum(c.values())
    snippets = None
    if page.get("must_contain"):
        text = _squash(pred)
        found = [_squash(s) in text for s in page["must_contain"]]
        snippets = sum(found) / len(found)
    return PageScore(page["id"], source_of(page), extractor, tp / total, fp / total, fn / total,
                     bool(p), bool(g), seconds, leak, snippets)  # fmt: skip


def source_of(page: dict) -> str:
    return page.get("source") or page.get("dataset") or "all"


def _mean(values: Iterable[float]) -> float | None:
    values = list(values)
    return sum(values) / len(values) if values else None


def precision(rows: list[PageScore]) -> float | None:
    return _mean(r.tp / (r.tp + r.fp) for r in rows if r.pred_nonempty)


def recall(rows: list[PageScore]) -> float | None:
    return _mean(r.tp / (r.tp + r.fn) for r in rows if r.gold_nonempty)


def f1(rows: list[PageScore]) -> float | None:
    p, r = precision(rows) or 0.0, recall(rows) or 0.0
    return 2 * p * r / (p + r) if p + r else 0.0


@dataclass(frozen=True)
class Column:
    name: str
    value: Callable[[list[PageScore]], float | None]  # None: not measured on this source
    width: int = 6
    fmt: str = ".3f"


BODY_COLUMNS = (
    Column("P", precision),
    Column("R", recall),
    Column("F1", f1),
    Column("leak", lambda rows: _mean(r.leak for r in rows if r.leak is not None)),
    Column("snip", lambda rows: _mean(r.snippets for r in rows if r.snippets is not None)),
    Column("pages/s", lambda rows: len(rows) / (sum(r.seconds for r in rows) or 1), 8, ".1f"),
)


def extra_column(key: str, name: str | None = None) -> Column:
    """A column for a figure a benchmark put in :attr:`PageScore.extra` (the mean where given)."""

    def value(rows: list[PageScore]) -> float | None:
        return _mean(v for r in rows if (v := r.extra.get(key)) is not None)

    return Column(name or key, value)


def source_table(rows: list[PageScore], columns: Iterable[Column] = BODY_COLUMNS,
                 label: str = "") -> list[str]:  # fmt: skip
    """Lines of the table: one row per source and extractor (in the order first seen), the
    columns' figures ("-" where a column does not apply to the source)."""
    columns = list(columns)
    sources = list(dict.fromkeys(r.source for r in rows))
    extractors = list(dict.fromkeys(r.extractor for r in rows))
    head = f"{'source':16} {'extractor':12} {'pages':>5} " + " ".join(
        f"{c.name:>{c.width}}" for c in columns
    )
    lines = [f"{label}{head}" if label else head]
    for source in sources:
        for name in extractors:
            chosen = [r for r in rows if r.source == source and r.extractor == name]
            cells = []
            for c in columns:
                v = c.value(chosen)
                cells.append(f"{v:>{c.width}{c.fmt}}" if v is not None else f"{'-':>{c.width}}")
            lines.append(f"{source:16} {name:12} {len(chosen):5} " + " ".join(cells))
    return lines


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


def page_bytes(corpus: Path, page: dict) -> bytes:
    return gzip.decompress((corpus / page["html"]).read_bytes())


def run_page(job: tuple[Path, dict, tuple[str, ...]]) -> list[PageScore]:
    """Every extractor on one page (in one process: a busy machine slows them all alike)."""
    corpus, page, names = job
    data = page_bytes(corpus, page)
    gold, comments = _read(corpus, page["body"]) or "", _read(corpus, page.get("comments"))
    out = []
    for name in names:
        start = time.perf_counter()
        try:
            text = as_scored(*EXTRACTORS[name](data, page["encoding"]), source_of(page))
        except Exception as exc:  # noqa: BLE001 - one page's failure is a zero, not a stop
            print(f"  {page['id']}: {name} failed: {exc}", file=sys.stderr)
            text = ""
        out.append(score_page(page, name, text, gold, comments, time.perf_counter() - start))
    return out


def _warm(names: tuple[str, ...], corpus: Path, page: dict) -> None:
    """Imports and first-call set-up are not what a page costs."""
    data = page_bytes(corpus, page)
    for name in names:
        EXTRACTORS[name](data, page["encoding"])


def evaluate(corpus: Path, split: str, names: tuple[str, ...], limit: int | None = None,
             jobs: int = 1) -> list[PageScore]:  # fmt: skip
    pages = [json.loads(line) for line in (corpus / "manifest.jsonl").open(encoding="utf-8")]
    chosen = [p for p in pages if p["split"] == split]
    if limit:  # the first N pages of each source
        seen: Counter[str] = Counter()
        chosen = [p for p in chosen if (seen.update([source_of(p)]) or seen[source_of(p)]) <= limit]
    work = [(corpus, p, names) for p in chosen]
    if jobs > 1:
        with multiprocessing.get_context("fork").Pool(
            jobs, initializer=_warm, initargs=(names, corpus, chosen[0])
        ) as pool:
            results = pool.map(run_page, work, chunksize=4)
    else:
        if chosen:
            _warm(names, corpus, chosen[0])
        results = [run_page(w) for w in work]
    return [s for r in results for s in r]


def worst(rows: list[PageScore], extractor: str, n: int) -> list[str]:
    """The extractor's ``n`` pages of lowest F1, with the others' F1 on the same page."""
    by_page: dict[str, dict[str, PageScore]] = {}
    for r in rows:
        by_page.setdefault(r.page, {})[r.extractor] = r
    ranked = sorted(
        (f1([s[extractor]]) or 0.0, page, s) for page, s in by_page.items() if extractor in s
    )
    lines = []
    for value, page, s in ranked[:n]:
        mine = s[extractor]
        others = " ".join(f"{k}={f1([v]):.2f}" for k, v in s.items() if k != extractor)
        lines.append(f"  {page} F1={value:.2f} P={mine.tp / (mine.tp + mine.fp or 1):.2f} "
                     f"R={mine.tp / (mine.tp + mine.fn or 1):.2f}  {others}")  # fmt: skip
    return lines


def footnote_probes(corpus: Path, names: tuple[str, ...]) -> list[str]:
    path = corpus / "footnotes.jsonl"
    if not path.exists():
        return []
    lines = ["footnote probes (markers kept / notes kept):"]
    probes = [json.loads(line) for line in path.open(encoding="utf-8")]
    for name in names:
        totals = [0, 0, 0, 0]
        lost: list[str] = []
        for page in probes:
            title, text = EXTRACTORS[name](page_bytes(corpus, page), page["encoding"])
            found = probe(as_scored(title, text, source_of(page)), page)
            totals = [a + b for a, b in zip(totals, found[:4], strict=True)]
            lost += [f"{page['id']}: {m}" for m in found[4]]
        lines.append(f"  {name:24} markers {totals[0]}/{totals[1]}  notes {totals[2]}/{totals[3]}")
        if name.startswith("pamphleteer"):
            lines += [f"      lost {line}" for line in lost]
    return lines


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("corpus", type=Path, nargs="*", default=list(DEFAULT_CORPORA))
    ap.add_argument("--split", choices=["dev", "test"], default="dev")
    ap.add_argument("--only", action="append", choices=sorted(EXTRACTORS))
    ap.add_argument("--limit", type=int, help="the first N pages of each source")
    ap.add_argument("--worst", type=int, default=0, help="list pamphleteer's N worst pages")
    ap.add_argument("--jobs", type=int, default=1, help="worker processes (the machine is shared)")
    ap.add_argument("--no-probes", action="store_true", help="skip the footnote probes")
    ap.add_argument("--save", type=Path, help="write each page's F1 per extractor (JSON lines)")
    args = ap.parse_args(argv)
    names = tuple(args.only or EXTRACTORS)
    for corpus in args.corpus:
        rows = evaluate(corpus, args.split, names, args.limit, args.jobs)
        print(f"\ncorpus {corpus.name} · split {args.split} · {len(rows) // len(names)} pages")
        print("\n".join(source_table(rows)), flush=True)
        if args.save:
            with args.save.open("a", encoding="utf-8") as out:
                for r in rows:
                    record = {"page": r.page, "source": r.source, "extractor": r.extractor}
                    out.write(json.dumps(record | {"f1": f1([r])}) + "\n")
        if args.worst:
            for source in dict.fromkeys(r.source for r in rows):
                print(f"{names[0]}'s worst pages on {source}:")
                print("\n".join(worst([r for r in rows if r.source == source], names[0],
                                      args.worst)))  # fmt: skip
        if not args.no_probes:
            print("\n".join(footnote_probes(corpus, names)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
