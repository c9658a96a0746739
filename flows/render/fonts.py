"""Fonts for every script: which families typst sets a text in, where their files are, and a
check that the PDF has a glyph for every character.

typst's own fonts (Libertinus Serif, New Computer Modern) cover Latin, Greek and Cyrillic. For
the other scripts, :data:`SCRIPT_FONTS` names a Noto family per script and the Debian package
that installs it (``make system-deps`` installs fonts-noto-core, 42 MB, and fonts-noto-cjk,
89 MB, where missing). The families of the scripts a text uses, the language's own first, join
the fallback list after the user's ``font:`` (which still wins for every character it has).

typst prints a character no font has as the first font's empty box, silently.
:func:`missing_glyphs` finds those boxes in the PDF (glyph 0, ``.notdef``) and names the
characters they stand for, for an ``fnt-001`` warning.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from pypdf import PdfReader
from pypdf.generic import ContentStream, IndirectObject

from flows.model import Message

#: typst's built-in fonts, last in every list: Latin, Greek, Cyrillic, maths.
BUILT_IN = ("Libertinus Serif", "New Computer Modern")
DEFAULT_FONT = "Libertinus Serif"
_NOTO = "/usr/share/fonts/truetype/noto/"
_NOTO_CJK = "/usr/share/fonts/opentype/noto/"


@dataclass(frozen=True)
class ScriptFont:
    script: str  # ISO 15924 code, for messages
    name: str  # the script's name, for messages
    family: str  # as typst knows it
    file: str  # where Debian's package puts it
    package: str  # the Debian package

    @property
    def installed(self) -> bool:
        return Path(self.file).is_file()


def _noto(script: str, name: str, family: str, file: str) -> ScriptFont:
    return ScriptFont(script, name, family, _NOTO + file, "fonts-noto-core")


def _cjk(script: str, name: str, region: str) -> ScriptFont:
    family = f"Noto Serif CJK {region}"
    return ScriptFont(
        script, name, family, _NOTO_CJK + "NotoSerifCJK-Regular.ttc", "fonts-noto-cjk"
    )


#: One font per script (ISO 15924), and the characters that are that script's.
SCRIPT_FONTS: Mapping[str, tuple[ScriptFont, str]] = MappingProxyType(
    {
        "Arab": (
            _noto("Arab", "Arabic", "Noto Naskh Arabic", "NotoNaskhArabic-Regular.ttf"),
            "\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff",
        ),
        "Hebr": (
            _noto("Hebr", "Hebrew", "Noto Serif Hebrew", "NotoSerifHebrew-Regular.ttf"),
            "\u0590-\u05ff\ufb1d-\ufb4f",
        ),
        "Syrc": (
            _noto("Syrc", "Syriac", "Noto Sans Syriac", "NotoSansSyriac-Regular.ttf"),
            "\u0700-\u074f",
        ),
        "Thaa": (
            _noto("Thaa", "Thaana", "Noto Sans Thaana", "NotoSansThaana-Regular.ttf"),
            "\u0780-\u07bf",
        ),
        "Deva": (
            _noto("Deva", "Devanagari", "Noto Serif Devanagari", "NotoSerifDevanagari-Regular.ttf"),
            "\u0900-\u097f\ua8e0-\ua8ff",
        ),
        "Beng": (
            _noto("Beng", "Bengali", "Noto Serif Bengali", "NotoSerifBengali-Regular.ttf"),
            "\u0980-\u09ff",
        ),
        "Guru": (
            _noto("Guru", "Gurmukhi", "Noto Serif Gurmukhi", "NotoSerifGurmukhi-Regular.ttf"),
            "\u0a00-\u0a7f",
        ),
        "Gujr": (
            _noto("Gujr", "Gujarati", "Noto Serif Gujarati", "NotoSerifGujarati-Regular.ttf"),
            "\u0a80-\u0aff",
        ),
        "Taml": (
            _noto("Taml", "Tamil", "Noto Serif Tamil", "NotoSerifTamil-Regular.ttf"),
            "\u0b80-\u0bff",
        ),
        "Telu": (
            _noto("Telu", "Telugu", "Noto Serif Telugu", "NotoSerifTelugu-Regular.ttf"),
            "\u0c00-\u0c7f",
        ),
        "Knda": (
            _noto("Knda", "Kannada", "Noto Serif Kannada", "NotoSerifKannada-Regular.ttf"),
            "\u0c80-\u0cff",
        ),
        "Mlym": (
            _noto("Mlym", "Malayalam", "Noto Serif Malayalam", "NotoSerifMalayalam-Regular.ttf"),
            "\u0d00-\u0d7f",
        ),
        "Sinh": (
            _noto("Sinh", "Sinhala", "Noto Serif Sinhala", "NotoSerifSinhala-Regular.ttf"),
            "\u0d80-\u0dff",
        ),
        "Thai": (
            _noto("Thai", "Thai", "Noto Serif Thai", "NotoSerifThai-Regular.ttf"),
            "\u0e00-\u0e7f",
        ),
        "Laoo": (
            _noto("Laoo", "Lao", "Noto Serif Lao", "NotoSerifLao-Regular.ttf"),
            "\u0e80-\u0eff",
        ),
        "Tibt": (
            _noto("Tibt", "Tibetan", "Noto Serif Tibetan", "NotoSerifTibetan-Regular.ttf"),
            "\u0f00-\u0fff",
        ),
        "Mymr": (
            _noto("Mymr", "Myanmar", "Noto Serif Myanmar", "NotoSerifMyanmar-Regular.ttf"),
            "\u1000-\u109f",
        ),
        "Geor": (
            _noto("Geor", "Georgian", "Noto Serif Georgian", "NotoSerifGeorgian-Regular.ttf"),
            "\u10a0-\u10ff\u2d00-\u2d2f",
        ),
        "Ethi": (
            _noto("Ethi", "Ethiopic", "Noto Serif Ethiopic", "NotoSerifEthiopic-Regular.ttf"),
            "\u1200-\u139f\u2d80-\u2ddf",
        ),
        "Khmr": (
            _noto("Khmr", "Khmer", "Noto Serif Khmer", "NotoSerifKhmer-Regular.ttf"),
            "\u1780-\u17ff",
        ),
        "Armn": (
            _noto("Armn", "Armenian", "Noto Serif Armenian", "NotoSerifArmenian-Regular.ttf"),
            "\u0530-\u058f\ufb13-\ufb17",
        ),
        # Han characters are drawn differently in China, Taiwan, Japan and Korea: the
        # language decides which of the four (see _han), kana and hangul decide alone.
        "Hans": (
            _cjk("Hans", "Chinese", "SC"),
            "\u2e80-\u2fdf\u3000-\u303f\u3100-\u312f\u31a0-\u31bf\u3400-\u4dbf\u4e00-\u9fff"
            "\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef\U00020000-\U0003134f",
        ),
        "Jpan": (_cjk("Jpan", "Japanese", "JP"), "\u3040-\u30ff\u31f0-\u31ff"),
        "Kore": (_cjk("Kore", "Korean", "KR"), "\u1100-\u11ff\u3130-\u318f\uac00-\ud7af"),
    }
)
_HAN_BY_LANGUAGE = {"ja": "JP", "ko": "KR", "zh-Hant": "TC", "zh-TW": "TC", "zh-HK": "HK",
                    "zh-MO": "TC"}  # fmt: skip
_PATTERNS = {script: re.compile(f"[{chars}]") for script, (_, chars) in SCRIPT_FONTS.items()}


def _han(lang: str) -> ScriptFont:
    """The Han font for the language: Japanese, Korean, traditional or simplified Chinese."""
    parts = lang.replace("_", "-").split("-")
    region = _HAN_BY_LANGUAGE.get(parts[0].lower())
    for sub in parts[1:]:
        region = _HAN_BY_LANGUAGE.get(f"zh-{sub.title() if len(sub) == 4 else sub.upper()}", region)
    base = SCRIPT_FONTS["Hans"][0]
    if not region:
        return base
    return ScriptFont("Hans", base.name, f"Noto Serif CJK {region}", base.file, base.package)


def scripts(text: str) -> list[str]:
    """The scripts of :data:`SCRIPT_FONTS` that ``text`` uses, in the table's order."""
    return [s for s, pattern in _PATTERNS.items() if pattern.search(text)]


@dataclass(frozen=True)
class FontChoice:
    body: tuple[str, ...]  # typst's font list for the text
    headings: tuple[str, ...]  # for headings, title page and cover
    dirs: tuple[str, ...]  # folders typst must load (besides the templates' fonts/)
    warnings: tuple[Message, ...] = ()


def choose(text: str, lang: str, font: str, heading_font: str) -> FontChoice:
    """The fonts for ``text`` in language ``lang``: the user's (``font``/``heading_font``, if
    not the default) first, then one per script the text uses (the Han one by the language),
    then typst's own. A script whose font is not installed is an ``fnt-002`` warning."""
    used = scripts(text)
    cjk = [s for s in ("Hans", "Jpan", "Kore") if s in used]
    fonts: list[ScriptFont] = []
    for script in used:
        if script in ("Hans", "Jpan", "Kore"):
            if script == cjk[0]:  # one CJK family sets Han, kana and hangul alike
                primary = lang.split("-")[0].lower()
                # In a text of another language, kana or hangul say whose Han it is.
                by_script = "ja" if "Jpan" in used else "ko" if "Kore" in used else lang
                fonts.append(_han(lang if primary in ("zh", "ja", "ko") else by_script))
            continue
        fonts.append(SCRIPT_FONTS[script][0])
    found = [f for f in fonts if f.installed]
    warnings = tuple(
        Message(
            "fnt-002",
            f"the text has {f.name} script but its font ({f.family}) is not installed: "
            f"its letters may print as boxes (install the Debian package {f.package}, or run "
            "`make system-deps`)",
        )
        for f in fonts
        if not f.installed
    )
    families = [f.family for f in found]

    def ordered(chosen: str) -> tuple[str, ...]:
        own = [chosen] if chosen != DEFAULT_FONT else []
        return tuple(dict.fromkeys([*own, *families, *BUILT_IN]))

    dirs = tuple(sorted({str(Path(f.file).parent) for f in found}))
    return FontChoice(ordered(font), ordered(heading_font), dirs, warnings)


# --- the check ---------------------------------------------------------------------------------

#: What a reader sees as a character: letters, marks, digits, punctuation, symbols. Spaces and
#: format characters (joiners, bidi isolates) have no glyph to miss.
_VISIBLE = frozenset({"L", "M", "N", "P", "S"})
_ACTUAL_TEXT = re.compile(rb"/ActualText\s*<(?:FEFF|feff)([0-9A-Fa-f]*)>")
_BFCHAR = re.compile(r"beginbfchar(.*?)endbfchar", re.S)
_BFRANGE = re.compile(r"beginbfrange(.*?)endbfrange", re.S)
_HEX = re.compile(r"<([0-9A-Fa-f]+)>")


def _utf16(hexes: str) -> str:
    return bytes.fromhex(hexes).decode("utf-16-be", errors="ignore")


def _to_unicode(cmap: str) -> Iterator[str]:
    """The characters a ToUnicode CMap maps glyphs to."""
    for block in _BFCHAR.findall(cmap):
        values = _HEX.findall(block)
        yield from (_utf16(v) for v in values[1::2])
    for block in _BFRANGE.findall(cmap):
        for line in block.strip().splitlines():
            values = _HEX.findall(line)
            if len(values) == 3:
                first, last, start = int(values[0], 16), int(values[1], 16), _utf16(values[2])
                if start and last - first < 0x10000:
                    base = ord(start[-1])
                    yield from (start[:-1] + chr(base + k) for k in range(last - first + 1))


def _fonts(resources: object) -> Iterator[tuple[int, object]]:
    fonts = getattr(resources, "get", lambda _k: None)("/Font")
    if fonts is None:
        return
    for ref in fonts.get_object().values():
        key = ref.idnum if isinstance(ref, IndirectObject) else id(ref)
        yield key, ref.get_object()


def _notdef(operands: Iterable[object]) -> bool:
    for value in operands:
        items = value if isinstance(value, list) else [value]
        for item in items:
            data = bytes(item) if isinstance(item, bytes) else None
            if data is None and hasattr(item, "original_bytes"):
                data = item.original_bytes
            if data and any(data[k : k + 2] == b"\0\0" for k in range(0, len(data) - 1, 2)):
                return True
    return False


def _page_text(ops: list[tuple[list[object], bytes]], mapped: set[str], boxed: set[str]) -> bool:
    """Read one page's operations: the ActualText of spans that print a box go to ``boxed``,
    the others to ``mapped``. Whether the page prints a box."""
    actual: list[str] = []  # the ActualText of each open marked-content span ("" for none)
    boxes = False
    for operands, op in ops:
        if op == b"BDC":
            props = operands[1] if len(operands) > 1 else None
            value = props.get("/ActualText") if hasattr(props, "get") else None
            actual.append(str(value) if value is not None else "")
        elif op == b"BMC":
            actual.append("")
        elif op == b"EMC" and actual:
            text = actual.pop()
            mapped.update(text)
        elif op in (b"Tj", b"TJ", b"'", b'"') and _notdef(operands):
            boxes = True
            if actual and actual[-1]:
                boxed.update(actual[-1])
                actual[-1] = ""
    return boxes


def missing_glyphs(pdf: bytes, text: str) -> tuple[bool, list[str]]:
    """Whether the PDF prints an empty box (a ``.notdef`` glyph) anywhere, and the characters
    of ``text`` it prints that way: those its fonts map no glyph to, and those a box stands in
    for. No box: ``(False, [])``, whatever the fonts map."""
    reader = PdfReader(io.BytesIO(pdf))
    boxes = False
    mapped: set[str] = set()
    boxed: set[str] = set()
    fonts: dict[int, object] = {}
    for page in reader.pages:
        contents = page.get_contents()
        data = contents.get_data() if contents is not None else b""
        # Cheap first: glyph 0 is two zero bytes, which typst writes as \000\000.
        if contents is not None and (b"\\000\\000" in data or b"\x00\x00" in data):
            ops = ContentStream(contents, reader).operations
            boxes = _page_text(ops, mapped, boxed) or boxes
        else:
            for m in _ACTUAL_TEXT.finditer(data):
                mapped.update(_utf16(m[1].decode()))
        fonts.update(_fonts(page.get("/Resources")))
    if not boxes:
        return False, []
    for font in fonts.values():
        cmap = font.get("/ToUnicode") if hasattr(font, "get") else None
        if cmap is not None:
            mapped.update("".join(_to_unicode(cmap.get_object().get_data().decode("latin-1"))))
    wanted = {c for c in text if unicodedata.category(c)[0] in _VISIBLE and not c.isascii()}
    return True, sorted((wanted - mapped) | (wanted & boxed))


def glyph_warnings(pdf: bytes, text: str, what: str = "the PDF") -> tuple[Message, ...]:
    """An ``fnt-001`` warning if ``what`` prints empty boxes, naming the characters."""
    boxes, missing = missing_glyphs(pdf, text)
    if not boxes:
        return ()
    if not missing:
        named = "some characters"
    else:
        shown = missing[:12]
        codes = ", ".join(f"{c} (U+{ord(c):04X})" for c in shown)
        named = codes + (f" and {len(missing) - len(shown)} more" if len(missing) > 12 else "")
    return (
        Message(
            "fnt-001",
            f"{what} prints empty boxes: no font has a glyph for {named}; add a font that has "
            "them to your templates' fonts/ folder and name it in 'font:'",
        ),
    )
