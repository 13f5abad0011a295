"""bench/beat.py: at a tiny scale, the beat pass notifies each due reminder once and nobody on its second run,
and the service-level backlog is caught up in bounded passes, each escalation told and audited once."""

import json


def test_the_beat_bench_notifies_each_due_reminder_once(run_bench, tmp_path):
    out = tmp_path / "beat.json"
    run_bench("beat", "--reminders", "3000", "--due", "150", "--service-records", "300", "--per-pass", "50",
              "--json", str(out))
    data = json.loads(out.read_text())
    result = data["result"]
    assert result["ok"] and result["duplicates"] == 0
    assert result["first"]["reminders_told"] == 150 and result["second"]["reminders_told"] == 0
    # the first pass stopped at its limit and the continuations caught up, nothing told or audited twice
    catch_up = result["catch_up"]
    assert result["first"]["service_levels_told"] == 50 and result["first"]["more"]
    assert catch_up["passes"] > 2 and catch_up["told"] > 50
    assert result["audited_twice"] == 0 and result["escalations_audited"] == catch_up["told"]
    assert result["escalation_notices"] == 2 * catch_up["told"]
    assert not result["second"]["service_levels_told"]
