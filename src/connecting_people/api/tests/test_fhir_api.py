"""/fhir/R4/: the CapabilityStatement, reads and searches by patient (scoped as the pages, paged, audited), the
import of QuestionnaireResponses, errors as OperationOutcome. Every resource an endpoint answers with is validated
by the FHIR models (`fhir_json`)."""

from datetime import date, timedelta

import pytest
from django.db import connection

from connecting_people.accounts.actor import actor_for
from connecting_people.api.fhir import mapping
from connecting_people.api.tests.fhir_support import (
    FHIR_JSON,
    SDC_RESPONSE,
    fhir_json,
    fixture,
    needs_fixtures,
)
from connecting_people.audit.models import AuditEvent
from connecting_people.measures import services as measures
from connecting_people.measures.models import Administration
from connecting_people.people.models import Person
from connecting_people.people.tests.factories import PersonFactory
from connecting_people.plans import services as plans

BASE = "/fhir/R4/"
DAY = date(2026, 1, 6)


def record(user, person, instrument_id, answers, on=DAY):
    return measures.administration_record(
        actor=actor_for(user),
        person_id=person.pk,
        instrument_id=instrument_id,
        answers=answers,
        administered_on=on,
        mode="with_person",
    )


def set_goal(user, person, text="Join the walking group"):
    actor = actor_for(user)
    goal = plans.goal_create(
        actor=actor,
        person_id=person.pk,
        data=plans.GoalData(
            text=text, levels={-2: "Not at all", 0: "Every other week", 2: "Every week and leading"}
        ),
        set_on=DAY,
    )
    plans.step_add(
        actor=actor,
        person_id=person.pk,
        goal_id=goal.pk,
        data=plans.StepData(what="Find the times", owner="person", due_on=date.today() + timedelta(days=7)),
    )
    return goal


@pytest.fixture
def world(org):
    mine = PersonFactory(team=org.team, allocated_worker=org.practitioner, date_of_birth=date(1980, 5, 17))
    colleagues = PersonFactory(team=org.team, allocated_worker=org.colleague, date_of_birth=date(1981, 1, 1))
    elsewhere = PersonFactory(team=org.other_trust_team, date_of_birth=date(1982, 2, 2))
    records = {
        "ucla3": record(org.practitioner, mine, "ucla3", [1, 2, 3]),
        "eq5d5l": record(org.practitioner, mine, "eq5d5l", [2, 1, 3, 4, 1, 70]),
        "swemwbs": record(org.practitioner, mine, "swemwbs", [3, 3, 4, 2, 3, 4, 5]),
        "djg6": record(org.practitioner, mine, "djg6", [1, 3, 3, 1, None, 2]),
        "ons_loneliness": record(org.practitioner, mine, "ons_loneliness", [2]),
    }
    colleague_record = record(org.colleague, colleagues, "ucla3", [3, 3, 3])
    goal = set_goal(org.practitioner, mine)
    return {
        "mine": mine,
        "colleagues": colleagues,
        "elsewhere": elsewhere,
        "records": records,
        "colleague_record": colleague_record,
        "goal": goal,
    }


def ids(bundle: dict) -> list[str]:
    return [entry["resource"]["id"] for entry in bundle.get("entry", [])]


# --- CapabilityStatement -------------------------------------------------------------------------------------------


def test_the_capability_statement_is_public(db, client):
    response = client.get(f"{BASE}metadata")
    assert response.status_code == 200
    statement = fhir_json(response)
    assert statement["resourceType"] == "CapabilityStatement" and statement["fhirVersion"] == "4.0.1"
    kinds = {entry["type"] for entry in statement["rest"][0]["resource"]}
    assert kinds == {"Patient", "Questionnaire", "QuestionnaireResponse", "Observation", "Goal", "CarePlan"}


# --- tokens, scopes and reach --------------------------------------------------------------------------------------


def test_without_a_token_it_is_a_401_operation_outcome(db, api_as):
    response = api_as(None).get(f"{BASE}Patient")
    assert response.status_code == 401
    assert fhir_json(response)["issue"][0]["code"] == "login"
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_token_without_fhir_read_is_refused(org, api_as, world):
    response = api_as(org.practitioner, scopes=["people:read"]).get(f"{BASE}Patient/{world['mine'].pk}")
    assert response.status_code == 403
    assert fhir_json(response)["issue"][0]["details"]["coding"][0]["code"] == "insufficient_scope"


@pytest.mark.parametrize("kind", ["Patient", "CarePlan", "Observation", "QuestionnaireResponse", "Goal"])
def test_out_of_reach_is_the_same_404_as_nothing_at_all(org, api_as, world, kind):
    client = api_as(org.practitioner)
    theirs = {
        "Patient": world["colleagues"].pk,
        "CarePlan": world["elsewhere"].pk,
        "Observation": world["colleague_record"].pk,
        "QuestionnaireResponse": world["colleague_record"].pk,
        "Goal": set_goal(org.colleague, world["colleagues"]).pk,
    }[kind]
    answers = [client.get(f"{BASE}{kind}/{pk}") for pk in (theirs, 999_999, "not-a-number")]
    assert {response.status_code for response in answers} == {404}
    bodies = [fhir_json(response) for response in answers]
    assert bodies[0] == bodies[1] == bodies[2]
    assert bodies[0]["issue"][0]["code"] == "not-found"


def test_an_unknown_fhir_address_is_an_operation_outcome(db, api_as):
    response = api_as(None).get(f"{BASE}Encounter/1")
    assert response.status_code == 404
    assert fhir_json(response)["issue"][0]["code"] == "not-found"
    assert api_as(None).get("/api/v0/nothing")["Content-Type"] == "application/problem+json"


# --- reads ---------------------------------------------------------------------------------------------------------


def test_a_patient_read_is_uk_core_and_audited_as_the_owner(org, api_as, world):
    mine = world["mine"]
    response = api_as(org.practitioner).get(f"{BASE}Patient/{mine.pk}")
    assert response.status_code == 200
    patient = fhir_json(response)
    assert patient["identifier"][0] == {
        **patient["identifier"][0],
        "system": "https://fhir.nhs.uk/Id/nhs-number",
        "value": mine.nhs_number,
    }
    assert patient["meta"]["profile"] == ["https://fhir.hl7.org.uk/StructureDefinition/UKCore-Patient"]
    assert response["ETag"] == f'W/"{mine.version}"'
    event = AuditEvent.objects.get(action="person.viewed", person_id=mine.pk)
    assert event.actor_id == org.practitioner.pk and event.summary["page"] == "fhir.Patient"


def test_each_administration_reads_as_a_response_and_an_observation(org, api_as, world):
    client = api_as(org.practitioner)
    for instrument_id, row in world["records"].items():
        response = fhir_json(client.get(f"{BASE}QuestionnaireResponse/{row.pk}"))
        observation = fhir_json(client.get(f"{BASE}Observation/{row.pk}"))
        assert response["questionnaire"].startswith(mapping.questionnaire_url(instrument_id, "1"))
        assert observation["subject"] == {"reference": f"Patient/{world['mine'].pk}"}
    ucla = fhir_json(client.get(f"{BASE}Observation/{world['records']['ucla3'].pk}"))
    assert ucla["code"]["coding"] == [
        {"system": mapping.SCORE_SYSTEM, "code": "ucla3.total", "display": ucla["code"]["text"]}
    ]
    assert ucla["valueQuantity"]["value"] == 6


def test_a_goal_and_the_plan_read_with_the_scale_and_the_steps(org, api_as, world):
    client = api_as(org.practitioner)
    goal = fhir_json(client.get(f"{BASE}Goal/{world['goal'].pk}"))
    assert [t["detailCodeableConcept"]["coding"][0]["code"] for t in goal["target"]] == ["-2", "0", "2"]
    plan = fhir_json(client.get(f"{BASE}CarePlan/{world['mine'].pk}"))
    assert plan["goal"] == [{"reference": f"Goal/{world['goal'].pk}"}]
    assert [a["detail"]["description"] for a in plan["activity"]] == ["Find the times"]


def test_questionnaires_are_listed_and_read(org, api_as, world):
    client = api_as(org.researcher)
    bundle = fhir_json(client.get(f"{BASE}Questionnaire"))
    assert "ucla3.1" in ids(bundle) and "ons-loneliness.1" in ids(bundle)
    one = fhir_json(client.get(f"{BASE}Questionnaire", {"url": mapping.questionnaire_url("ucla3", "1")}))
    assert ids(one) == ["ucla3.1"]
    assert fhir_json(client.get(f"{BASE}Questionnaire/ons-loneliness.1"))["name"] == "OnsLoneliness"
    assert client.get(f"{BASE}Questionnaire/phq9.1").status_code == 404


# --- searches ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("param", ["patient", "subject"])
def test_a_search_by_patient_is_a_searchset_of_that_patients_resources(org, api_as, world, param):
    client = api_as(org.practitioner)
    mine = world["mine"]
    for value in (f"Patient/{mine.pk}", str(mine.pk)):
        bundle = fhir_json(client.get(f"{BASE}Observation", {param: value}))
        assert bundle["type"] == "searchset"
        assert sorted(ids(bundle)) == sorted(str(row.pk) for row in world["records"].values())
    responses = fhir_json(client.get(f"{BASE}QuestionnaireResponse", {param: f"Patient/{mine.pk}"}))
    assert len(ids(responses)) == len(world["records"])
    assert ids(fhir_json(client.get(f"{BASE}Goal", {param: f"Patient/{mine.pk}"}))) == [str(world["goal"].pk)]
    assert ids(fhir_json(client.get(f"{BASE}CarePlan", {param: f"Patient/{mine.pk}"}))) == [str(mine.pk)]


def test_a_search_for_a_patient_out_of_reach_finds_nothing_as_for_one_that_does_not_exist(org, api_as, world):
    client = api_as(org.practitioner)
    for value in (world["colleagues"].pk, world["elsewhere"].pk, 999_999, "x"):
        bundle = fhir_json(client.get(f"{BASE}Observation", {"patient": value}))
        assert ids(bundle) == []


def test_a_search_without_a_patient_lists_everything_in_reach(org, api_as, world):
    practitioner = fhir_json(api_as(org.practitioner).get(f"{BASE}Patient"))
    assert ids(practitioner) == [str(world["mine"].pk)]
    lead = fhir_json(api_as(org.lead).get(f"{BASE}Observation"))
    assert len(ids(lead)) == len(world["records"]) + 1
    assert ids(fhir_json(api_as(org.researcher).get(f"{BASE}Observation"))) == []
    nhs = fhir_json(
        api_as(org.lead).get(
            f"{BASE}Patient", {"identifier": f"{mapping.NHS_NUMBER_SYSTEM}|{world['mine'].nhs_number}"}
        )
    )
    assert ids(nhs) == [str(world["mine"].pk)]


def test_pages_follow_the_next_link_to_the_end(org, api_as, world):
    client = api_as(org.practitioner)
    url, seen, pages = f"{BASE}Observation?patient={world['mine'].pk}&_count=2", [], 0
    while url:
        bundle = fhir_json(client.get(url))
        seen += ids(bundle)
        pages += 1
        following = [link["url"] for link in bundle["link"] if link["relation"] == "next"]
        url = following[0].replace("http://testserver", "") if following else None
    assert pages == 3 and sorted(seen) == sorted(str(row.pk) for row in world["records"].values())
    assert client.get(f"{BASE}Observation", {"_count": "0"}).status_code == 400
    bad = client.get(f"{BASE}Observation", {"_cursor": "nonsense"})
    assert bad.status_code == 400 and fhir_json(bad)["issue"][0]["code"] == "structure"
    assert client.get(f"{BASE}Observation", {"_format": "xml"}).status_code == 406


def test_searches_are_not_n_plus_one(org, api_as, world, django_assert_max_num_queries):
    mine = world["mine"]
    for n in range(12):
        record(org.practitioner, mine, "ucla3", [1, 2, n % 3 + 1], on=DAY - timedelta(days=n + 1))
        set_goal(org.practitioner, mine, text=f"Goal {n}")
    client = api_as(org.practitioner)
    # PostgreSQL takes the audit chain's advisory lock before writing the read's audit event: one query more.
    lock = 1 if connection.vendor == "postgresql" else 0
    for kind, at_most in (("Observation", 12), ("QuestionnaireResponse", 12), ("Goal", 12), ("CarePlan", 13)):
        with django_assert_max_num_queries(at_most + lock):
            bundle = fhir_json(client.get(f"{BASE}{kind}", {"patient": mine.pk}))
        assert len(bundle["entry"]) >= (1 if kind == "CarePlan" else 13)
    for _ in range(5):
        PersonFactory(team=org.team, allocated_worker=org.practitioner)
    for kind, at_most in (("Patient", 10), ("CarePlan", 12)):
        with django_assert_max_num_queries(at_most + lock):
            bundle = fhir_json(client.get(f"{BASE}{kind}"))
        assert len(bundle["entry"]) == 6


# --- import --------------------------------------------------------------------------------------------------------


def ucla_response(person_id, **changes):
    body = {
        "resourceType": "QuestionnaireResponse",
        "questionnaire": mapping.questionnaire_url("ucla3", "1"),
        "status": "completed",
        "subject": {"reference": f"Patient/{person_id}"},
        "authored": "2026-01-07T09:30:00+00:00",
        "author": {"reference": f"Patient/{person_id}"},
        "item": [
            {
                "linkId": "companionship",
                "answer": [{"valueCoding": {"system": mapping.answer_system("ucla3"), "code": "2"}}],
            },
            {
                "linkId": "left_out",
                "answer": [{"valueCoding": {"system": mapping.answer_system("ucla3"), "code": "3"}}],
            },
            {"linkId": "isolated", "answer": [{"valueInteger": 3}]},
        ],
    }
    body.update(changes)
    return body


def post(client, body, headers=None):
    import json

    return client.client.post(
        f"{BASE}QuestionnaireResponse",
        json.dumps(body),
        content_type=FHIR_JSON,
        headers={"Authorization": f"Bearer {client.token}", **(headers or {})},
    )


def test_a_response_to_our_questionnaire_is_scored_and_recorded(org, api_as, world):
    mine = world["mine"]
    response = post(api_as(org.practitioner), ucla_response(mine.pk))
    assert response.status_code == 201, response.content
    recorded = fhir_json(response)
    row = Administration.objects.get(pk=recorded["id"])
    assert (row.person_id, row.instrument_id, row.answers, row.total) == (mine.pk, "ucla3", [2, 3, 3], 8)
    assert row.administered_on == date(2026, 1, 7) and row.mode == "self_completed"
    assert row.administered_by_id == org.practitioner.pk
    assert response["Location"] == f"http://testserver{BASE}QuestionnaireResponse/{row.pk}"
    observation = fhir_json(api_as(org.practitioner).get(f"{BASE}Observation/{row.pk}"))
    assert observation["valueQuantity"]["value"] == 8
    assert AuditEvent.objects.filter(action="measure.recorded", object_id=str(row.pk)).exists()


def test_an_idempotency_key_records_a_retry_once(org, api_as, world):
    client = api_as(org.practitioner)
    body = ucla_response(world["mine"].pk)
    first = post(client, body, {"Idempotency-Key": "import-1"})
    again = post(client, body, {"Idempotency-Key": "import-1"})
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true" and again.json()["id"] == first.json()["id"]


@pytest.mark.parametrize(
    ("changes", "status", "code", "expression"),
    [
        (
            {"item": [{"linkId": "companionship", "answer": [{"valueInteger": 7}]}]},
            422,
            "answer_not_allowed",
            "companionship",
        ),
        ({"item": [{"linkId": "lonely", "answer": [{"valueInteger": 1}]}]}, 422, "item_unknown", "lonely"),
        ({"status": "in-progress"}, 422, "response_not_completed", None),
        ({"authored": (date.today() + timedelta(days=2)).isoformat()}, 422, "authored_in_future", None),
        ({"authored": "1900-01-01"}, 422, "date_before_birth", None),
        ({"questionnaire": mapping.questionnaire_url("gas", "1")}, 422, "questionnaire_not_importable", None),
        ({"questionnaire": mapping.questionnaire_url("ucla3", "9")}, 422, "questionnaire_unknown", None),
        ({"item": "not a list"}, 422, "structure_invalid", None),
    ],
)
def test_what_cannot_be_recorded_is_a_422_outcome_and_records_nothing(
    org, api_as, world, changes, status, code, expression
):
    before = Administration.objects.count()
    response = post(api_as(org.practitioner), ucla_response(world["mine"].pk, **changes))
    assert response.status_code == status, response.content
    issue = fhir_json(response)["issue"][0]
    assert issue["details"]["coding"][0]["code"] == code
    if expression:
        assert issue["expression"] == [f"QuestionnaireResponse.item.where(linkId='{expression}')"]
    assert Administration.objects.count() == before


def test_a_patient_out_of_reach_is_404_and_nothing_is_recorded(org, api_as, world):
    before = Administration.objects.count()
    for person in (world["colleagues"], world["elsewhere"]):
        response = post(api_as(org.practitioner), ucla_response(person.pk))
        assert response.status_code == 404
        assert fhir_json(response)["issue"][0]["code"] == "not-found"
    assert Administration.objects.count() == before


def test_importing_needs_fhir_write_and_json(org, api_as, world):
    reader = api_as(org.practitioner, scopes=["fhir:read"])
    assert post(reader, ucla_response(world["mine"].pk)).status_code == 403
    writer = api_as(org.practitioner)
    text = writer.client.post(
        f"{BASE}QuestionnaireResponse",
        "x",
        content_type="text/plain",
        headers={"Authorization": f"Bearer {writer.token}"},
    )
    assert text.status_code == 415
    broken = writer.client.post(
        f"{BASE}QuestionnaireResponse",
        "{",
        content_type=FHIR_JSON,
        headers={"Authorization": f"Bearer {writer.token}"},
    )
    assert broken.status_code == 400 and fhir_json(broken)["resourceType"] == "OperationOutcome"


@needs_fixtures
def test_the_hl7_sdc_phq9_example_is_refused_because_we_have_no_phq9(org, api_as, world):
    """We define no PHQ-9 (its licence and our scope: see docs/api.md (FHIR R4)), so the SDC example is refused with
    an outcome that says why; its subject is pointed at one of our patients so that only the questionnaire is
    in question."""
    body = fixture(SDC_RESPONSE)
    body["subject"] = {"reference": f"Patient/{world['mine'].pk}"}
    response = post(api_as(org.practitioner), body)
    assert response.status_code == 422
    issue = fhir_json(response)["issue"][0]
    assert issue["details"]["coding"][0]["code"] == "questionnaire_unknown"
    assert issue["expression"] == ["QuestionnaireResponse.questionnaire"]
    assert "questionnaire-sdc-profile-example-PHQ9" in issue["diagnostics"]


def test_a_person_whose_processing_is_restricted_is_left_out_of_lists_but_still_read(org, api_as, world):
    mine = world["mine"]
    Person.objects.filter(pk=mine.pk).update(processing_restricted=True)  # as privacy's restriction leaves it
    client = api_as(org.practitioner)
    assert ids(fhir_json(client.get(f"{BASE}Patient"))) == []
    assert ids(fhir_json(client.get(f"{BASE}Observation"))) == []
    assert len(ids(fhir_json(client.get(f"{BASE}Observation", {"patient": mine.pk})))) == len(
        world["records"]
    )
    assert client.get(f"{BASE}Patient/{mine.pk}").status_code == 200
