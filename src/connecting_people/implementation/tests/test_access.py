"""Every implementation and guidance page as every role of the `org` fixture: who reads, who writes, and 404
(never 403) for everyone else; anonymous users go to sign in. Writes out of reach change nothing."""

import pytest
from markupsafe import escape

from connecting_people.audit.models import AuditEvent
from connecting_people.core.tests.roles import ROLES
from connecting_people.implementation.models import (
    ChecklistStatus,
    FidelityRating,
    SupervisionRecord,
    TeamChampion,
    TeamCommunityLink,
    TrainingAttendance,
    TrainingSession,
)

SIGNED_IN = set(ROLES) - {"anonymous"}
WORKERS = {"practitioner", "colleague"}
LEAD = {"lead"}
TEAM_LEVEL = {"lead", "implementation_lead"}
TRAINING = {"lead", "other_lead", "implementation_lead"}
PAGE_USERS = WORKERS | TRAINING


def pages(org, records) -> dict[str, set[str]]:
    team = f"/implementation/teams/{org.team.pk}/"
    worker = f"{team}workers/{org.practitioner.pk}/"
    return {
        "/implementation/": PAGE_USERS,
        "/implementation/me/": WORKERS,
        "/implementation/me/rate/cp_practice_fidelity/": WORKERS,
        f"/implementation/ratings/{records.self_rating.pk}/": {"practitioner", "lead"},
        f"/implementation/ratings/{records.supervisor_rating.pk}/": LEAD,
        f"/implementation/ratings/{records.team_rating.pk}/": TEAM_LEVEL,
        team: TEAM_LEVEL,
        f"{team}fidelity/": TEAM_LEVEL,
        f"{team}fidelity/rate/cp_practice_fidelity/": LEAD,
        worker: LEAD,
        f"{worker}rate/cp_practice_fidelity/": LEAD,
        f"{team}champion/": LEAD,
        f"{team}supervision/new/": LEAD,
        f"{team}community-links/new/": LEAD,
        f"{team}community-links/{records.link.pk}/": LEAD,
        f"{team}checklist/": TEAM_LEVEL,
        f"{team}dashboard/": LEAD,
        f"{team}dashboard/?format=csv": LEAD,
        f"/implementation/trusts/{org.trust.pk}/dashboard/": {"implementation_lead"},
        f"/implementation/trusts/{org.trust.pk}/dashboard/?format=csv": {"implementation_lead"},
        f"/implementation/trusts/{org.other_trust_team.trust_id}/dashboard/": set(),
        f"{team}checklist/champion_named/": LEAD,
        "/implementation/training/": TRAINING,
        "/implementation/training/new/": TRAINING,
        f"/implementation/training/{records.session.pk}/": TEAM_LEVEL,
        f"/implementation/training/{records.session.pk}/attendance/": TEAM_LEVEL,
        f"/implementation/training/{records.trust_session.pk}/": TRAINING,
        f"/implementation/training/{records.trust_session.pk}/attendance/": TRAINING,
        "/guidance/": SIGNED_IN,
        "/guidance/assess/": SIGNED_IN,
        "/guidance/your-guide/": SIGNED_IN,
        "/guidance/your-guide/print/": SIGNED_IN,
    }


def client_for(client, org, role):
    if role != "anonymous":
        client.force_login(getattr(org, role))
    return client


@pytest.mark.parametrize("role", ROLES)
def test_every_page_as_every_role(client, org, records, role):
    client = client_for(client, org, role)
    for url, allowed in pages(org, records).items():
        response = client.get(url)
        if role == "anonymous":
            assert response.status_code == 302 and "/accounts/sign-in/" in response["Location"], url
        else:
            assert response.status_code == (200 if role in allowed else 404), f"{role} {url}"


def test_the_matrix_covers_every_implementation_url(org, records):
    from django.urls import get_resolver

    resolver = get_resolver().namespace_dict["implementation"][1]
    names = {pattern.name for pattern in resolver.url_patterns}
    covered = set()
    from django.urls import resolve

    for url in pages(org, records):
        covered.add(resolve(url.split("?")[0]).url_name)
    assert names == covered


@pytest.mark.parametrize("role", sorted(PAGE_USERS))
def test_unknown_ids_and_other_trusts_are_not_found(client, org, records, role):
    client.force_login(getattr(org, role))
    for url in (
        "/implementation/ratings/999999/",
        f"/implementation/teams/{org.other_trust_team.pk}/",
        f"/implementation/teams/{org.other_trust_team.pk}/checklist/",
        "/implementation/teams/999999/",
        f"/implementation/teams/{org.team.pk}/workers/{org.lead.pk}/",  # a lead, not a practitioner
        f"/implementation/teams/{org.team.pk}/community-links/999999/",
        f"/implementation/teams/{org.team.pk}/checklist/no_such_item/",
        f"/implementation/teams/{org.team.pk}/fidelity/rate/no_such_scale/",
        "/implementation/training/999999/",
        "/guidance/no-such-page/",
    ):
        assert client.get(url).status_code == 404, url


def _state():
    return [
        list(model.objects.order_by("pk").values())
        for model in (
            FidelityRating,
            TrainingSession,
            TrainingAttendance,
            TeamChampion,
            SupervisionRecord,
            TeamCommunityLink,
            ChecklistStatus,
        )
    ] + [AuditEvent.objects.count()]


def writes(org, records) -> dict[str, tuple[dict, set[str]]]:
    team = f"/implementation/teams/{org.team.pk}/"
    day = {"_day": "1", "_month": "3", "_year": "2026"}

    def date(name):
        return {f"{name}{part}": value for part, value in day.items()}

    items = {
        f"item_{name}": "2"
        for name in (
            "strengths_interests shared_decisions person_tasks equal_relationship positive_risk boundaries "
            "community_knowledge network_assessment goal_setting engaging_activities existing_relationships "
            "barriers review_moving_on protected_time supervision_support community_links"
        ).split()
    }
    rating = items | date("rated_on") | date("period_start") | date("period_end")
    return {
        "/implementation/me/rate/cp_practice_fidelity/": (rating, WORKERS),
        f"{team}fidelity/rate/cp_practice_fidelity/": (rating, LEAD),
        f"{team}workers/{org.practitioner.pk}/rate/cp_practice_fidelity/": (rating, LEAD),
        f"{team}champion/": ({"champion": str(org.practitioner.pk)} | date("since"), LEAD),
        f"{team}supervision/new/": (
            {"worker": str(org.practitioner.pk), "connection_work_discussed": "yes"} | date("held_on"),
            LEAD,
        ),
        f"{team}community-links/new/": ({"name": "Changed"} | date("since"), LEAD),
        f"{team}community-links/{records.link.pk}/": ({"name": "Changed"} | date("since"), LEAD),
        f"{team}checklist/champion_named/": ({"status": "done"} | date("status_on"), LEAD),
        f"/implementation/training/{records.session.pk}/attendance/": ({"attendees": []}, TEAM_LEVEL),
    }


@pytest.mark.parametrize("role", sorted(SIGNED_IN))
def test_writes_out_of_reach_are_404_and_change_nothing(client, org, records, role):
    client.force_login(getattr(org, role))
    for url, (data, allowed) in writes(org, records).items():
        if role in allowed:
            continue
        before = _state()
        assert client.post(url, data).status_code == 404, f"{role} {url}"
        assert _state() == before, f"{role} {url}"


def test_a_training_session_cannot_be_recorded_by_roles_without_training_pages(client, org):
    data = {"title": "X", "level": "worker", "trainer": "T", "audience": f"team:{org.team.pk}"}
    for role in ("practitioner", "researcher", "administrator", "no_role"):
        client.force_login(getattr(org, role))
        assert client.post("/implementation/training/new/", data).status_code == 404
    assert not TrainingSession.objects.exists()


def test_an_implementation_lead_never_reaches_a_workers_own_records(client, org, records):
    client.force_login(org.implementation_lead)
    page = client.get(f"/implementation/teams/{org.team.pk}/").content.decode()
    assert str(escape(org.practitioner.display_name)) not in page  # no worker list, no supervision by name
    assert f"/workers/{org.practitioner.pk}/" not in page
    fidelity = client.get(f"/implementation/teams/{org.team.pk}/fidelity/").content.decode()
    assert f"/implementation/ratings/{records.supervisor_rating.pk}/" not in fidelity
    assert f"/implementation/ratings/{records.team_rating.pk}/" in fidelity
