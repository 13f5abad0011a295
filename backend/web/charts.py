"""Charts as inline SVG, drawn on the server: no JavaScript library, crisp at any size, prints well.

Every label is escaped; the numbers are formatted by the caller (so they follow the page's language).
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from django.utils.safestring import SafeString, mark_safe

PALETTE = ("#1f4fd1", "#3b82f6", "#60a5fa", "#93c5fd", "#17794a", "#b42318", "#9a5b00", "#6b7280")


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    text: str  # the formatted value shown at the bar's end
    color: str = PALETTE[0]


def _label_width(bars) -> int:
    longest = max((sum(2 if ord(ch) > 0x2E80 else 1 for ch in bar.label) for bar in bars), default=4)
    return min(220, max(80, longest * 7 + 12))


def horizontal_bars(bars: list[Bar], *, title: str, width: int = 640, row: int = 30) -> SafeString:
    """One bar per row, longest = full width. Empty input draws a one-line "no data" chart."""
    if not bars:
        return mark_safe("")
    label_w = _label_width(bars)
    plot_w = width - label_w - 90
    peak = max((bar.value for bar in bars), default=0) or 1
    height = row * len(bars) + 10
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}">'
             f"<title>{escape(title)}</title>"]
    for index, bar in enumerate(bars):
        y = 5 + index * row
        length = max(2.0, plot_w * (bar.value / peak)) if bar.value > 0 else 0
        parts.append(f'<text x="{label_w - 8}" y="{y + row / 2 + 4:.1f}" text-anchor="end">{escape(bar.label)}</text>')
        parts.append(f'<rect x="{label_w}" y="{y + 5}" width="{length:.1f}" height="{row - 10}" rx="3" '
                     f'fill="{bar.color}"><title>{escape(bar.label)}: {escape(bar.text)}</title></rect>')
        parts.append(f'<text class="value" x="{label_w + length + 6:.1f}" y="{y + row / 2 + 4:.1f}">'
                     f"{escape(bar.text)}</text>")
    parts.append("</svg>")
    return mark_safe("".join(parts))


def funnel(bars: list[Bar], *, title: str, width: int = 640, row: int = 40) -> SafeString:
    """Centred bars narrowing with the values: the sales funnel."""
    if not bars:
        return mark_safe("")
    peak = max((bar.value for bar in bars), default=0) or 1
    height = row * len(bars) + 10
    centre = width / 2
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}">'
             f"<title>{escape(title)}</title>"]
    for index, bar in enumerate(bars):
        y = 5 + index * row
        span = max(24.0, (width - 40) * (bar.value / peak)) if bar.value > 0 else 24.0
        color = PALETTE[min(index, 3)] if bar.color == PALETTE[0] else bar.color
        parts.append(f'<rect x="{centre - span / 2:.1f}" y="{y + 3}" width="{span:.1f}" height="{row - 6}" rx="4" '
                     f'fill="{color}" opacity="{1 if bar.value else 0.25}"><title>{escape(bar.label)}: '
                     f"{escape(bar.text)}</title></rect>")
        fill = "#fff" if span > 260 and index < 3 else "#1c2433"
        parts.append(f'<text x="{centre:.1f}" y="{y + row / 2 + 4:.1f}" text-anchor="middle" style="fill:{fill}">'
                     f"{escape(bar.label)} · {escape(bar.text)}</text>")
    parts.append("</svg>")
    return mark_safe("".join(parts))


def stacked_bars(rows: list[tuple[str, list[tuple[float, str, str]]]], *, legend: list[tuple[str, str]],
                 title: str, width: int = 640, row: int = 30) -> SafeString:
    """Rows of stacked segments: (label, [(value, color, text), ...]); a legend of (color, name) on top."""
    if not rows:
        return mark_safe("")
    label_w = min(220, max(80, max(sum(2 if ord(ch) > 0x2E80 else 1 for ch in label) for label, _ in rows) * 7 + 12))
    plot_w = width - label_w - 20
    peak = max(sum(value for value, _, _ in segments) for _, segments in rows) or 1
    height = 30 + row * len(rows)
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}">'
             f"<title>{escape(title)}</title>"]
    x = label_w
    for color, name in legend:
        parts.append(f'<rect x="{x}" y="6" width="12" height="12" rx="2" fill="{color}"/>'
                     f'<text x="{x + 17}" y="16">{escape(name)}</text>')
        x += 30 + 8 * len(name) + (6 * sum(1 for ch in name if ord(ch) > 0x2E80))
    for index, (label, segments) in enumerate(rows):
        y = 28 + index * row
        parts.append(f'<text x="{label_w - 8}" y="{y + row / 2 + 4:.1f}" text-anchor="end">{escape(label)}</text>')
        offset = float(label_w)
        for value, color, text in segments:
            if value <= 0:
                continue
            length = plot_w * value / peak
            parts.append(f'<rect x="{offset:.1f}" y="{y + 5}" width="{length:.1f}" height="{row - 10}" '
                         f'fill="{color}"><title>{escape(label)}: {escape(text)}</title></rect>')
            offset += length
    parts.append("</svg>")
    return mark_safe("".join(parts))
