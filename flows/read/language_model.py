"""py3langid's model, loaded when this module is imported (~0.65 s of CPU, ~85 MB).

A module of its own so that the build's fork server can import it once before it forks the
workers (``build.workers.PRELOAD``): the workers then share its pages (its arrays are only read)
instead of each loading a copy of its own. Any other process loads it on its first detection
(``read.language``), never on import of the reader.
"""

from __future__ import annotations

from py3langid.langid import MODEL_FILE, LanguageIdentifier

IDENTIFIER = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
