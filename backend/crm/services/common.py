"""What every CRM service shares: the access check that records denials, and money arithmetic."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from backend.access.policy import Action
from backend.access.services import require as require_object
from backend.common.errors import InvalidInput

CENT = Decimal("0.01")


def require(*, actor, action: Action, obj) -> None:
    """PermissionDenied (rendered 404) unless `actor` may `action` the CRM record; the denial is audited."""
    require_object(actor=actor, action=action, obj=obj, denied_event="crm.access.denied")


def money(value, *, field: str, allow_zero: bool = True) -> Decimal:
    """A Decimal amount rounded to cents; 400 for anything negative, non-numeric or float-like junk."""
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        raise InvalidInput(f"{field} must be a number.", fields={field: ["Enter a number."]}) from None
    if not amount.is_finite():
        raise InvalidInput(f"{field} must be a number.", fields={field: ["Enter a number."]})
    if amount < 0 or (amount == 0 and not allow_zero):
        message = "Must not be negative." if amount < 0 else "Must be more than zero."
        raise InvalidInput(f"{field}: {message}", fields={field: [message]})
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def line_total(quantity: Decimal, unit_price: Decimal, discount_percent: Decimal) -> Decimal:
    gross = quantity * unit_price
    return (gross * (Decimal(100) - discount_percent) / Decimal(100)).quantize(CENT, rounding=ROUND_HALF_UP)


def validated_lines(lines, *, product_lookup) -> list[dict]:
    """Check order/quote lines; return them with Decimal fields and computed totals.

    Field errors are keyed "lines.<index>.<field>" so a client can show them next to the field.
    Nothing is saved when any line is wrong.
    """
    if not lines:
        raise InvalidInput("Add at least one line.", fields={"lines": ["Add at least one line."]})
    errors: dict[str, list[str]] = {}
    cleaned: list[dict] = []
    for index, line in enumerate(lines):
        prefix = f"lines.{index}"
        product = product_lookup(line.get("product"))
        if product is None:
            errors[f"{prefix}.product"] = ["No such product."]
        try:
            quantity = Decimal(str(line.get("quantity")))
            if not quantity.is_finite() or quantity <= 0:
                errors[f"{prefix}.quantity"] = ["The quantity must be more than zero."]
        except (InvalidOperation, ValueError, TypeError):
            errors[f"{prefix}.quantity"] = ["Enter a number."]
            quantity = Decimal(0)
        unit_price_raw = line.get("unit_price", getattr(product, "list_price", None))
        try:
            unit_price = Decimal(str(unit_price_raw))
            if not unit_price.is_finite() or unit_price < 0:
                errors[f"{prefix}.unit_price"] = ["The unit price must not be negative."]
        except (InvalidOperation, ValueError, TypeError):
            errors[f"{prefix}.unit_price"] = ["Enter a number."]
            unit_price = Decimal(0)
        try:
            discount = Decimal(str(line.get("discount_percent", 0) or 0))
            if not discount.is_finite() or not (0 <= discount <= 100):
                errors[f"{prefix}.discount_percent"] = ["The discount must be between 0 and 100 percent."]
        except (InvalidOperation, ValueError, TypeError):
            errors[f"{prefix}.discount_percent"] = ["Enter a number."]
            discount = Decimal(0)
        cleaned.append(
            {
                "product": product,
                "description": (line.get("description") or "")[:300],
                "quantity": quantity,
                "unit_price": unit_price.quantize(CENT, rounding=ROUND_HALF_UP) if unit_price.is_finite() else unit_price,
                "discount_percent": discount,
            }
        )
    if errors:
        raise InvalidInput("Some lines are invalid.", fields=errors)
    for line in cleaned:
        line["line_total"] = line_total(line["quantity"], line["unit_price"], line["discount_percent"])
    return cleaned
