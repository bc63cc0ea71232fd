from connecting_people.people.selectors import people_visible_to
from connecting_people.people.tests.factories import PersonFactory


def test_practitioner_sees_only_their_own_people(org):
    mine = PersonFactory(team=org.team, allocated_worker=org.practitioner)
    PersonFactory(team=org.team, allocated_worker=org.colleague)
    assert list(people_visible_to(user=org.practitioner)) == [mine]
