"""Assembling an edition's Pandoc Markdown source through Jinja (one text or an anthology)."""
