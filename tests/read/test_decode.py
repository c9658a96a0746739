"""Reading raw files: encodings, binary files and sidecars, with errors that name the file."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from flows.files import discover
from flows.model import PamphleteerError, PartialDate
from flows.read.decode import decode_html, read

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
        "title": "T", "lang": "fr", "source_url": "https://x.org/a", "date": PartialDate(2017, 1, 5)
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


# -- HTML pages ---------------------------------------------------------------------------------

# One sentence per codec, in a script that codec can write.
CODEC_TEXTS = {
    "utf-8": "Rosa Luxemburg — «Ordnung herrscht in Berlin» — 1919, ½ € ∑",
    "cp1252": "“Tout le pouvoir aux soviets” — dès l’été, même à Pétrograd…",
    "iso-8859-2": "Związek zawodowy robotników, Łódź, żółć",
    "iso-8859-15": "Les œuvres complètes coûtent 10 €",
    "cp1251": "Вся власть Советам! Петроград, октябрь 1917 года",
    "koi8-r": "Кронштадт, март 1921 года: Советы без коммунистов",
    "shift_jis": "労働者評議会の歴史、一九一七年",
    "gbk": "工人委员会的历史，一九一七年",
    "euc-kr": "노동자 평의회의 역사",
    "big5": "工人委員會的歷史",
    "iso-8859-7": "Ιστορία των εργατικών συμβουλίων",
    "cp1256": "تاريخ المجالس العمالية",
}


def _page(text: str, head: str = "") -> str:
    return f"<html><head>{head}<title>T</title></head><body><p>{text}</p></body></html>"


@pytest.mark.parametrize("codec", sorted(CODEC_TEXTS))
def test_an_html_page_in_each_codec_is_decoded_by_its_meta_charset(
    tmp_path: Path, codec: str
) -> None:
    text = CODEC_TEXTS[codec]
    path = tmp_path / "a.html"
    path.write_bytes(_page(text, f'<meta charset="{codec}">').encode(codec))
    assert text in read(path).text


@pytest.mark.parametrize("codec", ["cp1251", "shift_jis", "iso-8859-2"])
def test_an_http_equiv_content_type_is_honoured(tmp_path: Path, codec: str) -> None:
    text = CODEC_TEXTS[codec]
    head = f'<meta http-equiv="Content-Type" content="text/html; charset={codec}">'
    path = tmp_path / "a.htm"
    path.write_bytes(_page(text, head).encode(codec))
    assert text in read(path).text


def test_latin_1_declared_is_read_as_windows_1252_like_browsers_do(tmp_path: Path) -> None:
    path = tmp_path / "a.html"
    path.write_bytes(_page("“quoted” — dash", '<meta charset="ISO-8859-1">').encode("cp1252"))
    assert "“quoted” — dash" in read(path).text


@pytest.mark.parametrize("codec", ["utf-8-sig", "utf-16", "utf-32"])
def test_a_bom_wins_over_the_meta(tmp_path: Path, codec: str) -> None:
    text = CODEC_TEXTS["cp1251"]
    path = tmp_path / "a.html"
    path.write_bytes(_page(text, '<meta charset="iso-8859-1">').encode(codec))
    assert text in read(path).text


@pytest.mark.parametrize("codec", ["cp1251", "cp1252", "utf-8"])
def test_an_undeclared_encoding_is_detected(tmp_path: Path, codec: str) -> None:
    text = " ".join([CODEC_TEXTS[codec]] * 8)
    path = tmp_path / "a.html"
    path.write_bytes(_page(text).encode(codec))
    assert text in read(path).text


def test_mojibake_is_repaired(tmp_path: Path) -> None:
    text = "Les soviets réclamaient « tout le pouvoir » dès l’été"
    broken = text.encode("utf-8").decode("cp1252")  # "rÃ©clamaient", "lâ€™Ã©tÃ©"
    for name in ("a.html", "a.txt"):
        path = tmp_path / name
        path.write_bytes(_page(broken, '<meta charset="utf-8">').encode("utf-8"))
        assert text in read(path).text


def test_a_gzipped_page_with_its_sidecar(tmp_path: Path) -> None:
    path = tmp_path / "commune.html.gz"
    path.write_bytes(gzip.compress(_page("La Commune", '<meta charset="utf-8">').encode()))
    (tmp_path / "commune.yaml").write_text("title: The Commune\n")
    doc = read(path)
    assert "La Commune" in doc.text
    assert doc.slug == "commune"
    assert doc.meta["title"] == "The Commune"


def test_a_broken_gzip_is_refused_by_name(tmp_path: Path) -> None:
    path = tmp_path / "page.html.gz"
    path.write_bytes(b"\x1f\x8b not really gzip")
    with pytest.raises(PamphleteerError, match=r"^page\.html\.gz: not a gzip file"):
        read(path)


def test_a_gb2312_page_with_gb18030_characters_and_a_broken_byte_is_read(tmp_path: Path) -> None:
    # Browsers read "gb2312" as GB18030; a page's one broken sequence costs one character, not
    # the page.
    text = "第一章 凡事谢恩。" * 40 + "𠀀 and the rest of the chapter."
    head = '<meta http-equiv="Content-Type" content="text/html; charset=gb2312">'
    data = _page(text, head).encode("gb18030").replace(b"<p>", b"<p>\x81\x20", 1)
    path = tmp_path / "a.html"
    path.write_bytes(data)
    assert "第一章 凡事谢恩。" * 40 + "𠀀 and the rest" in read(path).text


def test_a_utf8_page_that_kept_its_originals_legacy_charset_is_read_as_utf8(
    tmp_path: Path,
) -> None:
    text = CODEC_TEXTS["cp1256"]  # its UTF-8, read as cp1252, looks like no mojibake ftfy knows
    path = tmp_path / "a.html"
    path.write_bytes(_page(text, '<meta charset="windows-1252">').encode("utf-8"))
    assert text in read(path).text


def test_mojibake_of_a_dash_is_repaired() -> None:
    text = "facilitated – yet casual – discussions"
    broken = text.encode("utf-8").decode("cp1252")  # "facilitated â€“ yet casual"
    assert text in decode_html(_page(broken).encode("utf-8"), "a.html")


def test_an_undeclared_chinese_page_with_a_broken_sequence_is_read_as_chinese() -> None:
    # One broken sequence rules GB18030 out of the whole page for the detector, which then
    # settled on a Cyrillic codec; the page's start and end say Chinese, as trafilatura asks.
    half = "</p>\n<p>".join(["中国人民站起来了，我们的民族将再也不是一个被人侮辱的民族了。"] * 100)
    start, end = _page(f"{half}|{half}").encode("gb18030").split(b"|")
    data = start + b"\xc7 " + end  # a broken sequence in the middle of the page
    decoded = decode_html(data, "a.html")
    assert "中国人民站起来了" in decoded
    assert decoded.count("\ufffd") <= 2
