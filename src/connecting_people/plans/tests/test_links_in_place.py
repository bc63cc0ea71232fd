"""Community links on the plan page: a suggestion says why, when, where, how far and what it costs, free before
paid; a link moves on with one button on its row (POST, redirect back; or the section alone for the page's
script), so a suggestion becomes "introduced" in two presses."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from connecting_people.accounts.actor import as_actor
from connecting_people.audit.models import AuditEvent
from connecting_people.community.tests.factories import OpportunityFactory
from connecting_people.people.tests.factories import PersonFactory
from connecting_people.plans import services
from connecting_people.plans.models import Link, LinkChange

TODAY = timezone.localdate()
FRAGMENT = {"HTTP_X_APP_FRAGMENT": "links"}


@pytest.fixture
def person(org):
    return PersonFactory(
        team=org.team,
        allocated_worker=org.practitioner,
        opened_on=TODAY - timedelta(days=120),
        practice_consent=True,
        postcode="CP3 9ZZ",
    )


@pytest.fixture
def signed_in(client, org):
    client.force_login(org.practitioner)
    return client


@pytest.fixture
def walks(db):
    """Three walking groups sharing one interest: paid and nearest, free and further, free and furthest; and a
    library in the person's postcode district, so the directory can place their home."""
    OpportunityFactory(name="Library", postcode="CP3 1AA", latitude=53.9590, longitude=-1.0815)
    return {
        "paid": OpportunityFactory(
            name="Canal Walkers", cost="paid", cost_details="£4 a walk", interests=["walking"],
            schedule="Saturdays, 10am to midday", address="Canal Basin", postcode="CP3 2BB",
            latitude=53.9600, longitude=-1.0815,
        ),
        "free": OpportunityFactory(
            name="Park Strollers", cost="free", interests=["walking"], schedule="Tuesdays, 2pm to 4pm",
            address="Rowntree Park gates", postcode="CP4 1CC", latitude=53.9880, longitude=-1.0815,
        ),
        "free_far": OpportunityFactory(
            name="Moor Ramblers", cost="free", interests=["walking"], latitude=54.1, longitude=-1.0815,
        ),
    }  # fmt: skip


def plan(client, person) -> str:
    return client.get(f"/people/{person.pk}/plan/").content.decode()


def suggestion_names(page: str) -> list[str]:
    return re.findall(
        r'<h4 class="nhsuk-heading-s[^"]*"><a href="/community/\d+/\?for=\d+">([^<]+)</a>', page
    )


def test_suggestions_say_when_where_how_far_and_what_it_costs_free_first(signed_in, person, walks):
    person.tags.create(kind="interest", name="walking")
    page = plan(signed_in, person)
    assert suggestion_names(page) == ["Park Strollers", "Moor Ramblers", "Canal Walkers"]
    assert "<dt>When</dt><dd>Tuesdays, 2pm to 4pm</dd>" in page
    assert "<dt>Where</dt><dd>Rowntree Park gates, CP4 1CC (about 2.0 miles from home)</dd>" in page
    assert "<dt>Cost</dt><dd>Paid: £4 a walk</dd>" in page
    assert "<dt>Cost</dt><dd>Free</dd>" in page
    assert "<dt>Interests shared</dt><dd>walking</dd>" in page


def test_without_a_postcode_the_page_says_how_to_see_distances(signed_in, person, walks):
    person.postcode = ""
    person.save()
    person.tags.create(kind="interest", name="walking")
    page = plan(signed_in, person)
    assert "miles from home" not in page
    assert "postcode to" in page and f'href="/people/{person.pk}/edit/"' in page


def test_a_suggestion_becomes_introduced_in_two_presses(signed_in, org, person, walks):
    person.tags.create(kind="interest", name="walking")
    response = signed_in.post(
        f"/people/{person.pk}/plan/links/new/", {"opportunity": walks["free"].pk, "matched": ["walking"]}
    )
    link = Link.objects.get(person=person)
    assert response["Location"] == f"/people/{person.pk}/plan/#link-{link.pk}"
    page = plan(signed_in, person)
    row = page.split(f'id="link-{link.pk}"')[1].split("</tr>")[0]
    buttons = re.findall(r'name="status" value="(\w+)">([^<]+)<', row)
    assert buttons == [
        ("discussed", "Talked about"),
        ("introduced", "Introduced"),
        ("attended", "Went along"),
        ("regular", "Goes regularly"),
    ]
    response = signed_in.post(
        f"/people/{person.pk}/plan/links/{link.pk}/move/", {"status": "introduced", "version": link.version}
    )
    assert response.status_code == 302 and response["Location"].endswith(f"#link-{link.pk}")
    link.refresh_from_db()
    assert link.status == "introduced"
    assert [c.status for c in LinkChange.objects.filter(link=link)] == ["suggested", "introduced"]
    assert LinkChange.objects.get(link=link, status="introduced").changed_on == TODAY
    assert AuditEvent.objects.filter(action="plan.link_moved", object_id=str(link.pk)).count() == 1
    assert "Park Strollers: introduced." in plan(signed_in, person)


def test_the_page_script_gets_the_links_section_alone_and_no_banner_is_left_for_later(
    signed_in, org, person, walks
):
    link = services.link_create(
        actor=as_actor(org.practitioner), person_id=person.pk, opportunity_id=walks["paid"].pk
    )
    response = signed_in.post(
        f"/people/{person.pk}/plan/links/{link.pk}/move/", {"status": "attended", "version": 1}, **FRAGMENT
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<section id="links"')
    assert 'data-app-links-message="Canal Walkers: went along. It is on the connections map."' in html
    assert f'data-app-links-focus="link-{link.pk}"' in html
    assert "<script" not in html and "<html" not in html
    assert "went along. It is on" not in plan(signed_in, person)  # said once, by the script, not again later
    assert AuditEvent.objects.filter(action="person.viewed", summary__page="plan-links").exists()


def test_someone_else_moved_it_first_nothing_changes(signed_in, org, person, walks):
    link = services.link_create(
        actor=as_actor(org.practitioner), person_id=person.pk, opportunity_id=walks["free"].pk
    )
    services.link_status_set(
        actor=as_actor(org.practitioner),
        person_id=person.pk,
        link_id=link.pk,
        expected_version=1,
        status="discussed",
    )
    response = signed_in.post(
        f"/people/{person.pk}/plan/links/{link.pk}/move/", {"status": "introduced", "version": 1}, **FRAGMENT
    )
    assert "data-app-links-error" in response.content.decode()
    link.refresh_from_db()
    assert link.status == "discussed" and link.version == 2


@pytest.mark.parametrize("status", ["stopped", "", "nonsense"])
def test_stopping_or_nonsense_needs_the_links_own_page(signed_in, org, person, walks, status):
    link = services.link_create(
        actor=as_actor(org.practitioner), person_id=person.pk, opportunity_id=walks["free"].pk
    )
    response = signed_in.post(
        f"/people/{person.pk}/plan/links/{link.pk}/move/", {"status": status, "version": 1}
    )
    assert response.status_code == 302
    link.refresh_from_db()
    assert link.status == "suggested" and link.version == 1


@pytest.mark.parametrize(
    "role", ["colleague", "other_lead", "implementation_lead", "researcher", "administrator", "no_role"]
)
def test_a_link_out_of_reach_is_not_found_and_nothing_changes(client, org, person, walks, role):
    link = services.link_create(
        actor=as_actor(org.practitioner), person_id=person.pk, opportunity_id=walks["free"].pk
    )
    events = AuditEvent.objects.count()
    client.force_login(getattr(org, role))
    move = {"status": "introduced", "version": 1}
    assert client.post(f"/people/{person.pk}/plan/links/{link.pk}/move/", move).status_code == 404
    assert client.post(f"/people/{person.pk}/plan/links/{link.pk}/move/", move, **FRAGMENT).status_code == 404
    link.refresh_from_db()
    assert link.status == "suggested" and AuditEvent.objects.count() == events


def test_a_link_of_another_person_is_not_found_through_mine(signed_in, org, person, walks):
    theirs = PersonFactory(team=org.team, allocated_worker=org.colleague)
    link = services.link_create(
        actor=as_actor(org.colleague), person_id=theirs.pk, opportunity_id=walks["free"].pk
    )
    move = {"status": "introduced", "version": 1}
    assert signed_in.post(f"/people/{person.pk}/plan/links/{link.pk}/move/", move).status_code == 404
    link.refresh_from_db()
    assert link.status == "suggested"


def test_only_forward_moves_get_buttons_and_a_stopped_link_gets_none(signed_in, org, person, walks):
    link = services.link_create(
        actor=as_actor(org.practitioner), person_id=person.pk, opportunity_id=walks["free"].pk
    )
    services.link_status_set(
        actor=as_actor(org.practitioner),
        person_id=person.pk,
        link_id=link.pk,
        expected_version=1,
        status="regular",
    )
    row = plan(signed_in, person).split(f'id="link-{link.pk}"')[1].split("</tr>")[0]
    assert 'name="status"' not in row and ">Change<" in row
