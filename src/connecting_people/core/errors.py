"""Errors a service raises for a caller to show the user: a web page shows `message`; an API returns problem JSON
from `code` and `params` (a stable, documented code such as "stale_record", and the values the message names); a
translation replaces the message by code. Services never raise Http404: `NotFoundError` says the same thing in
the domain's words, and the web layer answers it with the 404 page (core.middleware.DomainNotFoundMiddleware)."""

from typing import Any

from django.http import Http404


class ServiceError(Exception):
    """A user-caused problem: show `message` and change nothing. `code` names the problem for machines
    (lower_snake_case, stable once published); `params` holds the values the message was made from."""

    code: str = "invalid"

    def __init__(
        self,
        message: str,
        field: str | None = None,
        *,
        code: str | None = None,
        params: dict[str, Any] | None = None,
    ):
        super().__init__(message)
        self.message = message
        self.field = field
        if code is not None:
            self.code = code
        self.params = dict(params or {})


class NotFoundError(Http404):
    """No such object, or not one the actor may reach: the two are never told apart (no existence leak). Not a
    ServiceError (a page's `except ServiceError` must never turn it into a message on a form); a kind of Http404,
    so the web answers it with the 404 page and code expecting Http404 from a read still gets it."""

    code = "not_found"

    def __init__(
        self,
        message: str = "Not found",
        field: str | None = None,
        *,
        code: str | None = None,
        params: dict[str, Any] | None = None,
    ):
        super().__init__(message)
        self.message = message
        self.field = field
        if code is not None:
            self.code = code
        self.params = dict(params or {})


SAVED_BY_SOMEONE_ELSE = (
    "Someone else saved changes here while you were editing. Their changes have been kept. "
    "Check and make your changes again."
)


class StaleRecordError(ServiceError):
    """Someone else saved the record since this user opened it (its version moved on): nothing was saved."""

    code = "stale_record"

    def __init__(self, message: str = SAVED_BY_SOMEONE_ELSE, field: str | None = None):
        super().__init__(message, field)


class NotAllowedError(ServiceError):
    """The user may see the object but may not do this to it."""

    code = "not_allowed"


class ProcessingRestrictedError(ServiceError):
    """The person's data protection officer has restricted processing of their record: it is kept and can be
    read, but nothing new may be recorded for them (UK GDPR Article 18)."""

    code = "processing_restricted"

    def __init__(self, message: str | None = None):
        super().__init__(
            message
            or "Processing of this person's record is restricted, so nothing new can be recorded for them. "
            "You can still read the record. Ask your data protection officer if something must be recorded."
        )
