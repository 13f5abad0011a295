"""OCR: pages per second per core at 300 dpi, for Chinese and for English scans.

    .venv/bin/python -m bench.ocr                          # 3 A4 pages of each language, 40 lines a page
    .venv/bin/python -m bench.ocr --pages 5 --write        # also update BENCHMARKS.md
    .venv/bin/python -m bench.ocr --pages 1 --lines 3 --json out.json   # the test's tiny scale

Each page is an A4 image-only PDF page (text drawn with Debian's CJK font at 12 pt, 300 dpi, no text
layer), read by the PDF extractor exactly as the worker reads it (indexing.extract.registry.extract_here:
pypdf finds no text, pypdfium2 renders the page at 300 dpi, the OCR step levels it and runs tesseract
with SEARCH_OCR_LANGUAGES' default, chi_sim+chi_tra+eng, one thread). It runs in this process rather
than in the sandbox child so that the CPU time of the rendering (this process) and of tesseract (its
children) can be counted: "pages per CPU-second" is pages per second per core, and holds on a busy
machine; the wall-clock rate of one process is reported beside it with the load average.
Word recall (the share of the page's words found in the text) says the pages were really read.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import time

from bench.report import markdown_table, write_section

LANGUAGES = "chi_sim+chi_tra+eng"
DPI = 300
A4 = (2480, 3508)  # pixels at 300 dpi
FONT = "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"
CHINESE = ("供方 需方 合同 货物 数量 单价 金额 交货 地点 日期 付款 方式 银行 转账 验收 标准 质量 保修 期限 违约 责任 "
           "争议 解决 签字 盖章 发票 税率 运输 包装 保险").split()
ENGLISH = ("supplier buyer contract goods quantity price amount delivery place date payment method bank transfer "
           "acceptance standard quality warranty period breach liability dispute resolution signature stamp "
           "invoice rate transport packaging insurance").split()


def page_lines(words: list[str], lines: int, per_line: int, seed: int) -> list[str]:
    import random

    rng = random.Random(seed)
    return [" ".join(rng.choice(words) for _ in range(per_line)) for _ in range(lines)]


def scanned_pdf(language: str, pages: int, lines: int) -> tuple[bytes, set[str]]:
    """An image-only PDF of A4 pages of text; returns it and the words drawn."""
    from PIL import Image, ImageDraw, ImageFont
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    font = ImageFont.truetype(FONT, 50)  # 12 pt at 300 dpi
    words = CHINESE if language == "zh" else ENGLISH
    per_line = 10 if language == "zh" else 7
    drawn: set[str] = set()
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=(595.27, 841.89))
    for number in range(pages):
        image = Image.new("L", A4, 255)
        draw = ImageDraw.Draw(image)
        for index, line in enumerate(page_lines(words, lines, per_line, seed=number)):
            draw.text((240, 240 + index * 75), line, font=font, fill=0)
            drawn.update(line.split())
        pdf.drawImage(ImageReader(image.convert("RGB")), 0, 0, 595.27, 841.89)
        pdf.showPage()
    pdf.save()
    return buffer.getvalue(), drawn


def _cpu() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def measure(language: str, pages: int, lines: int) -> dict:
    from indexing import analysis
    from indexing.extract.base import Budget
    from indexing.extract.registry import extract_here

    data, words = scanned_pdf(language, pages, lines)
    budget = Budget(ocr_languages=LANGUAGES, ocr_dpi=DPI, timeout_seconds=3600, max_memory_mb=4096)
    cpu, wall = _cpu(), time.monotonic()
    result = extract_here(data, "application/pdf", budget)
    cpu, wall = _cpu() - cpu, time.monotonic() - wall
    tokens = set(analysis.tokens(result.text))
    found = sum(1 for word in words if set(analysis.tokens(word)) <= tokens)
    return {
        "language": language, "pages": pages, "lines_per_page": lines, "ocr_pages": result.ocr_pages,
        "cpu_seconds": round(cpu, 2), "wall_seconds": round(wall, 2),
        "pages_per_cpu_second": round(result.ocr_pages / cpu, 3) if cpu else None,
        "pages_per_second_wall": round(result.ocr_pages / wall, 3) if wall else None,
        "confidence": result.ocr_confidence, "word_recall": round(found / len(words), 3) if words else None,
        "extractor": result.extractor,
    }


def report(results: list[dict], load: float) -> str:
    rows = [(row["language"], row["pages"], row["lines_per_page"], row["pages_per_cpu_second"],
             row["pages_per_second_wall"], f"{row['cpu_seconds'] / max(row['ocr_pages'], 1):.1f}",
             row["confidence"], f"{row['word_recall']:.0%}") for row in results]
    table = markdown_table(["language", "pages", "lines/page", "pages per CPU-second (per core)",
                            "pages/s (one process, wall)", "CPU s/page", "mean confidence", "word recall"], rows)
    rates = {row["language"]: row["pages_per_cpu_second"] or 0 for row in results}
    shows = ""
    if rates.get("zh") and rates.get("en"):
        shows = (f"\nWhat it shows: one core reads about {rates['zh'] * 60:.0f} Chinese or {rates['en'] * 60:.0f} "
                 f"English full pages a minute. OCR runs inside the file's extraction budget "
                 f"(SEARCH_EXTRACT_TIMEOUT_SECONDS, 60 s by default), so a scan of more than about "
                 f"{rates['zh'] * 55:.0f} Chinese pages is indexed as far as the budget went (its index state "
                 f"says how many pages of how many); raise the budget for long scans.\n")
    return (f"## OCR (scanned A4 pages at {DPI} dpi)\n\n"
            f"`python -m bench.ocr`: image-only A4 PDF pages (12 pt text), read by the PDF extractor with "
            f"tesseract `{LANGUAGES}`, one thread. Load average while measuring: {load:.1f}.\n\n{table}\n{shows}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=3, help="pages per language")
    parser.add_argument("--lines", type=int, default=40, help="lines of text per page")
    parser.add_argument("--json", help="write the results here")
    parser.add_argument("--write", action="store_true", help="update the OCR section of BENCHMARKS.md")
    parser.add_argument("--from-json", help="only rewrite the BENCHMARKS.md section from a saved --json run")
    options = parser.parse_args(argv)
    if options.from_json:
        with open(options.from_json) as saved:
            data = json.load(saved)
        write_section("ocr", report(data["results"], data["load"]))
        return 0
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    results = [measure(language, options.pages, options.lines) for language in ("zh", "en")]
    load = os.getloadavg()[0]
    for row in results:
        print(f"{row['language']}: {row['ocr_pages']} pages, {row['pages_per_cpu_second']} pages per CPU-second, "
              f"{row['pages_per_second_wall']} pages/s wall, confidence {row['confidence']}, "
              f"recall {row['word_recall']}")
    if options.json:
        with open(options.json, "w") as out:
            json.dump({"results": results, "load": load}, out, indent=2)
    if options.write:
        write_section("ocr", report(results, load))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
