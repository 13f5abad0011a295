"""API representations. Output serializers render; input serializers only parse."""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from backend.common.api import MAX_ID, UserRefSerializer
from backend.common.query_fields import check_in_calendar
from backend.documents.models import Classification, Document, DocumentKind, DocumentVersion
from backend.sharing.api import ShareSerializer


class VersionSerializer(serializers.ModelSerializer):
    status = serializers.CharField(source="effective_status", help_text="draft, approved, superseded or expired")
    filename = serializers.CharField(source="original_filename")
    uploaded_by = UserRefSerializer()
    approved_by = UserRefSerializer(allow_null=True)
    restored_from = serializers.SerializerMethodField()
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = DocumentVersion
        fields = [
            "number", "status", "filename", "mime_type", "size", "sha256", "comment",
            "uploaded_by", "created_at", "approved_by", "approved_at", "valid_until",
            "restored_from", "download_url",
        ]

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_restored_from(self, version: DocumentVersion) -> int | None:
        return version.restored_from.number if version.restored_from_id else None

    def get_download_url(self, version: DocumentVersion) -> str:
        return reverse("api-version-download", args=[version.document_id, version.number])


class CheckoutSerializer(serializers.Serializer):
    holder = UserRefSerializer()
    since = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()


class DocumentSerializer(serializers.ModelSerializer):
    owner = UserRefSerializer()
    department = serializers.CharField(source="department.name", allow_null=True, default=None)
    tags = serializers.SerializerMethodField()
    valid_version = VersionSerializer(allow_null=True)
    checkout = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()

    class Meta:
        model = Document
        fields = [
            "id", "url", "title", "kind", "classification", "description", "tags", "owner",
            "department", "created_at", "updated_at", "version_count", "valid_version", "checkout",
        ]

    def get_tags(self, document: Document) -> list[str]:
        return sorted(tag.name for tag in document.tags.all())

    @extend_schema_field(CheckoutSerializer(allow_null=True))
    def get_checkout(self, document: Document) -> dict | None:
        holder = document.lock_holder()
        if holder is None:
            return None
        return CheckoutSerializer(
            {"holder": holder, "since": document.checked_out_at, "expires_at": document.checkout_expires_at}
        ).data

    def get_url(self, document: Document) -> str:
        return reverse("api-document-detail", args=[document.pk])


class DocumentUpdateResultSerializer(DocumentSerializer):
    suspended_shares = serializers.SerializerMethodField(
        help_text="Shares suspended because the classification was raised to confidential or secret and whoever "
                  "vouches for them may not manage the document: their customers cannot open them until someone "
                  "who may manage it re-confirms (POST .../shares/{id}/reconfirm/) or revokes them"
    )

    class Meta(DocumentSerializer.Meta):
        fields = DocumentSerializer.Meta.fields + ["suspended_shares"]

    @extend_schema_field(ShareSerializer(many=True))
    def get_suspended_shares(self, document: Document) -> list[dict]:
        return ShareSerializer(self.context.get("suspended_shares", []), many=True).data


class TagListField(serializers.ListField):
    """Tags as a JSON list of strings, repeated form fields, or one comma-separated string.

    Anything else (an object, a number, a list of lists) is a 400 on `tags`, never a 500."""

    child = serializers.CharField(max_length=64)
    max_length = 50

    def to_internal_value(self, data):
        if isinstance(data, str):
            data = data.split(",")
        elif isinstance(data, (list, tuple)) and len(data) == 1 and isinstance(data[0], str) and "," in data[0]:
            data = data[0].split(",")
        if not isinstance(data, (list, tuple)) or not all(isinstance(item, str) for item in data):
            raise serializers.ValidationError("Send the tags as a list of strings or one comma-separated string.")
        return [tag.strip() for tag in super().to_internal_value(data) if tag.strip()]

    def get_value(self, dictionary):
        if hasattr(dictionary, "getlist") and self.field_name in dictionary:
            return dictionary.getlist(self.field_name)
        return super().get_value(dictionary)


class DocumentCreateInput(serializers.Serializer):
    title = serializers.CharField(max_length=300)
    kind = serializers.ChoiceField(choices=DocumentKind.choices, default=DocumentKind.OTHER)
    classification = serializers.ChoiceField(choices=Classification.choices, default=Classification.INTERNAL)
    description = serializers.CharField(required=False, allow_blank=True, default="", max_length=20_000)
    tags = TagListField(required=False, default=list)
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=5_000)
    file = serializers.FileField(required=False, help_text="multipart/form-data only")


class DocumentUpdateInput(serializers.Serializer):
    title = serializers.CharField(max_length=300, required=False)
    kind = serializers.ChoiceField(choices=DocumentKind.choices, required=False)
    classification = serializers.ChoiceField(choices=Classification.choices, required=False)
    description = serializers.CharField(required=False, allow_blank=True, max_length=20_000)
    tags = TagListField(required=False)


class VersionCreateInput(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=5_000)
    file = serializers.FileField(required=False, help_text="multipart/form-data only")


class ApproveInput(serializers.Serializer):
    valid_until = serializers.DateField(required=False, allow_null=True, default=None, validators=[check_in_calendar])


class CommentInput(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class LockBreakInput(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class PrincipalInput(serializers.Serializer):
    user = serializers.IntegerField(required=False, allow_null=True, default=None, min_value=1, max_value=MAX_ID)
    group = serializers.IntegerField(required=False, allow_null=True, default=None, min_value=1, max_value=MAX_ID)

    def validate(self, attrs):
        if (attrs.get("user") is None) == (attrs.get("group") is None):
            raise serializers.ValidationError("Give exactly one of user or group.")
        return attrs


class GrantInput(PrincipalInput):
    level = serializers.ChoiceField(choices=["view", "read", "download", "change", "manage"],
                                    help_text="view: metadata only; read: also the pages on screen, watermarked "
                                              "with the reader's name (never the file); download: the file; "
                                              "change; manage. Each includes the ones before it.")


class AccessMemberSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    label = serializers.CharField()


class ShareAccessSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="The share (see /api/documents/{id}/shares/)")
    downloadable = serializers.BooleanField(help_text="False: view-only (pages as images, the file is never sent)")
    version = serializers.IntegerField(allow_null=True,
                                       help_text="The pinned version's number; null: follows the valid version")
    expires_at = serializers.DateTimeField(allow_null=True)
    expired = serializers.BooleanField()
    suspended = serializers.BooleanField(help_text="Suspended when the document was raised to confidential or secret")
    suspended_at = serializers.DateTimeField(allow_null=True)
    suspended_reason = serializers.CharField()
    voucher = AccessMemberSerializer(help_text="Who vouches for the share: who re-confirmed it, else who created it")
    vouched = serializers.BooleanField(help_text="The voucher may still share the document")
    in_force = serializers.BooleanField(help_text="Its portal users can read the document through it now")


class AccessRuleSerializer(serializers.Serializer):
    principal_type = serializers.CharField(help_text="user, group, department, role, everyone or customer")
    principal_id = serializers.IntegerField(allow_null=True)
    principal_label = serializers.CharField()
    actions = serializers.ListField(child=serializers.CharField(),
                                    help_text="view, read, download, change, manage; empty for a share not in force")
    via = serializers.CharField(help_text="owner, grant, classification:public, department, role:admin, "
                                          "role:compliance, customer:owner-and-team, or share (a customer's "
                                          "portal users, through `share`)")
    members = AccessMemberSerializer(many=True, help_text="The people behind a group, team or share "
                                                          "(for a share: the contacts with an active portal account)")
    share = ShareAccessSerializer(allow_null=True, required=False, default=None)


class PresignedDownloadSerializer(serializers.Serializer):
    url = serializers.URLField()
    expires_at = serializers.DateTimeField()
