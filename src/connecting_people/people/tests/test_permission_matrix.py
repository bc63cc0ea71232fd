"""Every URL, as every role, in and out of scope. Out of scope is 404, never 403; anonymous goes to sign-in."""

from datetime import timedelta

import pytest
from django.utils import timezone

from connecting_people.accounts.models import CoverAssignment
from connecting_people.accounts.tests.factories import member, team_lead
from connecting_people.people.tests.factories import PersonFactory

ROLES = [
    "practitioner",
    "colleague",
    "lead",
    "other_lead",
    "implementation_lead",
    "researcher",
    "administrator",
    "no_role",
    "anonymous",
]
PEOPLE = ["mine", "colleagues", "unallocated", "other_team", "other_trust"]


@pytest.fixture
def people(org):
    return {
        "mine": PersonFactory(team=org.team, allocated_worker=org.practitioner),
        "colleagues": PersonFactory(team=org.team, allocated_worker=org.colleague),
        "unallocated": PersonFactory(team=org.team, allocated_worker=None),
        "other_team": PersonFactory(team=org.other_team),
        "other_trust": PersonFactory(team=org.other_trust_team),
    }


# Who reaches which person's record pages (overview, edit, close).
RECORD_ACCESS = {
    "practitioner": {"mine"},
    "colleague": {"colleagues"},
    "lead": {"mine", "colleagues", "unallocated"},
    "other_lead": {"other_team"},
}
ALLOCATE_ACCESS = {"lead": {"mine", "colleagues", "unallocated"}, "other_lead": {"other_team"}}
AUDIT_ACCESS = {
    "lead": {"mine", "colleagues", "unallocated"},
    "other_lead": {"other_team"},
    "administrator": set(PEOPLE),
}


def client_for(client, org, role):
    if role != "anonymous":
        client.force_login(getattr(org, role))
    return client


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("page", ["overview", "edit", "close", "allocate", "audit"])
def test_person_pages(client, org, people, role, page):
    client = client_for(client, org, role)
    access = {"allocate": ALLOCATE_ACCESS, "audit": AUDIT_ACCESS}.get(page, RECORD_ACCESS)
    for key, person in people.items():
        url = f"/people/{person.pk}/" + ("" if page == "overview" else f"{page}/")
        response = client.get(url)
        if role == "anonymous":
            assert response.status_code == 302 and "/accounts/sign-in/" in response["Location"], url
        else:
            expected = 200 if key in access.get(role, set()) else 404
            assert response.status_code == expected, f"{role} {key} {url}"


@pytest.mark.parametrize("role", ROLES)
def test_unknown_person_is_404_for_everyone_signed_in(client, org, role):
    client = client_for(client, org, role)
    response = client.get("/people/999999/")
    assert response.status_code == (302 if role == "anonymous" else 404)


PAGE_ACCESS = {
    "/": set(ROLES) - {"anonymous"},
    "/people/": {"practitioner", "colleague"},
    "/people/team/": {"lead", "other_lead"},
    "/people/new/": {"practitioner", "colleague", "lead", "other_lead"},
    "/team/cover/": {"lead", "other_lead"},
    "/help/": set(ROLES),
    "/audit/": {"administrator"},
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("url", list(PAGE_ACCESS))
def test_other_pages(client, org, role, url):
    client = client_for(client, org, role)
    response = client.get(url)
    if role in PAGE_ACCESS[url]:
        assert response.status_code == 200
    elif role == "anonymous":
        assert response.status_code == 302
    else:
        assert response.status_code == 404


@pytest.mark.parametrize("role", ROLES)
def test_admin_site_only_for_administrators(client, org, role):
    client = client_for(client, org, role)
    response = client.get("/admin/")
    assert response.status_code == (200 if role == "administrator" else 302)


def test_team_caseload_lists_only_the_leads_team(client, org, people):
    client.force_login(org.lead)
    content = client.get("/people/team/").content.decode()
    for key in ("mine", "colleagues", "unallocated"):
        assert f"/people/{people[key].pk}/" in content
    for key in ("other_team", "other_trust"):
        assert f"/people/{people[key].pk}/" not in content


def test_practitioner_caseload_lists_only_their_people(client, org, people):
    client.force_login(org.practitioner)
    content = client.get("/people/").content.decode()
    assert f"/people/{people['mine'].pk}/" in content
    for key in ("colleagues", "unallocated", "other_team", "other_trust"):
        assert f"/people/{people[key].pk}/" not in content


class TestCover:
    def grant(self, org, *, starts, ends, ended_early=False):
        return CoverAssignment.objects.create(
            team=org.team,
            practitioner=org.practitioner,
            starts_on=starts,
            ends_on=ends,
            reason="leave",
            granted_by=org.lead,
            ended_early_at=timezone.now() if ended_early else None,
        )

    def test_current_cover_reaches_the_whole_team(self, client, org, people):
        today = timezone.localdate()
        self.grant(org, starts=today - timedelta(days=1), ends=today + timedelta(days=1))
        client.force_login(org.practitioner)
        assert client.get(f"/people/{people['colleagues'].pk}/").status_code == 200
        assert client.get("/people/team/").status_code == 200
        assert client.get(f"/people/{people['other_team'].pk}/").status_code == 404
        # Cover gives reach, not the lead's powers.
        assert client.get(f"/people/{people['colleagues'].pk}/allocate/").status_code == 404

    @pytest.mark.parametrize("when", ["expired", "future", "ended_early"])
    def test_cover_outside_its_dates_gives_nothing(self, client, org, people, when):
        today = timezone.localdate()
        dates = {
            "expired": (today - timedelta(days=10), today - timedelta(days=1)),
            "future": (today + timedelta(days=1), today + timedelta(days=5)),
            "ended_early": (today - timedelta(days=1), today + timedelta(days=5)),
        }[when]
        self.grant(org, starts=dates[0], ends=dates[1], ended_early=when == "ended_early")
        client.force_login(org.practitioner)
        assert client.get(f"/people/{people['colleagues'].pk}/").status_code == 404

    def test_cover_in_a_team_the_practitioner_left_gives_nothing(self, client, org, people):
        today = timezone.localdate()
        outsider = org.no_role
        member(outsider, "practitioner", team=org.other_team)
        CoverAssignment.objects.create(
            team=org.team,
            practitioner=outsider,
            starts_on=today,
            ends_on=today,
            reason="x",
            granted_by=org.lead,
        )
        client.force_login(outsider)
        assert client.get(f"/people/{people['colleagues'].pk}/").status_code == 404


def test_administrator_finds_a_trail_by_record_number(client, org, people):
    client.force_login(org.administrator)
    response = client.get("/audit/", {"record": people["other_trust"].pk})
    assert response["Location"] == f"/people/{people['other_trust'].pk}/audit/"
    assert "Enter a record number" in client.get("/audit/", {"record": "abc"}).content.decode()


def test_header_names_the_users_role_and_team(client, org):
    client.force_login(org.practitioner)
    assert f"Practitioner, {org.team.name}" in client.get("/").content.decode()


def test_administrator_gets_not_found_for_a_record_that_never_existed(client, org):
    client.force_login(org.administrator)
    assert client.get("/people/99999999/audit/").status_code == 404


# Every URL of ours is in one of these groups; the test below fails when a new URL is added without a place here.
COVERED_URL_NAMES = {
    "core:home",
    "core:healthz",
    "core:help",
    "accounts:login",
    "accounts:logout",
    "accounts:mfa",
    "accounts:cover",
    "accounts:cover_end",
    # administrators only; every other role is tested in accounts/tests/test_mfa_enrolment.py and test_admin_access.py
    "accounts:enrolment_codes",
    "accounts:access_review",
    "people:caseload",
    "people:team",
    "people:new",
    "people:overview",
    "people:edit",
    "people:allocate",
    "people:close",
    "people:reopen",
    "people:audit",
    "audit:lookup",
    "measures:history",
    "measures:choose",
    "measures:record",
    "connections:map",
    "connections:new",
    "connections:compare",
    "connections:snapshot",
    "connections:entry_add",
    "connections:print",
    "connections:export",
    "connections:entry_edit",
    "connections:entry_ties",
    "connections:entry_remove",
    "connections:entry_move",
    "connections:entry_restore",
    "connections:entry_add_first",
    "connections:import",
    "connections:imported",
    "community:search",
    "community:detail",
    "community:new",
    "community:edit",
    "plans:plan",
    "plans:print",
    "plans:assessment",
    "plans:goal_new",
    "plans:goal_edit",
    "plans:step_new",
    "plans:step_edit",
    "plans:step_done",
    "plans:activity_new",
    "plans:link_new",
    "plans:link",
    "plans:link_move",  # every role in plans/tests/test_links_in_place.py
    "plans:link_choose",
    "plans:review_new",
    "plans:review_map_start",  # scoped: plans/tests/test_flows.py::test_the_review_pages_are_out_of_reach...
    "plans:review_map_add",
    "plans:review",
    # study: every role is tested against these in study/tests/test_access_*.py
    "study:list",
    "study:create",
    "study:overview",
    "study:status",
    "study:members",
    "study:site_add",
    "study:allocate",
    "study:randomise",
    "study:timepoints",
    "study:timepoint_add",
    "study:timepoint_edit",
    "study:schedule",
    "study:unit_costs",
    "study:participants",
    "study:enrol",
    "study:participant",
    "study:consent",
    "study:withdraw",
    "study:record",
    "study:due",
    "study:screening",
    "study:person_enrol",
    "study:completeness",
    "study:exports",
    "study:export",
    "study:export_download",
    "study:reports",
    "study:report",
    "study:report_download",
    # every role in study/tests/test_access_invitations.py
    "study:invitations",
    "study:invitation",
    # implementation: every role is tested against every one of these in implementation/tests/test_access.py
    "implementation:index",
    "implementation:mine",
    "implementation:self_rate",
    "implementation:rating",
    "implementation:team",
    "implementation:team_fidelity",
    "implementation:team_dashboard",
    "implementation:trust_dashboard",
    "implementation:team_rate",
    "implementation:worker",
    "implementation:worker_rate",
    "implementation:champion",
    "implementation:supervision_new",
    "implementation:community_link_new",
    "implementation:community_link_edit",
    "implementation:checklist",
    "implementation:checklist_item",
    "implementation:training",
    "implementation:training_new",
    "implementation:training_session",
    "implementation:training_attendance",
    "implementation:guidance_index",
    "implementation:guidance_page",
    "implementation:guidance_print",
    # data protection: every role is tested against every one of these in privacy/tests/test_access.py
    "privacy:index",
    "privacy:person",
    "privacy:subject_access",
    "privacy:subject_access_download",
    "privacy:restrict",
    "privacy:lift",
    "privacy:erase",
    "privacy:erase_confirm",
    "privacy:erased",
    "privacy:restricted",
    "privacy:retention",
    # the public Open Referral API, the same for everyone: community/tests/test_openreferral_api.py and the
    # generated matrix (core/tests/matrix)
    "openreferral:index",
    "openreferral:services",
    "openreferral:service",
    "openreferral:service_at_locations",
    "openreferral:service_at_location",
    "openreferral:organizations",
    "openreferral:organization",
    "openreferral:taxonomies",
    "openreferral:taxonomy",
    "openreferral:taxonomy_terms",
    "openreferral:taxonomy_term",
}


def _our_url_names() -> set[str]:
    from django.urls import get_resolver

    names = set()
    for namespace, (_prefix, resolver) in get_resolver().namespace_dict.items():
        if namespace == "admin":
            continue
        names |= {f"{namespace}:{name}" for name in resolver.reverse_dict if isinstance(name, str)}
    return names


def test_every_url_is_in_the_matrix():
    assert _our_url_names() == COVERED_URL_NAMES


MEASURE_PAGES = ["measures/", "measures/new/", "measures/swemwbs/new/"]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("page", MEASURE_PAGES)
def test_measure_pages(client, org, people, role, page):
    client = client_for(client, org, role)
    for key, person in people.items():
        response = client.get(f"/people/{person.pk}/{page}")
        if role == "anonymous":
            assert response.status_code == 302
        else:
            expected = 200 if key in RECORD_ACCESS.get(role, set()) else 404
            assert response.status_code == expected, f"{role} {key} {page}"


WRITES = [
    ("edit/", {"given_name": "Changed"}),
    (
        "close/",
        {
            "closed_on_day": "1",
            "closed_on_month": "3",
            "closed_on_year": "2026",
            "reason": "moved_on",
            "version": "1",
        },
    ),
    ("allocate/", {"worker": "1"}),
    ("reopen/", {}),
    (
        "measures/ucla3/new/",
        {
            "administered_on_day": "1",
            "administered_on_month": "3",
            "administered_on_year": "2026",
            "mode": "phone",
            "item_companionship": "1",
            "item_left_out": "1",
            "item_isolated": "1",
        },
    ),
]


@pytest.mark.parametrize(
    "role", ["colleague", "other_lead", "implementation_lead", "researcher", "administrator", "no_role"]
)
@pytest.mark.parametrize("path, data", WRITES)
def test_writes_out_of_scope_are_404_and_change_nothing(client, org, people, role, path, data):
    from connecting_people.audit.models import AuditEvent
    from connecting_people.measures.models import Administration
    from connecting_people.people.models import Person

    person = people["mine"]
    before = Person.objects.values().get(pk=person.pk)
    events = AuditEvent.objects.count()
    client.force_login(getattr(org, role))
    assert client.post(f"/people/{person.pk}/{path}", data).status_code == 404
    assert Person.objects.values().get(pk=person.pk) == before
    assert not Administration.objects.exists()
    assert AuditEvent.objects.count() == events


def test_cover_end_out_of_scope_is_404(client, org):
    from connecting_people.accounts.models import CoverAssignment

    today = timezone.localdate()
    cover = CoverAssignment.objects.create(
        team=org.team,
        practitioner=org.practitioner,
        starts_on=today,
        ends_on=today,
        reason="x",
        granted_by=org.lead,
    )
    for role in ("practitioner", "other_lead", "administrator"):
        client.force_login(getattr(org, role))
        assert client.post(f"/team/cover/{cover.pk}/end/").status_code == 404
    cover.refresh_from_db()
    assert cover.ended_early_at is None


@pytest.fixture
def maps(org, people):
    """Two maps for every person (each made by someone who can reach them), with one entry each."""
    from connecting_people.connections import services

    makers = {
        "mine": "practitioner",
        "colleagues": "colleague",
        "unallocated": "lead",
        "other_team": "other_lead",
    }
    made = {}
    for key, person in people.items():
        maker = team_lead(org.other_trust_team) if key == "other_trust" else getattr(org, makers[key])
        today = timezone.localdate()
        first = services.snapshot_start(user=maker, person_id=person.pk, taken_on=today - timedelta(days=30))
        services.entry_add(
            user=maker,
            person_id=person.pk,
            snapshot_id=first.pk,
            data=services.EntryData(label="Sam", kind="person", category="friend", ring="close"),
        )
        latest = services.snapshot_start(user=maker, person_id=person.pk, taken_on=today)
        made[key] = (first, latest, latest.entries.get())
    return made


def map_pages(person, first, latest, entry):
    base = f"/people/{person.pk}/map/"
    return [
        base,
        f"{base}new/",
        f"{base}compare/",
        f"{base}import/",
        f"{base}{first.pk}/",
        f"{base}{latest.pk}/add/",
        f"{base}{latest.pk}/print/",
        f"{base}{latest.pk}/export/json/",
        f"{base}entries/{entry.pk}/",
        f"{base}entries/{entry.pk}/ties/",
        f"{base}entries/{entry.pk}/remove/",
    ]


@pytest.mark.parametrize("role", ROLES)
def test_map_pages(client, org, people, maps, role):
    client = client_for(client, org, role)
    for key, person in people.items():
        for url in map_pages(person, *maps[key]):
            response = client.get(url)
            if role == "anonymous":
                assert response.status_code == 302 and "/accounts/sign-in/" in response["Location"], url
            else:
                # Adding and removing happen on the map page itself: their own addresses go there.
                reached = 302 if url.endswith(("/add/", "/remove/")) else 200
                expected = reached if key in RECORD_ACCESS.get(role, set()) else 404
                assert response.status_code == expected, f"{role} {key} {url}"


@pytest.mark.parametrize("role", ROLES)
def test_import_report_page(client, org, people, maps, role):
    """Without a report to show it goes on to the map (302) for those who reach the person; 404 for others."""
    client = client_for(client, org, role)
    for key, person in people.items():
        latest = maps[key][1]
        response = client.get(f"/people/{person.pk}/map/{latest.pk}/imported/")
        if role == "anonymous":
            assert "/accounts/sign-in/" in response["Location"]
        elif key in RECORD_ACCESS.get(role, set()):
            assert response.status_code == 302 and response["Location"].endswith(f"/map/{latest.pk}/")
        else:
            assert response.status_code == 404, f"{role} {key}"


def test_map_ids_of_another_person_are_404(client, org, people, maps):
    """A snapshot or entry id that exists, but belongs to someone else, under a person the user can reach."""
    client.force_login(org.practitioner)
    mine = people["mine"]
    first, latest, entry = maps["colleagues"]
    for url in map_pages(mine, first, latest, entry)[4:]:
        assert client.get(url).status_code == 404, url
    assert client.get(f"/people/{mine.pk}/map/compare/?from={first.pk}").status_code == 404


MAP_WRITES = [
    ("new/", {"taken_on_day": "1", "taken_on_month": "1", "taken_on_year": "2026"}),
    ("{latest}/add/", {"label": "Jo", "kind": "person", "category": "friend", "ring": "close"}),
    ("entries/{entry}/", {"label": "Jo", "kind": "person", "category": "friend", "ring": "outer"}),
    ("entries/{entry}/ties/", {"ties": []}),
    ("entries/{entry}/remove/", {}),
    ("entries/{entry}/move/", {"ring": "outer", "category": "faith", "version": "1"}),
    ("{latest}/restore/", {"undo": "anything"}),
    ("add/", {"label": "Jo"}),
]


@pytest.mark.parametrize(
    "role", ["colleague", "other_lead", "implementation_lead", "researcher", "administrator", "no_role"]
)
@pytest.mark.parametrize("path, data", MAP_WRITES)
def test_map_writes_out_of_scope_are_404_and_change_nothing(client, org, people, maps, role, path, data):
    from connecting_people.audit.models import AuditEvent
    from connecting_people.connections.models import MapEntry, MapSnapshot, MapTie

    person = people["mine"]
    _first, latest, entry = maps["mine"]

    def state():
        return (
            list(MapSnapshot.objects.values()),
            list(MapEntry.objects.values()),
            list(MapTie.objects.values()),
            AuditEvent.objects.count(),
        )

    before = state()
    client.force_login(getattr(org, role))
    url = f"/people/{person.pk}/map/" + path.format(latest=latest.pk, entry=entry.pk)
    assert client.post(url, data).status_code == 404
    assert state() == before


@pytest.fixture
def plans(org, people):
    """For every person: a goal with a step, a community link and a review (made by someone who reaches them)."""
    from connecting_people.community.models import Opportunity
    from connecting_people.plans import services

    today = timezone.localdate()
    opportunity = Opportunity.objects.create(name="Walking group", category="sport")
    makers = {
        "mine": "practitioner",
        "colleagues": "colleague",
        "unallocated": "lead",
        "other_team": "other_lead",
    }
    levels = {level: f"Level {level}" for level in (-2, -1, 0, 1, 2)}
    made = {}
    for key, person in people.items():
        maker = team_lead(org.other_trust_team) if key == "other_trust" else getattr(org, makers[key])
        goal = services.goal_create(
            user=maker,
            person_id=person.pk,
            data=services.GoalData(text="Walk weekly", levels=levels),
            set_on=today,
        )
        step = services.step_add(
            user=maker,
            person_id=person.pk,
            goal_id=goal.pk,
            data=services.StepData(what="Find a route", owner="person", due_on=today),
        )
        link = services.link_create(user=maker, person_id=person.pk, opportunity_id=opportunity.pk)
        review = services.review_hold(
            user=maker,
            person_id=person.pk,
            data=services.ReviewData(
                held_on=today, decision="move_on", next_review_on=None, start_new_map=False
            ),
        )
        made[key] = {"goal": goal, "step": step, "link": link, "review": review, "opportunity": opportunity}
    return made


def plan_pages(person, made):
    base = f"/people/{person.pk}/plan/"
    return [
        base,
        f"{base}print/",
        f"{base}assessment/",
        f"{base}goals/new/",
        f"{base}goals/{made['goal'].pk}/",
        f"{base}goals/{made['goal'].pk}/steps/new/",
        f"{base}steps/{made['step'].pk}/",
        f"{base}activities/new/",
        f"{base}links/{made['link'].pk}/",
        f"{base}links/choose/{made['opportunity'].pk}/",
        f"{base}reviews/new/",
        f"{base}reviews/{made['review'].pk}/",
    ]


@pytest.mark.parametrize("role", ROLES)
def test_plan_pages(client, org, people, plans, role):
    client = client_for(client, org, role)
    for key, person in people.items():
        for url in plan_pages(person, plans[key]):
            response = client.get(url)
            if role == "anonymous":
                assert response.status_code == 302 and "/accounts/sign-in/" in response["Location"], url
            else:
                # Adding and removing happen on the map page itself: their own addresses go there.
                reached = 302 if url.endswith(("/add/", "/remove/")) else 200
                expected = reached if key in RECORD_ACCESS.get(role, set()) else 404
                assert response.status_code == expected, f"{role} {key} {url}"


def test_plan_ids_of_another_person_are_404(client, org, people, plans):
    client.force_login(org.practitioner)
    theirs = plans["colleagues"]
    base = f"/people/{people['mine'].pk}/plan/"
    for url in (
        f"{base}goals/{theirs['goal'].pk}/",
        f"{base}goals/{theirs['goal'].pk}/steps/new/",
        f"{base}steps/{theirs['step'].pk}/",
        f"{base}links/{theirs['link'].pk}/",
        f"{base}reviews/{theirs['review'].pk}/",
    ):
        assert client.get(url).status_code == 404, url


PLAN_WRITES = [
    ("assessment/", {"assessed_on_day": "1", "assessed_on_month": "1", "assessed_on_year": "2026"}),
    (
        "goals/new/",
        {"text": "x", **{f"level_{n}": "x" for n in ("minus_2", "minus_1", "0", "plus_1", "plus_2")}},
    ),
    ("goals/{goal}/", {"text": "x", "status": "achieved", "version": "1"}),
    (
        "goals/{goal}/steps/new/",
        {"what": "x", "owner": "person", "due_on_day": "1", "due_on_month": "1", "due_on_year": "2030"},
    ),
    (
        "steps/{step}/",
        {"what": "x", "owner": "person", "due_on_day": "1", "due_on_month": "1", "due_on_year": "2030"},
    ),
    ("steps/{step}/done/", {"done": "yes"}),
    (
        "activities/new/",
        {
            "kind": "contact_phone",
            "occurred_on_day": "1",
            "occurred_on_month": "1",
            "occurred_on_year": "2026",
        },
    ),
    ("links/new/", {"opportunity": "{opportunity}"}),
    ("links/{link}/", {"status": "discussed", "version": "1"}),
    ("reviews/new/", {"decision": "move_on", "start_new_map": "no"}),
]


@pytest.mark.parametrize(
    "role", ["colleague", "other_lead", "implementation_lead", "researcher", "administrator", "no_role"]
)
@pytest.mark.parametrize("path, data", PLAN_WRITES)
def test_plan_writes_out_of_scope_are_404_and_change_nothing(client, org, people, plans, role, path, data):
    from django.apps import apps

    from connecting_people.audit.models import AuditEvent

    made = plans["mine"]
    ids = {name: made[name].pk for name in ("goal", "step", "link", "opportunity")}

    def state():
        rows = [list(model.objects.values()) for model in apps.get_app_config("plans").get_models()]
        return rows, list(people["mine"].tags.all()), AuditEvent.objects.count()

    before = state()
    client.force_login(getattr(org, role))
    url = f"/people/{people['mine'].pk}/plan/" + path.format(**ids)
    assert client.post(url, {k: v.format(**ids) for k, v in data.items()}).status_code == 404
    assert state() == before
