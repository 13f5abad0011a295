"""Small presentation helpers for the staff templates: money, file types, status badges."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import template
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils import formats, numberformat
from django.utils.html import format_html
from django.utils.translation import get_language

from backend.documents.filetypes import describe_mime

register = template.Library()

CURRENCY_SYMBOLS = {"CNY": "¥", "USD": "$", "EUR": "€"}

_BADGES = {
    # version statuses
    "approved": "ok", "draft": "info", "superseded": "muted", "expired": "warn",
    # quotes
    "accepted": "ok", "sent": "info", "rejected": "bad",
    # outcomes
    "success": "ok", "denied": "bad", "failure": "bad",
    # classification
    "public": "muted", "internal": "info", "confidential": "warn", "secret": "bad",
    # dispatch
    "not_dispatched": "warn", "dispatched": "info", "confirmed": "info", "resolved": "ok", "closed": "muted",
    # stages / orders
    "won": "ok", "lost": "bad", "open": "info", "fulfilled": "ok", "cancelled": "muted",
}


# The active language's (decimal mark, thousands separator, grouping) for grouped(): a page of 100 quote lines
# formats ~350 numbers, and asking get_format() three times for each was ~5% of the customer page. Kept per
# language and process, forgotten when a test changes a setting (as Django forgets its own format cache).
_SEPARATORS: dict[str | None, tuple[str, str, object]] = {}


@receiver(setting_changed)
def _forget_separators(**kwargs) -> None:
    _SEPARATORS.clear()


def _separators() -> tuple[str, str, object]:
    language = get_language()
    separators = _SEPARATORS.get(language)
    if separators is None:
        thousand = formats.get_format("THOUSAND_SEPARATOR")
        grouping = formats.get_format("NUMBER_GROUPING")
        if not thousand or not grouping:
            grouping = 3
        separators = _SEPARATORS[language] = (formats.get_format("DECIMAL_SEPARATOR"), thousand or ",", grouping)
    return separators


def separators() -> tuple[str, str, object]:
    """The active language's (decimal mark, thousands separator, grouping) as grouped() uses them: a tag
    that formats many numbers in one language may ask once and pass them to money_in/number_in."""
    return _separators()


def grouped(value, places: int, marks: tuple[str, str, object] | None = None) -> str:
    """A number with the active language's decimal mark, grouped in thousands.

    Django's Simplified Chinese format has no thousands separator; Chinese financial writing
    groups amounts by three with commas (¥1,234,567.00), so that is what we show there.
    `marks`: separators() of the active language, when the caller already has them.
    """
    marks = marks or _separators()
    if marks == _PLAIN_MARKS:
        # Python's own grouping (a tenth of numberformat's time: the reports page writes a thousand numbers)
        # where it writes exactly what numberformat would: an int shown whole, and a Decimal not negative
        # that already has `places` decimals (the database's money and the rounded rates), which numberformat
        # neither cuts nor pads.
        kind = type(value)
        if kind is int and not places:
            return f"{value:,}"
        if kind is Decimal:
            sign, digits, exponent = value.as_tuple()
            if not sign and exponent == -places and len(digits) + places <= 200:
                return f"{value:,f}"
    decimal_mark, thousand, grouping = marks
    return numberformat.format(value, decimal_mark, decimal_pos=places,
                               grouping=grouping, thousand_sep=thousand, force_grouping=True)


_PLAIN_MARKS = (".", ",", 3)  # (English's, and Simplified Chinese's as grouped() writes it)


def money_in(value, currency, marks) -> str:
    """money() with the separators given (see separators())."""
    if value is None or value == "":
        return "—"
    try:
        amount = value if type(value) is Decimal else Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value)
    symbol = CURRENCY_SYMBOLS.get(str(currency), f"{currency} ")
    sign = "-" if amount < 0 else ""
    return f"{sign}{symbol}{grouped(abs(amount), 2, marks)}"


def number_in(value, places: int, marks) -> str:
    """number() with the separators given (see separators())."""
    if value is None or value == "":
        return "—"
    return grouped(value, int(places), marks)


@register.filter
def money(value, currency: str = "CNY") -> str:
    """1234.5, "CNY" -> "¥1,234.50", grouped and with the decimal mark of the active language."""
    return money_in(value, currency, None)


def decimal_places(value: Decimal) -> int:
    """The decimal places a number needs to be shown exactly (10.000 -> 0, 1.50 -> 1)."""
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


@register.filter
def number(value, places: int = 0) -> str:
    return number_in(value, places, None)


@register.filter
def percent(value, places: int = 1) -> str:
    if value is None:
        return "—"
    # Rounded half up before formatting (number_format cuts digits off: 2 of 11 would read 18.1%).
    share = (Decimal(str(value)) * 100).quantize(Decimal(1).scaleb(-int(places)), rounding=ROUND_HALF_UP)
    return formats.number_format(share, int(places), use_l10n=True) + "%"


_SHORT_TYPES = {
    "application/pdf": "PDF",
    "application/msword": "Word",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "Word",
    "application/vnd.ms-excel": "Excel",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "Excel",
    "application/vnd.ms-powerpoint": "PowerPoint",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "PowerPoint",
    "application/vnd.oasis.opendocument.text": "ODT",
    "application/vnd.oasis.opendocument.spreadsheet": "ODS",
    "application/vnd.oasis.opendocument.presentation": "ODP",
    "text/plain": "TXT",
    "text/csv": "CSV",
    "text/html": "HTML",
    "message/rfc822": "E-mail",
}


@register.filter
def mime_label(value: str) -> str:
    """A short name for a MIME type: "PDF", "Word", "PNG"."""
    value = value or ""
    if value in _SHORT_TYPES:
        return _SHORT_TYPES[value]
    if value.startswith("image/"):
        return value.split("/", 1)[1].upper()
    return describe_mime(value)


@register.simple_tag
def badge(value, label=None):
    """A coloured pill for a status-like value; `label` is the translated display text."""
    tone = _BADGES.get(str(value), "muted")
    return format_html('<span class="badge badge-{}">{}</span>', tone, label if label is not None else value)


# --- cheap per-row helpers for long lists (the customer page, the service desk, the pipeline board) ----------
#
# A model's get_FOO_display() builds a dict of the field's choices on every call, hashing each lazy label (a
# gettext call per choice), and {% url %} resolves the pattern anew for every row: on a page of 300 cards
# that was thousands of gettext calls and hundreds of reverse() calls a request. These give the same text.

_CHOICE_LABELS: dict[tuple, dict] = {}
_ID_PATHS: dict[tuple, tuple[str, str]] = {}
_ID_SENTINEL = 987654321


@register.filter
def choice(obj, field_name: str):
    """`obj`'s `field_name` as its translated choice label: {{ record|choice:"priority" }} is
    record.get_priority_display(), each field's labels looked up once per language and process."""
    from django.utils.translation import get_language

    field = obj._meta.get_field(field_name)
    key = (obj._meta.label_lower, field_name, get_language())
    labels = _CHOICE_LABELS.get(key)
    if labels is None:
        labels = _CHOICE_LABELS[key] = {value: str(label) for value, label in field.flatchoices}
    value = getattr(obj, field.attname)
    return labels.get(value, value)


@register.filter
def id_url(object_id, name: str) -> str:
    """The path of the URL pattern `name` that takes an integer id first: {{ record.pk|id_url:"web:service_record" }}
    is {% url "web:service_record" record.pk %}, and {{ record.pk|id_url:"web:service_step,close" }} is
    {% url "web:service_step" record.pk "close" %}; each pattern is reversed once per script prefix."""
    from django.urls import get_script_prefix, reverse

    key = (name, get_script_prefix())
    parts = _ID_PATHS.get(key)
    if parts is None:
        pattern, *rest = name.split(",")
        prefix, _, suffix = reverse(pattern, args=[_ID_SENTINEL, *rest]).partition(str(_ID_SENTINEL))
        parts = _ID_PATHS[key] = (prefix, suffix)
    return f"{parts[0]}{int(object_id)}{parts[1]}"


@register.filter
def get_item(mapping, key):
    try:
        return mapping.get(key)
    except AttributeError:
        return None


@register.simple_tag
def outcome_badge(outcome: str):
    from django.utils.translation import gettext

    labels = {"success": gettext("success"), "denied": gettext("denied"), "failure": gettext("failure")}
    return badge(outcome, labels.get(outcome, outcome))


@register.filter
def pretty_json(value) -> str:
    import json

    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True)


@register.simple_tag
def version_badge(version):
    """A version's effective status (expired when its approval ran out), as a translated pill."""
    from backend.documents.models import VersionStatus

    status = version.effective_status
    return badge(status, VersionStatus(status).label)
