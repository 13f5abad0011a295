"""bench/pages.py: every staff page answers, at both scales, within its pinned query budget."""

import json

from bench.pages import PAGES


def test_every_staff_page_answers_200_within_its_pinned_query_budget_in_both_worlds(run_bench, tmp_path):
    # given the demo world and the large world at a tiny scale
    out = tmp_path / "pages.json"

    # when the page benchmark times every page once
    run_bench("pages", "--scale", "both", "--docs", "400", "--customers", "40", "--users", "60",
              "--rounds", "1", "--json", str(out))

    # then every page of each world was measured, answered 200, and ran no more queries than pinned
    data = json.loads(out.read_text())
    assert [world["scale"] for world in data["worlds"]] == ["demo", "large"]
    for scale in ("demo", "large"):
        measured = {row["key"]: row for row in data["results"] if row["scale"] == scale}
        assert set(measured) == {page.key for page in PAGES if scale in page.scales}
        refused = {key: row["status"] for key, row in measured.items() if row["status"] != 200}
        assert refused == {}, f"{scale}: pages that did not answer 200: {refused}"
        over = {key: (row["queries"], row["budget"]) for key, row in measured.items() if not row["within_budget"]}
        assert over == {}, f"{scale}: pages over their pinned query budget (queries, budget): {over}"
    large = data["worlds"][1]["facts"]
    assert (large["documents"], large["customers"], large["indexed"]) == (400, 40, 400)
