"""Rendering: Pandoc (sandboxed) and typst to HTML, EPUB, PDF, booklet and cover."""
