"""The search benchmark (`python -m bench.search`): what it measures and its options are in run.py's
docstring (`python -m bench.search --help`)."""
