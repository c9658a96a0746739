"""The `pamphleteer` command."""
