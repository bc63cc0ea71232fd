"""`ETag` and `If-Match`: every record a client may change carries a version; its ETag is that version, and a
change must send it back in `If-Match`. A change without one is refused (428), one made from a stale copy is
refused (412): never silently applied over someone else's."""

import re

from django.http import HttpResponse


class PreconditionRequired(Exception):
    pass


class PreconditionFailed(Exception):
    def __init__(self, current: int):
        super().__init__("stale")
        self.current = current


def etag_of(version: int) -> str:
    return f'"v{version}"'


def with_etag(response: HttpResponse, version: int) -> HttpResponse:
    response["ETag"] = etag_of(version)
    return response


_TAG = re.compile(r'^(?:W/)?"v(\d{1,9})"$')


def expected_version(request, current: int | None = None) -> int:
    """The version the client last read, from `If-Match`. Raises PreconditionRequired when absent and
    PreconditionFailed when it is not the current version (`current`, when the caller knows it)."""
    header = request.headers.get("If-Match", "").strip()
    if not header:
        raise PreconditionRequired()
    if header == "*":  # "whatever is there now" is exactly what this check exists to refuse
        raise PreconditionRequired()
    match = _TAG.match(header)
    if match is None:
        raise PreconditionFailed(current or 0)
    version = int(match.group(1))
    if current is not None and version != current:
        raise PreconditionFailed(current)
    return version
