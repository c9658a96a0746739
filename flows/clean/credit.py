"""A report's credit line: who reported and edited it, or its source and agencies.

News reports end with one ("(Reporting by …; Editing by …)", "… contributed to this report",
"SOURCE: Al Jazeera News", "(Quelle: APA/sda/dpa)"). It is no paragraph of the article: both
cleaners take it from the last blocks and the edition prints it in its colophon, as it prints
the byline on its title page. So does a line about the author ("Jane Doe is a senior producer
for …"), which sites set after the article.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from flows.clean import patterns

#: The longest credit line, in words (a wire story's names five writers and their cities).
_CREDIT_WORDS = 45
#: The longest source line ("Quelle: APA/sda/dpa", "SOURCE: Al Jazeera News"), in words.
_SOURCE_WORDS = 8
#: How many of the last blocks may hold it (a note or a tag line may follow).
LAST_BLOCKS = 2
#: The longest line about the author, in words (two writers, a sentence each).
_BIO_WORDS = 60
#: "is", "was" after the author's name, in the languages the cleaner knows.
_BIO_VERB = r",? (?:is|was|ist|war|est|était|es|era|è|er|var|är|jest|je|был|была)\b"


def is_credit(text: str) -> bool:
    """A credit or source line: besides the names and places (capitals), only a credit's words
    (:data:`patterns.CREDIT_WORDS`); a sentence about reporting is the article's."""
    words = [w.rstrip(".'’-") for w in re.findall(r"[^\W\d_][\w'’.-]*", text)]
    if len(words) <= _SOURCE_WORDS and patterns.SOURCE_LINE.match(text):
        return True
    return (
        len(words) <= _CREDIT_WORDS
        and patterns.CREDIT_LINE.match(text) is not None
        and all(w[0].isupper() or w.casefold() in patterns.CREDIT_WORDS for w in words)
    )


def find_credit(texts: Sequence[str]) -> int | None:
    """The index of the credit line among the last blocks' plain texts, if one is."""
    for i in range(len(texts) - 1, max(-1, len(texts) - 1 - LAST_BLOCKS), -1):
        if is_credit(texts[i].strip()):
            return i
    return None


def find_bio(texts: Sequence[str], authors: Sequence[str]) -> int | None:
    """The index of a line about the article's author among the last blocks' plain texts, if
    one is: it starts with an author's name, then "is" or "was", and is a few sentences long."""
    names = [re.escape(a) for a in authors if a.strip()]
    if not names:
        return None
    bio = re.compile(rf"^(?:{'|'.join(names)}){_BIO_VERB}")
    for i in range(len(texts) - 1, max(-1, len(texts) - 1 - LAST_BLOCKS), -1):
        text = texts[i].strip()
        if len(text.split()) <= _BIO_WORDS and bio.match(text):
            return i
    return None
