"""What a review of the API found, each pinned: no record kept for an idempotency key (a retry reads it afresh, in
reach), keys reusable after a day, a change may not remove what every record has or break the pages' date rules,
`If-Match: *` refused, programs' POSTs to the roots answered in the API's own formats, writes in one transaction."""

import inspect
from datetime import timedelta

import pytest
from django.utils import timezone

from connecting_people.api.models import IdempotencyRecord
from connecting_people.api.tests.test_people_api import new_person
from connecting_people.people.models import Person
from connecting_people.people.tests.factories import PersonFactory


@pytest.fixture
def mine(org):
    return PersonFactory(team=org.team, allocated_worker=org.practitioner)


def test_no_record_is_kept_for_an_idempotency_key_and_a_retry_out_of_reach_is_404(org, api_as):
    client = api_as(org.practitioner)
    key = {"Idempotency-Key": "ada-1"}
    first = client.post("/api/v1/people", new_person(org), headers=key)
    kept = IdempotencyRecord.objects.get()
    assert {field.name for field in IdempotencyRecord._meta.fields} == {
        "id",
        "token",
        "key",
        "request_hash",
        "status",
        "location",
        "created_at",
    }
    assert kept.location == first["Location"]
    Person.objects.filter(pk=first.json()["id"]).update(allocated_worker=org.colleague)
    again = client.post("/api/v1/people", new_person(org), headers=key)
    assert again.status_code == 404 and again["Idempotent-Replayed"] == "true"
    assert Person.objects.filter(family_name="Okafor").count() == 1


def test_a_key_can_be_used_again_after_a_day(org, api_as):
    client = api_as(org.practitioner)
    key = {"Idempotency-Key": "daily-import"}
    assert client.post("/api/v1/people", new_person(org), headers=key).status_code == 201
    IdempotencyRecord.objects.update(created_at=timezone.now() - timedelta(hours=25))
    second = client.post("/api/v1/people", new_person(org, nhs_number=None, given_name="Bo"), headers=key)
    assert second.status_code == 201 and "Idempotent-Replayed" not in second
    assert IdempotencyRecord.objects.count() == 1


@pytest.mark.parametrize(
    "change",
    [
        {"given_name": None},
        {"date_of_birth": None},
        {"given_name": "\u0001\u0002"},
        {"practice_consent": True, "practice_consent_on": None},
        {"date_of_birth": "2026-01-01", "practice_consent": None},
    ],
)
def test_a_change_cannot_break_what_the_pages_require(org, api_as, mine, change):
    client = api_as(org.practitioner)
    url = f"/api/v1/people/{mine.pk}"
    mine.opened_on = mine.date_of_birth.replace(year=2025)
    mine.save()
    response = client.patch(url, change, headers={"If-Match": f'"v{mine.version}"'})
    assert response.status_code == 422, response.content
    assert response["Content-Type"] == "application/problem+json"
    refreshed = Person.objects.get(pk=mine.pk)
    assert (refreshed.given_name, refreshed.date_of_birth, refreshed.version) == (
        mine.given_name,
        mine.date_of_birth,
        mine.version,
    )


def test_if_match_star_is_not_a_way_round_the_check(org, api_as, mine):
    response = api_as(org.practitioner).patch(
        f"/api/v1/people/{mine.pk}", {"preferred_name": "Jo"}, headers={"If-Match": "*"}
    )
    assert response.status_code == 428


def test_programs_posting_to_the_roots_get_the_apis_own_answers(db, api_as):
    client = api_as(None)
    api_root = client.post("/api/v1/", {})
    assert api_root.status_code == 405 and api_root["Content-Type"] == "application/problem+json"
    fhir_root = client.post("/fhir/R4/", {"resourceType": "Bundle", "type": "batch"})
    assert fhir_root.status_code == 405 and fhir_root["Content-Type"].startswith("application/fhir+json")
    unknown = client.post("/fhir/R4/Encounter", {"resourceType": "Encounter"})
    assert unknown.status_code == 404 and unknown.json()["resourceType"] == "OperationOutcome"
    assert client.get("/api/v1/")["Location"] == "/api/v1/docs"


def test_what_matters_written_with_only_the_write_scope_answers_200(org, api_as, mine):
    client = api_as(org.practitioner, scopes=["plans:write"])
    response = client.client.put(
        f"/api/v1/people/{mine.pk}/assessment",
        {"assessed_on": mine.opened_on.isoformat(), "aspirations": "Sing"},
        content_type="application/json",
        headers={"Authorization": f"Bearer {client.token}"},
    )
    assert response.status_code == 200 and response.json()["aspirations"] == "Sing"


def test_every_operation_that_writes_runs_in_one_transaction():
    """A write and the answer built from it commit together or not at all (a router added without
    `atomic_writes` fails here)."""
    from connecting_people.core.tests.matrix import url_matrix

    unwrapped = []
    for pattern in url_matrix.url_patterns():
        if pattern.namespace not in ("api-v1", "fhir"):
            continue
        if not inspect.isfunction(pattern.callback):  # the OpenAPI document and docs (functools.partial)
            continue
        view = inspect.getclosurevars(pattern.callback).nonlocals.get("self")
        for operation in getattr(view, "operations", []):
            if set(operation.methods) - {"GET"} and not getattr(operation.view_func, "atomic_write", False):
                unwrapped.append(f"{operation.methods} {pattern.key}")
    assert unwrapped == []
