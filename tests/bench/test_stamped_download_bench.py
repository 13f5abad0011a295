"""bench/stamped_download.py: downloads a small PDF stamped and unstamped and reports both."""

import json


def test_a_small_stamped_download_bench_reports_both_kinds(run_bench, tmp_path):
    # when the bench downloads a 3-page PDF twice each way
    out = tmp_path / "stamped.json"
    run_bench("stamped_download", "--pages", "3", "--runs", "2", "--json", str(out))

    # then both kinds are timed, and the stamped copy is a different, larger file than the original
    result = json.loads(out.read_text())
    stamped, plain = result["kinds"]["stamped"], result["kinds"]["unstamped"]
    assert plain["bytes"] == result["source_bytes"] and stamped["bytes"] > result["source_bytes"]
    assert all(k["first_byte_p95_ms"] > 0 and k["whole_p50_ms"] >= k["first_byte_p50_ms"] for k in (stamped, plain))
    # and the stamping child's CPU time is counted with the download's
    assert stamped["cpu_p50_ms"] > plain["cpu_p50_ms"]
