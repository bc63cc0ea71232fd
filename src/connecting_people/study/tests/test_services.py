"""Participants and assessments at the service layer: enrolment and its numbering, consent versions, withdrawal
(keep or remove the data) and the refusals, assessments (refusals, the out-of-window flag, days re-placed when the
baseline moves), where each participant stands at each timepoint (`schedule`, `timepoint_statuses`), the to-do
list and the screening log."""

from datetime import date
from decimal import Decimal

import numpy as np
import pytest
from django.http import Http404

from connecting_people.accounts.models import Role
from connecting_people.accounts.tests.factories import TeamFactory, member
from connecting_people.audit.models import AuditEvent
from connecting_people.core.errors import NotAllowedError, ServiceError
from connecting_people.people.tests.factories import PersonFactory
from connecting_people.study import selectors, services
from connecting_people.study.design import schedule
from connecting_people.study.models import Assessment, Consent, Participant, Screening, Study, StudyMember

from .conftest import START, days

UCLA = [1, 2, 3]  # total 6
LATER = date(2026, 11, 1)  # a "today" after every date used below
ENROLLED = START + days(3)


def enrol(s, team="T01", on=ENROLLED, consented_on=None, access=None, **extra):
    return services.participant_enrol(
        actor=s.lead,
        access=access or s.access,
        study_team_id=s.teams[team].pk,
        enrolled_on=on,
        consented_on=consented_on or on,
        today=LATER,
        **extra,
    )


def timepoint(s, code):
    return s.study.timepoints.get(code=code)


def record(s, participant, code, on, instrument="ucla3", answers=UCLA):
    return services.assessment_record(
        actor=s.lead,
        access=s.access,
        participant=participant,
        timepoint_id=timepoint(s, code).pk,
        instrument_id=instrument,
        answers=answers,
        administered_on=on,
    )


def fresh(participant) -> Participant:
    return Participant.objects.get(pk=participant.pk)


# --- enrolment ------------------------------------------------------------------------------------------------


def test_numbers_follow_on_within_a_study_with_the_study_code_as_prefix(study_setup):
    s = study_setup
    numbers = [enrol(s, team).number for team in ("T01", "T02", "T03")]
    assert numbers == ["CPIS-0001", "CPIS-0002", "CPIS-0003"]
    third = Participant.objects.get(number="CPIS-0003")
    assert third.site.code == "site02" and third.study_team.arm == "intervention"
    assert third.research_only and third.status == Participant.Status.ACTIVE


def test_enrolment_records_consent_to_the_current_version_and_audits_without_the_notes(study_setup):
    s = study_setup
    participant = enrol(s, on=START + days(10), consented_on=START + days(8), eligibility_notes="Lives alone")
    assert list(participant.consents.values_list("version", "consented_on")) == [("v1.0", START + days(8))]
    assert fresh(participant).eligibility_notes == "Lives alone"
    event = AuditEvent.objects.get(action="study.participant_enrolled")
    assert event.summary["number"] == "CPIS-0001" and event.summary["research_only"] is True
    assert "Lives alone" not in str(event.summary)


@pytest.mark.parametrize(
    "change, field",
    [
        ({"on": LATER + days(1)}, "enrolled_on"),  # after "today"
        ({"on": START - days(1)}, "enrolled_on"),  # before the study starts
        ({"consented_on": START + days(4)}, "consented_on"),  # consent after enrolment (START + 3)
        ({"date_of_birth": START + days(3)}, "date_of_birth"),
    ],
)
def test_enrolment_refusals_name_the_field_and_save_nothing(study_setup, change, field):
    with pytest.raises(ServiceError) as refused:
        enrol(study_setup, **change)
    assert refused.value.field == field
    assert not Participant.objects.exists() and not Consent.objects.exists()


@pytest.mark.parametrize("status", [Study.Status.SETTING_UP, Study.Status.FOLLOW_UP, Study.Status.CLOSED])
def test_only_a_recruiting_study_enrols(study_setup, status):
    s = study_setup
    services.study_status_set(
        actor=s.lead, access=s.access, expected_version=s.access.study.version, status=status
    )
    with pytest.raises(ServiceError, match="not recruiting"):
        enrol(s, access=selectors.study_access(actor=s.lead, study_id=s.study.pk))
    assert not Participant.objects.exists()


def test_a_site_limited_member_enrols_at_their_own_sites_teams_only(study_setup, org):
    s = study_setup
    site_two = s.study.sites.get(code="site02")
    member(org.no_role, Role.RESEARCHER, trust=site_two.trust)
    StudyMember.objects.create(
        study=s.study, user=org.no_role, role="researcher", site=site_two, added_by=s.lead
    )
    limited = selectors.study_access(actor=org.no_role, study_id=s.study.pk)
    with pytest.raises(ServiceError) as refused:
        enrol(s, team="T01", access=limited)
    assert refused.value.field == "study_team"
    assert enrol(s, team="T03", access=limited).site == site_two


def test_staff_enrol_a_person_who_is_then_no_longer_offered_the_study(study_setup, org):
    s = study_setup
    person = PersonFactory(team=org.team, allocated_worker=org.practitioner, research_consent=None)
    [offered] = selectors.studies_open_to_person(person=person)
    assert offered == s.teams["T01"]
    participant = services.person_enrol(
        actor=org.practitioner,
        person_id=person.pk,
        study_team_id=offered.pk,
        enrolled_on=START + days(20),
        consented_on=START + days(20),
        today=LATER,
    )
    assert (
        participant.person == person and participant.number == "CPIS-0001" and not participant.research_only
    )
    person.refresh_from_db()
    assert person.research_consent is True and person.research_consent_on == START + days(20)
    assert list(selectors.studies_open_to_person(person=person)) == []
    with pytest.raises(ServiceError, match="already enrolled"):
        services.person_enrol(
            actor=org.lead,
            person_id=person.pk,
            study_team_id=offered.pk,
            enrolled_on=START + days(21),
            consented_on=START + days(21),
            today=LATER,
        )


def test_person_enrolment_is_for_their_staff_and_their_teams_study_only(study_setup, org):
    s = study_setup
    person = PersonFactory(team=org.team, allocated_worker=org.practitioner)
    dates = {"enrolled_on": START + days(20), "consented_on": START + days(20), "today": LATER}
    for outsider in (org.colleague, org.other_lead, org.researcher):
        with pytest.raises(Http404):
            services.person_enrol(
                actor=outsider, person_id=person.pk, study_team_id=s.teams["T01"].pk, **dates
            )
    with pytest.raises(ServiceError) as refused:  # T02 is another team's
        services.person_enrol(actor=org.lead, person_id=person.pk, study_team_id=s.teams["T02"].pk, **dates)
    assert refused.value.field == "study_team"
    assert not Participant.objects.exists()


# --- consent ------------------------------------------------------------------------------------------------


def test_consent_to_a_new_version_adds_a_row_and_each_version_is_recorded_once(study_setup):
    s = study_setup
    participant = enrol(s)
    services.consent_record(
        actor=s.lead, access=s.access, participant=participant, version=" v2.0 ", consented_on=START + days(40)
    )
    assert list(
        selectors.participant_consents(participant=participant).values_list("version", flat=True)
    ) == [
        "v1.0",
        "v2.0",
    ]
    for version, on, field in [
        ("v2.0", START + days(41), "version"),
        ("  ", START + days(41), "version"),
        ("v3.0", date.today() + days(1), "consented_on"),
    ]:
        with pytest.raises(ServiceError) as refused:
            services.consent_record(
                actor=s.lead, access=s.access, participant=participant, version=version, consented_on=on
            )
        assert refused.value.field == field
    assert participant.consents.count() == 2


def test_a_withdrawn_participant_gives_no_new_consent(study_setup):
    s = study_setup
    participant = enrol(s)
    services.participant_withdraw(
        actor=s.lead,
        access=s.access,
        participant=participant,
        withdrawn_on=START + days(30),
        reason="moved",
        choice="keep-collected",
    )
    with pytest.raises(ServiceError, match="has withdrawn"):
        services.consent_record(
            actor=s.lead,
            access=s.access,
            participant=participant,
            version="v2.0",
            consented_on=START + days(40),
        )


# --- withdrawal ---------------------------------------------------------------------------------------------


def withdraw(s, participant, on, choice="keep-collected", reason="participant_choice"):
    return services.participant_withdraw(
        actor=s.lead, access=s.access, participant=participant, withdrawn_on=on, reason=reason, choice=choice
    )


@pytest.mark.parametrize("choice", ["keep-collected", "remove-data"])
def test_withdrawal_records_date_reason_and_the_choice_about_the_data(study_setup, choice):
    s = study_setup
    participant = enrol(s)
    record(s, participant, "baseline", START + days(5))
    withdraw(s, participant, START + days(60), choice=choice, reason="unwell")
    participant = fresh(participant)
    assert participant.withdrawn and participant.withdrawn_on == START + days(60)
    assert (participant.withdrawal_reason, participant.withdrawal_choice) == ("unwell", choice)
    assert participant.assessments.count() == 1  # nothing is deleted, whichever the choice
    event = AuditEvent.objects.get(action="study.participant_withdrawn")
    assert event.summary["choice"] == choice and event.summary["number"] == participant.number


def test_withdrawal_refusals(study_setup):
    s = study_setup
    participant = enrol(s)
    record(s, participant, "baseline", START + days(20))
    cases = [
        ({"on": START + days(2)}, "withdrawn_on"),  # before enrolment
        ({"on": date.today() + days(1)}, "withdrawn_on"),
        ({"on": START + days(10)}, "withdrawn_on"),  # keeping data, yet an assessment is dated after it
        ({"on": START + days(30), "reason": "bored"}, "reason"),
        ({"on": START + days(30), "choice": "shred"}, "choice"),
    ]
    for change, field in cases:
        with pytest.raises(ServiceError) as refused:
            withdraw(s, participant, **change)
        assert refused.value.field == field, change
    assert not fresh(participant).withdrawn
    withdraw(s, participant, START + days(10), choice="remove-data")  # removing: the later data goes anyway
    with pytest.raises(ServiceError, match="already withdrawn"):
        withdraw(s, fresh(participant), START + days(30))


# --- assessments ------------------------------------------------------------------------------------------


def test_an_assessment_is_scored_and_placed_by_days_from_baseline(study_setup):
    s = study_setup
    participant = enrol(s)  # START + 3
    baseline = record(s, participant, "baseline", START + days(5))
    assert (baseline.day, baseline.in_window, baseline.total, baseline.band) == (
        0,
        True,
        6.0,
        "more lonely (6-9)",
    )
    assert fresh(participant).baseline_on == START + days(5)
    follow_up = record(s, participant, "m6", START + days(5 + 190))
    assert (follow_up.day, follow_up.in_window) == (190, True)
    assert AuditEvent.objects.filter(action="study.assessment_recorded").count() == 2


@pytest.mark.parametrize(
    "day, in_window", [(153, False), (154, True), (238, True), (239, False), (300, False)]
)
def test_outside_the_window_is_saved_and_flagged_with_its_day(study_setup, day, in_window):
    s = study_setup
    participant = enrol(s)
    record(s, participant, "baseline", START + days(5))
    follow_up = record(s, participant, "m6", START + days(5 + day))
    assert (follow_up.day, follow_up.in_window) == (day, in_window)
    event = AuditEvent.objects.filter(action="study.assessment_recorded").last()
    assert (event.summary["day"], event.summary["in_window"]) == (day, in_window)


def test_a_baseline_recorded_later_places_the_follow_up_again(study_setup):
    s = study_setup
    participant = enrol(s)  # START + 3: days count from enrolment until a baseline is recorded
    follow_up = record(s, participant, "m6", START + days(3 + 240))
    assert (follow_up.day, follow_up.in_window) == (240, False)
    record(s, participant, "baseline", START + days(8))  # the anchor moves 5 days on
    follow_up.refresh_from_db()
    assert (follow_up.day, follow_up.in_window) == (235, True)
    first = Assessment.objects.get(timepoint__code="baseline", instrument_id="ucla3")
    record(
        s, participant, "baseline", START + days(6), instrument="swemwbs", answers=[3] * 7
    )  # earlier still
    assert fresh(participant).baseline_on == START + days(6)
    first.refresh_from_db()
    follow_up.refresh_from_db()
    assert (first.day, first.in_window) == (2, True)
    assert follow_up.day == 237


def test_assessment_refusals_save_nothing(study_setup):
    s = study_setup
    participant = enrol(s, on=START + days(10), consented_on=START + days(9))
    record(s, participant, "baseline", START + days(12))
    cases = [
        (
            {"code": "baseline", "on": START + days(12), "instrument": "wemwbs", "answers": [3] * 14},
            "not scheduled",
        ),
        ({"code": "baseline", "on": START + days(13)}, "already recorded"),
        ({"code": "m6", "on": date.today() + days(1)}, "future"),
        ({"code": "m6", "on": START + days(8)}, "before the participant consented"),
        ({"code": "m6", "on": START + days(190), "answers": [1, 2, 7]}, "isolated"),  # 7 is not an answer
    ]
    for change, message in cases:
        with pytest.raises(ServiceError, match=message):
            record(s, participant, **change)
    assert Assessment.objects.count() == 1


def test_unknown_or_another_studys_timepoint_is_not_found(study_setup, org):
    s = study_setup
    participant = enrol(s)
    other = services.study_create(
        actor=s.lead,
        data=services.StudyData(code="other", title="Another study", starts_on=START, consent_version="v1"),
    )
    for timepoint_id in (other.timepoints.first().pk, 999999):
        with pytest.raises(Http404):
            services.assessment_record(
                actor=s.lead,
                access=s.access,
                participant=participant,
                timepoint_id=timepoint_id,
                instrument_id="ucla3",
                answers=UCLA,
                administered_on=START + days(5),
            )


def test_after_withdrawal_only_data_dated_before_it_is_recorded(study_setup):
    s = study_setup
    participant = enrol(s)
    withdraw(s, participant, START + days(20))
    participant = fresh(participant)
    with pytest.raises(ServiceError, match="withdrew on") as refused:
        record(s, participant, "baseline", START + days(21))
    assert refused.value.field == "administered_on"
    assert record(s, participant, "baseline", START + days(15)).day == 0  # collected before, entered now


def test_nothing_is_recorded_for_a_participant_who_asked_for_their_data_to_be_removed(study_setup):
    s = study_setup
    participant = enrol(s)
    withdraw(s, participant, START + days(20), choice="remove-data")
    with pytest.raises(ServiceError, match="removed"):
        record(s, fresh(participant), "baseline", START + days(10))  # even dated before withdrawal
    assert not Assessment.objects.exists()


# --- where each participant stands --------------------------------------------------------------------------

ANCHOR = date(2026, 1, 1)
SIX_MONTHS = schedule.Window(182, 28, 56)  # in window from day 154 to day 238


@pytest.mark.parametrize(
    "on_day, scheduled, recorded, withdrawn_day, expected",
    [
        (100, 5, 0, None, schedule.NOT_DUE),  # opens in 54 days
        (139, 5, 0, None, schedule.NOT_DUE),  # opens in 15 days
        (140, 5, 0, None, schedule.DUE),  # opens in 14 days
        (154, 5, 0, None, schedule.IN_WINDOW),
        (182, 5, 0, None, schedule.IN_WINDOW),  # the target day itself
        (183, 5, 0, None, schedule.OVERDUE),
        (238, 5, 0, None, schedule.OVERDUE),  # the last day of the window
        (239, 5, 0, None, schedule.MISSED),
        (200, 5, 5, None, schedule.DONE),
        (300, 5, 5, None, schedule.DONE),
        (200, 5, 2, None, schedule.PARTLY_DONE),
        (239, 5, 2, None, schedule.MISSED),  # partly done and the window has closed
        (100, 5, 0, 90, schedule.MISSED),  # withdrew before the window even opened
        (200, 5, 2, 190, schedule.MISSED),
        (250, 5, 0, 240, schedule.MISSED),  # withdrew after the window closed: missed all the same
        (160, 0, 0, None, schedule.IN_WINDOW),  # nothing scheduled: still placed by date
    ],
)
def test_schedule_status_on_chosen_days(on_day, scheduled, recorded, withdrawn_day, expected):
    withdrawn_on = ANCHOR + days(withdrawn_day) if withdrawn_day is not None else None
    got = schedule.status(
        SIX_MONTHS,
        anchor=ANCHOR,
        today=ANCHOR + days(on_day),
        scheduled=scheduled,
        recorded=recorded,
        withdrawn_on=withdrawn_on,
    )
    assert got == expected


def test_window_dates_and_membership():
    assert SIX_MONTHS.opens(ANCHOR) == date(2026, 6, 4)
    assert SIX_MONTHS.target(ANCHOR) == date(2026, 7, 2)
    assert SIX_MONTHS.closes(ANCHOR) == date(2026, 8, 27)
    assert SIX_MONTHS.in_window(ANCHOR, date(2026, 6, 4)) and not SIX_MONTHS.in_window(
        ANCHOR, date(2026, 6, 3)
    )
    assert SIX_MONTHS.in_window(ANCHOR, date(2026, 8, 27)) and not SIX_MONTHS.in_window(
        ANCHOR, date(2026, 8, 28)
    )


TODAY = date(2026, 8, 1)


def test_timepoint_statuses_for_every_participant_and_timepoint(study_setup):
    s = study_setup
    done = enrol(s, on=TODAY - days(200))
    record(s, done, "baseline", TODAY - days(200))
    waiting = enrol(s, team="T02", on=TODAY - days(100))
    rows = selectors.timepoint_statuses(access=s.access, today=TODAY)
    got = {(row.participant.number, row.timepoint.code): row for row in rows}
    assert {key: row.status for key, row in got.items()} == {
        (done.number, "baseline"): schedule.MISSED,  # one instrument of five, and the window closed
        (done.number, "m6"): schedule.OVERDUE,
        (waiting.number, "baseline"): schedule.MISSED,
        (waiting.number, "m6"): schedule.NOT_DUE,
    }
    six_months = got[(done.number, "m6")]
    assert (six_months.opens, six_months.target, six_months.closes) == (
        TODAY - days(200 - 154),
        TODAY - days(200 - 182),
        TODAY + days(238 - 200),
    )
    assert (got[(done.number, "baseline")].recorded, got[(done.number, "baseline")].scheduled) == (1, 5)


def test_the_to_do_list_has_open_and_recently_missed_timepoints_and_leaves_out_removed_data(study_setup):
    s = study_setup
    in_window = enrol(s, on=TODAY - days(160))  # 6 months in window; baseline closed 132 days ago
    recently_missed = enrol(s, on=TODAY - days(45))  # baseline closed 17 days ago
    due_soon = enrol(s, on=TODAY - days(145))  # 6 months opens in 9 days
    overdue = enrol(s, on=TODAY - days(190))  # 6 months target 8 days ago
    just_enrolled = enrol(s, on=TODAY)  # baseline in window today
    removed = enrol(s, on=TODAY - days(160))
    withdraw(s, removed, TODAY - days(10), choice="remove-data")
    rows = selectors.assessments_to_do(access=s.access, today=TODAY)
    assert sorted((row.participant.number, row.timepoint.code, row.status) for row in rows) == sorted(
        [
            (in_window.number, "m6", schedule.IN_WINDOW),
            (recently_missed.number, "baseline", schedule.MISSED),
            (due_soon.number, "m6", schedule.DUE),
            (overdue.number, "m6", schedule.OVERDUE),
            (just_enrolled.number, "baseline", schedule.IN_WINDOW),
        ]
    )


# --- screening ----------------------------------------------------------------------------------------------


def test_screening_counts_by_site_and_reason(study_setup, org):
    s = study_setup
    one, two = s.study.sites.get(code="site01"), s.study.sites.get(code="site02")
    for site, reason, count in [
        (one, "declined", 2),
        (one, "declined", 3),
        (one, "not_eligible", 1),
        (two, "other", 4),
    ]:
        services.screening_record(
            actor=s.lead,
            access=s.access,
            site_id=site.pk,
            screened_on=START + days(9),
            reason=reason,
            count=count,
        )
    assert selectors.screening_counts(access=s.access) == [
        {"site": "site01", "reason": "declined", "total": 5},
        {"site": "site01", "reason": "not_eligible", "total": 1},
        {"site": "site02", "reason": "other", "total": 4},
    ]
    member(org.no_role, Role.RESEARCHER, trust=two.trust)
    StudyMember.objects.create(study=s.study, user=org.no_role, role="researcher", site=two, added_by=s.lead)
    limited = selectors.study_access(actor=org.no_role, study_id=s.study.pk)
    assert selectors.screening_counts(access=limited) == [{"site": "site02", "reason": "other", "total": 4}]
    for change, field in [
        ({"site_id": one.pk}, "site"),  # not their site
        ({"reason": "bored"}, "reason"),
        ({"count": 0}, "count"),
        ({"screened_on": date.today() + days(1)}, "screened_on"),
    ]:
        arguments = {"site_id": two.pk, "screened_on": START, "reason": "declined", "count": 1} | change
        with pytest.raises(ServiceError) as refused:
            services.screening_record(actor=org.no_role, access=limited, **arguments)
        assert refused.value.field == field
    assert Screening.objects.count() == 4


CSRI = [
    2,
    0,
    1,
    0,
    3,
    0,
    0,
    0,
    4,
]  # GP, nurse, A&E, nights, CMHT, therapy, social worker, day centre, peer support


def test_service_use_is_costed_from_the_studys_own_table_at_its_price_year(study_setup):
    s = study_setup
    costs = {row.service: (row.unit, row.cost) for row in s.study.unit_costs.all()}
    costs["gp_appointment"] = ("surgery appointment", Decimal("50.00"))
    costs["peer_support"] = ("session", Decimal("12.50"))
    services.unit_costs_set(
        actor=s.lead,
        access=s.access,
        expected_version=s.access.study.version,
        price_year="2025/26",
        currency="GBP",
        source="Our finance team",
        costs=costs,
    )
    participant = enrol(s)
    assessment = record(s, participant, "baseline", ENROLLED, instrument="csri_example", answers=CSRI)
    expected = (
        2 * 50
        + 1 * float(costs["emergency_department"][1])
        + 3 * float(costs["community_team"][1])
        + 4 * 12.5
    )
    assert assessment.total == pytest.approx(expected)


def test_a_unit_cost_table_missing_a_service_refuses_service_use_and_saves_nothing(study_setup):
    s = study_setup
    s.study.unit_costs.filter(service="day_centre").delete()
    participant = enrol(s)
    with pytest.raises(ServiceError, match="day_centre.*unit-cost table"):
        record(s, participant, "baseline", ENROLLED, instrument="csri_example", answers=CSRI)
    assert not Assessment.objects.filter(participant=participant).exists()


# --- fixes after review -------------------------------------------------------------------------------------


def test_a_late_baseline_is_flagged_outside_its_window_counted_from_enrolment(study_setup):
    s = study_setup
    participant = enrol(s)
    late = record(s, participant, "baseline", ENROLLED + days(40))  # window: enrolment to day 28
    assert (late.day, late.in_window) == (0, False)
    statuses = selectors.timepoint_statuses(
        access=s.access, today=ENROLLED + days(41), participants=Participant.objects.filter(pk=participant.pk)
    )
    baseline = next(row for row in statuses if row.timepoint.code == "baseline")
    assert baseline.opens == ENROLLED and baseline.closes == ENROLLED + days(28)
    follow_up = next(row for row in statuses if row.timepoint.code == "m6")
    assert follow_up.target == ENROLLED + days(40 + 182)  # follow-up still counts from the baseline interview


@pytest.mark.parametrize("version", ["v1.0 May 2026", "", "Jo Bloggs", "x" * 41, "-v1"])
def test_a_consent_version_must_be_a_short_code(study_setup, version):
    s = study_setup
    participant = enrol(s)
    with pytest.raises(ServiceError) as refused:
        services.consent_record(
            actor=s.lead, access=s.access, participant=participant, version=version, consented_on=ENROLLED
        )
    assert refused.value.field == "version" and "short code" in refused.value.message
    with pytest.raises(ServiceError):
        services.study_create(
            actor=s.lead, data=services.StudyData(code="other", title="Other", starts_on=START, consent_version=version)
        )
    assert participant.consents.count() == 1 and Study.objects.count() == 1


def test_a_study_lead_cannot_be_limited_to_a_site(study_setup, org):
    s = study_setup
    member(org.no_role, Role.RESEARCHER, trust=org.trust)
    with pytest.raises(ServiceError) as refused:
        services.member_add(
            actor=s.lead, access=s.access, username="no_role", role="lead", site_id=s.study.sites.first().pk
        )
    assert refused.value.field == "site"
    assert not StudyMember.objects.filter(user=org.no_role).exists()


def test_a_lead_limited_to_a_site_is_treated_as_a_researcher_of_that_site(study_setup):
    s = study_setup
    StudyMember.objects.filter(user=s.lead).update(site=s.study.sites.first())
    limited = selectors.study_access(actor=s.lead, study_id=s.study.pk)
    assert not limited.is_lead
    with pytest.raises(NotAllowedError):
        services.team_allocate(actor=s.lead, access=limited, team_id=s.teams["T01"].team_id, arm="control")


def test_a_member_who_no_longer_has_the_researcher_role_loses_the_study(study_setup):
    s = study_setup
    s.lead.memberships.all().delete()
    s.lead = type(s.lead).objects.get(pk=s.lead.pk)  # a fresh user: no cached scope
    with pytest.raises(Http404):
        selectors.study_access(actor=s.lead, study_id=s.study.pk)


def test_an_enormous_study_id_is_not_found(study_setup):
    with pytest.raises(Http404):
        selectors.study_access(actor=study_setup.lead, study_id=10**30)


def test_nobody_is_asked_to_act_for_a_participant_who_withdrew(study_setup):
    s = study_setup
    participant = enrol(s)
    record(s, participant, "baseline", ENROLLED + days(1))
    withdraw(s, participant, ENROLLED + days(10))
    assert selectors.assessments_to_do(access=s.access, today=ENROLLED + days(200)) == []


def test_random_allocation_clash_is_a_message_not_a_crash(study_setup, org, monkeypatch):
    s = study_setup
    extra = TeamFactory(trust=org.trust)
    real = services._next_team_code
    monkeypatch.setattr(services, "_next_team_code", lambda study: "T01")  # a code taken meanwhile
    with pytest.raises(ServiceError, match="changed while you were choosing"):
        services.teams_allocate_random(actor=s.lead, access=s.access, team_ids=[extra.pk], seed=1)
    monkeypatch.setattr(services, "_next_team_code", real)
    assert not s.study.teams.filter(team=extra).exists()


def test_a_new_unit_cost_table_costs_stored_service_use_again(study_setup):
    s = study_setup
    participant = enrol(s)
    stored = record(s, participant, "baseline", ENROLLED, instrument="csri_example", answers=CSRI)
    doubled = {row.service: (row.unit, row.cost * 2) for row in s.study.unit_costs.all()}
    services.unit_costs_set(
        actor=s.lead,
        access=s.access,
        expected_version=s.access.study.version,
        price_year="2026/27",
        currency="GBP",
        source="Doubled",
        costs=doubled,
    )
    assert Assessment.objects.get(pk=stored.pk).total == pytest.approx(stored.total * 2)
    event = AuditEvent.objects.filter(action="study.unit_costs_set").latest("id")
    assert event.summary["assessments_recosted"] == 1


def test_enrolment_from_practice_respects_the_record(study_setup, org):
    s = study_setup
    said_no = PersonFactory(team=org.team, allocated_worker=org.practitioner, research_consent=False)
    closed = PersonFactory(
        team=org.team,
        allocated_worker=org.practitioner,
        status="closed",
        closed_on=ENROLLED,
        closure_reason="moved_away",
    )
    for person in (said_no, closed):
        with pytest.raises(ServiceError):
            services.person_enrol(
                actor=org.practitioner,
                person_id=person.pk,
                study_team_id=s.teams["T01"].pk,
                enrolled_on=ENROLLED,
                consented_on=ENROLLED,
                today=LATER,
            )
    assert not Participant.objects.exists()
    willing = PersonFactory(team=org.team, allocated_worker=org.practitioner, research_consent=None)
    version = willing.version
    services.person_enrol(
        actor=org.practitioner,
        person_id=willing.pk,
        study_team_id=s.teams["T01"].pk,
        enrolled_on=ENROLLED,
        consented_on=ENROLLED,
        today=LATER,
    )
    willing.refresh_from_db()
    assert willing.research_consent is True and willing.version == version + 1
    assert AuditEvent.objects.filter(action="person.updated", person_id=willing.pk).exists()


def test_a_closed_study_records_no_more_data(study_setup):
    s = study_setup
    participant = enrol(s)
    services.study_status_set(
        actor=s.lead, access=s.access, expected_version=s.access.study.version, status=Study.Status.CLOSED
    )
    with pytest.raises(ServiceError, match="closed"):
        record(s, participant, "baseline", ENROLLED)
    assert not participant.assessments.exists()


# --- derived scores kept ----------------------------------------------------------------------------------------

RG_ANSWERS = [3, 3, 1, 1, 1, 2, 6, 4]  # family 5, friend 4, acquaintance 2, total 8


def test_resource_generator_access_by_source_is_stored_with_the_assessment(study_setup):
    s = study_setup
    participant = enrol(s)
    record(s, participant, "baseline", START + days(5), instrument="resource_generator_example", answers=RG_ANSWERS)
    stored = Assessment.objects.get(participant=participant, instrument_id="resource_generator_example")
    assert stored.total == 8
    assert stored.derived == {"access_via_family": 5, "access_via_friend": 4, "access_via_acquaintance": 2}


def test_the_simulation_stores_access_by_source_as_the_service_does():
    from connecting_people.measures import registry, scoring
    from connecting_people.measures.recording import stored_scores as one
    from connecting_people.study.simulation.db import stored_scores as batch

    instrument = registry.instrument("resource_generator_example")
    rows = [RG_ANSWERS, [0] * 8]
    result = scoring.score_batch(instrument, np.array(rows, dtype=float))
    derived = [row[2] for row in batch(result)]
    assert derived == [one(result.row(i)).derived for i in range(2)]
    assert derived[0] == {"access_via_family": 5, "access_via_friend": 4, "access_via_acquaintance": 2}


def test_the_migration_fills_access_by_source_for_assessments_stored_without_it(study_setup):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("connecting_people.study.migrations.0004_access_by_source_kept")
    s = study_setup
    participant = enrol(s)
    record(s, participant, "baseline", START + days(5), instrument="resource_generator_example", answers=RG_ANSWERS)
    Assessment.objects.filter(participant=participant).update(derived={})
    migration.keep_access_by_source(apps, None)
    stored = Assessment.objects.get(participant=participant, instrument_id="resource_generator_example")
    assert stored.derived == {"access_via_family": 5, "access_via_friend": 4, "access_via_acquaintance": 2}
