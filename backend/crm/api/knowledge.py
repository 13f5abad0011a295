"""Knowledge article endpoints."""

from __future__ import annotations

from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.common.api import UserRefSerializer, paged, validated
from backend.common.pagination import KeysetPagination
from backend.common.resolver import resolve
from backend.crm.api.refs import ProductRefSerializer
from backend.crm.models import ArticleStatus, ArticleVisibility, Product
from backend.crm.selectors.knowledge import article_get_visible, article_list_visible, article_versions
from backend.crm.services import knowledge as services


class RecentlyChangedPagination(KeysetPagination):
    ordering = ("-updated_at", "-id")


class ArticleSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    body = serializers.CharField()
    product = ProductRefSerializer(allow_null=True)
    visibility = serializers.CharField()
    status = serializers.CharField()
    source_service_record = serializers.IntegerField(source="source_service_record_id", allow_null=True)
    author = UserRefSerializer()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    published_at = serializers.DateTimeField(allow_null=True)


class ArticleInput(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    body = serializers.CharField()
    product = serializers.IntegerField(required=False, allow_null=True, default=None)
    visibility = serializers.ChoiceField(choices=ArticleVisibility.choices, default=ArticleVisibility.INTERNAL)


class ArticleUpdateInput(serializers.Serializer):
    title = serializers.CharField(max_length=200, required=False)
    body = serializers.CharField(required=False)
    product = serializers.IntegerField(required=False, allow_null=True)
    visibility = serializers.ChoiceField(choices=ArticleVisibility.choices, required=False)


def _product(pk):
    return resolve(Product, pk, field="product", label="product")


@extend_schema(tags=["crm: knowledge"])
class ArticleListCreateView(GenericAPIView):
    serializer_class = ArticleSerializer
    pagination_class = RecentlyChangedPagination

    @extend_schema(operation_id="crm_articles_list", summary="Knowledge articles you may read", parameters=[
        OpenApiParameter("status", str, enum=ArticleStatus.values),
        OpenApiParameter("visibility", str, enum=ArticleVisibility.values),
        OpenApiParameter("product", int), OpenApiParameter("q", str),
    ])
    def get(self, request: Request) -> Response:
        return paged(self, self.get_queryset())

    def get_queryset(self):  # also what DRF's browsable page asks for
        return article_list_visible(user=self.request.user, filters=self.request.query_params)

    @extend_schema(summary="Draft an article", request=ArticleInput, responses={201: ArticleSerializer})
    def post(self, request: Request) -> Response:
        data = validated(ArticleInput, request.data)
        article = services.article_create(actor=request.user, title=data["title"], body=data["body"],
                                          product=_product(data["product"]), visibility=data["visibility"])
        return Response(ArticleSerializer(article).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["crm: knowledge"])
class ArticleDetailView(APIView):
    @extend_schema(summary="An article", responses=ArticleSerializer)
    def get(self, request: Request, article_id: int) -> Response:
        article = article_get_visible(user=request.user, article_id=article_id)
        return Response(ArticleSerializer(article).data)

    @extend_schema(summary="Change an article", request=ArticleUpdateInput, responses=ArticleSerializer)
    def patch(self, request: Request, article_id: int) -> Response:
        article = article_get_visible(user=request.user, article_id=article_id)
        changes = dict(validated(ArticleUpdateInput, request.data))
        if "product" in changes:
            changes["product"] = _product(changes["product"])
        article = services.article_update(actor=request.user, article=article, **changes)
        return Response(ArticleSerializer(article_get_visible(user=request.user, article_id=article.pk)).data)


@extend_schema(tags=["crm: knowledge"])
class ArticlePublishView(APIView):
    @extend_schema(summary="Publish a draft", request=None, responses=ArticleSerializer)
    def post(self, request: Request, article_id: int) -> Response:
        article = article_get_visible(user=request.user, article_id=article_id)
        article = services.article_publish(actor=request.user, article=article)
        return Response(ArticleSerializer(article_get_visible(user=request.user, article_id=article.pk)).data)


@extend_schema(tags=["crm: knowledge"])
class ArticleReviewView(APIView):
    @extend_schema(summary="Send a draft (or a withdrawn article) for review", request=None,
                   responses=ArticleSerializer)
    def post(self, request: Request, article_id: int) -> Response:
        article = article_get_visible(user=request.user, article_id=article_id)
        article = services.article_review_request(actor=request.user, article=article)
        return Response(ArticleSerializer(article_get_visible(user=request.user, article_id=article.pk)).data)


@extend_schema(tags=["crm: knowledge"])
class ArticleWithdrawView(APIView):
    @extend_schema(summary="Withdraw a published article (out of the portal and search; it may be published again)",
                   request=None, responses=ArticleSerializer)
    def post(self, request: Request, article_id: int) -> Response:
        article = article_get_visible(user=request.user, article_id=article_id)
        article = services.article_withdraw(actor=request.user, article=article)
        return Response(ArticleSerializer(article_get_visible(user=request.user, article_id=article.pk)).data)


class ArticleVersionSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    title = serializers.CharField()
    body = serializers.CharField()
    author = UserRefSerializer()
    created_at = serializers.DateTimeField()


@extend_schema(tags=["crm: knowledge"])
class ArticleVersionsView(APIView):
    @extend_schema(summary="An article's saved texts, newest first", responses=ArticleVersionSerializer(many=True))
    def get(self, request: Request, article_id: int) -> Response:
        article = article_get_visible(user=request.user, article_id=article_id)
        return Response(ArticleVersionSerializer(article_versions(article=article), many=True).data)


urlpatterns = [
    path("articles/", ArticleListCreateView.as_view(), name="api-article-list"),
    path("articles/<int:article_id>/", ArticleDetailView.as_view(), name="api-article-detail"),
    path("articles/<int:article_id>/publish/", ArticlePublishView.as_view(), name="api-article-publish"),
    path("articles/<int:article_id>/review/", ArticleReviewView.as_view(), name="api-article-review"),
    path("articles/<int:article_id>/withdraw/", ArticleWithdrawView.as_view(), name="api-article-withdraw"),
    path("articles/<int:article_id>/versions/", ArticleVersionsView.as_view(), name="api-article-versions"),
]
