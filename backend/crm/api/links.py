"""Links between documents and CRM records, and a customer's documents."""

from __future__ import annotations

from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.access.policy import Action, visible
from backend.common.api import UserRefSerializer, query_text, validated
from backend.common.errors import NotFound
from backend.common.resolver import resolve
from backend.crm.models import Customer, DocumentLink, LinkTarget, Opportunity, Order, Quote, ServiceRecord
from backend.crm.selectors.customers import customer_get_visible
from backend.crm.selectors.links import customer_documents_visible, links_for_document_visible
from backend.crm.services import links as services
from backend.documents.api.serializers import DocumentSerializer
from backend.documents.models import DocumentKind
from backend.documents.services import document_get_for_action

_TARGET_MODELS = {
    LinkTarget.CUSTOMER: Customer,
    LinkTarget.OPPORTUNITY: Opportunity,
    LinkTarget.QUOTE: Quote,
    LinkTarget.ORDER: Order,
    LinkTarget.SERVICE_RECORD: ServiceRecord,
}


class LinkSerializer(serializers.ModelSerializer):
    customer = serializers.SerializerMethodField()
    target_id = serializers.SerializerMethodField()
    target_label = serializers.SerializerMethodField()
    created_by = UserRefSerializer()

    class Meta:
        model = DocumentLink
        fields = ["id", "document", "customer", "target_type", "target_id", "target_label", "created_by",
                  "created_at"]

    def get_customer(self, link) -> dict:
        return {"id": link.customer_id, "name": link.customer.name}

    def get_target_id(self, link) -> int:
        return link.target.pk

    def get_target_label(self, link) -> str:
        return str(link.target)


class LinkedDocumentSerializer(DocumentSerializer):
    links = serializers.SerializerMethodField()

    class Meta(DocumentSerializer.Meta):
        fields = DocumentSerializer.Meta.fields + ["links"]

    def get_links(self, document) -> list[dict]:
        return [
            {"target_type": link.target_type, "target_id": link.target.pk, "target_label": str(link.target)}
            for link in getattr(document, "customer_links", [])
        ]


class LinkInput(serializers.Serializer):
    document = serializers.IntegerField()
    target_type = serializers.ChoiceField(choices=LinkTarget.choices)
    target_id = serializers.IntegerField()


@extend_schema(tags=["crm: documents"])
class CustomerDocumentsView(APIView):
    @extend_schema(
        summary="Every document linked to the customer (directly or through its deals, quotes, orders and service "
                "records), grouped by kind",
        parameters=[OpenApiParameter("kind", str, enum=DocumentKind.values)],
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request: Request, customer_id: int) -> Response:
        customer = customer_get_visible(user=request.user, customer_id=customer_id)
        documents = customer_documents_visible(user=request.user, customer=customer,
                                               kind=query_text(request.query_params, "kind"))
        groups: dict[str, list] = {kind: [] for kind in DocumentKind.values}
        for row in LinkedDocumentSerializer(documents, many=True).data:
            groups[row["kind"]].append(row)
        return Response({"customer": {"id": customer.pk, "name": customer.name},
                         "groups": {kind: rows for kind, rows in groups.items() if rows}})


@extend_schema(tags=["crm: documents"])
class LinkCreateView(APIView):
    @extend_schema(summary="Link a document to a customer, opportunity, quote, order or service record",
                   request=LinkInput, responses={201: LinkSerializer})
    def post(self, request: Request) -> Response:
        data = validated(LinkInput, request.data)
        document = document_get_for_action(actor=request.user, document_id=data["document"])
        model = _TARGET_MODELS[data["target_type"]]
        target = resolve(visible(request.user, model.objects.all(), Action.VIEW), data["target_id"],
                         field="target_id", label="record")
        link = services.document_link_create(actor=request.user, document=document, target=target)
        return Response(LinkSerializer(link).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["crm: documents"])
class LinkDeleteView(APIView):
    @extend_schema(summary="Remove a link", responses={204: None})
    def delete(self, request: Request, link_id: int) -> Response:
        link = visible(request.user, DocumentLink.objects.select_related("document", "customer"),
                       Action.VIEW).filter(pk=link_id).first()
        if link is None:
            raise NotFound()
        services.document_link_delete(actor=request.user, link=link)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["crm: documents"])
class DocumentLinksView(APIView):
    @extend_schema(summary="The CRM records a document is linked to", responses=LinkSerializer(many=True))
    def get(self, request: Request, document_id: int) -> Response:
        document = document_get_for_action(actor=request.user, document_id=document_id)
        return Response(LinkSerializer(links_for_document_visible(user=request.user, document=document),
                                       many=True).data)


urlpatterns = [
    path("customers/<int:customer_id>/documents/", CustomerDocumentsView.as_view(), name="api-customer-documents"),
    path("links/", LinkCreateView.as_view(), name="api-link-create"),
    path("links/<int:link_id>/", LinkDeleteView.as_view(), name="api-link-delete"),
    path("documents/<int:document_id>/links/", DocumentLinksView.as_view(), name="api-document-links"),
]
