"""Domain errors as the person at the screen should read them: in their language, next to the field.

Shared by the staff interface and the customer portal. Services raise typed errors with English
messages (the API's contract). The pages show the same facts translated: the well-known cases have their own sentences here, field messages go
through gettext (the common ones are in the catalogue, see `service_messages.py`), and anything
else falls back to the service's own words.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.template.defaultfilters import filesizeformat
from django.utils import formats, timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from backend.common.errors import (
    BackendUnavailable,
    Conflict,
    DomainError,
    FileTooLarge,
    InvalidInput,
    LengthRequired,
    NotFound,
    SignInUnavailable,
    TooManyAttempts,
    UnsupportedFileType,
    VersionLocked,
)
from backend.documents.filetypes import describe_mime
from storage import errors as store_errors


def _when(iso: str | None) -> str:
    moment = parse_datetime(iso) if iso else None
    if moment is None:
        return ""
    return formats.date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT")


def lock_message(holder_name: str, since_iso: str | None) -> str:
    return _("Locked for editing by %(name)s (since %(since)s); nobody else can change it until it is unlocked.") % {
        "name": holder_name, "since": _when(since_iso)}


_GENERIC = {"The request is invalid.", "The filters are invalid.", "Some lines are invalid."}


def message_for(exc: Exception) -> str:
    """One translated sentence describing `exc`."""
    if isinstance(exc, VersionLocked):
        holder = exc.extra.get("holder") or {}
        return lock_message(holder.get("name") or holder.get("username") or "?", exc.extra.get("since"))
    if isinstance(exc, FileTooLarge):
        limit = exc.extra.get("limit_bytes")
        if limit:
            return _("The file is larger than the upload limit of %(limit)s.") % {"limit": filesizeformat(limit)}
        return _("The file is larger than the upload limit.")
    if isinstance(exc, UnsupportedFileType):
        detected = exc.extra.get("detected_type") or ""
        return _("Files of type %(type)s are not allowed. The type was detected from the content, "
                 "not the file name.") % {"type": describe_mime(detected) if detected else _("unknown")}
    if isinstance(exc, (store_errors.StoreUnavailable,)):
        return _("The document store is unavailable. Nothing was saved; please try again shortly.")
    if isinstance(exc, store_errors.ChecksumMismatch):
        return _("The uploaded content does not match its checksum. Nothing was saved.")
    if isinstance(exc, (store_errors.ObjectNotFound, store_errors.ObjectCorrupt)):
        return _("The stored content of this version cannot be served right now.")
    if isinstance(exc, store_errors.ObjectTooLarge):
        return _("The file is larger than the upload limit.")
    if isinstance(exc, SignInUnavailable):
        return _("Signing in is unavailable for a moment. Please try again shortly.")
    if isinstance(exc, TooManyAttempts):
        return _("Too many failed sign-ins. For your security the account is locked; "
                 "try again in %(minutes)s minutes.") % {"minutes": exc.extra.get("minutes", 15)}
    if isinstance(exc, LengthRequired):
        return _("The upload did not say how large it is; please try again.")
    if isinstance(exc, BackendUnavailable):
        return _("A service Dossier depends on is unavailable. Nothing was saved; please try again shortly.")
    if isinstance(exc, NotFound):
        return _("Not found.")
    if isinstance(exc, Conflict) and exc.code == "conflict":
        return _(exc.message)
    if isinstance(exc, InvalidInput):
        # The service's own sentence says what is wrong as a whole; when it is only a generic
        # "invalid", the field messages say more.
        fields = field_errors_for(exc)
        # (a search query's syntax error: its field message is the translatable sentence)
        if fields and (exc.message in _GENERIC or exc.message.endswith(" is invalid.") or exc.code == "invalid_query"):
            return " ".join(" ".join(messages) for messages in fields.values())
        return _(exc.message)
    if isinstance(exc, DomainError):
        return _(exc.message)
    return _("Something went wrong. Nothing was saved; please try again.")


def field_errors_for(exc: Exception) -> dict[str, list[str]]:
    """{field: [translated messages]} from an InvalidInput's `fields` (DRF or service shape)."""
    raw = getattr(exc, "extra", {}).get("fields") or {}
    out: dict[str, list[str]] = {}
    for name, messages in dict(raw).items():
        if isinstance(messages, (list, tuple)):
            out[str(name)] = [_(str(message)) for message in messages]
        else:
            out[str(name)] = [_(str(messages))]
    return out


# What a page action catches and shows as a message (anything else is a real bug: a 500).
SHOWN_ERRORS = (DomainError, store_errors.StoreError)


def show_on_form(form, error: Exception, *, worded: dict[str, str] | None = None) -> None:
    """A service's refusal on a Django form: each field's messages next to that field (or above the
    form when the form has no such field), else the refusal's sentence above the form. `worded` holds
    sentences a page words itself for some fields, in place of the service's."""
    fields = field_errors_for(error)
    worded = worded or {}
    for name, texts in fields.items():
        for text in [worded[name]] if name in worded else texts:
            form.add_error(name if name in form.fields else None, text)
    if not fields:
        form.add_error(None, message_for(error))


class Refusal:
    """Catches a service's refusal so that a page can show it; used as `with Refusal() as refusal:`.

    An error of SHOWN_ERRORS ends the block and is kept (`refusal` is then true); those in `passing`
    (NotFound: the page's 404) and anything else go on. `message`, `fields` and `status` say what to show.
    """

    def __init__(self, *, passing: tuple[type[Exception], ...] = (NotFound,)):
        self.passing = passing
        self.error: Exception | None = None

    def __enter__(self) -> Refusal:
        return self

    def __exit__(self, kind, error, traceback) -> bool:
        if error is None or not isinstance(error, SHOWN_ERRORS) or isinstance(error, self.passing):
            return False
        self.error = error
        return True

    def __bool__(self) -> bool:
        return self.error is not None

    @property
    def message(self) -> str:
        return message_for(self.error)

    @property
    def fields(self) -> dict[str, list[str]]:
        return field_errors_for(self.error)

    @property
    def status(self) -> int:
        return getattr(self.error, "status_code", 503)


def refused_page(request, error: Exception):
    """The page for a refusal nothing else caught (`staff_page`, `portal_reading`): the refusal in the
    reader's language with its own status (410 gone, 409 conflict, 503 store down ...), never a 500."""
    from django.template.response import TemplateResponse

    status = getattr(error, "status_code", None) or 503
    headings = {410: _("No longer available"), 409: _("This cannot be done now"), 413: _("The file is too large"),
                415: _("This type of file is not accepted"), 429: _("Too many attempts")}
    heading = headings.get(status) or (_("A service is unavailable") if status >= 500 else _("This cannot be done"))
    home = "/portal/" if request.path.startswith("/portal/") else "/"
    return TemplateResponse(request, "ui/refused.html",
                            {"heading": heading, "message": message_for(error), "home": home}, status=status)


def report_outcome(request, act: Callable[[], str]) -> Refusal:
    """Run `act` (a service call that returns the sentence to show when it succeeds) and show its
    sentence, or its refusal translated, as the next page's message. NotFound goes on (a 404)."""
    with Refusal() as refusal:
        text = act()
    if refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, text)
    return refusal
