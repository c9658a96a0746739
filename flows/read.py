"""Reader: a file in ``raw/`` (and its YAML sidecar) to a :class:`Document` holding decoded text."""

from __future__ import annotations

import codecs
import datetime as dt
import gzip
import re
import unicodedata
from pathlib import Path
from typing import Any

import ftfy
import yaml
from charset_normalizer import from_bytes

from flows.cover import resolve_cover
from flows.model import Document, PamphleteerError
from flows.settings import PRESS_KEYS, Press, press_key
from flows.typography import typogrify

TEXT_SUFFIXES = frozenset({".txt", ".text", ".md"})
HTML_SUFFIXES = (".html", ".htm", ".xhtml", ".html.gz", ".htm.gz")
SIDECAR_SUFFIXES = (".yaml", ".yml")

# Sidecar keys, with the other spellings users write.
_KEY_ALIASES = {
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

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


def is_source(path: Path) -> bool:
    """A file the build should turn into an edition (not a sidecar, not hidden)."""
    return (
        path.is_file()
        and not path.name.startswith((".", "_"))
        and path.suffix.lower() not in SIDECAR_SUFFIXES
    )


def discover(raw_dir: Path) -> list[Path]:
    """Every source in ``raw_dir``, in name order (names set the order of a build)."""
    if not raw_dir.is_dir():
        raise PamphleteerError(f"{raw_dir}: no such folder of raw texts")
    return sorted(p for p in raw_dir.iterdir() if is_source(p))


def is_html(path: Path) -> bool:
    return path.name.lower().endswith(HTML_SUFFIXES)


def stem(path: Path) -> str:
    """The name without its kind: ``a.html.gz`` → ``a``."""
    name = path.name
    for suffix in (*HTML_SUFFIXES, path.suffix):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)] or name
    return name


# Labels pages declare, as browsers read them (the WHATWG encoding standard): a page that says
# latin-1 or ascii is decoded as windows-1252.
_LABELS = {"iso-8859-1": "cp1252", "iso8859-1": "cp1252", "latin1": "cp1252",
           "latin-1": "cp1252", "us-ascii": "cp1252", "ascii": "cp1252",
           "windows-1252": "cp1252", "x-sjis": "shift_jis", "gb2312": "gbk",
           "iso-8859-9": "cp1254", "tis-620": "cp874", "ks_c_5601-1987": "euc-kr"}  # fmt: skip
_META_CHARSET = re.compile(rb"""<meta[^>]+?charset\s*=\s*["']?\s*([\w.:-]+)""", re.I)


def declared_encoding(data: bytes) -> str | None:
    """The codec the page's ``<meta charset>`` or ``http-equiv`` declares, if Python knows it."""
    m = _META_CHARSET.search(data[:8192])
    if not m:
        return None
    label = m[1].decode("ascii", "replace").lower()
    label = _LABELS.get(label, label)
    try:
        codec = codecs.lookup(label).name
    except LookupError:
        return None
    # A page saved as UTF-8 keeps the meta of the original only if the bytes agree with it;
    # "utf-16" in a meta of bytes that are ASCII-compatible is a lie.
    return None if codec.startswith(("utf-16", "utf-32")) else codec


def decode_html(data: bytes, name: str) -> str:
    """An HTML page's bytes to text: BOM, then the page's own declaration, then detection.

    A declared UTF-8 that does not decode falls back to detection; mojibake (UTF-8 read as
    cp1252, once or twice) is repaired.
    """
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return _repair(data.decode(codec))
    codec = declared_encoding(data)
    if codec and codec != "utf-8":
        try:
            return _repair(data.decode(codec))
        except UnicodeDecodeError:
            pass
    try:
        return _repair(data.decode("utf-8"))
    except UnicodeDecodeError:
        return _repair(_mostly_utf8(data) or _detect(data, name))


# What UTF-8 read as cp1252 or latin-1 looks like: "Ã©", "â€™", "Â ". Only then is ftfy asked.
_MOJIBAKE = re.compile(
    "[\u00c2\u00c3\u00c5\u00e2\u00c4\u00d0\u00d1]"
    "[\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc\u2013-\u203a\u2122]"
)


def _repair(text: str) -> str:
    """Undo mojibake; nothing else (quotes, widths and entities are left alone)."""
    if text.isascii() or not _MOJIBAKE.search(text):
        return text
    return ftfy.fix_encoding(text)


def decode(data: bytes, name: str) -> str:
    """Bytes to text: a BOM first, then UTF-8, then a detected encoding; never binary."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return _repair(data.decode(codec))
    if b"\x00" in data:
        raise PamphleteerError(f"{name}: not a text file (it contains NUL bytes)")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = _mostly_utf8(data) or _detect(data, name)
    if len(_CONTROL.findall(text)) > max(2, len(text) // 1000):
        raise PamphleteerError(f"{name}: not a text file (too many control characters)")
    return _repair(text)


_UTF8_SEQUENCE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)


def _stray_as_cp1252(err: UnicodeError) -> tuple[str, int]:
    assert isinstance(err, UnicodeDecodeError)
    return err.object[err.start : err.end].decode("cp1252", errors="replace"), err.end


codecs.register_error("pamphleteer-cp1252", _stray_as_cp1252)


def _mostly_utf8(data: bytes) -> str | None:
    """UTF-8 with a few stray bytes (a page pasted together from two encodings): the strays are
    read as cp1252, which gives their characters. None if the bytes are not UTF-8 at all.
    """
    found = _UTF8_SEQUENCE.findall(data)
    sequences = len(found)
    strays = len(re.findall(rb"[\x80-\xff]", data)) - sum(map(len, found))
    if sequences == 0 or strays > sequences:
        return None
    return data.decode("utf-8", errors="pamphleteer-cp1252")


# When several legacy encodings read a text equally well (cp1250 and cp1252 often do), the one
# most pages on the web were written in wins.
_PREFERRED = ("cp1252", "iso8859_15", "latin_1", "cp1251", "cp1250")


def _detect(data: bytes, name: str) -> str:
    matches = list(from_bytes(data))
    if not matches:
        raise PamphleteerError(f"{name}: not a text file (no text encoding decodes it)")
    least = min(m.chaos for m in matches)
    tied = [m for m in matches if m.chaos <= least + 0.01]
    tied.sort(key=lambda m: _PREFERRED.index(m.encoding) if m.encoding in _PREFERRED else 99)
    return str(tied[0])


def _slugify(stem: str) -> str:
    ascii_ = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_.lower()).strip("-")
    return slug[:80] or "document"


def sidecar_path(path: Path) -> Path | None:
    for suffix in SIDECAR_SUFFIXES:
        candidate = path.with_name(stem(path) + suffix)
        if candidate.is_file():
            return candidate
    return None


def _meta_value(key: str, value: Any, name: str) -> Any:
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


def read_sidecar(path: Path) -> dict[str, Any]:
    """The sidecar's metadata, keys normalised; a clear error if it is not a YAML mapping."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise PamphleteerError(f"{path.name}: not valid YAML{where}: {problem}") from None
    except UnicodeDecodeError:
        raise PamphleteerError(f"{path.name}: a sidecar must be UTF-8 text") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise PamphleteerError(f"{path.name}: a sidecar must be a mapping of keys to values")
    meta: dict[str, Any] = {}
    for key, value in data.items():
        key = _KEY_ALIASES.get(str(key).lower(), press_key(str(key)))
        if value is None:
            continue
        if key == "cover":  # the user's own cover image, inside raw/
            meta[key] = resolve_cover(value, path.parent, path.name)
        elif key in PRESS_KEYS:  # paper, fonts, colours…: checked now, used by the build
            Press().override({key: value}, path.name)
            meta[key] = value
        else:
            meta[key] = _meta_value(key, value, path.name)
    if "slug" in meta:
        meta["slug"] = _slugify(meta["slug"])
    return meta


def read(path: Path) -> Document:
    """Read one raw file and its sidecar."""
    html = is_html(path)
    if path.suffix.lower() not in TEXT_SUFFIXES and not html:
        supported = ", ".join(sorted(TEXT_SUFFIXES) + list(HTML_SUFFIXES))
        raise PamphleteerError(
            f"{path.name}: unsupported kind of file '{path.suffix}' (supported: {supported})"
        )
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise PamphleteerError(f"{path.name}: cannot be read: {exc.strerror}") from None
    if path.name.lower().endswith(".gz"):
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise PamphleteerError(f"{path.name}: not a gzip file ({exc})") from None
    text = decode_html(data, path.name) if html else decode(data, path.name)
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    if not text.strip():
        raise PamphleteerError(f"{path.name}: the file is empty")
    side = sidecar_path(path)
    sidecar = read_sidecar(side) if side else {}
    slug = sidecar.pop("slug", None) or _slugify(stem(path))
    return Document(source=path, slug=slug, text=text, sidecar=sidecar, meta=dict(sidecar))
