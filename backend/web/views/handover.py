"""The handover of a leaving rep's book: pick the rep and who takes over, choose per row (or "all to"
one colleague), preview what moves to whom, confirm. One service call moves it all
(backend.crm.services.handover: one transaction, audited per record).

    GET  /handover/?rep=<id>&to=<id>&to=<id>   the book, a "goes to" choice on each row
    POST /handover/preview/                      what moves to whom (nothing written yet)
    POST /handover/run/                          the handover; then the (now empty) book again

Only whoever the policy lets hand books over gets here (administrators: policy/handover.py); everyone
else gets a 404, as for anything they may not see. Without JavaScript every choice still posts: the
"all to" buttons are submit buttons, and a number typed in the colleague picker's box is taken as an id.
"""

from __future__ import annotations

from functools import wraps
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_POST

from backend.access.policy.handover import may_hand_over_books
from backend.crm.selectors.handover import (
    KINDS, handover_book, handover_plan_users, handover_recipients, handover_rep_get, handover_reps,
)
from backend.crm.services.handover import handover_run
from backend.ui.errors import Refusal
from backend.web.pages import int_or_none, staff_page

PART_LABELS = {
    "customer": gettext_lazy("Customers"),
    "opportunity": gettext_lazy("Open opportunities"),
    "quote": gettext_lazy("Open quotes"),
    "reminder": gettext_lazy("Open reminders"),
    "team": gettext_lazy("Account-team places"),
}
MAX_RECIPIENTS = 10


def _handover_page(view):
    """A staff page for whoever may hand books over; a 404 for everyone else."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not may_hand_over_books(request.user):
            raise Http404()
        return view(request, *args, **kwargs)

    return staff_page(wrapper)


def _ids(values) -> list[int]:
    ids = []
    for value in values:
        number = int_or_none(str(value).strip().lstrip("#"))
        if number is not None and number not in ids:
            ids.append(number)
    return ids


def _recipient_ids(data) -> list[int]:
    """The colleagues taking over: every `to`, and a number typed in the picker's box (`to_q`)."""
    ids = _ids(data.getlist("to"))
    typed = str(data.get("to_q", "")).strip().lstrip("#")
    if typed.isdigit():
        ids += [pk for pk in _ids([typed]) if pk not in ids]
    return ids[:MAX_RECIPIENTS]


def _page_url(rep, recipients) -> str:
    query = [("rep", rep.pk)] + [("to", r.pk) for r in recipients]
    return reverse("web:handover") + "?" + urlencode(query)


def _parts(book, choose=None) -> list[dict]:
    """The book's parts for the templates: label and rows (each with its chosen colleague, if any)."""
    parts = []
    for kind in KINDS:
        rows = [{"row": row, "to": choose(row) if choose else None} for row in book.parts.get(kind, [])]
        parts.append({"kind": kind, "label": PART_LABELS[kind], "rows": rows})
    return parts


@_handover_page
@require_GET
def handover(request):
    """Step 1 and 2: the leaving rep, who takes over, and the book with a choice on each row."""
    user = request.user
    reps = handover_reps(user=user)
    rep_id = int_or_none(request.GET.get("rep"))
    rep = handover_rep_get(user=user, rep_id=rep_id) if rep_id else None
    if rep is not None and rep not in reps:
        reps = [rep, *reps]  # handed over already: still the one chosen
    recipients = [r for r in handover_recipients(user=user, ids=_recipient_ids(request.GET))
                  if rep is None or r.pk != rep.pk]
    book = handover_book(user=user, rep=rep) if rep is not None else None
    default = recipients[0] if recipients else None
    return render(request, "web/handover.html", {
        "section": "handover",
        "reps": reps,
        "rep": rep,
        "recipients": recipients,
        "book": book,
        "parts": _parts(book, lambda row: default) if book is not None else [],
        "recipient_chips": [(r, _page_url(rep, [o for o in recipients if o.pk != r.pk]) if rep else "")
                            for r in recipients],
    })


def _posted_rep_and_recipients(request):
    rep = handover_rep_get(user=request.user, rep_id=int_or_none(request.POST.get("rep")))
    recipients = [r for r in handover_recipients(user=request.user, ids=_ids(request.POST.getlist("to")))
                  if r.pk != rep.pk]
    return rep, recipients


@_handover_page
@require_POST
def handover_preview(request):
    """Step 3: what moves to whom. Nothing is written; the confirmation carries the plan shown."""
    rep, recipients = _posted_rep_and_recipients(request)
    if not recipients:
        messages.error(request, _("Add at least one colleague to take over the book."))
        return redirect(_page_url(rep, recipients))
    by_id = {r.pk: r for r in recipients}
    all_to = by_id.get(int_or_none(request.POST.get("all_to")))
    book = handover_book(user=request.user, rep=rep)
    if not len(book):
        messages.info(request, _("%(name)s holds nothing to hand over.") % {"name": rep})
        return redirect(_page_url(rep, recipients))

    def choose(row):
        return all_to or by_id.get(int_or_none(request.POST.get(f"row-{row.key}"))) or recipients[0]

    parts = _parts(book, choose)
    by_recipient = []
    for recipient in recipients:
        groups = [{"label": part["label"], "kind": part["kind"],
                   "rows": [item["row"] for item in part["rows"] if item["to"] == recipient]} for part in parts]
        groups = [group for group in groups if group["rows"]]
        if groups:
            by_recipient.append({"recipient": recipient, "groups": groups,
                                 "count": sum(len(group["rows"]) for group in groups)})
    return render(request, "web/handover_preview.html", {
        "section": "handover",
        "rep": rep,
        "recipients": recipients,
        "plan": [(item["row"].key, item["to"]) for part in parts for item in part["rows"]],
        "by_recipient": by_recipient,
        "total": len(book),
        "back_url": _page_url(rep, recipients),
        "note": request.POST.get("note", "")[:300],
    })


@_handover_page
@require_POST
def handover_confirm(request):
    """Step 4: hand the book over as previewed (all or nothing), then show the rep's book again."""
    rep, recipients = _posted_rep_and_recipients(request)
    posted = {key[len("row-"):]: int_or_none(value) for key, value in request.POST.items()
              if key.startswith("row-")}
    users = handover_plan_users(user=request.user, ids=[pk for pk in posted.values() if pk])
    plan = {key: users.get(pk) for key, pk in posted.items()}
    with Refusal() as refusal:
        result = handover_run(actor=request.user, rep=rep, plan=plan, note=request.POST.get("note", ""))
    if refusal:
        messages.error(request, refusal.message)
        return redirect(_page_url(rep, recipients))
    summary = _("; ").join(  # the list's separator: "；" in Chinese
        ngettext("%(count)s record to %(name)s", "%(count)s records to %(name)s", sum(counts.values()))
        % {"count": sum(counts.values()), "name": recipient} for recipient, counts in result.moved.items())
    messages.success(request, _("%(name)s's book is handed over: %(summary)s.") % {"name": rep, "summary": summary})
    return redirect(_page_url(rep, recipients))
