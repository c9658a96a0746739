"""Golden files: each stage's output for every case in tests/cases/<case>/in/.

Regenerate with ``pytest --save-golden`` and review the diff: a golden file is never edited by hand.
"""

from __future__ import annotations

import json
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from flows.assemble.edition import assemble
from flows.build.pipeline import build_document, cleaned_markdown
from flows.clean.text import clean
from flows.files import is_source
from flows.footnotes.link import link_notes
from flows.model import Document
from flows.read.decode import read
from flows.render import formats as render
from flows.settings import Settings, build_date_from_env
from flows.validate.validators import epubcheck

from .conftest import CASES, java_missing


def _settings() -> Settings:
    return Settings(build_date=build_date_from_env())


def _cleaned(doc: Document) -> Document:
    return clean(doc)


def _linked(doc: Document) -> Document:
    return link_notes(clean(doc))


STAGES: dict[str, Callable[[Document], str]] = {
    "clean.md": lambda d: cleaned_markdown(_cleaned(d)),
    "footnotes.md": lambda d: cleaned_markdown(_linked(d)),
    "report.json": lambda d: json.dumps(_linked(d).report.to_dict(), indent=2) + "\n",
    "edition.md": lambda d: assemble(_linked(d), _settings()),
    "edition.html": lambda d: render.html(
        assemble(_linked(d), _settings()), _settings()
    ).data.decode(),
    "edition.typ": lambda d: render.typst_source(
        assemble(_linked(d), _settings()), _settings()
    ).data.decode(),
}


def _cases() -> list[tuple[Path, str]]:
    found = []
    for case in sorted(p for p in CASES.iterdir() if p.is_dir()):
        sources = [p for p in (case / "in").iterdir() if is_source(p)]
        assert len(sources) == 1, f"{case}/in must hold one source (and its sidecar)"
        found += [(sources[0], stage) for stage in STAGES]
    return found


@pytest.mark.parametrize(
    ("source", "stage"), _cases(), ids=lambda v: v.parent.parent.name if isinstance(v, Path) else v
)
def test_stage_output_matches_golden(source: Path, stage: str, save_golden: bool) -> None:
    actual = STAGES[stage](read(source))
    golden = source.parent.parent / "golden" / stage
    if save_golden:
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(actual, encoding="utf-8")
    assert golden.is_file(), f"no golden file {golden}: run pytest --save-golden and review it"
    assert actual == golden.read_text(encoding="utf-8"), (
        f"{stage} of {source.name} changed: if intended, run pytest --save-golden, review the diff"
    )


# -- every case's EPUB passes EPUBCheck, its date included ---------------------------------------


def _sources() -> list[Path]:
    return sorted({source for source, _ in _cases()})


@pytest.mark.slow
@pytest.mark.skipif(java_missing() is not None, reason=str(java_missing()))
@pytest.mark.parametrize("source", _sources(), ids=lambda p: p.parent.parent.name)
def test_every_case_s_epub_passes_epubcheck(source: Path, tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    shutil.copytree(source.parent, raw)
    settings = Settings(formats=("epub",), check=False, build_date=build_date_from_env())
    result = build_document(raw / source.name, tmp_path / "out", settings)
    check = epubcheck(result.outputs["epub"])
    assert check.passed, (check.errors, check.warnings, check.messages)
    opf = zipfile.ZipFile(result.outputs["epub"]).read("EPUB/content.opf").decode()
    date = read(source).meta.get("date") or clean(read(source)).meta.get("date")
    if date:
        assert f'<dc:date id="epub-date">{date}</dc:date>' in opf
    else:
        assert "<dc:date" not in opf


@pytest.mark.slow
@pytest.mark.skipif(java_missing() is not None, reason=str(java_missing()))
@pytest.mark.parametrize("written", ["2019", "2019-03", "March 2019", "Январь 2017", "1921-03-18"])
def test_a_year_or_a_month_is_a_valid_dc_date(written: str, tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(f"A Dated Text\n\nIts words, written in {written}.\n")
    (tmp_path / "a.yaml").write_text(f"date: '{written}'\nlang: en\n")
    settings = Settings(formats=("epub",), check=False)
    result = build_document(tmp_path / "a.txt", tmp_path / "out", settings)
    check = epubcheck(result.outputs["epub"])
    assert check.passed, (check.errors, check.warnings, check.messages)
    opf = zipfile.ZipFile(result.outputs["epub"]).read("EPUB/content.opf").decode()
    expected = {"March 2019": "2019-03", "Январь 2017": "2017-01"}.get(written, written)
    assert f'<dc:date id="epub-date">{expected}</dc:date>' in opf
