"""Staff endpoints for the customer portal: contacts' portal access, and announcements to customers.

Inviting, disabling and enabling a contact need the right to change its customer (the services
check it: policy.can_manage_portal_access); announcements are drafted and published by the roles
the policy allows (policy.can_publish_announcements). Anything a caller may not see or do is a 404.
"""

from __future__ import annotations

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.common.api import UserRefSerializer, paged, validated
from backend.common.pagination import KeysetPagination
from backend.common.resolver import resolve_all
from backend.crm.api.refs import CustomerRefSerializer
from backend.crm.selectors.announcements import announcement_get_visible, announcement_list_visible
from backend.crm.selectors.customers import customer_list_visible
from backend.crm.services import announcements as announcement_services
from backend.sharing import portal_accounts
from backend.sharing.selectors import portal_account_for_contact, portal_contact_get

# --- portal access of a customer's contacts -------------------------------------------------------


class PortalAccountSerializer(serializers.Serializer):
    contact = serializers.IntegerField(source="contact_id")
    customer = serializers.IntegerField(source="customer_id")
    email = serializers.EmailField(source="user.email")
    state = serializers.ChoiceField(choices=["invited", "active", "disabled"])
    invited_at = serializers.DateTimeField()
    invitation_expires_at = serializers.DateTimeField(
        allow_null=True, default=None, help_text="When the open invitation link expires (null: none is open)")
    activated_at = serializers.DateTimeField(allow_null=True)
    disabled_at = serializers.DateTimeField(allow_null=True)
    last_signin_at = serializers.DateTimeField(allow_null=True)


@extend_schema(tags=["crm: portal access"])
class PortalInviteView(APIView):
    @extend_schema(summary="Invite a contact to the portal (again): e-mails a single-use link that expires",
                   request=None, responses={201: PortalAccountSerializer})
    def post(self, request: Request, customer_id: int, contact_id: int) -> Response:
        contact = portal_contact_get(user=request.user, customer_id=customer_id, contact_id=contact_id)
        portal_accounts.portal_invite(actor=request.user, contact=contact)
        account = portal_account_for_contact(user=request.user, contact=contact)
        return Response(PortalAccountSerializer(account).data, status=status.HTTP_201_CREATED)


def _account_action(request: Request, customer_id: int, contact_id: int, action) -> Response:
    """Run one action on the contact's portal account; the account as it is afterwards."""
    contact = portal_contact_get(user=request.user, customer_id=customer_id, contact_id=contact_id)
    action(actor=request.user, account=portal_account_for_contact(user=request.user, contact=contact))
    return Response(PortalAccountSerializer(portal_account_for_contact(user=request.user, contact=contact)).data)


@extend_schema(tags=["crm: portal access"])
class PortalDisableView(APIView):
    @extend_schema(summary="Disable a contact's portal access at once (their sessions and tokens end)",
                   request=None, responses=PortalAccountSerializer)
    def post(self, request: Request, customer_id: int, contact_id: int) -> Response:
        return _account_action(request, customer_id, contact_id, portal_accounts.portal_account_disable)


@extend_schema(tags=["crm: portal access"])
class PortalEnableView(APIView):
    @extend_schema(summary="Enable a disabled contact again (one who never set a password needs a new invitation)",
                   request=None, responses=PortalAccountSerializer)
    def post(self, request: Request, customer_id: int, contact_id: int) -> Response:
        return _account_action(request, customer_id, contact_id, portal_accounts.portal_account_enable)


# --- announcements -----------------------------------------------------------------------------------


class AnnouncementSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    body = serializers.CharField()
    all_customers = serializers.BooleanField()
    customers = CustomerRefSerializer(many=True, source="customers.all")
    published = serializers.SerializerMethodField()
    published_at = serializers.DateTimeField(allow_null=True)
    created_by = UserRefSerializer()
    created_at = serializers.DateTimeField()

    def get_published(self, announcement) -> bool:
        return announcement.published_at is not None


class AnnouncementInput(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    body = serializers.CharField()
    customers = serializers.ListField(child=serializers.IntegerField(min_value=1), required=False, default=list,
                                      help_text="Address only these customers; empty or omitted: every customer")
    publish = serializers.BooleanField(required=False, default=False)


def _customers(user, ids: list[int]):
    """The customers named, each of which `user` must be able to see (a 400 otherwise)."""
    return resolve_all(customer_list_visible(user=user), ids, field="customers", label="customer")


def _fresh(user, announcement_id: int):
    return announcement_list_visible(user=user).get(pk=announcement_id)


def _announcement_action(request: Request, announcement_id: int, action) -> Response:
    """Run one action on an announcement `request.user` may see; the announcement as it is afterwards."""
    announcement = announcement_get_visible(user=request.user, announcement_id=announcement_id)
    action(actor=request.user, announcement=announcement)
    return Response(AnnouncementSerializer(_fresh(request.user, announcement.pk)).data)


@extend_schema(tags=["crm: announcements"])
class AnnouncementListCreateView(GenericAPIView):
    serializer_class = AnnouncementSerializer
    pagination_class = KeysetPagination  # newest first

    @extend_schema(operation_id="crm_announcements_list", summary="Announcements to portal users, newest first")
    def get(self, request: Request) -> Response:
        return paged(self, self.get_queryset())

    def get_queryset(self):  # also what DRF's browsable page asks for
        return announcement_list_visible(user=self.request.user)

    @extend_schema(summary="Draft (or publish at once) an announcement", request=AnnouncementInput,
                   responses={201: AnnouncementSerializer})
    def post(self, request: Request) -> Response:
        data = validated(AnnouncementInput, request.data)
        announcement = announcement_services.announcement_create(
            actor=request.user, title=data["title"], body=data["body"],
            customers=_customers(request.user, data["customers"]) if data["customers"] else None,
            publish=data["publish"],
        )
        return Response(AnnouncementSerializer(_fresh(request.user, announcement.pk)).data,
                        status=status.HTTP_201_CREATED)


@extend_schema(tags=["crm: announcements"])
class AnnouncementPublishView(APIView):
    @extend_schema(summary="Publish an announcement (portal users it addresses see it at once)", request=None,
                   responses=AnnouncementSerializer)
    def post(self, request: Request, announcement_id: int) -> Response:
        return _announcement_action(request, announcement_id, announcement_services.announcement_publish)


@extend_schema(tags=["crm: announcements"])
class AnnouncementWithdrawView(APIView):
    @extend_schema(summary="Withdraw a published announcement (back to a draft)", request=None,
                   responses=AnnouncementSerializer)
    def post(self, request: Request, announcement_id: int) -> Response:
        return _announcement_action(request, announcement_id, announcement_services.announcement_withdraw)


_CONTACT = "customers/<int:customer_id>/contacts/<int:contact_id>/"

urlpatterns = [
    path(_CONTACT + "portal-invite/", PortalInviteView.as_view(), name="api-contact-portal-invite"),
    path(_CONTACT + "portal-disable/", PortalDisableView.as_view(), name="api-contact-portal-disable"),
    path(_CONTACT + "portal-enable/", PortalEnableView.as_view(), name="api-contact-portal-enable"),
    path("announcements/", AnnouncementListCreateView.as_view(), name="api-announcement-list"),
    path("announcements/<int:announcement_id>/publish/", AnnouncementPublishView.as_view(),
         name="api-announcement-publish"),
    path("announcements/<int:announcement_id>/withdraw/", AnnouncementWithdrawView.as_view(),
         name="api-announcement-withdraw"),
]
