"""Reads of knowledge articles."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Q, QuerySet

from backend.access.policy import Action, visible
from backend.common.errors import NotFound
from backend.common.query_fields import IdFilter, filtered
from backend.crm.models import ArticleStatus, ArticleVisibility, KnowledgeArticle


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
