"""The knowledge base in the search engine: published articles, searchable in Chinese and English.

Articles live in their own collection beside the documents' index (same engine, same analysis,
same query language), one entry per published article. Each entry carries the tokens of who may
find it (backend.access.policy.view_principals_for_article): all staff, and for portal articles
every portal customer or only the customers it is addressed to. Queries filter on the caller's
tokens inside the engine, and the page is re-checked against the database, as for documents.

Writes reach the engine after their transaction commits. The knowledge base is small: when the
engine is down the change is logged and `manage.py search_reindex` (which rebuilds articles too)
or the next change to the article puts it right; readers fall back to browsing without search.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction

from backend.access.policy import user_principals, view_principals_for_article, visible
from indexing.engine import article_search_backend
from backend.common.metrics import SEARCH_LATENCY
from backend.crm.models import ArticleStatus, KnowledgeArticle
from indexing import highlight, query
from indexing.backends import IndexDoc, InvalidSearch, SearchRequest, SearchUnavailable

logger = logging.getLogger(__name__)

ARTICLE_KIND = "article"
PAGE_SIZE = 10


def article_index_doc(article: KnowledgeArticle, audience_ids: list[int]) -> IndexDoc:
    return IndexDoc(
        version_id=article.pk,
        document_id=article.pk,
        title=article.title,
        meta=article.product.name if article.product_id else "",
        body=article.body,
        kind=ARTICLE_KIND,
        classification=article.visibility,
        status="approved",
        is_valid=True,
        mime_type="text/plain",
        uploader_id=article.author_id,
        created_at=article.published_at or article.updated_at,
        principals=view_principals_for_article(article, audience_ids),
    )


def articles_sync(article_ids: Iterable[int]) -> int:
    """Write these articles to the engine (published ones) or take them out (drafts, deleted). Returns entries written."""
    ids = list(article_ids)
    articles = {a.pk: a for a in KnowledgeArticle.objects.filter(pk__in=ids).select_related("product")}
    audiences: dict[int, list[int]] = {}
    through = KnowledgeArticle.audience_customers.through.objects.filter(knowledgearticle_id__in=ids)
    for article_id, customer_id in through.values_list("knowledgearticle_id", "customer_id"):
        audiences.setdefault(article_id, []).append(customer_id)
    published = [a for a in articles.values() if a.status == ArticleStatus.PUBLISHED]
    backend = article_search_backend()
    gone = [pk for pk in ids if pk not in {a.pk for a in published}]
    if gone:
        backend.delete_documents(gone)
    if published:
        backend.replace_documents([a.pk for a in published],
                                  [article_index_doc(a, sorted(audiences.get(a.pk, []))) for a in published])
    return len(published)


def article_changed(*, article_id: int) -> None:
    """After the writing transaction commits, bring the article's entry up to date."""

    def sync() -> None:
        try:
            articles_sync([article_id])
        except SearchUnavailable:
            logger.warning("search engine unavailable: knowledge article %s waits for search_reindex", article_id)

    transaction.on_commit(sync)


def articles_reindex(*, batch: int = 500) -> int:
    """Rebuild the article collection from the database."""
    backend = article_search_backend()
    backend.clear()
    done = 0
    ids = list(KnowledgeArticle.objects.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), batch):
        done += articles_sync(ids[start:start + batch])
    return done


@dataclass
class ArticleHit:
    article: KnowledgeArticle
    title_html: str
    snippet: str | None


@dataclass
class ArticlePage:
    query: str
    total: int
    page: int
    results: list[ArticleHit]


@SEARCH_LATENCY.labels("articles").time()
def article_search(*, user, q: str, page: int = 1, page_size: int = PAGE_SIZE) -> ArticlePage:
    """Published articles `user` may read that match `q`, ranked, with snippets. 400 for a bad query."""
    try:
        parsed = query.parse(q)
    except query.QuerySyntaxError as exc:
        raise InvalidSearch(f"The search query is invalid: {exc}", fields={"q": [str(exc)]}) from None
    page = max(1, page)
    principals = tuple(user_principals(user))
    if not principals:
        return ArticlePage(query=q, total=0, page=page, results=[])
    result = article_search_backend().search(SearchRequest(
        query=parsed, principals=principals, offset=(page - 1) * page_size, limit=page_size,
    ))
    ids = [hit.document_id for hit in result.hits]
    allowed = {a.pk: a for a in visible(user, KnowledgeArticle.objects.filter(pk__in=ids)).select_related("product")}
    terms = parsed.highlight_terms if parsed is not None else ()
    rows = [
        ArticleHit(article=allowed[hit.document_id], snippet=hit.snippet,
                   title_html=highlight.highlight_all(allowed[hit.document_id].title, terms))
        for hit in result.hits
        if hit.document_id in allowed
    ]
    return ArticlePage(query=q, total=max(0, result.total - (len(result.hits) - len(rows))), page=page, results=rows)
