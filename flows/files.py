"""Files: which ones in ``raw/`` are sources and which their sidecars, and how outputs are written.

Kept free of anything heavy: the command plans a build (and says "nothing to do") with this,
:mod:`flows.cache` and the settings alone, before the pipeline or Prefect is imported.
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path

from flows.model import PamphleteerError

TEXT_SUFFIXES = frozenset({".txt", ".text", ".md"})
HTML_SUFFIXES = (".html", ".htm", ".xhtml", ".html.gz", ".htm.gz")
SIDECAR_SUFFIXES = (".yaml", ".yml")


def is_source(path: Path) -> bool:
    """A file the build should turn into an edition (not a sidecar, not hidden, a regular file
    of its own folder)."""
    return _candidate(path) and refusal(path) is None


def _candidate(path: Path) -> bool:
    return not path.name.startswith((".", "_")) and path.suffix.lower() not in SIDECAR_SUFFIXES


def _looks_like_text(path: Path) -> bool:
    return path.suffix.lower() in TEXT_SUFFIXES or is_html(path)


_KINDS = ((stat.S_ISFIFO, "a named pipe"), (stat.S_ISSOCK, "a socket"),
          (stat.S_ISCHR, "a device"), (stat.S_ISBLK, "a device"))  # fmt: skip


def refusal(path: Path, root: Path | None = None) -> str | None:
    """Why ``path`` is not read: a link leading out of ``root`` (a resolved path; by default the
    file's own folder), anything but a regular file; "" for a folder with no text's name
    (``raw/images/``, not worth a word); None for a regular file inside ``root``. The target of
    a link is never named: a report may be published."""
    root = root or path.parent.resolve()  # a caller's own root is resolved already
    try:
        if path.is_symlink() and not path.resolve().is_relative_to(root):
            kind = "folder" if path.is_dir() else "file"
            return f"a link to a {kind} outside {root.name}/: never read"
        mode = path.stat().st_mode
    except (OSError, RuntimeError):  # a broken link, a loop, a file gone since it was listed
        return "a link to nothing, or a file that vanished"
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a folder, not a text" if _looks_like_text(path) else ""
    kind = next((name for test, name in _KINDS if test(mode)), "not a regular file")
    return f"{kind}, not a text: never read"


@dataclass(frozen=True)
class Skipped:
    """A name in raw/ the build does not read, and why."""

    name: str
    reason: str

    def __str__(self) -> str:
        return f"{self.name}: {self.reason}"


@dataclass(frozen=True)
class Scan:
    sources: tuple[Path, ...]  # in name order (names set the order of a build)
    skipped: tuple[Skipped, ...]


def scan(raw_dir: Path) -> Scan:
    """The sources of ``raw_dir`` and what is skipped there. A link is followed only when it
    stays inside ``raw_dir``; nothing but regular files is read (a named pipe would block the
    build, a device never ends). Sidecars are checked when their text reads them."""
    if not raw_dir.is_dir():
        raise PamphleteerError(f"{raw_dir}: no such folder of raw texts")
    root = raw_dir.resolve()
    sources, skipped = [], []
    for path in sorted(raw_dir.iterdir()):
        if not _candidate(path):
            continue
        why = refusal(path, root)
        if why is None:
            sources.append(path)
        elif why:
            skipped.append(Skipped(path.name, why))
    return Scan(tuple(sources), tuple(skipped))


def discover(raw_dir: Path) -> list[Path]:
    """Every source in ``raw_dir``, in name order (see :func:`scan`)."""
    return list(scan(raw_dir).sources)


def read_inside(path: Path) -> bytes:
    """The bytes of ``path``, a regular file of its own folder: a link leading out of the folder,
    or anything but a regular file, is refused before a byte is read (a link swapped in after
    the folder was listed too: the last step is opened without following links)."""
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC
    try:
        fd = os.open(path, flags)  # not a link (most files): inside its folder by its name
    except OSError as exc:
        if exc.errno != errno.ELOOP:
            raise PamphleteerError(f"{path.name}: cannot be read: {exc.strerror}") from None
        fd = _open_link(path, flags)
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise PamphleteerError(f"{path.name}: not a regular file: not read")
        return f.read()


def is_html(path: Path) -> bool:
    return path.name.lower().endswith(HTML_SUFFIXES)


def stem(path: Path) -> str:
    """The name without its kind: ``a.html.gz`` → ``a``."""
    name = path.name
    for suffix in (*HTML_SUFFIXES, path.suffix):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)] or name
    return name


def _open_link(path: Path, flags: int) -> int:
    """Open what the link ``path`` leads to, if that is inside the link's own folder."""
    root = path.parent.resolve()
    try:
        target = path.resolve()
    except (OSError, RuntimeError):  # a loop of links
        raise PamphleteerError(f"{path.name}: a link that leads nowhere: not read") from None
    if not target.is_relative_to(root):
        raise PamphleteerError(f"{path.name}: a link to a file outside {root.name}/: not read")
    try:
        return os.open(target, flags)
    except OSError as exc:
        raise PamphleteerError(f"{path.name}: cannot be read: {exc.strerror}") from None


def sidecar_path(path: Path) -> Path | None:
    """The text's sidecar, if there is one. A link is returned too, wherever it leads: reading it
    (:func:`read_inside`) refuses one that leads out of raw/, and the text fails with that
    reason rather than being built without the metadata its user gave."""
    for suffix in SIDECAR_SUFFIXES:
        candidate = path.with_name(stem(path) + suffix)
        if candidate.is_file() or candidate.is_symlink():
            return candidate
    return None


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
