"""Small pieces every API module shares."""

from __future__ import annotations

from rest_framework import serializers


class UserRefSerializer(serializers.Serializer):
    """A person as the API shows them inside other records."""

    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField(source="__str__")


def validated(serializer_class, data) -> dict:
    """Parse input with an input serializer; DRF's ValidationError becomes a 400 with field messages."""
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data
