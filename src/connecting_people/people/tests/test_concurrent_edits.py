"""Allocation and reopening refuse a stale page, as the record's edit and close pages already do: the first
save is kept, the second is refused with a message and changes nothing."""

from datetime import date

import pytest

from connecting_people.accounts.models import Role
from connecting_people.accounts.tests.factories import UserFactory, member
from connecting_people.audit.models import AuditEvent
from connecting_people.core.tests.editing import hidden_fields, opened
from connecting_people.people import services
from connecting_people.people.models import Person
from connecting_people.people.tests.factories import PersonFactory

REFUSED = "Someone else saved changes to this record since you opened it"


@pytest.fixture
def person(org):
    return PersonFactory(team=org.team, allocated_worker=org.practitioner)


@pytest.fixture
def second_lead(org):
    user = UserFactory(username="second_lead")
    member(user, Role.TEAM_LEAD, team=org.team)
    return user


def state():
    return list(Person.objects.values()), AuditEvent.objects.exclude(action="person.viewed").count()


def test_second_of_two_allocations_is_refused_and_the_first_kept(org, person, second_lead):
    url = f"/people/{person.pk}/allocate/"
    first, first_form = opened(org.lead, url)
    second, second_form = opened(second_lead, url)
    assert first.post(url, {**first_form, "worker": org.colleague.pk}).status_code == 302
    before = state()
    response = second.post(url, {**second_form, "worker": org.practitioner.pk})
    assert response.status_code == 302
    assert REFUSED in second.get(response["Location"]).content.decode()
    assert state() == before
    person.refresh_from_db()
    assert person.allocated_worker == org.colleague


def test_reopening_from_a_page_opened_before_someone_closed_it_again_is_refused(org, person):
    closed = services.person_close(
        user=org.lead, person_id=person.pk, expected_version=1, closed_on=date(2026, 3, 1), reason="moved_on"
    )
    url = f"/people/{person.pk}/"
    stale, _ = opened(org.practitioner, url)
    stale_button = hidden_fields(stale.get(url).content.decode().split("/reopen/")[1].split("</form>")[0])
    services.person_reopen(user=org.lead, person_id=person.pk, expected_version=closed.version)
    services.person_close(
        user=org.lead,
        person_id=person.pk,
        expected_version=closed.version + 1,
        closed_on=date(2026, 4, 1),
        reason="died",
    )
    before = state()
    response = stale.post(f"/people/{person.pk}/reopen/", stale_button)
    assert REFUSED in stale.get(response["Location"]).content.decode()
    assert state() == before
    person.refresh_from_db()
    assert (person.status, person.closure_reason) == ("closed", "died")
