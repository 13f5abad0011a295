"""The time to draw a quote's PDF (backend/crm/quote_pdf_render.py) of 50 lines, in Chinese and in English.

What is timed is `render_quote_pdf` on a quote already worded (`QuotePdfContent`): the reportlab layout,
the embedded CJK font's subsetting and the PDF's bytes; that is where a quote's PDF spends its time (the
service around it reads one quote with its lines and stores one file). The first drawing of a process is
reported apart (it registers the font). The target: p95 ≤ 500 ms for 50 lines.

    python -m bench.quote_pdf [--lines 50] [--runs 30] [--json OUT] [--write]

`--write` replaces the "quote-pdf" section of BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

from bench.report import fmt_ms, markdown_table, percentile

TARGET_SECONDS = 0.5


def content(lines: int, language: str):
    from backend.crm.quote_pdf_render import QuotePdfContent, QuotePdfLine

    zh = language == "zh-hans"
    names = ["数控车床 QH-CNC-200", "立式加工中心", "主轴 10 kW", "刀具套装（24 件）", "安装与培训服务"]
    names_en = ["CNC lathe QH-CNC-200", "Vertical machining centre", "Spindle 10 kW", "Tool kit (24 pieces)",
                "Installation and training"]
    rows = [QuotePdfLine(code=f"QH-{i:04d}", name=(names if zh else names_en)[i % 5],
                         description=("含运输与保险" if zh else "Freight and insurance included") if i % 7 == 0 else "",
                         quantity=str(1 + i % 9), unit_price=f"¥{120000 + i * 350:,.2f}", discount=f"{i % 6}%",
                         line_total=f"¥{(1 + i % 9) * (120000 + i * 350):,.2f}") for i in range(lines)]
    return QuotePdfContent(
        number="Q-2026-0042", title="报价单" if zh else "Quotation",
        company_name="华东精密贸易有限公司" if zh else "East China Precision Trading Co., Ltd.",
        company_details="上海市浦东新区张江路 88 号 · 电话 021-5555 0000",
        facts=[("客户" if zh else "Customer", "上海华东精密机械有限公司"), ("有效期至" if zh else "Valid until", "2027-01-31")],
        headings=("产品", "数量", "单价", "折扣", "小计") if zh else
        ("Product", "Quantity", "Unit price", "Discount", "Line total"),
        lines=rows, totals=[("合计" if zh else "Total", "¥9,999,999.00")], terms_heading="条款" if zh else "Terms",
        terms=["付款方式：下单时支付 30%，发货前支付 70%。", "交货期在下单时确认。"],
        footer="报价单 %(number)s · 第 %(page)s 页" if zh else "Quote %(number)s · page %(page)s")


def measure(lines: int, runs: int) -> dict:
    from backend.crm.quote_pdf_render import render_quote_pdf

    result: dict = {"lines": lines, "runs": runs, "target_ms": TARGET_SECONDS * 1000, "languages": {}}
    load_before = os.getloadavg()[0]
    start = time.perf_counter()
    first = render_quote_pdf(content(lines, "zh-hans"))
    result["first_ms"] = (time.perf_counter() - start) * 1000
    for language in ("zh-hans", "en"):
        page = content(lines, language)
        times = []
        cpu = time.process_time()
        for _ in range(runs):
            start = time.perf_counter()
            data = render_quote_pdf(page)
            times.append(time.perf_counter() - start)
        result["languages"][language] = {
            "p50_ms": percentile(times, 50) * 1000, "p95_ms": percentile(times, 95) * 1000,
            "cpu_ms_per_pdf": (time.process_time() - cpu) * 1000 / runs, "bytes": len(data),
        }
    result["load_1min"] = [load_before, os.getloadavg()[0]]
    result["cores"] = os.cpu_count()
    result["first_bytes"] = len(first)
    result["ok"] = all(v["p95_ms"] <= TARGET_SECONDS * 1000 for v in result["languages"].values())
    return result


def section(result: dict) -> str:
    rows = [(lang, fmt_ms(v["p50_ms"] / 1000), fmt_ms(v["p95_ms"] / 1000), fmt_ms(v["cpu_ms_per_pdf"] / 1000),
             f"{v['bytes'] / 1024:.0f} KiB") for lang, v in result["languages"].items()]
    return (f"## Quote PDF\n\n`python -m bench.quote_pdf --lines {result['lines']} --runs {result['runs']}`: "
            f"drawing a quote of {result['lines']} lines (target p95 ≤ {result['target_ms']:.0f} ms); the first "
            f"drawing of a process (font registration) took {result['first_ms']:.0f} ms. Load average "
            f"{result['load_1min'][0]:.2f} → {result['load_1min'][1]:.2f} on {result['cores']} cores.\n\n"
            + markdown_table(["language", "p50 ms", "p95 ms", "CPU ms / PDF", "size"], rows) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=50)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--json")
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args(argv)
    result = measure(args.lines, args.runs)
    print(section(result))
    if args.json:
        with open(args.json, "w") as out:
            json.dump(result, out, indent=2)
    if args.write:
        from bench.report import write_section

        write_section("quote-pdf", section(result))
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
