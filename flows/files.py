"""Files: which ones in ``raw/`` are sources and which their sidecars, and how outputs are written.

A document's outputs are replaced together or not at all: they are written into a :class:`Stage`
inside the output folder, then swapped in; :func:`recover` repairs what a killed build left.
Reports and records are single files, written with :func:`write_atomic`.

Kept free of anything heavy: the command plans a build (and says "nothing to do") with this,
:mod:`flows.build.cache` and the settings alone, before the pipeline or Prefect is imported.
"""

from __future__ import annotations

import ctypes
import errno
import os
import re
import shutil
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from flows import lifeline
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


def open_inside(path: Path) -> BinaryIO:
    """``path`` opened for reading, a regular file of its own folder: a link leading out of the
    folder, or anything but a regular file, is refused before a byte is read (a link swapped in
    after the folder was listed too: the last step is opened without following links)."""
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC
    try:
        fd = os.open(path, flags)  # not a link (most files): inside its folder by its name
    except OSError as exc:
        if exc.errno != errno.ELOOP:
            raise PamphleteerError(f"{path.name}: cannot be read: {exc.strerror}") from None
        fd = _open_link(path, flags)
    f = os.fdopen(fd, "rb")
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        f.close()
        raise PamphleteerError(f"{path.name}: not a regular file: not read")
    return f


def read_bounded(path: Path, most: int, most_mb: float) -> bytes:
    """The bytes of a project file (settings, editions.yaml), refused with a one-line error
    naming it past ``most`` bytes; never reads more than one byte past the limit."""
    try:
        with path.open("rb") as f:
            data = f.read(most + 1)
    except OSError as exc:
        raise PamphleteerError(f"{path.name}: cannot be read: {exc.strerror}") from None
    if len(data) > most:
        raise PamphleteerError(too_big(path.name, most_mb))
    return data


def read_inside(path: Path, most: int, most_mb: float) -> bytes:
    """The bytes of ``path`` (see :func:`open_inside`), refused with a one-line error naming it
    past ``most`` bytes; never reads more than one byte past the limit, whatever its size."""
    with open_inside(path) as f:
        data = f.read(most + 1)
    if len(data) > most:
        raise PamphleteerError(too_big(path.name, most_mb))
    return data


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


#: The output folder's own files: the cache records, the lock, and (in ``tmp/``) what a build
#: writes before it is an output.
CACHE_DIR = ".cache"
#: Every temporary file of a build that is not beside its target: staged outputs, the processes'
#: ``TMPDIR`` (see :func:`temp_root`). Removed when a build ends, and at the next start after a
#: crash.
TEMP_DIR = "tmp"
#: Old outputs moved aside while new ones take their place, where ``rename(2)`` cannot swap two
#: folders at once (see :meth:`Stage.commit`); put back at the next start after a crash.
ASIDE_DIR = "aside"
#: What a temporary file beside its target is called after (``.<name>.<random>.part``).
PART = ".part"


def too_big(name: str, most_mb: float) -> str:
    return f"{name}: refused: bigger than {most_mb:g} MB (limits: raw_file_mb)"


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder, then rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=PART, dir=path.parent)
    try:
        os.chmod(tmp, 0o644)  # mkstemp makes it private; outputs are for sharing
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def temp_root(out_dir: Path) -> Path:
    """``out_dir/.cache/tmp``: on the outputs' file system, so a staged folder moves in with a
    rename."""
    return out_dir.resolve() / CACHE_DIR / TEMP_DIR


def _stage_parent(out_dir: Path) -> Path:
    """Where a document's outputs are staged: the build's private folder when it lies inside
    ``out_dir`` (``pamphleteer build`` makes one, removed with everything in it when the build
    ends, however it ends: see :mod:`flows.lifeline`), else ``out_dir/.cache/tmp``."""
    root = temp_root(out_dir)
    private = os.environ.get(lifeline.MARKER)
    if private and Path(private).is_relative_to(root) and Path(private).is_dir():
        return Path(private)
    return root


#: ``renameat2(2)``'s flag that swaps two paths in one step (Linux 3.15, glibc 2.28).
_AT_FDCWD, _RENAME_EXCHANGE = -100, 2


def _exchange(a: Path, b: Path) -> bool:
    """Swap two folders in one step; False where the system cannot (then the caller moves the
    old one aside first)."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p,
                          ctypes.c_uint]  # fmt: skip
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):  # a file system without it
        return False
    raise OSError(err, os.strerror(err), str(b))


@dataclass(frozen=True)
class Stage:
    """A document's outputs while they are made: written into a private folder next to the
    outputs, then swapped in all together by :meth:`commit` — or thrown away by
    :meth:`discard`, leaving the previous outputs exactly as they were.

    Between the two, the staged files are complete and can be checked (``units.build_unit``
    runs the output checks there before committing)."""

    out_dir: Path
    slug: str
    folder: Path

    @classmethod
    def open(cls, out_dir: Path, slug: str) -> Stage:
        target = output_path(out_dir, slug, "html").parent  # refuses a slug that leaves out_dir
        parent = _stage_parent(out_dir)
        parent.mkdir(parents=True, exist_ok=True)
        folder = Path(tempfile.mkdtemp(prefix=f"stage-{slug}-", dir=parent))
        os.chmod(folder, 0o755)  # mkdtemp makes it private; it becomes the outputs' folder
        return cls(target.parent, slug, folder)

    @property
    def target(self) -> Path:
        """The folder the outputs are committed to: ``out_dir/<slug>``."""
        return self.out_dir / self.slug

    def path(self, ext: str, variant: str = "") -> Path:
        """Where the output ``<slug>[-variant].<ext>`` is staged."""
        return self.folder / output_path(self.out_dir, self.slug, ext, variant).name

    def write(self, ext: str, data: bytes, variant: str = "") -> Path:
        path = self.path(ext, variant)
        path.write_bytes(data)
        os.chmod(path, 0o644)
        return path

    def final(self, staged: Path) -> Path:
        """Where a staged file is once committed."""
        return self.target / staged.relative_to(self.folder)

    def commit(self) -> None:
        """Put the staged folder in the place of ``out_dir/<slug>``, in one step where the
        system can swap two folders (a reader sees the old outputs or the new, never a mix);
        else the old folder goes aside first, and :func:`recover` puts it back after a crash
        between the two renames."""
        target = self.target
        try:
            os.rename(self.folder, target)  # no outputs yet (or an empty folder): one step
            return
        except OSError as exc:
            if exc.errno not in (errno.ENOTEMPTY, errno.EEXIST):
                raise
        if _exchange(self.folder, target):
            shutil.rmtree(self.folder)  # the old outputs, now in the stage's place
            return
        aside_root = self.out_dir / CACHE_DIR / ASIDE_DIR
        aside_root.mkdir(parents=True, exist_ok=True)
        aside = Path(tempfile.mkdtemp(prefix=f"{self.slug}.", dir=aside_root))
        os.rename(target, aside)  # onto the empty folder mkdtemp made
        os.rename(self.folder, target)
        shutil.rmtree(aside)

    def discard(self) -> None:
        """Remove what was staged (nothing once committed)."""
        shutil.rmtree(self.folder, ignore_errors=True)


_LEFTOVER = re.compile(r"^\..+\.[A-Za-z0-9_]{8}(\.part)?$")  # write_atomic's temporary files


def recover(out_dir: Path) -> list[str]:
    """After a crash, before a build starts (its lock held): put back old outputs a commit had
    moved aside, and remove what a killed build left: staged folders, its processes' temporary
    files, half-written reports and records (a document's outputs are never written in place).
    Returns what was put back or removed, relative to ``out_dir``."""
    root = out_dir.resolve()
    done: list[str] = []
    aside_root = root / CACHE_DIR / ASIDE_DIR
    if aside_root.is_dir():
        for aside in sorted(aside_root.iterdir()):
            target = root / aside.name.split(".", 1)[0]
            if aside.is_dir() and not target.exists():
                os.rename(aside, target)  # the crash came between the two renames
                done.append(str(target.relative_to(root)))
            else:
                shutil.rmtree(aside, ignore_errors=True)
        shutil.rmtree(aside_root, ignore_errors=True)
    temp = temp_root(root)
    if temp.is_dir():
        for entry in sorted(temp.iterdir()):
            lifeline.remove_run(entry)
            done.append(str(entry.relative_to(root)))
    for folder in (root, root / CACHE_DIR):
        for path in folder.iterdir() if folder.is_dir() else ():
            if _LEFTOVER.match(path.name) and path.is_file():
                path.unlink(missing_ok=True)
                done.append(str(path.relative_to(root)))
    return done


def output_path(out_dir: Path, slug: str, ext: str, variant: str = "") -> Path:
    """``out_dir/<slug>/<slug>.<ext>`` (``<slug>-<variant>.<ext>`` for a booklet, a cover),
    refusing anything that would land outside ``out_dir``."""
    root = out_dir.resolve()
    name = f"{slug}-{variant}" if variant else slug
    path = (root / slug / f"{name}.{ext}").resolve()
    if not path.is_relative_to(root) or path.parent == root:
        raise PamphleteerError(f"refusing to write outside {out_dir}: {slug!r}")
    return path
