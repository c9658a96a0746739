"""pamphleteer: scraped articles to HTML, EPUB and PDF editions.

Prefect reads its settings when it is first imported, and every module of this package is imported
after this file: keep Prefect's state in a folder we control (not ~/.prefect) and do not phone
home from machines without internet.
"""

import os
from pathlib import Path

os.environ.setdefault("PREFECT_HOME", str(Path(__file__).resolve().parent.parent / ".prefect"))
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
