"""How well the HTML cleaner reads a page's title, author, date and language, against trafilatura.

    .venv/bin/python bench/metadata_eval.py [CORPUS ...] [--split dev|test|all] [--limit N]
                                            [--show N]

CORPUS defaults to ``../shared/corpus2`` and ``../shared/corpus`` (read their READMEs: tune on
``dev``, report ``test``). Per source, for ours (``page_metadata`` as the clean stage runs it, the
language as :func:`flows.read.language.text_language` chooses it from the cleaned body) and for
trafilatura's own metadata (``trafilatura.extract_metadata``, its defaults), side by side:

- **title**: the share of pages with a gold title (corpus2's fundus pages) whose extracted title
  is the gold after normalising both (Unicode NFKC, case folded, quotes and dashes unified,
  white space collapsed, trailing punctuation dropped);
- **date ~ URL**: neither corpus has date gold. Where the page's URL carries a date
  (``/2019/03/18/``, ``/2019/03/``, ``2019-03-18``), the share of those pages whose extracted
  date equals it at the URL's precision (a day, or a month). A proxy, and a generous one to
  both sides: htmldate (which both use) reads URLs too;
- **date found / author found**: the share of all pages with a value; **date valid**: the share of
  found values that are an ISO 8601 date (``2019``, ``2019-03``, ``2019-03-18``), never a raw
  string or a duration; **author clean**: the share of found names without "By", a digit, a
  social network's name or an e-mail address; **author in text**: the share of all pages with
  a found author the gold text names (a byline the gold keeps: Dragnet's, CleanEval's — neither
  corpus has author gold, and this confirms a name where "found" counts any value, a commenter's
  or a form's "Name *" included); **not a commenter**: where the corpus has comment
  gold (Dragnet's pages), the share of found authors that are not only in the comments' gold
  (a reader who commented is not the author);
- **lang**: the share whose primary language subtag is the manifest's ``lang`` (corpus2 only;
  trafilatura reads none, so its column is the page's own ``<html lang>``);
- **author = gold / author ∩ gold / date = gold**: where ``--meta-gold`` gives a page's authors
  and date (Fundus's test JSON: see below), the share of those pages whose found names are the
  gold's (normalised as titles are; no name where the gold has none), that share at least one
  of them, and whose date is the gold's day (none where it has none).

``--meta-gold DIR`` (default ``bench/metagold``, see its README) holds JSON lines ``{"id",
"authors", "date", "title", "body_check"}``: the ``authors`` and ``publishing_date`` of Fundus's
own test JSON for corpus2's Fundus pages, read from the repository the corpus names in
``source_ref``;
only rows whose JSON body is the page's gold (``"body_check": "match"``) are scored, as the
stored JSON of some keys is a later article of the same site.

Nothing here is asserted: the figures are printed.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flows.clean.html.extract import html_to_markdown, parse  # noqa: E402
from flows.model import PamphleteerError  # noqa: E402
from flows.read.decode import decode_html  # noqa: E402
from flows.read.language import language_tag, text_language  # noqa: E402
from flows.settings import Settings  # noqa: E402

HERE = Path(__file__).resolve().parent.parent
DEFAULT_CORPORA = [HERE.parent / "shared" / "corpus2", HERE.parent / "shared" / "corpus"]
DEFAULT_META_GOLD = HERE / "bench" / "metagold"
_ISO = re.compile(r"^\d{4}(?:-\d{2}(?:-\d{2})?)?$")
_URL_DAY = re.compile(r"(?<!\d)((?:19|20)\d\d)[/_-]([01]\d)[/_-]([0-3]\d)(?!\d)")
_URL_MONTH = re.compile(r"/((?:19|20)\d\d)/([01]\d)/")
_UNCLEAN_AUTHOR = re.compile(
    r"^(by|von|par|por)\b|\d|@|\b(twitter|facebook|linkedin|instagram|e-?mail)\b", re.I
)


@dataclass(frozen=True)
class Found:
    title: str | None
    authors: tuple[str, ...]
    date: str | None
    lang: str | None


def norm(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    text = re.sub(r"[‘’‚‛′`´]", "'", text)
    text = re.sub(r"[“”„‟″«»]", '"', text)
    text = re.sub(r"[‐‑‒–—―]", "-", text)
    return re.sub(r"\s+", " ", text).strip().rstrip(".!?:;,").strip()


def url_date(url: str | None) -> str | None:
    if not url:
        return None
    if m := _URL_DAY.search(url):
        return f"{m[1]}-{m[2]}-{m[3]}" if 1 <= int(m[2]) <= 12 and 1 <= int(m[3]) <= 31 else None
    if m := _URL_MONTH.search(url):
        return f"{m[1]}-{m[2]}" if 1 <= int(m[2]) <= 12 else None
    return None


def ours(page: str) -> Found:
    cleaned = html_to_markdown(page, Settings(), "page.html")
    meta = cleaned.meta
    author = meta.get("author") or []
    authors = tuple(author if isinstance(author, list) else [author])
    date = meta.get("date")
    lang = text_language(language_tag(meta.get("lang")), cleaned.body)
    return Found(meta.get("title"), authors, str(date) if date else None, lang)


def trafilatura_(page: str) -> Found:
    from trafilatura import extract_metadata

    meta = extract_metadata(page)
    authors = tuple(meta.author.split("; ")) if meta.author else ()
    declared = parse(page).xpath("/html/@lang")
    return Found(meta.title, authors, meta.date, declared[0] if declared else None)


EXTRACTORS = {"pamphleteer": ours, "trafilatura": trafilatura_}


def _gold(corpus: Path, rel: str | None) -> str:
    return (corpus / rel).read_text(encoding="utf-8").casefold() if rel else ""


def _said(name: str, text: str) -> bool:
    return " ".join(name.casefold().split()) in text


def _commenter(name: str, body: str, comments: str) -> bool:
    """``name`` is in the page's comment gold and not in its body gold: a reader who commented,
    not the author."""
    return _said(name, comments) and not _said(name, body)


def meta_gold(folder: Path | None) -> dict[str, dict[str, Any]]:
    """Author and date gold by page id (see the module's doc); none without the folder."""
    if folder is None or not folder.is_dir():
        return {}
    gold = {}
    for path in sorted(folder.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            if row.get("body_check") == "match":
                gold[row["id"]] = row
    return gold


def _same_names(found: tuple[str, ...], gold: list[str]) -> tuple[bool, bool]:
    """(the same names, at least one name in common or none on either side)."""
    ours, theirs = {norm(a) for a in found}, {norm(a) for a in gold if a.strip()}
    return ours == theirs, bool(ours & theirs) or not (ours or theirs)


def pages(corpus: Path, split: str) -> list[dict[str, Any]]:
    out = []
    for line in (corpus / "manifest.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if split == "all" or row["split"] == split:
            row["corpus"] = corpus.name
            out.append(row)
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("corpora", nargs="*", type=Path, default=DEFAULT_CORPORA)
    ap.add_argument("--split", default="dev", choices=["dev", "test", "all"])
    ap.add_argument("--limit", type=int, default=0, help="pages per corpus (0: all)")
    ap.add_argument("--show", type=int, default=0, help="print N title/author/date differences")
    ap.add_argument("--meta-gold", type=Path, default=DEFAULT_META_GOLD,
                    help="author and date gold (default: bench/metagold)")  # fmt: skip
    args = ap.parse_args(argv)
    gold_meta = meta_gold(args.meta_gold)

    # counts[source][extractor][measure] = [hits, out of]
    counts: dict[str, dict[str, dict[str, list[int]]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(lambda: [0, 0]))
    )
    shown = 0
    for corpus in args.corpora:
        rows = pages(corpus, args.split)
        rows = rows[: args.limit] if args.limit else rows
        for row in rows:
            data = gzip.decompress((corpus / row["html"]).read_bytes())
            try:
                page = decode_html(data, row["id"])
            except PamphleteerError:  # the README: two pages need errors="replace"
                page = data.decode(row["encoding"], errors="replace")
            source = f"{corpus.name}/{row.get('source') or row.get('dataset')}"
            gold_date = url_date(row.get("url"))
            gold_body = _gold(corpus, row.get("body"))
            gold_comments = _gold(corpus, row.get("comments"))
            results: dict[str, Found] = {}
            for name, extract in EXTRACTORS.items():
                try:
                    found = extract(page)
                except Exception as exc:  # noqa: BLE001 - a page that fails counts as nothing found
                    print(f"{row['id']}: {name}: {type(exc).__name__}: {exc}", file=sys.stderr)
                    found = Found(None, (), None, None)
                results[name] = found
                c = counts[source][name]
                c["pages"][0] += 1
                c["pages"][1] += 1
                if row.get("title"):
                    c["title"][0] += bool(found.title) and norm(found.title) == norm(row["title"])
                    c["title"][1] += 1
                if gold_date:
                    c["date ~ URL"][0] += (
                        bool(found.date) and found.date[: len(gold_date)] == gold_date
                    )
                    c["date ~ URL"][1] += 1
                c["date found"][0] += bool(found.date)
                c["date found"][1] += 1
                if found.date:
                    c["date valid"][0] += bool(_ISO.match(found.date))
                    c["date valid"][1] += 1
                c["author found"][0] += bool(found.authors)
                c["author found"][1] += 1
                if found.authors:
                    clean = not any(_UNCLEAN_AUTHOR.search(a) for a in found.authors)
                    c["author clean"][0] += clean
                    c["author clean"][1] += 1
                c["author in text"][0] += any(_said(a, gold_body) for a in found.authors)
                c["author in text"][1] += 1
                if found.authors and gold_comments:
                    c["not a commenter"][0] += not any(
                        _commenter(a, gold_body, gold_comments) for a in found.authors
                    )
                    c["not a commenter"][1] += 1
                if row.get("lang"):
                    primary = (found.lang or "").split("-")[0].lower()
                    c["lang"][0] += primary == row["lang"]
                    c["lang"][1] += 1
                if known := gold_meta.get(row["id"]):
                    same, common = _same_names(found.authors, known["authors"])
                    c["author = gold"][0] += same
                    c["author ∩ gold"][0] += common
                    day = (known["date"] or "")[:10]
                    c["date = gold"][0] += (found.date or "") == day
                    for m in ("author = gold", "author ∩ gold", "date = gold"):
                        c[m][1] += 1
            a, b = results["pamphleteer"], results["trafilatura"]
            if shown < args.show and (a.title, a.authors, a.date) != (b.title, b.authors, b.date):
                shown += 1
                print(f"- {row['id']} gold title={row.get('title')!r} url date={gold_date}")
                for name, f in results.items():
                    print(
                        f"    {name:12} {f.title!r} | {'; '.join(f.authors)} | {f.date} | {f.lang}"
                    )

    measures = ["title", "date ~ URL", "date found", "date valid", "author found",
                "author clean", "author in text", "not a commenter", "lang",
                "author = gold", "author ∩ gold", "date = gold"]  # fmt: skip
    print(f"\nsplit: {args.split}; each cell: pamphleteer / trafilatura (pages scored)")
    print(f"{'source':28} {'pages':>5} " + " ".join(f"{m:>17}" for m in measures))
    for source in sorted(counts):
        per = counts[source]
        cells = []
        for m in measures:
            p, t = per["pamphleteer"].get(m), per["trafilatura"].get(m)
            if not p or not p[1]:
                cells.append(f"{'—':>17}")
                continue
            tr = f"{t[0] / t[1]:.2f}" if t and t[1] else " — "
            cells.append(f"{p[0] / p[1]:.2f} / {tr} ({p[1]:>3})".rjust(17))
        print(f"{source:28} {per['pamphleteer']['pages'][1]:>5} " + " ".join(cells))


if __name__ == "__main__":
    main()
