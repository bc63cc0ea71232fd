"""Cursor pagination: a page of `items` and the URL of the `next` page (null on the last). The cursor is opaque to
clients (base64 of the last row's id); it stays right while rows are added, unlike page numbers."""

import base64
import binascii
from typing import Generic, TypeVar

from django.db.models import QuerySet
from ninja import Schema

from connecting_people.core.errors import ServiceError

T = TypeVar("T")

DEFAULT_LIMIT = 50
LARGEST_LIMIT = 200


class Page(Schema, Generic[T]):
    items: list[T]
    next: str | None = None


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"id:{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, _, value = text.partition(":")
        if kind != "id" or not value.isdigit():
            raise ValueError(cursor)
        return int(value)
    except (ValueError, binascii.Error, UnicodeDecodeError) as error:
        raise ServiceError(
            "That cursor is not one this API gave: follow the `next` link as it is",
            "cursor",
            code="bad_cursor",
        ) from error


def page_of(
    request,
    rows: QuerySet,
    *,
    cursor: str | None,
    limit: int,
    cursor_name: str = "cursor",
    limit_name: str = "limit",
) -> tuple[list, str | None]:
    """One page of `rows` by ascending id, after the cursor; and the next page's URL (its query names the cursor
    and the page size as `cursor_name` and `limit_name`: FHIR calls them `_cursor` and `_count`)."""
    if not 1 <= limit <= LARGEST_LIMIT:
        raise ServiceError(
            f"{limit_name} must be from 1 to {LARGEST_LIMIT}",
            limit_name,
            code="bad_limit",
            params={"limit": limit},
        )
    if cursor:
        rows = rows.filter(pk__gt=decode_cursor(cursor))
    found = list(rows.order_by("pk")[: limit + 1])
    items, more = found[:limit], len(found) > limit
    following = None
    if more:
        query = request.GET.copy()
        query[cursor_name] = encode_cursor(items[-1].pk)
        query[limit_name] = str(limit)
        following = request.build_absolute_uri(f"{request.path}?{query.urlencode()}")
    return items, following
