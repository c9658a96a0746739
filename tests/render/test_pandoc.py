"""The long-lived Pandoc processes: as safe as ``pandoc --sandbox``, and one failure is one call's.

The sources here are written by hand, as if something upstream had let Markdown through: the
render stage must still not read a local file into any output.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest
from PIL import Image

from flows.model import PamphleteerError
from flows.render import formats as render
from flows.render import pandoc as pandoc_server
from flows.render.figures import Figure
from flows.render.pandoc import Request
from flows.settings import Settings

SECRET = b"\x89PNG\r\n\x1a\n-the-secret-bytes-"


@pytest.fixture()
def secret(tmp_path: Path) -> Path:
    path = tmp_path / "secret.png"
    path.write_bytes(SECRET)
    return path


def _epub_files(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {name: z.read(name) for name in z.namelist()}


def test_a_local_image_is_not_read_into_the_epub(secret: Path) -> None:
    source = f"---\ntitle: T\n---\n\nText ![the secret]({secret}) more.\n"
    rendered = render.epub(source, Settings(), {"title": "T"}, b"")
    files = _epub_files(rendered.data)
    assert not any(SECRET in content for content in files.values())
    assert not any(name.startswith("EPUB/media/") for name in files)
    chapter = b"".join(c for n, c in files.items() if n.endswith(".xhtml"))
    assert b"the secret" in chapter  # the description stays, as text
    assert any("image not embedded" in m.text for m in rendered.warnings)


def test_metadata_naming_files_is_not_followed(secret: Path, tmp_path: Path) -> None:
    css = tmp_path / "evil.css"
    css.write_text("body { color: #123456 }")
    source = f"---\ntitle: T\ncover-image: {secret}\ncss: {css}\nstylesheet: {css}\n---\n\nText.\n"
    files = _epub_files(render.epub(source, Settings(), {"title": "T"}, b"").data)
    everything = b"".join(files.values())
    assert SECRET not in everything
    assert b"#123456" not in everything


def test_only_the_images_handed_over_are_kept_and_nothing_is_fetched(secret: Path) -> None:
    """Pandoc gets a figure's bytes with the request (the media bag), never a path or an
    address to follow: the HTML embeds it, any other image is its description."""
    png = Image.new("RGB", (4, 3), "red")
    data = io.BytesIO()
    png.save(data, "PNG")
    figure = Figure("figure-0123456789abcdef.png", "image/png", data.getvalue())
    source = (
        f"Text ![far](https://example.org/a.png) and ![near]({secret}).\n\n"
        f'![Caption]({figure.name}){{alt="A red box"}}\n'
    )
    html = render.html(source, Settings(images=True), figures=(figure,)).data.decode()
    assert "example.org" not in html and str(secret) not in html
    assert re.search(r'<img\s+src="data:image/png;base64,[^"]+"\s+alt="A red box"', html)
    assert "far" in html and "near" in html
    epub = _epub_files(render.epub(source, Settings(), {"title": "T"}, b"", (figure,)).data)
    assert figure.data in epub.values()
    assert not any(SECRET in content for content in epub.values())
    typ = render.typst_source(source, Settings(), figures=(figure,)).data.decode()
    assert f'image("{figure.name}", alt: "A red box")' in typ
    assert str(secret) not in typ and "example.org/a.png" not in typ


def test_a_refused_source_fails_that_call_and_the_process_goes_on(tmp_path: Path) -> None:
    bad = tmp_path / "broken.html"
    bad.write_text("$if(title)$ never closed")
    request = Request("html5", 0, template=str(bad))
    with pytest.raises(PamphleteerError, match="pandoc could not write html5"):
        pandoc_server.convert(request, "Text.\n")
    done = pandoc_server.convert(Request("html5", 0), "Still *here*.\n")
    assert b"<em>here</em>" in done.data


def test_a_dead_process_fails_one_call_and_is_replaced() -> None:
    pandoc_server.shutdown()
    pandoc_server.convert(Request("html5", 0), "Warm.\n")
    [process] = pandoc_server._all
    process.proc.kill()
    process.proc.wait()
    with pytest.raises(PamphleteerError, match="pandoc stopped"):
        pandoc_server.convert(Request("html5", 0), "Lost.\n")
    assert b"Back" in pandoc_server.convert(Request("html5", 0), "Back.\n").data
    assert process not in pandoc_server._all


def test_pandoc_warnings_come_back_with_the_output() -> None:
    source = "Text.[^1]\n\n[^1]: Cited.\n\n[^2]: Never cited.\n"
    done = pandoc_server.convert(Request("html5", 0), source)
    assert any("Note with key '2'" in w for w in done.warnings)
    assert b"Cited." in done.data


def test_a_filter_that_prints_does_not_break_the_answers(tmp_path: Path) -> None:
    noisy = tmp_path / "noisy.lua"
    noisy.write_text(
        "function Str(el) print('noise', el.text); io.write('more noise\\n'); return el end\n"
    )
    for word in ("first", "second"):
        done = pandoc_server.convert(Request("html5", 0, filters=(str(noisy),)), f"A *{word}*.\n")
        page = done.data.decode()
        assert f"<p>A <em>{word}</em>.</p>" in page
        assert "noise" not in page
