"""One time zone for the instants people read and export: DISPLAY_TIME_ZONE (DOSSIER_DISPLAY_TIME_ZONE,
by default the site's TIME_ZONE), always written with its offset so nobody has to guess it.

Date style per language, never month first: ``2026-12-04 14:05 +08:00`` in English,
``2026年12月4日 14:05 +08:00`` in Chinese. Exports use ISO 8601 in the same zone
(``2026-12-04T14:05:03.123456+08:00``): the same instant the trail stored, readable as it was shown.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import translation


@lru_cache(maxsize=8)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def display_zone() -> ZoneInfo:
    return _zone(settings.DISPLAY_TIME_ZONE)


def in_display_zone(value: dt.datetime) -> dt.datetime:
    return value.astimezone(display_zone())


def offset_text(value: dt.datetime) -> str:
    """"+08:00" for Shanghai: the offset of `value` in the display zone (it may change with the seasons)."""
    raw = in_display_zone(value).strftime("%z")  # "+0800"
    return f"{raw[:3]}:{raw[3:5]}" if raw else "+00:00"


def display_date(value: dt.date, language: str | None = None) -> str:
    language = language or translation.get_language() or ""
    if language.lower().startswith("zh"):
        return f"{value.year}年{value.month}月{value.day}日"
    return value.isoformat()


def display_instant(value: dt.datetime | None, language: str | None = None) -> str:
    """The instant in the display zone, in the reader's language's style, with the zone's offset."""
    if value is None:
        return ""
    local = in_display_zone(value)
    return f"{display_date(local.date(), language)} {local:%H:%M} {offset_text(value)}"


def iso_instant(value: dt.datetime | None) -> str:
    """ISO 8601 in the display zone, with its offset (what exports carry)."""
    return in_display_zone(value).isoformat() if value is not None else ""


def display_today() -> dt.date:
    return dt.datetime.now(tz=display_zone()).date()


def day_start(day: dt.date) -> dt.datetime:
    """Midnight at the start of `day` in the display zone."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=display_zone())
