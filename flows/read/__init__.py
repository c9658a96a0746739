"""Reading raw/: bytes to text, sidecars, editions.yaml."""
