"""What the indexing pipeline remembers: per-version extraction state, the outbox, reindex runs.

The database, not the search engine, is the source of truth: extracted text lives here, so a
permission change or a full rebuild re-sends documents without reading a single file again.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class IndexStatus(models.TextChoices):
    PENDING = "pending", _("Pending")  # not yet extracted, or not yet written to the engine
    INDEXED = "indexed", _("Indexed")  # text extracted and the version is searchable
    FAILED = "failed", _("Failed")  # extraction failed (reason says why); metadata is still searchable
    UNSUPPORTED = "unsupported", _("Unsupported")  # no text extractor for this type; metadata searchable


class VersionIndexState(models.Model):
    """Extraction result and index status of one document version."""

    version = models.OneToOneField(
        "documents.DocumentVersion", primary_key=True, on_delete=models.CASCADE, related_name="index_state"
    )
    status = models.CharField(max_length=16, choices=IndexStatus.choices, default=IndexStatus.PENDING)
    reason = models.CharField(max_length=500, blank=True)
    extractor = models.CharField(max_length=40, blank=True)  # e.g. "pdf", "text:gb18030", "ocr", "pdf+ocr"
    # OCR (images, PDF pages without a text layer): pages recognised, pages that needed it (more when the
    # time budget ran out), and the recognised words' mean confidence (0-100; None without OCR)
    ocr_pages = models.PositiveIntegerField(default=0)
    ocr_pages_wanted = models.PositiveIntegerField(default=0)
    ocr_confidence = models.FloatField(null=True, blank=True)
    text = models.TextField(blank=True)
    text_truncated = models.BooleanField(default=False)
    extracted_at = models.DateTimeField(null=True, blank=True)
    indexed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["status"], name="idxstate_status_idx")]

    def __str__(self) -> str:
        return f"version {self.version_id}: {self.status}"

    @property
    def extracted(self) -> bool:
        return self.extracted_at is not None

    @property
    def by_ocr(self) -> bool:
        """Some of the text was recognised by OCR (the search page says so on a hit)."""
        return self.ocr_pages > 0


class SearchOutbox(models.Model):
    """A document whose index entries must be rewritten. Rows survive a dead search engine.

    Writers add a row after their transaction commits; the drain (after each write, and every
    minute from Celery beat) rewrites the documents and deletes the rows it handled.
    """

    document_id = models.BigIntegerField()
    reason = models.CharField(max_length=40)
    created_at = models.DateTimeField(default=timezone.now)
    available_at = models.DateTimeField(default=timezone.now)
    attempts = models.PositiveIntegerField(default=0)
    # Why the row waits: "engine" (search engine down), "store" (content unreadable), "lease" (being worked on).
    blocked_on = models.CharField(max_length=10, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["available_at", "id"], name="outbox_due_idx"),
            models.Index(fields=["document_id"], name="outbox_document_idx"),
        ]

    def __str__(self) -> str:
        return f"document {self.document_id} ({self.reason})"


class ReindexRun(models.Model):
    """A full rebuild; `last_document_id` is the checkpoint a resumed run continues after."""

    backend = models.CharField(max_length=300)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    last_document_id = models.BigIntegerField(default=0)
    documents_done = models.PositiveIntegerField(default=0)
    versions_done = models.PositiveIntegerField(default=0)
    total_documents = models.PositiveIntegerField(default=0)
    extract = models.BooleanField(default=False)
    # `search_reindex --ocr`: only documents with versions OCR may read (images, PDFs), extracted again
    ocr_only = models.BooleanField(default=False)

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        state = "finished" if self.finished_at else "in progress"
        return f"reindex {self.pk} ({state}, {self.documents_done}/{self.total_documents})"


class SavedSearch(models.Model):
    """A search a user saved under a name: the query and filters as the search page's URL parameters.
    Only its owner ever sees it (indexing.saved_searches)."""

    owner = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="saved_searches")
    name = models.CharField(max_length=100)
    params = models.CharField(max_length=2000)  # the search page's query string, without page=
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["owner", "name"], name="saved_search_name_per_owner")]

    def __str__(self) -> str:
        return self.name
