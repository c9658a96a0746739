"""Incremental builds without Prefect: the plan, the cache records and what a rebuild touches."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from flows.build import cache, engine, units
from flows.outcome import Outcome
from flows.report import html as report_html
from flows.report.summary import BuildReport
from flows.settings import Settings

LETTER = (
    "A Letter to the Editor\n\nDear comrades,\n\nThe meeting is on Friday.[1]\n\n1. At eight.\n"
)


def _build(raw: Path, out: Path, settings: Settings, force: bool = False) -> cache.Plan:
    """What the flow does, without Prefect: plan, remove orphans, build the stale units."""
    plan = cache.plan(cache.document_units(raw), out, settings, force)
    for entry in plan.orphans:
        cache.forget(out, entry)
    units.build_batch([(u, plan.fingerprints[u.key]) for u in plan.stale], out, settings)
    return plan


@pytest.fixture
def tree(tmp_path: Path) -> tuple[Path, Path]:
    raw, out = tmp_path / "raw", tmp_path / "build"
    raw.mkdir()
    (raw / "letter.txt").write_text(LETTER)
    (raw / "notice.txt").write_text(LETTER.replace("Letter", "Notice"))
    (raw / "notice.yaml").write_text("title: A Notice\n")
    return raw, out


def _stale(plan: cache.Plan) -> list[str]:
    return sorted(u.source.name for u in plan.stale)


def _mtimes(out: Path) -> dict[str, int]:
    return {str(p.relative_to(out)): p.stat().st_mtime_ns for p in out.glob("*/*") if p.is_file()}


def test_nothing_changed_means_nothing_to_build(tree: tuple[Path, Path]) -> None:
    raw, out = tree
    settings = Settings(formats=("html",), check=False)
    assert _stale(_build(raw, out, settings)) == ["letter.txt", "notice.txt"]
    before = _mtimes(out)
    again = cache.plan(cache.document_units(raw), out, settings)
    assert again.nothing_to_do and len(again.fresh) == 2
    assert _stale(cache.plan(cache.document_units(raw), out, settings, force=True)) == [
        "letter.txt",
        "notice.txt",
    ]
    assert _mtimes(out) == before


@pytest.mark.slow  # its first build runs the command, with Prefect
def test_nothing_to_do_is_answered_before_prefect_or_the_pipeline_is_imported(
    tree: tuple[Path, Path],
) -> None:
    """The answer a no-change rebuild gives comes from the plan alone: the command does not
    load Prefect, the pipeline or typst to say so (that is what keeps it in milliseconds)."""
    raw, out = tree
    (raw.parent / "editions.yaml").write_text(  # beside raw/
        "editions:\n  - title: Both\n    documents: [letter.txt, notice.txt]\n"
    )
    settings = Settings(check=False)
    _build(raw, out, settings)  # the documents; the edition is built by the command below
    command = [sys.executable, "-m", "flows.cli", "build", "--raw", str(raw), "--out", str(out),
               "--no-check"]  # fmt: skip
    first = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=raw.parent)
    assert first.returncode == 0, first.stderr
    assert "Built 0 document(s) and 1 anthology" in first.stderr
    script = (
        "import sys\nfrom flows.cli.main import main\ncode = main(sys.argv[1:])\n"
        "heavy = ('prefect', 'flows.build.pipeline', 'flows.render.formats', 'typst',"
        " 'trafilatura', 'lxml')\n"
        "print('loaded:', sorted(m for m in heavy if m in sys.modules))\nsys.exit(code)\n"
    )
    again = subprocess.run(
        [sys.executable, "-c", script, *command[3:]],
        capture_output=True, text=True, timeout=60, cwd=raw.parent,
    )  # fmt: skip
    assert again.returncode == 0, again.stderr
    assert f"Nothing to do: 3 document(s) up to date in {out}" in again.stderr
    assert "loaded: []" in again.stdout


@pytest.mark.parametrize("change", ["text", "sidecar", "formats"])
def test_a_change_rebuilds_only_what_depends_on_it(tree: tuple[Path, Path], change: str) -> None:
    raw, out = tree
    settings = Settings(formats=("html",), check=False)
    _build(raw, out, settings)
    before = _mtimes(out)
    if change == "text":
        (raw / "notice.txt").write_text(LETTER.replace("Friday", "Saturday"))
    elif change == "sidecar":
        (raw / "notice.yaml").write_text("title: A Notice, Amended\n")
    else:
        settings = Settings(formats=("html", "epub"), check=False)
    plan = _build(raw, out, settings)
    after = _mtimes(out)
    if change == "formats":
        assert _stale(plan) == ["letter.txt", "notice.txt"]
        assert (out / "letter" / "letter.epub").is_file()
        return
    assert _stale(plan) == ["notice.txt"]
    assert after["letter/letter.html"] == before["letter/letter.html"]
    assert after["notice/notice.html"] != before["notice/notice.html"]


def test_a_changed_template_rebuilds_everything(tree: tuple[Path, Path], tmp_path: Path) -> None:
    raw, out = tree
    mine = tmp_path / "my-look"
    (mine / "pandoc").mkdir(parents=True)
    css = Settings().template("pandoc/edition.css")
    shutil.copy(css, mine / "pandoc" / "edition.css")  # the stylesheet alone: the page is ours
    settings = Settings(formats=("html",), check=False).with_overrides(mine)
    _build(raw, out, settings)
    assert cache.plan(cache.document_units(raw), out, settings).nothing_to_do
    (mine / "pandoc" / "edition.css").write_text(css.read_text() + "\nh1 { color: red }\n")
    assert _stale(_build(raw, out, settings)) == ["letter.txt", "notice.txt"]
    assert "color: red" in (out / "letter" / "letter.html").read_text()


def test_removing_a_raw_file_removes_its_outputs(tree: tuple[Path, Path]) -> None:
    raw, out = tree
    settings = Settings(formats=("html", "pdf"), check=False)
    _build(raw, out, settings)
    assert (out / "notice" / "notice.pdf").is_file()
    (raw / "notice.txt").unlink()
    plan = _build(raw, out, settings)
    assert [e.key for e in plan.orphans] == ["doc-notice.txt"]
    assert not (out / "notice").exists()
    assert (out / "letter" / "letter.pdf").is_file()
    assert not cache.manifest_path(out, "doc-notice.txt").exists()


def test_a_changed_slug_moves_the_outputs(tree: tuple[Path, Path]) -> None:
    raw, out = tree
    settings = Settings(formats=("html",), check=False)
    _build(raw, out, settings)
    (raw / "notice.yaml").write_text("title: A Notice\nslug: the-notice\n")
    _build(raw, out, settings)
    assert (out / "the-notice" / "the-notice.html").is_file()
    assert not (out / "notice").exists()


def test_a_failing_document_keeps_its_last_good_outputs(tree: tuple[Path, Path]) -> None:
    raw, out = tree
    settings = Settings(formats=("html",), check=False)
    _build(raw, out, settings)
    good = (out / "notice" / "notice.html").read_bytes()
    (raw / "notice.yaml").write_text("title: [unclosed\n")
    plan = cache.plan(cache.document_units(raw), out, settings)
    [outcome] = units.build_batch([(plan.stale[0], plan.fingerprints["doc-notice.txt"])], out,
                                  settings)  # fmt: skip
    assert outcome.status == "failed" and outcome.reason.startswith("notice.yaml: not valid")
    assert (out / "notice" / "notice.html").read_bytes() == good
    # The failure is remembered until the input changes: not rebuilt, still reported.
    again = cache.plan(cache.document_units(raw), out, settings)
    assert again.nothing_to_do
    assert [units.unchanged(e).status for e in again.fresh] == ["unchanged", "failed"]
    # Deleting the broken document still removes the outputs of its last good build.
    (raw / "notice.txt").unlink()
    (raw / "notice.yaml").unlink()
    _build(raw, out, settings)
    assert not (out / "notice").exists()


def test_batches_put_big_inputs_first_and_keep_every_unit(tmp_path: Path) -> None:
    for n in range(40):
        (tmp_path / f"{n:02}.txt").write_text("x" * (n + 1))
    found = cache.document_units(tmp_path)
    for pooled in (True, False):
        groups = engine.batches(found, workers=2, pooled=pooled)
        assert sorted(u.key for g in groups for u in g) == sorted(u.key for u in found)
        assert groups[0][0].source.name == "39.txt"
    # Local workers: a task run per worker, of 25 units at least (the pool spreads the units);
    # on Dask, batches that shrink so that the workers end together.
    assert [len(g) for g in engine.batches(found, workers=2)] == [25, 15]
    assert [len(g) for g in engine.batches(found * 10, workers=2)] == [200, 200]
    assert [len(g) for g in engine.batches(found * 10, workers=4)] == [100] * 4
    sizes = [len(g) for g in engine.batches(found, workers=2, pooled=False)]
    assert sizes == [7, 6, 5, 4, 3, 3, 3, 3, 3, 3]


def test_the_engine_builds_on_its_workers_records_each_unit_and_writes_the_reports(
    tree: tuple[Path, Path],
) -> None:
    raw, out = tree
    settings = Settings(formats=("html",), check=False)
    job = engine.Build.planned(raw, out, settings)
    told: list[tuple[int, int, str]] = []
    report = engine.build(job, progress=lambda d, t, o: told.append((d, t, o.source)))
    assert sorted((o.source, o.status) for o in report.outcomes) == [
        ("letter.txt", "built"),
        ("notice.txt", "built"),
    ]
    assert sorted(told) == [(1, 2, told[0][2]), (2, 2, told[1][2])]
    data = json.loads((out / "report.json").read_text())
    assert sorted(d["source"] for d in data["documents"]) == ["letter.txt", "notice.txt"]
    assert 'href="letter/letter.html"' in (out / "index.html").read_text()
    # Planned again now, they count as up to date.
    assert engine.Build.planned(raw, out, settings).plan.nothing_to_do


def test_an_outcome_pickles_and_says_in_json_what_the_report_lists(
    tree: tuple[Path, Path],
) -> None:
    import pickle

    raw, out = tree
    settings = Settings(formats=("html",), check=False)
    job = engine.Build.planned(raw, out, settings)
    [outcome, _] = engine.one_by_one(job, job.batches(pooled=False), lambda o: None)
    assert pickle.loads(pickle.dumps(outcome)) == outcome
    assert pickle.loads(pickle.dumps(job)).plan == job.plan  # a Dask worker gets the build
    again = units.unchanged(cache.load_entries(out)[outcome.key])
    assert again.status == "unchanged" and again.record == outcome.record
    assert {**again.to_json(), "status": "built", "replaced": []} == outcome.to_json()
    assert again.to_json()["slug"] == outcome.slug == outcome.record["slug"]


def test_report_html_escapes_what_came_from_the_page(tree: tuple[Path, Path]) -> None:
    raw, out = tree
    (raw / "evil.txt").write_text("<script>alert(1)</script> & more\n\nText.\n")
    (raw / "evil.yaml").write_text('title: "<img src=x onerror=alert(1)>"\n')
    settings = Settings(formats=("html",), check=False)
    plan = cache.plan(cache.document_units(raw), out, settings)
    outcomes = units.build_batch([(u, plan.fingerprints[u.key]) for u in plan.stale], out,
                                 settings)  # fmt: skip
    report = BuildReport(outcomes, 1.0)
    page = report_html.render(report.to_json())
    assert "<img" not in page and "<script" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert 'href="letter/letter.html"' in page
    data = json.loads(json.dumps(report.to_json()))
    assert data["counts"] == {"built": 3, "unchanged": 0, "failed": 0, "removed": 0, "skipped": 0}
    assert [d["output_checks"] for d in data["documents"]] == [{"html": "ok"}] * 3


def _built_item(n: int) -> Outcome:
    return Outcome("built", f"doc-{n:03}.txt", f"{n:03}.txt", record={
        "source": f"{n:03}.txt", "slug": f"{n:03}",
        "outputs": {"booklet": f"{n:03}/{n:03}-booklet.pdf"},
        "booklet": f"Print on {1 + n % 2} sheets of A4 paper.",
        "messages": [{"level": "warning", "code": "cln-002", "text": "no title line found"}],
    })  # fmt: skip


def test_a_big_build_ends_with_a_short_list_and_the_rest_in_the_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from flows.cli.main import SHOWN, _print_details

    _print_details(tmp_path, [_built_item(n) for n in range(SHOWN + 30)])
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 2 * SHOWN + 2
    assert lines[SHOWN] == f"  … and 30 more warning(s): see {tmp_path / 'report.html'}"
    assert lines[-1] == f"How to print the 30 other booklets: see {tmp_path / 'report.html'}"
    _print_details(tmp_path, [_built_item(n) for n in range(2)])  # a small build: everything
    assert capsys.readouterr().err.splitlines()[2:] == [
        f"To print {tmp_path / '000/000-booklet.pdf'}: Print on 1 sheets of A4 paper.",
        f"To print {tmp_path / '001/001-booklet.pdf'}: Print on 2 sheets of A4 paper.",
    ]


def test_report_html_says_how_to_print_each_booklet() -> None:
    report = BuildReport([_built_item(1)], 1.0)
    page = report_html.render(report.to_json())
    assert "<summary>printing the booklet</summary>Print on 2 sheets of A4 paper." in page
    assert '<a href="001/001-booklet.pdf">booklet</a>' in page  # not a second "pdf"


def test_a_prefect_server_that_does_not_answer_stops_the_build_before_it_starts(
    tree: tuple[Path, Path],
) -> None:
    raw, out = tree
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{s.getsockname()[1]}/api"
    env = {**os.environ, "PREFECT_API_URL": url}
    proc = subprocess.run(
        [sys.executable, "-m", "flows.cli", "build", "--raw", str(raw), "--out", str(out),
         "--no-check"], env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 2
    assert f"pamphleteer: the Prefect server at {url} does not answer" in proc.stderr
    assert "unset PREFECT_API_URL to use the project's own" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not out.exists()  # nothing was started


def test_a_second_build_of_the_same_folder_is_refused_and_says_who_builds_it(
    tree: tuple[Path, Path],
) -> None:
    raw, out = tree
    command = [sys.executable, "-m", "flows.cli", "build", "--raw", str(raw), "--out", str(out),
               "--no-check"]  # fmt: skip
    with cache.exclusive(out):  # a build under way in this process
        proc = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert f"pamphleteer: {out} is being built by pamphleteer (pid {os.getpid()}, since" in (
        proc.stderr
    )
    assert "to build" not in proc.stderr  # refused before it starts anything
    assert [p.name for p in out.iterdir()] == [cache.CACHE_DIR]
    with cache.exclusive(out):  # the refused build held nothing
        pass
    assert (out / cache.CACHE_DIR / "lock").read_text() == ""  # nobody named once it ends


def test_with_images_a_changed_image_beside_the_texts_rebuilds_them(
    tree: tuple[Path, Path],
) -> None:
    """Which images a page shows is known once it is cleaned: with ``images`` on, any image
    saved in raw/ counts for its texts; without, none does."""
    raw, out = tree
    (raw / "pictures").mkdir()
    (raw / "pictures" / "map.png").write_bytes(b"\x89PNG one")
    on, off = (Settings(formats=("html",), check=False, images=flag) for flag in (True, False))
    _build(raw, out, on)
    assert cache.plan(cache.document_units(raw), out, on).nothing_to_do
    (raw / "pictures" / "map.png").write_bytes(b"\x89PNG two, longer")
    assert _stale(cache.plan(cache.document_units(raw), out, on)) == ["letter.txt", "notice.txt"]
    _build(raw, out, off)
    (raw / "pictures" / "map.png").write_bytes(b"\x89PNG three, longer still")
    assert cache.plan(cache.document_units(raw), out, off).nothing_to_do
