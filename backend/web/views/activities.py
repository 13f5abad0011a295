"""Activities in the browser: log a visit, call, e-mail or note (or set a reminder) from the customer 360,
mark a reminder done, and the work log — what reps logged, by rep, customer and period, also as CSV.

    POST /customers/<id>/activities/   log one (backend.crm.services.activities.activity_log); back to the 360
    POST /activities/<id>/done/        mark a reminder done; back to where the button was
    GET  /worklog/                     the work log (your own; anyone's for WORKLOG_READER_ROLES)
    GET  /worklog.csv                  the same rows as a CSV download (audited: crm.worklog.exported)

Whose log one may read is the policy's decision (backend/access/policy/worklog.py); a rep one may not
read is a 404, as for anything one may not see.
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.core.paginator import Paginator
from django.db.models import Count
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from backend.access.policy.worklog import may_read_worklogs_of_others
from backend.common.csv_export import csv_response
from backend.common.display_time import display_zone, iso_instant
from backend.common.errors import InvalidInput, NotFound
from backend.crm.models import ActivityKind
from backend.crm.selectors.activities import (
    activity_get_visible, activity_worklog, customer_for_activities, reminder_list_open, worklog_rep_get,
    worklog_rep_choices,
)
from backend.crm.selectors.customers import contact_get_visible
from backend.crm.selectors.opportunities import opportunity_list_visible
from backend.crm.services import activities as services
from backend.ui.errors import report_outcome
from backend.web.pages import int_or_none, staff_page

WORKLOG_ROWS_PER_PAGE = 50
CSV_MAX_ROWS = 50_000
# When a reminder is due on a day: nine in the morning of that day, in the display zone.
REMINDER_HOUR = dt.time(9, 0)


class ActivityLogForm(forms.Form):
    """The 360's quick form: a kind, a line of text, and optionally details, a deal, a due date."""

    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=ActivityKind.choices, initial=ActivityKind.VISIT,
                             error_messages={"required": gettext_lazy("Choose what happened."),
                                             "invalid_choice": gettext_lazy("Choose what happened.")})
    subject = forms.CharField(label=gettext_lazy("What happened"), max_length=200,
                              error_messages={"required": gettext_lazy("A subject is required."),
                                              "max_length": gettext_lazy("At most 200 characters.")})
    body = forms.CharField(label=gettext_lazy("Details"), required=False, max_length=5000,
                           widget=forms.Textarea(attrs={"rows": 2}))
    opportunity = forms.IntegerField(label=gettext_lazy("Opportunity"), required=False, min_value=1)
    contact = forms.IntegerField(label=gettext_lazy("Contact"), required=False, min_value=1)
    due = forms.DateField(label=gettext_lazy("Due on (reminders)"), required=False,
                          widget=forms.DateInput(attrs={"type": "date"}),
                          error_messages={"invalid": gettext_lazy("Enter a date.")})


def _back_to(request, fallback: str) -> str:
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                   require_https=request.is_secure()):
        return target
    return fallback


@staff_page
@require_POST
def activity_log(request, customer_id: int):
    """Log what happened with a customer (or the next step, as a reminder with a due date)."""
    user = request.user
    customer = customer_for_activities(user=user, customer_id=customer_id)  # visible, or a 404
    form = ActivityLogForm(request.POST)

    def act() -> str:
        if not form.is_valid():
            raise InvalidInput(" ".join(str(m) for errors in form.errors.values() for m in errors))
        data = form.cleaned_data
        opportunity = None
        if data["opportunity"]:
            opportunity = opportunity_list_visible(user=user, customer_id=customer.pk).filter(
                pk=data["opportunity"]).first()
            if opportunity is None:
                raise InvalidInput(_("Choose one of this customer's opportunities."))
        contact = None
        if data["contact"]:
            try:
                contact = contact_get_visible(user=user, customer_id=customer.pk, contact_id=data["contact"])
            except NotFound:
                raise InvalidInput(_("Choose one of this customer's contacts.")) from None
        due_at = (dt.datetime.combine(data["due"], REMINDER_HOUR, tzinfo=display_zone())
                  if data["due"] else None)
        activity = services.activity_log(
            actor=user, customer=customer, kind=data["kind"], subject=data["subject"], body=data["body"],
            due_at=due_at, opportunity=opportunity, contact=contact)
        if activity.kind == ActivityKind.REMINDER:
            return _("Reminder set: %(subject)s.") % {"subject": activity.subject}
        return _("%(kind)s logged: %(subject)s.") % {"kind": activity.get_kind_display(),
                                                     "subject": activity.subject}

    report_outcome(request, act)
    return redirect(reverse("web:customer", args=[customer.pk]) + "#activity")


@staff_page
@require_POST
def activity_done(request, activity_id: int):
    """Mark a reminder done: its owner, or whoever may change its customer (the policy's CHANGE)."""
    activity = activity_get_visible(user=request.user, activity_id=activity_id)

    def act() -> str:
        done = services.activity_complete(actor=request.user, activity=activity)
        return _("Done: %(subject)s.") % {"subject": done.subject}

    report_outcome(request, act)
    return redirect(_back_to(request, reverse("web:customer", args=[activity.customer_id]) + "#activity"))


# --- the work log ---------------------------------------------------------------------------------


class WorklogFilterForm(forms.Form):
    rep = forms.IntegerField(label=gettext_lazy("Rep"), required=False, min_value=1)
    customer = forms.IntegerField(label=gettext_lazy("Customer"), required=False, min_value=1)
    date_from = forms.DateField(label=gettext_lazy("From"), required=False,
                                widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=gettext_lazy("To"), required=False,
                              widget=forms.DateInput(attrs={"type": "date"}))
    kind = forms.MultipleChoiceField(label=gettext_lazy("Kinds"), required=False, choices=ActivityKind.choices,
                                     widget=forms.CheckboxSelectMultiple)

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", _("The end date is before the start date."))
        return data


def _worklog_query(request):
    """The filter form and the work log it selects (or None when the filters are invalid)."""
    user = request.user
    params = request.GET.copy()
    typed = params.get("customer_q", "").strip().lstrip("#")
    if not params.get("customer") and typed.isdigit():  # without JavaScript the picker's box may hold an id
        params["customer"] = typed
    form = WorklogFilterForm(params)
    if not form.is_valid():
        return form, None, None, None
    data = form.cleaned_data
    rep = worklog_rep_get(user=user, rep_id=data["rep"]) if data["rep"] else None  # 404 if not allowed
    customer = (customer_for_activities(user=user, customer_id=data["customer"])
                if data["customer"] else None)  # 404 if not visible
    rows = activity_worklog(user=user, reps=[rep] if rep else None, customer_id=customer.pk if customer else None,
                            since=data["date_from"], until=data["date_to"], kinds=data["kind"])
    return form, rows, rep, customer


def _rep_options(reps, *, chosen) -> str:
    """The rep chooser's <option>s, made here once: for a work-log reader it lists every member of staff
    (1,000 in bench/pages.py's large world), and the template's loop spent ~6,000 node renders on them."""
    inactive = _("inactive")

    def label(r) -> str:
        text = r.name + (f" · {r.department}" if r.department else "")
        return text + (f" ({inactive})" if not r.is_active else "")

    return format_html_join("", '<option value="{}"{}>{}</option>', (
        (r.id, mark_safe(" selected") if chosen and r.id == chosen.pk else "", label(r)) for r in reps))


@staff_page
@require_GET
def worklog(request):
    """The work log: visits, calls, e-mails, notes and reminders, newest first, by rep, customer and period."""
    user = request.user
    form, rows, rep, customer = _worklog_query(request)
    counts, page = {}, None
    if rows is not None:
        counts = dict(rows.order_by().values_list("kind").annotate(n=Count("id")))
        paginator = Paginator(rows, WORKLOG_ROWS_PER_PAGE)
        paginator.count = sum(counts.values())  # the per-kind counts add up to it: no second COUNT(*) of the rows
        page = paginator.get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "web/worklog.html", {
        "section": "worklog",
        "form": form,
        "page": page,
        "rep": rep,
        "customer": customer,
        "rep_options": _rep_options(worklog_rep_choices(user=user), chosen=rep) if may_read_worklogs_of_others(user) else "",
        "may_choose_rep": may_read_worklogs_of_others(user),
        "kinds": ActivityKind.choices,
        "chosen_kinds": request.GET.getlist("kind"),
        "counts": [(label, counts.get(value, 0)) for value, label in ActivityKind.choices],
        "total": sum(counts.values()),
        "reminders": list(reminder_list_open(user=user)[:20]),
        "now": timezone.now(),
        "query": query.urlencode(),
    })


@staff_page
@require_GET
def worklog_csv(request):
    """The work log's rows as CSV (at most CSV_MAX_ROWS), in the display zone's ISO 8601; audited."""
    form, rows, rep, customer = _worklog_query(request)
    if rows is None:
        raise InvalidInput(" ".join(str(m) for errors in form.errors.values() for m in errors))
    selected = list(rows[:CSV_MAX_ROWS])
    data = form.cleaned_data
    services.worklog_export_record(actor=request.user, rows=len(selected), params={
        "rep": rep.pk if rep else None, "customer": customer.pk if customer else None,
        "date_from": data["date_from"].isoformat() if data["date_from"] else None,
        "date_to": data["date_to"].isoformat() if data["date_to"] else None,
        "kinds": data["kind"] or None,
    })
    header = [_("When"), _("Kind"), _("Rep"), _("Customer"), _("Customer code"), _("Opportunity"),
              _("Subject"), _("Details"), _("Due"), _("Done"), _("Contact")]

    def lines():
        yield header
        for a in selected:
            yield [iso_instant(a.occurred_at), a.get_kind_display(), str(a.owner), a.customer.name,
                   a.customer.code or "", a.opportunity.title if a.opportunity else "", a.subject, a.body,
                   iso_instant(a.due_at), (_("yes") if a.done else _("no")) if a.kind == ActivityKind.REMINDER else "",
                   a.contact.name if a.contact else ""]

    return csv_response(lines(), filename=f"dossier-worklog-{timezone.localdate():%Y%m%d}.csv")
