"""Typography per language: the one table :func:`flows.typography.typogrify` reads.

One :class:`Rules` per language (the primary subtag of a BCP 47 tag; a few regional variants
have their own row): the quotation marks of the first and second level, what stands inside
them, what stands before ``; : ! ?``, and which dash a spaced hyphen becomes. The marks follow
CLDR's delimiters and the usual style guides (Duden, Imprimerie nationale, RAE, Гост); a
language not in the table is set with English rules, which never moves a space.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

NBSP = "\u00a0"  # no-break space
NNBSP = "\u202f"  # narrow no-break space (French « », ; ! ?)


@dataclass(frozen=True)
class Rules:
    primary: tuple[str, str]  # “ ”: the first level, and every odd level under it
    secondary: tuple[str, str]  # ‘ ’: a quotation inside a quotation
    inside: str = ""  # between a primary mark and the words it encloses (French: NNBSP)
    #: Punctuation that takes a space before it, and which (French: "; ! ?" narrow, ":" full).
    before: tuple[tuple[str, str], ...] = ()
    dash: str = "\u2013"  # what " - " between words becomes (spaced)
    dash_space: str = " "  # the space before that dash (Russian: no-break, never at a line start)


_EN = Rules(("\u201c", "\u201d"), ("\u2018", "\u2019"))
_DE = Rules(("\u201e", "\u201c"), ("\u201a", "\u2018"))  # „…“ ‚…‘
_GUILLEMETS_CURLY = Rules(("\u00ab", "\u00bb"), ("\u201c", "\u201d"))  # «…» “…”
_GUILLEMETS_LOW = Rules(("\u00ab", "\u00bb"), ("\u201e", "\u201c"), dash="\u2014", dash_space=NBSP)
_FR = Rules(
    ("\u00ab", "\u00bb"),
    ("\u201c", "\u201d"),
    inside=NNBSP,
    before=((";", NNBSP), ("!", NNBSP), ("?", NNBSP), (":", NBSP)),
)
_CORNER = Rules(("\u300c", "\u300d"), ("\u300e", "\u300f"), dash="\u2014")  # 「…」 『…』

RULES: MappingProxyType[str, Rules] = MappingProxyType(
    {
        "en": _EN,
        "de": _DE,
        "de-CH": Rules(("\u00ab", "\u00bb"), ("\u2039", "\u203a")),  # «…» ‹…›, no spaces
        "fr": _FR,
        "fr-CH": Rules(("\u00ab", "\u00bb"), ("\u2039", "\u203a"), inside=NNBSP, before=_FR.before),
        "ru": _GUILLEMETS_LOW,
        "uk": _GUILLEMETS_LOW,
        "be": _GUILLEMETS_LOW,
        "es": _GUILLEMETS_CURLY,
        "it": _GUILLEMETS_CURLY,
        "pt": _GUILLEMETS_CURLY,
        "pt-BR": _EN,
        "ca": _GUILLEMETS_CURLY,
        "el": _GUILLEMETS_CURLY,
        "pl": Rules(("\u201e", "\u201d"), ("\u00ab", "\u00bb")),  # „…” «…»
        "ro": Rules(("\u201e", "\u201d"), ("\u00ab", "\u00bb")),
        "hu": Rules(("\u201e", "\u201d"), ("\u00bb", "\u00ab")),
        "cs": _DE,
        "sk": _DE,
        "sl": _DE,
        "hr": Rules(("\u201e", "\u201c"), ("\u2018", "\u2019")),
        "bg": Rules(("\u201e", "\u201c"), ("\u2018", "\u2019"), dash="\u2014", dash_space=NBSP),
        "nl": _EN,
        "sv": Rules(("\u201d", "\u201d"), ("\u2019", "\u2019")),  # ”…” ’…’
        "fi": Rules(("\u201d", "\u201d"), ("\u2019", "\u2019")),
        "da": Rules(("\u00bb", "\u00ab"), ("\u203a", "\u2039")),  # »…« ›…‹
        "nb": Rules(("\u00ab", "\u00bb"), ("\u2018", "\u2019")),
        "nn": Rules(("\u00ab", "\u00bb"), ("\u2018", "\u2019")),
        "no": Rules(("\u00ab", "\u00bb"), ("\u2018", "\u2019")),
        "tr": _EN,
        "ar": _GUILLEMETS_CURLY,
        "fa": _GUILLEMETS_CURLY,
        "ur": _GUILLEMETS_CURLY,
        "he": Rules(("\u201d", "\u201d"), ("\u2019", "\u2019")),  # ”…” ’…’ (CLDR)
        "zh": _EN,  # “…” ‘…’ (simplified)
        "zh-Hant": _CORNER,
        "zh-TW": _CORNER,
        "zh-HK": _CORNER,
        "ja": _CORNER,
        "ko": _EN,
    }
)


def rules_for(tag: str | None) -> Rules:
    """The rules of a BCP 47 tag: its language and script or region first ("zh-Hant",
    "pt-BR"), then its language alone, then English."""
    if not tag:
        return _EN
    parts = tag.replace("_", "-").split("-")
    language = parts[0].lower()
    for sub in parts[1:]:
        key = f"{language}-{sub.title() if len(sub) == 4 else sub.upper()}"
        if key in RULES:
            return RULES[key]
    return RULES.get(language, _EN)
