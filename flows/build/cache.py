"""Incremental builds: what must be rebuilt, decided from content hashes before any work starts.

A build is made of *units*: one document today (a raw file and its sidecar), an edition of several
documents tomorrow. A unit's *fingerprint* hashes everything its outputs depend on: the bytes of
its inputs, the templates and settings of the build, and pamphleteer's own version (the package
version and its source code, so a developer's edit counts too). After a unit is built, a small
manifest ``<out>/.cache/<unit>.json`` records its fingerprint, its outputs and its result. The
next build compares: same fingerprint and every output still there means nothing to do.

No Prefect here: the plan is made before any task run exists, so a build with nothing to do costs
milliseconds, not Prefect's start-up.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import fcntl
import hashlib
import json
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

from flows.files import CACHE_DIR, discover, open_inside, recover, sidecar_path, write_atomic
from flows.model import PamphleteerError
from flows.read.sidecar import document_slug
from flows.settings import Settings

#: Fonts count by size and date (they are big); every other template file by its bytes.
_FONT_SUFFIXES = frozenset({".otf", ".ttf", ".ttc", ".woff", ".woff2"})
_PACKAGES = ("pamphleteer", "pypandoc-binary", "typst", "jinja2")


@dataclass(frozen=True)
class Unit:
    """Something the build turns into outputs: its key names its manifest; inputs are files."""

    key: str  # e.g. "doc-kronstadt-1921.txt": unique in a build, safe as a file name
    kind: str  # "document" or "anthology" (an edition of editions.yaml)
    inputs: tuple[Path, ...]  # the first one is the main input (the raw file)
    extra: str = ""  # what else the outputs depend on (an anthology's entry in editions.yaml)
    payload: Any = None  # what the builder needs besides the files (an anthology's Edition)
    slug: str = ""  # the output folder it builds into ("" when its sidecar cannot be read)
    #: Why it must not be built: another text of this build has its slug (the reason names both).
    conflict: str = ""

    @property
    def source(self) -> Path:
        return self.inputs[0]


@dataclass(frozen=True)
class Entry:
    """What the previous build recorded for one unit."""

    key: str
    fingerprint: str
    outputs: tuple[str, ...]  # paths relative to the output folder
    result: Mapping[str, Any]
    written: int = 0  # when the record was written (st_mtime_ns)


@dataclass
class Plan:
    stale: list[Unit] = field(default_factory=list)
    fresh: list[Entry] = field(default_factory=list)
    orphans: list[Entry] = field(default_factory=list)  # units whose input is gone
    fingerprints: dict[str, str] = field(default_factory=dict)
    #: The output folders of the build's units: an orphan's outputs there are not removed (the
    #: unit that builds there now replaces them, maybe already under way).
    slugs: frozenset[str] = frozenset()
    #: Every output the manifests list, with the units that list it.
    owners: dict[str, set[str]] = field(default_factory=dict)

    @property
    def nothing_to_do(self) -> bool:
        return not self.stale and not self.orphans


def document_units(raw_dir: Path) -> list[Unit]:
    """One unit per raw file, its sidecar as second input when there is one. Texts that would
    build into one folder (``twin.txt`` and ``twin.html``, or two sidecars' ``slug:``) are each
    marked with a conflict naming all of them: none is built, so none overwrites another."""
    units = []
    for path in discover(raw_dir):
        side = sidecar_path(path)
        inputs = (path, side) if side else (path,)
        units.append(Unit(_key("doc", path.name), "document", inputs,
                          slug=document_slug(path) or ""))  # fmt: skip
    return with_conflicts(units)


def with_conflicts(units: list[Unit]) -> list[Unit]:
    """The units, those that share a slug marked with a conflict naming each other."""
    by_slug: dict[str, list[Unit]] = {}
    for unit in units:
        if unit.slug:
            by_slug.setdefault(unit.slug, []).append(unit)
    out = []
    for unit in units:
        sharing = by_slug.get(unit.slug, [])
        if len(sharing) > 1:
            others = " and ".join(u.source.name for u in sharing if u is not unit)
            why = (f"{unit.source.name}: builds into {unit.slug}/, as {others} does: neither is "
                   f"built until one of them has another 'slug:' in its sidecar")  # fmt: skip
            unit = dataclasses.replace(unit, conflict=why)
        out.append(unit)
    return out


def anthology_units(editions: Iterable[Any]) -> list[Unit]:
    """One unit per anthology of editions.yaml: its documents and their sidecars are its inputs,
    its own entry (title, order, front matter, press keys) counts as well."""
    units = []
    for edition in editions:
        inputs = []
        for path in edition.documents:
            side = sidecar_path(path)
            inputs += [path, side] if side else [path]
        extra = repr((sorted((str(k), repr(v)) for k, v in edition.meta.items()),
                      edition.front_matter, [p.name for p in edition.documents],
                      edition.problem))  # fmt: skip
        if not inputs and edition.file is not None:  # a broken edition: its file is its input
            inputs = [edition.file]
        units.append(Unit(_key("edition", edition.slug), "anthology", tuple(inputs), extra,
                          edition, slug=edition.slug))  # fmt: skip
    return units


def _key(kind: str, name: str) -> str:
    """A name safe for a manifest's file name, and unique: "a b.txt" and "a_b.txt" would both
    be "a_b.txt" (one manifest for two texts), so a name that had to change gets its hash."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", name)
    if safe != name:
        safe += "-" + hashlib.sha256(name.encode()).hexdigest()[:10]
    return f"{kind}-{safe}"


@cache
def tool_version() -> str:
    """pamphleteer's version: the installed packages that shape an output and our own code."""
    h = hashlib.sha256()
    for name in _PACKAGES:
        try:
            h.update(f"{name}={metadata.version(name)};".encode())
        except metadata.PackageNotFoundError:
            h.update(f"{name}=?;".encode())
    for path in sorted(Path(__file__).parent.parent.rglob("*.py")):
        h.update(path.name.encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


def settings_digest(settings: Settings) -> str:
    """Everything of the build's settings that reaches an output: formats, press settings, the
    validators, every template and font, the date.

    Every file of the template folders counts (they are small; a per-format list would miss the
    partials and Typst modules templates include). The build date counts only when
    ``SOURCE_DATE_EPOCH`` fixes it: a nightly build without it must not rebuild everything
    because the day changed.
    """
    h = hashlib.sha256(tool_version().encode())
    # Every setting (formats, press, validators, what the cleaner keeps, template folders…) but
    # the date, which counts only when fixed (below).
    h.update(repr(dataclasses.replace(settings, build_date=dt.date(1970, 1, 1))).encode())
    if os.environ.get("SOURCE_DATE_EPOCH"):
        h.update(settings.build_date.isoformat().encode())
    for folder in settings.template_dirs:
        for path in sorted(folder.rglob("*")):
            if not path.is_file():
                continue
            rel = str(path.relative_to(folder)).encode()
            if path.suffix.lower() in _FONT_SUFFIXES:
                st = path.stat()
                h.update(rel + f":{st.st_size}:{st.st_mtime_ns};".encode())
            else:
                h.update(rel + b"\0" + path.read_bytes())
    return h.hexdigest()


#: Files of raw/ a text's figures may be (``images``): they count for its fingerprint.
_IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".gif", ".webp", ".svg"})


def images_digest(raw_dir: Path) -> str:
    """The images saved in ``raw_dir`` and below, by name, size and date: with ``images`` on, a
    text is rebuilt when one beside it changes (which ones a page uses is known only once it is
    cleaned). Links are not followed: a figure is read only from inside raw/."""
    h = hashlib.sha256()
    for folder, dirs, names in os.walk(raw_dir):
        dirs.sort()
        for name in sorted(names):
            path = Path(folder, name)
            if path.suffix.lower() in _IMAGE_SUFFIXES and not path.is_symlink():
                try:
                    st = path.stat()
                except OSError:
                    continue
                rel = str(path.relative_to(raw_dir))
                h.update(f"{rel}\0{st.st_size}:{st.st_mtime_ns};".encode())
    return h.hexdigest()


def fingerprint(unit: Unit, settings_hash: str) -> str:
    h = hashlib.sha256(settings_hash.encode())
    h.update(unit.kind.encode() + b"\0" + unit.extra.encode() + b"\0" + unit.conflict.encode())
    for path in unit.inputs:
        h.update(b"\0" + path.name.encode() + b"\0")
        try:
            with open_inside(path) as f:  # in pieces: a huge raw file is refused later, not read
                h.update(hashlib.file_digest(f, "sha256").digest())
        except PamphleteerError as exc:
            if not path.is_symlink():
                raise
            # A sidecar linked out of raw/: never read; the unit fails with this reason when
            # built, and is tried again when the link changes.
            h.update(str(exc).encode() + os.readlink(path).encode())
    return h.hexdigest()


@contextmanager
def exclusive(out_dir: Path) -> Iterator[None]:
    """Hold ``out_dir`` for one build. A second build of the same folder (a cron job that ran
    over, a build by hand during a scheduled one) is refused, with who holds it; the operating
    system lets go when the holder ends, even killed.

    Once held, what a build killed before left is put right (``files.recover``): old outputs a
    commit had moved aside go back, staged and temporary files go."""
    folder = out_dir / CACHE_DIR
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "lock").open("a+", encoding="utf-8") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.seek(0)
            holder = lock.read().strip() or "another process"
            raise PamphleteerError(
                f"{out_dir} is being built by {holder}: try again when it ends"
            ) from None
        lock.seek(0)
        lock.truncate()
        since = dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M:%S %Z")
        lock.write(f"pamphleteer (pid {os.getpid()}, since {since})\n")
        lock.flush()
        recover(out_dir)
        try:
            yield
        finally:
            lock.truncate(0)  # no holder named once it ends (a killed one leaves its name)


def manifest_path(out_dir: Path, key: str) -> Path:
    return out_dir / CACHE_DIR / f"{key}.json"


def load_entries(out_dir: Path) -> dict[str, Entry]:
    """Every manifest of the previous builds; an unreadable one counts as absent (rebuilt)."""
    entries: dict[str, Entry] = {}
    folder = out_dir / CACHE_DIR
    if not folder.is_dir():
        return entries
    for path in folder.glob("*.json"):
        if entry := _read_entry(path):
            entries[entry.key] = entry
    return entries


def _read_entry(path: Path) -> Entry | None:
    try:
        with path.open("rb") as f:
            data = json.loads(f.read())
            written = os.fstat(f.fileno()).st_mtime_ns
        return Entry(data["key"], data["fingerprint"], tuple(data["outputs"]), data["result"],
                     written)  # fmt: skip
    except (OSError, ValueError, KeyError, TypeError):
        return None


def plan(units: Iterable[Unit], out_dir: Path, settings: Settings, force: bool = False) -> Plan:
    """Split the units into those to build and those up to date; find the outputs to remove."""
    entries = load_entries(out_dir)
    settings_hash = settings_digest(settings)
    units = list(units)
    result = Plan(slugs=frozenset(u.slug for u in units if u.slug))
    seen: set[str] = set()
    by_folder: dict[Path, str] = {}  # with ``images``: each raw folder's images, hashed once
    for unit in units:
        seen.add(unit.key)
        unit_hash = settings_hash
        if settings.images and unit.inputs:
            folder = unit.source.parent
            if folder not in by_folder:
                by_folder[folder] = images_digest(folder)
            unit_hash += by_folder[folder]
        fp = fingerprint(unit, unit_hash)
        result.fingerprints[unit.key] = fp
        entry = entries.get(unit.key)
        if (
            not force
            and entry is not None
            and entry.fingerprint == fp
            and all((out_dir / o).is_file() for o in entry.outputs)
        ):
            result.fresh.append(entry)
        else:
            result.stale.append(unit)
    result.orphans = [e for k, e in sorted(entries.items()) if k not in seen]
    result.owners = _owners(entries.values())
    return result


def _relative(out_dir: Path, paths: Iterable[Path]) -> tuple[str, ...]:
    root = out_dir.resolve()
    return tuple(sorted(str(p.resolve().relative_to(root)) for p in paths))


def record(
    out_dir: Path, key: str, fp: str, outputs: Iterable[Path], result: Mapping[str, Any]
) -> list[str]:
    """Write a unit's manifest after it was built; remove what its previous build made and this
    one did not (a changed slug or format list). Returns the removed paths."""
    new = _relative(out_dir, outputs)
    old = load_entry(out_dir, key)
    gone = [o for o in (old.outputs if old else ()) if o not in new]
    removed = remove_outputs(out_dir, _not_claimed(out_dir, key, gone))
    data = {"key": key, "fingerprint": fp, "outputs": list(new), "result": dict(result)}
    write_atomic(manifest_path(out_dir, key), json.dumps(data, indent=1).encode() + b"\n")
    return removed


def record_failure(out_dir: Path, key: str, fp: str, failure: Mapping[str, Any]) -> None:
    """Remember that this input fails (it is not retried until it changes); the outputs of the
    last good build stay in place and stay listed, so deleting the raw file still removes them."""
    old = load_entry(out_dir, key)
    outputs = list(old.outputs) if old else []
    data = {"key": key, "fingerprint": fp, "outputs": outputs, "result": dict(failure)}
    write_atomic(manifest_path(out_dir, key), json.dumps(data, indent=1).encode() + b"\n")


def load_entry(out_dir: Path, key: str) -> Entry | None:
    return _read_entry(manifest_path(out_dir, key))


def remove_outputs(out_dir: Path, relative: Iterable[str]) -> list[str]:
    """Delete outputs (never outside ``out_dir``) and the folders they leave empty."""
    root = out_dir.resolve()
    removed = []
    for rel in relative:
        path = (root / rel).resolve()
        if not path.is_relative_to(root) or path == root:
            raise PamphleteerError(f"refusing to remove outside {out_dir}: {rel!r}")
        if path.is_file():
            path.unlink()
            removed.append(rel)
        parent = path.parent
        if parent != root and parent.is_dir() and not any(parent.iterdir()):
            parent.rmdir()
    return removed


def _owners(entries: Iterable[Entry]) -> dict[str, set[str]]:
    owners: dict[str, set[str]] = {}
    for entry in entries:
        for output in entry.outputs:
            owners.setdefault(output, set()).add(entry.key)
    return owners


def _not_claimed(
    out_dir: Path, key: str, outputs: list[str], owners: dict[str, set[str]] | None = None
) -> list[str]:
    """``outputs`` less those another unit's manifest lists: a file two records share (builds
    before slugs were checked wrote two texts into one folder) is the survivor's."""
    if not outputs:
        return outputs
    if owners is None:
        owners = _owners(load_entries(out_dir).values())
    return [o for o in outputs if not owners.get(o, set()) - {key}]


def forget(out_dir: Path, entry: Entry, plan: Plan | None = None) -> list[str]:
    """A unit whose input is gone: remove its outputs, then its manifest. Outputs another unit
    claims are left alone: those its manifest lists, and with the build's ``plan``, those in
    its units' folders (:func:`held_back`: one may be writing there already, since the command
    starts units early; :func:`sweep` removes them after the build if no unit took them)."""
    held = set(held_back(entry, plan)) if plan else set()
    mine = [o for o in entry.outputs if o not in held]
    owners = plan.owners if plan else None
    removed = remove_outputs(out_dir, _not_claimed(out_dir, entry.key, mine, owners))
    manifest_path(out_dir, entry.key).unlink(missing_ok=True)
    return removed


def held_back(entry: Entry, plan: Plan) -> list[str]:
    """The outputs of a forgotten unit that lie in a folder a unit of ``plan`` builds into."""
    return [o for o in entry.outputs if Path(o).parts[0] in plan.slugs]


def sweep(out_dir: Path, relative: Iterable[str]) -> list[str]:
    """After a build: remove those of ``relative`` (outputs :func:`held_back`) that no unit's
    manifest lists now, i.e. that the unit building in their folder did not write again."""
    held = list(relative)
    return remove_outputs(out_dir, _not_claimed(out_dir, "", held)) if held else []
