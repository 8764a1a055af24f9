"""The benchmark of a rendered service against a bare FastAPI baseline (see docs/performance.md)."""
