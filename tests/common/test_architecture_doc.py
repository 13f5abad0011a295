"""docs/architecture.md names real places: every repository path it mentions exists."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TOP_LEVEL = ("backend/", "storage/", "indexing/", "portal/", "demo/", "deploy/", "bench/", "tests/", "locale/", "docs/")


def _paths_named(text: str) -> set[str]:
    named = set()
    for token in re.findall(r"`([^`\s]+)`", text):
        token = token.split("→")[0].strip()
        if token.startswith(TOP_LEVEL) and "<" not in token and "*" not in token:
            named.add(token.rstrip("/"))
    return named


def test_every_path_the_architecture_page_names_exists():
    # given the map of the tree
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    named = _paths_named(text)
    assert len(named) > 20  # the page really names places

    # then each of them is in the repository
    missing = sorted(path for path in named if not (ROOT / path).exists())
    assert not missing, f"docs/architecture.md names paths that do not exist: {missing}"
