"""The Prefect flow ``fetch-sources``: refresh the pages sidecars name (see :mod:`flows.sources`).

One task run per page, two at a time but never two at once to the same host (a polite pause per
host). A network failure, a 429 or a 5xx is retried with exponential back-off; after the last try,
or on any other failure, the previous copy stays and the reason is reported.
"""

from pathlib import Path
from typing import Any

from prefect import flow, task
from prefect.artifacts import create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.futures import wait
from prefect.tasks import exponential_backoff

from flows import sources
from flows.model import PamphleteerError


def _transient(task: Any, task_run: Any, state: Any) -> bool:
    try:
        state.result()
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
def fetch_page(source: sources.Source, limit: sources.RateLimit) -> sources.FetchResult:
    with sources.client() as client:
        return sources.fetch_one(client, source, limit)


@flow(name="fetch-sources", log_prints=False)
def fetch_sources(
    raw_dir: Path, retries: int = 3, backoff: float = 2.0, interval: float = 1.0
) -> list[sources.FetchResult]:
    """Refresh every page named by a sidecar; ``backoff`` seconds doubles at each retry."""
    pages = sources.sources(raw_dir)
    limit = sources.RateLimit(interval)
    fetch = fetch_page.with_options(
        retries=retries, retry_delay_seconds=exponential_backoff(backoff_factor=backoff)
    )
    futures = [fetch.submit(page, limit) for page in pages]
    wait(futures)
    results = []
    for page, future in zip(pages, futures, strict=True):
        try:
            results.append(future.result())
        except (sources.TransientFetchError, PamphleteerError, OSError) as exc:
            results.append(sources.FetchResult(page.stem, page.url, "kept", str(exc)))
    if results:
        create_table_artifact(
            [r.to_dict() for r in results], key="fetch-sources", description="pamphleteer fetch"
        )
    return results
