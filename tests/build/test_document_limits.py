"""A document past its time or its worker's memory (``limits:`` in pamphleteer.yaml) fails
alone, named, with the limit; the rest of the batch builds, and no process is left behind."""

from __future__ import annotations

import json
import os
import random
from pathlib import Path

import pytest

from flows.build import engine
from flows.read.project import project_settings

LETTER = "A Letter\n\nDear comrades,\n\nThe meeting is on Friday, at eight.\n"
WORDS = "the workers council strike general assembly factory comrades bread peace land".split()


def _long_text(size: int) -> str:
    """A text of ``size`` bytes: seconds of Pandoc, hundreds of MB of a worker's memory."""
    pick = random.Random(1).choice
    paragraphs, total = [], 0
    while total < size:
        paragraphs.append(" ".join(pick(WORDS) for _ in range(120)) + ".")
        total += len(paragraphs[-1]) + 2
    return "A Very Long Pamphlet\n\n" + "\n\n".join(paragraphs) + "\n"


def _project(tmp_path: Path, limits: str, size: int) -> tuple[Path, Path]:
    raw = tmp_path / "raw"
    raw.mkdir()
    (tmp_path / "pamphleteer.yaml").write_text(f"limits: {{{limits}}}\n")
    (raw / "letter.txt").write_text(LETTER)
    (raw / "notice.txt").write_text(LETTER.replace("Letter", "Notice"))
    (raw / "long.txt").write_text(_long_text(size))
    return raw, tmp_path / "build"


def _children() -> set[int]:
    """This process's descendants but multiprocessing's own fork server and resource tracker
    (its children, which serve every pool of the process until it ends); the workers forked
    from the fork server count."""
    found, todo = set(), [os.getpid()]
    while todo:
        pid = todo.pop()
        for kid in _kids(pid):
            todo.append(kid)
            if pid != os.getpid() or b"from multiprocessing." not in _cmdline(kid):
                found.add(kid)
    return found


def _kids(pid: int) -> list[int]:
    kids = []
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            kids += map(int, Path(f"/proc/{pid}/task/{task}/children").read_text().split())
        except OSError:
            continue
    return kids


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux's /proc")
@pytest.mark.parametrize(
    ("limits", "size", "message"),
    [
        # Tens of seconds of Pandoc on any machine against a letter's fraction of a second:
        # the limit is far from both, so a fast or a busy machine does not change the result.
        ("document_seconds: 1.5", 3_500_000, "long.txt: took longer than its time limit "
         "(document_seconds: 1.5 s) and was stopped"),
        ("worker_memory_mb: 450", 1_500_000, "long.txt: needed more memory than its limit "
         "(worker_memory_mb: 450 MB, Pandoc's included) and was stopped"),
    ],
    ids=["time", "memory"],
)  # fmt: skip
def test_a_document_past_a_limit_fails_alone_and_the_others_build(
    tmp_path: Path, limits: str, size: int, message: str
) -> None:
    raw, out = _project(tmp_path, limits, size)
    settings = project_settings(str(raw), "html", None, None, check=False)
    before = _children()
    report = engine.build(engine.Build.planned(raw, out, settings))
    assert {o.source: o.status for o in report.outcomes} == {
        "letter.txt": "built", "notice.txt": "built", "long.txt": "failed",
    }  # fmt: skip
    [failure] = json.loads((out / "report.json").read_text())["failures"]
    assert failure == {"source": "long.txt", "reason": message}
    assert not (out / "long").exists()
    assert _children() <= before  # the stopped worker, its Pandoc, the others: all ended
    # The same input would fail again: it is recorded, not tried at every build.
    again = engine.Build.planned(raw, out, settings)
    assert again.plan.nothing_to_do
