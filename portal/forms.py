"""Portal forms: what a customer types, checked before any service is called."""

from __future__ import annotations

from django import forms
from django.utils.functional import lazy
from django.utils.translation import get_language, gettext, gettext_lazy as _

from backend.crm.models import Priority, ServiceType
from backend.crm.services.service_requests import MAX_ATTACHMENTS, MAX_TEXT, PORTAL_REQUEST_TYPES


def _attachments_help() -> str:
    # formatted when shown, in the reader's language (a lazy string formatted here at import would be English)
    return gettext("Up to %(count)s files: photos, PDF, text, Word or Excel.") % {"count": MAX_ATTACHMENTS}


class SignInForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"), max_length=254,
                             widget=forms.EmailInput(attrs={"autocomplete": "username", "autofocus": True}))
    password = forms.CharField(label=_("Password"), strip=False, max_length=256,
                               widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))


class SetPasswordForm(forms.Form):
    password = forms.CharField(label=_("New password"), strip=False, max_length=256,
                               widget=forms.PasswordInput(attrs={"autocomplete": "new-password", "autofocus": True}),
                               help_text=_("At least 8 characters; not only digits, and not too common."))
    password_again = forms.CharField(label=_("New password again"), strip=False, max_length=256,
                                     widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/*,.pdf,.txt,.docx,.xlsx"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, (list, tuple)) else ([data] if data else [])
        return [super(MultipleFileField, self).clean(item, initial) for item in files]


def _product_label(product) -> str:
    """"CNC-200 · 数控车床" (the English name when the page is in English and the product has one)."""
    name = product.name_en if product.name_en and not (get_language() or "").startswith("zh") else product.name
    return f"{product.code} · {name}"


class ServiceRequestForm(forms.Form):
    type = forms.ChoiceField(label=_("What do you need?"),
                             choices=[(value, label) for value, label in ServiceType.choices
                                      if value in PORTAL_REQUEST_TYPES])
    product = forms.ChoiceField(
        label=_("Product"), required=False,
        help_text=_("Only the products on your orders are listed. Not there? Leave it empty and describe it."))
    order = forms.ChoiceField(label=_("Order"), required=False)
    urgency = forms.ChoiceField(label=_("Urgency"), choices=Priority.choices, initial=Priority.NORMAL,
                                required=False)
    preferred_visit_at = forms.DateTimeField(
        label=_("Preferred visit time"), required=False,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("When you would like our engineer to come; we confirm the appointment with you."))
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(label=_("Description"), max_length=MAX_TEXT, widget=forms.Textarea(attrs={"rows": 6}))
    attachments = MultipleFileField(label=_("Photos or files"), required=False,
                                    help_text=lazy(_attachments_help, str)())

    def __init__(self, *args, products=(), orders=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].choices = [("", "—")] + [(str(p.pk), _product_label(p)) for p in products]
        self.fields["order"].choices = [("", "—")] + [(str(pk), number) for pk, number in orders]


class CommentForm(forms.Form):
    body = forms.CharField(label=_("Your comment"), max_length=MAX_TEXT, widget=forms.Textarea(attrs={"rows": 3}))
    attachments = MultipleFileField(label=_("Photos or files"), required=False)


class RatingForm(forms.Form):
    satisfaction = forms.TypedChoiceField(label=_("How satisfied are you?"), coerce=int,
                                          choices=[(n, str(n)) for n in range(5, 0, -1)],
                                          widget=forms.RadioSelect)


class ComplaintForm(forms.Form):
    description = forms.CharField(label=_("What went wrong?"), max_length=MAX_TEXT,
                                  widget=forms.Textarea(attrs={"rows": 4}))


class QuestionForm(forms.Form):
    """'Ask my account manager'."""

    subject = forms.CharField(label=_("Subject"), max_length=200)
    message = forms.CharField(label=_("Your question"), max_length=5000,
                              widget=forms.Textarea(attrs={"rows": 6}),
                              help_text=_("Your account manager answers by e-mail or phone, usually within one working day."))
