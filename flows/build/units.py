"""Build one unit, record it in the cache as soon as it is done, and say what became of it as an
:class:`~flows.outcome.Outcome` (no Prefect here). Each unit's failure is caught on its
own; a unit finished before a crash stays recorded.

The pipeline is imported where a unit is built, not at the top: the command imports this module to
plan a build, and the worker processes have the pipeline imported already (the fork server
preloads it, see ``flows.build.preload``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from flows.build import cache
from flows.files import Skipped, output_path
from flows.model import PamphleteerError
from flows.outcome import Outcome
from flows.settings import Settings
from flows.validate.jvm import CheckerStopped

if TYPE_CHECKING:
    from flows.build.pipeline import Staged


def reason(exc: BaseException) -> str:
    if isinstance(exc, PamphleteerError | CheckerStopped):  # their messages name the file
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


#: What a unit of each kind builds: its outputs, staged (see ``pipeline.Staged``). A new kind of
#: output adds a builder here and a function that lists its units beside
#: :func:`cache.document_units`.
def _document(unit: cache.Unit, out_dir: Path, settings: Settings) -> Staged:
    from flows.build.pipeline import stage_document

    return stage_document(unit.source, out_dir, settings)


def _anthology(unit: cache.Unit, out_dir: Path, settings: Settings) -> Staged:
    from flows.build.pipeline import stage_anthology

    if unit.payload.problem:  # a broken edition of editions.yaml fails alone
        raise PamphleteerError(unit.payload.problem)
    return stage_anthology(unit.payload, out_dir, settings)


BUILDERS: dict[str, Callable[[cache.Unit, Path, Settings], Staged]] = {
    "document": _document,
    "anthology": _anthology,
}


def build_unit(unit: cache.Unit, fp: str, out_dir: Path, settings: Settings) -> Outcome:
    """Build one unit's outputs and record them; raises when the unit fails.

    The outputs are staged first; they replace the unit's previous outputs only once every one
    of them is written and checked, all together (``files.Stage``). A failure anywhere before
    that leaves the previous outputs as they were, and a new document's nothing at all."""
    from flows.validate.outputs import check_file

    builder = BUILDERS.get(unit.kind)
    if builder is None:
        raise PamphleteerError(f"{unit.source.name}: unknown kind of unit {unit.kind!r}")
    if unit.conflict:  # another text builds into its folder: failing keeps both last editions
        raise PamphleteerError(unit.conflict)
    started = time.perf_counter()
    staged = builder(unit, out_dir, settings)
    try:
        # The staged files, judged before they replace anything: a check that must fail the
        # unit raises here (the stage is then discarded).
        outputs = staged.result.outputs
        sizes = {fmt: p.stat().st_size for fmt, p in outputs.items()}
        checked = {fmt: check_file(fmt, p) for fmt, p in outputs.items()}
        result = staged.commit()
    finally:
        staged.discard()  # nothing left once committed
    data = {
        **result.to_dict(),
        "outputs": {fmt: _rel(out_dir, p) for fmt, p in result.outputs.items()},
        "bytes": sizes,
        "output_checks": checked,
        "wall": round(time.perf_counter() - started, 3),
    }
    report = output_path(out_dir, result.slug, "report.json")
    stale = cache.record(out_dir, unit.key, fp, [*result.outputs.values(), report], data)
    return Outcome("built", unit.key, data["source"], data.get("edition", ""), record=data,
                   removed_outputs=tuple(stale))  # fmt: skip


def failed(unit: cache.Unit, why: str) -> Outcome:
    if unit.kind == "anthology":
        return Outcome("failed", unit.key, "editions.yaml", unit.payload.slug, why)
    return Outcome("failed", unit.key, unit.source.name, reason=why)


def _rel(out_dir: Path, path: Path) -> str:
    return str(path.resolve().relative_to(out_dir.resolve()))


def warm_up(settings: Settings | None = None) -> None:
    """Start what the first document would otherwise wait for: a Pandoc process, typst's
    compiler with the fonts loaded."""
    from flows.render import formats as render
    from flows.render import typeset

    settings = settings or Settings()
    render.html("Warming up.\n", settings)
    typeset.typst_compile(b"Warming up.", settings, {}, {})


def build_one(unit: cache.Unit, fp: str, out_dir: Path, settings: Settings) -> Outcome:
    """Build a unit; its failure is its outcome (recorded when it is the input's fault: the same
    input would fail again)."""
    try:
        return build_unit(unit, fp, out_dir, settings)
    except Exception as exc:
        failure = failed(unit, reason(exc))
        if isinstance(exc, PamphleteerError):
            cache.record_failure(out_dir, unit.key, fp, failure.to_json())
        return failure


def build_batch(
    units: Sequence[tuple[cache.Unit, str]], out_dir: Path, settings: Settings
) -> list[Outcome]:
    """Build each (unit, fingerprint) in turn; one failure is reported and the others go on."""
    return [build_one(unit, fp, out_dir, settings) for unit, fp in units]


def unchanged(entry: cache.Entry) -> Outcome:
    """A unit the plan found up to date; a recorded failure stays a failure."""
    return Outcome.from_record(entry.key, entry.result)


def skipped(what: Skipped) -> Outcome:
    """A name in raw/ that is not read (a link out of it, a pipe, a folder named like a text)."""
    return Outcome("skipped", f"skipped-{what.name}", what.name, reason=what.reason)


def removed(entry: cache.Entry, paths: list[str]) -> Outcome:
    source = str(entry.result.get("source", entry.key))  # an anthology's: editions.yaml
    return Outcome("removed", entry.key, source, removed_outputs=tuple(paths))
