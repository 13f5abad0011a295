"""Service requests: submit one (with photos), follow it, comment, rate it, complain about it."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from backend.access.policy import portal_can_follow_up, portal_customer_id
from backend.common.file_response import file_response
from backend.crm.selectors.orders import order_choices_visible, order_get_visible
from backend.crm.selectors.service import (
    article_suggestions,
    installed_products,
    service_record_get_visible,
    service_record_list_visible,
    service_record_thread,
)
from backend.crm.services import service_requests
from backend.crm.services.service import RATEABLE
from backend.documents.intake import UploadSource, upload_of_file
from backend.ui.errors import Refusal
from portal.forms import CommentForm, ComplaintForm, RatingForm, ServiceRequestForm
from portal.pages import page_number, portal_action, portal_page, portal_reading

REQUESTS_PER_PAGE = 25


def _uploads(files) -> list[UploadSource]:
    return [upload_of_file(file) for file in files]


def _show_errors(form, refusal: Refusal) -> int:
    """Put a service's refusal on the form (next to the field when it names one); the status to answer."""
    placed = False
    for field, problems in refusal.fields.items():
        if field in form.fields:
            for problem in problems:
                form.add_error(field, problem)
            placed = True
    if not placed:
        form.add_error("attachments" if "attachments" in form.fields and refusal.status in (413, 415) else None,
                       refusal.message)
    return refusal.status


def _installed(request):
    return installed_products(customer_id=portal_customer_id(request.user))


def _new_form(request, data=None, files=None, initial=None):
    products = _installed(request)
    orders = order_choices_visible(user=request.user)
    return ServiceRequestForm(data, files, products=products, orders=orders, initial=initial)


@portal_reading
def request_suggestions(request):
    """Knowledge articles the customer may read that match the title being typed (the form's script asks)."""
    articles = article_suggestions(user=request.user, title=request.GET.get("q", "")[:200])
    return JsonResponse({"results": [
        {"id": a.pk, "title": a.title, "url": reverse("portal:article", args=[a.pk])} for a in articles]})


@portal_reading
def request_list(request):
    records = service_record_list_visible(user=request.user)
    page = Paginator(records, REQUESTS_PER_PAGE).get_page(page_number(request))
    return render(request, "portal/service_list.html", {"section": "service", "page": page})


@portal_page
@require_http_methods(["GET", "POST"])
def request_new(request):
    form = _new_form(request, request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            product = _installed(request).filter(pk=data["product"]).first() if data["product"] else None
            order = order_get_visible(user=request.user, order_id=int(data["order"])) if data["order"] else None
            with Refusal() as refusal:
                record = service_requests.service_request_submit(
                    actor=request.user, type=data["type"], title=data["title"], description=data["description"],
                    product=product, order=order, attachments=_uploads(data["attachments"]),
                    urgency=data["urgency"] or None, preferred_visit_at=data["preferred_visit_at"])
            if refusal:
                status = _show_errors(form, refusal)
            else:
                messages.success(request, _("Thank you. Your request %(number)s has been received; our service "
                                            "team will be in touch.") % {"number": f"#{record.pk}"})
                return redirect("portal:service_request", record_id=record.pk)
    return render(request, "portal/service_new.html", {"section": "service", "form": form}, status=status)


def _detail(request, record, *, status=200, comment_form=None, rating_form=None, complaint_form=None):
    thread = service_record_thread(user=request.user, record=record)
    return render(request, "portal/service_detail.html", {
        "section": "service", "record": record, **thread,
        "comment_form": comment_form or CommentForm(),
        "rating_form": rating_form or RatingForm(initial={"satisfaction": record.satisfaction}),
        "complaint_form": complaint_form or ComplaintForm(),
        "rateable": record.dispatch_state in RATEABLE,
        "may_follow_up": portal_can_follow_up(request.user, record),
    }, status=status)


@portal_reading
def request_detail(request, record_id: int):
    record = service_record_get_visible(user=request.user, record_id=record_id)
    service_requests.service_request_viewed(actor=request.user, record=record)
    return _detail(request, record)


def _follow_up(request, record_id: int, *, form, slot: str, act):
    """A POSTed follow-up on one of the customer's requests: check the form, call the service, then
    show the request again (with the errors on the form) or go to the record the service names."""
    record = service_record_get_visible(user=request.user, record_id=record_id)
    if not form.is_valid():
        return _detail(request, record, status=400, **{slot: form})
    with Refusal() as refusal:
        message, target = act(record, form.cleaned_data)
    if refusal:
        return _detail(request, record, status=_show_errors(form, refusal), **{slot: form})
    messages.success(request, message)
    return redirect("portal:service_request", record_id=target.pk)


@portal_action
def request_comment(request, record_id: int):
    def act(record, data):
        service_requests.service_note_add(actor=request.user, record=record, body=data["body"],
                                          attachments=_uploads(data["attachments"]))
        return _("Your comment was added."), record

    return _follow_up(request, record_id, form=CommentForm(request.POST, request.FILES), slot="comment_form",
                      act=act)


@portal_action
def request_rate(request, record_id: int):
    def act(record, data):
        service_requests.service_request_rate(actor=request.user, record=record, satisfaction=data["satisfaction"])
        return _("Thank you for your rating."), record

    return _follow_up(request, record_id, form=RatingForm(request.POST), slot="rating_form", act=act)


@portal_action
def request_complaint(request, record_id: int):
    def act(record, data):
        complaint = service_requests.service_complaint_file(actor=request.user, record=record,
                                                            description=data["description"])
        return (_("Your complaint %(number)s has been filed; a manager will review it.")
                % {"number": f"#{complaint.pk}"}), complaint

    return _follow_up(request, record_id, form=ComplaintForm(request.POST), slot="complaint_form", act=act)


@portal_reading
def attachment(request, attachment_id: int):
    download = service_requests.service_attachment_download(actor=request.user, attachment_id=attachment_id)
    item = download.attachment
    inline = item.mime_type.startswith("image/") or item.mime_type == "application/pdf"
    return file_response(download.chunks, content_type=item.mime_type, filename=item.filename, length=item.size,
                         inline=inline)
