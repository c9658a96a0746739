"""The HTML editions and the index in a real browser: headless Chromium driven by Selenium.

Debian's ``chromium`` and ``chromium-driver`` are used (``make test`` installs them where apt-get
can); nothing downloads a browser. Screenshots (desktop and phone, light and dark) are saved in a
temporary folder whose path is printed, so a person can look at them.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup

pytestmark = pytest.mark.slow  # Prefect, Java or a browser

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage", "--hide-scrollbars",
]  # fmt: skip
SCREENS = {"desktop": (1280, 900, 1, False), "phone": (390, 844, 2, True)}


def _missing() -> str | None:
    for path, package in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        if not Path(path).is_file():
            return f"{path} is missing: install Debian's {package} (make test does it as root)"
    return None


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    if reason := _missing():
        pytest.skip(reason)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("screenshots")
    print(f"screenshots in {folder}")
    return folder


def _screen(driver: Any, screen: str, scheme: str) -> None:
    width, height, scale, mobile = SCREENS[screen]
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": scale, "mobile": mobile},
    )
    driver.execute_cdp_cmd(
        "Emulation.setEmulatedMedia",
        {"features": [{"name": "prefers-color-scheme", "value": scheme}]},
    )


def _in_view(driver: Any, element: Any) -> bool:
    return bool(
        driver.execute_script(
            "const r = arguments[0].getBoundingClientRect();"
            "return r.top >= 0 && r.bottom <= window.innerHeight;",
            element,
        )
    )


def _background(driver: Any) -> tuple[int, ...]:
    css = driver.execute_script("return getComputedStyle(document.documentElement).backgroundColor")
    return tuple(int(v) for v in css[css.index("(") + 1 : css.index(")")].split(",")[:3])


def test_index_lists_every_edition_with_its_files(built: Path) -> None:
    soup = BeautifulSoup((built / "index.html").read_text(), "lxml")
    report = __import__("json").loads((built / "report.json").read_text())
    items = soup.select("li.edition")
    assert sorted(i.h2.get_text() for i in items) == sorted(d["title"] for d in report["documents"])
    for doc, item in zip(sorted(report["documents"], key=lambda d: d["title"].casefold()), items,
                         strict=True):  # fmt: skip
        byline = item.select_one(".byline").get_text()
        assert all(a in byline for a in doc["authors"]) and doc["date"] in byline
        links = {a.get_text(): a["href"] for a in item.select(".formats a")}
        assert {"Read online", "EPUB", "PDF"} <= set(links)
        assert ("Booklet PDF" in links) == (
            built / doc["slug"] / f"{doc['slug']}-booklet.pdf"
        ).is_file()
        for href in links.values():
            assert (built / href).is_file(), href


def test_pages_load_nothing_from_outside(built: Path) -> None:
    """No script, stylesheet, image, font or frame from anywhere: the page works offline."""
    for page in [built / "index.html", *built.glob("*/*.html")]:
        soup = BeautifulSoup(page.read_text(), "lxml")
        assert not soup.find_all(["script", "iframe", "img", "object", "embed", "video", "audio"])
        # The only <link>s are the index's to its own feeds (for feed readers; a browser
        # loads nothing for them), next to it in build/.
        links = [(ln.get("rel"), ln.get("href")) for ln in soup.find_all("link")]
        assert all(
            rel in (["alternate"], ["related"]) and href in ("opds.xml", "feed.atom")
            for rel, href in links
        ), (page.name, links)
        assert "url(" not in " ".join(s.get_text() for s in soup.find_all("style")), page.name
        assert "@import" not in " ".join(s.get_text() for s in soup.find_all("style")), page.name


def test_browser_follows_a_note_and_its_back_link(browser: Any, built: Path, shots: Path) -> None:
    from selenium.webdriver.common.by import By

    _screen(browser, "desktop", "light")
    browser.get((built / "index.html").as_uri())
    first = browser.find_element(By.CSS_SELECTOR, "li.edition h2 a")
    title = first.text
    first.click()
    assert browser.title == title
    assert browser.execute_script("return performance.getEntriesByType('resource').length") == 0

    marker = browser.find_element(By.CSS_SELECTOR, "a.footnote-ref")
    note_id = marker.get_attribute("href").rsplit("#", 1)[1]
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", marker)
    marker.click()
    assert browser.current_url.endswith(f"#{note_id}")
    note = browser.find_element(By.ID, note_id)
    assert _in_view(browser, note) and note.text.strip()
    browser.save_screenshot(str(shots / "edition-note-desktop-light.png"))

    back = note.find_element(By.CSS_SELECTOR, "a.footnote-back")
    back.click()
    assert browser.current_url.endswith(f"#{marker.get_attribute('id')}")
    assert _in_view(browser, marker)
    browser.save_screenshot(str(shots / "edition-back-desktop-light.png"))


@pytest.mark.parametrize("screen", SCREENS)
def test_screenshots_light_and_dark(browser: Any, built: Path, shots: Path, screen: str) -> None:
    edition = sorted(built.glob("*/*.html"))[-1]
    backgrounds = {}
    for scheme in ("light", "dark"):
        _screen(browser, screen, scheme)
        pages = (("index", built / "index.html"), ("edition", edition),
                 ("report", built / "report.html"))  # fmt: skip
        for name, page in pages:
            browser.get(page.as_uri())
            backgrounds[(name, scheme)] = _background(browser)
            width = browser.execute_script("return document.documentElement.scrollWidth")
            assert width <= SCREENS[screen][0], f"{name} scrolls sideways on a {screen}"
            target = shots / f"{name}-{screen}-{scheme}.png"
            browser.save_screenshot(str(target))
            assert target.stat().st_size > 5000
    for name in ("index", "edition", "report"):
        assert sum(backgrounds[(name, "dark")]) < 150 < sum(backgrounds[(name, "light")]), name
