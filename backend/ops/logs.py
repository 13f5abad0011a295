"""JSON log lines (opt-in: DOSSIER_LOG_FORMAT=json), each carrying the request id of the request
that logged it, so one request can be followed through the web process's log."""

from __future__ import annotations

import logging

from pythonjsonlogger.json import JsonFormatter

from backend.audit.context import current_request_context


class RequestIdFilter(logging.Filter):
    """Adds `request_id` (empty outside a request) to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = current_request_context().request_id or ""
        return True


class DossierJsonFormatter(JsonFormatter):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("rename_fields", {"levelname": "level", "name": "logger"})
        kwargs.setdefault("timestamp", "time")  # ISO 8601, UTC
        super().__init__("%(levelname)s %(name)s %(message)s %(request_id)s", *args, **kwargs)
