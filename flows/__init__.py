"""pamphleteer: scraped articles to HTML, EPUB and PDF editions."""


def __getattr__(name: str) -> str:
    """``flows.__version__``, read from the installed package's metadata when first asked
    (importing ``importlib.metadata`` is a quarter of a command that has nothing to do)."""
    if name != "__version__":
        raise AttributeError(f"module 'flows' has no attribute {name!r}")
    from importlib import metadata

    try:
        return metadata.version("pamphleteer")
    except metadata.PackageNotFoundError:  # run from a checkout that was never installed
        return "0+unknown"
