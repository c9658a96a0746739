"""Fetching the pages sidecars name (pure HTTP; the retries live in the Prefect flow)."""
