"""Two study leads with the same set-up page open: the first save is kept, the second is refused with a
message and changes nothing: a timepoint, its schedule, the study's status and its unit-cost table."""

import pytest

from connecting_people.accounts.models import Role
from connecting_people.accounts.tests.factories import UserFactory, member
from connecting_people.audit.models import AuditEvent
from connecting_people.core.tests.editing import opened, refused_as_stale
from connecting_people.measures import registry
from connecting_people.study.models import ScheduledInstrument, Study, StudyMember, Timepoint, UnitCost


@pytest.fixture
def second_lead(org, study_setup):
    user = UserFactory(username="second_lead")
    member(user, Role.RESEARCHER, trust=org.trust)
    StudyMember.objects.create(study=study_setup.study, user=user, role="lead", added_by=study_setup.lead)
    return user


def state():
    return (
        list(Study.objects.values()),
        list(Timepoint.objects.order_by("pk").values()),
        list(ScheduledInstrument.objects.order_by("pk").values()),
        list(UnitCost.objects.order_by("pk").values()),
        AuditEvent.objects.count(),
    )


def timepoint_data(**changes):
    return {"code": "m6", "label": "6 months", "target_day": "182", "window_before": "28"} | changes


def test_second_of_two_timepoint_edits_is_refused_and_the_first_kept(study_setup, second_lead):
    s = study_setup
    point = s.study.timepoints.get(code="m6")
    url = f"/study/{s.study.pk}/timepoints/{point.pk}/"
    first, first_form = opened(s.lead, url)
    second, second_form = opened(second_lead, url)
    assert first.post(url, timepoint_data(window_after="90", **first_form)).status_code == 302
    before = state()
    refused_as_stale(
        second, second.post(url, timepoint_data(window_after="30", label="Six months", **second_form))
    )
    assert state() == before
    point.refresh_from_db()
    assert (point.label, point.window_after) == ("6 months", 90)


def test_a_schedule_saved_after_the_timepoint_changed_is_refused(study_setup, second_lead):
    s = study_setup
    point = s.study.timepoints.get(code="m6")
    schedule_url = f"/study/{s.study.pk}/timepoints/{point.pk}/schedule/"
    first, first_form = opened(s.lead, schedule_url)
    second, second_form = opened(second_lead, schedule_url)
    assert first.post(schedule_url, {**first_form, "instruments": ["swemwbs", "ucla3"]}).status_code == 302
    before = state()
    refused_as_stale(second, second.post(schedule_url, {**second_form, "instruments": ["eq5d5l"]}))
    assert state() == before
    assert list(point.schedule.values_list("instrument_id", flat=True)) == ["swemwbs", "ucla3"]


def test_second_of_two_status_changes_is_refused(study_setup, second_lead):
    s = study_setup
    url = f"/study/{s.study.pk}/status/"
    first, first_form = opened(s.lead, url)
    second, second_form = opened(second_lead, url)
    assert first.post(url, {**first_form, "status": "follow_up"}).status_code == 302
    before = state()
    refused_as_stale(second, second.post(url, {**second_form, "status": "closed"}))
    assert state() == before and Study.objects.get().status == "follow_up"


def test_second_of_two_unit_cost_tables_is_refused(study_setup, second_lead):
    s = study_setup
    url = f"/study/{s.study.pk}/unit-costs/"
    first, first_form = opened(s.lead, url)
    second, second_form = opened(second_lead, url)

    def table(cost, year):
        data = {"price_year": year, "currency": "GBP", "source": "Own costing"}
        for item in registry.instrument("csri_example").items:
            data |= {f"cost_{item.id}": cost, f"unit_{item.id}": "contact"}
        return data

    assert first.post(url, {**first_form, **table("10", "2025/26")}).status_code == 302
    before = state()
    refused_as_stale(second, second.post(url, {**second_form, **table("99", "2026/27")}))
    assert state() == before and Study.objects.get().price_year == "2025/26"
