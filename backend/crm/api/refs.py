"""Serializers the CRM API modules share: short references to related records, and money fields."""

from __future__ import annotations

from rest_framework import serializers

from backend.crm.api.opportunities import CustomerRefSerializer
from backend.crm.models import MONEY

__all__ = ["CustomerRefSerializer", "ProductRefSerializer", "money_field"]


def money_field(**kwargs) -> serializers.DecimalField:
    """A money amount, rendered as a decimal string (never a float)."""
    return serializers.DecimalField(max_digits=MONEY["max_digits"], decimal_places=MONEY["decimal_places"], **kwargs)


class ProductRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
