"""Language tags: a value from a sidecar, editions.yaml or a page becomes an attribute
(``<html lang>``, ``xml:lang`` in every EPUB part) and typst's ``lang``. Only a well-formed BCP 47
tag (RFC 5646's grammar, parsed by langcodes) gets there; anything else is dropped with a
``met-001`` warning naming where it came from, and the next source of a language is used.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from langcodes.tag_parser import LanguageTagError, parse_tag

from flows.model import Message

#: What a well-formed tag is made of, whatever the parser would accept besides: subtags of ASCII
#: letters and digits joined by hyphens. Nothing here can close an attribute or open markup.
_SUBTAGS = re.compile(r"[A-Za-z0-9]{1,8}(?:-[A-Za-z0-9]{1,8})*")


def language_tag(value: Any) -> str | None:
    """``value`` as a well-formed BCP 47 tag (``pt_BR`` written ``pt-BR``), or None."""
    if not isinstance(value, str):
        return None
    tag = value.strip().replace("_", "-")
    if not _SUBTAGS.fullmatch(tag):
        return None
    try:
        parse_tag(tag)
    except (LanguageTagError, ValueError, IndexError):
        return None
    return tag


def checked_language(
    meta: Mapping[str, Any], where: str
) -> tuple[dict[str, Any], tuple[Message, ...]]:
    """``meta`` with its ``lang`` well-formed; a value that is no tag is left out, with a warning
    that starts with ``where`` (the sidecar's name, ``editions.yaml: <slug>``, the page's name)."""
    checked = dict(meta)
    if "lang" not in checked:
        return checked, ()
    value = checked.pop("lang")
    tag = language_tag(value)
    if tag:
        checked["lang"] = tag
        return checked, ()
    shown = repr(value) if len(repr(value)) <= 60 else repr(value)[:57] + "…"
    text = f"{where}: the language {shown} is not a BCP 47 tag (like en, de-AT): not used"
    return checked, (Message("met-001", text, "warning"),)
