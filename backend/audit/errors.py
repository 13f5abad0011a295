"""Errors raised by the audit trail."""

from __future__ import annotations


class AuditImmutable(Exception):
    """An audit event was about to be changed or removed. The trail is append-only."""
