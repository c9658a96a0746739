"""Metadata as users write it, in sidecars and ``editions.yaml``: keys and their other spellings,
values checked and set with the text's typography, slugs, the user's own cover image.

Light on purpose (YAML and the typography functions): the command reads ``editions.yaml`` and the
sidecars' slugs while it plans a build, before anything heavy is imported.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from pathlib import Path
from typing import Any

from flows.limits import Limits
from flows.model import PamphleteerError
from flows.settings import PRESS_KEYS, Press, press_key
from flows.typography import typogrify
from flows.yamlfile import load_yaml

# Sidecar keys, with the other spellings users write.
KEY_ALIASES = {
    "language": "lang",
    "url": "source_url",
    "source": "source_url",
    "authors": "author",
    "site": "publication",
    "site_name": "publication",
    "license": "rights",
    "licence": "rights",
}
# Values that are shown to readers get the same typography as the text.
_PROSE_KEYS = {"title", "subtitle", "author", "publisher", "publication", "description", "rights"}
_TEXT_KEYS = {"title", "subtitle", "publisher", "publication", "lang", "source_url", "slug",
              "description", "rights", "date"}  # fmt: skip

_MAGIC = {b"\x89PNG\r\n\x1a\n": ".png", b"\xff\xd8\xff": ".jpg"}


def image_kind(path: Path) -> str:
    """``.png`` or ``.jpg`` from the file's first bytes; an error for anything else."""
    with path.open("rb") as f:
        head = f.read(8)
    for magic, ext in _MAGIC.items():
        if head.startswith(magic):
            return ext
    raise PamphleteerError(f"{path.name}: a cover must be a PNG or JPEG image")


def resolve_cover(value: Any, raw_dir: Path, where: str) -> str:
    """The absolute path of a user's cover named relative to ``raw_dir``, checked."""
    if not isinstance(value, str) or not value.strip():
        raise PamphleteerError(f"{where}: 'cover' must be the path of an image inside raw/")
    root = raw_dir.resolve()
    path = (root / value.strip()).resolve()
    if not path.is_relative_to(root):
        raise PamphleteerError(f"{where}: the cover {value!r} is outside {raw_dir}")
    if not path.is_file():
        raise PamphleteerError(f"{where}: the cover {value!r} does not exist")
    image_kind(path)
    return str(path)


def slugify(stem: str) -> str:
    """A name for an output folder: ASCII letters, digits and hyphens, at most 80 characters."""
    ascii_ = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_.lower()).strip("-")
    return slug[:80] or "document"


def meta_value(key: str, value: Any, name: str) -> Any:
    """One value as readers will see it: dates as ISO text, names and prose typeset, other text
    stripped; an error naming ``name`` (the file, or the edition) for a value of the wrong kind."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if key == "author":
        if isinstance(value, str):
            return typogrify(value)
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return [typogrify(v) for v in value]
        raise PamphleteerError(f"{name}: 'author' must be a name or a list of names")
    if key in _TEXT_KEYS:
        if not isinstance(value, str | int | float):
            raise PamphleteerError(f"{name}: '{key}' must be text, not {type(value).__name__}")
        return typogrify(str(value)) if key in _PROSE_KEYS else str(value).strip()
    return value


def read_sidecar(path: Path, limits: Limits | None = None) -> dict[str, Any]:
    """The sidecar's metadata, keys normalised; a clear error if it is not a YAML mapping."""
    data = load_yaml(path, limits, "sidecar")
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise PamphleteerError(f"{path.name}: a sidecar must be a mapping of keys to values")
    meta: dict[str, Any] = {}
    for key, value in data.items():
        key = KEY_ALIASES.get(str(key).lower(), press_key(str(key)))
        if value is None:
            continue
        if key == "cover":  # the user's own cover image, inside raw/
            meta[key] = resolve_cover(value, path.parent, path.name)
        elif key in PRESS_KEYS:  # paper, fonts, colours…: checked now, used by the build
            Press().override({key: value}, path.name)
            meta[key] = value
        else:
            meta[key] = meta_value(key, value, path.name)
    if "slug" in meta:
        meta["slug"] = slugify(meta["slug"])
    return meta
