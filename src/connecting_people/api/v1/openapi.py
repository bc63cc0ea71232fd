"""The OpenAPI document says what every error looks like: each operation declares the RFC 9457 problem responses
it can give (`application/problem+json`, the `ProblemDetails` schema), so a client (and the property tests in
api/tests/test_openapi_properties.py) can tell a documented refusal from a broken server.

Added after ninja has built the document (`ProblemsInDocument.get_openapi_schema`), from what every operation
shares: a token (401), its scope and rate limit (403, 429), ids that may be out of reach (404), input that may
be invalid (422); a change with `If-Match` (412, 428); a create with an `Idempotency-Key` (400)."""

from copy import deepcopy
from typing import Any

from ninja import NinjaAPI

from connecting_people.api.problems import PROBLEM_CONTENT_TYPE, TITLES

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "ProblemDetails",
    "description": "An RFC 9457 problem document: what went wrong, with a stable `code`.",
    "type": "object",
    "required": ["type", "title", "status", "detail", "code"],
    "properties": {
        "type": {"type": "string", "description": "A URI naming the kind of problem (not fetched)"},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string", "description": "What went wrong, in words for a person"},
        "code": {"type": "string", "description": "A stable code for programs (`not_found`, `invalid`...)"},
        "instance": {"type": "string", "description": "The path the request was sent to"},
        "errors": {
            "type": "array",
            "description": "For invalid input: one entry per field",
            "items": {
                "type": "object",
                "required": ["pointer", "detail", "code"],
                "properties": {
                    "pointer": {
                        "type": "string",
                        "description": "A JSON pointer: /body/given_name, /query/limit",
                    },
                    "detail": {"type": "string"},
                    "code": {"type": "string"},
                },
            },
        },
        "params": {"type": "object", "description": "Values the detail names (a scope, the current ETag...)"},
    },
}

# Every operation: a token is needed (401), may lack the scope (403), may be past its rate limit (429); an id
# out of reach, or a list the role does not reach, is 404; input is checked (422).
ALWAYS = (401, 403, 404, 422, 429)
CHANGES = (
    400,
    409,
    412,
    428,
)  # PATCH: If-Match needed (428) and current (412); restricted (409); bad JSON (400)
CREATES = (400, 409)  # POST: a malformed Idempotency-Key or bad JSON (400); restricted records (409)

IF_MATCH = {
    "name": "If-Match",
    "in": "header",
    "required": False,
    "description": 'The ETag you last read (`"v3"`): a change without it is refused (428), one from a stale '
    "read too (412).",
    "schema": {"type": "string"},
}
IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "1 to 200 visible ASCII characters: the same request sent again with the same key creates "
    "nothing twice.",
    "schema": {"type": "string"},
}


def problem_response(status: int) -> dict[str, Any]:
    return {
        "description": TITLES.get(status, "Error"),
        "content": {PROBLEM_CONTENT_TYPE: {"schema": {"$ref": "#/components/schemas/ProblemDetails"}}},
    }


def with_problems(document: dict[str, Any]) -> dict[str, Any]:
    """The document with the ProblemDetails schema and each operation's problem responses (and the If-Match and
    Idempotency-Key headers of changes and creates) declared."""
    document = deepcopy(dict(document))
    document.setdefault("components", {}).setdefault("schemas", {})["ProblemDetails"] = PROBLEM_SCHEMA
    for item in document.get("paths", {}).values():
        for method, operation in item.items():
            if method not in {"get", "post", "patch", "put", "delete"} or not operation.get("security"):
                continue
            statuses = list(ALWAYS)
            if method in {"patch", "put"}:
                statuses += CHANGES
                _add_parameter(operation, IF_MATCH)
            if method == "post":
                statuses += CREATES
                _add_parameter(operation, IDEMPOTENCY_KEY)
            responses = operation.setdefault("responses", {})
            for status in sorted(statuses):
                # A problem replaces ninja's own declaration of the same status (its 422 is not ours).
                responses[str(status)] = problem_response(status)
    return document


def _add_parameter(operation: dict[str, Any], parameter: dict[str, Any]) -> None:
    parameters = operation.setdefault("parameters", [])
    if not any(each.get("name") == parameter["name"] and each.get("in") == "header" for each in parameters):
        parameters.append(dict(parameter))


class ProblemsInDocument(NinjaAPI):
    """A NinjaAPI whose OpenAPI document declares its problem responses (see the module docstring)."""

    def get_openapi_schema(self, *, path_prefix: str | None = None, path_params: dict | None = None):
        return with_problems(super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params))
