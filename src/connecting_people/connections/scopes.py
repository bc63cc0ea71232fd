"""Who may read which connections maps (core.scoping): the maps, entries and ties of the people the actor may
reach."""

from django.db.models import QuerySet

from connecting_people.connections.models import MapEntry, MapSnapshot, MapTie
from connecting_people.core.scoping import scope_rule, scoped
from connecting_people.people.models import Person


def people_in_reach(actor) -> QuerySet[Person]:
    """The people the actor may reach (people's own scope rule)."""
    return scoped(actor, Person)


@scope_rule("connections.MapSnapshot")
def snapshots(actor) -> QuerySet[MapSnapshot]:
    return MapSnapshot.objects.filter(person__in=people_in_reach(actor))


@scope_rule("connections.MapEntry")
def entries(actor) -> QuerySet[MapEntry]:
    return MapEntry.objects.filter(snapshot__person__in=people_in_reach(actor))


@scope_rule("connections.MapTie")
def ties(actor) -> QuerySet[MapTie]:
    return MapTie.objects.filter(snapshot__person__in=people_in_reach(actor))
