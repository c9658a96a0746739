"""What the worker processes' fork server loads once, before it forks them (``workers.PRELOAD``):
the build's modules, and what a worker's first document would otherwise load for itself: the
language detector's model (decompressing it costs ~0.6 s of CPU, in each worker).
"""

from flows.build import pipeline, units  # noqa: F401 (imported to be inherited by fork)
from flows.read.language import identifier

identifier()
