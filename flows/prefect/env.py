"""Prefect's environment, set before Prefect is first imported (it reads its settings then).

Its state (the database; the resident server's record and log, see :mod:`flows.prefect.resident`)
lives in the project: the folder that holds ``raw/``, in ``.prefect/``, unless ``PREFECT_HOME`` says
otherwise. Never in site-packages, never in ``~/.prefect`` behind the user's back.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flows.limits import Limits

#: Seconds Prefect's temporary server may take to answer (``--temporary-server``). Its own default
#: (20 s) is missed on a busy two-core machine while the build's workers load the cores.
STARTUP_TIMEOUT = int(Limits.server_start_seconds)


def use_project_state(project: Path) -> Path:
    """Point Prefect at ``project/.prefect`` (unless ``PREFECT_HOME`` is set) and return it."""
    os.environ.setdefault("PREFECT_HOME", str(project.resolve() / ".prefect"))
    # No telemetry from machines that have no internet.
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", str(STARTUP_TIMEOUT))
    return home()


def home() -> Path:
    """Prefect's state folder (``PREFECT_HOME``, as :func:`use_project_state` set it)."""
    return Path(os.environ["PREFECT_HOME"])


def read_again() -> None:
    """Prefect read its settings when it was imported: a process that imported it before they
    changed (a warm command's build, :mod:`flows.cli.warm`) has it read them again."""
    import sys

    if "prefect.context" in sys.modules:
        from prefect.context import refresh_global_settings_context

        refresh_global_settings_context()


def detach_temporary_server() -> None:
    """Start Prefect's temporary server (``--temporary-server``: uvicorn, a child process) in a
    session of its own. A Ctrl-C at the terminal reaches the whole foreground process group:
    a server that died of it left the interrupted build's last API calls retrying for a minute,
    then a traceback. Prefect stops it at the command's end; if the command is killed,
    :mod:`flows.lifeline` does (the server carries the build's marker)."""
    import subprocess
    from types import SimpleNamespace

    from prefect.server.api import server

    class InSession(subprocess.Popen):  # type: ignore[type-arg]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs.setdefault("start_new_session", True)
            super().__init__(*args, **kwargs)

    server.subprocess = SimpleNamespace(**{**vars(subprocess), "Popen": InSession})  # type: ignore[attr-defined]
