"""Shared test set-up: the golden-file option, the seed texts, one real build per session."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from flows.cli import warm
from flows.prefect import resident
from flows.prefect.env import use_project_state
from flows.validate import resident as checker

ROOT = Path(__file__).resolve().parent.parent
CASES = Path(__file__).resolve().parent / "cases"
#: A fixed build date, so every output is the same bytes on every run.
EPOCH = "1700000000"  # 2023-11-14


def foreground() -> None:
    """For a command a test interrupts as a terminal would (``preexec_fn``): a terminal's
    foreground job takes Ctrl-C, but when the tests run in a background job (a script's ``make
    test &``) the shell has them ignore SIGINT, and so would the command."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test that reads the session's real build (Prefect, Java) is slow, wherever it lives."""
    for item in items:
        if "built" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.slow)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--save-golden",
        action="store_true",
        help="rewrite tests/cases/*/golden/ from the current code (then review the diff)",
    )


@pytest.fixture(scope="session")
def save_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--save-golden"))


@pytest.fixture(autouse=True, scope="session")
def _fixed_build_date() -> None:
    os.environ["SOURCE_DATE_EPOCH"] = EPOCH


@pytest.fixture(autouse=True, scope="session")
def _prefect_state(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Prefect's state for this session's builds (subprocesses inherit it), not the checkout's."""
    os.environ.pop("PREFECT_HOME", None)
    use_project_state(tmp_path_factory.mktemp("project-state"))


@pytest.fixture(autouse=True, scope="session")
def _no_server_left(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Stop the resident Prefect servers, checkers and warm commands this session's commands
    started (each in a project folder under the session's temporary folder), and check that each
    has ended."""
    yield
    base = tmp_path_factory.getbasetemp()
    left = []
    for record_file in base.rglob(resident.RECORD):
        record = resident.read_record(record_file.parent)
        resident.stop(record_file.parent)
        if record is not None and resident.alive(record.pid):
            left.append(f"server {record.pid} ({record_file.parent})")
    for record_file in base.rglob(checker.RECORD):
        found = checker.read_record(record_file.parent)
        checker.stop(record_file.parent)
        if found is not None and resident.alive(found.pid):
            left.append(f"checker {found.pid} ({record_file.parent})")
    for record_file in base.rglob(warm.RECORD):
        ready = warm.read_record(record_file.parent)
        warm.stop(record_file.parent)
        if ready is not None and resident.alive(ready.pid):
            left.append(f"warm command {ready.pid} ({record_file.parent})")
    assert not left, f"resident processes still running: {', '.join(left)}"


@pytest.fixture(scope="session")
def seeds_raw(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A raw/ folder holding the two seeds and their sidecars, as the repository ships them."""
    raw = tmp_path_factory.mktemp("raw")
    for path in (ROOT / "raw").iterdir():
        if path.name.startswith(("000_", "004_")):
            shutil.copy(path, raw / path.name)
    return raw


def java_missing() -> str | None:
    return None if shutil.which("java") else "epubcheck needs Java, which is not installed"


@pytest.fixture(scope="session")
def built(seeds_raw: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One `pamphleteer build` per session, as a user runs it: a project folder holding raw/
    (the seeds and two broken files), the repository's
    pamphleteer.yaml and editions.yaml (the sample anthology of both seeds)."""
    project = tmp_path_factory.mktemp("project")
    raw = project / "raw"
    raw.mkdir()
    for path in seeds_raw.iterdir():
        (raw / path.name).write_bytes(path.read_bytes())
    (raw / "scan.txt").write_bytes(b"%PDF-1.7\x00\x00binary")
    (raw / "broken.txt").write_text("Some text.\n")
    (raw / "broken.yaml").write_text("title: [unclosed\n")
    for name in ("pamphleteer.yaml", "editions.yaml"):
        shutil.copy(ROOT / name, project / name)
    out = project / "build"
    proc = subprocess.run(
        [sys.executable, "-m", "flows.cli", "build", "--raw", str(raw), "--out", str(out)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
    )
    assert proc.returncode == 1, proc.stderr  # two documents fail…
    # …two build, and the anthology of both
    assert "Built 2 document(s) and 1 anthology, 2 failed" in proc.stderr, proc.stderr
    (out / "stderr.txt").write_text(proc.stderr)
    return out
