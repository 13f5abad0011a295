"""GET /api/search/: full-text search over every version the caller may view. Parse, call, render."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from indexing import selectors
from indexing.api.serializers import SearchPageSerializer, SearchQueryInput, render_page
from indexing.backends import SearchFilters
from indexing.search import document_search


def _list_param(name: str, description: str, kind=OpenApiTypes.STR) -> OpenApiParameter:
    return OpenApiParameter(name, kind, many=True, explode=False, description=description)


@extend_schema(
    tags=["search"],
    summary="Search the full text of every version you may view",
    description=(
        "Ranked (BM25) over title, file name, tags, description, extracted text and linked customer names. "
        "Syntax: words are ANDed; `\"net 60\"` is a phrase; `OR`, `NOT`/`-word` and parentheses work. "
        "Chinese matches as substrings (数控机床 is found by 控机); full- and half-width forms and common "
        "traditional/simplified variants (報價/报价) are the same. Without `q` the filters browse, newest "
        "first. Only each document's valid version is searched unless `all_versions=1`. "
        "Errors: 400 for a query or filter that cannot be read, 503 when the search engine is down."
    ),
    parameters=[
        OpenApiParameter("q", OpenApiTypes.STR, description="The query; empty to browse with filters"),
        _list_param("kind", "contract, bid, quote, product_material, other"),
        _list_param("classification", "public, internal, confidential, secret"),
        _list_param("status", "draft, approved, superseded, expired (non-valid versions need all_versions=1)"),
        _list_param("file_type", "pdf, docx, xlsx, pptx, odt, txt, csv, eml, ... or a MIME type"),
        _list_param("customer", "Customer ids", OpenApiTypes.INT),
        _list_param("opportunity", "Opportunity ids", OpenApiTypes.INT),
        _list_param("uploader", "User ids of who uploaded the version", OpenApiTypes.INT),
        _list_param("document", "Only these document ids", OpenApiTypes.INT),
        OpenApiParameter("date_from", OpenApiTypes.DATE, description="Uploaded on or after (inclusive)"),
        OpenApiParameter("date_to", OpenApiTypes.DATE, description="Uploaded on or before (inclusive)"),
        OpenApiParameter("all_versions", OpenApiTypes.BOOL, description="Search every version, not only valid ones"),
        OpenApiParameter("sort", OpenApiTypes.STR, enum=list(selectors.SORTS),
                         description="relevance (default with a query), newest, oldest"),
        OpenApiParameter("page", OpenApiTypes.INT),
        OpenApiParameter("page_size", OpenApiTypes.INT, description=f"1-{selectors.MAX_PAGE_SIZE}, default 20"),
        _list_param("facets", f"Counts to return: {', '.join(selectors.FACETS)} (or all)"),
        OpenApiParameter("highlight", OpenApiTypes.BOOL, description="Snippets with <mark> (default true)"),
    ],
    responses={
        200: SearchPageSerializer,
        400: OpenApiResponse(description="The query or a filter cannot be read (the message says why)"),
        503: OpenApiResponse(description="The search engine is unavailable"),
    },
)
class SearchView(APIView):
    def get(self, request: Request) -> Response:
        serializer = SearchQueryInput(data=request.query_params)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        date_from, date_to = selectors.local_day_bounds(data["date_from"], data["date_to"])
        filters = SearchFilters(
            kinds=tuple(data["kind"]),
            classifications=tuple(data["classification"]),
            statuses=tuple(data["status"]),
            mime_types=tuple(data["file_type"]),
            customer_ids=tuple(data["customer"]),
            opportunity_ids=tuple(data["opportunity"]),
            uploader_ids=tuple(data["uploader"]),
            document_ids=tuple(data["document"]),
            date_from=date_from,
            date_to=date_to,
            all_versions=data["all_versions"],
        )
        page = document_search(  # recorded: query, filters and count, not the snippets
            actor=request.user,
            q=data["q"],
            filters=filters,
            sort=data["sort"],
            page=data["page"],
            page_size=data["page_size"],
            facets=tuple(data["facets"]),
            highlight_matches=data["highlight"],
        )
        return Response(render_page(page))
