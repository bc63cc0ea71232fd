"""Recording and reviewing outcome measures in the browser pages: scoped, validated, scored, audited."""

from datetime import date

import pytest

from connecting_people.accounts.actor import as_actor
from connecting_people.audit.models import AuditEvent
from connecting_people.measures import registry
from connecting_people.measures.checks import instruments_load
from connecting_people.measures.models import Administration
from connecting_people.people.tests.factories import PersonFactory

SWEMWBS_ITEMS = ["optimistic", "useful", "relaxed", "problems", "thinking", "close", "decisions"]


@pytest.fixture
def person(org):
    return PersonFactory(team=org.team, allocated_worker=org.practitioner)


def swemwbs_post(day: int, answers: list[int | str], **extra) -> dict:
    data = {
        "administered_on_day": str(day),
        "administered_on_month": "3",
        "administered_on_year": "2026",
        "mode": "with_person",
        "timepoint_label": "baseline",
    }
    data.update({f"item_{item}": str(answer) for item, answer in zip(SWEMWBS_ITEMS, answers, strict=True)})
    return data | extra


def test_record_swemwbs_scores_and_audits(client, org, person):
    client.force_login(org.practitioner)
    response = client.post(f"/people/{person.pk}/measures/swemwbs/new/", swemwbs_post(1, [3] * 7))
    assert response.status_code == 302
    administration = Administration.objects.get()
    assert (administration.total, administration.derived["metric"]) == (21, 19.25)
    assert administration.answers == [3] * 7 and administration.administered_by == org.practitioner
    event = AuditEvent.objects.get(action="measure.recorded")
    assert event.person_id == person.pk
    assert event.summary == {"instrument": "swemwbs", "version": "1", "administered_on": "2026-03-01"}


def test_history_shows_change_chart_and_table(client, org, person):
    client.force_login(org.practitioner)
    client.post(f"/people/{person.pk}/measures/swemwbs/new/", swemwbs_post(1, [3] * 7))
    client.post(f"/people/{person.pk}/measures/swemwbs/new/", swemwbs_post(20, [4] * 7))
    content = client.get(f"/people/{person.pk}/measures/").content.decode()
    assert "<svg" in content and 'role="img"' in content
    assert "19.25" in content and "25.03" in content  # metric scores for raw 21 and 28
    assert "+5.78" in content  # change since first, on the metric
    assert AuditEvent.objects.filter(action="person.viewed", summary__page="measures").exists()


def test_eq5d_reports_its_value_set(client, org, person, settings):
    settings.CONNECTING_PEOPLE_EQ5D_VALUE_SET = "devlin2018-england"
    client.force_login(org.practitioner)
    data = {
        "administered_on_day": "2",
        "administered_on_month": "3",
        "administered_on_year": "2026",
        "mode": "phone",
        "item_mobility": "1",
        "item_self_care": "1",
        "item_usual_activities": "1",
        "item_pain_discomfort": "1",
        "item_anxiety_depression": "1",
        "item_vas": "80",
    }
    assert client.post(f"/people/{person.pk}/measures/eq5d5l/new/", data).status_code == 302
    administration = Administration.objects.get()
    assert administration.derived == {
        "index": 1.0,
        "state": "11111",
        "vas": 80,
        "value_set": "devlin2018-england",
    }
    assert "devlin2018-england" in client.get(f"/people/{person.pk}/measures/").content.decode()


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"item_useful": "9"}, "Select a valid choice"),
        ({"administered_on_day": "40"}, "Date completed must be a real date"),
        ({"mode": ""}, "Select an answer: how was it completed"),
    ],
)
def test_bad_input_saves_nothing(client, org, person, changes, message):
    client.force_login(org.practitioner)
    response = client.post(f"/people/{person.pk}/measures/swemwbs/new/", swemwbs_post(1, [3] * 7) | changes)
    content = response.content.decode()
    assert response.status_code == 200 and "There is a problem" in content and message in content
    assert not Administration.objects.exists()


def test_an_empty_form_is_refused(client, org, person):
    client.force_login(org.practitioner)
    response = client.post(f"/people/{person.pk}/measures/swemwbs/new/", swemwbs_post(1, [""] * 7))
    assert "Enter at least one answer" in response.content.decode()
    assert not Administration.objects.exists()


def test_missing_answer_is_saved_but_not_scored(client, org, person):
    client.force_login(org.practitioner)
    client.post(f"/people/{person.pk}/measures/swemwbs/new/", swemwbs_post(1, [3, 3, 3, "", 3, 3, 3]))
    administration = Administration.objects.get()
    assert administration.total is None and administration.missing_items == ["problems"]
    assert administration.missing_rule == "not-scored"


@pytest.mark.parametrize("url", ["measures/", "measures/new/", "measures/swemwbs/new/"])
def test_another_practitioners_person_is_not_found(client, org, person, url):
    client.force_login(org.colleague)
    assert client.get(f"/people/{person.pk}/{url}").status_code == 404
    assert client.post(f"/people/{person.pk}/{url}", swemwbs_post(1, [3] * 7)).status_code == 404
    assert not Administration.objects.exists()


def test_unknown_instrument_and_goal_scaling_have_no_page(client, org, person):
    client.force_login(org.practitioner)
    assert client.get(f"/people/{person.pk}/measures/nonsense/new/").status_code == 404
    assert client.get(f"/people/{person.pk}/measures/gas/new/").status_code == 404


def test_licensed_wording_is_not_shown_but_labels_are(client, org, person):
    client.force_login(org.practitioner)
    content = client.get(f"/people/{person.pk}/measures/swemwbs/new/").content.decode()
    instrument = registry.instrument("swemwbs")
    assert all(item.wording is None for item in instrument.items)
    assert "licensed" in content and instrument.items[0].label.capitalize() in content


def test_a_broken_definition_directory_fails_the_system_check(tmp_path, settings):
    (tmp_path / "broken.yaml").write_text("id: broken\nversion: 1\ntitle: Broken\nitems: not-a-list\n")
    settings.CONNECTING_PEOPLE_INSTRUMENTS_DIR = str(tmp_path)
    try:
        errors = instruments_load()
        assert len(errors) == 1 and "broken.yaml" in errors[0].msg
    finally:
        settings.CONNECTING_PEOPLE_INSTRUMENTS_DIR = ""
        registry.catalogue.cache_clear()


def test_an_unknown_value_set_fails_the_system_check(settings):
    settings.CONNECTING_PEOPLE_EQ5D_VALUE_SET = "made-up"
    errors = instruments_load()
    assert len(errors) == 1 and "made-up" in errors[0].msg


def test_administration_before_birth_is_refused(org, person):
    from connecting_people.core.errors import ServiceError
    from connecting_people.measures.services import administration_record

    with pytest.raises(ServiceError, match="after the person's date of birth"):
        administration_record(
            actor=as_actor(org.practitioner),
            person_id=person.pk,
            instrument_id="ucla3",
            answers=[1, 1, 1],
            administered_on=date(1900, 1, 1),
            mode="phone",
        )
