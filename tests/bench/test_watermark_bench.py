"""bench/watermark.py: marked pages of a cached PDF, timed, at a tiny scale."""

import json


def test_a_tiny_watermark_bench_times_marked_pages_and_leaves_a_mark_per_page(run_bench, tmp_path):
    # when the bench shows 6 marked pages of a 2-page PDF
    out = tmp_path / "watermark.json"
    run_bench("watermark", "--pages", "2", "--requests", "6", "--json", str(out))
    # then each request left its mark (plus the warm-up's and the drawing's own), and every figure is there
    result = json.loads(out.read_text())
    assert result["marks"] == 6 + 1 + 1
    assert set(result["timings"]) == {"marked page request", "unmarked cached page", "drawing the mark alone"}
    assert all(f["n"] == 6 and f["p95"] > 0 for f in result["timings"].values())
    assert result["width"] > 0 and result["target_ms"] == 150
