"""Flows that go where the work goes next (issue 13): each save goes on to what is due for the person or back to
the page that opened the form; the review shows what it is about and changes the new map in place; measures
come back to the review and are no longer asked for once recorded; dates come filled in."""

import re
from datetime import date, timedelta
from urllib.parse import quote

import pytest
from django.utils import timezone

from connecting_people.accounts.actor import as_actor
from connecting_people.community.models import Opportunity
from connecting_people.connections import services as map_services
from connecting_people.connections.models import MapEntry, MapSnapshot
from connecting_people.measures.models import Administration
from connecting_people.people.tests.factories import PersonFactory
from connecting_people.plans import services
from connecting_people.plans.models import Activity, Assessment, Link, Review, TeamReviewInterval
from connecting_people.plans.tests.test_web import date_fields

TODAY = timezone.localdate()
SWEMWBS = ["optimistic", "useful", "relaxed", "problems", "thinking", "close", "decisions"]


@pytest.fixture
def person(org):
    return PersonFactory(
        team=org.team,
        allocated_worker=org.practitioner,
        opened_on=TODAY - timedelta(days=120),
        practice_consent=True,
        given_name="Robin",
        preferred_name="",
    )


@pytest.fixture
def signed_in(client, org):
    client.force_login(org.practitioner)
    return client


@pytest.fixture
def choir(db):
    return Opportunity.objects.create(name="Riverside Choir", category="arts")


def filled_in(page: str, name: str) -> date | None:
    """The date a page's three boxes for `name` come filled in with."""
    parts = [
        re.search(rf'id="id_{name}_{part}"[^>]*value="([^"]*)"', page) for part in ("day", "month", "year")
    ]
    if not all(parts) or not all(part.group(1) for part in parts):
        return None
    day, month, year = (int(part.group(1)) for part in parts)
    return date(year, month, day)


def review_url(person) -> str:
    return f"/people/{person.pk}/plan/reviews/new/"


def swemwbs(answer: int = 4) -> dict:
    return {f"item_{item}": str(answer) for item in SWEMWBS}


def two_goals(org, person):
    return [
        services.goal_create(
            actor=as_actor(org.practitioner),
            person_id=person.pk,
            data=services.GoalData(text=text, levels={0: expected}),
            set_on=TODAY - timedelta(days=60),
            first_step=services.StepData(what=step, owner="worker", due_on=TODAY - timedelta(days=30)),
        )
        for text, expected, step in (
            ("Sing with others", "Goes to the choir each week", "Ring the choir leader"),
            ("Walk to the park", "Walks there once a week", "Plan a route"),
        )
    ]


# --- what matters, and going on to what is due ------------------------------------------------------------


def test_what_matters_on_one_short_form_then_straight_on_to_what_is_due(signed_in, person):
    person_page = signed_in.get(f"/people/{person.pk}/").content.decode()
    assert f'href="/people/{person.pk}/plan/assessment/">Talk about what matters to them' in person_page
    form = signed_in.get(f"/people/{person.pk}/plan/assessment/").content.decode()
    assert filled_in(form, "assessed_on") == TODAY
    response = signed_in.post(
        f"/people/{person.pk}/plan/assessment/",
        {
            "strengths": "listening, cooking",
            "interests": "walking, cooking, music",
            "barriers": ["confidence"],
            **date_fields("assessed_on", TODAY),
        },
    )
    assert Assessment.objects.filter(person=person).exists()
    assert sorted(person.tags.filter(kind="interest").values_list("name", flat=True)) == [
        "cooking",
        "music",
        "walking",
    ]
    # No map yet, and it is the most pressing thing due: the save goes straight there and says so.
    assert response["Location"] == f"/people/{person.pk}/map/"
    banner = signed_in.get(response["Location"]).content.decode()
    assert "Saved what matters to them and what gets in the way. Next: connections map overdue." in banner


def test_a_save_goes_back_to_the_page_that_opened_it_when_it_says_so(signed_in, person):
    url = f"/people/{person.pk}/plan/assessment/?next=" + quote(review_url(person))
    response = signed_in.post(url, {"interests": "walking", **date_fields("assessed_on", TODAY)})
    assert response["Location"] == review_url(person)
    elsewhere = f"/people/{person.pk}/plan/assessment/?next=https://example.org/"
    response = signed_in.post(
        elsewhere, {"interests": "walking", "version": "1", **date_fields("assessed_on", TODAY)}
    )
    assert response.status_code == 302 and "example.org" not in response["Location"]


# --- one activity: the first visit after an introduction ------------------------------------------------


def test_the_first_visit_is_offered_with_what_and_where_filled_in(signed_in, org, person, choir):
    map_services.snapshot_start(
        actor=as_actor(org.practitioner), person_id=person.pk, taken_on=TODAY - timedelta(days=50)
    )
    services.goal_create(
        actor=as_actor(org.practitioner),
        person_id=person.pk,
        data=services.GoalData(text="Sing", levels={0: "Twice"}),
    )
    Assessment.objects.create(person=person, assessed_on=TODAY, updated_by=org.practitioner)
    link = services.link_create(
        actor=as_actor(org.practitioner), person_id=person.pk, opportunity_id=choir.pk
    )
    services.link_status_set(
        actor=as_actor(org.practitioner),
        person_id=person.pk,
        link_id=link.pk,
        expected_version=link.version,
        status=Link.Status.INTRODUCED,
    )
    plan = signed_in.get(f"/people/{person.pk}/plan/").content.decode()
    visit = f"/people/{person.pk}/plan/activities/new/?opportunity={choir.pk}"
    assert f'href="{visit}">Log the first visit to Riverside Choir' in plan  # what is due
    assert f'href="{visit}" class="nhsuk-body-s">Log a visit' in plan  # and the link's own row
    form = signed_in.get(visit).content.decode()
    assert 'value="accompanied" checked' in form
    assert f'<option value="{choir.pk}" selected' in form
    assert filled_in(form, "occurred_on") == TODAY
    # What the page sends back when nothing is changed: one click on "Log it".
    response = signed_in.post(
        visit, {"kind": "accompanied", "opportunity": str(choir.pk), **date_fields("occurred_on", TODAY)}
    )
    # Next due: the measures never recorded, the first opened straight away, coming back to the plan after.
    plan_url = quote(f"/people/{person.pk}/plan/", safe="")
    assert response["Location"] == f"/people/{person.pk}/measures/swemwbs/new/?next={plan_url}"
    banner = signed_in.get(response["Location"]).content.decode()
    assert (
        "Activity logged. Riverside Choir is on the connections map. Next: SWEMWBS and UCLA 3-item due."
        in banner
    )
    activity = Activity.objects.get(person=person)
    assert (activity.kind, activity.opportunity, activity.occurred_on) == ("accompanied", choir, TODAY)
    link.refresh_from_db()
    assert link.status == Link.Status.ATTENDED
    plan = signed_in.get(f"/people/{person.pk}/plan/").content.decode()
    assert "Log the first visit" not in plan


# --- measures: from the review and back, and not due once done -------------------------------------------


def test_a_measure_opened_from_the_review_comes_back_to_it_and_is_then_not_due(signed_in, org, person):
    page = signed_in.get(review_url(person)).content.decode()
    record = f"/people/{person.pk}/measures/swemwbs/new/?next=" + quote(review_url(person), safe="")
    assert f'href="{record}">Short Warwick-Edinburgh Mental Wellbeing Scale (SWEMWBS)</a>: due' in page
    form = signed_in.get(record).content.decode()
    assert f'href="{review_url(person)}"' in form  # the back link goes to the review too
    assert 'value="with_person" checked' in form  # how it was completed: together, unless said otherwise
    response = signed_in.post(
        record, {**swemwbs(), "mode": "with_person", **date_fields("administered_on", TODAY)}
    )
    assert response["Location"] == review_url(person)
    assert Administration.objects.filter(person=person, instrument_id="swemwbs").count() == 1
    page = signed_in.get(review_url(person)).content.decode()
    assert "Short Warwick-Edinburgh Mental Wellbeing Scale (SWEMWBS): recorded" in page
    assert "(SWEMWBS)</a>: due" not in page
    assert "Three-item loneliness scale (UCLA 3-item)</a>: due" in page


def test_a_measure_recorded_months_ago_is_due_again_at_the_review(signed_in, org, person):
    signed_in.post(
        f"/people/{person.pk}/measures/swemwbs/new/",
        {**swemwbs(3), "mode": "with_person", **date_fields("administered_on", TODAY - timedelta(days=90))},
    )
    page = signed_in.get(review_url(person)).content.decode()
    assert "(SWEMWBS)</a>: due, last recorded" in page
    # The person page prompts for it once the review is close, and the link comes back to that page.
    person.next_review_on = TODAY + timedelta(days=5)
    person.save(update_fields=["next_review_on"])
    overview = signed_in.get(f"/people/{person.pk}/").content.decode()
    back = quote(f"/people/{person.pk}/", safe="")
    assert (
        f'href="/people/{person.pk}/measures/swemwbs/new/?next={back}">SWEMWBS and UCLA 3-item due'
        in overview
    )


def test_a_measure_ignores_a_next_that_leaves_the_site(signed_in, person):
    response = signed_in.post(
        f"/people/{person.pk}/measures/swemwbs/new/?next=//example.org/",
        {**swemwbs(), "mode": "with_person", **date_fields("administered_on", TODAY)},
    )
    assert response["Location"] == f"/people/{person.pk}/measures/"


# --- the review ---------------------------------------------------------------------------------------------


@pytest.fixture
def last_map(org, person):
    snapshot = map_services.snapshot_start(
        actor=as_actor(org.practitioner), person_id=person.pk, taken_on=TODAY - timedelta(days=100)
    )
    for label, category in (("Mum", "family"), ("Sam", "friend")):
        map_services.entry_add(
            actor=as_actor(org.practitioner),
            person_id=person.pk,
            snapshot_id=snapshot.pk,
            data=map_services.EntryData(label=label, kind="person", category=category, ring="close"),
        )
    return snapshot


def test_the_review_shows_the_map_goals_with_steps_and_what_happened_since_the_last_one(
    signed_in, org, person, last_map, choir
):
    two_goals(org, person)
    Activity.objects.create(
        person=person,
        kind="attended",
        occurred_on=TODAY - timedelta(days=3),
        opportunity=choir,
        recorded_by=org.practitioner,
    )
    Activity.objects.create(
        person=person,
        kind="contact_phone",
        occurred_on=TODAY - timedelta(days=200),
        recorded_by=org.practitioner,
    )
    Review.objects.create(
        person=person, held_on=TODAY - timedelta(days=100), decision="continue", held_by=org.practitioner
    )
    page = signed_in.get(review_url(person)).content.decode()
    assert 'class="app-connections-map"' in page and "<title>Mum</title>" in page  # the last map, drawn
    assert "The last map, of" in page
    assert "Steps: Ring the choir leader (the worker, by" in page
    assert "Session attended: Riverside Choir" in page
    assert "Contact by phone" not in page  # before the last review
    assert "0 gained" not in page


def test_the_new_map_is_changed_in_the_review_and_the_review_keeps_it(signed_in, org, person, last_map):
    goals = two_goals(org, person)
    added = signed_in.post(
        f"/people/{person.pk}/plan/reviews/new/map/add/",
        {"label": "Jo", "kind": "person", "category": "neighbour", "ring": "middle"},
    )
    assert added["Location"] == review_url(person) + "#map"
    new_map = MapSnapshot.objects.filter(person=person).latest("taken_on")
    assert (new_map.taken_on, new_map.previous_id) == (TODAY, last_map.pk)
    assert sorted(MapEntry.objects.filter(snapshot=new_map).values_list("label", flat=True)) == [
        "Jo",
        "Mum",
        "Sam",
    ]
    page = signed_in.get(review_url(person)).content.decode()
    assert "<strong>New:</strong> Jo" in page
    assert 'name="start_new_map"' not in page  # already started: the review uses it
    # A second entry goes on the same new map, not on another one.
    signed_in.post(
        f"/people/{person.pk}/plan/reviews/new/map/add/",
        {"label": "Pat", "kind": "person", "category": "friend", "ring": "outer"},
    )
    assert MapSnapshot.objects.filter(person=person).count() == 2
    weeks = TODAY + timedelta(weeks=12)
    assert filled_in(page, "next_review_on") == weeks and filled_in(page, "held_on") == TODAY
    response = signed_in.post(
        review_url(person),
        {
            **date_fields("held_on", TODAY),
            **date_fields("next_review_on", weeks),
            "decision": "continue",
            f"goal_{goals[0].pk}": "1",
            f"goal_{goals[1].pk}": "0",
        },
    )
    review = Review.objects.get(person=person)
    assert review.snapshot == new_map and review.scores.count() == 2
    summary = signed_in.get(response["Location"]).content.decode()
    assert "<strong>New:</strong> Jo, Pat" in summary
    assert f'href="/people/{person.pk}/map/{new_map.pk}/"' in summary


def test_a_review_map_nobody_changed_says_so_and_links_to_it(signed_in, org, person, last_map):
    goals = two_goals(org, person)
    response = signed_in.post(
        review_url(person),
        {
            **date_fields("held_on", TODAY),
            **date_fields("next_review_on", TODAY + timedelta(weeks=12)),
            "decision": "continue",
            "start_new_map": "yes",
            f"goal_{goals[0].pk}": "1",
            f"goal_{goals[1].pk}": "none",
        },
    )
    summary = signed_in.get(response["Location"]).content.decode()
    review = Review.objects.get(person=person)
    assert "0 gained" not in summary and "Nothing has changed on the map yet." in summary
    assert f'href="/people/{person.pk}/map/{review.snapshot_id}/"' in summary
    change = quote(response["Location"], safe="/")
    assert f'href="/people/{person.pk}/map/?next={change}">Change the map together' in summary


def test_starting_the_new_map_for_the_map_page_comes_back_to_the_review(signed_in, org, person, last_map):
    response = signed_in.post(f"/people/{person.pk}/plan/reviews/new/map/", {"then": "map"})
    assert response["Location"] == f"/people/{person.pk}/map/?next=" + quote(review_url(person), safe="")
    assert MapSnapshot.objects.filter(person=person, taken_on=TODAY, previous=last_map).exists()
    again = signed_in.post(f"/people/{person.pk}/plan/reviews/new/map/")  # once a day: the same map
    assert again["Location"] == review_url(person) + "#map"
    assert MapSnapshot.objects.filter(person=person).count() == 2


def test_a_bad_name_on_the_review_map_is_said_and_nothing_is_started(signed_in, org, person, last_map):
    response = signed_in.post(
        f"/people/{person.pk}/plan/reviews/new/map/add/",
        {"label": "Jo Bloggs", "kind": "person", "category": "friend", "ring": "middle"},
    )
    page = response.content.decode()
    assert response.status_code == 200 and "There is a problem" in page and "first name or initials" in page
    assert MapSnapshot.objects.filter(person=person).count() == 1


def test_the_next_review_comes_from_the_teams_interval(signed_in, org, person):
    TeamReviewInterval.objects.create(team=org.team, weeks=6)
    page = signed_in.get(review_url(person)).content.decode()
    assert filled_in(page, "next_review_on") == TODAY + timedelta(weeks=6)
    assert "Filled in 6 weeks on, as your team plans reviews" in page


@pytest.mark.parametrize(
    "role", ["colleague", "other_lead", "implementation_lead", "researcher", "administrator", "no_role"]
)
def test_the_review_pages_are_out_of_reach_for_someone_else(client, org, person, last_map, role):
    client.force_login(getattr(org, role))
    assert client.get(review_url(person)).status_code == 404
    response = client.post(
        f"/people/{person.pk}/plan/reviews/new/map/add/",
        {"label": "Jo", "kind": "person", "category": "friend", "ring": "middle"},
    )
    assert response.status_code == 404
    assert client.post(f"/people/{person.pk}/plan/reviews/new/map/").status_code == 404
    assert MapSnapshot.objects.filter(person=person).count() == 1


def test_the_team_lead_reaches_them_and_anyone_signed_out_is_sent_to_sign_in(client, org, person, last_map):
    response = client.post(f"/people/{person.pk}/plan/reviews/new/map/")
    assert response.status_code == 302 and "/accounts/sign-in/" in response["Location"]
    client.force_login(org.lead)
    assert (
        client.post(f"/people/{person.pk}/plan/reviews/new/map/")["Location"] == review_url(person) + "#map"
    )
    assert MapSnapshot.objects.filter(person=person).count() == 2


class TestWhatIsNext:
    """`/people/<id>/plan/next/`: where "Map done" leads from the map page, which has no save of its own."""

    def test_it_goes_to_the_next_thing_due_leaving_out_the_one_just_done(self, signed_in, person):
        response = signed_in.get(f"/people/{person.pk}/plan/next/?done=map")
        assert response.status_code == 302
        assert response["Location"] == f"/people/{person.pk}/plan/assessment/"  # what matters comes first

    def test_nothing_due_is_the_plan(self, signed_in, person):
        person.practice_consent = False  # nothing is prompted for someone who has not agreed to the way of working
        person.save()
        response = signed_in.get(f"/people/{person.pk}/plan/next/")
        assert (response.status_code, response["Location"]) == (302, f"/people/{person.pk}/plan/")

    def test_someone_elses_person_is_not_found_and_nothing_is_audited(self, client, org, person):
        from connecting_people.audit.models import AuditEvent

        client.force_login(org.other_lead)
        before = AuditEvent.objects.count()
        assert client.get(f"/people/{person.pk}/plan/next/").status_code == 404
        assert AuditEvent.objects.count() == before
