"""What every CRM service shares: money arithmetic and order/quote lines. (The access check that records
denials is backend.access.services.require, as for every other app.)"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from backend.common.errors import InvalidInput

CENT = Decimal("0.01")
MILLI = Decimal("0.001")
# The bounds that keep every amount inside its Decimal column (models.MONEY: 16 digits, 2 decimals;
# QUANTITY: 12 digits, 3 decimals), including quantity x unit price and the sum of a quote's lines.
MAX_AMOUNT = Decimal("99999999999999.99")
MAX_QUANTITY = Decimal("1000000")
MAX_UNIT_PRICE = Decimal("10000000000")
MAX_LINES = 500


def require_editable(changes, editable, *, hint: str = "") -> None:
    """A 400 listing the fields in `changes` that are not among `editable` (this service does not change
    them; `hint` says where they do change)."""
    unknown = set(changes) - set(editable)
    if unknown:
        raise InvalidInput(f"Cannot change {', '.join(sorted(unknown))} here{hint}.")


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
    if amount > MAX_AMOUNT:
        message = f"At most {MAX_AMOUNT}."
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
    if not lines or not isinstance(lines, (list, tuple)):
        raise InvalidInput("Add at least one line.", fields={"lines": ["Add at least one line."]})
    if len(lines) > MAX_LINES:
        raise InvalidInput(f"At most {MAX_LINES} lines.", fields={"lines": [f"At most {MAX_LINES} lines."]})
    errors: dict[str, list[str]] = {}
    cleaned: list[dict] = []
    for index, line in enumerate(lines):
        prefix = f"lines.{index}"
        if not isinstance(line, dict):
            errors[prefix] = ["Each line is an object with a product and a quantity."]
            continue
        product = product_lookup(line.get("product"))
        if product is None:
            errors[f"{prefix}.product"] = ["No such product."]
        try:
            quantity = Decimal(str(line.get("quantity")))
            if not quantity.is_finite() or quantity.quantize(MILLI, rounding=ROUND_HALF_UP) <= 0:
                errors[f"{prefix}.quantity"] = ["The quantity must be more than zero."]
            elif quantity > MAX_QUANTITY:
                errors[f"{prefix}.quantity"] = [f"The quantity must be at most {MAX_QUANTITY}."]
            else:
                quantity = quantity.quantize(MILLI, rounding=ROUND_HALF_UP)
        except (InvalidOperation, ValueError, TypeError):
            errors[f"{prefix}.quantity"] = ["Enter a number."]
            quantity = Decimal(0)
        unit_price_raw = line.get("unit_price", getattr(product, "list_price", None))
        try:
            unit_price = Decimal(str(unit_price_raw))
            if not unit_price.is_finite() or unit_price < 0:
                errors[f"{prefix}.unit_price"] = ["The unit price must not be negative."]
            elif unit_price > MAX_UNIT_PRICE:
                errors[f"{prefix}.unit_price"] = [f"The unit price must be at most {MAX_UNIT_PRICE}."]
                unit_price = Decimal(0)
        except (InvalidOperation, ValueError, TypeError):
            errors[f"{prefix}.unit_price"] = ["Enter a number."]
            unit_price = Decimal(0)
        try:
            discount = Decimal(str(line.get("discount_percent", 0) or 0))
            if not discount.is_finite() or not (0 <= discount <= 100):
                errors[f"{prefix}.discount_percent"] = ["The discount must be between 0 and 100 percent."]
            else:
                discount = discount.quantize(CENT, rounding=ROUND_HALF_UP)
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
    for index, line in enumerate(cleaned):
        line["line_total"] = line_total(line["quantity"], line["unit_price"], line["discount_percent"])
        if line["line_total"] > MAX_AMOUNT:
            errors[f"lines.{index}.quantity"] = [f"Quantity × unit price is more than {MAX_AMOUNT}."]
    if errors:
        raise InvalidInput("Some lines are invalid.", fields=errors)
    if sum(line["line_total"] for line in cleaned) > MAX_AMOUNT:
        message = f"The lines add up to more than {MAX_AMOUNT}."
        raise InvalidInput(message, fields={"lines": [message]})
    return cleaned
