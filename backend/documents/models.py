"""Documents and their immutable versions.

Invariants live here (fields, constraints); writes live in services.py.
A version's bytes live in the object store under a content-addressed key;
the row only points at them, so restoring an old version never copies bytes.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class DocumentKind(models.TextChoices):
    CONTRACT = "contract", _("Contract")
    BID = "bid", _("Bid / tender")
    QUOTE = "quote", _("Quote")
    PRODUCT_MATERIAL = "product_material", _("Product material")
    OTHER = "other", _("Other")


class Classification(models.TextChoices):
    PUBLIC = "public", _("Public")
    INTERNAL = "internal", _("Internal")
    CONFIDENTIAL = "confidential", _("Confidential")
    SECRET = "secret", _("Secret")


RESTRICTED_CLASSIFICATIONS = (Classification.CONFIDENTIAL, Classification.SECRET)


class VersionStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    APPROVED = "approved", _("Approved")
    SUPERSEDED = "superseded", _("Superseded")
    # Never stored: an approved version whose valid-until date has passed reads as expired.
    EXPIRED = "expired", _("Expired")


class Tag(models.Model):
    name = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Document(models.Model):
    title = models.CharField(_("title"), max_length=300)
    kind = models.CharField(max_length=32, choices=DocumentKind.choices, default=DocumentKind.OTHER)
    classification = models.CharField(
        max_length=16, choices=Classification.choices, default=Classification.INTERNAL
    )
    description = models.TextField(blank=True)
    tags = models.ManyToManyField(Tag, blank=True, related_name="documents")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="owned_documents"
    )
    # The owning department; internal documents are visible to its members.
    department = models.ForeignKey(
        "accounts.Department", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    # The one valid version: the approved one, or the newest while none is approved.
    valid_version = models.ForeignKey(
        "DocumentVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Highest version number handed out; numbers are gapless because they are
    # allocated under a row lock inside the transaction that inserts the version.
    version_count = models.PositiveIntegerField(default=0)
    checked_out_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    checked_out_at = models.DateTimeField(null=True, blank=True)
    checkout_expires_at = models.DateTimeField(null=True, blank=True)
    idempotency_key = models.CharField(max_length=128, null=True, blank=True)
    # sha256 of what the request with that key sent (content and metadata): a replay must match it.
    idempotency_fingerprint = models.CharField(max_length=64, blank=True, default="")
    # In the trash since then (backend/documents/trash.py): hidden from everyone by the access policy,
    # restorable by whoever could manage it until TRASH_RETENTION_DAYS have passed, then purged.
    trashed_at = models.DateTimeField(null=True, blank=True)
    trashed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [
            ("read_document", "Can read document pages on screen (watermarked), never the file"),
            ("download_document", "Can download document content"),
            ("manage_document", "Can manage document permissions"),
        ]
        indexes = [
            models.Index(fields=["-created_at", "-id"], name="doc_created_idx"),
            models.Index(fields=["classification", "department"], name="doc_class_dept_idx"),
            models.Index(fields=["owner", "-created_at"], name="doc_owner_idx"),
            models.Index(fields=["trashed_at"], condition=Q(trashed_at__isnull=False), name="doc_trashed_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="doc_owner_idempotency_uniq",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def lock_holder(self, *, now: dt.datetime | None = None):
        """The user holding an unexpired check-out, or None."""
        now = now or timezone.now()
        if self.checked_out_by_id and self.checkout_expires_at and self.checkout_expires_at > now:
            return self.checked_out_by
        return None


class StoredFile(models.Model):
    """A file whose bytes live in the object store under a content-addressed key: what a document
    version and a service attachment have in common (storage_fsck and storage_gc check these rows)."""

    object_key = models.CharField(max_length=200, db_index=True)
    sha256 = models.CharField(max_length=64)
    size = models.BigIntegerField()
    mime_type = models.CharField(max_length=120)
    original_filename = models.CharField(max_length=255)
    filename = models.CharField(max_length=255)

    class Meta:
        abstract = True


class DocumentVersion(StoredFile):
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    comment = models.TextField(blank=True)
    status = models.CharField(max_length=16, choices=VersionStatus.choices, default=VersionStatus.DRAFT)
    valid_until = models.DateField(null=True, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    restored_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    idempotency_key = models.CharField(max_length=128, null=True, blank=True)
    idempotency_fingerprint = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        ordering = ["document_id", "-number"]
        # "Is this file already here?" (the new-document page's duplicate check) looks versions up by content.
        indexes = [models.Index(fields=["sha256"], name="version_sha256_idx")]
        constraints = [
            models.UniqueConstraint(fields=["document", "number"], name="version_number_uniq"),
            models.UniqueConstraint(
                fields=["document", "uploaded_by", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="version_idempotency_uniq",
            ),
            models.CheckConstraint(condition=Q(number__gte=1), name="version_number_positive"),
            models.CheckConstraint(condition=Q(size__gte=0), name="version_size_non_negative"),
            models.CheckConstraint(
                condition=Q(status__in=["draft", "approved", "superseded"]),
                name="version_status_stored",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.document_id} v{self.number}"

    @property
    def effective_status(self) -> str:
        if (
            self.status == VersionStatus.APPROVED
            and self.valid_until is not None
            and self.valid_until < timezone.localdate()
        ):
            return VersionStatus.EXPIRED
        return self.status


# --- legal holds (backend/documents/holds.py writes these) ---------------------------------------------


class LegalHoldScope(models.TextChoices):
    DOCUMENT = "document", _("One document")
    CUSTOMER = "customer", _("Every document of a customer")
    MATTER = "matter", _("A named matter (a set of documents)")


class LegalHold(models.Model):
    """A hold placed by compliance: while it is active nothing it covers may be trashed, purged or lose a
    version, and the objects of what it covers are held on the store itself (S3 Object Lock legal hold).

    A document hold and a matter hold name their documents; a customer hold covers every document linked
    to the customer, those linked later included."""

    scope = models.CharField(_("scope"), max_length=16, choices=LegalHoldScope.choices)
    name = models.CharField(_("name"), max_length=200)
    reason = models.TextField(_("reason"))
    customer = models.ForeignKey(
        "crm.Customer", null=True, blank=True, on_delete=models.PROTECT, related_name="legal_holds"
    )
    documents = models.ManyToManyField(Document, blank=True, related_name="legal_holds")
    placed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    placed_at = models.DateTimeField(default=timezone.now)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    lifted_at = models.DateTimeField(null=True, blank=True)
    lift_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-placed_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(scope="customer", customer__isnull=False) | (~Q(scope="customer") & Q(customer__isnull=True)),
                name="legal_hold_customer_scope",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def active(self) -> bool:
        return self.lifted_at is None


class HeldObject(models.Model):
    """An object the store has been told to hold (set_legal_hold): the record holds.py reconciles with the
    objects active holds cover, and storage_fsck checks against the store."""

    object_key = models.CharField(max_length=200, unique=True)
    held_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.object_key


# --- retention and disposal review (backend/documents/retention.py writes these) ----------------------


class RetentionTrigger(models.TextChoices):
    """The event a retention period counts from."""

    ORDER_CLOSED = "order_closed", _("Its order is closed")
    OPPORTUNITY_LOST = "opportunity_lost", _("Its opportunity is lost")
    PRODUCT_RETIRED = "product_retired", _("Its product is retired")
    CREATED = "created", _("The document is created")


class RetentionUnit(models.TextChoices):
    DAYS = "days", _("days")
    MONTHS = "months", _("months")
    YEARS = "years", _("years")


class RetentionPolicy(models.Model):
    """How long documents of one kind (and classification; blank: any) are kept after a CRM event.

    One policy per kind and classification; a document follows the policy naming its classification,
    else the one for any classification of its kind. Documents no policy names are kept."""

    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=32, choices=DocumentKind.choices)
    classification = models.CharField(_("classification"), max_length=16, choices=Classification.choices, blank=True)
    trigger = models.CharField(_("counted from"), max_length=24, choices=RetentionTrigger.choices)
    period = models.PositiveIntegerField(_("period"))
    unit = models.CharField(_("unit"), max_length=8, choices=RetentionUnit.choices, default=RetentionUnit.YEARS)
    active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["kind", "classification", "id"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "classification"], name="retention_policy_scope_uniq"),
            models.CheckConstraint(condition=Q(period__gte=1), name="retention_policy_period_positive"),
        ]

    def __str__(self) -> str:
        return self.name

    def period_text(self) -> str:
        """"10 years", "1 day": the period in the reader's language."""
        from django.utils.translation import ngettext

        forms = {
            RetentionUnit.DAYS: lambda n: ngettext("%(n)s day", "%(n)s days", n),
            RetentionUnit.MONTHS: lambda n: ngettext("%(n)s month", "%(n)s months", n),
            RetentionUnit.YEARS: lambda n: ngettext("%(n)s year", "%(n)s years", n),
        }
        return forms[self.unit](self.period) % {"n": self.period}


class DisposalState(models.TextChoices):
    WAITING = "waiting", _("Waiting for its event")
    SCHEDULED = "scheduled", _("Scheduled")
    DUE = "due", _("Due for review")
    DISPOSED = "disposed", _("Disposed")


class DocumentRetention(models.Model):
    """A document's place in its retention policy: when it may be disposed of, and why; the review's
    decision. The row outlives the document it names (the disposal record: what, why, who approved)."""

    document = models.OneToOneField(
        Document, null=True, blank=True, on_delete=models.SET_NULL, related_name="retention"
    )
    # What the document was, kept for the record after it is disposed of.
    document_title = models.CharField(max_length=300)
    document_kind = models.CharField(max_length=32, choices=DocumentKind.choices)
    document_classification = models.CharField(max_length=16, choices=Classification.choices)
    policy = models.ForeignKey(RetentionPolicy, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # The product a piece of product material describes (kept while the product is active).
    product = models.ForeignKey("crm.Product", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    state = models.CharField(max_length=16, choices=DisposalState.choices, default=DisposalState.WAITING)
    # The event counted from: its date and what it was (an order number, an opportunity, a product).
    event_on = models.DateField(null=True, blank=True)
    event_label = models.CharField(max_length=300, blank=True)
    due_on = models.DateField(null=True, blank=True)
    extended_until = models.DateField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.CharField(max_length=300, blank=True)
    computed_at = models.DateTimeField(default=timezone.now)
    disposed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_on", "id"]
        indexes = [models.Index(fields=["state", "due_on"], name="retention_state_due_idx")]

    def __str__(self) -> str:
        return f"{self.document_title} ({self.state})"


class MarkPurpose(models.TextChoices):
    PREVIEW = "preview", _("Preview")
    SHARE_PAGE = "share-page", _("Portal share page")
    DOWNLOAD = "download", _("Download")


class ViewMark(models.Model):
    """A watermark handed to one viewer for one view or download (backend/documents/marks.py): its short
    code, drawn into the page or stamped into the file, finds this row and through it the audit event."""

    code = models.CharField(max_length=16, unique=True)
    # The audit event of the view or download the mark was made for (bound in the same transaction).
    # No constraint in the database: the trail is append-only, and a foreign key's trigger on it would make
    # PostgreSQL queue a check on every event ever removed (the tamper tests remove some on purpose).
    event = models.ForeignKey("audit.AuditEvent", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                              db_constraint=False)
    version = models.ForeignKey(DocumentVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # A staff user or a portal account's user (a purged version or removed user keeps the row: the labels stay).
    viewer = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    viewer_label = models.CharField(max_length=300)
    document_title = models.CharField(max_length=300, blank=True)
    purpose = models.CharField(max_length=16, choices=MarkPurpose.choices)
    address = models.GenericIPAddressField(null=True, blank=True)
    classification = models.CharField(max_length=16, choices=Classification.choices, blank=True)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created", "-id"]

    def __str__(self) -> str:
        return self.code
