"""Restricting a person's processing in another app's tests, as the trust's data protection officer does it."""

from connecting_people.accounts.models import Role
from connecting_people.accounts.tests.factories import UserFactory, member
from connecting_people.privacy import services


def restrict_processing(person, ground: str = "accuracy_contested") -> None:
    """Restrict processing of `person` (privacy.services.restriction_add) as a new data protection officer of the
    person's trust."""
    officer = UserFactory()
    member(officer, Role.DATA_PROTECTION, trust=person.trust)
    services.restriction_add(user=officer, person_id=person.pk, ground=ground)
