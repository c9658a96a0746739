"""The patterns of notes as the footnotes stage reads them; the cleaner uses them too (a notes
list is where an article's text ends)."""

from __future__ import annotations

import re

_I = re.IGNORECASE

#: A heading of a notes list ("Notes", "Footnotes:", "References"), in the languages whose
#: words the editions use (templates/i18n/) and their usual variants.
NOTES_HEADING = re.compile(
    r"^(notes?|foot-?notes|end-?notes|references|sources|notes and references"
    r"|anmerkungen|fußnoten|fussnoten|endnoten|notas|notas al pie|note|note a piè di pagina"
    r"|примечания|сноски|σημειώσεις|notlar|dipnotlar|الحواشي|الهوامش|ملاحظات|یادداشت‌ها"
    r"|یادداشت ها|پانویس‌ها|پانوشت‌ها|הערות|注|注释|註釋|脚注|注記|przypisy|poznámky|noten"
    r"|fotnoter|noter|notat)\s*[:：]?$",
    _I,
)

#: A note whose text ends where a link used to be: "see", "can be downloaded from", …
LOST_LINK_END = re.compile(
    r"(\bsee|\bsee (also|here|this)|\bat|\bfrom|\bhere|\bavailable (at|on|from)|"
    r"\bcan be (found|read|downloaded) (at|on|from|here)|\bdownloaded from)\s*:?\s*$",
    _I,
)
