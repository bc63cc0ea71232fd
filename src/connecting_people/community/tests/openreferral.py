"""Where the shared Open Referral fixtures are (read in place, never copied), and a skip when they are not."""

import os
from pathlib import Path

import pytest

OPENREFERRAL = Path(
    os.environ.get(
        "CONNECTING_PEOPLE_OPENREFERRAL_FIXTURES",
        Path(__file__).resolve().parents[4] / ".." / "shared" / "fixtures" / "openreferral",
    )
)
HSDS = OPENREFERRAL / "hsds-3.0"
ORUK = OPENREFERRAL / "oruk-3.0"
DASHBOARD = OPENREFERRAL / "oruk-v1-dashboard-snapshot" / "V1_DashboardResponse.json"
SERVICE_ID = "ac148810-d857-441c-9679-408f346de14b"  # "Community Counselling", in every example
ORGANISATION_ID = "d9d5e0f5-d3ce-4f73-9a2f-4dd0ecc6c610"

needs_fixtures = pytest.mark.skipif(
    not (HSDS / "service_full.json").exists(),
    reason=f"the shared Open Referral fixtures are not at {OPENREFERRAL} "
    "(set CONNECTING_PEOPLE_OPENREFERRAL_FIXTURES to their folder)",
)


# --- the compiled schemas, for validating what we publish -----------------------------------------------------

SCHEMAS = OPENREFERRAL / "schemas"
PROFILES = ("hsds-3.0", "oruk-3.0")

needs_schemas = pytest.mark.skipif(
    not (SCHEMAS / "oruk-3.0" / "service.json").exists(),
    reason=f"the compiled Open Referral schemas are not at {SCHEMAS} "
    "(set CONNECTING_PEOPLE_OPENREFERRAL_FIXTURES to the folder holding schemas/)",
)


def strict(schema):
    """The schema with unknown fields disallowed: `additionalProperties: false` on every object that lists its
    properties, at every depth. (The compiled schemas allow unknown fields: none says additionalProperties.)"""
    if isinstance(schema, list):
        return [strict(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    made = {key: strict(value) for key, value in schema.items()}
    if isinstance(schema.get("properties"), dict):
        made["additionalProperties"] = False
    return made


def _format_checker():
    """jsonschema's checks (uuid, email, date ...) and, without its optional packages, our own for uri and
    date-time: an absolute address with a scheme and no spaces; an ISO 8601 date and time."""
    from datetime import datetime
    from urllib.parse import urlsplit

    from jsonschema import FormatChecker

    checker = FormatChecker()
    if "uri" not in checker.checkers:

        @checker.checks("uri", raises=ValueError)
        def _uri(value):
            if not isinstance(value, str):
                return True
            parts = urlsplit(value)
            return (
                bool(parts.scheme)
                and bool(parts.netloc or parts.path)
                and not any(c.isspace() for c in value)
            )

    if "date-time" not in checker.checkers:

        @checker.checks("date-time", raises=ValueError)
        def _date_time(value):
            return (
                not isinstance(value, str) or datetime.fromisoformat(value.replace("Z", "+00:00")) is not None
            )

    return checker


_VALIDATORS: dict = {}


def validator(profile: str, name: str, *, unknown_fields: bool):
    """A validator for one compiled schema (`name` like "service", "service_list", or "taxonomy_term" and
    "taxonomy", which the fixtures have only inside service.json) with or without unknown fields allowed."""
    import json

    from jsonschema import Draft202012Validator

    key = (profile, name, unknown_fields)
    if key not in _VALIDATORS:
        if name in ("taxonomy_term", "taxonomy"):
            service = json.loads((SCHEMAS / profile / "service.json").read_text(encoding="utf-8"))
            schema = service["properties"]["attributes"]["items"]["properties"]["taxonomy_term"]
            if name == "taxonomy":
                schema = schema["properties"]["taxonomy_detail"]
        else:
            schema = json.loads((SCHEMAS / profile / f"{name}.json").read_text(encoding="utf-8"))
        _VALIDATORS[key] = Draft202012Validator(
            schema if unknown_fields else strict(schema), format_checker=_format_checker()
        )
    return _VALIDATORS[key]


def problems(document, name: str, *, profiles=PROFILES) -> list[str]:
    """Every way `document` breaks the named schema, in each profile, with and without unknown fields
    allowed ([] when it validates against all of them). A profile without that schema is skipped."""
    found = []
    for profile in profiles:
        if name == "taxonomy" and profile == "oruk-3.0":
            continue  # ORUK's compiled service has no taxonomy_detail: no taxonomy schema to check against
        for unknown_fields in (True, False):
            for error in validator(profile, name, unknown_fields=unknown_fields).iter_errors(document):
                where = "/".join(str(part) for part in error.absolute_path)
                mode = "unknown allowed" if unknown_fields else "strict"
                found.append(f"{profile} {name} ({mode}) at /{where}: {error.message[:200]}")
    return found
