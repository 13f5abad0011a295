"""bench/quote_pdf.py: draws quotes of the size asked for in both languages and reports the figures."""

import json

from pypdf import PdfReader


def test_a_small_quote_pdf_bench_reports_both_languages(run_bench, tmp_path):
    # when the bench draws quotes of 5 lines, 3 times per language
    out = tmp_path / "quote_pdf.json"
    run_bench("quote_pdf", "--lines", "5", "--runs", "3", "--json", str(out))

    # then both languages are timed and within the target
    result = json.loads(out.read_text())
    assert set(result["languages"]) == {"zh-hans", "en"} and result["ok"] is True
    assert all(v["p95_ms"] > 0 and v["bytes"] > 1000 for v in result["languages"].values())


def test_the_bench_quote_is_a_pdf_of_its_lines():
    import io

    from backend.crm.quote_pdf_render import render_quote_pdf
    from bench.quote_pdf import content

    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(render_quote_pdf(content(50, "zh-hans")))).pages)
    assert "QH-0049" in text and "数控车床" in text
