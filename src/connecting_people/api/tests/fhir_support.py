"""FHIR test support: validating what we emit with the FHIR models (fhir.resources 8.3 ships R4B, the release
after R4; for the resources we emit R4B and R4 are the same), and where the shared FHIR fixtures are."""

import json
import os
from pathlib import Path

import pytest
from fhir.resources.R4B import get_fhir_model_class

FHIR_FIXTURES = Path(
    os.environ.get(
        "CONNECTING_PEOPLE_FHIR_FIXTURES",
        Path(__file__).resolve().parents[4] / ".." / "shared" / "fixtures" / "fhir",
    )
)
SDC_RESPONSE = FHIR_FIXTURES / "hl7-sdc" / "questionnaireresponse-sdc-profile-example-PHQ9.json"
PDS_PATIENT = FHIR_FIXTURES / "nhs-pds" / "Patient.json"

needs_fixtures = pytest.mark.skipif(
    not SDC_RESPONSE.exists() or not PDS_PATIENT.exists(),
    reason=f"the shared FHIR fixtures are not at {FHIR_FIXTURES} (set CONNECTING_PEOPLE_FHIR_FIXTURES to their folder)",
)

FHIR_JSON = "application/fhir+json"


def fixture(path: Path) -> dict:
    return json.loads(path.read_text())


def validate(resource: dict):
    """The resource parsed by its R4B model (raises on anything invalid); a Bundle's entries are each checked
    by their own model too."""
    model = get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    for entry in resource.get("entry", []) if resource["resourceType"] == "Bundle" else []:
        validate(entry["resource"])
    return model


def fhir_json(response) -> dict:
    """The body of a FHIR answer, after checking it is FHIR JSON and validates."""
    assert response["Content-Type"] == FHIR_JSON, response.content
    body = response.json()
    validate(body)
    return body
