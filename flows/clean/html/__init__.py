"""Cleaning an HTML page: the article found, notes and formulas kept, Markdown out."""
