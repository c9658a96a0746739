"""Prefect: the only subpackage that imports it (flows, tasks, the scheduled deployment)."""
