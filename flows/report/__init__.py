"""Reporting: report.json, report.html and index.html from a build's outcomes."""
