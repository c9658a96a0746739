"""Reader: a file in ``raw/`` (and its YAML sidecar) to a :class:`Document` holding decoded text."""

from __future__ import annotations

import codecs
import re
import unicodedata
import zlib
from collections.abc import Iterable
from pathlib import Path

import ftfy
from charset_normalizer import CharsetMatch, from_bytes

from flows.files import (
    HTML_SUFFIXES,
    TEXT_SUFFIXES,
    is_html,
    read_inside,
    sidecar_path,
    stem,
    too_big,
)
from flows.limits import Limits
from flows.model import Document, PamphleteerError, Report
from flows.read.dates import checked_date
from flows.read.language import checked_language
from flows.read.sidecar import read_sidecar, slugify
from flows.typography import printable

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


# Labels pages declare, as browsers read them (the WHATWG encoding standard): a page that says
# latin-1 or ascii is decoded as windows-1252.
_LABELS = {"iso-8859-1": "cp1252", "iso8859-1": "cp1252", "latin1": "cp1252",
           "latin-1": "cp1252", "us-ascii": "cp1252", "ascii": "cp1252",
           "windows-1252": "cp1252", "x-sjis": "shift_jis", "gb2312": "gb18030", "gbk": "gb18030",
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
    # A page re-saved as UTF-8 often keeps the legacy charset of its original: bytes that are
    # UTF-8 throughout, with multi-byte sequences, are hardly ever text in another codec.
    if codec and codec != "utf-8" and not _strict_utf8(data):
        try:
            return _repair(data.decode(codec))
        except UnicodeDecodeError:
            pass
    try:
        return _repair(data.decode("utf-8"))
    except UnicodeDecodeError:
        return _repair(
            _mostly_utf8(data) or _declared_with_strays(data, codec) or _detect(data, name)
        )


def _strict_utf8(data: bytes) -> bool:
    """The bytes are UTF-8, and not only ASCII (which every codec reads alike)."""
    if data.isascii():
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _declared_with_strays(data: bytes, codec: str | None) -> str | None:
    """The declared codec when it reads all but a few bytes (a page with a few broken
    sequences, which no detector then recognises): those become U+FFFD, as in a browser."""
    if not codec:
        return None
    text = data.decode(codec, errors="replace")
    return text if text.count("\ufffd") <= len(text) // 200 else None


# What UTF-8 read as cp1252 or latin-1 looks like: "Ã©", "â€™", "Â ". Only then is ftfy asked.
_MOJIBAKE = re.compile(
    "[\u00c2\u00c3\u00c5\u00e2\u00c4\u00d0\u00d1]"
    "[\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc\u2013-\u203a\u20ac\u2122]"
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
    """The text in the encoding charset_normalizer finds. As trafilatura does, it is first asked
    about the page's start and end alone: one broken sequence rules a multi-byte codec (GB18030,
    Shift JIS) out of a whole page, and a Chinese page then reads as Cyrillic. The sample's
    codec is kept if the sample has text enough beyond ASCII to tell (a few accented letters
    are easily misread) and it reads the whole page but for a few bytes, which become U+FFFD
    as in a browser."""
    if len(data) > 2 * _SAMPLE:
        # Cut at a space or a "<", never inside a multi-byte character, whose halves would
        # read as another codec's (no such codec uses these bytes in a character).
        cuts = [m.start() for m in _BOUNDARY.finditer(data, 0, _SAMPLE)]
        head = data[: cuts[-1] if cuts else _SAMPLE]
        cut = _BOUNDARY.search(data, len(data) - _SAMPLE)
        tail = data[cut.start() if cut else len(data) - _SAMPLE :]
        sample = head + tail
        if len(sample) - len(sample.translate(None, _NON_ASCII)) >= _TELLING and (
            codec := _best(from_bytes(sample))
        ):
            text = data.decode(codec, errors="replace")
            if text.count("\ufffd") <= len(text) // 200:
                return text
    codec = _best(from_bytes(data))
    if codec is None:
        raise PamphleteerError(f"{name}: not a text file (no text encoding decodes it)")
    return data.decode(codec)


#: Bytes read at each end of a page to tell its encoding (trafilatura reads as many) …
_SAMPLE = 5000
#: … and how many of them must be beyond ASCII for the sample to be trusted.
_TELLING = 400
_NON_ASCII = bytes(range(128, 256))
_BOUNDARY = re.compile(rb"[\x00-\x2f\x3a-\x3f]")


def _best(matches: Iterable[CharsetMatch]) -> str | None:
    """The least chaotic codec; of those tied, the one most pages are written in."""
    found = list(matches)
    if not found:
        return None
    least = min(m.chaos for m in found)
    tied = [m for m in found if m.chaos <= least + 0.01]
    tied.sort(key=lambda m: _PREFERRED.index(m.encoding) if m.encoding in _PREFERRED else 99)
    return _LABELS.get(tied[0].encoding, tied[0].encoding)  # gb2312 read as GB18030


def _gunzip(data: bytes, name: str, most: int, most_mb: float) -> bytes:
    """A gzip file's content, refused past ``most`` bytes without inflating more (gzip bombs)."""
    inflate = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        out = inflate.decompress(data, most + 1)
    except zlib.error as exc:
        raise PamphleteerError(f"{name}: not a gzip file ({exc})") from None
    if len(out) > most:
        raise PamphleteerError(too_big(name, most_mb) + " once uncompressed")
    if not inflate.eof:
        raise PamphleteerError(f"{name}: not a gzip file (it ends too soon)")
    return out


def read(path: Path, limits: Limits | None = None) -> Document:
    """Read one raw file and its sidecar; a file past ``limits.raw_file_mb`` is refused."""
    limits = limits or Limits()
    html = is_html(path)
    if path.suffix.lower() not in TEXT_SUFFIXES and not html:
        supported = ", ".join(sorted(TEXT_SUFFIXES) + list(HTML_SUFFIXES))
        raise PamphleteerError(
            f"{path.name}: unsupported kind of file '{path.suffix}' (supported: {supported})"
        )
    data = read_inside(path, limits.raw_file_bytes, limits.raw_file_mb)
    if path.name.lower().endswith(".gz"):
        data = _gunzip(data, path.name, limits.raw_file_bytes, limits.raw_file_mb)
    text = decode_html(data, path.name) if html else decode(data, path.name)
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = printable(text)  # a stray control character would make the EPUB's XML ill-formed
    if not text.strip():
        raise PamphleteerError(f"{path.name}: the file is empty")
    side = sidecar_path(path)
    sidecar, warnings = (
        checked_language(read_sidecar(side, limits), side.name) if side else ({}, ())
    )
    if side:
        sidecar, undated = checked_date(sidecar, side.name)
        warnings += undated
    slug = sidecar.pop("slug", None) or slugify(stem(path))
    return Document(source=path, slug=slug, text=text, sidecar=sidecar, meta=dict(sidecar),
                    report=Report(messages=warnings))  # fmt: skip
