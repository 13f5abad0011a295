"""Statistics and output: percentiles, markdown tables, and the sections of BENCHMARKS.md (each
script's own, and the Machine section refreshed with it)."""

from __future__ import annotations

import re
import statistics
from collections.abc import Iterable, Sequence
from pathlib import Path

from bench.common import REPO, MiB
from bench.machine import machine_facts

BENCHMARKS_MD = REPO / "BENCHMARKS.md"


def percentile(values: Sequence[float], pct: float) -> float:
    """Linear-interpolated percentile (the same definition as numpy's default)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = (len(ordered) - 1) * pct / 100.0
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def median(values: Iterable[float]) -> float:
    return statistics.median(list(values))


def markdown_table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    rows = [[str(cell) for cell in row] for row in rows]
    widths = [max(len(str(h)), *(len(r[i]) for r in rows)) if rows else len(str(h)) for i, h in enumerate(headers)]
    line = lambda cells: "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths)) + " |"  # noqa: E731
    out = [line([str(h) for h in headers]), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    out += [line(r) for r in rows]
    return "\n".join(out)


def machine_section() -> str:
    facts = machine_facts()
    rows = [(k, v) for k, v in facts.items()]
    return "## Machine\n\n" + markdown_table(["", "value"], rows) + (
        "\n\nClient, gunicorn, PostgreSQL and `weed mini` all share these cores; every connection is "
        "over 127.0.0.1.\n"
    )


_HEADER = """# Benchmarks

Measured numbers only; each section says how to reproduce it and was written by its script
(`python -m bench.<name> --write`). Methodology notes live in `bench/README.md`.
"""


def write_section(name: str, body: str) -> Path:
    """Replace (or append) the section `name` of BENCHMARKS.md, and refresh the Machine section."""
    text = BENCHMARKS_MD.read_text() if BENCHMARKS_MD.exists() else _HEADER
    text = _replace_block(text, "machine", machine_section())
    text = _replace_block(text, name, body.rstrip() + "\n")
    BENCHMARKS_MD.write_text(text.rstrip() + "\n")
    return BENCHMARKS_MD


def _replace_block(text: str, name: str, body: str) -> str:
    start, end = f"<!-- bench:{name}:start -->", f"<!-- bench:{name}:end -->"
    block = f"{start}\n{body.rstrip()}\n{end}"
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.DOTALL)
    if pattern.search(text):
        return pattern.sub(lambda _m: block, text)
    return text.rstrip() + "\n\n" + block + "\n"


def fmt_ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


def fmt_mib(nbytes: float) -> str:
    return f"{nbytes / MiB:.1f}"
