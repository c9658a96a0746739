"""``pamphleteer add URL…``: one page saved into raw/ with a sidecar to review (no Prefect).

The page is downloaded by the polite fetcher (:func:`flows.fetch.pages.download`: the deadline,
the redirects checked, the body bounded) and must be an article page, as for ``fetch``. Its
metadata is what the build would detect (:func:`flows.clean.html.meta.page_metadata`); the page
is saved as ``raw/<slug>.html``, the slug from its title, beside a sidecar with its address
(``source_url``: the page's canonical address when it names one) and the title, author and date
found, for the user to check. A page whose address (or canonical address) a sidecar of raw/
already names is refused: it is there. Later ``fetch`` runs refresh the page like any other.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flows.fetch import pages
from flows.fetch.feeds import canonical, known_addresses, new_stem, sidecar_text
from flows.files import write_atomic
from flows.limits import Limits
from flows.model import PamphleteerError


@dataclass(frozen=True)
class Added:
    """What ``add`` did with one address: ``added`` (with the stem and what was found),
    ``refused`` (already in raw/) or ``failed`` (with the reason)."""

    url: str
    status: str
    stem: str = ""
    meta: tuple[tuple[str, Any], ...] = ()
    reason: str = ""

    def line(self) -> str:
        if self.status != "added":
            return f"{self.status:<8} {self.url}: {self.reason}"
        found = dict(self.meta)
        author = found.get("author")
        names = ", ".join(author) if isinstance(author, list) else author
        parts = [
            f'title "{found["title"]}"' if found.get("title") else "no title found",
            f"author {names}" if names else "no author found",
            f"date {found['date']}" if found.get("date") else "no date found",
        ]
        return (
            f"added    {self.stem}.html <- {self.url}: {'; '.join(parts)} (check {self.stem}.yaml)"
        )


def _detected(body: bytes, url: str, limits: Limits) -> dict[str, Any]:
    """What the build would find in the page: title, author, date, canonical address."""
    from flows.clean.html.extract import parse
    from flows.clean.html.meta import page_metadata
    from flows.read.decode import decode_html

    tree = parse(decode_html(body, url), url, limits.nesting)
    return page_metadata(tree)


async def add_one(
    client: Any, raw_dir: Path, url: str, limits: Limits, rate: pages.RateLimit | None = None
) -> Added:
    """Save the page at ``url`` into ``raw_dir`` with its sidecar; or say why not."""
    if problem := pages.address_problem(url):
        return Added(url, "failed", reason=f"the address {problem}")
    known = known_addresses(raw_dir, limits)
    if (stem := known.get(canonical(url))) is not None:
        return Added(url, "refused", reason=f"already in {raw_dir.name}/ as {stem}.yaml")
    try:
        answer = await pages.download(client, url, limits, "text/html,application/xhtml+xml",
                                      rate)  # fmt: skip
        if why := pages.page_refusal(answer):
            raise pages.Refused(why)
    except (pages.Refused, pages.TransientFetchError) as exc:
        return Added(url, "failed", reason=str(exc))
    try:
        meta = _detected(answer.body, url, limits)
    except PamphleteerError as exc:
        return Added(url, "failed", reason=str(exc))
    found = str(meta.get("source_url") or "")
    address = found if found and not pages.address_problem(found) else answer.url or url
    if (stem := known.get(canonical(address))) is not None:
        why = f"already in {raw_dir.name}/ as {stem}.yaml (its canonical address {address})"
        return Added(url, "refused", reason=why)
    stem = new_stem(raw_dir, str(meta.get("title") or ""), address)
    side = {k: meta[k] for k in ("title", "author", "date") if meta.get(k)}
    if "date" in side:
        side["date"] = str(side["date"])  # ISO 8601 at the page's precision, as a sidecar writes it
    side["source_url"] = address
    write_atomic(raw_dir / f"{stem}.html", answer.body)
    state = {"url": address, "etag": answer.headers.get("etag", ""),
             "last_modified": answer.headers.get("last-modified", "")}  # fmt: skip
    # The validators of this download: the next fetch of the page is a conditional GET.
    write_atomic(raw_dir / pages.STATE_DIR / f"{stem}.json", json.dumps(state, indent=1).encode())
    note = f"Added by `pamphleteer add {url}`: what was detected, for you to check."
    write_atomic(raw_dir / f"{stem}.yaml", sidecar_text(side, note))
    return Added(url, "added", stem, tuple(side.items()))


async def add(raw_dir: Path, urls: list[str], limits: Limits, interval: float = 1.0) -> list[Added]:
    """Each address in turn (one may name a page another just added), politely."""
    rate = pages.RateLimit(interval)
    results = []
    async with pages.client(limits) as client:
        for url in urls:
            results.append(await add_one(client, raw_dir, url.strip(), limits, rate))
    return results
