"""The pure FHIR mapping and import reading: every shipped instrument's Questionnaire, responses and scores of
every shape, goals and plans, errors, the CapabilityStatement, all valid FHIR (R4B models); no database."""

from dataclasses import replace
from datetime import UTC, date, datetime
from types import SimpleNamespace

import pytest

from connecting_people.api.fhir import importing, mapping
from connecting_people.api.fhir.importing import ImportProblem
from connecting_people.api.tests.fhir_support import (
    PDS_PATIENT,
    SDC_RESPONSE,
    fixture,
    needs_fixtures,
    validate,
)
from connecting_people.measures import scoring
from connecting_people.measures.definitions import SHIPPED_DIR, load_definitions

CATALOGUE = load_definitions([SHIPPED_DIR])
INSTRUMENTS = list(CATALOGUE)


def person(**changes):
    values = dict(
        pk=7,
        version=3,
        nhs_number="9434765919",
        given_name="Ada",
        family_name="Okafor",
        preferred_name="Addy",
        date_of_birth=date(1979, 4, 2),
        phone="01632 960001",
        email="ada@example.invalid",
        address="1 Park Row\nLeeds",
        postcode="LS1 5AB",
        status="open",
        updated_at=datetime(2026, 1, 5, 10, 0, tzinfo=UTC),
        trust=SimpleNamespace(ods_code="RXX", name="A Trust"),
    )
    values.update(changes)
    return SimpleNamespace(**values)


def administration(instrument, answers, **changes):
    result = scoring.score_one(instrument, scoring.check_answers(instrument, answers))
    derived = {
        key: result[key]
        for key in ("metric", "index", "state", "vas", "value_set", "t_score")
        if key in result
    }
    values = dict(
        pk=41,
        person_id=7,
        instrument_id=instrument.id,
        instrument_version=instrument.version,
        administered_on=date(2026, 1, 6),
        timepoint_label="baseline",
        mode="with_person",
        answers=answers,
        total=result["total"],
        subscales=result["subscales"],
        band=result["band"] or "",
        derived=derived,
        missing_items=result["missing"],
        missing_rule=result["missing_rule"]["outcome"],
    )
    values.update(changes)
    return SimpleNamespace(**values)


def answers_for(instrument):
    if instrument.repeat is not None:
        return [1, 0, -1]
    found = []
    for item in instrument.items:
        found.append(item.range.minimum if item.range is not None else item.codes[-1].value)
    return found


# --- Patient -----------------------------------------------------------------------------------------------------


def test_a_patient_follows_uk_core_with_the_nhs_number_and_what_is_held():
    resource = mapping.patient(person())
    validate(resource)
    assert resource["meta"]["profile"] == [mapping.UK_CORE_PATIENT]
    nhs = resource["identifier"][0]
    assert nhs["system"] == "https://fhir.nhs.uk/Id/nhs-number" and nhs["value"] == "9434765919"
    assert resource["name"][0] == {"use": "official", "family": "Okafor", "given": ["Ada"]}
    assert resource["name"][1]["given"] == ["Addy"]
    assert resource["birthDate"] == "1979-04-02"
    assert {(t["system"], t["value"]) for t in resource["telecom"]} == {
        ("phone", "01632 960001"),
        ("email", "ada@example.invalid"),
    }
    assert resource["address"] == [{"use": "home", "line": ["1 Park Row", "Leeds"], "postalCode": "LS1 5AB"}]
    assert resource["managingOrganization"]["identifier"] == {"system": mapping.ODS_SYSTEM, "value": "RXX"}
    assert "gender" not in resource


def test_a_patient_with_little_held_leaves_out_what_is_not_held():
    resource = mapping.patient(
        person(nhs_number=None, phone="", email="", address="", postcode="", preferred_name="")
    )
    validate(resource)
    assert [i["system"] for i in resource["identifier"]] == [mapping.PERSON_ID_SYSTEM]
    assert "telecom" not in resource and "address" not in resource and len(resource["name"]) == 1


@needs_fixtures
def test_our_patient_uses_the_same_identifier_system_and_shapes_as_pds():
    pds = fixture(PDS_PATIENT)
    validate(pds)
    ours = mapping.patient(person())
    assert ours["identifier"][0]["system"] == pds["identifier"][0]["system"]
    assert ours["identifier"][0]["extension"][0]["url"] == pds["identifier"][0]["extension"][0]["url"]
    for element in ("name", "telecom", "address"):
        assert set(ours[element][0]) <= set(pds[element][0]) | {"use"}


# --- Questionnaire -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("instrument", INSTRUMENTS, ids=lambda i: i.id)
def test_every_instrument_is_a_valid_questionnaire_whose_link_ids_are_our_item_ids(instrument):
    resource = mapping.questionnaire(instrument)
    validate(resource)
    assert resource["id"] == mapping.questionnaire_id(instrument.id, instrument.version)
    assert mapping.instrument_key(resource["id"]) == instrument.key
    assert [item["linkId"] for item in resource["item"]] == list(instrument.answer_ids())


@pytest.mark.parametrize("instrument", [i for i in INSTRUMENTS if not i.wording_ships], ids=lambda i: i.id)
def test_licensed_wording_is_never_in_a_questionnaire_only_our_labels(instrument):
    resource = mapping.questionnaire(instrument)
    assert [item["text"] for item in resource["item"]] == [item.label for item in instrument.items]
    assert "not the instrument's wording" in resource["description"]


def test_wording_a_deployment_supplied_is_shown_and_said_to_be_theirs():
    swemwbs = CATALOGUE.get("swemwbs")
    worded = replace(
        swemwbs,
        items=tuple(replace(item, wording=f"Supplied text {n}") for n, item in enumerate(swemwbs.items)),
        wording_source="Registered licence 123",
    )
    resource = mapping.questionnaire(worded)
    validate(resource)
    assert resource["item"][0]["text"] == "Supplied text 0"
    assert "Registered licence 123" in resource["description"]


def test_shipped_published_wording_is_shown():
    resource = mapping.questionnaire(CATALOGUE.get("ucla3"))
    assert resource["item"][0]["text"] == "How often do you feel that you lack companionship?"
    option = resource["item"][0]["answerOption"][0]["valueCoding"]
    assert option["system"] == mapping.answer_system("ucla3") and option["code"] == "1"


# --- QuestionnaireResponse and Observation --------------------------------------------------------------------------


@pytest.mark.parametrize("instrument", INSTRUMENTS, ids=lambda i: i.id)
def test_every_instrument_gives_a_valid_response_and_observation(instrument):
    row = administration(instrument, answers_for(instrument))
    response = mapping.questionnaire_response(row, instrument)
    observation = mapping.observation(row, instrument)
    validate(response)
    validate(observation)
    assert response["subject"] == {"reference": "Patient/7"}
    assert response["questionnaire"] == mapping.questionnaire_url(instrument.id, instrument.version) + "|1"
    assert observation["derivedFrom"] == [{"reference": "QuestionnaireResponse/41"}]
    assert observation["code"]["coding"][-1]["system"] == mapping.SCORE_SYSTEM
    assert not any(coding["system"] == mapping.LOINC for coding in observation["code"]["coding"])


def test_an_observation_holds_the_headline_and_every_other_score():
    eq5d = CATALOGUE.get("eq5d5l")
    row = administration(eq5d, [2, 1, 3, 4, 1, 70])
    observation = mapping.observation(row, eq5d)
    assert observation["code"]["coding"][0]["code"] == "eq5d5l.index"
    assert observation["valueQuantity"]["value"] == pytest.approx(row.derived["index"], abs=1e-6)
    components = {c["code"]["coding"][0]["code"]: c for c in observation["component"]}
    assert components["eq5d5l.state"]["valueString"] == "21341"
    assert components["eq5d5l.value_set"]["valueString"] == row.derived["value_set"]
    assert components["eq5d5l.vas"]["valueQuantity"]["value"] == 70


def test_a_band_only_instrument_gives_the_band_as_its_value():
    ons = CATALOGUE.get("ons_loneliness")
    row = administration(ons, [ons.items[0].codes[0].value])
    observation = mapping.observation(row, ons)
    validate(observation)
    assert observation["valueCodeableConcept"]["text"] == row.band


def test_a_score_the_missing_data_rule_left_out_is_a_data_absent_reason_and_unanswered_items_are_left_out():
    ucla = CATALOGUE.get("ucla3")
    row = administration(ucla, [1, None, 3])
    observation = mapping.observation(row, ucla)
    response = mapping.questionnaire_response(row, ucla)
    validate(observation)
    validate(response)
    assert (
        "valueQuantity" not in observation
        and observation["dataAbsentReason"]["coding"][0]["code"] == "unknown"
    )
    assert [item["linkId"] for item in response["item"]] == ["companionship", "isolated"]


def test_loinc_is_used_where_we_are_sure_of_the_code():
    ucla = CATALOGUE.get("ucla3")
    phq9 = replace(ucla, id="phq9", title="PHQ-9 (a deployment's definition)")
    row = administration(ucla, [1, 2, 3], instrument_id="phq9")
    observation = mapping.observation(row, phq9)
    validate(observation)
    assert observation["code"]["coding"][0] == {
        "system": "http://loinc.org",
        "code": "44261-6",
        "display": "Patient Health Questionnaire 9 item (PHQ-9) total score [Reported]",
    }
    assert mapping.LOINC_SCORES[("gad7", "total")][0] == "70274-6"


def test_a_version_no_longer_loaded_still_maps():
    ucla = CATALOGUE.get("ucla3")
    row = administration(ucla, [1, 2, 3], instrument_version="0")
    validate(mapping.questionnaire_response(row, None))
    validate(mapping.observation(row, None))


# --- Goal and CarePlan ---------------------------------------------------------------------------------------------


def goal_row(**changes):
    values = dict(
        pk=5,
        person_id=7,
        version=2,
        text="Go to the walking group",
        status="active",
        set_on=date(2026, 1, 2),
        level_minus_2="Not at all",
        level_minus_1="",
        level_0="Once a fortnight",
        level_plus_1="Every week",
        level_plus_2="",
    )
    values.update(changes)
    return SimpleNamespace(**values)


def test_a_goal_carries_its_attainment_scale_as_targets():
    resource = mapping.goal(goal_row())
    validate(resource)
    levels = [
        (t["detailCodeableConcept"]["coding"][0]["code"], t["detailCodeableConcept"]["text"])
        for t in resource["target"]
    ]
    assert levels == [("-2", "Not at all"), ("0", "Once a fortnight"), ("1", "Every week")]
    assert resource["lifecycleStatus"] == "active"
    achieved = mapping.goal(goal_row(status="achieved"))
    validate(achieved)
    assert achieved["lifecycleStatus"] == "completed"
    assert achieved["achievementStatus"]["coding"][0]["code"] == "achieved"
    assert mapping.goal(goal_row(status="stopped"))["lifecycleStatus"] == "cancelled"


def test_a_care_plan_has_the_goals_and_their_steps_as_activities():
    goals = [goal_row(), goal_row(pk=6, set_on=date(2026, 1, 1))]
    steps = [
        SimpleNamespace(
            goal_id=5,
            what="Find the times",
            owner="person",
            due_on=date(2026, 1, 9),
            done_on=date(2026, 1, 8),
        ),
        SimpleNamespace(
            goal_id=6, what="Ring the club", owner="worker", due_on=date(2026, 1, 10), done_on=None
        ),
    ]
    resource = mapping.care_plan(person(), goals, steps)
    validate(resource)
    assert resource["status"] == "active" and resource["intent"] == "plan"
    assert resource["goal"] == [{"reference": "Goal/5"}, {"reference": "Goal/6"}]
    assert resource["period"] == {"start": "2026-01-01"}
    first, second = (activity["detail"] for activity in resource["activity"])
    assert first["status"] == "completed" and first["performer"] == [{"reference": "Patient/7"}]
    assert second["status"] == "not-started" and second["goal"] == [{"reference": "Goal/6"}]
    empty = mapping.care_plan(person(), [], [])
    validate(empty)
    assert empty["status"] == "draft"
    assert mapping.care_plan(person(status="closed"), [], [])["status"] == "completed"


# --- Bundle, OperationOutcome, CapabilityStatement -----------------------------------------------------------------


def test_bundles_outcomes_and_the_capability_statement_are_valid():
    bundle = mapping.searchset(
        [mapping.patient(person())],
        base="https://host/fhir/R4/",
        self_url="https://host/fhir/R4/Patient",
        next_url="https://host/fhir/R4/Patient?_cursor=x",
    )
    validate(bundle)
    assert bundle["entry"][0]["fullUrl"] == "https://host/fhir/R4/Patient/7"
    validate(mapping.searchset([], base="https://host/fhir/R4/", self_url="https://host/fhir/R4/Goal"))
    outcome = mapping.operation_outcome(
        422, "answer_not_allowed", "No", expression=[importing.item_path("x")]
    )
    validate(outcome)
    assert outcome["issue"][0]["code"] == "invalid"
    statement = mapping.capability_statement(
        software_version="0.1.0", published=date(2026, 1, 1), base_url="https://host/fhir/R4/"
    )
    validate(statement)
    assert statement["fhirVersion"] == "4.0.1"


# --- reading an import ---------------------------------------------------------------------------------------------


def response_body(**changes):
    body = {
        "resourceType": "QuestionnaireResponse",
        "questionnaire": mapping.questionnaire_url("ucla3", "1"),
        "status": "completed",
        "subject": {"reference": "Patient/7"},
        "authored": "2026-01-06",
        "item": [
            {
                "linkId": "companionship",
                "answer": [{"valueCoding": {"system": mapping.answer_system("ucla3"), "code": "1"}}],
            },
            {"linkId": "left_out", "answer": [{"valueInteger": 2}]},
            {"linkId": "group", "item": [{"linkId": "isolated", "answer": [{"valueCoding": {"code": "3"}}]}]},
        ],
    }
    body.update(changes)
    return body


def test_a_response_to_our_questionnaire_is_read_by_link_id():
    got = importing.received(response_body(), bases=["https://host/fhir/R4/"])
    assert (got.instrument_id, got.version, got.patient_id, got.authored, got.mode) == (
        "ucla3",
        "1",
        "7",
        date(2026, 1, 6),
        "with_person",
    )
    assert importing.answers_in_order(CATALOGUE.get("ucla3"), got.answers) == [1, 2, 3]


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"resourceType": "Patient"}, "resource_type"),
        ({"questionnaire": "http://example.org/Questionnaire/x"}, "questionnaire_unknown"),
        ({"questionnaire": mapping.questionnaire_url("ucla3", "1") + "|2"}, "questionnaire_version_mismatch"),
        ({"status": "in-progress"}, "response_not_completed"),
        ({"subject": {"reference": "http://elsewhere/Patient/7"}}, "subject_required"),
        ({"authored": "2026-01"}, "authored_required"),
        ({"authored": "2026-01-06T10:00:00"}, "authored_required"),
    ],
)
def test_what_cannot_be_recorded_is_refused_naming_the_element(changes, code):
    with pytest.raises(ImportProblem) as refused:
        importing.received(response_body(**changes), bases=["https://host/fhir/R4/"])
    assert refused.value.code == code and refused.value.expression


@pytest.mark.parametrize(
    ("item", "code"),
    [
        ({"linkId": "lonely", "answer": [{"valueInteger": 1}]}, "item_unknown"),
        (
            {"linkId": "companionship", "answer": [{"valueInteger": 1}, {"valueInteger": 2}]},
            "answers_too_many",
        ),
        ({"linkId": "companionship", "answer": [{"valueString": "often"}]}, "answer_type"),
        (
            {
                "linkId": "companionship",
                "answer": [{"valueCoding": {"system": "http://loinc.org", "code": "1"}}],
            },
            "answer_system",
        ),
        ({"linkId": "companionship", "answer": [{"valueCoding": {"code": "often"}}]}, "answer_not_allowed"),
    ],
)
def test_answers_we_cannot_map_are_refused_naming_the_item(item, code):
    got = importing.received(response_body(item=[item]))
    with pytest.raises(ImportProblem) as refused:
        importing.answers_in_order(CATALOGUE.get("ucla3"), got.answers)
    assert refused.value.code == code
    assert refused.value.expression == (importing.item_path(item["linkId"]),)


def test_self_completed_when_the_patient_wrote_it_and_our_extension_wins():
    assert importing.received(response_body(author={"reference": "Patient/7"})).mode == "self_completed"
    extension = [
        {"url": mapping.MODE_EXTENSION, "valueCoding": {"system": mapping.MODE_SYSTEM, "code": "phone"}}
    ]
    assert importing.received(response_body(extension=extension)).mode == "phone"
    timed = importing.received(response_body(authored="2026-01-06T23:30:00+00:00")).authored
    assert timed == datetime(2026, 1, 6, 23, 30, tzinfo=UTC)


@needs_fixtures
def test_the_hl7_sdc_phq9_example_is_refused_as_not_one_of_our_questionnaires():
    body = fixture(SDC_RESPONSE)
    validate(body)
    with pytest.raises(ImportProblem) as refused:
        importing.received(body, bases=["https://host/fhir/R4/"])
    assert refused.value.code == "questionnaire_unknown"
    assert "phq9" not in CATALOGUE and "PHQ9" in refused.value.message


def test_a_cost_is_a_cost_not_a_score():
    csri = CATALOGUE.get("csri_example")
    row = administration(csri, answers_for(csri))
    observation = mapping.observation(row, csri)
    validate(observation)
    assert observation["valueQuantity"] == {"value": row.total, "unit": "cost"}
