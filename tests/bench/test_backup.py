"""bench/backup.py: a small stack backed up twice (the second copies nothing) and restored onto an empty one."""

import json


def test_a_small_backup_bench_backs_up_restores_and_finds_the_restored_stack_clean(run_bench, tmp_path):
    # when the bench backs up 30 documents of 3 KB to a bucket and restores them onto an empty stack
    out = tmp_path / "backup.json"
    run_bench("backup", "--docs", "30", "--size", "3000", "--to", "s3", "--json", str(out))

    # then every object was copied once, the incremental run copied none, and the restored stack is clean
    result = json.loads(out.read_text())
    assert result["ok"] is True
    assert (result["backup"]["objects"], result["backup"]["copied"]) == (30, 30)
    assert (result["incremental"]["copied"], result["incremental"]["reused"]) == (0, 30)
    assert "30 objects (30 copied" in result["restore"]["output"]
    assert result["backup"]["docs_per_s"] > 0 and result["restore"]["mib_per_s"] > 0
