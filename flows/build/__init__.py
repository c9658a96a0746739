"""The build without orchestration: plan, cache, units, worker processes, one document's
pipeline."""
