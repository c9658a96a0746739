"""Prefect's environment, set before Prefect is first imported (it reads its settings then).

Its state (the temporary server's database, a resident server's log) lives in the project: the
folder that holds ``raw/``, in ``.prefect/``, unless ``PREFECT_HOME`` says otherwise. Never in
site-packages, never in ``~/.prefect`` behind the user's back.
"""

from __future__ import annotations

import os
from pathlib import Path

#: Seconds Prefect's temporary server may take to answer. Its own default (20 s) is missed on a
#: busy two-core machine while the build's workers load the cores; a slow start is not a failure.
STARTUP_TIMEOUT = 180


def use_project_state(project: Path) -> Path:
    """Point Prefect at ``project/.prefect`` (unless ``PREFECT_HOME`` is set) and return it."""
    os.environ.setdefault("PREFECT_HOME", str(project.resolve() / ".prefect"))
    # No telemetry from machines that have no internet.
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", str(STARTUP_TIMEOUT))
    return Path(os.environ["PREFECT_HOME"])
