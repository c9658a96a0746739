"""Typesetting with typst: a compile in a private root, and what the Typst templates read.

:func:`typst_compile` copies our Typst templates (the first templates folder that has each) and
the files a document needs (the user's cover) into a private folder that is typst's root, so a
document cannot read anything else; :func:`typst_data` is every value the templates take from
``sys.inputs``, as plain strings, never pasted into Typst source. The PDF (:mod:`formats`) and the
EPUB's cover PNG (:mod:`cover`) both compile through here.
"""

from __future__ import annotations

import dataclasses
import re
import shutil
import tempfile
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import typst

from flows.assemble.i18n import direction, human_date, words
from flows.model import Message, PamphleteerError
from flows.read.sidecar import image_kind
from flows.render import fonts
from flows.render.fonts import FontChoice
from flows.settings import Settings


def user_cover(meta: Mapping[str, Any]) -> Path | None:
    """The user's cover image, as read.py resolved it (an absolute path), or None."""
    value = meta.get("cover")
    if not value:
        return None
    path = Path(str(value))
    if not path.is_absolute() or not path.is_file():
        raise PamphleteerError(f"the cover {value!r} was not resolved inside raw/")
    image_kind(path)
    return path


def cover_files(meta: Mapping[str, Any]) -> dict[str, Path]:
    """The files a Typst compile needs beside the templates: the user's cover, if any."""
    path = user_cover(meta)
    return {f"cover-image{image_kind(path)}": path} if path else {}


def cover_info(meta: Mapping[str, Any], settings: Settings) -> dict[str, Any]:
    """The cover's words as plain strings (and the user's image's name inside typst's root)."""
    files = cover_files(meta)
    return {
        "title": plain(meta.get("title")),
        "subtitle": plain(meta.get("subtitle")),
        "author": plain(meta.get("author"), " · "),
        "publisher": plain(meta.get("publisher") or meta.get("publication")),
        "image": next(iter(files), None),
    }


def plain(value: Any, sep: str = ", ") -> str:
    """A metadata value as one plain string (lists joined)."""
    if isinstance(value, list | tuple):
        return sep.join(map(str, value))
    return str(value or "")


#: The Typst files of the printed edition, copied beside the main file for each compile; each
#: comes from the first templates folder that has it, so a user can replace one.
TYPST_TEMPLATES = ("pamphlet.typ", "cover.typ", "cover-page.typ", "booklet.typ", "marks.typ")
_LANG = re.compile(r"^(?P<lang>[A-Za-z]{2,3})(?:-[A-Za-z0-9]{2,8})*$")
_REGION = re.compile(r"-(?P<region>[A-Za-z]{2})(?=-|$)")
_SINGLETON = re.compile(r"-[A-Za-z0-9](?=-|$)")  # extensions and private use follow: "-u-co-…"


def typst_language(tag: str) -> tuple[str, str | None]:
    """A BCP 47 tag ("en-US", "pt_BR", "zh-Hant-TW") as typst takes it: the language alone
    ("en"; typst refuses "en-US") and the region, if the tag has one ("US"). Not a tag: English.
    """
    tag = _SINGLETON.split(tag.strip().replace("_", "-"), maxsplit=1)[0]
    m = _LANG.match(tag)
    if not m:
        return "en", None
    region = _REGION.search(tag, m.end("lang"))
    return m["lang"].lower(), region["region"].upper() if region else None


_COMPILERS = threading.local()


def _compiler(font_dirs: tuple[str, ...]) -> typst.Compiler:
    """This thread's typst compiler for these font folders: it loads the fonts once, and keeps
    typst's caches from one document to the next (each compile still gets its own root)."""
    cache: dict[tuple[str, ...], typst.Compiler] = _COMPILERS.__dict__.setdefault("by_fonts", {})
    if font_dirs not in cache:
        cache[font_dirs] = typst.Compiler(font_paths=list(font_dirs), ignore_system_fonts=True)
    return cache[font_dirs]


def typst_compile(
    main: bytes | str,
    settings: Settings,
    inputs: Mapping[str, str],
    files: Mapping[str, Path | bytes],
    png_ppi: float | None = None,
    font_dirs: tuple[str, ...] = (),
    standards: tuple[str, ...] = (),
) -> tuple[bytes, tuple[Message, ...]]:
    """Compile Typst in a private folder holding only our templates and ``files``.

    ``main`` is a template name (``cover-page.typ``) or Typst source; ``inputs`` reach the
    document as ``sys.inputs`` (plain strings). The folder is typst's root: a document cannot
    read anything outside it; ``files`` are copied (a path) or written (bytes) into it. System
    fonts are ignored so every machine sets the same bytes; ``font_dirs`` (the folders of the
    scripts' fonts, :mod:`flows.render.fonts`) are loaded besides the templates' ``fonts/``. A
    PDF, or with ``png_ppi`` the first page as a PNG of that resolution. ``standards``: the PDF
    standards typst holds the PDF to (``"ua-1"``, PDF/UA-1); it refuses to compile what breaks
    them.
    """
    with tempfile.TemporaryDirectory(prefix="pamphleteer-typst-") as tmp:
        root = Path(tmp)
        for name in TYPST_TEMPLATES:
            shutil.copyfile(settings.template(f"typst/{name}"), root / name)
        for name, file in files.items():
            if isinstance(file, bytes):
                (root / name).write_bytes(file)
            else:
                shutil.copyfile(file, root / name)
        if isinstance(main, bytes):
            (root / "main.typ").write_bytes(main)
            main = "main.typ"
        try:
            compiler = _compiler((*settings.font_dirs(), *font_dirs))
            data, warnings = compiler.compile_with_warnings(
                str(root / main),
                root=str(root),
                format="png" if png_ppi else "pdf",
                ppi=png_ppi,
                sys_inputs=dict(inputs),
                timestamp=settings.source_date_epoch,
                pdf_standards=list(standards),
            )
        except RuntimeError as exc:
            raise PamphleteerError(f"typst could not compile {main}: {exc}") from None
    if isinstance(data, list):  # one PNG per page: the first is the one asked for
        data = data[0]
    messages = tuple(Message("typ-001", f"typst: {w.message}") for w in warnings)
    return data, messages


def names(value: Any) -> list[str]:
    """A metadata value as a list of names (one author, or several)."""
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    return [str(value)] if value else []


def font_choice(meta: Mapping[str, Any], settings: Settings, text: str = "") -> FontChoice:
    """The fonts for ``text`` (and the metadata the cover and title page print), in the
    language of ``meta``, the settings' fonts first."""
    shown = " ".join(plain(meta.get(k)) for k in ("title", "subtitle", "author", "publisher"))
    lang = str(meta.get("lang") or "en")
    press = settings.press
    return fonts.choose(f"{shown}\n{text}", lang, press.font, press.heading_font)


def typst_data(
    meta: Mapping[str, Any],
    settings: Settings,
    contents: bool = False,
    chosen: FontChoice | None = None,
) -> dict[str, Any]:
    """What the Typst templates read from sys.inputs: plain strings, the press settings, the
    text's language, direction, words and fonts (``chosen``, else those of the metadata)."""
    press = settings.press
    title = plain(meta.get("title"))
    tag = str(meta.get("lang") or "en")
    language, region = typst_language(tag)
    chosen = chosen or font_choice(meta, settings)
    return {
        "title": title,
        "authors": names(meta.get("author")),
        "date": human_date(meta["date"], tag) if meta.get("date") else "",
        "lang": language,
        "region": region,
        "dir": direction(tag),
        "fonts": list(chosen.body),
        "heading_fonts": list(chosen.headings),
        "words": {"contents": words(settings, tag).contents},
        # Left-hand pages: an article's author, or an anthology's title; right: the (chapter) title.
        "running": {
            "verso": title if contents else (plain(meta.get("author"), " · ") or title),
            "recto": title,
        },
        "contents": contents,
        "cover": {
            **cover_info(meta, settings),
            "fonts": list(chosen.headings),
            "dir": direction(tag),
        },
        "press": dataclasses.asdict(press),
    }
