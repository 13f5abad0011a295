"""bench/reports.py: at a tiny scale, every reports request answers 200 within its pinned query budget."""

import json


def test_the_reports_bench_answers_every_request_within_its_query_budget(run_bench, tmp_path):
    # when the reports bench runs on a tiny world
    out = tmp_path / "reports.json"
    run_bench("reports", "--customers", "60", "--orders", "300", "--payments", "600", "--expenses", "300",
              "--rounds", "1", "--json", str(out))

    # then every request was measured, answered 200 and ran no more queries than pinned
    data = json.loads(out.read_text())
    assert data["facts"]["orders"] == 300
    assert [r["key"] for r in data["results"] if r["status"] != 200 or not r["within_budget"]] == []
