"""Who may read which outcome measures (core.scoping): those of the people the actor may reach."""

from django.db.models import QuerySet

from connecting_people.core.scoping import scope_rule, scoped
from connecting_people.measures.models import Administration, HeadlineSpan
from connecting_people.people.models import Person


def people_in_reach(actor) -> QuerySet[Person]:
    """The people the actor may reach (people's own scope rule)."""
    return scoped(actor, Person)


@scope_rule("measures.Administration")
def administrations(actor) -> QuerySet[Administration]:
    return Administration.objects.filter(person__in=people_in_reach(actor))


@scope_rule("measures.HeadlineSpan")
def headline_spans(actor) -> QuerySet[HeadlineSpan]:
    return HeadlineSpan.objects.filter(person__in=people_in_reach(actor))
