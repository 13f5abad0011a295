"""The handover of a leaving rep's book through the API: what they hold, and one call that moves it all.

    GET  /api/crm/handover/<rep_id>/   the book: every row with its key ("customer-12") and customer
    POST /api/crm/handover/<rep_id>/   {"to": 7} moves the whole book to one colleague; {"plan": {"customer-12":
                                       7, "quote-40": 9, ...}} names every row and its colleague (a split);
                                       optional "note". One transaction, audited per record; 409 when the
                                       plan no longer matches the book.

Administrators only (policy/handover.py); everyone else gets a 404, as for a rep they may not see.
"""

from __future__ import annotations

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.common.api import MAX_ID, UserRefSerializer, validated
from backend.common.errors import InvalidInput
from backend.crm.selectors.handover import handover_book, handover_plan_users, handover_rep_get
from backend.crm.services.handover import handover_run


class BookRowSerializer(serializers.Serializer):
    key = serializers.CharField()
    kind = serializers.CharField()
    id = serializers.IntegerField(source="pk")
    label = serializers.SerializerMethodField()
    customer = serializers.SerializerMethodField()

    def get_label(self, row) -> str:
        return row.customer.name if row.kind in ("customer", "team") else str(row.obj)

    def get_customer(self, row) -> dict:
        return {"id": row.customer.pk, "name": row.customer.name}


class BookSerializer(serializers.Serializer):
    rep = UserRefSerializer()
    rows = BookRowSerializer(many=True)


class HandoverInput(serializers.Serializer):
    to = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID,
                                  help_text="Everything to this colleague (instead of a plan).")
    plan = serializers.DictField(child=serializers.IntegerField(min_value=1, max_value=MAX_ID), required=False,
                                 help_text='Each row of the book ("customer-12") and the colleague it goes to.')
    note = serializers.CharField(required=False, allow_blank=True, max_length=300, default="")


class HandoverResultSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    moved = serializers.DictField(child=serializers.DictField(child=serializers.IntegerField()),
                                  help_text="Per colleague (username): how many of each kind they took over.")


@extend_schema(tags=["crm: handover"])
class HandoverView(APIView):
    @extend_schema(summary="What a rep holds that may be handed over", responses=BookSerializer)
    def get(self, request: Request, rep_id: int) -> Response:
        rep = handover_rep_get(user=request.user, rep_id=rep_id)
        book = handover_book(user=request.user, rep=rep)
        return Response(BookSerializer({"rep": rep, "rows": book.rows}).data)

    @extend_schema(summary="Hand a rep's book over, all to one colleague or split by a plan",
                   request=HandoverInput, responses=HandoverResultSerializer)
    def post(self, request: Request, rep_id: int) -> Response:
        rep = handover_rep_get(user=request.user, rep_id=rep_id)
        data = validated(HandoverInput, request.data)
        if ("to" in data) == ("plan" in data):
            raise InvalidInput("Give either to (everything to one colleague) or plan (each row's colleague).",
                               fields={"to": ["Give either to or plan."]})
        if "to" in data:
            ids = {row.key: data["to"] for row in handover_book(user=request.user, rep=rep).rows}
            if not ids:
                raise InvalidInput("Nothing to hand over.", fields={"to": ["Nothing to hand over."]})
        else:
            ids = data["plan"]
        users = handover_plan_users(user=request.user, ids=ids.values())
        missing = sorted({pk for pk in ids.values() if pk not in users})
        if missing:
            raise InvalidInput(f"No such user: {', '.join(map(str, missing))}.",
                               fields={"to" if "to" in data else "plan": ["No such user."]})
        result = handover_run(actor=request.user, rep=rep, plan={key: users[pk] for key, pk in ids.items()},
                              note=data["note"])
        return Response({"total": result.total,
                         "moved": {user.username: dict(counts) for user, counts in result.moved.items()}})


urlpatterns = [
    path("handover/<int:rep_id>/", HandoverView.as_view(), name="api-handover"),
]
