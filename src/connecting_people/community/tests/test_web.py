"""The directory's pages: searching with every filter, bad input, adding and changing by hand, and a query count
that does not grow with the directory."""

import html
import re
from datetime import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from connecting_people.audit.models import AuditEvent
from connecting_people.community import geo, selectors
from connecting_people.community.models import Opportunity
from connecting_people.community.tests.factories import OpportunityFactory, OrganisationFactory
from connecting_people.synthetic.community import generate_opportunities

pytestmark = pytest.mark.django_db

CENTRE = geo.Point(53.9590, -1.0815)


def north_of_centre(miles: float) -> dict:
    return {
        "latitude": CENTRE.latitude + miles / geo.MILES_PER_DEGREE_LATITUDE,
        "longitude": CENTRE.longitude,
    }


@pytest.fixture
def directory(db):
    """A few opportunities that tell each filter apart."""
    trust = OrganisationFactory(name="Riverside Trust")
    return {
        "walk": OpportunityFactory(
            name="Riverside Walking Group",
            organisation=trust,
            category="sport",
            cost="free",
            postcode="CP3 1AB",
            interests=["walking"],
            sessions=[(1, "10:00", "12:00")],
            **north_of_centre(0.5),
        ),
        "choir": OpportunityFactory(
            name="Evening Choir",
            description="Singing for fun, no auditions",
            category="arts",
            cost="low",
            postcode="CP3 2XY",
            interests=["music"],
            sessions=[(1, "19:00", "21:00"), (3, "19:00", "21:00")],
            **north_of_centre(3),
        ),
        "garden": OpportunityFactory(
            name="Allotment Volunteers",
            category="nature",
            cost="paid",
            interests=["gardening", "walking"],
            sessions=[(5, "13:30", None)],
            **north_of_centre(12),
        ),
        "stopped": OpportunityFactory(name="Old Walking Club", active=False, interests=["walking"]),
        "nowhere": OpportunityFactory(name="Phone Befriending", category="social", interests=["walking"]),
    }


RESULT = re.compile(r'<h3 class="nhsuk-heading-s[^"]*"><a href="/community/\d+/">([^<]*)</a></h3>')


def results(content: str) -> list[str]:
    """The names of the results listed on a search page, in order."""
    return [html.unescape(name) for name in RESULT.findall(content)]


def names(client, **query) -> list[str]:
    response = client.get("/community/", query)
    assert response.status_code == 200
    return results(response.content.decode())


@pytest.mark.parametrize(
    "query, expected",
    [
        ({}, ["Allotment Volunteers", "Evening Choir", "Phone Befriending", "Riverside Walking Group"]),
        ({"q": "riverside"}, ["Riverside Walking Group"]),  # the organisation's name counts
        ({"q": "singing auditions"}, ["Evening Choir"]),  # every word, anywhere
        ({"interest": "walking"}, ["Allotment Volunteers", "Phone Befriending", "Riverside Walking Group"]),
        ({"interest": "Walking", "day": "tuesday"}, ["Riverside Walking Group"]),
        ({"day": "tuesday", "time": "evening"}, ["Evening Choir"]),
        ({"day": "tuesday", "time": "morning"}, ["Riverside Walking Group"]),
        ({"time": "afternoon"}, ["Allotment Volunteers"]),  # starts at 1:30pm, no finishing time
        ({"category": "arts"}, ["Evening Choir"]),
        ({"cost": "free"}, ["Riverside Walking Group"]),
        ({"cost": "low"}, ["Evening Choir", "Riverside Walking Group"]),
        ({"interest": "knitting"}, []),  # an interest nobody offers yet: searched for all the same
    ],
)
def test_search_filters(client, org, directory, query, expected):
    client.force_login(org.practitioner)
    assert names(client, **query) == expected


def test_distance_from_coordinates_nearest_first(client, org, directory):
    client.force_login(org.practitioner)
    near = f"{CENTRE.latitude}, {CENTRE.longitude}"
    assert names(client, near=near, within="5") == ["Riverside Walking Group", "Evening Choir"]
    assert names(client, near=near, within="25") == [
        "Riverside Walking Group",
        "Evening Choir",
        "Allotment Volunteers",
    ]
    content = client.get("/community/", {"near": near, "within": "5"}).content.decode()
    assert "0.5 miles away" in content and "3.0 miles away" in content


def test_distance_from_a_postcode_or_district_known_in_the_directory(client, org, directory):
    client.force_login(org.practitioner)
    content = client.get("/community/", {"near": "cp3 1ab", "within": "1"}).content.decode()
    assert results(content) == ["Riverside Walking Group"]
    assert "measured from postcode CP3 1AB" in content
    content = client.get("/community/", {"near": "CP3", "within": "2"}).content.decode()
    assert "the middle of the CP3 postcode district" in content
    assert len(results(content)) == 2


def test_a_place_we_cannot_find_says_why_and_shows_no_results(client, org, directory):
    client.force_login(org.practitioner)
    response = client.get("/community/", {"near": "LS1 4AP"})
    content = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in content
    assert "We have no postcode look-up, so distance needs coordinates" in content
    assert results(content) == [] and "Put right what the search says above" in content
    assert "<title>Error: " in content


@pytest.mark.parametrize(
    "query, field",
    [({"day": "someday"}, "day"), ({"category": "astrology"}, "category"), ({"within": "1000"}, "within")],
)
def test_values_the_form_does_not_offer_are_errors(client, org, directory, query, field):
    client.force_login(org.practitioner)
    content = client.get("/community/", query).content.decode()
    assert "There is a problem" in content
    assert f'<a href="#id_{field}"' in content and "Select a valid choice" in content


def test_results_are_paged_and_the_query_count_does_not_grow(client, org):
    client.force_login(org.practitioner)
    generate_opportunities(count=30, seed=5, log=lambda *args: None)
    client.get("/community/")  # the first request of a session stamps its start time

    def count(query):
        with CaptureQueriesContext(connection) as captured:
            response = client.get("/community/", query)
        assert response.status_code == 200
        return len(captured.captured_queries), len(results(response.content.decode()))

    queries = {"near": "CP3", "within": "25", "interest": "walking", "day": "", "time": ""}
    small = (count({}), count(queries))
    generate_opportunities(count=300, seed=6, log=lambda *args: None)
    large = (count({}), count(queries))
    assert [q for q, _ in small] == [q for q, _ in large], "the query count grew with the directory"
    assert large[0][1] == 20  # a full page
    assert small[1][1] < large[1][1]  # and more to show for the same filters
    content = client.get("/community/", {"page": "2", "cost": "low"}).content.decode()
    assert "?cost=low&amp;page=1" in content and "?cost=low&amp;page=3" in content


def test_an_opportunity_page(client, org, directory):
    client.force_login(org.implementation_lead)
    response = client.get(f"/community/{directory['choir'].pk}/")
    content = response.content.decode()
    assert (
        "Evening Choir" in content and "Tuesdays and Thursdays, 7pm to 9pm" not in content
    )  # no words given
    assert "Tuesday, 7pm to 9pm" in content and "Thursday, 7pm to 9pm" in content
    assert "Low cost (under £5 a time)" in content and "Added by hand" in content
    assert "/edit/" not in content  # implementation leads read, they do not edit
    stopped = client.get(f"/community/{directory['stopped'].pk}/").content.decode()
    assert "No longer running" in stopped


NEW = {
    "name": "Tuesday Lunch Club",
    "organisation_name": "St Anne's Church",
    "category": "social",
    "interests": "cooking, Chess",
    "days": ["tuesday", "thursday"],
    "starts_at": "12:00",
    "ends_at": "2pm",
    "postcode": "cp3 1ab",
    "latitude": "53.95",
    "longitude": "-1.08",
    "cost": "free",
    "contact_email": "lunch@st-annes.example.org",
    "website": "st-annes.example.org/lunch",
}


def test_adding_an_opportunity(client, org):
    client.force_login(org.practitioner)
    response = client.post("/community/new/", NEW)
    opportunity = Opportunity.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/community/{opportunity.pk}/"
    assert opportunity.schedule == "Tuesdays and Thursdays, midday to 2pm"
    assert list(opportunity.sessions.values_list("weekday", "starts_at", "ends_at")) == [
        (1, time(12), time(14)),
        (3, time(12), time(14)),
    ]
    assert sorted(opportunity.interests.values_list("name", flat=True)) == ["chess", "cooking"]
    assert (opportunity.postcode, opportunity.website) == ("CP3 1AB", "https://st-annes.example.org/lunch")
    assert opportunity.organisation.name == "St Anne's Church"
    assert "has been added to the directory" in client.get(response["Location"]).content.decode()


@pytest.mark.parametrize(
    "changes, messages",
    [
        ({"name": ""}, ["Enter the opportunity's name"]),
        ({"category": ""}, ["Select a category"]),
        ({"starts_at": "25:00"}, ["Starts at must be a time, like 10:00 or 6:30pm"]),
        ({"starts_at": "14:00", "ends_at": "13:00"}, ["The finishing time must be after the starting time"]),
        ({"days": []}, ["Select the days it meets, or leave the times blank"]),
        ({"latitude": "95"}, ["Latitude must be between -90 and 90"]),
        ({"longitude": ""}, ["Enter the longitude as well, or leave both blank"]),
        ({"postcode": "nowhere"}, ["Enter a real postcode, like LS1 4AP"]),
        ({"contact_email": "lunch at church"}, ["Enter a valid email address."]),
        ({"contact_phone": "call us"}, ["Enter a phone number, like 01632 960 001 or 07700 900 982"]),
    ],
)
def test_bad_input_is_explained_and_nothing_saved(client, org, changes, messages):
    client.force_login(org.practitioner)
    response = client.post("/community/new/", NEW | changes)
    assert response.status_code == 200
    content = response.content.decode().replace("&#39;", "'")
    assert "There is a problem" in content
    for message in messages:
        assert message in content
    assert not Opportunity.objects.exists() and not AuditEvent.objects.exists()


def test_changing_an_opportunity_keeps_sessions_with_different_times_unless_changed(client, org, directory):
    client.force_login(org.lead)
    choir = directory["choir"]
    choir.sessions.filter(weekday=3).update(starts_at=time(18))
    page = client.get(f"/community/{choir.pk}/edit/")
    assert "It meets at different times on different days" in page.content.decode()
    # What the form shows: the days ticked, no times (they differ), the rest as stored.
    data = {
        "name": "Evening Choir (new members welcome)",
        "category": "arts",
        "cost": "low",
        "postcode": "CP3 2XY",
        "latitude": str(choir.latitude),
        "longitude": str(choir.longitude),
        "interests": "music",
        "days": ["tuesday", "thursday"],
        "active": "yes",
        "version": "1",
    }
    response = client.post(f"/community/{choir.pk}/edit/", data)
    assert response.status_code == 302
    choir.refresh_from_db()
    assert choir.name == "Evening Choir (new members welcome)" and choir.version == 2
    assert sorted(choir.sessions.values_list("weekday", "starts_at")) == [(1, time(19)), (3, time(18))]

    data |= {"starts_at": "19:30", "ends_at": "21:00", "version": "2"}
    client.post(f"/community/{choir.pk}/edit/", data)
    assert sorted(choir.sessions.values_list("weekday", "starts_at")) == [
        (1, time(19, 30)),
        (3, time(19, 30)),
    ]


def test_a_stale_edit_is_refused(client, org, directory):
    client.force_login(org.practitioner)
    walk = directory["walk"]
    data = {"name": "Renamed", "category": "sport", "cost": "free", "active": "yes", "version": "7"}
    response = client.post(f"/community/{walk.pk}/edit/", data, follow=True)
    assert "Someone else saved changes to this opportunity" in response.content.decode()
    walk.refresh_from_db()
    assert walk.name == "Riverside Walking Group"


def test_marking_an_opportunity_stopped_takes_it_out_of_searches(client, org, directory):
    client.force_login(org.administrator)
    walk = directory["walk"]
    data = {"name": walk.name, "category": "sport", "cost": "free", "active": "no", "version": "1"}
    data |= {"days": ["tuesday"], "starts_at": "10:00", "ends_at": "12:00"}
    assert client.post(f"/community/{walk.pk}/edit/", data).status_code == 302
    assert "Riverside Walking Group" not in names(client)
    assert selectors.opportunity_get(opportunity_id=walk.pk).active is False


def test_opportunities_for_interests(directory):
    matches = selectors.opportunities_for_interests(
        interests=["Walking", "gardening", "chess", " "], limit=10
    )
    assert [(o.name, matched) for o, matched in matches] == [
        ("Allotment Volunteers", ["gardening", "walking"]),
        ("Riverside Walking Group", ["walking"]),  # free, so before the one whose cost is not known
        ("Phone Befriending", ["walking"]),
    ]  # the stopped club is left out
    assert (
        selectors.opportunities_for_interests(interests=["walking"], limit=1)[0][0].name
        == "Riverside Walking Group"  # each shares one interest now, and this one is free (the allotment is paid)
    )
    assert selectors.opportunities_for_interests(interests=[]) == []


def test_equally_matched_opportunities_come_free_first_then_nearest(db):
    def make(name, cost, miles=None):
        place = north_of_centre(miles) if miles is not None else {}
        return OpportunityFactory(name=name, cost=cost, interests=["walking"], **place)

    make("A paid walk", "paid", 0.1)
    make("B low-cost walk", "low", 0.2)
    make("C walk, cost not known", "unknown", 0.3)
    make("D free walk far away", "free", 9)
    make("E free walk nearby", "free", 1)
    make("F free walk, no place", "free")
    OpportunityFactory(name="Z paid walk and talk", cost="paid", interests=["walking", "talking"])
    by_name = selectors.opportunities_for_interests(interests=["walking", "talking"])
    assert [o.name for o, _ in by_name] == [
        "Z paid walk and talk",  # shares the most interests, whatever it costs
        "D free walk far away",
        "E free walk nearby",
        "F free walk, no place",
        "B low-cost walk",
        "C walk, cost not known",
        "A paid walk",
    ]
    nearest = selectors.opportunities_for_interests(interests=["walking", "talking"], near=CENTRE)
    assert [o.name for o, _ in nearest][1:4] == [
        "E free walk nearby",
        "D free walk far away",
        "F free walk, no place",  # no coordinates: after those with a distance
    ]
    miles = {o.name: o.distance_miles for o, _ in nearest}
    assert miles["E free walk nearby"] == pytest.approx(1, abs=0.01)
    assert miles["F free walk, no place"] is None


def test_opportunities_for_interests_costs_the_same_whatever_the_matches(
    directory, django_assert_num_queries
):
    with django_assert_num_queries(3):
        selectors.opportunities_for_interests(interests=["walking", "music"])
    for n in range(20):
        OpportunityFactory(name=f"Walk {n}", interests=["walking", "music"])
    with django_assert_num_queries(3):
        assert len(selectors.opportunities_for_interests(interests=["walking", "music"])) == 10
    with django_assert_num_queries(3):
        assert len(selectors.opportunities_for_interests(interests=["walking"], near=CENTRE)) == 10


def test_opportunity_get_finds_stopped_ones_and_404s_the_rest(directory):
    from django.http import Http404

    assert selectors.opportunity_get(opportunity_id=directory["stopped"].pk).name == "Old Walking Club"
    with pytest.raises(Http404):
        selectors.opportunity_get(opportunity_id=999999)


def test_text_search_reads_the_text_the_services_keep(client, org):
    """Imported and hand-made opportunities are found by words of their name, organisation or description."""
    generate_opportunities(count=40, seed=8, log=lambda *args: None)
    client.force_login(org.practitioner)
    client.post("/community/new/", NEW | {"description": "Soup and a chat, all welcome"})
    added = Opportunity.objects.get(name="Tuesday Lunch Club")
    assert added.search_text == "tuesday lunch club\nst anne's church\nsoup and a chat, all welcome"
    assert names(client, q="SOUP church") == ["Tuesday Lunch Club"]
    organisation = (
        Opportunity.objects.filter(source="synthetic:8").select_related("organisation").first().organisation
    )
    word = organisation.name.split()[0]
    expected = sorted(
        o.name
        for o in Opportunity.objects.filter(active=True).select_related("organisation")
        if word.lower()
        in f"{o.name}\n{o.organisation.name if o.organisation else ''}\n{o.description}".lower()
    )
    found = []
    for page in range(1, 5):
        content = client.get("/community/", {"q": word, "page": page}).content.decode()
        found += results(content)
        if f"page={page + 1}" not in content:
            break
    assert sorted(found) == expected and found


def test_the_migration_fills_in_the_search_text_of_rows_made_before_it(db):
    from importlib import import_module

    from django.apps import apps

    from connecting_people.community.services import search_text

    migration = import_module("connecting_people.community.migrations.0002_opportunity_search_text")
    made = OpportunityFactory(
        name="Choir", description="Singing", organisation=OrganisationFactory(name="Hall")
    )
    plain = OpportunityFactory(name="Walk")
    assert made.search_text == ""
    migration.fill_search_text(apps, None)
    made.refresh_from_db()
    plain.refresh_from_db()
    assert made.search_text == search_text(name="Choir", organisation_name="Hall", description="Singing")
    assert plain.search_text == "walk\n\n"
