"""Forms of the staff interface. Labels and messages are translated; field errors show next to the field."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from backend.accounts.models import User
from backend.audit.models import Outcome
from backend.crm.models import Stage


class SignInForm(forms.Form):
    username = forms.CharField(label=_("User name"), max_length=150,
                               widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}),
                               error_messages={"required": _("Enter your user name.")})
    password = forms.CharField(label=_("Password"), strip=False,
                               widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
                               error_messages={"required": _("Enter your password.")})


class _UserAndPeriodMixin:
    """A user name that must exist, and a period whose end is not before its start."""

    def clean_user(self):
        username = (self.cleaned_data.get("user") or "").strip()
        if not username:
            return None
        user = User.objects.filter(username=username).only("id", "username").first()
        if user is None:
            raise forms.ValidationError(_("No user is called “%(name)s”.") % {"name": username})
        return user

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end date is before the start date."))
        return data


class AuditFilterForm(_UserAndPeriodMixin, forms.Form):
    """The compliance console's filters. Every field is optional; the URL carries them."""

    user = forms.CharField(label=_("User"), required=False, max_length=150,
                           widget=forms.TextInput(attrs={"list": "audit-users", "placeholder": _("user name")}))
    document = forms.IntegerField(label=_("Document id"), required=False, min_value=1)
    customer = forms.IntegerField(label=_("Customer id"), required=False, min_value=1)
    action = forms.ChoiceField(label=_("Action"), required=False)
    outcome = forms.ChoiceField(label=_("Outcome"), required=False)
    ip = forms.GenericIPAddressField(label=_("IP address"), required=False)
    date_from = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, event_types=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [("", _("Any action"))] + [(name, name) for name in event_types]
        self.fields["outcome"].choices = [("", _("Any outcome"))] + [
            (Outcome.SUCCESS, _("Success")), (Outcome.DENIED, _("Denied")), (Outcome.FAILURE, _("Failure"))]

class UserAccessForm(_UserAndPeriodMixin, forms.Form):
    user = forms.CharField(label=_("User"), max_length=150,
                           widget=forms.TextInput(attrs={"list": "audit-users", "placeholder": _("user name")}),
                           error_messages={"required": _("Enter a user name.")})
    date_from = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))


class DocumentAccessForm(forms.Form):
    document = forms.IntegerField(label=_("Document id"), min_value=1,
                                  error_messages={"required": _("Enter a document id.")})


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
