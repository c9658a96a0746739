"""A page's figures (``--images``), from the page to every format.

The page of the issue: three figures, one on a server (127.0.0.1), one saved beside the page, one
that cannot be had. Every format gets the two, with their captions and descriptions; the third
is reported and left out; nothing in an edition makes a reader's program fetch anything.
"""

from __future__ import annotations

import dataclasses
import io
import re
import zipfile
from pathlib import Path

import pypdf
import pytest
from PIL import Image

from flows.build.pipeline import DocumentResult, build_anthology, build_document
from flows.limits import Limits
from flows.model import PamphleteerError
from flows.read.editions import Edition
from flows.read.project import project_settings
from flows.render.figures import checked
from flows.settings import Settings

from ..conftest import java_missing
from ..localhttp import Reply, Script, serving

PROSE = (
    "The sailors of the Baltic fleet met on the ice in March and spoke of the soviets, the bread "
    "ration and the arrests in Petrograd, and of what the town had been promised in October."
)


def png(width: int, height: int, colour: str = "red") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, "PNG")
    return out.getvalue()


REMOTE = png(800, 450, "red")
LOCAL = png(300, 200, "green")


def page(base: str, *figures: str) -> str:
    paragraphs = [f"<p>{PROSE} ({n})</p>" for n in range(len(figures) + 1)]
    body = "".join(p + f for p, f in zip(paragraphs, (*figures, ""), strict=True))
    return (
        "<!doctype html><html lang='en'><head><title>Kronstadt in pictures</title></head><body>"
        f"<article><h1>Kronstadt in pictures</h1>{body}</article></body></html>"
    ).replace("BASE", base)


THREE = (
    "<figure><img src='BASE/fig.png' alt='The battleship in the ice'><figcaption>The "
    "<em>Petropavlovsk</em> frozen in, March 1921.</figcaption></figure>",
    "<figure><img src='kronstadt_files/map.png' alt='A map of the island'><figcaption>Map of "
    "<strong>Kotlin</strong> island.</figcaption></figure>",
    "<figure><img src='BASE/gone.png' alt='Lost'><figcaption>A lost photograph.</figcaption>"
    "</figure>",
)


def _build(raw: Path, out: Path, **settings: object) -> DocumentResult:
    given = {"images": True, "check": False, **settings}
    return build_document(raw / "kronstadt.html", out, Settings(**given))  # type: ignore[arg-type]


@pytest.fixture()
def raw(tmp_path: Path) -> Path:
    folder = tmp_path / "raw"
    (folder / "kronstadt_files").mkdir(parents=True)
    (folder / "kronstadt_files" / "map.png").write_bytes(LOCAL)
    return folder


def _epub(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {name: z.read(name) for name in z.namelist()}


def test_three_figures_two_in_every_format_one_reported(raw: Path, tmp_path: Path) -> None:
    script = Script({"/fig.png": [Reply(200, REMOTE, {"Content-Type": "image/png"})]})
    out = tmp_path / "build"
    with serving(script) as base:
        (raw / "kronstadt.html").write_text(page(base, *THREE))
        result = _build(raw, out)
        again = _build(raw, out)  # the download is in the build's cache
    assert len(script.hits("/fig.png")) == 1
    for done in (result, again):
        [warning] = [m for m in done.report.messages if m.code.startswith("img-")]
        assert warning.code == "img-001" and "gone.png" in warning.text
        assert "404" in warning.text and warning.level == "warning"

    html = result.outputs["html"].read_text()
    sources = re.findall(r'<img\s+src="([^"]*)"', html)
    assert len(sources) == 2 and all(s.startswith("data:image/png;base64,") for s in sources)
    assert not re.search(r"""(src|href|srcset)=["']?(https?:)?//""", html.split("<body", 1)[1])
    assert "<em>Petropavlovsk</em> frozen in" in html
    assert "Map of <strong>Kotlin</strong> island." in html
    assert 'alt="The battleship in the ice"' in html and 'alt="A map of the island"' in html
    assert "A lost photograph" not in html

    files = _epub(result.outputs["epub"])
    opf = files["EPUB/content.opf"].decode()
    items = re.findall(r'<item id="[^"]*" href="(media/[^"]*)" media-type="image/png" />', opf)
    assert sorted(files[f"EPUB/{i}"] for i in items) == sorted([REMOTE, LOCAL])
    chapters = b"".join(v for k, v in files.items() if k.endswith(".xhtml")).decode()
    assert 'alt="The battleship in the ice"' in chapters and 'alt="A map of the island"' in chapters
    assert "<em>Petropavlovsk</em> frozen in" in chapters
    assert "127.0.0.1" not in chapters and "lost photograph" not in chapters

    pdf = pypdf.PdfReader(result.outputs["pdf"])
    images = [image for p in pdf.pages for image in p.images]
    assert sorted(i.image.size for i in images) == [(300, 200), (800, 450)]
    text = " ".join(p.extract_text() for p in pdf.pages)
    assert "Petropavlovsk frozen in" in " ".join(text.split())
    # Nothing but the editions in the output folder: the images are inside them.
    names = {p.name for p in result.outputs["html"].parent.iterdir()}
    assert names - {p.name for p in result.outputs.values()} == {"kronstadt.report.json"}


@pytest.mark.slow
@pytest.mark.skipif(java_missing() is not None, reason=str(java_missing()))
def test_epubcheck_passes_the_epub_with_figures(raw: Path, tmp_path: Path) -> None:
    script = Script({"/fig.png": [Reply(200, REMOTE, {"Content-Type": "image/png"})]})
    with serving(script) as base:
        (raw / "kronstadt.html").write_text(page(base, *THREE))
        result = _build(raw, tmp_path / "build", formats=("epub",), check=True)
    check = result.checks["epubcheck"]
    assert (check.errors, check.warnings) == (0, 0), check.messages


def test_the_setting_turns_figures_on(tmp_path: Path) -> None:
    (tmp_path / "raw").mkdir()
    (tmp_path / "pamphleteer.yaml").write_text("images: true\npaper: a6\n")
    settings = project_settings(str(tmp_path / "raw"), "html", None, None, check=False)
    assert settings.images and settings.press.paper == "a6"
    (tmp_path / "pamphleteer.yaml").write_text("images: often\n")
    with pytest.raises(PamphleteerError, match="'images' must be true or false"):
        project_settings(str(tmp_path / "raw"), "html", None, None, check=False)


SVG_SCRIPT = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b"<script>alert(1)</script><rect width='10' height='10'/></svg>"
)
SVG_HANDLER = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect/></svg>'
SVG_EXTERNAL = (
    b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">'
    b'<image xlink:href="http://127.0.0.1:9/x.png" width="5" height="5"/></svg>'
)
SVG_ENTITY = (
    b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    b'<svg xmlns="http://www.w3.org/2000/svg"><text>&x;</text></svg>'
)
PAGE = b"<!DOCTYPE html><html><head><title>Not found</title></head><body>No.</body></html>"


@pytest.mark.parametrize(
    ("served", "limits", "reason"),
    [
        (SVG_SCRIPT, {}, "an SVG with a script element"),
        (SVG_HANDLER, {}, "an SVG with an event handler (onload"),
        (SVG_EXTERNAL, {}, "an SVG that refers to other files or addresses"),
        (SVG_ENTITY, {}, "an SVG with a DTD of its own"),
        (PAGE, {}, "not an image: an HTML page"),
        (REMOTE, {"image_mb": 0.001}, "bigger than 0.001 MB (limits: image_mb)"),
        (REMOTE, {"image_megapixels": 0.1}, "800 × 450 pixels, more than 0.1 million"),
        (REMOTE[:200], {}, "a damaged image"),
    ],
    ids=[
        "svg-script",
        "svg-handler",
        "svg-external",
        "svg-entity",
        "html-as-png",
        "oversize",
        "pixels",
        "truncated",
    ],  # fmt: skip
)
def test_a_hostile_image_is_refused_with_its_code(
    raw: Path, tmp_path: Path, served: bytes, limits: dict[str, float], reason: str
) -> None:
    """Served as image/png whatever it is: the bytes decide. The text still builds."""
    script = Script({"/fig.png": [Reply(200, served, {"Content-Type": "image/png"})]})
    settings = {"limits": Limits().override(limits, "test")}
    with serving(script) as base:
        (raw / "kronstadt.html").write_text(page(base, THREE[0]))
        result = _build(raw, tmp_path / "build", formats=("html", "epub"), **settings)
    [refused] = [m for m in result.report.messages if m.code.startswith("img-")]
    assert refused.code == "img-002" and reason in refused.text, refused.text
    html = result.outputs["html"].read_text()
    assert "<img" not in html and "Petropavlovsk" not in html
    assert not (tmp_path / "build" / ".cache" / "images").exists()  # never kept


def test_a_clean_svg_is_drawn_and_no_edition_carries_svg() -> None:
    svg = (
        b'<?xml version="1.0"?>\n<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" '
        b'"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">\n'
        b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 20 10">'
        b'<rect width="20" height="10" fill="#7a2e26"/><use href="#r"/></svg>'
    )
    figure = checked(svg, Settings(images=True))
    assert figure.mime == "image/png" and figure.name.endswith(".png")
    with Image.open(io.BytesIO(figure.data)) as image:
        assert image.size == (1200, 600)


def test_a_link_out_of_raw_and_the_count_limit(raw: Path, tmp_path: Path) -> None:
    outside = tmp_path / "secret.png"
    outside.write_bytes(LOCAL)
    (raw / "kronstadt_files" / "leak.png").symlink_to(outside)
    figures = [
        "<figure><img src='kronstadt_files/leak.png' alt='x'><figcaption>Leak.</figcaption>"
        "</figure>",
        *[
            f"<figure><img src='kronstadt_files/map.png' alt='m{n}'><figcaption>Map {n}."
            "</figcaption></figure>"
            for n in range(3)
        ],  # fmt: skip
        "<figure><img src='kronstadt_files/map.png?v=2' alt='m'><figcaption>One more.</figcaption>"
        "</figure>",
    ]
    (raw / "kronstadt.html").write_text(page("", *figures))
    limits = Limits().override({"images": 2}, "test")
    result = _build(raw, tmp_path / "build", formats=("html",), limits=limits)
    codes = {m.code: m.text for m in result.report.messages if m.code.startswith("img-")}
    assert "outside raw/" in codes["img-001"] and str(outside) not in codes["img-001"]
    assert "past the first 2 (limits: images)" in codes["img-003"]
    html = result.outputs["html"].read_text()
    assert html.count("<img") == 1 and "Map 0." in html and "Leak" not in html


def test_a_failing_build_leaves_the_last_good_outputs(raw: Path, tmp_path: Path) -> None:
    (raw / "kronstadt.html").write_text(page("", THREE[1]))
    out = tmp_path / "build"
    good = _build(raw, out)
    before = {p.name: p.read_bytes() for p in good.outputs["html"].parent.iterdir()}
    (raw / "kronstadt_files" / "map.png").write_bytes(png(300, 200, "blue"))
    failing = Settings(images=True, check=False)
    failing = dataclasses.replace(failing, limits=Limits().override({"pdf_pages": 1}, "test"))
    with pytest.raises(PamphleteerError, match="pdf_pages"):
        build_document(raw / "kronstadt.html", out, failing)
    after = {p.name: p.read_bytes() for p in good.outputs["html"].parent.iterdir()}
    assert after == before
    temp = out / ".cache" / "tmp"
    assert not (list(temp.rglob("*")) if temp.exists() else [])  # nothing staged is left


def test_an_anthology_carries_the_figures_of_its_texts(raw: Path, tmp_path: Path) -> None:
    (raw / "kronstadt.html").write_text(page("", THREE[1]))
    (raw / "other.html").write_text(
        page("", THREE[1], THREE[2].replace("BASE/gone.png", "nowhere.png"))
    )
    edition = Edition("book", {"title": "A Book"}, (raw / "kronstadt.html", raw / "other.html"),
                      "", "editions.yaml: book")  # fmt: skip
    settings = Settings(images=True, check=False, formats=("html", "epub"))
    result = build_anthology(edition, tmp_path / "build", settings)
    html = result.outputs["html"].read_text()
    assert html.count('src="data:image/png;base64,') == 2  # one image, shown in each text
    [missing] = [m for m in result.report.messages if m.code == "img-001"]
    assert missing.text.startswith("other.html: image nowhere.png: no such file beside the page")
    media = [n for n in _epub(result.outputs["epub"]) if n.startswith("EPUB/media/file")]
    assert len(media) == 1


def test_the_same_page_builds_the_same_bytes(raw: Path, tmp_path: Path) -> None:
    (raw / "other.png").write_bytes(png(120, 80, "blue"))
    second = THREE[1].replace("kronstadt_files/map.png", "other.png")
    (raw / "kronstadt.html").write_text(page("", THREE[1], second))
    first = _build(raw, tmp_path / "one")
    again = _build(raw, tmp_path / "two")
    for fmt in ("html", "epub", "pdf"):
        assert first.outputs[fmt].read_bytes() == again.outputs[fmt].read_bytes(), fmt
