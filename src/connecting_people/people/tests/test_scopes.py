"""The scope rules of people (people/scopes.py): who reaches which records, tags and audit trails."""

from connecting_people.accounts.actor import actor_for
from connecting_people.accounts.models import Role
from connecting_people.accounts.tests.factories import TeamFactory, UserFactory, member
from connecting_people.audit.models import AuditEvent
from connecting_people.audit.services import audit_record
from connecting_people.core.scoping import scoped
from connecting_people.people.models import Person, Tag
from connecting_people.people.tests.factories import PersonFactory


def _event_about(person):
    audit_record(
        actor=None, action="test.event", object_type="person", object_id=person.pk, person_id=person.pk
    )


def _ids(queryset):
    return set(queryset.values_list("pk", flat=True))


def test_records_reach_as_before(org):
    mine = PersonFactory(team=org.team, allocated_worker=org.practitioner)
    colleagues = PersonFactory(team=org.team, allocated_worker=org.colleague)
    other_team = PersonFactory(team=org.other_team)
    assert _ids(scoped(actor_for(org.practitioner), Person)) == {mine.pk}
    assert _ids(scoped(actor_for(org.lead), Person)) == {mine.pk, colleagues.pk}
    assert _ids(scoped(actor_for(org.other_lead), Person)) == {other_team.pk}
    for nobody in (org.implementation_lead, org.researcher, org.administrator, org.no_role, None):
        assert _ids(scoped(actor_for(nobody), Person)) == set()


def test_tags_are_those_of_the_people_in_reach(org):
    mine = PersonFactory(team=org.team, allocated_worker=org.practitioner)
    theirs = PersonFactory(team=org.other_team)
    mine.tags.add(Tag.objects.create(kind=Tag.Kind.INTEREST, name="gardening"))
    theirs.tags.add(Tag.objects.create(kind=Tag.Kind.INTEREST, name="chess"))
    assert set(scoped(actor_for(org.practitioner), Tag).values_list("name", flat=True)) == {"gardening"}


def test_audit_trails_follow_reach_to_the_person(org):
    in_team = PersonFactory(team=org.team)
    elsewhere = PersonFactory(team=TeamFactory())
    for person in (in_team, elsewhere):
        _event_about(person)
    trust_admin = UserFactory()
    member(trust_admin, Role.ADMINISTRATOR, trust=org.trust)

    def about(user):
        return set(scoped(actor_for(user), AuditEvent).values_list("person_id", flat=True))

    assert about(org.administrator) == {in_team.pk, elsewhere.pk}  # a global administrator
    assert about(trust_admin) == {in_team.pk}
    assert about(org.lead) == {in_team.pk}
    assert about(org.practitioner) == set() and about(org.other_lead) == set()
