"""bench/beat.py: at a tiny scale, the beat pass notifies each due reminder once and nobody on its second run."""

import json


def test_the_beat_bench_notifies_each_due_reminder_once(run_bench, tmp_path):
    out = tmp_path / "beat.json"
    run_bench("beat", "--reminders", "3000", "--due", "150", "--service-records", "300", "--json", str(out))
    data = json.loads(out.read_text())
    result = data["result"]
    assert result["ok"] and result["duplicates"] == 0
    assert result["first"]["reminders_told"] == 150 and result["second"]["reminders_told"] == 0
