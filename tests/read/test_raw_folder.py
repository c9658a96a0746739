"""What a build reads of raw/: its own regular files, never a file a link leads to outside it;
and one output folder per text, never two texts in one."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from flows import files
from flows.build import cache, units
from flows.outcome import Outcome
from flows.report.summary import BuildReport
from flows.settings import Settings

TEXT = "A Letter\n\nDear comrades,\n\nThe meeting is on Friday, at eight, in the usual place.\n"
SECRET = "root:x:0:0:the secret of this machine:/root:/bin/bash"
SETTINGS = Settings(formats=("html", "epub"), check=False)


def _build(raw: Path, out: Path) -> list[Outcome]:
    """What the flow does, without Prefect: plan, remove orphans, build the stale units."""
    plan = cache.plan(cache.document_units(raw), out, SETTINGS)
    outcomes = [units.removed(e, cache.forget(out, e, plan)) for e in plan.orphans]
    batch = [(u, plan.fingerprints[u.key]) for u in plan.stale]
    built = units.build_batch(batch, out, SETTINGS)
    swept = [
        o.with_removed(cache.sweep(out, cache.held_back(e, plan)))
        for e, o in zip(plan.orphans, outcomes, strict=True)
    ]
    return swept + built


def _everything_written(out: Path) -> bytes:
    from flows.render.epub import read_members

    data = b""
    for path in out.rglob("*"):
        if path.is_file():
            data += path.read_bytes()
            if path.suffix == ".epub":
                data += b"".join(read_members(path.read_bytes()).values())
    return data


@pytest.fixture
def project(tmp_path: Path) -> tuple[Path, Path, Path]:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "passwd").write_text(f"{SECRET}\n")
    (outside / "folder").mkdir()
    (outside / "folder" / "x.txt").write_text(f"{SECRET}\n")
    raw, out = tmp_path / "raw", tmp_path / "build"
    raw.mkdir()
    (raw / "letter.txt").write_text(TEXT)
    return raw, out, outside


def test_a_link_out_of_raw_is_named_and_never_read(project: tuple[Path, Path, Path]) -> None:
    raw, out, outside = project
    (raw / "x.txt").symlink_to(outside / "passwd")
    (raw / "notes.md").symlink_to(outside / "folder")
    (raw / "y.txt").symlink_to("../elsewhere/passwd")  # relative, the same file
    (raw / "gone.txt").symlink_to(outside / "nothing")
    (raw / "inside.txt").symlink_to("letter.txt")  # a link that stays in raw/ is followed
    found = files.scan(raw)
    assert [p.name for p in found.sources] == ["inside.txt", "letter.txt"]
    skipped = {s.name: s.reason for s in found.skipped}
    assert set(skipped) == {"x.txt", "notes.md", "y.txt", "gone.txt"}
    assert "outside raw/" in skipped["x.txt"] and "outside raw/" in skipped["notes.md"]
    assert str(outside) not in " ".join(map(str, found.skipped))  # a report may be published
    outcomes = _build(raw, out)
    assert sorted(o.source for o in outcomes if o.status == "built") == [
        "inside.txt", "letter.txt",
    ]  # fmt: skip
    assert SECRET.encode() not in _everything_written(out)


def test_a_sidecar_linked_out_of_raw_is_not_read(project: tuple[Path, Path, Path]) -> None:
    raw, out, outside = project
    (outside / "meta.yaml").write_text(f"title: {SECRET}\n")
    (raw / "letter.yaml").symlink_to(outside / "meta.yaml")
    [outcome] = _build(raw, out)
    assert outcome.status == "failed"
    assert outcome.reason.startswith("letter.yaml: ") and "outside" in outcome.reason
    assert SECRET.encode() not in _everything_written(out)


def test_what_is_not_a_regular_file_is_named_and_skipped(
    project: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    raw, out, _ = project
    os.mkfifo(raw / "pipe.txt")
    (raw / "folder.html").mkdir()
    (raw / "images").mkdir()  # a folder with no text's name: not named, as ever
    sock = socket.socket(socket.AF_UNIX)
    sock_path = raw / "sock.md"
    try:
        sock.bind(str(sock_path))
    except OSError:  # a path too long for a socket: the others still count
        sock_path = None
    found = files.scan(raw)
    assert [p.name for p in found.sources] == ["letter.txt"]
    names = {s.name for s in found.skipped}
    assert names == {"pipe.txt", "folder.html"} | ({"sock.md"} if sock_path else set())
    # the report says it in one line each (it must not block on the pipe either)
    report = BuildReport(_build(raw, out) + [units.skipped(s) for s in found.skipped])
    assert report.counts["skipped"] == len(names)
    lines = [f"{s['source']}: {s['reason']}" for s in report.to_json()["skipped"]]
    assert len(lines) == len(names) and all("\n" not in line for line in lines)
    sock.close()


def _page(title: str) -> str:
    body = "<p>" + "A paragraph long enough to be a paragraph, and nothing else. " * 3 + "</p>"
    return f"<html><head><title>{title}</title></head><body><article>{body}</article></body></html>"


def test_two_texts_with_one_slug_are_an_error_naming_both(tmp_path: Path) -> None:
    raw, out = tmp_path / "raw", tmp_path / "build"
    raw.mkdir()
    (raw / "twin.txt").write_text(TEXT)
    _build(raw, out)
    good = (out / "twin" / "twin.html").read_bytes()
    (raw / "twin.html").write_text(_page("The other twin"))  # the same slug, "twin"
    (raw / "other.txt").write_text(TEXT.replace("Letter", "Notice"))
    (raw / "other.yaml").write_text("slug: twin\n")  # and a third, by its sidecar
    outcomes = {o.source: o for o in _build(raw, out)}
    assert {s: o.status for s, o in outcomes.items()} == dict.fromkeys(
        ("twin.txt", "twin.html", "other.txt"), "failed"
    )
    for source, outcome in outcomes.items():
        assert outcome.reason.startswith(f"{source}: ")
        assert all(name in outcome.reason for name in outcomes), outcome.reason
    # Neither overwrote the other: the last good edition stays.
    assert (out / "twin" / "twin.html").read_bytes() == good
    # Deleting one of them deletes nothing of the other's…
    (raw / "twin.html").unlink()
    (raw / "other.txt").unlink()
    after = {o.source: o.status for o in _build(raw, out)}
    assert after == {"twin.html": "removed", "other.txt": "removed", "twin.txt": "built"}
    assert (out / "twin" / "twin.html").is_file()
    # …and neither does deleting the one that was built, while the other takes the folder.
    (raw / "twin.html").write_text(_page("The other twin"))
    _build(raw, out)
    (raw / "twin.txt").unlink()
    after = {o.source: o.status for o in _build(raw, out)}
    assert after == {"twin.txt": "removed", "twin.html": "built"}
    assert b"The other twin" in (out / "twin" / "twin.html").read_bytes()


def test_old_records_of_two_texts_in_one_folder_never_delete_the_survivor(
    tmp_path: Path,
) -> None:
    """Builds before slugs were checked made both texts, and recorded both, in one folder."""
    raw, out = tmp_path / "raw", tmp_path / "build"
    raw.mkdir()
    (raw / "twin.txt").write_text(TEXT)
    (raw / "twin.html").write_text(_page("The other twin"))
    for name in ("twin.txt", "twin.html"):  # what the old code did: build both, in one folder
        unit = cache.Unit(f"doc-{name}", "document", (raw / name,))
        units.build_batch([(unit, "old")], out, SETTINGS)
    (raw / "twin.html").unlink()
    plan = cache.plan(cache.document_units(raw), out, SETTINGS)
    [orphan] = plan.orphans
    cache.forget(out, orphan)  # before twin.txt is rebuilt: its files are still its own
    assert (out / "twin" / "twin.html").is_file()


def test_a_deleted_texts_edition_goes_even_when_its_slugs_next_text_fails(
    tmp_path: Path,
) -> None:
    raw, out = tmp_path / "raw", tmp_path / "build"
    raw.mkdir()
    (raw / "twin.txt").write_text(TEXT)
    _build(raw, out)
    (raw / "twin.txt").unlink()
    (raw / "twin.html").write_text("<html><body><nav>Menu</nav></body></html>")  # fails
    outcomes = {o.source: o for o in _build(raw, out)}
    assert outcomes["twin.html"].status == "failed"
    assert sorted(outcomes["twin.txt"].removed_outputs) == sorted(
        f"twin/twin{end}" for end in (".html", ".epub", "-cover.png", ".report.json")
    )
    assert not (out / "twin").exists()


def test_names_that_differ_only_where_a_key_cannot_keep_two_records(tmp_path: Path) -> None:
    raw, out = tmp_path / "raw", tmp_path / "build"
    raw.mkdir()
    (raw / "a b.txt").write_text(TEXT)
    (raw / "a_b.txt").write_text(TEXT)  # the same slug too, "a-b": both refused, both named
    found = cache.document_units(raw)
    assert len({u.key for u in found}) == 2
    outcomes = _build(raw, out)
    failed = sorted(o.source for o in outcomes if o.status == "failed")
    assert failed == ["a b.txt", "a_b.txt"]
    assert len(cache.load_entries(out)) == 2
