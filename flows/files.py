"""Files: which ones in ``raw/`` are sources and which their sidecars, and how outputs are written.

Kept free of anything heavy: the command plans a build (and says "nothing to do") with this,
:mod:`flows.cache` and the settings alone, before the pipeline or Prefect is imported.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from flows.model import PamphleteerError

TEXT_SUFFIXES = frozenset({".txt", ".text", ".md"})
HTML_SUFFIXES = (".html", ".htm", ".xhtml", ".html.gz", ".htm.gz")
SIDECAR_SUFFIXES = (".yaml", ".yml")


def is_source(path: Path) -> bool:
    """A file the build should turn into an edition (not a sidecar, not hidden)."""
    return (
        path.is_file()
        and not path.name.startswith((".", "_"))
        and path.suffix.lower() not in SIDECAR_SUFFIXES
    )


def discover(raw_dir: Path) -> list[Path]:
    """Every source in ``raw_dir``, in name order (names set the order of a build)."""
    if not raw_dir.is_dir():
        raise PamphleteerError(f"{raw_dir}: no such folder of raw texts")
    return sorted(p for p in raw_dir.iterdir() if is_source(p))


def is_html(path: Path) -> bool:
    return path.name.lower().endswith(HTML_SUFFIXES)


def stem(path: Path) -> str:
    """The name without its kind: ``a.html.gz`` → ``a``."""
    name = path.name
    for suffix in (*HTML_SUFFIXES, path.suffix):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)] or name
    return name


def sidecar_path(path: Path) -> Path | None:
    for suffix in SIDECAR_SUFFIXES:
        candidate = path.with_name(stem(path) + suffix)
        if candidate.is_file():
            return candidate
    return None


def read_bounded(path: Path, most: int, most_mb: float) -> bytes:
    """The bytes of ``path``, refused (a one-line error naming it) past ``most`` bytes; never
    reads more than one byte past the limit, whatever the file's size."""
    try:
        with path.open("rb") as f:
            data = f.read(most + 1)
    except OSError as exc:
        raise PamphleteerError(f"{path.name}: cannot be read: {exc.strerror}") from None
    if len(data) > most:
        raise PamphleteerError(too_big(path.name, most_mb))
    return data


def too_big(name: str, most_mb: float) -> str:
    return f"{name}: refused: bigger than {most_mb:g} MB (limits: raw_file_mb)"


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder, then rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        os.chmod(tmp, 0o644)  # mkstemp makes it private; outputs are for sharing
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def output_path(out_dir: Path, slug: str, ext: str, variant: str = "") -> Path:
    """``out_dir/<slug>/<slug>.<ext>`` (``<slug>-<variant>.<ext>`` for a booklet, a cover),
    refusing anything that would land outside ``out_dir``."""
    root = out_dir.resolve()
    name = f"{slug}-{variant}" if variant else slug
    path = (root / slug / f"{name}.{ext}").resolve()
    if not path.is_relative_to(root) or path.parent == root:
        raise PamphleteerError(f"refusing to write outside {out_dir}: {slug!r}")
    return path
