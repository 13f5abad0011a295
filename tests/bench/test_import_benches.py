"""bench/import_records.py and bench/import_documents.py at a tiny scale: they import what they made and
report the figures (the same file twice changes nothing is the service tests' business)."""

import json


def test_the_records_bench_imports_a_small_dirty_file(run_bench, tmp_path):
    # when the bench imports 300 rows against 40 customers
    out = tmp_path / "records.json"
    run_bench("import_records", "--rows", "300", "--existing", "40", "--json", str(out),
              "--database", "dossier_bench_import_records_test")

    # then it found the file's duplicates and the database's, and created the rest
    result = json.loads(out.read_text())
    assert result["issues"]["duplicate_in_file"] == 14 and result["issues"]["duplicate_in_database"] == 15
    assert result["outcomes"]["created"] == 300 - 14 - 15
    assert result["customers_after"] == 40 + 300 - 14 - 15
    assert result["analyse_rows_per_s"] > 0 and result["commit_rows_per_s"] > 0


def test_the_documents_bench_imports_a_small_folder(run_bench, tmp_path):
    # when the bench imports 20 files from a folder
    out = tmp_path / "documents.json"
    run_bench("import_documents", "--files", "20", "--size", "5000", "--folder", "--json", str(out),
              "--database", "dossier_bench_import_documents_test")

    # then every file is a document but the one repeating another's content
    result = json.loads(out.read_text())
    assert result["outcomes"] == {"created": 19, "duplicate": 1}
    assert result["files_per_s"] > 0 and result["rss_peak"] > 0
