"""GET /api/search/: its input (query and filters) and its output (the page of hits, the facets)."""

from __future__ import annotations

import threading

from django.utils.functional import cached_property
from rest_framework import serializers
from rest_framework.utils.serializer_helpers import BindingDict

from backend.common.api import MAX_ID
from backend.common.query_fields import check_in_calendar
from backend.documents.models import Classification, DocumentKind, VersionStatus
from indexing import selectors

# Short names for the file-type filter; a full MIME type works too.
FILE_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "odp": "application/vnd.oasis.opendocument.presentation",
    "doc": "application/msword",
    "xls": "application/vnd.ms-excel",
    "ppt": "application/vnd.ms-powerpoint",
    "txt": "text/plain",
    "csv": "text/csv",
    "html": "text/html",
    "eml": "message/rfc822",
    "png": "image/png",
    "jpeg": "image/jpeg",
}


class CommaList(serializers.ListField):
    """A list from repeated parameters (?kind=a&kind=b) or one comma-separated value (?kind=a,b)."""

    def get_value(self, dictionary):
        if hasattr(dictionary, "getlist"):
            raw = dictionary.getlist(self.field_name)
            if not raw:
                return serializers.empty
            return [item.strip() for value in raw for item in value.split(",") if item.strip()]
        return super().get_value(dictionary)


class SearchQueryInput(serializers.Serializer):
    q = serializers.CharField(required=False, allow_blank=True, default="", max_length=1000, trim_whitespace=True)
    kind = CommaList(child=serializers.ChoiceField(choices=DocumentKind.choices), required=False, default=list)
    classification = CommaList(child=serializers.ChoiceField(choices=Classification.choices), required=False,
                               default=list)
    status = CommaList(child=serializers.ChoiceField(choices=VersionStatus.choices), required=False, default=list)
    file_type = CommaList(child=serializers.CharField(max_length=120), required=False, default=list)
    customer = CommaList(child=serializers.IntegerField(min_value=1, max_value=MAX_ID), required=False, default=list)
    opportunity = CommaList(child=serializers.IntegerField(min_value=1, max_value=MAX_ID), required=False, default=list)
    uploader = CommaList(child=serializers.IntegerField(min_value=1, max_value=MAX_ID), required=False, default=list)
    document = CommaList(child=serializers.IntegerField(min_value=1, max_value=MAX_ID), required=False, default=list)
    date_from = serializers.DateField(required=False, allow_null=True, default=None)
    date_to = serializers.DateField(required=False, allow_null=True, default=None)
    all_versions = serializers.BooleanField(required=False, default=False)
    sort = serializers.ChoiceField(choices=selectors.SORTS, required=False, default="relevance")
    page = serializers.IntegerField(required=False, min_value=1, max_value=10_000, default=1)
    page_size = serializers.IntegerField(required=False, min_value=1, max_value=selectors.MAX_PAGE_SIZE, default=20)
    facets = CommaList(child=serializers.CharField(), required=False, default=list)
    highlight = serializers.BooleanField(required=False, default=True)

    @cached_property
    def fields(self) -> BindingDict:
        """The declared fields, made once per thread and shared by every later instance on it.

        DRF deep-copies each declared field for every serializer instance (~0.7 ms of a search
        request: 26 fields, the choice lists copied with them). These fields keep nothing between two
        validations (no instance, no context, no partial updates; their defaults are callables or
        immutable), so one bound set per thread reads every request's parameters the same way.
        """
        fields = getattr(_SHARED_FIELDS, "fields", None)
        if fields is None:
            owner = SearchQueryInput()  # the fields' parent: an empty serializer, as DRF's copies have
            fields = BindingDict(owner)
            for name, field in owner.get_fields().items():
                fields[name] = field
            _SHARED_FIELDS.fields = fields
        return fields

    def validate_file_type(self, values):
        return [FILE_TYPES.get(value.lower(), value) if "/" not in value else value for value in values]

    def validate_facets(self, values):
        if any(value in ("all", "1", "true") for value in values):
            return list(selectors.FACETS)
        unknown = [value for value in values if value not in selectors.FACETS]
        if unknown:
            raise serializers.ValidationError(f"Unknown facet {unknown[0]!r}; choose from {', '.join(selectors.FACETS)}.")
        return values

    def validate_date_from(self, value):
        return _in_calendar(value)

    def validate_date_to(self, value):
        return _in_calendar(value)

    def validate(self, data):
        if data["date_from"] and data["date_to"] and data["date_from"] > data["date_to"]:
            raise serializers.ValidationError({"date_to": ["date_to is before date_from."]})
        return data


_SHARED_FIELDS = threading.local()  # SearchQueryInput.fields, per thread


def _in_calendar(value):
    from django.core.exceptions import ValidationError as DjangoValidationError

    try:
        return check_in_calendar(value)
    except DjangoValidationError as exc:
        raise serializers.ValidationError(exc.messages) from None


# --- output -----------------------------------------------------------------------------------


class _UserRef(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    name = serializers.CharField(source="__str__")


class SearchHitSerializer(serializers.Serializer):
    document_id = serializers.IntegerField(source="version.document_id")
    version_id = serializers.IntegerField(source="version.pk")
    version = serializers.IntegerField(source="version.number")
    title = serializers.CharField(source="version.document.title")
    title_highlighted = serializers.CharField(source="title_html", help_text="HTML: escaped, matches in <mark>")
    filename = serializers.CharField(source="version.original_filename")
    filename_highlighted = serializers.CharField(source="filename_html")
    snippet = serializers.CharField(allow_null=True, help_text="HTML: escaped text, matches in <mark>")
    ocr = serializers.BooleanField(help_text="Some of the version's text was recognised by OCR from a scan or image, "
                                             "so a match in it may come from a misread word")
    score = serializers.FloatField(help_text="BM25 relevance (0 when sorted by date)")
    kind = serializers.CharField(source="version.document.kind")
    classification = serializers.CharField(source="version.document.classification")
    status = serializers.CharField(source="version.effective_status")
    is_valid_version = serializers.SerializerMethodField()
    mime_type = serializers.CharField(source="version.mime_type")
    tags = serializers.SerializerMethodField()
    uploaded_by = _UserRef(source="version.uploaded_by")
    uploaded_at = serializers.DateTimeField(source="version.created_at")
    customers = serializers.SerializerMethodField()
    opportunity_ids = serializers.SerializerMethodField()
    amount = serializers.SerializerMethodField()

    def get_is_valid_version(self, row) -> bool:
        return row.version.document.valid_version_id == row.version.pk

    def get_tags(self, row) -> list[str]:
        return list(row.tags)

    def get_customers(self, row) -> list[dict]:
        ids = row.links.get("customer_ids", [])
        names = row.links.get("customer_names", [])
        return [{"id": cid, "name": name} for cid, name in zip(ids, names)]

    def get_opportunity_ids(self, row) -> list[int]:
        return list(row.links.get("opportunity_ids", []))

    def get_amount(self, row) -> dict | None:
        return row.links.get("amount")


class FacetBucketSerializer(serializers.Serializer):
    value = serializers.JSONField()
    label = serializers.CharField()
    count = serializers.IntegerField()


class SearchPageSerializer(serializers.Serializer):
    query = serializers.CharField()
    count = serializers.IntegerField(source="total", help_text="Matching versions you may view")
    page = serializers.IntegerField()
    page_size = serializers.IntegerField()
    results = SearchHitSerializer(many=True)
    facets = serializers.DictField(child=FacetBucketSerializer(many=True))


_DATETIME = serializers.DateTimeField()  # stateless: one instance renders every row


def render_page(page: selectors.SearchPage) -> dict:
    """The response body, shaped exactly as SearchPageSerializer documents it.

    Built by hand: DRF's serializers cost more than the search itself at 20 rows with facets.
    """
    results = []
    for row in page.results:
        version, document = row.version, row.version.document
        links = row.links
        results.append({
            "document_id": version.document_id,
            "version_id": version.pk,
            "version": version.number,
            "title": document.title,
            "title_highlighted": row.title_html,
            "filename": version.original_filename,
            "filename_highlighted": row.filename_html,
            "snippet": row.snippet,
            "ocr": row.ocr,
            "score": row.score,
            "kind": document.kind,
            "classification": document.classification,
            "status": version.effective_status,
            "is_valid_version": document.valid_version_id == version.pk,
            "mime_type": version.mime_type,
            "tags": list(row.tags),
            "uploaded_by": {"id": version.uploaded_by_id, "name": str(version.uploaded_by)},
            "uploaded_at": _DATETIME.to_representation(version.created_at),
            "customers": [{"id": cid, "name": name}
                          for cid, name in zip(links.get("customer_ids", []), links.get("customer_names", []))],
            "opportunity_ids": list(links.get("opportunity_ids", [])),
            "amount": links.get("amount"),
        })
    return {
        "query": page.query,
        "count": page.total,
        "page": page.page,
        "page_size": page.page_size,
        "results": results,
        "facets": page.facets,
    }
