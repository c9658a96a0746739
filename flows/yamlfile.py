"""The one way the project reads YAML: sidecars, ``editions.yaml``, ``pamphleteer.yaml``.

PyYAML's safe loader builds only plain data, but it still expands aliases: a few hundred bytes of
nested aliases (a "billion laughs") become gigabytes of Python objects. :func:`load_yaml` reads at
most ``raw_file_mb`` of the file and counts aliases while the nodes are composed, before any
Python object exists: each alias counts once, plus the aliases inside the node it repeats, so a
nest of aliases is counted as it would expand. Past ``yaml_aliases`` the file is refused.

Light on purpose: the command reads these files while it plans a build.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from flows.files import read_bounded, read_inside
from flows.limits import Limits
from flows.model import PamphleteerError


class _TooManyAliases(Exception):
    def __init__(self, mark: Any) -> None:
        super().__init__()
        self.mark = mark


class _Loader(yaml.SafeLoader):
    """A safe loader that counts aliases, expanded, as it composes the document."""

    def __init__(self, stream: str, most: int) -> None:
        super().__init__(stream)
        self.most = most
        self.aliases = 0
        self.inside: dict[str, int] = {}  # anchor -> aliases its node holds, expanded

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            self.aliases += 1 + self.inside.get(event.anchor or "", 0)
            if self.aliases > self.most:
                raise _TooManyAliases(event.start_mark)
            return super().compose_node(parent, index)
        before = self.aliases
        node = super().compose_node(parent, index)
        anchor = getattr(event, "anchor", None)
        if anchor:
            self.inside[anchor] = self.aliases - before
        return node


def _where(mark: Any) -> str:
    return f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""


def load_yaml(
    path: Path, limits: Limits | None = None, what: str = "YAML file", inside: bool = False
) -> Any:
    """The data of the YAML file ``path``, as plain Python data; a one-line
    :class:`PamphleteerError` naming the file for one too big, not UTF-8, not YAML, or an
    alias bomb. ``inside``: a file of raw/, read only if it is a regular file there
    (:func:`flows.files.read_inside`)."""
    limits = limits or Limits()
    read = read_inside if inside else read_bounded
    raw = read(path, limits.raw_file_bytes, limits.raw_file_mb)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise PamphleteerError(f"{path.name}: a {what} must be UTF-8 text") from None
    loader = _Loader(text, limits.yaml_aliases)
    try:
        return loader.get_single_data()
    except _TooManyAliases as exc:
        raise PamphleteerError(
            f"{path.name}: refused: more than {limits.yaml_aliases} YAML aliases, counted as "
            f"they expand{_where(exc.mark)} (an alias bomb? limits: yaml_aliases)"
        ) from None
    except yaml.YAMLError as exc:
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        where = _where(getattr(exc, "problem_mark", None))
        raise PamphleteerError(f"{path.name}: not valid YAML{where}: {problem}") from None
    finally:
        loader.dispose()
