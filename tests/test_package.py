"""pamphleteer installed as a package (a wheel, not this checkout) builds from any folder."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from .conftest import ROOT

pytestmark = pytest.mark.slow  # builds a wheel and runs a build through Prefect


@dataclass(frozen=True)
class Built:
    wheel: Path
    left_in_build: frozenset[str]  # what building it added to the checkout's build/


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    uv = shutil.which("uv", path=str(Path(sys.executable).parent))
    if uv is None:
        pytest.skip("uv is not installed in this environment (make installs it)")
    out = tmp_path_factory.mktemp("dist")
    before = _listing(ROOT / "build")
    # The sdist, then the wheel from it in a folder of uv's: setuptools building in the checkout
    # would leave its build/lib and build/bdist.* in the user's output folder.
    subprocess.run([uv, "build", "--quiet", "--out-dir", str(out), str(ROOT)],
                   check=True, capture_output=True, timeout=300)  # fmt: skip
    (wheel,) = out.glob("pamphleteer-*.whl")
    return Built(wheel, frozenset(_listing(ROOT / "build") - before))


def _listing(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()} if folder.is_dir() else set()


@pytest.fixture(scope="module")
def wheel(built: Built) -> Path:
    return built.wheel


def test_building_the_package_leaves_the_output_folder_alone(built: Built) -> None:
    assert not built.left_in_build


def test_the_wheel_carries_templates_lua_and_java(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    ours = {
        f"flows/templates/{p.relative_to(ROOT / 'templates').as_posix()}"
        for p in (ROOT / "templates").rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }
    assert ours and ours <= names, sorted(ours - names)
    data = {  # what the package runs that is not Python: the Lua script, the Java checkers
        p.relative_to(ROOT).as_posix()
        for p in (ROOT / "flows").rglob("*")
        if p.suffix in (".lua", ".java")
    }
    assert {"flows/render/pandoc.lua", "flows/validate/EpubCheckServer.java"} <= data
    assert data <= names, sorted(data - names)


def test_an_installed_pamphleteer_builds_from_an_unrelated_folder(
    wheel: Path, tmp_path: Path, seeds_raw: Path
) -> None:
    site = tmp_path / "site-packages"
    with zipfile.ZipFile(wheel) as z:
        z.extractall(site)  # a pure-Python wheel installed, less its console script
    project = tmp_path / "project"
    shutil.copytree(seeds_raw, project / "raw")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_HOME"}
    # The wheel's flows comes first on the path: this checkout is neither the working folder
    # nor importable (the dependencies still come from this environment).
    env["PYTHONPATH"] = str(site)
    code = "import flows, sys; from flows.cli.main import main; print(flows.__file__, file=sys.stderr); sys.exit(main())"  # noqa: E501
    proc = subprocess.run(
        [sys.executable, "-c", code, "build", "--raw", str(project / "raw"),
         "--out", str(project / "build"), "--formats", "html,pdf"],
        cwd=elsewhere, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.startswith(str(site / "flows")), proc.stderr.splitlines()[0]
    for stem in ("000-3360b08886504e93", "004-1239671bb178580e"):
        assert (project / "build" / stem / f"{stem}.html").stat().st_size > 10_000
        assert (project / "build" / stem / f"{stem}.pdf").read_bytes().startswith(b"%PDF")
    assert (project / ".prefect" / "prefect.db").is_file()  # Prefect's state in the project
    assert not (site / ".prefect").exists() and not list(elsewhere.iterdir())
