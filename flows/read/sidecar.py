"""Metadata as users write it, in sidecars and ``editions.yaml``: keys and their other spellings,
values checked and set with the text's typography, slugs, the user's own cover image.

Light on purpose (YAML and the typography functions): the command reads ``editions.yaml`` and the
sidecars' slugs while it plans a build, before anything heavy is imported.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import Any

from flows.files import read_inside, sidecar_path, stem
from flows.limits import Limits
from flows.model import PamphleteerError
from flows.read.dates import parse_date
from flows.settings import PRESS_KEYS, Press, press_key
from flows.typography import blank, printable, typogrify
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
_PROSE_KEYS = {"title", "subtitle", "author", "publisher", "publication", "description", "rights",
               "credit"}  # fmt: skip
_TEXT_KEYS = {"title", "subtitle", "publisher", "publication", "lang", "source_url", "slug",
              "description", "rights", "date", "credit",
              "from_source"}  # the source of sources.yaml that added it  # fmt: skip
#: Every key a sidecar gives a meaning to (after :data:`KEY_ALIASES`); any other key is kept but
#: reaches no edition unless a user's template prints it.
SIDECAR_KEYS = frozenset(_TEXT_KEYS | {"author", "cover"}) | PRESS_KEYS

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
    shown = repr(value) if len(value) <= 60 else repr(value[:57] + "…")
    root = raw_dir.resolve()
    try:
        path = (root / value.strip()).resolve()
        inside, found = path.is_relative_to(root), path.is_file()
    except (OSError, ValueError, RuntimeError):  # a name too long, a NUL, a loop of links
        raise PamphleteerError(f"{where}: the cover {shown} is not a file's name") from None
    if not inside:
        raise PamphleteerError(f"{where}: the cover {shown} is outside {raw_dir.name}/")
    if not found:
        raise PamphleteerError(f"{where}: the cover {shown} does not exist")
    image_kind(path)
    return str(path)


def slugify(stem: str) -> str:
    """A name for an output folder: ASCII letters, digits and hyphens, at most 80 characters."""
    ascii_ = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_.lower()).strip("-")
    return slug[:80] or "document"


def document_slug(path: Path, limits: Limits | None = None) -> str | None:
    """The output folder a text builds into, as :func:`flows.read.decode.read` names it: its
    sidecar's ``slug:``, else its file name's; None when its sidecar cannot be read (the text fails
    on its own, with that reason). A build plans with the slug of every text, so a sidecar that
    cannot name one (no "slug", no escape that could spell it) is not parsed here."""
    side = sidecar_path(path)
    try:
        most = limits or Limits()
        data = read_inside(side, most.raw_file_bytes, most.raw_file_mb).lower() if side else b""
        given = read_sidecar(side, limits).get("slug") if b"slug" in data or b"\\" in data else None
    except PamphleteerError:
        return None
    return given or slugify(stem(path))


def meta_value(key: str, value: Any, name: str, lang: str | None = None) -> Any:
    """One value as readers will see it: a date as a PartialDate, names and prose typeset (by
    the rules of ``lang``, the text's language), other text stripped; an error naming ``name``
    (a file, an edition) for a value of the wrong kind."""
    if key == "date" and (date := parse_date(value, lang)) is not None:
        return date  # else kept as written, for checked_date to name and leave out
    value = _printable(value)
    if key == "author":
        if isinstance(value, str):
            return typogrify(_one_line(value), lang)
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return [typogrify(_one_line(v), lang) for v in value]
        raise PamphleteerError(f"{name}: 'author' must be a name or a list of names")
    if key in _TEXT_KEYS:
        if not isinstance(value, str | int | float):
            raise PamphleteerError(f"{name}: '{key}' must be text, not {type(value).__name__}")
        # One line: a line break in a title would start a new Markdown block where the value
        # is read (a list, a definition list, a heading) and in typst's metadata.
        text = _one_line(str(value))
        return typogrify(text, lang) if key in _PROSE_KEYS else text
    return value


_BREAKING = re.compile(r"[^\S\u00a0\u202f]+")


def _one_line(text: str) -> str:
    """``text`` on one line, every run of breaking spaces one space; no-break spaces kept."""
    return _BREAKING.sub(" ", text).strip()


def _printable(value: Any) -> Any:
    """Every string in ``value`` without the characters no edition can carry (a YAML escape
    gives a sidecar a NUL or a lone surrogate as easily as a letter)."""
    if isinstance(value, str):
        return printable(value)
    if isinstance(value, list):
        return [_printable(v) for v in value]
    if isinstance(value, dict):
        return {_printable(k): _printable(v) for k, v in value.items()}
    return value


def read_sidecar(path: Path, limits: Limits | None = None) -> dict[str, Any]:
    """The sidecar's metadata, keys normalised; a clear error if it is not a YAML mapping."""
    data = load_yaml(path, limits, "sidecar", inside=True)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise PamphleteerError(f"{path.name}: a sidecar must be a mapping of keys to values")
    meta: dict[str, Any] = {}
    lang = next((v for k, v in data.items() if KEY_ALIASES.get(str(k).lower(), k) == "lang"), None)
    lang = lang if isinstance(lang, str) else None
    for key, value in data.items():
        key = KEY_ALIASES.get(str(key).lower(), press_key(str(key)))
        if value is None:
            continue
        if key == "cover":  # the user's own cover image, inside raw/
            meta[key] = resolve_cover(value, path.parent, path.name)
        elif key in PRESS_KEYS:  # paper, fonts, colours…: checked now, used by the build
            meta[key] = getattr(Press().override({key: value}, path.name), key)
        else:
            value = meta_value(key, value, path.name, lang)
            if isinstance(value, list):
                value = [v for v in value if not (isinstance(v, str) and blank(v))]
            if value == [] or (isinstance(value, str) and blank(value)):
                continue  # nothing to show in it (`title: ""`, a NUL): as if not given
            meta[key] = value
    if "slug" in meta:
        meta["slug"] = slugify(meta["slug"])
    return meta
