"""Document API views: parse input, call one service or selector, render."""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.http import HttpResponse
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.access import services as access_services
from backend.access.policy import document_access_explanation
from backend.accounts.models import User
from backend.common.api import JSONParser, validated
from backend.common.errors import InvalidInput, NotFound
from backend.common.resolver import resolve
from backend.documents import selectors, services
from backend.documents.api import serializers as s
from backend.documents.api.uploads import upload_from_request
from backend.documents.download_response import (
    UNSATISFIABLE,
    head_response,
    not_modified,
    parse_range,
    range_not_satisfiable,
    stamped_head_response,
    streamed_download,
)
from backend.documents.filters import DocumentFilter
from backend.documents.stamping import stamp_required
from backend.sharing import shares as sharing

_UPLOAD_BODY = {
    "multipart/form-data": s.DocumentCreateInput,
    "application/octet-stream": {"type": "string", "format": "binary"},
}
_IDEMPOTENCY = OpenApiParameter(
    "Idempotency-Key", OpenApiTypes.STR, OpenApiParameter.HEADER,
    description="Retrying an upload with the same key creates exactly one version.",
)
_DIGEST = OpenApiParameter(
    "Content-Digest", OpenApiTypes.STR, OpenApiParameter.HEADER,
    description="Optional `sha-256=:BASE64:` of the file; a mismatch rejects the upload.",
)


def _idempotency_key(request: Request) -> str | None:
    key = request.headers.get("Idempotency-Key", "").strip()
    if len(key) > 128:
        raise InvalidInput("Idempotency-Key must be at most 128 characters.")
    return key or None


class UploadParsersMixin:
    # Raw-body uploads are read by upload_from_request, not by a DRF parser.
    parser_classes = [MultiPartParser, FormParser, JSONParser]


@extend_schema(tags=["documents"])
class DocumentListCreateView(UploadParsersMixin, generics.GenericAPIView):
    serializer_class = s.DocumentSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = DocumentFilter

    def get_queryset(self):
        return selectors.document_list_visible(user=self.request.user)

    @extend_schema(summary="Documents you may see, newest first (cursor-paginated)", operation_id="documents_list")
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        query = request.query_params.get("q", "").strip()
        if query:  # a title search discloses which documents match: an audited read
            filters = {name: value for name, value in request.query_params.items()
                       if name in DocumentFilter.base_filters and name != "q" and value}
            services.document_list_searched(actor=request.user, query=query, filters=filters,
                                            shown=[document.pk for document in page])
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        summary="Create a document by uploading its first file",
        request=_UPLOAD_BODY,
        parameters=[_IDEMPOTENCY, _DIGEST],
        responses={201: s.DocumentSerializer, 200: s.DocumentSerializer},
    )
    def post(self, request: Request) -> Response:
        upload, fields = upload_from_request(request)
        data = validated(s.DocumentCreateInput, fields)
        document, created = services.document_create(
            actor=request.user,
            title=data["title"],
            kind=data["kind"],
            classification=data["classification"],
            description=data["description"],
            tags=data["tags"],
            comment=data["comment"],
            upload=upload,
            idempotency_key=_idempotency_key(request),
        )
        document = selectors.document_list_visible(user=request.user).get(pk=document.pk)
        return Response(
            s.DocumentSerializer(document).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )


@extend_schema(tags=["documents"])
class DocumentDetailView(APIView):
    serializer_class = s.DocumentSerializer

    @extend_schema(summary="A document's metadata (an audited read)")
    def get(self, request: Request, document_id: int) -> Response:
        document = services.document_view(actor=request.user, document_id=document_id)
        return Response(s.DocumentSerializer(document).data)

    @extend_schema(summary="Change metadata (raising the classification may suspend shares: listed in the answer)",
                   request=s.DocumentUpdateInput, responses=s.DocumentUpdateResultSerializer)
    def patch(self, request: Request, document_id: int) -> Response:
        document = services.document_get_for_action(actor=request.user, document_id=document_id)
        data = validated(s.DocumentUpdateInput, request.data)
        document = services.document_update(actor=request.user, document=document, **data)
        suspended = sharing.shares_suspended_for_document(user=request.user, document=document)
        return Response(s.DocumentUpdateResultSerializer(document, context={"suspended_shares": suspended}).data)

    @extend_schema(summary="Delete a document: it moves to the trash (restorable for TRASH_RETENTION_DAYS by "
                           "whoever could manage it, then purged); 409 under a legal hold", responses={204: None})
    def delete(self, request: Request, document_id: int) -> Response:
        from backend.documents.trash import document_trash

        document = services.document_get_for_action(actor=request.user, document_id=document_id)
        document_trash(actor=request.user, document=document)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["versions"])
class VersionListCreateView(UploadParsersMixin, APIView):
    serializer_class = s.VersionSerializer

    @extend_schema(summary="Every version, newest first", responses=s.VersionSerializer(many=True))
    def get(self, request: Request, document_id: int) -> Response:
        document = services.document_view(actor=request.user, document_id=document_id)
        versions = selectors.version_list_for_document(document=document)
        return Response(s.VersionSerializer(versions, many=True).data)

    @extend_schema(
        summary="Upload a new version",
        request={"multipart/form-data": s.VersionCreateInput,
                 "application/octet-stream": {"type": "string", "format": "binary"}},
        parameters=[_IDEMPOTENCY, _DIGEST],
        responses={201: s.VersionSerializer, 200: s.VersionSerializer},
    )
    def post(self, request: Request, document_id: int) -> Response:
        document = services.document_get_for_action(actor=request.user, document_id=document_id)
        upload, fields = upload_from_request(request)
        data = validated(s.VersionCreateInput, fields)
        version, created = services.document_version_create(
            actor=request.user,
            document=document,
            upload=upload,
            comment=data["comment"],
            idempotency_key=_idempotency_key(request),
        )
        return Response(
            s.VersionSerializer(version).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )


def _version_for(request: Request, document_id: int, number: int, *, audited_view: bool = False):
    if audited_view:
        document = services.document_view(actor=request.user, document_id=document_id)
    else:
        document = services.document_get_for_action(actor=request.user, document_id=document_id)
    return services.version_get(document=document, number=number)


@extend_schema(tags=["versions"])
class VersionDetailView(APIView):
    serializer_class = s.VersionSerializer

    @extend_schema(summary="One version")
    def get(self, request: Request, document_id: int, number: int) -> Response:
        version = _version_for(request, document_id, number, audited_view=True)
        return Response(s.VersionSerializer(version).data)


def _download_response(request: Request, version) -> HttpResponse:
    """The file, or an answer that sends none of it and so records no download: HEAD (headers only),
    416 (an unsatisfiable range) and 304 (If-None-Match names these very bytes).

    A classification stamped on download (backend.documents.stamping) is answered with a new stamped PDF,
    whole: Range and If-None-Match are not read, and `presign` falls back to that stream (a direct store
    URL would hand out the original)."""
    stamped = stamp_required(version)
    byte_range = None if stamped else parse_range(request.headers.get("Range", ""), version.size)
    if request.method == "HEAD":
        services.document_version_head(actor=request.user, version=version)
        if stamped:
            return stamped_head_response(version)
        return range_not_satisfiable(version.size) if byte_range == UNSATISFIABLE else head_response(version, byte_range)
    if request.query_params.get("presign") in ("1", "true") and not stamped:
        presigned = services.document_version_presign(actor=request.user, version=version)
        return Response(s.PresignedDownloadSerializer(presigned).data)
    if byte_range == UNSATISFIABLE:
        return range_not_satisfiable(version.size)
    if request.headers.get("If-None-Match") and not stamped:
        services.document_version_head(actor=request.user, version=version)
        unchanged = not_modified(request.headers["If-None-Match"], version)
        if unchanged is not None:
            return unchanged
    download = services.document_version_download(actor=request.user, version=version, byte_range=byte_range)
    return streamed_download(download)


_DOWNLOAD_SCHEMA = extend_schema(
    tags=["versions"],
    parameters=[
        OpenApiParameter("presign", OpenApiTypes.BOOL, description="S3 only: return a short-lived direct URL "
                         "(not for classifications stamped on download: their stamped PDF is streamed instead)"),
        OpenApiParameter("Range", OpenApiTypes.STR, OpenApiParameter.HEADER, description="bytes=START-END"),
    ],
    responses={
        # the file in its own type (the one detected at upload: application/pdf, image/png, ...)
        (200, "*/*"): OpenApiTypes.BINARY,
        (206, "*/*"): OpenApiTypes.BINARY,
        (200, "application/json"): s.PresignedDownloadSerializer,
        409: OpenApiResponse(description="A classification stamped on download, and this file cannot be stamped "
                                         "(read it on screen instead)"),
        416: OpenApiResponse(description="Range not satisfiable"),
    },
)


class VersionDownloadView(APIView):
    @_DOWNLOAD_SCHEMA
    def get(self, request: Request, document_id: int, number: int) -> HttpResponse:
        version = _version_for(request, document_id, number)
        return _download_response(request, version)


class ValidVersionDownloadView(APIView):
    @_DOWNLOAD_SCHEMA
    def get(self, request: Request, document_id: int) -> HttpResponse:
        document = services.document_get_for_action(actor=request.user, document_id=document_id)
        if document.valid_version_id is None:
            raise NotFound("This document has no valid version.")
        version = services.version_get(document=document, number=document.valid_version.number)
        return _download_response(request, version)


@extend_schema(tags=["versions"])
class VersionApproveView(APIView):
    @extend_schema(
        summary="Approve the newest draft version", request=s.ApproveInput,
        description="The version becomes the valid one and the previously approved one is superseded. Under "
                    "the four-eyes rule of the document's classification (DOCUMENT_FOUR_EYES_CLASSIFICATIONS) "
                    "the version's uploader may not approve it: 403 with code `four_eyes_required`.",
        responses={200: s.VersionSerializer,
                   403: OpenApiResponse(description="Four-eyes rule: another person must approve this version."),
                   409: OpenApiResponse(description="Not the newest draft, or checked out by someone else.")})
    def post(self, request: Request, document_id: int, number: int) -> Response:
        version = _version_for(request, document_id, number)
        data = validated(s.ApproveInput, request.data)
        version = services.document_version_approve(actor=request.user, version=version, **data)
        return Response(s.VersionSerializer(version).data)


@extend_schema(tags=["versions"])
class VersionRestoreView(APIView):
    @extend_schema(summary="Restore an old version as a new draft", request=s.CommentInput,
                   responses={201: s.VersionSerializer})
    def post(self, request: Request, document_id: int, number: int) -> Response:
        version = _version_for(request, document_id, number)
        data = validated(s.CommentInput, request.data)
        new_version = services.document_version_restore(actor=request.user, version=version, **data)
        return Response(s.VersionSerializer(new_version).data, status=status.HTTP_201_CREATED)


def _checkout_step(request: Request, document_id: int, action, input_class=None) -> Response:
    """One check-out step on a document `request.user` may act on (a 404 otherwise), with the body's fields
    when `input_class` names some; the document as the step leaves it."""
    document = services.document_get_for_action(actor=request.user, document_id=document_id)
    data = validated(input_class, request.data) if input_class else {}
    return Response(s.DocumentSerializer(action(actor=request.user, document=document, **data)).data)


@extend_schema(tags=["check-out"])
class CheckoutView(APIView):
    @extend_schema(summary="Check out: nobody else can upload until check-in", request=None,
                   responses=s.DocumentSerializer)
    def post(self, request: Request, document_id: int) -> Response:
        return _checkout_step(request, document_id, services.document_checkout)


@extend_schema(tags=["check-out"])
class CheckinView(APIView):
    @extend_schema(summary="Check in", request=None, responses=s.DocumentSerializer)
    def post(self, request: Request, document_id: int) -> Response:
        return _checkout_step(request, document_id, services.document_checkin)


@extend_schema(tags=["check-out"])
class LockBreakView(APIView):
    @extend_schema(summary="Break someone else's check-out (manage access)", request=s.LockBreakInput,
                   responses=s.DocumentSerializer)
    def post(self, request: Request, document_id: int) -> Response:
        return _checkout_step(request, document_id, services.document_lock_break, s.LockBreakInput)


def _principal(data) -> dict:
    return {
        "user": resolve(User.objects.filter(is_active=True), data.get("user"), field="user", label="active user"),
        "group": resolve(Group, data.get("group"), field="group", label="group"),
    }


@extend_schema(tags=["permissions"])
class AccessView(APIView):
    @extend_schema(summary="Who can access this document, and through which grant or rule",
                   responses=s.AccessRuleSerializer(many=True))
    def get(self, request: Request, document_id: int) -> Response:
        rules = access_services.document_access_list(actor=request.user, document_id=document_id)
        return Response(s.AccessRuleSerializer(rules, many=True).data)


@extend_schema(tags=["permissions"])
class GrantView(APIView):
    @extend_schema(summary="Grant a user or group a level: view, read (pages on screen, watermarked), download, "
                           "change or manage",
                   request=s.GrantInput, responses=s.AccessRuleSerializer(many=True))
    def post(self, request: Request, document_id: int) -> Response:
        document = services.document_get_for_action(actor=request.user, document_id=document_id)
        data = validated(s.GrantInput, request.data)
        access_services.document_permission_grant(
            actor=request.user, document=document, level=data["level"], **_principal(data)
        )
        return Response(s.AccessRuleSerializer(document_access_explanation(document), many=True).data,
                        status=status.HTTP_201_CREATED)


@extend_schema(tags=["permissions"])
class RevokeView(APIView):
    @extend_schema(summary="Revoke every grant of a user or group", request=s.PrincipalInput,
                   responses=s.AccessRuleSerializer(many=True))
    def post(self, request: Request, document_id: int) -> Response:
        document = services.document_get_for_action(actor=request.user, document_id=document_id)
        data = validated(s.PrincipalInput, request.data)
        access_services.document_permission_revoke(actor=request.user, document=document, **_principal(data))
        return Response(s.AccessRuleSerializer(document_access_explanation(document), many=True).data)
