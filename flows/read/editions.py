"""``editions.yaml``: the anthologies a project defines, read and checked.

:mod:`flows.assemble.anthology` shows the file's shape and assembles each anthology.

Light on purpose: the command reads the editions while it plans a build.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flows.files import discover, sidecar_path
from flows.limits import Limits
from flows.model import PamphleteerError
from flows.read.sidecar import document_slug, meta_value, read_sidecar, resolve_cover, slugify
from flows.settings import PRESS_KEYS, press_key
from flows.typography import printable
from flows.yamlfile import load_yaml

_EDITION_KEYS = frozenset({"slug", "title", "subtitle", "author", "publisher", "publication",
                           "date", "lang", "rights", "description", "front_matter", "documents",
                           "cover"}) | PRESS_KEYS  # fmt: skip
_ALIASES = {"editor": "author", "editors": "author", "authors": "author", "language": "lang",
            "licence": "rights", "license": "rights", "order": "documents",
            "articles": "documents", "frontmatter": "front_matter",
            "preface": "front_matter"}  # fmt: skip


@dataclass(frozen=True)
class Edition:
    slug: str
    meta: Mapping[str, Any]  # title, author, …, press overrides: like a sidecar
    documents: tuple[Path, ...]  # raw files, in order
    front_matter: str  # the publisher's own Markdown (not scraped), or ""
    where: str  # "editions.yaml: <slug>", for messages
    #: Why the edition cannot be built (a missing document, a bad key…), or "": it fails alone,
    #: as a unit of the build, and the other units go on.
    problem: str = ""
    file: Path | None = None  # the editions.yaml it comes from

    @classmethod
    def broken(cls, slug: str, problem: str, file: Path) -> Edition:
        return cls(slug, {}, (), "", f"{file.name}: {slug}", problem, file)


def _slug(item: Any, index: int) -> str:
    """The slug an edition asks for, or one from its place in the file."""
    if isinstance(item, dict):
        data = {_ALIASES.get(str(k).lower(), press_key(str(k))): v for k, v in item.items()}
        given = data.get("slug") or data.get("title")
        if isinstance(given, str | int | float) and str(given).strip():
            return slugify(str(given))
    return f"edition-{index}"


def _edition(item: Any, index: int, path: Path, raw_dir: Path) -> Edition:
    where = f"{path.name}: edition {index}"
    if not isinstance(item, dict):
        raise PamphleteerError(f"{where} must be a mapping (title, documents, …)")
    data = {_ALIASES.get(str(k).lower(), press_key(str(k))): v for k, v in item.items()}
    slug = _slug(item, index)
    where = f"{path.name}: {slug}"
    unknown = sorted(set(data) - _EDITION_KEYS)
    if unknown:
        raise PamphleteerError(f"{where}: unknown key {', '.join(map(str, unknown))}")
    if not data.get("title"):
        raise PamphleteerError(f"{where}: an edition needs a title")
    data.pop("slug", None)
    names = data.pop("documents", None)
    if isinstance(names, dict):
        names = _of_source(names, raw_dir, where)
    if not isinstance(names, list) or len(names) < 1:
        raise PamphleteerError(
            f"{where}: 'documents' must list files in {raw_dir.name}/, or name a source "
            "(documents: {source: NAME, year: 2024})"
        )
    documents = []
    for name in names:
        doc_path = (raw_dir / str(name)).resolve()
        if not doc_path.is_relative_to(raw_dir.resolve()):
            raise PamphleteerError(f"{where}: the document {name!r} is outside {raw_dir.name}/")
        if not doc_path.is_file():
            raise PamphleteerError(f"{where}: no document {name!r} in {raw_dir.name}/")
        documents.append(doc_path)
    front = data.pop("front_matter", None) or ""
    if not isinstance(front, str):
        raise PamphleteerError(f"{where}: 'front_matter' must be text")
    meta: dict[str, Any] = {}
    for key, value in data.items():
        if value is None:
            continue
        if key == "cover":
            meta[key] = resolve_cover(value, raw_dir, where)
        elif key in PRESS_KEYS:
            meta[key] = value  # checked by Settings.for_edition
        else:
            lang = data.get("lang")
            meta[key] = meta_value(key, value, where, lang if isinstance(lang, str) else None)
    return Edition(slug, meta, tuple(documents), printable(front).strip(), where, file=path)


_SELECT_KEYS = frozenset({"source", "year", "since", "until"})


def _of_source(select: dict[Any, Any], raw_dir: Path, where: str) -> list[str]:
    """The files of ``raw_dir`` a source of sources.yaml added (their sidecars' ``from_source``)
    and dated within ``year`` (or ``since`` … ``until``, inclusive), oldest first."""
    select = {str(k).lower(): v for k, v in select.items()}
    unknown = sorted(set(select) - _SELECT_KEYS)
    if unknown or not isinstance(select.get("source"), str):
        raise PamphleteerError(
            f"{where}: documents: {{source: NAME, year: 2024}} (or since:/until: dates)"
            + (f"; unknown key {', '.join(unknown)}" if unknown else "")
        )
    source = slugify(select["source"])
    low, high = str(select.get("since") or ""), str(select.get("until") or "")
    if select.get("year") is not None:
        year = str(select["year"])
        if not year.isdigit():
            raise PamphleteerError(f"{where}: documents: 'year' must be a year, e.g. 2024")
        low, high = max(low, year), min(high or f"{year}-99", f"{year}-99")
    found: list[tuple[str, str]] = []
    for path in discover(raw_dir):
        side = sidecar_path(path)
        try:
            meta = read_sidecar(side) if side else {}
        except PamphleteerError:
            continue  # that text fails on its own, with its sidecar's reason
        if slugify(str(meta.get("from_source") or "")) != source:
            continue
        date = str(meta.get("date") or "")
        if (low or high) and not date:
            continue
        if (low and date[: len(low)] < low) or (high and date[: len(high)] > high):
            continue
        found.append((date, path.name))
    if not found:
        span = f" dated {select.get('year') or f'{low}…{high}'}" if low or high else ""
        raise PamphleteerError(
            f"{where}: no article of the source {source!r}{span} in {raw_dir.name}/"
        )
    return [name for _, name in sorted(found)]


def load_editions(path: Path, raw_dir: Path, limits: Limits | None = None) -> list[Edition]:
    """The anthologies ``editions.yaml`` defines; none if the file does not exist.

    An edition that cannot be built (a document missing or outside raw/, a bad key, a slug
    taken) comes back :meth:`~Edition.broken`: it fails alone, named, and the build goes on. So
    does a file that cannot be read at all (not YAML, an alias bomb), as one broken edition.
    """
    if not path.is_file():
        return []
    try:
        data = load_yaml(path, limits)
        items = (data or {}).get("editions") if isinstance(data, dict | None) else None
        if items is not None and not isinstance(items, list):
            raise PamphleteerError(f"{path.name}: 'editions' must be a list of editions")
    except PamphleteerError as exc:
        return [Edition.broken(slugify(path.stem), str(exc), path)]
    editions: list[Edition] = []
    taken = _document_slugs(raw_dir, limits) if items else {}
    for index, item in enumerate(items or [], start=1):
        try:
            edition = _edition(item, index, path, raw_dir)
            if any(e.slug == edition.slug for e in editions):
                raise PamphleteerError(
                    f"{edition.where}: another edition has the same slug: give this one "
                    f"another 'slug:'"
                )
            if edition.slug in taken:
                raise PamphleteerError(
                    f"{edition.where}: the slug is already {taken[edition.slug]}'s: "
                    f"give the edition another 'slug:'"
                )
        except PamphleteerError as exc:
            slug = _slug(item, index)
            if any(e.slug == slug for e in editions):
                slug = f"{slug}-{index}"
            edition = Edition.broken(slug, str(exc), path)
        editions.append(edition)
    return editions


def _document_slugs(raw_dir: Path, limits: Limits | None) -> dict[str, str]:
    """The output folder each document of ``raw_dir`` builds into, as read.read() names it."""
    slugs = {}
    for source in discover(raw_dir):
        slug = document_slug(source, limits)
        if slug:  # else that document fails on its own, with its sidecar's reason
            slugs[slug] = source.name
    return slugs
