"""``build/report.html``: the build report as one self-contained page (a pure function).

Every value comes from scraped pages or file names, so every value is escaped; the page has no
script and loads nothing.
"""

from __future__ import annotations

from html import escape
from typing import Any

from flows.outcome import label

_STYLE = """
:root{color-scheme:light dark;background:#fff;color:#222;--rule:#ddd;--head:#f4f4f4;
--failed:#a00;--muted:#666;--link:#1a5fb4}
@media (prefers-color-scheme:dark){:root{background:#161616;color:#e6e6e6;--rule:#444;
--head:#2a2a2a;--failed:#f88;--muted:#aaa;--link:#8cb4ff}}a{color:var(--link)}
body{font:15px/1.45 system-ui,sans-serif;max-width:72rem;margin:2rem auto;padding:0 1rem}
table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid var(--rule);
padding:.3rem .5rem;text-align:left;vertical-align:top}th{background:var(--head);white-space:nowrap}
td{overflow-wrap:break-word}td:first-child{overflow-wrap:anywhere}td.seconds{text-align:right;white-space:nowrap}
td a{display:inline-block;min-width:24px;min-height:24px;line-height:24px}
.failed{color:var(--failed)}.removed{color:var(--muted)}details{margin:.2rem 0}code{font-size:90%}
@media (max-width:40rem){thead{display:none}table,tbody,tr,td{display:block}
tr{border-bottom:2px solid var(--rule);padding:.4rem 0}td{border:0;padding:.1rem 0}
td:first-child{font-weight:600}td[data-label]::before{content:attr(data-label) ": ";
color:var(--muted)}td.seconds{text-align:left}}
"""


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def _link(path: str, label: str) -> str:
    return f'<a href="{_e(path)}">{_e(label)}</a>'


def _details(doc: dict[str, Any]) -> str:
    parts = []
    messages = [m for m in doc.get("messages", []) if m.get("level") != "info"]
    if messages:
        items = "".join(f"<li><code>{_e(m['code'])}</code> {_e(m['text'])}</li>" for m in messages)
        summary = f"<summary>{len(messages)} warning(s)</summary>"
        parts.append(f"<details>{summary}<ul>{items}</ul></details>")
    if doc.get("booklet"):
        how = _e(doc["booklet"])
        parts.append(f"<details><summary>printing the booklet</summary>{how}</details>")
    removed = doc.get("removed", [])
    if removed:
        items = "".join(f"<li>{_e(r['what'])}: {_e(r['text'])}</li>" for r in removed)
        parts.append(f"<details><summary>{len(removed)} cut</summary><ul>{items}</ul></details>")
    return "".join(parts)


def _document_row(doc: dict[str, Any]) -> str:
    notes = doc.get("notes", {})
    checks = doc.get("output_checks", {})
    outputs = " ".join(
        _link(p, f)
        + ("" if checks.get(f, "ok") == "ok" else f' <b class="failed">{_e(checks[f])}</b>')
        for f, p in sorted(doc.get("outputs", {}).items())
    )
    seconds = sum(doc.get("seconds", {}).values())
    return (
        f'<tr class="{_e(doc["status"])}"><td>{_e(label(doc))}</td>'
        f'<td data-label="status">{_e(doc["status"])}</td>'
        f'<td data-label="title">{_e(doc.get("title", ""))}</td>'
        f'<td data-label="notes">{_e(notes.get("linked", 0))}/{_e(notes.get("found", 0))}</td>'
        f"<td>{_details(doc)}</td><td>{outputs}</td>"
        f'<td class="seconds" data-label="seconds">{seconds:.2f}</td></tr>'
    )


def render(data: dict[str, Any], title: str = "Build report") -> str:
    """The page for a ``report.json`` mapping (see
    :meth:`flows.report.summary.BuildReport.to_json`)."""
    c = data.get("counts", {})
    kinds = ("built", "unchanged", "failed", "removed", "skipped")
    summary = ", ".join(f"{_e(c.get(k, 0))} {k}" for k in kinds)
    rows = [_document_row(d) for d in data.get("documents", [])]
    rows += [
        f'<tr class="failed"><td>{_e(label(f))}</td><td>failed</td>'
        f'<td colspan="5">{_e(f["reason"])}</td></tr>'
        for f in data.get("failures", [])
    ]
    rows += [
        f'<tr class="removed"><td>{_e(r["source"])}</td><td>removed</td>'
        f'<td colspan="5">{_e(", ".join(r["outputs"]))}</td></tr>'
        for r in data.get("removed", [])
    ]
    rows += [
        f'<tr class="removed"><td>{_e(s["source"])}</td><td>skipped</td>'
        f'<td colspan="5">{_e(s["reason"])}</td></tr>'
        for s in data.get("skipped", [])
    ]
    head = "<thead><tr><th>source</th><th>status</th><th>title</th><th>notes</th><th>report</th>" \
        "<th>outputs</th><th>seconds</th></tr></thead>"  # fmt: skip
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)}</title><style>{_STYLE}</style></head><body><main>"
        f"<h1>{_e(title)}</h1><p>{summary} in {_e(data.get('seconds', 0))} s</p>"
        f"<table>{head}<tbody>{''.join(rows)}</tbody></table></main></body></html>\n"
    )
