"""A small OCR test corpus made on the spot: Chinese and English words drawn with Debian's CJK font into
images and an image-only PDF, one noisy and skewed, one turned a quarter. Each file knows its words,
so a test can measure how many of them search finds (recall)."""

from __future__ import annotations

import io
import random
from dataclasses import dataclass

FONT = "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"
# 2-character Chinese words (simplified; the last four traditional) and English words of contracts and quotes
CHINESE = ["合同", "客户", "报价", "付款", "银行", "转账", "交货", "日期", "发票", "税率", "机床", "设备",
           "维修", "保修", "订单", "数量", "单价", "金额", "签字", "盖章", "公司", "地址", "电话", "项目",
           "验收", "运输", "包装", "质量", "標準", "機械", "簽署", "臺灣"]
ENGLISH = ["contract", "signed", "payment", "delivery", "invoice", "machine", "warranty", "service",
           "quantity", "price", "amount", "stamp", "company", "address", "project", "acceptance",
           "transport", "packaging", "quality", "standard"]


@dataclass(frozen=True)
class ScanFile:
    filename: str
    content: bytes
    chinese: tuple[str, ...]
    english: tuple[str, ...]


def text_image(lines: list[str], *, size: int = 44, width: int = 1500):
    """Black text on white paper, one line per entry, at about 300 dpi for 11-pt type."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(FONT, size)
    image = Image.new("L", (width, 60 + len(lines) * int(size * 1.8)), 255)
    draw = ImageDraw.Draw(image)
    for number, line in enumerate(lines):
        draw.text((60, 30 + number * int(size * 1.8)), line, font=font, fill=0)
    return image


def noisy(image, *, seed: int = 7, speckles: float = 0.02, skew: float = 3.0):
    """A poor scan: turned a few degrees and sprinkled with black and grey specks."""
    from PIL import ImageFilter

    image = image.rotate(skew, expand=True, fillcolor=255, resample=3)
    rng = random.Random(seed)
    pixels = image.load()
    for _ in range(int(image.width * image.height * speckles)):
        x, y = rng.randrange(image.width), rng.randrange(image.height)
        pixels[x, y] = rng.choice((0, 90, 160))
    return image.filter(ImageFilter.GaussianBlur(0.6))


def image_bytes(image, image_format: str) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=image_format, dpi=(300, 300))
    return buffer.getvalue()


def image_only_pdf(image, *, dpi: int = 300) -> bytes:
    """A PDF whose one page is just this picture (no text layer), sized so the picture is at `dpi`."""
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    width, height = image.width * 72 / dpi, image.height * 72 / dpi
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=(width, height))
    page.drawImage(ImageReader(image.convert("RGB")), 0, 0, width, height)
    page.showPage()
    page.save()
    return buffer.getvalue()


def _lines(chinese: list[str], english: list[str]) -> list[str]:
    return ([" ".join(chinese[i:i + 6]) for i in range(0, len(chinese), 6)]
            + [" ".join(english[i:i + 5]) for i in range(0, len(english), 5)])


def corpus() -> list[ScanFile]:
    """Two scans: a noisy, skewed PNG and an image-only PDF whose page is turned 90 degrees."""
    first_zh, second_zh = CHINESE[:16], CHINESE[16:]
    first_en, second_en = ENGLISH[:10], ENGLISH[10:]
    speckled = noisy(text_image(_lines(first_zh, first_en)))
    turned = text_image(_lines(second_zh, second_en)).rotate(90, expand=True, fillcolor=255)
    return [
        ScanFile("scan-noisy.png", image_bytes(speckled, "PNG"), tuple(first_zh), tuple(first_en)),
        ScanFile("scan-turned.pdf", image_only_pdf(turned), tuple(second_zh), tuple(second_en)),
    ]


def small_scan(text: str = "供货合同 Acme Trading", image_format: str = "PNG") -> bytes:
    """One line of text, as a small image (quick to read)."""
    return image_bytes(text_image([text], width=900), image_format)
