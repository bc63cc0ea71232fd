"""RFC 9457 problem documents: every error the API answers is one, with a stable `code` (from the domain error
that caused it) and, for invalid input, one entry per field in `errors`."""

import json
from typing import Any

from django.http import HttpResponse

from connecting_people.core.errors import (
    DomainError,
    NotAllowedError,
    NotFoundError,
    ProcessingRestrictedError,
    StaleRecordError,
)

PROBLEM_TYPE = "https://connecting-people.invalid/problems/"  # not fetched: a stable name for each code
PROBLEM_CONTENT_TYPE = "application/problem+json"

TITLES = {
    400: "Bad request",
    401: "Not signed in",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    406: "Not acceptable",
    409: "Conflict",
    412: "Precondition failed",
    415: "Unsupported media type",
    422: "Invalid input",
    428: "Precondition required",
    429: "Too many requests",
    500: "Server error",
}


def problem_body(
    status: int,
    code: str,
    detail: str,
    *,
    instance: str = "",
    errors: list[dict[str, Any]] | None = None,
    params: dict[str, Any] | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE + code,
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "code": code,
    }
    if instance:
        body["instance"] = instance
    if errors:
        body["errors"] = errors
    if params:
        body["params"] = params
    return body


def problem(
    request,
    status: int,
    code: str,
    detail: str,
    *,
    errors: list[dict[str, Any]] | None = None,
    params: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> HttpResponse:
    body = problem_body(
        status, code, detail, instance=request.path if request else "", errors=errors, params=params
    )
    response = HttpResponse(json.dumps(body, default=str), status=status, content_type=PROBLEM_CONTENT_TYPE)
    response["Cache-Control"] = "no-store"
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def pointer(location: tuple | list) -> str:
    """A JSON pointer to the field (`/body/given_name`) from a pydantic error's location."""
    parts = [str(part) for part in location if part not in ("payload",)]
    return "/" + "/".join(part.replace("~", "~0").replace("/", "~1") for part in parts)


def validation_errors(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Pydantic's (or ninja's) errors as ours: where, what, and a code."""
    found = []
    for error in errors:
        message = str(error.get("msg", "Invalid value"))
        if message.startswith("Value error, "):
            message = message[len("Value error, ") :]
        found.append(
            {
                "pointer": pointer(error.get("loc", ())),
                "detail": message,
                "code": error.get("type", "invalid"),
            }
        )
    return found


def status_of(error: DomainError, *, bad_request_codes: frozenset[str] = frozenset()) -> int:
    """The HTTP status for a domain error, the same for /api/v1 and /fhir/R4: not found or out of reach 404, a stale
    version 412, restricted processing 409, not allowed 403, any other refusal 422 (400 for `bad_request_codes`)."""
    if isinstance(error, NotFoundError):
        return 404
    if isinstance(error, StaleRecordError):
        return 412
    if isinstance(error, ProcessingRestrictedError):
        return 409
    if isinstance(error, NotAllowedError):
        return 403
    return 400 if error.code in bad_request_codes else 422
