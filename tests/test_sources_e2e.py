"""From sources to shelves: a project whose raw/ starts empty and whose sources.yaml names a
blog's feed (30 articles) and a WordPress site (25 posts), both served on 127.0.0.1. One run of
the flow the schedule runs (``scheduled-rebuild``: fetch, then build) builds all 55 with their
metadata; a second run, after two new posts, builds only those two; the OPDS catalogue, valid
against the OPDS 1.2 RELAX NG schema, lists all 57 with their covers.

Light as the build allows: EPUB only (the cover comes with it), no EPUBCheck (the checked build
of a few is tests/report/test_catalogue.py's). Prefect's temporary server, in the subprocess.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from lxml import etree

from tests.conftest import ROOT
from tests.fetch.sites import WordPress, blog, posts
from tests.localhttp import Script, serving
from tests.report.test_catalogue import NS, assert_valid

pytestmark = pytest.mark.slow

RUN = """
import json, sys
from flows.prefect.serve import scheduled_rebuild
result = scheduled_rebuild(raw=sys.argv[1], out=sys.argv[2], formats="epub", check=False,
                           fetch_interval=0.0, fetch_backoff=0.1)
print("RESULT " + json.dumps(result))
"""


def scheduled_run(project: Path) -> tuple[dict[str, object], str]:
    env = {
        **os.environ,
        "PREFECT_HOME": str(project / ".prefect"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_LOGGING_LEVEL": "WARNING",
    }
    env.pop("PREFECT_API_URL", None)
    proc = subprocess.run(
        [sys.executable, "-c", RUN, str(project / "raw"), str(project / "build")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-4000:]
    line = next(ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT "))
    return json.loads(line.removeprefix("RESULT ")), output


def test_sources_to_catalogue(tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / "raw").mkdir(parents=True)
    blog_script, wp_script = Script(), Script()
    articles = posts("blog", 30)
    with serving(blog_script) as blog_base, serving(wp_script) as wp_base:
        blog(blog_script, blog_base, articles)
        wp = WordPress(wp_base, posts("wp", 25, dt.date(2024, 3, 2)))
        wp_script.dynamic = wp
        (project / "sources.yaml").write_text(
            "sources:\n"
            f"  - {{name: blog, feed: '{blog_base}/feed/'}}\n"
            f"  - {{name: press, wordpress: '{wp_base}/'}}\n"
        )
        first, output = scheduled_run(project)
        wp.items += [
            dataclasses.replace(
                p,
                slug=f"new-{p.slug}",
                title=f"New {p.title}",
                date=p.date + dt.timedelta(days=400),
            )
            for p in posts("wp", 2)
        ]
        second, output2 = scheduled_run(project)

    assert first["counts"]["built"] == 55, output[-4000:]
    assert first["counts"]["failed"] == 0
    fetched = {r["stem"]: r for r in first["fetched"]}
    assert fetched["sources.yaml: blog"]["reason"] == "30 new, 0 refreshed"
    assert fetched["sources.yaml: press"]["reason"] == "25 new, 0 refreshed"
    assert sum(r["status"] == "updated" for r in first["fetched"]) == 2 + 30  # the blog's pages

    report = json.loads((project / "build" / "report.json").read_text())
    docs = {d["slug"]: d for d in report["documents"]}
    # The feed's and the API's metadata, through the sidecars.
    assert docs["blog-article-7"]["title"] == "Blog article 7"
    assert docs["blog-article-7"]["authors"] == ["Author blog 1"]
    assert docs["blog-article-7"]["date"] in ("2024-01-25", "25 January 2024")
    assert docs["wp-article-25"]["title"] == "Wp article 25"
    assert docs["wp-article-25"]["authors"] == ["Author wp 1"]
    assert docs["wp-article-25"]["date"] in ("2024-06-06", "6 June 2024")

    assert second["counts"]["built"] == 2, output2[-4000:]
    assert second["counts"]["unchanged"] == 55
    assert {r["stem"]: r["reason"] for r in second["fetched"]}["sources.yaml: press"] == (
        "2 new, 0 refreshed, 25 known"
    )

    build = project / "build"
    assert_valid(build / "opds.xml", "opds")
    assert_valid(build / "feed.atom", "atom")
    entries = etree.parse(str(build / "opds.xml")).findall("a:entry", NS)
    assert len(entries) == 57
    for entry in entries:
        cover = entry.find("a:link[@rel='http://opds-spec.org/image']", NS)
        epub = entry.find("a:link[@rel='http://opds-spec.org/acquisition']", NS)
        assert cover is not None and (build / cover.get("href")).is_file()
        assert epub is not None and (build / epub.get("href")).is_file()
    titles = {e.findtext("a:title", namespaces=NS) for e in entries}
    assert {"New Wp article 1", "New Wp article 2", "Blog article 30"} <= titles
