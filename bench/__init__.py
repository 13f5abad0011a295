"""Benchmarks for Dossier. Each module is a runnable script (`python -m bench.transfer`, ...);
results and how to reproduce them live in BENCHMARKS.md at the repository root."""
