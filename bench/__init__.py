"""qbsync's benchmarks and fault campaigns (``python -m bench``; see bench/README.md)."""
