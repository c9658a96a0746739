"""Cleaning: web chrome and comments cut, structure and metadata recovered, typography."""
