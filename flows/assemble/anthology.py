"""Anthologies: editions made of several ``raw/`` documents, defined in ``editions.yaml``.

``editions.yaml`` sits at the project root, beside ``raw/``::

    editions:
      - slug: october-1917-2017            # names build/<slug>/
        title: "October, a Hundred Years On"
        subtitle: Two Assessments
        author: [Internationalist Perspective, Communist Workers' Organisation]
        publisher: Pamphleteer Editions
        date: 2017
        front_matter: |                    # Markdown, set before the first article
          Two groups of the communist left look back at 1917.
        documents:                         # files in raw/, in the order they are printed
          - 000_3360b08886504e93.txt
          - 004_1239671bb178580e.txt
        paper: a5                          # any press setting of pamphleteer.yaml

Each document becomes a chapter: its title a level-1 heading, its own headings one level down, its
notes relabelled so that their labels are unique across the edition (two articles both have a
note 1; Pandoc would otherwise join them) and numbered per article in the PDF and EPUB.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence

from flows.assemble.edition import MarkdownText, _Meta, render_template
from flows.markdown import NOTE_REF
from flows.model import Document
from flows.read.editions import Edition
from flows.settings import Settings

_HEADING = re.compile(r"^(#{1,5}) ", re.M)


def chapter_body(doc: Document, number: int) -> str:
    """A document's body as chapter ``number``: note labels made unique, headings below level 1."""
    body = NOTE_REF.sub(lambda m: f"{m[1]}[^a{number}-{m[2]}]", doc.body.strip())
    if re.search(r"^# ", body, re.M):
        body = _HEADING.sub(lambda m: f"#{m[1]} ", body)
    return body


def identifier(edition: Edition) -> str:
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'pamphleteer-edition:{edition.slug}')}"


def assemble_anthology(edition: Edition, docs: Sequence[Document], settings: Settings) -> str:
    """The edition source of an anthology, through templates/anthology.md.j2."""
    meta = _Meta(edition.meta)
    meta["identifier"] = identifier(edition)
    chapters = [
        {"meta": _Meta(doc.meta), "body": MarkdownText(chapter_body(doc, n)),
         "source_name": doc.source.name}
        for n, doc in enumerate(docs, start=1)
    ]  # fmt: skip
    return render_template(
        settings,
        "anthology.md.j2",
        meta=meta,
        front_matter=MarkdownText(edition.front_matter),
        chapters=chapters,
    )
