"""The project folder: the settings and anthologies beside ``raw/`` (or given by name).

``pamphleteer.yaml`` and ``editions.yaml`` live in the folder that holds ``raw/`` unless the
command names other files. Light: the command reads these while it plans a build, and ``serve``
reads them again for each scheduled run.
"""

from __future__ import annotations

from pathlib import Path

from flows.limits import Limits
from flows.model import PamphleteerError
from flows.read.editions import Edition, load_editions
from flows.settings import (
    Press,
    Settings,
    load_base_url,
    load_images,
    load_limits,
    load_press,
    parse_formats,
)


def project_file(given: str | None, raw_dir: Path, default: str) -> Path | None:
    """A project file given on the command line (it must exist), else the one beside raw/."""
    if given:
        if not Path(given).is_file():
            raise PamphleteerError(f"{given}: no such file")
        return Path(given)
    beside = raw_dir.resolve().parent / default
    return beside if beside.is_file() else None


def project_settings(
    raw: str, formats: str, templates: str | None, settings: str | None, check: bool,
    keep_comments: bool = False, images: bool = False,
) -> Settings:  # fmt: skip
    """The build settings: formats, press settings (pamphleteer.yaml), templates, validators,
    what the cleaner keeps."""
    settings_file = project_file(settings, Path(raw), "pamphleteer.yaml")
    press = load_press(settings_file) if settings_file else Press()
    limits = load_limits(settings_file) if settings_file else Limits()
    images = images or (load_images(settings_file) if settings_file else False)
    base_url = load_base_url(settings_file) if settings_file else ""
    result = Settings(formats=parse_formats(formats), press=press, check=check,
                      keep_comments=keep_comments, images=images, limits=limits,
                      base_url=base_url)  # fmt: skip
    return result.with_overrides(Path(templates) if templates else None)


def project_editions(raw: str, editions: str | None, limits: Limits | None = None) -> list[Edition]:
    """The anthologies of editions.yaml (given, or beside raw/); one that cannot be built
    comes back broken, to fail alone."""
    editions_file = project_file(editions, Path(raw), "editions.yaml")
    return load_editions(editions_file, Path(raw), limits) if editions_file else []
