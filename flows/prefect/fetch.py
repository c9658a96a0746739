"""The Prefect flow ``fetch-sources``: first the sources of ``sources.yaml`` add their new
articles to raw/ (see :mod:`flows.fetch.feeds`), then the pages sidecars name are refreshed (see
:mod:`flows.fetch.pages`).

One task run per page, two at a time but never two at once to the same host (a polite pause per
host). A network failure, the deadline (``fetch_seconds``), a 429 or a 5xx is retried with
exponential back-off, each try with a deadline of its own; after the last try, or on any other
failure, the previous copy stays and the reason is reported. A sidecar that cannot be read, or
a page whose fetch fails in a way nobody foresaw, fails alone: every source gets its result.
"""

from pathlib import Path
from typing import Any

from prefect import flow, task
from prefect.artifacts import create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.futures import wait
from prefect.tasks import exponential_backoff

from flows.fetch import feeds
from flows.fetch import pages as sources
from flows.limits import Limits


async def _transient(task: Any, task_run: Any, state: Any) -> bool:
    """Whether another try may help. Async, as the task is: Prefect awaits it in the task's
    event loop, where a state's result must be awaited too."""
    try:
        await state.aresult()
    except sources.TransientFetchError:
        return True
    except Exception:
        return False
    return False


# I/O: the one place with retries.
@task(
    name="fetch-page",
    task_run_name="fetch {source.stem}",
    retry_condition_fn=_transient,
    cache_policy=NO_CACHE,
)
async def fetch_page(
    source: sources.Source, limits: Limits, rate: sources.RateLimit
) -> sources.FetchResult:
    async with sources.client(limits) as client:
        return await sources.fetch_one(client, source, limits, rate)


@task(
    name="read-source",
    task_run_name="source {spec.name}",
    retry_condition_fn=_transient,
    cache_policy=NO_CACHE,
)
async def read_source(
    raw_dir: Path, spec: feeds.SourceSpec, limits: Limits, rate: sources.RateLimit
) -> feeds.SourceResult:
    async with sources.client(limits) as client:
        return await feeds.refresh_source(client, raw_dir, spec, limits, rate)


def _as_result(r: feeds.SourceResult) -> sources.FetchResult:
    """A source's outcome as a line of the fetch's results."""
    reason = r.reason if r.status == "kept" else r.line().split(": ", 1)[1]
    return sources.FetchResult(f"{feeds.SOURCES_FILE}: {r.name}", r.url, r.status, reason)


def refresh_sources(
    raw_dir: Path, limits: Limits, rate: sources.RateLimit, retries: int, backoff: float
) -> list[sources.FetchResult]:
    """The sources of sources.yaml (beside raw/), each alone: new articles into raw/."""
    specs, problems = feeds.load_sources(feeds.sources_file(raw_dir), limits)
    results = [sources.FetchResult(feeds.SOURCES_FILE, "", "failed", p) for p in problems]
    read = read_source.with_options(
        retries=retries, retry_delay_seconds=exponential_backoff(backoff_factor=backoff)
    )
    # One source at a time: two may name the same article, and each reads what the last wrote.
    for spec in specs:
        try:
            results.append(_as_result(read.submit(raw_dir, spec, limits, rate).result()))
        except sources.TransientFetchError as exc:
            tries = f" ({retries + 1} tries)" if retries else ""
            results.append(_as_result(feeds.SourceResult(spec.name, spec.url, "kept",
                                                         f"{exc}{tries}")))  # fmt: skip
        except Exception as exc:  # whatever it is, it is this source's failure alone
            why = " ".join(f"{type(exc).__name__}: {exc}".split())
            results.append(_as_result(feeds.SourceResult(spec.name, spec.url, "kept", why)))
    return results


@flow(name="fetch-sources", log_prints=False)
def fetch_sources(
    raw_dir: Path,
    limits: Limits | None = None,
    retries: int = 3,
    backoff: float = 2.0,
    interval: float = 1.0,
) -> list[sources.FetchResult]:
    """Add the sources' new articles, then refresh every page named by a sidecar; ``backoff``
    seconds doubles at each retry."""
    limits = limits or Limits()
    rate = sources.RateLimit(interval)
    listed = refresh_sources(raw_dir, limits, rate, retries, backoff)
    found = sources.sources(raw_dir)
    fetch = fetch_page.with_options(
        retries=retries, retry_delay_seconds=exponential_backoff(backoff_factor=backoff)
    )
    futures = [fetch.submit(page, limits, rate) for page in found.pages]
    wait(futures)
    results = list(found.failed)
    for page, future in zip(found.pages, futures, strict=True):
        try:
            results.append(future.result())
        except sources.TransientFetchError as exc:
            tries = f" ({retries + 1} tries)" if retries else ""
            results.append(sources.FetchResult(page.stem, page.url, "kept", f"{exc}{tries}"))
        except Exception as exc:  # whatever it is, it is this page's failure alone
            why = " ".join(f"{type(exc).__name__}: {exc}".split())
            results.append(sources.FetchResult(page.stem, page.url, "kept", why))
    results.sort(key=lambda r: r.stem)
    results = listed + results
    if results:
        create_table_artifact(
            [r.to_dict() for r in results], key="fetch-sources", description="pamphleteer fetch"
        )
    return results
