"""Saddle-stitch imposition: the reading PDF as a booklet to print, fold and staple.

The pages are laid two up on the next paper size (A5 on A4, A6 on A5, half letter on letter).
Blank pages are added before the back cover to reach a multiple of four, so the back cover
stays last. Sheet *s* (counted from the outside) carries on its front the last-but-2s page on the
left and page 2s+1 on the right, and on its back page 2s+2 on the left and the one before the
last-but-2s on the right: printed duplex, flipped on the short edge, folded and nested, the pages
read in order.

Options (settings, per edition): ``creep`` moves the pages of inner sheets toward the spine (mm
per sheet) so the trimmed fore-edge margin stays even; ``crop_marks`` puts each spread on a
larger sheet with trim and fold marks for a print shop's guillotine.

The order and every offset are decided here; typst places the pages (``booklet.typ``: each
reading page as a PDF image, so its text stays text and each font is embedded once), which costs
a few milliseconds where merging the pages' content with pypdf cost a few hundred.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from typing import Any

from pypdf import PdfReader, PdfWriter

from flows.model import PamphleteerError
from flows.render import typeset
from flows.settings import Settings

MM = 72 / 25.4
#: Room for the marks around the trimmed sheet when ``crop_marks`` is on.
MARKS_MARGIN = 12 * MM


@dataclass(frozen=True)
class Booklet:
    data: bytes
    pages: int  # reading pages, blanks included: a multiple of 4
    blanks: int  # blank pages added before the back cover
    sheets: int
    sheet: str  # the paper to print on, e.g. "A4"
    crop_marks: bool = False

    def instructions(self) -> str:
        """How to print it, for the build report."""
        sheets = f"{self.sheets} sheet{'s' if self.sheets != 1 else ''}"
        paper = f"{self.sheet} paper"
        marks = ""
        if self.crop_marks:
            paper = f"paper at least 24 mm wider and taller than {self.sheet}"
            marks = ", then trim at the crop marks"
        return (
            f"Print on {sheets} of {paper}, double-sided (duplex), flipped on the "
            f"short edge, at actual size (100 %, no 'fit to page'); keep the sheets in order, "
            f"fold the stack in half, staple on the fold{marks}."
        )


def saddle_order(pages: int) -> list[tuple[int, int]]:
    """The (left, right) pages of each sheet side, 0-based, in printing order.

    ``pages`` must be a multiple of 4: sheet s's front, then its back, for s from the outside in.
    """
    if pages <= 0 or pages % 4:
        raise ValueError(f"a saddle-stitched booklet needs a multiple of 4 pages, not {pages}")
    last = pages - 1
    sides = []
    for s in range(pages // 4):
        sides.append((last - 2 * s, 2 * s))  # front: outer pages
        sides.append((2 * s + 1, last - 2 * s - 1))  # back: inner pages
    return sides


def page_sequence(count: int) -> list[int | None]:
    """The reading pages padded to a multiple of 4: blanks (None) go before the back cover."""
    if count < 2:
        return [0, None, None, None][: max(4, count)]
    blanks = -count % 4
    return [*range(count - 1), *([None] * blanks), count - 1]


#: Where one reading page goes on a sheet side: its number (1-based) and its top-left corner (pt).
Placement = tuple[int, float, float]


def placements(
    count: int, page: tuple[float, float], margin: float, creep: float, rtl: bool = False
) -> list[list[Placement]]:
    """The reading pages of each sheet side, in printing order, ``creep`` in points per sheet.

    A right-to-left book (``rtl``) is bound on its right: each side's two pages change places,
    so the cover is on the right of the outer sheet and the pages read from right to left."""
    sequence = page_sequence(count)
    sides: list[list[Placement]] = []
    for side, pair in enumerate(saddle_order(len(sequence))):
        shift = creep * (side // 2)  # inner sheets move toward the spine
        left, right = (pair[1], pair[0]) if rtl else pair
        slots = ((left, margin + shift), (right, margin + page[0] - shift))
        sides.append([(n + 1, x, margin) for i, x in slots if (n := sequence[i]) is not None])
    return sides


def page_count(pdf: bytes) -> int:
    """The pages of a PDF, from its page tree's count (no page is read)."""
    return len(PdfReader(io.BytesIO(pdf)).pages)


def bookmarks(reader: PdfReader, sides: list[list[Placement]]) -> list[tuple[str, int, int]]:
    """The reading PDF's bookmarks as (title, level, sheet side), 0-based side: each entry
    opens the side that carries its page, so the booklet can be navigated like the book."""
    side_of = {number - 1: i for i, side in enumerate(sides) for number, _x, _y in side}
    found: list[tuple[str, int, int]] = []

    def walk(items: list[Any], level: int) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item, level + 1)
            elif (page := reader.get_destination_page_number(item)) in side_of:
                found.append((str(item.title), level, side_of[page]))

    walk(reader.outline, 1)
    return found


def _finish(pdf: bytes, marks: list[tuple[str, int, int]]) -> bytes:
    """The booklet with the book's bookmarks, in reading order, and ``/DisplayDocTitle true``
    (typst writes it only for PDF/UA, which cannot hold placed PDF pages)."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    parents: dict[int, Any] = {}
    for title, level, side in marks:
        parents[level] = writer.add_outline_item(
            title=title, page_number=side, parent=parents.get(level - 1)
        )
    writer.create_viewer_preferences().display_doctitle = True
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def impose(pdf: bytes, settings: Settings, rtl: bool = False) -> Booklet:
    """The booklet of a reading PDF, with the press settings' paper, creep and crop marks;
    folded to open on the right for a right-to-left book (``rtl``)."""
    press = settings.press
    reader = PdfReader(io.BytesIO(pdf))
    count = len(reader.pages)
    if count == 0:
        raise PamphleteerError("the PDF has no pages to impose")
    box = reader.pages[0].mediabox
    page = (float(box.width), float(box.height))
    margin = MARKS_MARGIN if press.crop_marks else 0.0
    info = reader.metadata
    title = info.title if info and info.title else ""
    sides = placements(count, page, margin, press.creep * MM, rtl)
    data = {
        "title": f"{title} (booklet)",
        "author": info.author if info and info.author else "",
        "page": page,
        "sheet": (2 * page[0] + 2 * margin, page[1] + 2 * margin),
        "marks": press.crop_marks,
        "sides": sides,
    }
    inputs = {"booklet": json.dumps(data, ensure_ascii=False)}
    # Not PDF/UA: typst cannot place PDF pages in a PDF/UA file (0.15). Tagged, its pages
    # described (alt); pypdf adds the book's bookmarks and has viewers show its title.
    imposed, _ = typeset.typst_compile("booklet.typ", settings, inputs, {"reading.pdf": pdf})
    imposed = _finish(imposed, bookmarks(reader, sides))
    pages = len(page_sequence(count))
    return Booklet(imposed, pages, pages - count, pages // 4, press.sheet, press.crop_marks)
