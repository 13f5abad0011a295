"""Reads of knowledge articles."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import BooleanField, Case, Exists, OuterRef, Q, QuerySet, Value, When

from backend.access.policy import Action, visible
from backend.common.errors import NotFound
from backend.common.query_fields import IdFilter, filtered
from backend.crm.models import ArticleStatus, ArticleVersion, ArticleVisibility, KnowledgeArticle


class ArticleFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=ArticleStatus.choices)
    visibility = django_filters.ChoiceFilter(choices=ArticleVisibility.choices)
    product = IdFilter(field_name="product_id")
    q = django_filters.CharFilter(method="search", label="Title or body contains")

    class Meta:
        model = KnowledgeArticle
        fields = ["status", "visibility", "product", "q"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(title__icontains=value) | Q(body__icontains=value))


def article_list_visible(*, user, filters: dict[str, Any] | None = None) -> QuerySet[KnowledgeArticle]:
    """Articles `user` may read, most recently changed first."""
    queryset = visible(user, KnowledgeArticle.objects.all(), Action.VIEW)
    queryset = filtered(queryset, ArticleFilter, filters)
    return queryset.select_related("product", "author").order_by("-updated_at", "-id")


def article_get_visible(*, user, article_id: int, action: Action = Action.VIEW) -> KnowledgeArticle:
    article = (
        visible(user, KnowledgeArticle.objects.all(), action)
        .select_related("product", "author")
        .filter(pk=article_id)
        .first()
    )
    if article is None:
        raise NotFound()
    return article


def article_list_for_staff(*, user, q: str = "", status: str = "") -> QuerySet[KnowledgeArticle]:
    """The staff knowledge base: articles `user` may read in any state, newest change first. `q` finds words in
    the title or body of the current text or of any earlier version (`found_in_older`: only there)."""
    queryset = visible(user, KnowledgeArticle.objects.all(), Action.VIEW)
    if status in ArticleStatus.values:
        queryset = queryset.filter(status=status)
    if q:
        in_current = Q(title__icontains=q) | Q(body__icontains=q)
        older = ArticleVersion.objects.filter(article_id=OuterRef("pk")).filter(
            Q(title__icontains=q) | Q(body__icontains=q))
        queryset = queryset.annotate(in_older=Exists(older)).filter(in_current | Q(in_older=True)).annotate(
            found_in_older=Case(When(in_current, then=Value(False)), default=Value(True), output_field=BooleanField()))
    return queryset.select_related("product", "author").order_by("-updated_at", "-id")


def article_versions(*, article: KnowledgeArticle) -> list[ArticleVersion]:
    """The article's saved texts, newest first, with who saved them."""
    return list(article.versions.select_related("author").order_by("-number"))


def article_version_get(*, article: KnowledgeArticle, number: int) -> ArticleVersion:
    version = article.versions.select_related("author").filter(number=number).first()
    if version is None:
        raise NotFound()
    return version
