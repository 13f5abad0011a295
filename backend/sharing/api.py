"""Sharing a document with customers (staff side): list, create, revoke, re-confirm; and which customers opened it.

Who may share with whom is the service's decision (policy.can_share_document); a caller who may not
gets a 404, exactly as for a document they cannot see.
"""

from __future__ import annotations

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.common.api import UserRefSerializer, validated
from backend.common.errors import NotFound
from backend.common.query_fields import check_in_calendar
from backend.common.resolver import resolve
from backend.crm.api.refs import CustomerRefSerializer
from backend.crm.selectors.customers import customer_get_visible
from backend.documents import services
from backend.sharing import shares as sharing


class ShareSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    document = serializers.IntegerField(source="document_id")
    customer = CustomerRefSerializer()
    version = serializers.IntegerField(source="version.number", allow_null=True, default=None,
                                       help_text="The pinned version's number; null: follows the valid version")
    downloadable = serializers.BooleanField()
    offer_valid_version = serializers.BooleanField()
    note = serializers.CharField()
    expires_at = serializers.DateTimeField(allow_null=True)
    expired = serializers.SerializerMethodField()
    created_by = UserRefSerializer()
    created_at = serializers.DateTimeField()
    revoked_at = serializers.DateTimeField(allow_null=True)
    revoked_by = UserRefSerializer(allow_null=True)
    suspended_at = serializers.DateTimeField(
        allow_null=True, help_text="Set while the share is suspended: its portal users get a 404 until it is "
                                   "re-confirmed by someone who may manage the document")
    suspended_reason = serializers.CharField(
        help_text="Why it is suspended: 'reclassified' (the document was raised to confidential or secret); "
                  "empty when not suspended")
    confirmed_by = UserRefSerializer(allow_null=True, help_text="Who last re-confirmed the share")
    confirmed_at = serializers.DateTimeField(allow_null=True)
    vouched = serializers.BooleanField(
        required=False, help_text="Whoever vouches for the share (who re-confirmed it, else who created it) may "
                                  "still share the document under its current classification")
    standing = serializers.ChoiceField(
        choices=["active", "expired", "suspended", "not_vouched", "revoked"], required=False,
        help_text="active: portal users can open it; not_vouched: its voucher may no longer share the document "
                  "(re-confirm or revoke it)")

    def get_expired(self, share) -> bool:
        return share.is_expired()


class ShareOpeningSerializer(serializers.Serializer):
    customer_id = serializers.IntegerField(allow_null=True)
    customer_name = serializers.CharField()
    people = serializers.CharField()
    views = serializers.IntegerField()
    downloads = serializers.IntegerField()
    first_at = serializers.DateTimeField()
    last_at = serializers.DateTimeField()


class ShareListSerializer(serializers.Serializer):
    shares = ShareSerializer(many=True)
    opened = ShareOpeningSerializer(many=True)


class ShareInput(serializers.Serializer):
    customer = serializers.IntegerField(min_value=1)
    version = serializers.IntegerField(min_value=1, required=False, allow_null=True, default=None,
                                       help_text="Pin this version number; omit or null to follow the valid version")
    downloadable = serializers.BooleanField(required=False, default=True)
    offer_valid_version = serializers.BooleanField(required=False, default=True)
    expires_at = serializers.DateTimeField(required=False, allow_null=True, default=None,
                                           validators=[check_in_calendar])
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


def _customer(user, customer_id: int):
    """The customer named in the body, if `user` may see it (a 400 either way otherwise: ids reveal nothing)."""
    return resolve(lambda pk: customer_get_visible(user=user, customer_id=pk), customer_id, field="customer",
                   label="customer")


def _version(document, number: int | None):
    return resolve(lambda n: services.version_get(document=document, number=n), number, field="version",
                   label="version")


@extend_schema(tags=["sharing"])
class ShareListCreateView(APIView):
    @extend_schema(summary="The document's shares with customers (revoked ones last) and who opened them",
                   operation_id="document_shares_list", responses=ShareListSerializer)
    def get(self, request: Request, document_id: int) -> Response:
        document = services.document_get_for_action(actor=request.user, document_id=document_id)
        shares = list(sharing.shares_for_document(user=request.user, document=document))
        opened = sharing.share_opens_for_document(document=document)
        sharing.shares_listed(actor=request.user, document=document, shares=shares)
        return Response(ShareListSerializer({"shares": shares, "opened": opened}).data)

    @extend_schema(summary="Share the document with a customer's portal users", request=ShareInput,
                   responses={201: ShareSerializer})
    def post(self, request: Request, document_id: int) -> Response:
        document = services.document_get_for_action(actor=request.user, document_id=document_id)
        data = validated(ShareInput, request.data)
        share = sharing.document_share_create(
            actor=request.user, document=document, customer=_customer(request.user, data["customer"]),
            version=_version(document, data["version"]), downloadable=data["downloadable"],
            offer_valid_version=data["offer_valid_version"], expires_at=data["expires_at"], note=data["note"],
        )
        return Response(ShareSerializer(share).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["sharing"])
class ShareReconfirmView(APIView):
    @extend_schema(summary="Re-confirm a share (manage access): lifts a suspension; you vouch for the share from now on",
                   request=None, responses=ShareSerializer)
    def post(self, request: Request, document_id: int, share_id: int) -> Response:
        share = sharing.share_get_for_staff(user=request.user, share_id=share_id)
        if share.document_id != document_id:
            raise NotFound()
        sharing.document_share_reconfirm(actor=request.user, share=share)
        fresh = next(s for s in sharing.shares_for_document(user=request.user, document=share.document)
                     if s.pk == share.pk)
        return Response(ShareSerializer(fresh).data)


@extend_schema(tags=["sharing"])
class ShareRevokeView(APIView):
    @extend_schema(summary="Revoke a share: the customer loses access at once (the record stays)", request=None,
                   responses=ShareSerializer)
    def post(self, request: Request, document_id: int, share_id: int) -> Response:
        share = sharing.share_get_for_staff(user=request.user, share_id=share_id)
        if share.document_id != document_id:
            raise NotFound()
        share = sharing.document_share_revoke(actor=request.user, share=share)
        return Response(ShareSerializer(share).data)


urlpatterns = [
    path("documents/<int:document_id>/shares/", ShareListCreateView.as_view(), name="api-document-shares"),
    path("documents/<int:document_id>/shares/<int:share_id>/revoke/", ShareRevokeView.as_view(),
         name="api-document-share-revoke"),
    path("documents/<int:document_id>/shares/<int:share_id>/reconfirm/", ShareReconfirmView.as_view(),
         name="api-document-share-reconfirm"),
]
