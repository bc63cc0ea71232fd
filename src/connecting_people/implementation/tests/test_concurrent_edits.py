"""Two people with the same implementation record open: the first save is kept, the second is refused with a
message and changes nothing: a team's community link, a checklist item, training attendance, the champion."""

from datetime import timedelta

import pytest
from django.utils import timezone

from connecting_people.accounts.models import Role
from connecting_people.accounts.tests.factories import UserFactory, member
from connecting_people.audit.models import AuditEvent
from connecting_people.core.tests.editing import opened, refused_as_stale
from connecting_people.implementation import services
from connecting_people.implementation.models import (
    ChecklistStatus,
    TeamChampion,
    TeamCommunityLink,
    TrainingAttendance,
)

TODAY = timezone.localdate()


def date_fields(name, when):
    return {f"{name}_day": when.day, f"{name}_month": when.month, f"{name}_year": when.year}


@pytest.fixture
def second_lead(org):
    """Another lead of the same team, with the same pages open."""
    user = UserFactory(username="second_lead")
    member(user, Role.TEAM_LEAD, team=org.team)
    return user


def events():
    return AuditEvent.objects.count()


def test_second_of_two_community_link_edits_is_refused_and_the_first_kept(org, second_lead):
    link = services.community_link_create(
        actor=org.lead,
        team_id=org.team.pk,
        data=services.CommunityLinkData(since=TODAY - timedelta(days=100), name="Riverside Choir"),
    )
    url = f"/implementation/teams/{org.team.pk}/community-links/{link.pk}/"
    first, first_form = opened(org.lead, url)
    second, second_form = opened(second_lead, url)
    fields = {"name": "Riverside Choir", **date_fields("since", TODAY - timedelta(days=100))}
    assert first.post(url, {**fields, **first_form, **date_fields("ended_on", TODAY)}).status_code == 302
    before = (list(TeamCommunityLink.objects.values()), events())
    response = second.post(url, {**fields, **second_form, "contact": "Volunteer coordinator"})
    refused_as_stale(second, response)
    assert (list(TeamCommunityLink.objects.values()), events()) == before
    link.refresh_from_db()
    assert link.ended_on == TODAY and link.contact == ""


def test_second_of_two_checklist_saves_is_refused_even_for_a_first_status(org, second_lead):
    url = f"/implementation/teams/{org.team.pk}/checklist/protected_time/"
    first, first_form = opened(org.lead, url)
    second, second_form = opened(second_lead, url)
    assert (
        first.post(url, {**first_form, "status": "done", **date_fields("status_on", TODAY)}).status_code
        == 302
    )
    before = (list(ChecklistStatus.objects.values()), events())
    response = second.post(url, {**second_form, "status": "in_progress", **date_fields("status_on", TODAY)})
    refused_as_stale(second, response)
    assert (list(ChecklistStatus.objects.values()), events()) == before
    assert ChecklistStatus.objects.get().status == "done"


def test_second_of_two_attendance_saves_is_refused_and_the_first_kept(org):
    session = services.training_session_create(
        actor=org.lead,
        data=services.TrainingData(
            title="Connecting People day 1",
            held_on=TODAY - timedelta(days=3),
            level="worker",
            trainer="A trainer",
            trust_id=org.trust.pk,
            team_id=org.team.pk,
        ),
    )
    url = f"/implementation/training/{session.pk}/attendance/"
    lead, lead_form = opened(org.lead, url)
    implementation_lead, other_form = opened(org.implementation_lead, url)
    assert lead.post(url, {**lead_form, "attendees": [org.practitioner.pk]}).status_code == 302
    before = (list(TrainingAttendance.objects.values()), events())
    response = implementation_lead.post(url, {**other_form, "attendees": [org.colleague.pk]})
    refused_as_stale(implementation_lead, response)
    assert (list(TrainingAttendance.objects.values()), events()) == before
    assert list(TrainingAttendance.objects.values_list("attendee", flat=True)) == [org.practitioner.pk]


def test_second_of_two_champion_namings_is_refused_and_the_first_kept(org, second_lead):
    url = f"/implementation/teams/{org.team.pk}/champion/"
    first, first_form = opened(org.lead, url)
    second, second_form = opened(second_lead, url)
    since = date_fields("since", TODAY)
    assert first.post(url, {**first_form, "champion": org.practitioner.pk, **since}).status_code == 302
    before = (list(TeamChampion.objects.values()), events())
    refused_as_stale(second, second.post(url, {**second_form, "champion": org.colleague.pk, **since}))
    assert (list(TeamChampion.objects.values()), events()) == before
    assert TeamChampion.objects.get().champion == org.practitioner
