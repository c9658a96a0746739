"""The quick output checks that the build report shows per output."""

from __future__ import annotations

import io
import zipfile

from flows.validate.outputs import check

PAGE = b"<!DOCTYPE html>\n<html><body><p>Text.</p></body></html>\n"


def _epub(first: str = "mimetype", stored: bool = True) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        mode = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
        if first == "mimetype":
            z.writestr(zipfile.ZipInfo("mimetype"), b"application/epub+zip", compress_type=mode)
        z.writestr("META-INF/container.xml", b"<container/>")
        if first != "mimetype":
            z.writestr("mimetype", b"application/epub+zip")
    return out.getvalue()


def test_good_outputs_are_ok() -> None:
    assert check("html", PAGE) == "ok"
    assert check("epub", _epub()) == "ok"
    assert check("pdf", b"%PDF-1.7\n...\n%%EOF\n") == "ok"


def test_each_problem_is_named() -> None:
    assert "active content" in check("html", PAGE.replace(b"<p>", b'<p onclick="x()">'))
    assert "active content" in check("html", PAGE.replace(b"<p>", b"<script>x()</script><p>"))
    assert check("html", PAGE[:30]) == "does not end with </html>"
    assert check("epub", _epub(stored=False)) == "mimetype is not the first, uncompressed entry"
    assert check("epub", _epub(first="container")).startswith("mimetype is not the first")
    assert check("epub", b"PK\x03\x04broken").startswith("not a ZIP file")
    assert check("pdf", b"%PDF-1.7\nhalf a fi") == "no %%EOF trailer (truncated?)"
