"""Property tests of the whole API against its own OpenAPI document (schemathesis): for every operation, requests
generated from the document, sent with a practitioner's token (every scope) to the Django app, must never be a
server error, and every answer's status, content type and body must be ones the document declares (problem
responses included: v1/openapi.py). Bounded and derandomised, so a run is quick and the same every time."""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from connecting_people.api.models import ApiToken
from connecting_people.api.v1.api import api
from connecting_people.people.tests.factories import PersonFactory

from .conftest import make_token

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES = 25
METHODS = {"get", "post", "patch", "put", "delete"}
# Every operation of the document, read without a request (the document itself is fetched over WSGI below).
OPERATIONS = sorted(
    (method.upper(), path)
    for path, item in api.get_openapi_schema()["paths"].items()
    for method in item
    if method in METHODS
)


@pytest.fixture
def token(org):
    """A practitioner with people (and so records) of their own, and a token with every scope and no practical
    rate limit."""
    for _ in range(3):
        PersonFactory(team=org.team, allocated_worker=org.practitioner)
    PersonFactory(team=org.team, allocated_worker=org.colleague)
    secret = make_token(org.practitioner)
    ApiToken.objects.update(rate_limit=100_000)
    return secret


@pytest.fixture
def schema(db):
    """The document, fetched from the WSGI app. As Django's test client does, the app does not close the database
    connection after each request here: on PostgreSQL that would close the test's transaction."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def test_every_operation_is_tried():
    assert ("GET", "/api/v1/people") in OPERATIONS and ("PATCH", "/api/v1/people/{person_id}") in OPERATIONS
    assert len(OPERATIONS) >= 8


@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_the_api_keeps_to_its_document(method, path, schema, token):
    operation = schema[path][method]
    headers = {"Authorization": f"Bearer {token}"}

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def each(case):
        case.call_and_validate(headers=headers, checks=CHECKS)

    each()
