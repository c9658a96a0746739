"""The Prefect layer: a flow that builds every document of ``raw/``, one task per document.

The work is in :func:`flows.pipeline.build_document` (plain Python); this module only maps it over
the documents, runs them two at a time (Pandoc and typst keep both cores busy), isolates failures
and publishes the summary as a Prefect artifact. With no Prefect server configured, Prefect starts
a temporary one in this process: nothing has to be started by hand.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from flows.settings import DEFAULT_TEMPLATES

# Prefect reads these when it is imported: keep its state in a folder we control (not
# ~/.prefect) and do not phone home from machines without internet.
os.environ.setdefault("PREFECT_HOME", str(DEFAULT_TEMPLATES.parent / ".prefect"))
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

from prefect import flow, task  # noqa: E402
from prefect.artifacts import create_markdown_artifact  # noqa: E402
from prefect.futures import as_completed  # noqa: E402
from prefect.task_runners import ThreadPoolTaskRunner  # noqa: E402

from flows import read  # noqa: E402
from flows.anthology import Edition  # noqa: E402
from flows.model import PamphleteerError  # noqa: E402
from flows.pipeline import DocumentResult, build_anthology, build_document  # noqa: E402
from flows.settings import Settings  # noqa: E402


@dataclass(frozen=True)
class Failure:
    source: Path
    reason: str
    edition: str = ""  # an anthology of editions.yaml

    @property
    def label(self) -> str:
        return f"{self.source.name}: {self.edition}" if self.edition else self.source.name


@dataclass
class BuildSummary:
    results: list[DocumentResult] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures

    def markdown(self) -> str:
        lines = ["| document | title | notes | warnings | outputs |", "|---|---|---|---|---|"]
        for r in sorted(self.results, key=lambda r: r.label):
            notes = f"{r.report.notes_linked}/{r.report.notes_found}"
            outputs = ", ".join(sorted(r.outputs))
            lines.append(
                f"| {r.label} | {r.title} | {notes} | {len(r.report.warnings)} | {outputs} |"
            )
        for f in self.failures:
            lines.append(f"| {f.label} | **failed** | | | {f.reason} |")
        return "\n".join(lines)


Progress = Callable[[int, int, "DocumentResult | Failure"], None]


@task(name="build-document", task_run_name="build {path.name}")
def build_document_task(path: Path, out_dir: Path, settings: Settings) -> DocumentResult:
    return build_document(path, out_dir, settings)


@task(name="build-anthology", task_run_name="build anthology {edition.slug}")
def build_anthology_task(edition: Edition, out_dir: Path, settings: Settings) -> DocumentResult:
    return build_anthology(edition, out_dir, settings)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, PamphleteerError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


@flow(name="build-editions", log_prints=False)
def build_editions(
    raw_dir: Path,
    out_dir: Path,
    settings: Settings,
    progress: Progress | None = None,
    editions: Sequence[Edition] = (),
) -> BuildSummary:
    """Build the editions of every document in ``raw_dir`` and the anthologies ``editions``
    defines (editions.yaml); one failure does not stop the rest."""
    sources = read.discover(raw_dir)
    summary = BuildSummary()
    futures = {build_document_task.submit(p, out_dir, settings): Failure(p, "") for p in sources}
    for edition in editions:
        future = build_anthology_task.submit(edition, out_dir, settings)
        futures[future] = Failure(Path("editions.yaml"), "", edition.slug)
    for done, future in enumerate(as_completed(list(futures)), start=1):
        try:
            item: DocumentResult | Failure = future.result()
            summary.results.append(item)
        except Exception as exc:  # one document's failure is reported, the others go on
            item = dataclasses.replace(futures[future], reason=_reason(exc))
            summary.failures.append(item)
        if progress:
            progress(done, len(futures), item)
    summary.results.sort(key=lambda r: r.label)
    create_markdown_artifact(
        summary.markdown(), key="build-summary", description="pamphleteer build"
    )
    return summary


def run_build(
    raw_dir: Path,
    out_dir: Path,
    settings: Settings,
    progress: Progress | None = None,
    editions: Sequence[Edition] = (),
) -> BuildSummary:
    """Run the flow with two documents at a time (the machine's cores)."""
    workers = max(1, min(4, os.cpu_count() or 1))
    runnable = build_editions.with_options(task_runner=ThreadPoolTaskRunner(max_workers=workers))
    return runnable(raw_dir, out_dir, settings, progress, editions)


if __name__ == "__main__":  # python -m flows.build RAW OUT
    summary = run_build(Path(sys.argv[1]), Path(sys.argv[2]), Settings())
    print(summary.markdown())
