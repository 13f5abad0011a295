"""bench/ocr.py: scanned pages of each language are read by OCR and the rate per core is reported."""

import json


def test_the_ocr_bench_reads_chinese_and_english_pages_and_reports_pages_per_core(run_bench, tmp_path):
    # given the bench at its tiny scale: one A4 page a language, three lines of text
    out = tmp_path / "ocr.json"

    # when it runs
    run_bench("ocr", "--pages", "1", "--lines", "3", "--json", str(out))

    # then each language's page was read by OCR, its words found, and a rate per CPU-second reported
    results = {row["language"]: row for row in json.loads(out.read_text())["results"]}
    assert set(results) == {"zh", "en"}
    for row in results.values():
        assert row["extractor"] == "ocr" and row["ocr_pages"] == 1
        assert row["pages_per_cpu_second"] > 0 and row["word_recall"] >= 0.9
