"""The knowledge base: published portal articles, searchable in Chinese and English."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils.translation import gettext as _

from backend.crm.selectors.knowledge import article_get_visible, article_list_visible
from backend.crm.services.knowledge import article_read, knowledge_searched
from indexing.articles import PAGE_SIZE, article_search
from indexing.backends import InvalidSearch, SearchUnavailable
from portal.pages import page_number, portal_reading


@portal_reading
def article_list(request):
    user = request.user
    q = request.GET.get("q", "").strip()[:200]
    page_no = page_number(request)
    context = {"section": "knowledge", "q": q, "results": None, "error": "", "status": 200}
    if q:
        try:
            found = article_search(user=user, q=q, page=page_no)
            context.update(results=found.results, total=found.total, page_no=page_no,
                           has_next=page_no * PAGE_SIZE < found.total)
            knowledge_searched(actor=user, q=q, total=found.total, page=page_no)
        except InvalidSearch as exc:
            context.update(error=_("The search could not be understood: %(reason)s") % {
                "reason": (exc.extra.get("fields") or {}).get("q", [exc.message])[0]}, status=400)
        except SearchUnavailable:
            context.update(error=_("Search is unavailable right now. You can still browse the articles below."),
                           status=503)
    if context["results"] is None:
        context["page"] = Paginator(article_list_visible(user=user), 20).get_page(page_no)
    return render(request, "portal/knowledge.html", context, status=context.pop("status"))


@portal_reading
def article_detail(request, article_id: int):
    article = article_get_visible(user=request.user, article_id=article_id)
    article_read(actor=request.user, article=article)
    return render(request, "portal/article.html", {"section": "knowledge", "article": article})
