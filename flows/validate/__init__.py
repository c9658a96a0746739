"""Validating: quick checks of every output, and EPUBCheck / the Nu HTML Checker."""
