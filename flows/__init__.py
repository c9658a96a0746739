"""pamphleteer: scraped articles to HTML, EPUB and PDF editions."""

from importlib import metadata

try:
    __version__ = metadata.version("pamphleteer")
except metadata.PackageNotFoundError:  # run from a checkout that was never installed
    __version__ = "0+unknown"
