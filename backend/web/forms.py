"""Forms of the staff interface. Labels and messages are translated; field errors show next to the field."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.forms.utils import flatatt
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from backend.accounts.models import User
from backend.crm.models import Stage


class SignInForm(forms.Form):
    username = forms.CharField(label=_("User name"), max_length=150,
                               widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}),
                               error_messages={"required": _("Enter your user name.")})
    password = forms.CharField(label=_("Password"), strip=False,
                               widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
                               error_messages={"required": _("Enter your password.")})


class VersionCommentForm(forms.Form):
    comment = forms.CharField(label=_("Comment"), required=False, max_length=2000,
                              widget=forms.TextInput(attrs={"placeholder": _("What changed in this version?")}))


class ApproveForm(forms.Form):
    valid_until = forms.DateField(label=_("Valid until"), required=False,
                                  widget=forms.DateInput(attrs={"type": "date"}))

    def clean_valid_until(self):
        value = self.cleaned_data.get("valid_until")
        if value and value < dt.date.today():
            raise forms.ValidationError(_("Choose a date that is not in the past."))
        return value


class StageMoveForm(forms.Form):
    stage = forms.ChoiceField(label=_("Stage"), choices=Stage.choices)
    lost_reason = forms.CharField(label=_("Reason lost"), required=False, max_length=200)


class DispatchForm(forms.Form):
    engineer = forms.ModelChoiceField(label=_("Engineer"), queryset=User.objects.none(),
                                      error_messages={"required": _("Choose an engineer."),
                                                      "invalid_choice": _("Choose an engineer.")})

    def __init__(self, *args, engineers=None, **kwargs):
        super().__init__(*args, **kwargs)
        if engineers is not None:
            self.fields["engineer"].queryset = engineers


class ResolveForm(forms.Form):
    resolution = forms.CharField(label=_("Resolution"), max_length=5000, widget=forms.Textarea(attrs={"rows": 2}),
                                 error_messages={"required": _("Describe the resolution.")})


class ReportPeriodForm(forms.Form):
    date_from = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", _("The end date is before the start date."))
        return data


class ShareForm(forms.Form):
    """Share a document with a customer's portal users. Who may share with whom is the service's decision."""

    customer = forms.IntegerField(label=_("Customer"), min_value=1, widget=forms.Select,
                                  error_messages={"required": _("Choose a customer."),
                                                  "invalid": _("Choose a customer.")})
    version = forms.ChoiceField(label=_("Version"), required=False)
    downloadable = forms.BooleanField(label=_("The customer may download the file"), required=False, initial=True)
    offer_valid_version = forms.BooleanField(
        label=_("Point the customer to the valid version when the shared one is superseded"),
        required=False, initial=True)
    expires_on = forms.DateField(label=_("Expires after"), required=False,
                                 widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(label=_("Note for the customer"), required=False, max_length=500)

    def __init__(self, *args, customers=(), version_numbers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"].widget.choices = [("", _("Choose a customer…"))] + list(customers)
        self.fields["version"].choices = [("", _("Follow the valid version"))] + [
            (str(number), _("Always version %(number)s") % {"number": number}) for number in version_numbers]

    def clean_expires_on(self):
        value = self.cleaned_data.get("expires_on")
        if value and value < timezone.localdate():
            raise forms.ValidationError(_("Choose a date that is not in the past."))
        return value

    def expires_at(self) -> dt.datetime | None:
        """The end of the chosen day, in the local time zone."""
        day = self.cleaned_data.get("expires_on")
        if day is None:
            return None
        return timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min)) - dt.timedelta(
            microseconds=1)


class ServiceNoteForm(forms.Form):
    body = forms.CharField(label=_("Note"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3}),
                           error_messages={"required": _("Write a note first.")})
    visible_to_customer = forms.BooleanField(label=_("Visible to the customer"), required=False)


class PlainSelect(forms.Select):
    """A <select> whose options are written in one pass, not through a template per option: the announcement
    form lists up to 500 customers and the compliance console's action filter every event type (~170), and
    Django's per-option widget templates were half of those pages' time. Same markup as Select and
    SelectMultiple for flat choices (no groups): a single select marks only the first matching option."""

    def render(self, name, value, attrs=None, renderer=None):
        values = self.format_value(value)
        final = self.build_attrs(self.attrs, attrs)
        rows, matched = [], False
        for key, label in self.choices:
            key = "" if key is None else str(key)
            selected = key in values and (self.allow_multiple_selected or not matched)
            matched = matched or selected
            rows.append((key, mark_safe(" selected") if selected else "", label))
        options = format_html_join("", '<option value="{}"{}>{}</option>', rows)
        return format_html('<select name="{}"{}{}>{}</select>', name, flatatt(final),
                           mark_safe(" multiple") if self.allow_multiple_selected else "", options)


class PlainSelectMultiple(PlainSelect, forms.SelectMultiple):
    """PlainSelect's rendering, SelectMultiple's reading of the posted list."""


class AnnouncementForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200, error_messages={"required": _("A title is required.")})
    body = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 4}),
                           error_messages={"required": _("The announcement needs a text.")})
    audience = forms.ChoiceField(label=_("For"), widget=forms.RadioSelect, initial="all", choices=[
        ("all", _("All customers")), ("some", _("Only the customers selected"))])
    customers = forms.TypedMultipleChoiceField(label=_("Customers"), required=False, coerce=int,
                                               widget=PlainSelectMultiple)
    publish = forms.BooleanField(label=_("Publish now"), required=False)

    def __init__(self, *args, customers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customers"].choices = list(customers)

    def clean(self):
        data = super().clean()
        if data.get("audience") == "some" and not data.get("customers"):
            self.add_error("customers", _("Select at least one customer, or address every customer."))
        return data
