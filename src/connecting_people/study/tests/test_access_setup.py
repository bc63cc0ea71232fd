"""Every study set-up page as everyone who might reach it: the study's lead, a researcher who is a member, a
researcher who is not, the roles that do not run studies, and anonymous users.

Any member reads the set-up (overview, members, timepoints, unit costs); only a lead reaches the pages that
change it, and every other member gets 404 there, as for an out-of-scope id. POSTs by anyone but the lead are
404 and change nothing."""

import pytest

from connecting_people.accounts.models import Role
from connecting_people.accounts.tests.factories import TeamFactory, TrustFactory, UserFactory, member
from connecting_people.audit.models import AuditEvent
from connecting_people.core.tests.roles import ORG_ROLES
from connecting_people.measures import registry
from connecting_people.study import selectors, services
from connecting_people.study.models import (
    ScheduledInstrument,
    Study,
    StudyMember,
    StudyTeam,
    Timepoint,
    UnitCost,
)

from .conftest import START

NON_STUDY_ROLES = [role for role in ORG_ROLES if role != "researcher"]


@pytest.fixture
def world(org, study_setup):
    """The `cpis` study with a plain researcher member, and another study (`other`) led by the outsider."""
    s = study_setup
    researcher = UserFactory(username="member_researcher")
    member(researcher, Role.RESEARCHER, trust=org.trust)
    services.member_add(
        actor=s.lead, access=s.access, username="member_researcher", role="researcher", site_id=None
    )
    other = services.study_create(
        actor=s.outsider,
        data=services.StudyData(code="other", title="Another study", starts_on=START, consent_version="v1"),
    )
    other_access = selectors.study_access(actor=s.outsider, study_id=other.pk)
    services.site_add(actor=s.outsider, access=other_access, trust_id=org.trust.pk)
    return {
        "setup": s,
        "researcher": researcher,
        "other": other,
        "other_timepoint": other.timepoints.get(code="baseline"),
        "free_team": TeamFactory(trust=org.trust),
        "free_team_2": TeamFactory(trust=org.trust),
        "free_trust": TrustFactory(),
    }


def urls(world) -> dict[str, str]:
    """{url: "read" | "lead" | "researcher-role"} for every set-up page of the `cpis` study."""
    study = Study.objects.get(pk=world["setup"].study.pk)
    base = f"/study/{study.pk}"
    baseline = study.timepoints.get(code="baseline")
    return {
        "/study/": "signed-in",
        "/study/new/": "researcher-role",
        f"{base}/": "read",
        f"{base}/members/": "read",
        f"{base}/timepoints/": "read",
        f"{base}/unit-costs/": "read",
        f"{base}/status/": "lead",
        f"{base}/sites/new/": "lead",
        f"{base}/teams/allocate/": "lead",
        f"{base}/teams/randomise/": "lead",
        f"{base}/timepoints/new/": "lead",
        f"{base}/timepoints/{baseline.pk}/": "lead",
        f"{base}/timepoints/{baseline.pk}/schedule/": "lead",
    }


def expected_status(kind: str, who: str) -> int:
    if kind == "signed-in":
        return 200
    if kind == "researcher-role":
        return 200 if who in {"study_lead", "member_researcher", "outsider"} else 404
    if kind == "read":
        return 200 if who in {"study_lead", "member_researcher"} else 404
    return 200 if who == "study_lead" else 404


def user_for(org, world, who: str):
    return {
        "study_lead": world["setup"].lead,
        "member_researcher": world["researcher"],
        "outsider": world["setup"].outsider,
    }.get(who) or getattr(org, who)


@pytest.mark.parametrize("who", ["study_lead", "member_researcher", "outsider", *NON_STUDY_ROLES])
def test_every_set_up_page_as_everyone(client, org, world, who):
    client.force_login(user_for(org, world, who))
    for url, kind in urls(world).items():
        response = client.get(url)
        assert response.status_code == expected_status(kind, who), f"{who} {url}"


def test_anonymous_users_are_sent_to_sign_in(client, world):
    for url in urls(world):
        for response in (client.get(url), client.post(url, {})):
            assert response.status_code == 302, url
            assert response["Location"].startswith("/accounts/sign-in/"), url


def test_the_matrix_covers_every_set_up_url(world):
    from django.urls import resolve

    from connecting_people.study.views import setup

    names = {pattern.name for pattern in setup.urls}
    assert {resolve(url).url_name for url in urls(world)} == names


def test_the_list_shows_only_the_users_own_studies(client, org, world):
    client.force_login(world["researcher"])
    page = client.get("/study/").content.decode()
    assert "CPIS" in page and "OTHER" not in page and "Researcher" in page
    client.force_login(org.practitioner)
    page = client.get("/study/").content.decode()
    assert "You are not a member of any study" in page and "Set up a new study" not in page
    assert 'href="/study/new/"' not in page


def test_read_pages_are_read_only_for_a_researcher_member(client, world):
    study = world["setup"].study
    client.force_login(world["researcher"])
    overview = client.get(f"/study/{study.pk}/").content.decode()
    for action in ("status", "sites/new", "teams/allocate", "teams/randomise"):
        assert f"/study/{study.pk}/{action}/" not in overview, action
    assert "Only a study lead can change it" in overview
    members = client.get(f"/study/{study.pk}/members/").content.decode()
    assert "<form" not in members.split('id="maincontent"')[1] and "member_researcher" in members
    costs = client.get(f"/study/{study.pk}/unit-costs/").content.decode()
    assert 'name="cost_gp_appointment"' not in costs and "40.00" in costs
    timepoints = client.get(f"/study/{study.pk}/timepoints/").content.decode()
    assert "/schedule/" not in timepoints and "Day 154 to day 238" in timepoints


def test_another_studys_ids_are_not_found(client, world):
    """A lead of `cpis` reaching the other study, or the other study's timepoint through `cpis`: 404."""
    s = world["setup"]
    other, foreign_point = world["other"], world["other_timepoint"]
    client.force_login(s.lead)
    for url in (
        f"/study/{other.pk}/",
        f"/study/{other.pk}/members/",
        f"/study/{other.pk}/status/",
        f"/study/{other.pk}/timepoints/{foreign_point.pk}/",
        f"/study/{s.study.pk}/timepoints/{foreign_point.pk}/",
        f"/study/{s.study.pk}/timepoints/{foreign_point.pk}/schedule/",
        f"/study/{s.study.pk}/timepoints/999999/",
        "/study/999999/",
        "/study/999999/unit-costs/",
    ):
        assert client.get(url).status_code == 404, url
    before = list(Timepoint.objects.filter(pk=foreign_point.pk).values_list("window_after", flat=True))
    response = client.post(
        f"/study/{s.study.pk}/timepoints/{foreign_point.pk}/",
        {
            "code": "baseline",
            "label": "Baseline",
            "target_day": "0",
            "window_before": "0",
            "window_after": "5",
        },
    )
    assert response.status_code == 404
    assert (
        list(Timepoint.objects.filter(pk=foreign_point.pk).values_list("window_after", flat=True)) == before
    )


def writes(world, org) -> list[tuple[str, dict]]:
    """A valid POST for every page that writes: the lead's own POST of it succeeds (last test below)."""
    study = Study.objects.get(pk=world["setup"].study.pk)
    base = f"/study/{study.pk}"
    baseline = study.timepoints.get(code="baseline")
    costs = {"price_year": "2025/26", "currency": "GBP", "source": "Own costing"}
    for item in registry.instrument(study.service_use_instrument).items:
        costs[f"cost_{item.id}"] = "1"
        costs[f"unit_{item.id}"] = "contact"
    return [
        (
            "/study/new/",
            {
                "code": "sneaky",
                "title": "A study",
                "starts_on_day": "1",
                "starts_on_month": "2",
                "starts_on_year": "2026",
                "consent_version": "v1",
            },
        ),
        # Each form carries the version it was opened with; these run in order, each moving a version on.
        (f"{base}/status/", {"status": "closed", "version": study.version}),
        (f"{base}/members/", {"username": "outsider", "role": "lead"}),
        (f"{base}/sites/new/", {"trust": world["free_trust"].pk}),
        (f"{base}/teams/allocate/", {"team": world["free_team"].pk, "arm": "control"}),
        (f"{base}/teams/randomise/", {"teams": [world["free_team_2"].pk], "seed": "7"}),
        (
            f"{base}/timepoints/new/",
            {
                "code": "m12",
                "label": "12 months",
                "target_day": "365",
                "window_before": "28",
                "window_after": "28",
            },
        ),
        (
            f"{base}/timepoints/{baseline.pk}/",
            {
                "code": "baseline",
                "label": "Start",
                "target_day": "0",
                "window_before": "0",
                "window_after": "7",
                "version": baseline.version,
            },
        ),
        (
            f"{base}/timepoints/{baseline.pk}/schedule/",
            {"instruments": ["ucla3"], "version": baseline.version + 1},
        ),
        (f"{base}/unit-costs/", costs | {"version": study.version + 1}),
    ]


def snapshot():
    return (
        AuditEvent.objects.count(),
        list(
            Study.objects.order_by("pk").values_list(
                "code", "status", "price_year", "unit_costs_illustrative"
            )
        ),
        list(StudyMember.objects.order_by("pk").values_list("study_id", "user_id", "role", "site_id")),
        list(StudyTeam.objects.order_by("pk").values_list("team_id", "arm")),
        list(Timepoint.objects.order_by("pk").values_list("code", "label", "target_day", "window_after")),
        list(
            ScheduledInstrument.objects.order_by("pk").values_list(
                "timepoint_id", "instrument_id", "position"
            )
        ),
        list(UnitCost.objects.order_by("pk").values_list("study_id", "service", "cost")),
    )


@pytest.mark.parametrize("who", ["member_researcher", "outsider", *NON_STUDY_ROLES])
def test_posts_by_anyone_but_the_lead_change_nothing(client, org, world, who):
    client.force_login(user_for(org, world, who))
    before = snapshot()
    for url, data in writes(world, org):
        if url == "/study/new/" and who in {"member_researcher", "outsider"}:
            continue  # any researcher may set up a study of their own: not a write to this one
        response = client.post(url, data)
        assert response.status_code == 404, f"{who} {url}"
    assert snapshot() == before


def test_the_same_posts_by_the_lead_go_through(client, org, world):
    client.force_login(world["setup"].lead)
    for url, data in writes(world, org):
        response = client.post(url, data)
        assert response.status_code == 302, (url, response.content.decode()[:2000])
    study = Study.objects.get(pk=world["setup"].study.pk)
    assert study.status == Study.Status.CLOSED and not study.unit_costs_illustrative
    assert study.members.filter(user=world["setup"].outsider, role="lead").exists()
    assert study.teams.get(team=world["free_team"]).method == StudyTeam.Method.CHOSEN
    assert study.teams.get(team=world["free_team_2"]).seed == 7
    assert study.timepoints.filter(code="m12").exists()
    assert Study.objects.filter(code="sneaky").exists()
