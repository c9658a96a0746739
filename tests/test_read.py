"""Reading raw files: encodings, binary files and sidecars, with errors that name the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from flows.model import PamphleteerError
from flows.read import discover, read

TEXT = "“Déjà vu”, said the Bolshevik — 1917.\n"


@pytest.mark.parametrize("codec", ["utf-8", "utf-8-sig", "utf-16", "utf-32"])
def test_unicode_encodings_with_and_without_bom(tmp_path: Path, codec: str) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes(TEXT.encode(codec))
    assert read(path).text == TEXT


def test_a_legacy_encoding_is_detected(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    text = "Les soviets réclamaient « tout le pouvoir » dès l’été ; même à Pétrograd.\n" * 5
    path.write_bytes(text.encode("cp1252"))
    assert read(path).text == text


def test_a_binary_file_is_refused_by_name(tmp_path: Path) -> None:
    path = tmp_path / "scan.txt"
    path.write_bytes(b"%PDF-1.7\x00\x01\x02binary")
    with pytest.raises(PamphleteerError, match=r"^scan\.txt: not a text file"):
        read(path)


def test_an_unsupported_kind_of_file_is_refused_by_name(tmp_path: Path) -> None:
    path = tmp_path / "scan.pdf"
    path.write_bytes(b"%PDF-1.7")
    with pytest.raises(PamphleteerError, match=r"^scan\.pdf: unsupported kind of file"):
        read(path)


def test_sidecar_values_and_aliases(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(TEXT)
    (tmp_path / "a.yaml").write_text(
        "title: T\nlanguage: fr\nurl: https://x.org/a\ndate: 2017-01-05\n"
    )
    doc = read(tmp_path / "a.txt")
    assert dict(doc.sidecar) == {
        "title": "T", "lang": "fr", "source_url": "https://x.org/a", "date": "2017-01-05"
    }  # fmt: skip


def test_a_broken_sidecar_is_named_with_its_line(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(TEXT)
    (tmp_path / "a.yaml").write_text("title: T\nauthor: [unclosed\n")
    with pytest.raises(PamphleteerError, match=r"^a\.yaml: not valid YAML \(line 3, column 1\): "):
        read(tmp_path / "a.txt")


def test_discover_skips_sidecars_and_hidden_files(tmp_path: Path) -> None:
    for name in ("b.txt", "a.txt", "a.yaml", ".hidden.txt"):
        (tmp_path / name).write_text(TEXT)
    assert [p.name for p in discover(tmp_path)] == ["a.txt", "b.txt"]
