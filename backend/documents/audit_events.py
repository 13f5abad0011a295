"""Audit event types of document shares (the portal's reads are recorded by the sharing services)."""

from backend.audit.events import register

register("document.share.created", "Staff shared a document with a customer's portal users.")
register("document.share.revoked", "Staff withdrew a document share from a customer.")
register("portal.share.viewed", "A portal user opened a shared document's page (refused when the share expired).")
register("portal.share.downloaded", "A portal user downloaded a shared document (refused for view-only shares).")
