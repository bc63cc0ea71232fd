"""Caseload, team caseload and person overview pages cost the same number of queries whatever the data size.

Each test renders a page, grows the data tenfold (more people on the caseload, more tags, other teams' people,
closed and unallocated cases, a second worker) and renders it again: the query count must not move. The
latency side of this is measured by `make bench` (docs/performance.md).
"""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from connecting_people.people.models import Person, Tag
from connecting_people.people.tests.factories import PersonFactory

SMALL, LARGE = 3, 30

STRENGTHS = ["listening", "cooking", "humour", "patience", "art", "music"]
INTERESTS = ["walking", "football", "reading", "gardening", "films", "crafts"]


def _tags(count: int) -> list[Tag]:
    names = [(Tag.Kind.STRENGTH, n) for n in STRENGTHS] + [(Tag.Kind.INTEREST, n) for n in INTERESTS]
    return [Tag.objects.get_or_create(kind=kind, name=name)[0] for kind, name in names[:count]]


def _add_people(org, count: int, *, start: int = 0) -> list[Person]:
    """`count` people in the practitioner's team, with the variety the pages branch on: mostly allocated to
    the practitioner, some to a colleague or nobody, some closed, some with a preferred name, consent or a
    review date, and a few tags each; plus one person in another team, who must neither show nor cost."""
    today = date.today()
    people = []
    for i in range(start, start + count):
        worker = [org.practitioner, org.practitioner, org.colleague, None][i % 4]
        closed = i % 5 == 4
        person = PersonFactory(
            team=org.team,
            allocated_worker=worker,
            preferred_name="Sam" if i % 3 == 0 else "",
            status=Person.Status.CLOSED if closed else Person.Status.OPEN,
            closed_on=today if closed else None,
            closure_reason="goals_met" if closed else "",
            practice_consent=[None, True, False][i % 3],
            practice_consent_on=today if i % 3 else None,
            next_review_on=today + timedelta(days=i - 10) if i % 2 else None,
        )
        person.tags.set(_tags(i % 5))
        people.append(person)
    PersonFactory(team=org.other_team)
    return people


def _queries(client, url: str) -> tuple[int, list[str]]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured.captured_queries), [query["sql"] for query in captured.captured_queries]


def _assert_same_count(small: tuple[int, list[str]], large: tuple[int, list[str]]) -> None:
    if small[0] != large[0]:
        listing = "\n".join(large[1])
        pytest.fail(f"{small[0]} queries with {SMALL} people but {large[0]} with {LARGE}:\n{listing}")


@pytest.mark.django_db
class TestConstantQueryCount:
    def test_practitioners_caseload(self, client, org):
        _add_people(org, SMALL)
        client.force_login(org.practitioner)
        client.get("/people/")  # the first request of a session stamps its start time
        small = _queries(client, "/people/")

        _add_people(org, LARGE - SMALL, start=SMALL)
        large = _queries(client, "/people/")

        _assert_same_count(small, large)
        mine = Person.objects.filter(allocated_worker=org.practitioner, status=Person.Status.OPEN)
        assert mine.count() >= 10  # the caseload on the page really did grow

    @pytest.mark.parametrize("query_string", ["", "?closed=1", "?team={team}"])
    def test_team_caseload(self, client, org, query_string):
        url = "/people/team/" + query_string.format(team=org.team.pk)
        _add_people(org, SMALL)
        client.force_login(org.lead)
        client.get(url)
        small = _queries(client, url)

        _add_people(org, LARGE - SMALL, start=SMALL)
        large = _queries(client, url)

        _assert_same_count(small, large)

    def test_team_caseload_over_several_pages(self, client, org):
        """Past the page size (100) the page still costs the same as with a handful of people."""
        _add_people(org, SMALL)
        client.force_login(org.lead)
        client.get("/people/team/")
        small = _queries(client, "/people/team/?closed=1")

        Person.objects.bulk_create(
            [
                PersonFactory.build(team=org.team, allocated_worker=org.practitioner, nhs_number=None)
                for _ in range(150)
            ]
        )
        assert _queries(client, "/people/team/?closed=1&page=2")[0] == small[0]
        _assert_same_count(small, _queries(client, "/people/team/?closed=1"))

    @pytest.mark.parametrize("user", ["practitioner", "lead"])
    def test_person_overview(self, client, org, user):
        people = _add_people(org, SMALL)
        client.force_login(getattr(org, user))
        few_tags = people[1]  # allocated to the practitioner, one tag
        assert few_tags.tags.count() == 1
        client.get(f"/people/{few_tags.pk}/")
        small = _queries(client, f"/people/{few_tags.pk}/")

        more = _add_people(org, LARGE - SMALL, start=SMALL)
        many_tags = next(p for p in more if p.allocated_worker == org.practitioner and p.tags.count() >= 3)
        large = _queries(client, f"/people/{many_tags.pk}/")

        _assert_same_count(small, large)
