"""The knowledge base on the staff side: search and browse, write in Markdown (previewed before saving), send
for review, publish, withdraw, choose who reads an article (staff only, every customer, chosen customers),
read every earlier version, and draft an article from a resolved service record.

Reading follows the policy (drafts: their author, the service desk and administrators; published: all
staff); the buttons show for whom the policy lets change the article, and the services check again and
audit every write. Markdown becomes HTML only through backend.ui.markdown (raw HTML off).
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from backend.access.policy import Action, can, is_active_staff
from backend.access.policy.crm import may_turn_service_into_knowledge
from backend.common.errors import NotFound
from backend.crm.models import ArticleStatus, ArticleVisibility, KnowledgeArticle
from backend.crm.selectors import knowledge as selectors
from backend.crm.selectors.customers import customer_list_visible
from backend.crm.selectors.products import product_get_visible
from backend.crm.selectors.service import service_record_get_visible
from backend.crm.services import knowledge as services
from backend.crm.services.service import service_record_to_article
from backend.documents.text_compare import compare_texts
from backend.ui.errors import Refusal, report_outcome, show_on_form
from backend.ui.markdown import markdown_html
from backend.web.pages import int_or_none, staff_page

PAGE_SIZE = 25
AUDIENCE_CUSTOMERS_MAX = 200


class ArticleForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    body = forms.CharField(
        label=gettext_lazy("Text"), widget=forms.Textarea(attrs={"rows": 16, "class": "mono"}),
        help_text=gettext_lazy("Markdown: ## heading, **bold**, *italic*, - list, 1. steps, `code`, "
                               "[link](https://…). HTML is shown as typed, never run."))


STATUS_FILTERS = (("", gettext_lazy("All states")),) + tuple(ArticleStatus.choices)
STEPS = ("review", "publish", "withdraw")


def _audience(article: KnowledgeArticle, chosen: list) -> str:
    if article.visibility == ArticleVisibility.INTERNAL:
        return services.AUDIENCE_INTERNAL
    return services.AUDIENCE_CHOSEN if chosen else services.AUDIENCE_ALL


@staff_page
@require_GET
def knowledge_list(request):
    user = request.user
    query = request.GET.get("q", "").strip()[:200]
    status = request.GET.get("status", "")
    if status not in ArticleStatus.values:
        status = ""
    articles = selectors.article_list_for_staff(user=user, q=query, status=status)
    page = Paginator(articles, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "web/knowledge.html", {
        "section": "knowledge",
        "page": page,
        "query": query,
        "status": status,
        "statuses": STATUS_FILTERS,
        "may_write": is_active_staff(user),
    })


def _product_from(request, form: forms.Form):
    """The product chosen with the picker (a visible product's id), or None; a bad id is a field error."""
    product_id = int_or_none(request.POST.get("product"))
    if not request.POST.get("product", "").strip():
        return None
    if product_id is None:
        form.add_error(None, _("No such product."))
        return None
    try:
        return product_get_visible(user=request.user, product_id=product_id)
    except NotFound:
        form.add_error(None, _("No such product."))
        return None


def _form_page(request, form, article=None, product=None, preview: str | None = None, status: int = 200):
    return render(request, "web/knowledge_form.html", {
        "section": "knowledge", "form": form, "article": article, "product": product,
        "preview": markdown_html(preview) if preview is not None else None,
    }, status=status)


@staff_page
@require_http_methods(["GET", "POST"])
def knowledge_new(request):
    if not is_active_staff(request.user):
        raise NotFound()
    if request.method == "GET":
        return _form_page(request, ArticleForm())
    form = ArticleForm(request.POST)
    valid = form.is_valid()
    product = _product_from(request, form)
    if not valid or form.errors:
        return _form_page(request, form, product=product, status=400)
    if "preview" in request.POST:
        return _form_page(request, form, product=product, preview=form.cleaned_data["body"])
    with Refusal() as refusal:
        article = services.article_create(actor=request.user, title=form.cleaned_data["title"],
                                          body=form.cleaned_data["body"], product=product)
    if refusal:
        show_on_form(form, refusal.error)
        return _form_page(request, form, product=product, status=refusal.status)
    messages.success(request, _("“%(title)s” is saved as a draft.") % {"title": article.title})
    return redirect("web:knowledge_article", article_id=article.pk)


@staff_page
@require_http_methods(["GET", "POST"])
def knowledge_edit(request, article_id: int):
    article = selectors.article_get_visible(user=request.user, article_id=article_id, action=Action.CHANGE)
    if request.method == "GET":
        return _form_page(request, ArticleForm(initial={"title": article.title, "body": article.body}), article,
                          product=article.product)
    form = ArticleForm(request.POST)
    valid = form.is_valid()
    product = _product_from(request, form)
    if not valid or form.errors:
        return _form_page(request, form, article, product=product, status=400)
    if "preview" in request.POST:
        return _form_page(request, form, article, product=product, preview=form.cleaned_data["body"])
    with Refusal() as refusal:
        article = services.article_update(actor=request.user, article=article, title=form.cleaned_data["title"],
                                          body=form.cleaned_data["body"], product=product)
    if refusal:
        show_on_form(form, refusal.error)
        return _form_page(request, form, article, product=product, status=refusal.status)
    messages.success(request, _("“%(title)s” is saved.") % {"title": article.title})
    return redirect("web:knowledge_article", article_id=article.pk)


@staff_page
@require_GET
def knowledge_article(request, article_id: int):
    user = request.user
    article = selectors.article_get_visible(user=user, article_id=article_id)
    chosen = list(article.audience_customers.order_by("name").only("id", "name")[:AUDIENCE_CUSTOMERS_MAX])
    versions = selectors.article_versions(article=article)
    may_change = can(user, Action.CHANGE, article)
    return render(request, "web/knowledge_article.html", {
        "section": "knowledge",
        "article": article,
        "body_html": markdown_html(article.body),
        "versions": versions,
        "chosen": chosen,
        "audience": _audience(article, chosen),
        "may_change": may_change,
        "may_review": may_change and article.status in (ArticleStatus.DRAFT, ArticleStatus.WITHDRAWN),
        "may_publish": may_change and article.status in services.PUBLISHABLE,
        "may_withdraw": may_change and article.status == ArticleStatus.PUBLISHED,
    })


@staff_page
@require_GET
def knowledge_version(request, article_id: int, number: int):
    article = selectors.article_get_visible(user=request.user, article_id=article_id)
    version = selectors.article_version_get(article=article, number=number)
    differs = (version.title, version.body) != (article.title, article.body)
    return render(request, "web/knowledge_version.html", {
        "section": "knowledge", "article": article, "version": version, "body_html": markdown_html(version.body),
        # what changed from this version to the current text, for a reviewer (the bounded diff of documents)
        "diff": compare_texts(version.body, article.body) if differs else None,
        "title_changed": version.title != article.title,
    })


@staff_page
@require_POST
def knowledge_step(request, article_id: int, step: str):
    if step not in STEPS:
        raise NotFound()
    article = selectors.article_get_visible(user=request.user, article_id=article_id)

    def act() -> str:
        if step == "review":
            services.article_review_request(actor=request.user, article=article)
            return _("“%(title)s” is waiting for review.") % {"title": article.title}
        if step == "publish":
            services.article_publish(actor=request.user, article=article)
            return _("“%(title)s” is published.") % {"title": article.title}
        services.article_withdraw(actor=request.user, article=article)
        return _("“%(title)s” is withdrawn; nobody outside the staff can read it now.") % {"title": article.title}

    report_outcome(request, act)
    return redirect("web:knowledge_article", article_id=article.pk)


@staff_page
@require_POST
def knowledge_audience(request, article_id: int):
    """Set who reads the article: `audience` (internal, all, chosen), the chosen customers kept ticked
    (`customers`) and one more added with the picker (`add_customer`)."""
    user = request.user
    article = selectors.article_get_visible(user=user, article_id=article_id)
    audience = request.POST.get("audience", "")
    wanted = {int(v) for v in request.POST.getlist("customers") if str(v).isdigit()}
    added = int_or_none(request.POST.get("add_customer"))
    if added:
        wanted.add(added)
    customers = list(customer_list_visible(user=user).filter(pk__in=wanted)) if wanted else []
    if added and added not in {c.pk for c in customers}:
        messages.error(request, _("No such customer."))
        return redirect("web:knowledge_article", article_id=article.pk)

    def act() -> str:
        services.article_audience_choose(actor=user, article=article, audience=audience, customers=customers)
        if audience == services.AUDIENCE_INTERNAL:
            return _("Only staff can read “%(title)s”.") % {"title": article.title}
        if audience == services.AUDIENCE_ALL:
            return _("Every customer can read “%(title)s” in the portal once it is published.") % {
                "title": article.title}
        return _("%(count)s chosen customers can read “%(title)s” in the portal once it is published.") % {
            "count": len(customers), "title": article.title}

    report_outcome(request, act)
    return redirect("web:knowledge_article", article_id=article.pk)


@staff_page
@require_POST
def knowledge_from_service(request, record_id: int):
    """"Turn this service record into an article": a draft with the record's problem and fix, opened to edit."""
    record = service_record_get_visible(user=request.user, record_id=record_id)
    if not may_turn_service_into_knowledge(request.user):
        raise NotFound()
    with Refusal() as refusal:
        article = service_record_to_article(actor=request.user, record=record)
    if refusal:
        messages.error(request, refusal.message)
        return redirect("web:service_record", record_id=record.pk)
    messages.success(request, _("A draft article was made from this service record; check it before publishing."))
    return redirect("web:knowledge_edit", article_id=article.pk)
