"""Footnotes: markers joined to their notes, in every style, never a year or a page."""
