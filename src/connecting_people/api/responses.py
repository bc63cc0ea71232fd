"""Responses the API builds itself (so headers can be set and, for creates, the answer kept for an idempotency
key): JSON of a schema, with `Location`, `ETag` and no caching of personal data."""

import functools
import hashlib
import json
import re
from typing import Any

from django.db import transaction
from django.http import HttpResponse
from pydantic import BaseModel

from connecting_people.api import selectors, services
from connecting_people.api.preconditions import etag_of


def json_response(
    data: Any, *, status: int = 200, location: str = "", version: int | None = None
) -> HttpResponse:
    if isinstance(data, BaseModel):
        data = data.model_dump(mode="json")
    response = HttpResponse(json.dumps(data, default=str), status=status, content_type="application/json")
    if location:
        response["Location"] = location
    if version is not None:
        response["ETag"] = etag_of(version)
    return response


class IdempotencyKeyReused(Exception):
    pass


class BadIdempotencyKey(Exception):
    pass


_KEY = re.compile(r"^[\x21-\x7e]{1,200}$")


def idempotent(view):
    """For a create: with an `Idempotency-Key` header, the first answer is kept (a day) and given again to the
    same request sent again, so a retry creates nothing twice; the same key with a different request is refused
    (422). The create and the kept answer are written in one transaction."""

    @functools.wraps(view)
    def answer(request, *args, **kwargs):
        key = request.headers.get("Idempotency-Key")
        token = getattr(request, "api_token", None)
        if key is None or token is None:
            return view(request, *args, **kwargs)
        if not _KEY.match(key):
            raise BadIdempotencyKey()
        digest = hashlib.sha256(
            b"\n".join([request.method.encode(), request.path.encode(), request.body])
        ).hexdigest()
        kept = selectors.idempotent_answer(token=token, key=key)
        if kept is not None:
            if kept.request_hash != digest:
                raise IdempotencyKeyReused()
            response = HttpResponse(bytes(kept.body), status=kept.status, content_type=kept.content_type)
            if kept.location:
                response["Location"] = kept.location
            response["Idempotent-Replayed"] = "true"
            return response
        with transaction.atomic():
            response = view(request, *args, **kwargs)
            if isinstance(response, HttpResponse) and 200 <= response.status_code < 300:
                services.idempotent_answer_keep(
                    token=token,
                    key=key,
                    request_hash=digest,
                    status=response.status_code,
                    body=response.content,
                    content_type=response["Content-Type"],
                    location=response.get("Location", ""),
                )
        return response

    return answer
