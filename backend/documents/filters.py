"""The one definition of how document lists are filtered (API query strings and UI forms)."""

import django_filters

from backend.common.query_fields import DateTimeFilter, IdFilter
from backend.documents.models import Classification, Document, DocumentKind


class DocumentFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=DocumentKind.choices)
    classification = django_filters.ChoiceFilter(choices=Classification.choices)
    owner = IdFilter(field_name="owner_id")
    checked_out_by = IdFilter(field_name="checked_out_by_id")
    tag = django_filters.CharFilter(field_name="tags__name")
    q = django_filters.CharFilter(field_name="title", lookup_expr="icontains", label="Title contains")
    created_after = DateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = DateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = Document
        fields = ["kind", "classification", "owner", "checked_out_by", "tag", "q"]
