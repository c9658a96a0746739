"""Language tags: a value from a sidecar, editions.yaml or a page becomes an attribute
(``<html lang>``, ``xml:lang`` in every EPUB part) and typst's ``lang``. Only a well-formed BCP 47
tag (RFC 5646's grammar, parsed by langcodes) gets there; anything else is dropped with a
``met-001`` warning naming where it came from, and the next source of a language is used.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import Any

import langcodes
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


#: Fewer letters than this and a detector guesses: a page's own declaration is kept.
FEW_LETTERS = 150
#: How sure the detector must be to overrule a declaration (normalised probability).
SURE = 0.95
#: How sure it must be to name the language of a text that declares none.
LIKELY = 0.8
#: Tags this close (langcodes' CLDR distance) name the same language for a reader: de-CH and
#: de, nb and no, pt-BR and pt. The declaration is kept, it is the more precise.
_SAME_LANGUAGE = 10


@functools.lru_cache(maxsize=1)
def identifier() -> Any:
    # Loaded once per process, on first use (~1 s, ~85 MB): `pamphleteer clean` of a text whose
    # sidecar names its language never pays for it; a build's fork server loads it before it
    # forks the workers (`build/preload.py`), which share its pages rather than each load a copy.
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detected_language(text: str) -> tuple[str, float] | None:
    """The language of ``text`` (an ISO 639-1 code) and how sure py3langid is; None for a text
    too short to tell."""
    sample = text[:20_000]
    if sum(c.isalpha() for c in sample) < FEW_LETTERS:
        return None
    code, probability = identifier().classify(sample)
    return str(code), float(probability)


def text_language(declared: str | None, text: str) -> str | None:
    """The language of a text whose sidecar names none: detected from the text itself, the
    page's declaration (``<html lang>``, ``<body lang>``, ``og:locale``) kept when it agrees with
    the detector, or when the text is too short or the detector unsure. A Word export's
    ``<body lang=DE-CH>`` over an English letter is a template's setting, not the text's."""
    found = detected_language(text)
    if found is None:
        return declared
    code, probability = found
    if declared:
        primary = declared.split("-")[0].lower()
        try:
            close = langcodes.tag_distance(declared, code) <= _SAME_LANGUAGE
        except (LookupError, ValueError):
            close = False
        if primary == code or close or probability < SURE:
            return declared
        return code
    return code if probability >= LIKELY else None
