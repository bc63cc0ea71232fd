"""/api/v1/instruments and /api/v1/people/{id}/administrations: definitions without licensed wording, the
stateless scoring endpoint (the engine's numbers, nothing stored), administrations read and recorded as on the
measures pages."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from connecting_people.accounts.actor import actor_for
from connecting_people.audit.models import AuditEvent
from connecting_people.measures import registry, scoring, services
from connecting_people.measures.models import Administration
from connecting_people.people.tests.factories import PersonFactory

PROBLEM = "application/problem+json"
TODAY = timezone.localdate()
SWEMWBS = [3, 4, 2, 5, 3, 4, 1]


def record(person, worker, instrument_id="ucla3", answers=(1, 2, 3), days_ago=5):
    return services.administration_record(
        actor=actor_for(worker),
        person_id=person.pk,
        instrument_id=instrument_id,
        answers=list(answers),
        administered_on=TODAY - timedelta(days=days_ago),
        mode="with_person",
    )


@pytest.fixture
def measured(org):
    from connecting_people.api.tests.test_maps_api import _worker_of

    mine = PersonFactory(team=org.team, allocated_worker=org.practitioner)
    elsewhere = PersonFactory(team=org.other_trust_team)
    return {
        "mine": mine,
        "elsewhere": elsewhere,
        "my_record": record(mine, org.practitioner),
        "their_record": record(elsewhere, _worker_of(elsewhere)),
    }


# --- instruments ----------------------------------------------------------------------------------------------


def test_every_role_with_a_token_reads_the_instruments(org, api_as):
    for role in (org.practitioner, org.researcher, org.no_role):
        listed = api_as(role).get("/api/v1/instruments")
        assert listed.status_code == 200
        ids = {row["id"] for row in listed.json()["items"]}
        assert {"ucla3", "swemwbs", "eq5d5l", "gas"} <= ids
    assert api_as(None).get("/api/v1/instruments").status_code == 401
    assert api_as(org.practitioner, scopes=["people:read"]).get("/api/v1/instruments").status_code == 403


def test_a_definition_has_ids_codes_and_scoring_but_never_licensed_wording(org, api_as):
    client = api_as(org.practitioner)
    swemwbs = client.get("/api/v1/instruments/swemwbs").json()
    assert swemwbs["wording_included"] is False
    assert [item["id"] for item in swemwbs["items"]] == list(registry.instrument("swemwbs").item_ids)
    assert swemwbs["items"][0]["codes"][0] == {"code": 1, "label": swemwbs["items"][0]["codes"][0]["label"]}
    assert swemwbs["scoring"]["type"] == "sum" and swemwbs["missing"]["rule"]
    text = str(swemwbs)
    assert "wording" not in {key for item in swemwbs["items"] for key in item}
    assert "wording_source" not in text
    eq5d = client.get("/api/v1/instruments/eq5d5l").json()
    assert eq5d["wording_included"] is False and eq5d["instructions"] is None
    assert not any("wording" in item for item in eq5d["items"])
    ucla = client.get("/api/v1/instruments/ucla3").json()  # published for anyone by the ONS: it may go out
    assert ucla["wording_included"] is True and ucla["items"][0]["wording"]
    assert client.get("/api/v1/instruments/nothing").status_code == 404
    assert client.get("/api/v1/instruments/ucla3?version=99").status_code == 404


def test_wording_a_deployment_supplied_goes_to_its_own_programs_as_in_fhir(org, api_as, tmp_path, settings):
    """The project ships no licensed wording; a deployment that holds a licence supplies it, and its own staff's
    programs get it (as its FHIR Questionnaires do), without the file's licence note."""
    (tmp_path / "eq5d5l_wording.yaml").write_text(
        'id: eq5d5l\nversion: "1"\nsource: licence 1\nwording: {mobility: "Licensed mobility text"}\n'
    )
    settings.CONNECTING_PEOPLE_INSTRUMENTS_DIR = str(tmp_path)
    registry.catalogue.cache_clear()
    try:
        assert registry.instrument("eq5d5l").item("mobility").wording == "Licensed mobility text"
        answer = api_as(org.practitioner).get("/api/v1/instruments/eq5d5l")
        assert answer.status_code == 200 and answer.json()["wording_included"] is True
        assert b"Licensed mobility text" in answer.content
        assert b"licence 1" not in answer.content
    finally:
        registry.catalogue.cache_clear()


# --- scoring --------------------------------------------------------------------------------------------------


def test_scoring_gives_the_engines_numbers_and_stores_nothing(org, api_as):
    client = api_as(org.researcher, scopes=["measures:read"])
    client.get("/api/v1/instruments")  # the token's first use is noted once
    before = (Administration.objects.count(), AuditEvent.objects.count())
    answer = client.post("/api/v1/instruments/swemwbs/score", {"answers": SWEMWBS})
    assert answer.status_code == 200, answer.content
    expected = scoring.score_one(registry.instrument("swemwbs"), SWEMWBS)
    assert answer.json() == expected
    assert answer.json()["total"] == 22 and answer.json()["metric"] == expected["metric"]
    ucla = client.post(
        "/api/v1/instruments/ucla3/score", {"answers": {"companionship": 3, "left_out": 2, "isolated": 3}}
    )
    assert ucla.json()["total"] == 8 and ucla.json()["band"] == "more lonely (6-9)"
    missing = client.post("/api/v1/instruments/ucla3/score", {"answers": [1, None, 3]}).json()
    assert missing["total"] is None and missing["missing"] == ["left_out"]
    eq5d = client.post("/api/v1/instruments/eq5d5l/score", {"answers": [1, 2, 3, 1, 2, 70]}).json()
    engine = scoring.score_one(
        registry.instrument("eq5d5l"),
        [1, 2, 3, 1, 2, 70],
        **registry.scoring_options(registry.instrument("eq5d5l")),
    )
    assert eq5d["index"] == engine["index"] and eq5d["value_set"] == registry.default_value_set()
    assert (Administration.objects.count(), AuditEvent.objects.count()) == before


def test_answers_the_instrument_does_not_allow_are_a_422_pointing_at_them(org, api_as):
    client = api_as(org.practitioner)
    wrong = client.post("/api/v1/instruments/ucla3/score", {"answers": [1, 7, 3]})
    assert wrong.status_code == 422 and wrong["Content-Type"] == PROBLEM
    assert wrong.json()["errors"][0]["pointer"] == "/body/answers/1"
    by_id = client.post("/api/v1/instruments/ucla3/score", {"answers": {"companionship": 1, "isolated": 9}})
    assert by_id.json()["errors"][0]["pointer"] == "/body/answers/isolated"
    too_few = client.post("/api/v1/instruments/ucla3/score", {"answers": [1]})
    assert too_few.status_code == 422 and too_few.json()["errors"][0]["pointer"] == "/body/answers"
    not_numbers = client.post("/api/v1/instruments/ucla3/score", {"answers": ["often", 1, 1]})
    assert not_numbers.status_code == 422
    assert not_numbers.json()["errors"][0]["pointer"].startswith("/body/answers")
    bad_set = client.post(
        "/api/v1/instruments/eq5d5l/score", {"answers": [1, 1, 1, 1, 1, 50], "value_set": "x"}
    )
    assert bad_set.status_code == 422 and bad_set.json()["errors"][0]["pointer"] == "/body/value_set"
    assert client.post("/api/v1/instruments/nothing/score", {"answers": [1]}).status_code == 404


# --- administrations ------------------------------------------------------------------------------------------


def url(person, administration=None) -> str:
    path = f"/api/v1/people/{person.pk}/administrations"
    return f"{path}/{administration.pk}" if administration is not None else path


def test_administrations_reach_as_the_measures_pages(org, api_as, measured):
    mine, my_record = measured["mine"], measured["my_record"]
    for role in (org.practitioner, org.lead):
        client = api_as(role)
        assert [row["id"] for row in client.get(url(mine)).json()["items"]] == [my_record.pk]
        detail = client.get(url(mine, my_record)).json()
        assert detail["total"] == 6 and detail["answers"] == [1, 2, 3] and detail["instrument_id"] == "ucla3"
    for role in (org.colleague, org.other_lead, org.researcher, org.administrator):
        assert api_as(role).get(url(mine)).status_code == 404
        assert api_as(role).get(url(mine, my_record)).status_code == 404


def test_mixed_ids_are_404(org, api_as, measured):
    client = api_as(org.practitioner)
    before = AuditEvent.objects.count()
    for path in (
        url(measured["mine"], measured["their_record"]),
        url(measured["elsewhere"], measured["my_record"]),
        url(measured["elsewhere"]),
        url(measured["mine"]) + "/999999",
    ):
        answer = client.get(path)
        assert answer.status_code == 404 and answer.json()["code"] == "not_found", path
    assert AuditEvent.objects.count() == before


def test_recording_an_administration_scores_it_and_answers_201(org, api_as, measured):
    mine = measured["mine"]
    client = api_as(org.practitioner)
    body = {
        "instrument_id": "swemwbs",
        "answers": SWEMWBS,
        "administered_on": TODAY.isoformat(),
        "mode": "phone",
        "timepoint_label": "3 months",
    }
    key = {"Idempotency-Key": "swemwbs-1"}
    answer = client.post(url(mine), body, headers=key)
    assert answer.status_code == 201, answer.content
    made = Administration.objects.get(pk=answer.json()["id"])
    assert answer["Location"].endswith(url(mine, made))
    assert made.total == 22 and made.derived["metric"] == answer.json()["derived"]["metric"]
    assert made.administered_by == org.practitioner
    assert client.post(url(mine), body, headers=key).json()["id"] == made.pk
    assert Administration.objects.filter(person=mine, instrument_id="swemwbs").count() == 1
    event = AuditEvent.objects.get(action="measure.recorded", object_id=str(made.pk))
    assert event.actor_id == org.practitioner.pk


def test_an_invalid_administration_is_a_422_and_records_nothing(org, api_as, measured):
    mine = measured["mine"]
    client = api_as(org.practitioner)
    before = Administration.objects.count()
    base = {
        "instrument_id": "ucla3",
        "answers": [1, 2, 3],
        "administered_on": TODAY.isoformat(),
        "mode": "phone",
    }
    for changes, pointer in (
        ({"answers": [1, 2, 9]}, "/body/answers/2"),
        ({"mode": "telepathy"}, "/body/mode"),
        ({"administered_on": "2026-02-30"}, "/body/administered_on"),
        ({"instrument_id": "nothing"}, "/body/instrument_id"),
        ({"instrument_id": "gas", "answers": [1]}, "/body/instrument_id"),
        ({"administered_on": "1900-01-01"}, "/body/administered_on"),
    ):
        answer = client.post(url(mine), base | changes)
        assert answer.status_code == 422, (changes, answer.content)
        assert pointer in {error["pointer"] for error in answer.json()["errors"]}, answer.json()
    assert client.post(url(measured["elsewhere"]), base).status_code == 404
    assert api_as(org.practitioner, scopes=["measures:read"]).post(url(mine), base).status_code == 403
    assert Administration.objects.count() == before


def test_lists_cost_the_same_queries_for_1_or_5_rows(org, api_as, django_assert_max_num_queries):
    person = PersonFactory(team=org.team, allocated_worker=org.practitioner)
    client = api_as(org.practitioner)
    record(person, org.practitioner)
    client.get(url(person))
    with CaptureQueriesContext(connection) as one:
        assert client.get(url(person)).status_code == 200
    for days_ago in range(4):
        record(person, org.practitioner, "swemwbs", SWEMWBS, days_ago=days_ago)
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert len(client.get(url(person)).json()["items"]) == 5
    with django_assert_max_num_queries(3):
        assert client.get("/api/v1/instruments").status_code == 200
