"""Every edition as assistive technology and the ebook shops' converters meet it.

Over the seeds, every ``tests/cases/*/in/`` text and the sample anthology:

- DAISY Ace finds nothing in any EPUB, and every EPUB claims conformance (the claim the build
  writes after its own audit, :mod:`flows.validate.a11y`, is held here to Ace's);
- axe-core finds nothing (WCAG 2.2 A/AA and best practices) on any HTML edition, the index or
  the report, in Debian's chromium;
- calibre's Kindle book (AZW3) of every EPUB lists exactly the EPUB's contents, with no broken
  link, the cover first (and first in a MOBI too).

Ace and axe come from npm into ``.node/`` (``make test`` puts them there, see tests/node/);
calibre is Debian's (``make test WITH_CALIBRE=1``). Each test skips, saying why, without them.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from flows.build.pipeline import build_anthology, build_document
from flows.files import is_source
from flows.read.editions import load_editions
from flows.render.epub import CONFORMS_TO
from flows.settings import Settings, load_press

from .conftest import CASES, ROOT
from .epubxml import parse, text_of, xpath

pytestmark = pytest.mark.slow  # a browser, Node, calibre

NODE = ROOT / ".node" / "node_modules"
ACE = NODE / ".bin" / "ace-puppeteer"  # Ace with puppeteer, which drives Debian's chromium
AXE = NODE / "axe-core" / "axe.min.js"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
#: What axe checks: every WCAG 2.0-2.2 A and AA rule, and its best practices.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa", "best-practice"]
NCX = "{http://www.daisy.org/z3986/2005/ncx/}"


def _sources() -> list[tuple[str, Path]]:
    seeds = [(p.stem, p) for p in sorted((ROOT / "raw").glob("*.txt"))]
    cases = [(case.name, p) for case in sorted(CASES.iterdir()) if case.is_dir()
             for p in sorted((case / "in").iterdir()) if is_source(p)]  # fmt: skip
    return seeds + cases


@pytest.fixture(scope="module")
def editions(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The HTML and EPUB of every seed and case (each in its own folder: two cases share a
    slug) and of the sample anthology, with the repository's press settings."""
    out = tmp_path_factory.mktemp("editions")
    settings = Settings(formats=("html", "epub"), check=False,
                        press=load_press(ROOT / "pamphleteer.yaml"))  # fmt: skip
    for name, path in _sources():
        build_document(path, out / name, settings)  # a failure raises, naming the file
    for edition in load_editions(ROOT / "editions.yaml", ROOT / "raw"):
        build_anthology(edition, out / "anthology", settings)
    return out


def _epubs(out: Path) -> list[Path]:
    epubs = sorted(out.glob("*/*/*.epub"))
    assert len(epubs) == len(_sources()) + 1
    return epubs


# -- DAISY Ace ------------------------------------------------------------------------------------


def test_ace_finds_nothing_and_every_epub_claims_conformance(
    editions: Path, tmp_path: Path
) -> None:
    if not ACE.is_file():
        pytest.skip(f"DAISY Ace is not installed in {ACE.parent.parent}: `make test` installs it")
    if not Path(CHROMIUM).is_file():
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium")
    env = {**os.environ, "PUPPETEER_EXECUTABLE_PATH": CHROMIUM, "PUPPETEER_SKIP_DOWNLOAD": "1"}
    found = {}
    for epub in _epubs(editions):
        report = tmp_path / epub.parent.parent.name
        proc = subprocess.run([str(ACE), "--silent", "--force", "--outdir", str(report), str(epub)],
                              env=env, capture_output=True, text=True, timeout=300)  # fmt: skip
        assert proc.returncode == 0, proc.stderr[-2000:]
        data = json.loads((report / "report.json").read_text())
        violations = [f"{a['earl:testSubject']['url']}: {v['earl:test']['dct:title']} "
                      f"({v['earl:test']['earl:impact']})"
                      for a in data["assertions"] for v in a["assertions"]]  # fmt: skip
        metadata = data["earl:testSubject"]["metadata"]
        if violations or metadata.get("dcterms:conformsTo") != CONFORMS_TO:
            found[epub.name] = (violations, metadata.get("dcterms:conformsTo"))
    assert found == {}


# -- axe-core -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    for path, package in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        if not Path(path).is_file():
            pytest.skip(f"{path} is missing: install Debian's {package} (make test does it)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--no-first-run"):  # fmt: skip
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-axe')}")
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    try:
        yield driver
    finally:
        driver.quit()


_RUN_AXE = (
    "const done = arguments[arguments.length - 1];"
    "axe.run(document, {runOnly: {type: 'tag', values: arguments[0]}})"
    ".then(r => done(r.violations.map(v => v.id + ' (' + v.impact + '): '"
    " + v.nodes.map(n => n.target.join(' ')).slice(0, 3).join(', '))))"
)


def test_axe_finds_nothing_on_any_page(editions: Path, built: Path, browser: Any) -> None:
    if not AXE.is_file():
        pytest.skip(f"axe-core is not installed in {AXE.parent.parent}: `make test` installs it")
    axe = AXE.read_text(encoding="utf-8")
    pages = [*sorted(editions.glob("*/*/*.html")), built / "index.html", built / "report.html"]
    assert len(pages) == len(_sources()) + 3
    found = {}
    for page in pages:
        browser.get(page.as_uri())
        browser.execute_script(axe)
        violations = browser.execute_async_script(_RUN_AXE, AXE_TAGS)
        if violations:
            found[str(page.relative_to(page.parent.parent.parent))] = violations
    assert found == {}


def test_anthology_notes_are_set_as_notes(built: Path, browser: Any) -> None:
    """An anthology's notes (Pandoc's ``<aside class="footnotes">`` after each section) are
    smaller than the text, and a tapped marker brings its note down from the top edge."""
    browser.get((built / "october-1917-2017" / "october-1917-2017.html").as_uri())
    style = browser.execute_script(
        "const li = document.querySelector('aside.footnotes li'), p = document.querySelector("
        "'article > p'), back = li.querySelector('.footnote-back'), s = getComputedStyle;"
        "return [parseFloat(s(li).fontSize), parseFloat(s(p).fontSize),"
        " parseFloat(s(li).scrollMarginTop), s(back).textDecorationLine]"
    )
    note, text, margin, back = style
    assert note < text and margin > 0 and back == "underline"


# -- calibre: Kindle and Kobo ---------------------------------------------------------------------


def _calibre(*args: str, cwd: Path | None = None) -> str:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}  # calibre's Qt, with no display
    proc = subprocess.run(args, env=env, capture_output=True, text=True, timeout=300, cwd=cwd)
    assert proc.returncode == 0, (args, proc.stdout[-1000:], proc.stderr[-1000:])
    return proc.stdout


def _nav_contents(epub: Path) -> list[str]:
    with zipfile.ZipFile(epub) as z:
        nav = parse(z.read("EPUB/nav.xhtml"))
    return [" ".join(text_of(a).split()) for a in xpath(nav, "//x:nav[@epub:type='toc']//x:a")]


_LOCAL_HREF = re.compile(r'href="(?![a-z][a-z0-9+.-]*:)([^"#]+)')  # no scheme: in the book


def _kindle_book(epub: Path, folder: Path) -> tuple[list[str], list[str], str]:
    """calibre's AZW3 of ``epub``, unpacked: its contents, its broken links, its first page."""
    azw3 = folder / f"{epub.stem}.azw3"
    _calibre("ebook-convert", str(epub), str(azw3))
    unpacked = folder / epub.stem
    _calibre("calibre-debug", "--explode-book", str(azw3), str(unpacked), cwd=folder)
    ncx = etree.parse(str(unpacked / "toc.ncx"))
    contents = [" ".join(t.text.split()) for t in ncx.iter(f"{NCX}text")][1:]  # after docTitle
    targets = [c.get("src") for c in ncx.iter(f"{NCX}content")]
    for page in unpacked.rglob("*.html"):
        base = page.relative_to(unpacked).parent
        targets += [str(base / h) for h in _LOCAL_HREF.findall(page.read_text())]
    broken = [t for t in targets if not (unpacked / t.partition("#")[0]).is_file()]
    opf = (unpacked / "metadata.opf").read_text()
    items = dict(re.findall(r'<item id="([^"]+)" href="([^"]+)"', opf))
    first = (unpacked / items[re.findall(r'<itemref idref="([^"]+)"', opf)[0]]).read_text()
    return contents, broken, first


def _cover_alt(epub: Path) -> str:
    with zipfile.ZipFile(epub) as z:
        page = parse(z.read("EPUB/text/cover.xhtml"))
    return str(xpath(page, "//x:img/@alt")[0])


def test_calibre_kindle_books_have_the_epubs_contents_and_cover(
    editions: Path, tmp_path: Path
) -> None:
    if not shutil.which("ebook-convert"):
        pytest.skip("calibre is not installed: `make test WITH_CALIBRE=1` installs Debian's")
    found = {}
    for epub in _epubs(editions):
        folder = tmp_path / epub.parent.parent.name  # two cases share a slug
        folder.mkdir()
        contents, broken, first = _kindle_book(epub, folder)
        cover = f'alt="{_cover_alt(epub)}"' in first  # the EPUB's cover image, in its words
        if contents != _nav_contents(epub) or broken or not cover:
            found[epub.name] = (contents, _nav_contents(epub), broken, cover)
        meta = _calibre("ebook-meta", str(folder / f"{epub.stem}.azw3"))
        if not re.search(r"^Publisher\s*: \S", meta, re.M):
            found[f"{epub.name} publisher"] = meta
    assert found == {}


def test_calibre_mobi_opens_on_the_cover(editions: Path, tmp_path: Path) -> None:
    if not shutil.which("ebook-convert"):
        pytest.skip("calibre is not installed: `make test WITH_CALIBRE=1` installs Debian's")
    epub = next(e for e in _epubs(editions) if e.parent.parent.name == "anthology")
    mobi = tmp_path / "book.mobi"
    _calibre("ebook-convert", str(epub), str(mobi))
    _calibre("calibre-debug", "--inspect-mobi", str(mobi), cwd=tmp_path)
    text = (tmp_path / "decompiled_book" / "pretty.html").read_text()
    body = text[text.index("<body>") :]
    assert re.match(r"<body>\s*<p[^>]*><img recindex=", body), body[:300]
