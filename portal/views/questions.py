"""'Ask my account manager': the form, and the answer that it was received and who will reply."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from backend.access.policy import portal_customer_id
from backend.crm.selectors.customers import customer_get_visible
from backend.crm.services.portal_questions import portal_question_ask
from backend.ui.errors import Refusal
from portal.forms import QuestionForm
from portal.pages import portal_page


def manager_name(user) -> str:
    return user.display_name or user.get_full_name() or user.username


@portal_page
@require_http_methods(["GET", "POST"])
def ask(request):
    customer = customer_get_visible(user=request.user, customer_id=portal_customer_id(request.user))
    form = QuestionForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            with Refusal() as refusal:
                asked = portal_question_ask(actor=request.user, subject=form.cleaned_data["subject"],
                                            message=form.cleaned_data["message"])
            if refusal:
                for field, problems in refusal.fields.items():
                    for problem in problems:
                        form.add_error(field if field in form.fields else None, problem)
                if not refusal.fields:
                    form.add_error(None, refusal.message)
            else:
                owner = asked.answered_by
                if owner.email:
                    received = _("Thank you: your question was received. %(name)s will answer you (%(email)s).") % {
                        "name": manager_name(owner), "email": owner.email}
                else:
                    received = _("Thank you: your question was received. %(name)s will answer you.") % {
                        "name": manager_name(owner)}
                messages.success(request, received)
                return redirect("portal:home")
    return render(request, "portal/ask.html", {"section": "home", "form": form, "manager": customer.owner,
                                               "manager_name": manager_name(customer.owner)}, status=status)
