"""Build units in batches, each recorded in the cache as soon as it is done (no Prefect here).

The flow hands a batch of stale units to one task run. On a Dask worker the batch builds them one
after the other (:func:`build_batch`); on this machine it queues them on the worker processes one
unit per call (:func:`build_in_pool`). Each unit's failure is caught on its own, and each outcome
is one plain dict (plain data, so it travels between processes). A unit finished before a crash
stays recorded.

The pipeline is imported where a unit is built, not at the top: the command imports this module to
plan a build and to hand units to the workers, which have the pipeline imported already (the fork
server preloads it, see ``workers.PRELOAD``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import as_completed
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flows.build import cache, schedule
from flows.files import Skipped, output_path
from flows.model import PamphleteerError
from flows.settings import Settings
from flows.validate.jvm import CheckerStopped

if TYPE_CHECKING:
    from flows.build.pipeline import Staged
    from flows.build.workers import Pool

#: One unit's outcome: ``status`` is "built", "unchanged", "failed" or "removed".
Outcome = dict[str, Any]


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
    return {**data, "status": "built", "key": unit.key, "replaced": stale}


def failed(unit: cache.Unit, why: str) -> Outcome:
    if unit.kind == "anthology":
        source = {"source": "editions.yaml", "edition": unit.payload.slug}
    else:
        source = {"source": unit.source.name}
    return {"status": "failed", "key": unit.key, **source, "reason": why}


def label(outcome: Outcome) -> str:
    """How reports name a unit: the raw file, or ``editions.yaml: <slug>``."""
    edition = outcome.get("edition")
    return f"{outcome['source']}: {edition}" if edition else str(outcome["source"])


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


def build_batch(
    units: Sequence[tuple[cache.Unit, str]], out_dir: Path, settings: Settings
) -> list[Outcome]:
    """Build each (unit, fingerprint) in turn; one failure is reported and the others go on."""
    outcomes = []
    for unit, fp in units:
        try:
            outcomes.append(build_unit(unit, fp, out_dir, settings))
        except Exception as exc:  # one unit's failure is its outcome, the batch goes on
            failure = failed(unit, reason(exc))
            if isinstance(exc, PamphleteerError):  # the input's fault: same input, same failure
                cache.record_failure(out_dir, unit.key, fp, failure)
            outcomes.append(failure)
    return outcomes


def build_in_pool(
    pool: Pool, batch: Sequence[tuple[cache.Unit, str]], out_dir: Path, settings: Settings,
    each: Callable[[Outcome], None] | None = None,
) -> list[Outcome]:  # fmt: skip
    """Build a batch on the worker processes, one unit per call, queued by size with every
    other batch's (see ``workers.Pool``); ``each`` hears of every outcome as it comes."""
    calls = {
        pool.submit(build_batch, [item], out_dir, settings, order=-schedule.weight(item[0])): item
        for item in batch
    }
    outcomes = []
    for call in as_completed(calls):
        try:
            [outcome] = call.result()
        except PamphleteerError as exc:  # its worker died: not the input's fault, not recorded
            outcome = failed(calls[call][0], str(exc))
        outcomes.append(outcome)
        if each:
            each(outcome)
    return outcomes


def unchanged(entry: cache.Entry) -> Outcome:
    """A unit the plan found up to date; a recorded failure stays a failure."""
    if entry.result.get("status") == "failed":
        return {**entry.result, "key": entry.key}
    return {**entry.result, "status": "unchanged", "key": entry.key}


def skipped(what: Skipped) -> Outcome:
    """A name in raw/ that is not read (a link out of it, a pipe, a folder named like a text)."""
    return {"status": "skipped", "key": f"skipped-{what.name}", "source": what.name,
            "reason": what.reason}  # fmt: skip


def removed(entry: cache.Entry, paths: list[str]) -> Outcome:
    source = entry.result.get("source", entry.key)
    return {"status": "removed", "key": entry.key, "source": source, "removed_outputs": paths}
