"""The README's Journeys section shows issue 14's browser journeys: every screenshot it shows exists in
docs/screenshots/, and every browser test it names exists and takes at least one of them."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _journeys() -> str:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    start = readme.index("\n## Journeys\n")
    end = readme.index("\n## ", start + 1)
    return readme[start:end]


def test_every_screenshot_the_journeys_show_exists():
    images = re.findall(r"!\[[^\]]*\]\((docs/screenshots/[^)]+\.png)\)", _journeys())

    assert len(images) >= 20
    assert [image for image in images if not (REPO / image).is_file()] == []


def test_every_journey_names_a_browser_test_that_takes_its_screenshots():
    section = _journeys()
    tests = re.findall(r"`(tests/browser/test_\w+\.py)`", section)

    assert len(tests) >= 6
    for test in tests:
        source = (REPO / test).read_text(encoding="utf-8")
        assert "shots(" in source, test
    # each issue 14 journey is there
    for journey in ("drops 20 files", "Fixes a title", "links the file to a quote", "download access",
                    "approves under four eyes", "phone-width walk", "who downloaded document X"):
        assert journey in section, journey
