"""Team leads grant cover from the Cover page; each role's home page shows what that role needs."""

from datetime import timedelta

import pytest
from django.utils import timezone

from connecting_people.accounts.models import CoverAssignment
from connecting_people.audit.models import AuditEvent
from connecting_people.people.tests.factories import PersonFactory


def cover_post(org, **changes):
    today = timezone.localdate()
    end = today + timedelta(days=7)
    return {
        "team": str(org.team.pk),
        "practitioner": str(org.practitioner.pk),
        "starts_on_day": str(today.day),
        "starts_on_month": str(today.month),
        "starts_on_year": str(today.year),
        "ends_on_day": str(end.day),
        "ends_on_month": str(end.month),
        "ends_on_year": str(end.year),
        "reason": "Annual leave",
    } | changes


def test_lead_grants_and_ends_cover(client, org):
    client.force_login(org.lead)
    response = client.post("/team/cover/", cover_post(org))
    assert response.status_code == 302
    cover = CoverAssignment.objects.get()
    assert (cover.practitioner, cover.granted_by) == (org.practitioner, org.lead)
    assert AuditEvent.objects.filter(action="cover.granted").exists()
    client.post(f"/team/cover/{cover.pk}/end/")
    cover.refresh_from_db()
    assert cover.ended_early_at is not None


def test_cover_longer_than_90_days_is_refused(client, org):
    client.force_login(org.lead)
    late = timezone.localdate() + timedelta(days=200)
    response = client.post(
        "/team/cover/",
        cover_post(
            org, ends_on_day=str(late.day), ends_on_month=str(late.month), ends_on_year=str(late.year)
        ),
    )
    assert "90 days at most" in response.content.decode()
    assert not CoverAssignment.objects.exists()


def test_cover_for_someone_outside_the_team_is_refused(client, org):
    client.force_login(org.lead)
    response = client.post("/team/cover/", cover_post(org, practitioner=str(org.researcher.pk)))
    assert response.status_code == 200 and not CoverAssignment.objects.exists()


@pytest.mark.parametrize("open_cases, shown", [(3, "fewer than 5"), (6, ">6<")])
def test_implementation_lead_sees_suppressed_aggregates_only(client, org, open_cases, shown):
    for _ in range(open_cases):
        PersonFactory(team=org.team, allocated_worker=org.practitioner, family_name="Identifiable")
    client.force_login(org.implementation_lead)
    content = client.get("/").content.decode()
    assert shown in content
    assert "Identifiable" not in content


def test_practitioner_home_shows_their_caseload(client, org):
    person = PersonFactory(team=org.team, allocated_worker=org.practitioner)
    client.force_login(org.practitioner)
    assert f"/people/{person.pk}/" in client.get("/").content.decode()


def test_membership_takes_its_teams_trust(org):
    from django.core.exceptions import ValidationError

    from connecting_people.accounts.models import Membership

    membership = Membership(user=org.no_role, role="practitioner", team=org.team)
    membership.full_clean()
    assert membership.trust_id == org.team.trust_id
    wrong = Membership(user=org.no_role, role="practitioner", team=org.team, trust=org.other_trust_team.trust)
    with pytest.raises(ValidationError, match="team's own trust"):
        wrong.full_clean()


@pytest.mark.parametrize(
    "role, where", [("practitioner", "team"), ("researcher", "trust"), ("administrator", None)]
)
def test_the_same_membership_cannot_be_given_twice(org, role, where):
    from django.db import IntegrityError, transaction

    from connecting_people.accounts.models import Membership

    kwargs = (
        {"team": org.team, "trust": org.trust} if where == "team" else {"trust": org.trust} if where else {}
    )
    Membership.objects.create(user=org.no_role, role=role, **kwargs)
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(user=org.no_role, role=role, **kwargs)
