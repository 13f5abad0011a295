"""Guardian's direct foreign-key permission tables for documents.

Direct FKs (instead of guardian's generic text `object_pk`) let the access
policy filter lists with an indexed EXISTS subquery instead of per-row checks.
"""

from django.db import models
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase


class DocumentUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey("documents.Document", on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        indexes = [models.Index(fields=["content_object", "user"], name="doc_uperm_obj_user_idx")]


class DocumentGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey("documents.Document", on_delete=models.CASCADE)

    class Meta(GroupObjectPermissionBase.Meta):
        indexes = [models.Index(fields=["content_object", "group"], name="doc_gperm_obj_group_idx")]
