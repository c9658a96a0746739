"""``editions.yaml``: the anthologies a project defines, read and checked.

:mod:`flows.anthology` shows the file's shape and assembles each anthology.

Light on purpose: the command reads the editions while it plans a build.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from flows.files import discover
from flows.metadata import document_slug, meta_value, resolve_cover, slugify
from flows.model import PamphleteerError
from flows.settings import PRESS_KEYS, press_key
from flows.typography import printable

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


def _edition(item: Any, index: int, path: Path, raw_dir: Path) -> Edition:
    where = f"{path.name}: edition {index}"
    if not isinstance(item, dict):
        raise PamphleteerError(f"{where} must be a mapping (title, documents, …)")
    data = {_ALIASES.get(str(k).lower(), press_key(str(k))): v for k, v in item.items()}
    unknown = sorted(set(data) - _EDITION_KEYS)
    if unknown:
        raise PamphleteerError(f"{where}: unknown key {', '.join(unknown)}")
    if not data.get("title"):
        raise PamphleteerError(f"{where}: an edition needs a title")
    slug = slugify(str(data.pop("slug", None) or data["title"]))
    where = f"{path.name}: {slug}"
    names = data.pop("documents", None)
    if not isinstance(names, list) or len(names) < 1:
        raise PamphleteerError(f"{where}: 'documents' must list files in {raw_dir.name}/")
    documents = []
    for name in names:
        doc_path = (raw_dir / str(name)).resolve()
        if not doc_path.is_relative_to(raw_dir.resolve()) or not doc_path.is_file():
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
            meta[key] = meta_value(key, value, where)
    return Edition(slug, meta, tuple(documents), printable(front).strip(), where)


def load_editions(path: Path, raw_dir: Path) -> list[Edition]:
    """The anthologies ``editions.yaml`` defines; none if the file does not exist."""
    if not path.is_file():
        return []
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise PamphleteerError(f"{path.name}: not a valid UTF-8 YAML file: {exc}") from None
    items = (data or {}).get("editions") if isinstance(data, dict | None) else None
    if items is None:
        return []
    if not isinstance(items, list):
        raise PamphleteerError(f"{path.name}: 'editions' must be a list of editions")
    editions = [_edition(item, i, path, raw_dir) for i, item in enumerate(items, start=1)]
    slugs = [e.slug for e in editions]
    if len(set(slugs)) != len(slugs):
        raise PamphleteerError(f"{path.name}: two editions have the same slug")
    taken = _document_slugs(raw_dir)
    for edition in editions:
        if edition.slug in taken:
            raise PamphleteerError(
                f"{edition.where}: the slug is already {taken[edition.slug]}'s: "
                f"give the edition another 'slug:'"
            )
    return editions


def _document_slugs(raw_dir: Path) -> dict[str, str]:
    """The output folder each document of ``raw_dir`` builds into, as read.read() names it."""
    slugs = {}
    for source in discover(raw_dir):
        slug = document_slug(source)
        if slug:  # else that document fails on its own, with its sidecar's reason
            slugs[slug] = source.name
    return slugs
