"""The staff pages' frame: the main menu, whose ~20 links and labels every page rendered anew.

Its markup depends only on the language, the URL prefix and configuration, the page's `section` and which
entries the policy shows this request (the nav_* flags of backend/web/context_processors.staff_nav, decided
per request and part of the key). So it is rendered once per such combination and process, never from
anyone's data: two users with the same entries get the same menu.
"""

from __future__ import annotations

from django import template
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.template.loader import render_to_string
from django.urls import get_script_prefix, get_urlconf
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

register = template.Library()

NAV_FLAGS = ("nav_announcements", "nav_handover", "nav_retention", "nav_intake", "nav_imports", "nav_compliance")
_MENUS: dict[tuple, str] = {}
_MENUS_KEPT = 1000  # sections × entry sets × languages in use stay far below this


@receiver(setting_changed)
def _forget_menus(**kwargs) -> None:
    _MENUS.clear()


@register.simple_tag(takes_context=True)
def staff_nav(context) -> str:
    """The main menu for this page: web/partials/staff_nav.html, made once per (language, URL prefix and
    configuration, section, entries shown)."""
    values = {"section": context.get("section")}
    values.update((name, context.get(name)) for name in NAV_FLAGS)
    key = (get_language(), get_script_prefix(), get_urlconf(), *values.values())
    menu = _MENUS.get(key)
    if menu is None:
        menu = render_to_string("web/partials/staff_nav.html", values)
        if len(_MENUS) >= _MENUS_KEPT:
            _MENUS.clear()
        _MENUS[key] = menu
    return mark_safe(menu)
