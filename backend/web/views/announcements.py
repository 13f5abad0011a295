"""Announcements to portal users: the list, a form to draft or publish one, publish and withdraw.

Everyone on the staff may read the list (the policy's rule); the form is there for those the policy
lets publish, and each announcement's buttons for those who may change it.
"""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from backend.access.policy import can_publish_announcements
from backend.common.errors import NotFound
from backend.crm.selectors.announcements import announcement_get_visible, announcement_list_visible
from backend.crm.selectors.customers import customer_list_visible
from backend.crm.services import announcements as services
from backend.ui.errors import Refusal, report_outcome
from backend.web.forms import AnnouncementForm
from backend.web.pages import staff_page
from backend.web.selectors import announcement_ids_changeable

ANNOUNCEMENTS_SHOWN = 100
# The customers offered in the form's list (by name); more than this and the list would not be usable anyway.
CUSTOMER_CHOICES = 500


def _customer_choices(user) -> list[tuple[int, str]]:
    return list(customer_list_visible(user=user).values_list("id", "name")[:CUSTOMER_CHOICES])


def _page(request, form: AnnouncementForm | None = None, status: int = 200):
    user = request.user
    may_publish = can_publish_announcements(user)
    announcements = list(announcement_list_visible(user=user)[:ANNOUNCEMENTS_SHOWN])
    if may_publish and form is None:
        form = AnnouncementForm(customers=_customer_choices(user))
    return render(request, "web/announcements.html", {
        "section": "announcements",
        "announcements": announcements,
        "changeable": announcement_ids_changeable(user=user, ids=[a.pk for a in announcements]),
        "can_publish": may_publish,
        "form": form if may_publish else None,
    }, status=status)


@staff_page
@require_GET
def announcement_list(request):
    return _page(request)


@staff_page
@require_POST
def announcement_create(request):
    user = request.user
    if not can_publish_announcements(user):
        raise NotFound()
    chosen = [int(v) for v in request.POST.getlist("customers") if str(v).isdigit()]
    customers = list(customer_list_visible(user=user).filter(pk__in=chosen)) if chosen else []
    form = AnnouncementForm(request.POST, customers=[(c.pk, c.name) for c in customers])
    if not form.is_valid():
        form.fields["customers"].choices = _customer_choices(user)
        return _page(request, form=form, status=400)
    data = form.cleaned_data
    with Refusal() as refusal:
        announcement = services.announcement_create(
            actor=user, title=data["title"], body=data["body"],
            customers=customers if data["audience"] == "some" else None, publish=data["publish"])
    if refusal:
        messages.error(request, refusal.message)
        form.fields["customers"].choices = _customer_choices(user)
        return _page(request, form=form, status=getattr(refusal.error, "status_code", 400))
    if announcement.published_at:
        messages.success(request, _("“%(title)s” is published.") % {"title": announcement.title})
    else:
        messages.success(request, _("“%(title)s” is saved as a draft.") % {"title": announcement.title})
    return redirect("web:announcements")


ANNOUNCEMENT_STEPS = ("publish", "withdraw")


@staff_page
@require_POST
def announcement_step(request, announcement_id: int, step: str):
    if step not in ANNOUNCEMENT_STEPS:
        raise NotFound()
    announcement = announcement_get_visible(user=request.user, announcement_id=announcement_id)

    def act() -> str:
        if step == "publish":
            services.announcement_publish(actor=request.user, announcement=announcement)
            return _("“%(title)s” is published.") % {"title": announcement.title}
        services.announcement_withdraw(actor=request.user, announcement=announcement)
        return _("“%(title)s” is withdrawn; customers no longer see it.") % {"title": announcement.title}

    report_outcome(request, act)
    return redirect("web:announcements")
