"""What the worker processes' fork server loads once, before it forks them (``workers.PRELOAD``):
the build's modules, and what a worker's first document would otherwise load for itself: the
language detector's model (costly to decompress, and shared by the workers once loaded here).
"""

from flows.build import pipeline, units  # noqa: F401 (imported to be inherited by fork)
from flows.read.language import identifier

identifier()
