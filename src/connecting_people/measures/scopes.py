"""Who may read which outcome measures (core.scoping): those of the people the actor may reach."""

from django.db.models import QuerySet

from connecting_people.core.scoping import registered_labels, scope_rule, scoped
from connecting_people.measures.models import Administration, HeadlineSpan
from connecting_people.people.models import Person


def people_in_reach(actor) -> QuerySet[Person]:
    """The people the actor may reach: people's own scope rule (falling back to `people_visible_to` on a
    branch where people has not registered one yet)."""
    if "people.Person" in registered_labels():
        return scoped(actor, Person)
    from connecting_people.people.selectors import people_visible_to

    return people_visible_to(user=actor.user)


@scope_rule("measures.Administration")
def administrations(actor) -> QuerySet[Administration]:
    return Administration.objects.filter(person__in=people_in_reach(actor))


@scope_rule("measures.HeadlineSpan")
def headline_spans(actor) -> QuerySet[HeadlineSpan]:
    return HeadlineSpan.objects.filter(person__in=people_in_reach(actor))
