"""Saddle-stitch imposition: the reading PDF as a booklet to print, fold and staple.

The pages are laid two up on the next paper size (A5 on A4, A6 on A5, half letter on letter) with
pypdf. Blank pages are added before the back cover to reach a multiple of four, so the back cover
stays last. Sheet *s* (counted from the outside) carries on its front the last-but-2s page on the
left and page 2s+1 on the right, and on its back page 2s+2 on the left and the one before the
last-but-2s on the right: printed duplex, flipped on the short edge, folded and nested, the pages
read in order.

Options (settings, per edition): ``creep`` moves the pages of inner sheets toward the spine (mm
per sheet) so the trimmed fore-edge margin stays even; ``crop_marks`` puts each spread on a
larger sheet with trim and fold marks for a print shop's guillotine.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from pypdf import PageObject, PdfReader, PdfWriter, Transformation

from flows import render
from flows.model import PamphleteerError
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


def _marks(settings: Settings, sheet: tuple[float, float], trim: tuple[float, float]) -> PageObject:
    inputs = {"sheet-width": f"{sheet[0]:.3f}", "sheet-height": f"{sheet[1]:.3f}",
              "trim-width": f"{trim[0]:.3f}", "trim-height": f"{trim[1]:.3f}"}  # fmt: skip
    data, _ = render.typst_compile("marks.typ", settings, inputs, {})
    return PdfReader(io.BytesIO(data)).pages[0]


def impose(pdf: bytes, settings: Settings) -> Booklet:
    """The booklet of a reading PDF, with the press settings' paper, creep and crop marks."""
    press = settings.press
    reader = PdfReader(io.BytesIO(pdf))
    count = len(reader.pages)
    if count == 0:
        raise PamphleteerError("the PDF has no pages to impose")
    box = reader.pages[0].mediabox
    width, height = float(box.width), float(box.height)
    sequence = page_sequence(count)
    margin = MARKS_MARGIN if press.crop_marks else 0.0
    sheet_size = (2 * width + 2 * margin, height + 2 * margin)
    marks = _marks(settings, sheet_size, (2 * width, height)) if press.crop_marks else None
    sheets = len(sequence) // 4

    writer = PdfWriter()
    for side, (left, right) in enumerate(saddle_order(len(sequence))):
        sheet_index = side // 2
        shift = press.creep * MM * sheet_index  # inner sheets move toward the spine
        page = PageObject.create_blank_page(width=sheet_size[0], height=sheet_size[1])
        if marks is not None:
            page.merge_page(marks)
        for slot, number in ((0, left), (1, right)):
            source = sequence[number]
            if source is None:
                continue
            dx = margin + slot * width + (shift if slot == 0 else -shift)
            page.merge_transformed_page(
                reader.pages[source], Transformation().translate(dx, margin), over=True
            )
        writer.add_page(page).compress_content_streams()
    writer.add_metadata({"/Title": f"{reader.metadata.title if reader.metadata else ''} (booklet)"})
    writer.compress_identical_objects()  # each font once, not once per sheet
    out = io.BytesIO()
    writer.write(out)
    blanks = len(sequence) - count
    return Booklet(out.getvalue(), len(sequence), blanks, sheets, press.sheet, press.crop_marks)
