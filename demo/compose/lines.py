"""The lines of a quote, contract or bid, the terms a quote and a contract share, and the table the lines
make in a document."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from demo.compose.formats import CENT, money
from demo.files.body import Table
from demo.world import Company, Product


@dataclass(frozen=True)
class Line:
    """One line of a quote, contract or bid."""

    item: Product
    quantity: int
    unit_price: Decimal
    discount: Decimal = Decimal("0")  # a fraction: 0.05 is 5 %

    @property
    def net_unit(self) -> Decimal:
        return (self.unit_price * (1 - self.discount)).quantize(CENT, ROUND_HALF_UP)

    @property
    def total(self) -> Decimal:
        return self.net_unit * self.quantity


@dataclass(frozen=True)
class PricedTerms:
    """What a quote and a contract both start with: their number, the customer, the lines."""

    number: str
    customer: Company
    lines: tuple[Line, ...]


def lines_total(lines: Sequence[Line]) -> Decimal:
    return sum((line.total for line in lines), Decimal("0"))


def line_table(lines: Sequence[Line], lang: str, currency: str, *, with_discount: bool = True) -> Table:
    if lang == "zh":
        header = ("序号", "型号", "名称", "数量", "单价（含税）", "折扣", "金额（含税）")
    else:
        header = ("No.", "Model", "Description", "Qty", "Unit price", "Discount", "Amount")
    rows = [header]
    for number, line in enumerate(lines, start=1):
        rows.append((
            str(number), line.item.code, line.item.name(lang), str(line.quantity), money(line.unit_price, currency),
            f"{line.discount * 100:.0f}%" if line.discount else "—", money(line.total, currency),
        ))
    total_label = "合计" if lang == "zh" else "Total"
    rows.append(("", "", total_label, "", "", "", money(lines_total(lines), currency)))
    if not with_discount:
        rows = [row[:5] + row[6:] for row in rows]
        return Table(tuple(rows), widths=(0.5, 1.3, 2.4, 0.6, 1.4, 1.6), right=(3, 4, 5))
    return Table(tuple(rows), widths=(0.5, 1.3, 2.2, 0.5, 1.4, 0.8, 1.5), right=(3, 4, 5, 6))
