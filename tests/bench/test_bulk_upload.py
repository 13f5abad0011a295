"""bench/bulk_upload.py: files sent as the new-document page sends them each become a linked document,
and the files it sends are distinct PDFs of the size asked for."""

import json

import magic

from bench.bulk_upload import pdf_bytes


def test_the_bench_files_are_distinct_pdfs_of_exactly_the_size_asked_for():
    # given two files of the bench
    first, second = pdf_bytes(1, 100_000), pdf_bytes(2, 100_000)

    # then each is 100,000 bytes, sniffed as a PDF, and they differ (no duplicate refusals)
    assert (len(first), len(second)) == (100_000, 100_000)
    assert magic.from_buffer(first, mime=True) == "application/pdf"
    assert first != second


def test_a_small_bulk_upload_creates_every_document_and_reports_rss_growth(run_bench, tmp_path):
    # given a gunicorn server and a signed-in rep
    out = tmp_path / "bulk.json"

    # when 12 files of 20 KB go through the new-document upload endpoint, 3 at a time
    run_bench("bulk_upload", "--files", "12", "--size", "20000", "--warmup", "3", "--json", str(out))

    # then each answered 201 and became a document linked to the customer, and the figures are reported
    result = json.loads(out.read_text())
    assert result["ok"] is True
    assert result["statuses"] == {"201": 12}
    assert (result["created"], result["linked"]) == (15, 15)
    assert result["files_per_second"] > 0
    assert 0 < result["rss_baseline_mib"] <= result["rss_peak_mib"]
    assert result["rss_growth_mib"] <= 64
