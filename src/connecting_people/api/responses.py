"""Responses the API builds itself (so headers can be set and, for creates, the answer kept for an idempotency
key): JSON of a schema, with `Location`, `ETag` and no caching of personal data."""

import functools
import hashlib
import json
import re
from typing import Any
from urllib.parse import urlsplit

from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.urls import resolve
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
    """For a create: with an `Idempotency-Key` header, a retry of the same request (within a day) creates nothing
    again and answers the record the first one created, read afresh through its own address (`Location`), so the
    retry is scoped, scope-checked and audited like any read, and answers 404 if the record is no longer in reach.
    Only the status, the address and a hash of the request are kept, never the record. The same key with a
    different request is refused (422). The create and the kept answer are written in one transaction; of two
    requests with one key at the same moment, the second is answered as a retry."""

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
            return _replayed(request, kept, digest)
        try:
            with transaction.atomic():
                response = view(request, *args, **kwargs)
                if isinstance(response, HttpResponse) and 200 <= response.status_code < 300:
                    services.idempotent_answer_keep(
                        token=token,
                        key=key,
                        request_hash=digest,
                        status=response.status_code,
                        location=response.get("Location", ""),
                    )
        except IntegrityError:
            # Another request with this key was kept first (this one's create is rolled back with it).
            kept = selectors.idempotent_answer(token=token, key=key)
            if kept is None:
                raise
            return _replayed(request, kept, digest)
        return response

    return answer


def _replayed(request, kept, digest: str) -> HttpResponse:
    if kept.request_hash != digest:
        raise IdempotencyKeyReused()
    response = HttpResponse(status=kept.status)
    if kept.location:
        match = resolve(urlsplit(kept.location).path)
        request.method = "GET"
        response = match.func(request, *match.args, **match.kwargs)
        if response.status_code == 200:
            response.status_code = kept.status
            response["Location"] = kept.location
    response["Idempotent-Replayed"] = "true"
    return response


def atomic_writes(router) -> None:
    """Every operation of `router` that may write runs in one transaction with the answer it builds: an error
    anywhere in it (a second service refusing, building the answer failing) leaves nothing written, as the 500
    problem says. Reads are left alone."""
    for path_view in router.path_operations.values():
        for operation in path_view.operations:
            if set(operation.methods) - {"GET", "HEAD", "OPTIONS"} and not getattr(
                operation.view_func, "atomic_write", False
            ):
                operation.view_func = _atomic(operation.view_func)


def _atomic(view):
    @functools.wraps(view)
    def written(request, *args, **kwargs):
        with transaction.atomic():
            return view(request, *args, **kwargs)

    written.atomic_write = True  # type: ignore[attr-defined]
    return written
