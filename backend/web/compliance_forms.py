"""The compliance console's filters. People, documents and customers are chosen by name.

Each named filter is a pair, as the picker contract has it: a text box (`user_q`) where a name is typed,
with an autocomplete list, and a hidden id (`user`) the list fills in. The id wins when both are given
(links from other pages pass ids: `?document=12`); a name typed without picking resolves on the server
(backend/web/console_names.py), and a name that fits several rows is an error naming them. After a
valid submission the form shows the chosen row's name in the text box and keeps its id in the URL.
"""

from __future__ import annotations

from django import forms
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from backend.audit.models import Outcome
from backend.web.forms import PlainSelect
from backend.web.console_names import Named, resolve

_KIND_MESSAGES = {
    "user": (_("No user is called “%(name)s”."),
             _("Several people match “%(text)s”: %(names)s. Pick one from the list.")),
    "document": (_("No document matches “%(text)s”."),
                 _("Several documents match “%(text)s”: %(names)s. Pick one from the list.")),
    "customer": (_("No customer matches “%(text)s”."),
                 _("Several customers match “%(text)s”: %(names)s. Pick one from the list.")),
}
_SHOWN_CANDIDATES = 5


def _picker_box(kind: str, name: str, label, placeholder, *, required: bool = False) -> forms.CharField:
    return forms.CharField(
        label=label, required=False, max_length=300,
        widget=forms.TextInput(attrs={
            "data-picker": kind, "data-picker-target": f"id_{name}", "placeholder": placeholder,
            "data-picker-url": reverse_lazy("web:compliance_pick", args=[kind]),
            "data-picker-empty": _("Nothing found"), "autocomplete": "off",
            **({"aria-required": "true"} if required else {}),
        }))


def _date(label) -> forms.DateField:
    return forms.DateField(label=label, required=False, widget=forms.DateInput(attrs={"type": "date"}))


class _NamedFilterForm(forms.Form):
    """Resolves every (hidden id, typed name) pair in `named`: {field name: (kind, required)}."""

    named: dict[str, tuple[str, bool]] = {}

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor
        self.chosen: dict[str, Named] = {}
        if self.is_bound:
            self.data = self.data.copy()

    def clean(self):
        data = super().clean()
        for name, (kind, required) in self.named.items():
            chosen = self._resolve(name, kind, data, required)
            data[name] = chosen.id if chosen else None
            if chosen:
                self.chosen[name] = chosen
                # Shown back: the name in the text box, the id in the hidden field (and so in the URL).
                self.data[name] = str(chosen.id)
                self.data[f"{name}_q"] = chosen.label
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end date is before the start date."))
        return data

    def _resolve(self, name: str, kind: str, data: dict, required: bool) -> Named | None:
        given = (data.get(name) or "").strip()
        typed = (data.get(f"{name}_q") or "").strip()
        text = given or typed
        if not text:
            if required:
                self.add_error(f"{name}_q", _("Type a name and pick it from the list."))
            return None
        rows = resolve(self.actor, kind, text)
        if len(rows) == 1:
            return rows[0]
        if not rows and given.isdigit():
            return Named(int(given), f"#{given}")  # an id from a link still filters, even with no row behind it
        none, several = _KIND_MESSAGES[kind]
        if not rows:
            self.add_error(f"{name}_q", none % {"text": text, "name": text})
        else:
            names = "、".join(row.label for row in rows[:_SHOWN_CANDIDATES])
            if len(rows) > _SHOWN_CANDIDATES:
                names += " …"
            self.add_error(f"{name}_q", several % {"text": text, "names": names})
        return None


class AuditFilterForm(_NamedFilterForm):
    """The audit log's filters. Every field is optional; the URL carries them."""

    named = {"user": ("user", False), "document": ("document", False), "customer": ("customer", False)}

    user_q = _picker_box("user", "user", _("Person"), _("name or user name"))
    user = forms.CharField(required=False, widget=forms.HiddenInput)
    document_q = _picker_box("document", "document", _("Document"), _("title"))
    document = forms.CharField(required=False, widget=forms.HiddenInput)
    customer_q = _picker_box("customer", "customer", _("Customer"), _("name or code"))
    customer = forms.CharField(required=False, widget=forms.HiddenInput)
    action = forms.ChoiceField(label=_("Action"), required=False, widget=PlainSelect)  # every event type
    outcome = forms.ChoiceField(label=_("Outcome"), required=False)
    ip = forms.GenericIPAddressField(label=_("IP address"), required=False)
    date_from = _date(_("From"))
    date_to = _date(_("To"))
    # "access": only the events that count as accessing something (the per-person and per-document pages).
    scope = forms.ChoiceField(required=False, choices=[("", ""), ("access", "access")], widget=forms.HiddenInput)

    def __init__(self, *args, event_types=(), **kwargs):
        super().__init__(*args, **kwargs)
        # event_types: (name, label) pairs; the label is what people read, the name goes in the URL.
        self.fields["action"].choices = [("", _("Any action"))] + list(event_types)
        self.fields["outcome"].choices = [("", _("Any outcome"))] + [
            (Outcome.SUCCESS, _("Success")), (Outcome.DENIED, _("Denied")), (Outcome.FAILURE, _("Failure"))]


class UserAccessForm(_NamedFilterForm):
    """What did this person access, in this period."""

    named = {"user": ("user", True)}

    user_q = _picker_box("user", "user", _("Person"), _("name or user name"), required=True)
    user = forms.CharField(required=False, widget=forms.HiddenInput)
    date_from = _date(_("From"))
    date_to = _date(_("To"))


class DocumentAccessForm(_NamedFilterForm):
    """Who opened this document (optionally: this person), in this period, and who can access it."""

    named = {"document": ("document", True), "user": ("user", False)}

    document_q = _picker_box("document", "document", _("Document"), _("title"), required=True)
    document = forms.CharField(required=False, widget=forms.HiddenInput)
    user_q = _picker_box("user", "user", _("Person (optional)"), _("name or user name"))
    user = forms.CharField(required=False, widget=forms.HiddenInput)
    date_from = _date(_("From"))
    date_to = _date(_("To"))
