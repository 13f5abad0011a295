"""Small pieces every API module shares."""

from __future__ import annotations

from rest_framework import serializers

from backend.common.errors import InvalidInput


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


def referenced(model, pk: int | None, *, field: str, label: str):
    """An object named by id in a request body, or a 400 on that field. Access is checked by the service."""
    if pk is None:
        return None
    found = model.objects.filter(pk=pk).first()
    if found is None:
        raise InvalidInput(f"No such {label}.", fields={field: [f"No such {label}."]})
    return found
