"""Implementation services: scored and saved with an audit event (codes, ids and dates only), bad input
refused with a message and nothing saved, out of reach 404."""

import json
from datetime import timedelta

import pytest
from django.http import Http404

from connecting_people.accounts.models import Role
from connecting_people.accounts.tests.factories import UserFactory, member
from connecting_people.audit.models import AuditEvent
from connecting_people.community.models import Organisation
from connecting_people.core.errors import ServiceError
from connecting_people.implementation import services
from connecting_people.implementation.models import (
    ChecklistStatus,
    FidelityRating,
    SupervisionRecord,
    TeamChampion,
    TeamCommunityLink,
    TrainingAttendance,
    TrainingSession,
)
from connecting_people.implementation.tests.conftest import (
    ANSWERS,
    EXPECTED_DOMAINS,
    EXPECTED_TOTAL,
    TODAY,
    rate,
)

SELF, SUPERVISOR, TEAM = FidelityRating.Kind.SELF, FidelityRating.Kind.SUPERVISOR, FidelityRating.Kind.TEAM


def nothing_saved(events_before: int) -> None:
    assert not FidelityRating.objects.exists()
    assert AuditEvent.objects.count() == events_before


# --- fidelity ratings ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", [SELF, SUPERVISOR, TEAM])
def test_a_rating_is_scored_by_the_engine_and_audited(org, kind):
    user = org.practitioner if kind == SELF else org.lead
    worker = org.practitioner if kind == SUPERVISOR else None
    rating = rate(user, kind, org.team, worker)
    rating.refresh_from_db()
    assert rating.total == EXPECTED_TOTAL
    assert rating.subscales == EXPECTED_DOMAINS
    assert rating.answers == ANSWERS
    assert (rating.scale_id, rating.scale_version) == ("cp_practice_fidelity", "1")
    assert rating.worker == (None if kind == TEAM else org.practitioner)
    assert rating.team == org.team and rating.rated_by == user
    assert rating.missing_rule == "no-missing"
    event = AuditEvent.objects.get(action="fidelity.rated")
    assert event.object_id == str(rating.pk) and event.person_id is None
    assert event.summary["kind"] == kind and event.summary["period_end"] == TODAY.isoformat()
    # No scores in the audit trail: no score entry, and no entry but the ids holding the total or a domain score
    # (compared as values: as text, "34" also turns up inside ids such as team 344, which failed at random).
    assert not {"total", "subscales", "answers", "score"} & set(event.summary)
    scores = {EXPECTED_TOTAL, *EXPECTED_DOMAINS.values()}
    assert not [
        key
        for key, value in event.summary.items()
        if key not in {"team", "worker"} and isinstance(value, int) and value in scores
    ]


@pytest.mark.parametrize(
    "answers, field, message",
    [
        ([5, *ANSWERS[1:]], "strengths_interests", "Choose a score from 0, 1, 2, 3 or 4 for “starting from"),
        ([*ANSWERS[:-1], -1], "community_links", "Choose a score from 0, 1, 2, 3 or 4 for “links with"),
        ([*ANSWERS[:-1], "x"], "community_links", "Choose a score from"),
        (
            [*ANSWERS[:3], None, *ANSWERS[4:]],
            "equal_relationship",
            "Choose a score for “an equal relationship”",
        ),
        (ANSWERS[:-1], "answers", "15 given; expected 16"),
    ],
)
def test_bad_answers_are_refused_and_nothing_is_saved(org, answers, field, message):
    events = AuditEvent.objects.count()
    with pytest.raises(ServiceError) as error:
        rate(org.lead, TEAM, org.team, answers=answers)
    assert error.value.field == field
    assert message in error.value.message
    nothing_saved(events)


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"rated_on": TODAY + timedelta(days=1)}, "rated_on"),
        ({"period_start": TODAY, "period_end": TODAY - timedelta(days=1)}, "period_end"),
        ({"period_end": TODAY + timedelta(days=1)}, "period_end"),
        ({"period_start": TODAY - timedelta(days=400)}, "period_start"),
    ],
)
def test_dates_out_of_order_are_refused(org, changes, field):
    events = AuditEvent.objects.count()
    with pytest.raises(ServiceError) as error:
        rate(org.lead, TEAM, org.team, **changes)
    assert error.value.field == field
    nothing_saved(events)


def test_an_unknown_scale_is_refused(org):
    with pytest.raises(ServiceError, match="unknown instrument 'nope'"):
        rate(org.lead, TEAM, org.team, scale_id="nope")


@pytest.mark.parametrize(
    "who, kind, team, worker",
    [
        ("other_lead", TEAM, "team", None),  # leads another team
        ("implementation_lead", TEAM, "team", None),  # team level reach reads, never writes ratings
        ("practitioner", TEAM, "team", None),
        ("other_lead", SUPERVISOR, "team", "practitioner"),
        ("lead", SUPERVISOR, "team", "lead"),  # not a practitioner of the team
        ("lead", SUPERVISOR, "other_team", "practitioner"),
        ("lead", SELF, "team", None),  # a lead who is not a practitioner has no self-rating
        ("practitioner", SELF, "other_team", None),
        ("practitioner", SUPERVISOR, "team", "colleague"),
        ("researcher", TEAM, "team", None),
    ],
)
def test_ratings_out_of_reach_are_not_found(org, who, kind, team, worker):
    events = AuditEvent.objects.count()
    with pytest.raises(Http404):
        rate(getattr(org, who), kind, getattr(org, team), getattr(org, worker) if worker else None)
    nothing_saved(events)


def test_a_lead_who_also_practises_cannot_give_themselves_a_supervisor_rating(org):
    member(org.lead, Role.PRACTITIONER, team=org.team)
    with pytest.raises(ServiceError, match="use a self-rating instead"):
        rate(org.lead, SUPERVISOR, org.team, org.lead)
    assert rate(org.lead, SELF, org.team).worker == org.lead


# --- training -------------------------------------------------------------------------------------------


def session_data(org, **changes):
    data = {
        "title": "Connecting People day 1",
        "held_on": TODAY - timedelta(days=3),
        "level": "worker",
        "trainer": "A trainer",
        "trust_id": org.trust.pk,
        "team_id": org.team.pk,
    }
    return services.TrainingData(**(data | changes))


def test_a_lead_records_a_session_with_attendance(org):
    session = services.training_session_create(
        actor=org.lead, data=session_data(org), attendee_ids=[org.practitioner.pk, org.colleague.pk]
    )
    assert session.recorded_by == org.lead and session.team == org.team
    assert set(session.attendance.values_list("attendee__username", flat=True)) == {
        "practitioner",
        "colleague",
    }
    actions = list(AuditEvent.objects.order_by("id").values_list("action", flat=True))
    assert actions == ["training.session_recorded", "training.attendance_set"]


@pytest.mark.parametrize(
    "changes, attendees, field",
    [
        ({"team_id": None}, [], "audience"),  # a lead cannot record a trust-wide session
        ({"level": "expert"}, [], "level"),
        ({"held_on": TODAY + timedelta(days=1)}, [], "held_on"),
        ({"title": "  "}, [], "title"),
        ({}, ["other_lead"], "attendees"),  # not in a team the lead leads
    ],
)
def test_a_bad_session_is_refused_and_nothing_is_saved(org, changes, attendees, field):
    events = AuditEvent.objects.count()
    with pytest.raises(ServiceError) as error:
        services.training_session_create(
            actor=org.lead,
            data=session_data(org, **changes),
            attendee_ids=[getattr(org, name).pk for name in attendees],
        )
    assert error.value.field == field
    assert not TrainingSession.objects.exists() and AuditEvent.objects.count() == events


def test_an_implementation_lead_records_trust_wide_training_for_anyone_in_the_trust(org):
    session = services.training_session_create(
        actor=org.implementation_lead,
        data=session_data(org, team_id=None, level="supervisor"),
        attendee_ids=[org.lead.pk, org.other_lead.pk],
    )
    assert session.team is None
    with pytest.raises(ServiceError):
        services.training_session_create(
            actor=org.implementation_lead,
            data=session_data(org, team_id=org.other_trust_team.pk, trust_id=org.other_trust_team.trust_id),
        )


def test_attendance_changes_only_for_those_the_user_may_mark(org):
    session = services.training_session_create(
        actor=org.implementation_lead,
        data=session_data(org, team_id=None),
        attendee_ids=[org.practitioner.pk, org.other_lead.pk],
    )
    change = services.training_attendance_set(
        actor=org.lead, session_id=session.pk, expected_version=1, attendee_ids=[org.colleague.pk]
    )
    assert change.added == (org.colleague.pk,) and change.removed == (org.practitioner.pk,)
    attended = set(
        TrainingAttendance.objects.filter(session=session).values_list("attendee__username", flat=True)
    )
    assert attended == {"colleague", "other_lead"}  # the other team's attendance is untouched
    events = AuditEvent.objects.count()
    services.training_attendance_set(
        actor=org.lead, session_id=session.pk, expected_version=2, attendee_ids=[org.colleague.pk]
    )
    assert AuditEvent.objects.count() == events  # nothing changed, nothing audited


def test_a_lead_cannot_reach_another_teams_session(org):
    session = services.training_session_create(
        actor=org.other_lead, data=session_data(org, team_id=org.other_team.pk)
    )
    with pytest.raises(Http404):
        services.training_attendance_set(
            actor=org.lead, session_id=session.pk, expected_version=1, attendee_ids=[]
        )


# --- champion, supervision ------------------------------------------------------------------------------


def test_naming_a_champion_keeps_the_history_with_one_current(org):
    first = services.champion_name(
        actor=org.lead,
        team_id=org.team.pk,
        expected_current_id=0,
        champion_id=org.practitioner.pk,
        since=TODAY - timedelta(days=60),
    )
    second = services.champion_name(
        actor=org.lead,
        team_id=org.team.pk,
        expected_current_id=first.pk,
        champion_id=org.colleague.pk,
        since=TODAY - timedelta(days=10),
    )
    first.refresh_from_db()
    assert first.until == TODAY - timedelta(days=11)
    assert list(TeamChampion.objects.filter(team=org.team, until__isnull=True)) == [second]
    assert AuditEvent.objects.filter(action="implementation.champion_named").count() == 2


@pytest.mark.parametrize(
    "champion, since, field",
    [
        ("other_lead", TODAY, "champion"),
        ("practitioner", TODAY + timedelta(days=1), "since"),
        ("colleague", TODAY - timedelta(days=90), "since"),  # before the current champion started
        ("practitioner", TODAY, "champion"),  # already the champion
    ],
)
def test_a_bad_champion_is_refused(org, champion, since, field):
    current = services.champion_name(
        actor=org.lead,
        team_id=org.team.pk,
        expected_current_id=0,
        champion_id=org.practitioner.pk,
        since=TODAY - timedelta(days=60),
    )
    before = list(TeamChampion.objects.values())
    with pytest.raises(ServiceError) as error:
        services.champion_name(
            actor=org.lead,
            team_id=org.team.pk,
            expected_current_id=current.pk,
            champion_id=getattr(org, champion).pk,
            since=since,
        )
    assert error.value.field == field
    assert list(TeamChampion.objects.values()) == before


def test_supervision_is_recorded_and_audited_without_its_notes(org):
    record = services.supervision_record(
        actor=org.lead,
        team_id=org.team.pk,
        worker_id=org.practitioner.pk,
        held_on=TODAY,
        connection_work_discussed=True,
        notes="Talked about going along to first sessions.",
    )
    assert record.supervisor == org.lead and record.connection_work_discussed is True
    event = AuditEvent.objects.get(action="implementation.supervision_recorded")
    assert "first sessions" not in json.dumps(event.summary)


def test_supervision_out_of_reach_or_in_the_future_is_refused(org):
    with pytest.raises(Http404):
        services.supervision_record(
            actor=org.other_lead,
            team_id=org.team.pk,
            worker_id=org.practitioner.pk,
            held_on=TODAY,
            connection_work_discussed=False,
        )
    with pytest.raises(ServiceError) as error:
        services.supervision_record(
            actor=org.lead,
            team_id=org.team.pk,
            worker_id=org.practitioner.pk,
            held_on=TODAY + timedelta(days=1),
            connection_work_discussed=False,
        )
    assert error.value.field == "held_on"
    assert not SupervisionRecord.objects.exists()


# --- community links and the checklist ------------------------------------------------------------------


def test_a_community_link_names_a_directory_organisation_or_its_own(org):
    allotments = Organisation.objects.create(name="Riverside Allotment Society")
    from_directory = services.community_link_create(
        actor=org.lead,
        team_id=org.team.pk,
        data=services.CommunityLinkData(since=TODAY, organisation_id=allotments.pk, name="ignored"),
    )
    assert from_directory.name == "Riverside Allotment Society"
    typed = services.community_link_create(
        actor=org.lead, team_id=org.team.pk, data=services.CommunityLinkData(since=TODAY, name="Men's Shed")
    )
    assert typed.organisation is None
    allotments.delete()  # the directory entry goes; the team's link keeps its name
    from_directory.refresh_from_db()
    assert from_directory.organisation is None and from_directory.name == "Riverside Allotment Society"


@pytest.mark.parametrize(
    "data, field",
    [
        ({"name": " "}, "organisation"),
        ({"organisation_id": 999999}, "organisation"),
        ({"name": "Choir", "since": TODAY + timedelta(days=1)}, "since"),
        ({"name": "Choir", "ended_on": TODAY - timedelta(days=1)}, "ended_on"),
    ],
)
def test_a_bad_community_link_is_refused(org, data, field):
    with pytest.raises(ServiceError) as error:
        services.community_link_create(
            actor=org.lead, team_id=org.team.pk, data=services.CommunityLinkData(**({"since": TODAY} | data))
        )
    assert error.value.field == field
    assert not TeamCommunityLink.objects.exists()


def test_ending_a_community_link_is_audited_with_the_fields_changed(org):
    link = services.community_link_create(
        actor=org.lead,
        team_id=org.team.pk,
        data=services.CommunityLinkData(since=TODAY - timedelta(days=100), name="Choir"),
    )
    services.community_link_update(
        actor=org.lead,
        team_id=org.team.pk,
        link_id=link.pk,
        expected_version=1,
        data=services.CommunityLinkData(since=TODAY - timedelta(days=100), name="Choir", ended_on=TODAY),
    )
    link.refresh_from_db()
    assert link.ended_on == TODAY and not link.active
    event = AuditEvent.objects.get(action="implementation.community_link_changed")
    assert event.summary["fields"] == ["ended_on"]
    with pytest.raises(Http404):
        services.community_link_update(
            actor=org.other_lead,
            team_id=org.team.pk,
            link_id=link.pk,
            expected_version=2,
            data=services.CommunityLinkData(since=TODAY, name="Choir"),
        )


def test_checklist_status_is_set_then_updated_with_date_and_who(org):
    services.checklist_status_set(
        actor=org.lead,
        team_id=org.team.pk,
        item_id="protected_time",
        expected_version=0,
        status="in_progress",
        status_on=TODAY,
    )
    services.checklist_status_set(
        actor=org.lead,
        team_id=org.team.pk,
        item_id="protected_time",
        expected_version=1,
        status="done",
        status_on=TODAY,
    )
    status = ChecklistStatus.objects.get()
    assert (status.status, status.status_on, status.updated_by) == ("done", TODAY, org.lead)
    assert AuditEvent.objects.filter(action="implementation.checklist_status_set").count() == 2
    with pytest.raises(Http404):
        services.checklist_status_set(
            actor=org.lead,
            team_id=org.team.pk,
            item_id="no_such_item",
            expected_version=0,
            status="done",
            status_on=TODAY,
        )
    with pytest.raises(ServiceError):
        services.checklist_status_set(
            actor=org.lead,
            team_id=org.team.pk,
            item_id="protected_time",
            expected_version=2,
            status="finished",
            status_on=TODAY,
        )
    with pytest.raises(Http404):
        services.checklist_status_set(
            actor=org.implementation_lead,
            team_id=org.team.pk,
            item_id="protected_time",
            expected_version=2,
            status="done",
            status_on=TODAY,
        )


def test_a_new_member_of_staff_can_be_named_champion(org):
    newcomer = UserFactory()
    member(newcomer, Role.PRACTITIONER, team=org.team)
    champion = services.champion_name(
        actor=org.lead, team_id=org.team.pk, expected_current_id=0, champion_id=newcomer.pk, since=TODAY
    )
    assert champion.champion == newcomer
