"""Every read of a person's record goes through here, always given the actor, always scoped: reads start from
`scoped(actor, Person)` (the rule is in people/scopes.py).

A practitioner reaches the people allocated to them, plus a team's caseload under current cover;
a team lead reaches their teams' people. A data protection officer reaches their trust's people through
`people_for_data_protection`, for the data-protection pages only. Nobody else reaches identifiable records.
Out of scope is 404. People whose processing is restricted stay readable but are left out of caseload lists and
of every count (`processing_allowed`, the one definition the other apps filter with too).
"""

from collections.abc import Iterable
from datetime import date

import rules
from django.db.models import Case, DateField, F, IntegerField, Prefetch, Q, QuerySet, Value, When
from django.utils import timezone

from connecting_people.accounts.actor import Actor, as_actor
from connecting_people.accounts.models import Team, Trust
from connecting_people.audit.models import AuditEvent
from connecting_people.audit.services import audit_record_view
from connecting_people.core.errors import NotFoundError
from connecting_people.core.scoping import scoped, takes_actor
from connecting_people.people.due import NextStep, next_step
from connecting_people.people.models import Person, Tag


@takes_actor
def people_visible_to(*, actor: Actor) -> QuerySet[Person]:
    """All the people this actor may read and write. Empty for roles that do not work with records."""
    return scoped(as_actor(actor), Person)


def processing_allowed(path: str = "") -> Q:
    """People whose records may be used for more than keeping and reading them: those whose processing is not
    restricted (UK GDPR Article 18; ADR 0012). `path` reaches the person from another model ("person",
    "link__person"). Caseload lists filter with it, and so do every count, dashboard and research output, so a
    restricted person is listed in none of them and counted in none of them."""
    prefix = f"{path}__" if path else ""
    return Q(**{f"{prefix}processing_restricted": False})


@takes_actor
def person_get(*, actor: Actor, person_id: int, shown_on: str | None = None) -> Person:
    """One person in scope, with team and worker; NotFoundError for unknown and out-of-scope ids alike. With
    `shown_on` (the page's name), the read is a page showing the record, and is audited (`person_shown`)."""
    actor = as_actor(actor)
    try:
        person = scoped(actor, Person).select_related("team", "trust", "allocated_worker").get(pk=person_id)
    except (Person.DoesNotExist, ValueError, TypeError) as error:
        raise NotFoundError("No such person", params={"person_id": person_id}) from error
    if shown_on is not None:
        person_shown(actor=actor, person=person, page=shown_on)
    return person


def person_shown(*, actor: Actor, person: Person, page: str) -> None:
    """Audit that a page showed this person's record (which page, not what was on it). In a request the event is
    written once the page is shown: none for a request that ends in "Page not found" or an error
    (audit.middleware.AuditViewsMiddleware)."""
    audit_record_view(
        actor=actor,
        action="person.viewed",
        object_type="person",
        object_id=person.pk,
        person_id=person.pk,
        summary={"page": page},
    )


@takes_actor
def people_for_data_protection(*, actor: Actor) -> QuerySet[Person]:
    """Every person of the trusts where the actor is data protection officer (empty for anyone else). Only the
    data-protection pages and commands (privacy app) read through this: the one reach to people besides
    `scoped(actor, Person)`, for that purpose only."""
    trust_ids = as_actor(actor).scope.data_protection_trust_ids
    if not trust_ids:
        return Person.objects.none()
    return Person.objects.filter(trust_id__in=trust_ids)


def with_tags(people: QuerySet[Person]) -> QuerySet[Person]:
    """The people with their tags fetched in one more query, by name (for lists that show them)."""
    return people.prefetch_related(Prefetch("tags", queryset=Tag.objects.order_by("name")))


def person_tags(*, person: Person) -> dict[str, list[str]]:
    tags: dict[str, list[str]] = {Tag.Kind.STRENGTH: [], Tag.Kind.INTEREST: []}
    for kind, name in person.tags.order_by("name").values_list("kind", "name"):
        tags[kind].append(name)
    return tags


@takes_actor
def caseload_for(*, actor: Actor, include_closed: bool = False) -> QuerySet[Person]:
    """The people allocated to this practitioner (not those whose processing is restricted)."""
    actor = as_actor(actor)
    scope = actor.scope
    people = scoped(actor, Person).filter(
        processing_allowed(),
        allocated_worker_id=actor.user_id,
        team_id__in=scope.practitioner_team_ids | scope.lead_team_ids,
    )
    if not include_closed:
        people = people.filter(status=Person.Status.OPEN)
    return people.select_related("team")


@takes_actor
def team_caseload(
    *, actor: Actor, team_id: int | None = None, include_closed: bool = False
) -> QuerySet[Person]:
    """The whole caseload of the teams the actor leads or covers (one team when team_id is given), leaving out
    people whose processing is restricted."""
    actor = as_actor(actor)
    team_ids = actor.scope.team_wide_ids
    if team_id is not None:
        if team_id not in team_ids:
            raise NotFoundError("No such team", params={"team_id": team_id})
        team_ids = frozenset({team_id})
    people = scoped(actor, Person).filter(processing_allowed(), team_id__in=team_ids)
    if not include_closed:
        people = people.filter(status=Person.Status.OPEN)
    # Workers are prefetched, not joined: a team has a handful, and joining the staff table made PostgreSQL
    # hash the whole of it (a sequential scan growing with every trust's staff; see docs/performance.md).
    return people.select_related("team").prefetch_related("allocated_worker")


def most_urgent_first(people: QuerySet[Person], today: date | None = None) -> QuerySet[Person]:
    """Order people in the database as `due.next_step` ranks them (its sort_key), then by name, so that a long
    caseload can be paged by the database rather than loaded whole. A test keeps the two rankings in step."""
    today = today or timezone.localdate()
    urgency = Case(
        When(status=Person.Status.CLOSED, then=Value(4)),
        When(practice_consent__isnull=True, then=Value(1)),
        When(practice_consent=False, then=Value(3)),
        When(next_review_on__isnull=True, then=Value(2)),
        When(next_review_on__lt=today, then=Value(0)),
        default=Value(2),
        output_field=IntegerField(),
    )
    # Only an overdue or planned review orders by its date; every other group orders by name alone.
    review_date = Case(
        When(urgency__in=[0, 2], then=F("next_review_on")), default=None, output_field=DateField()
    )
    return (
        people.annotate(urgency=urgency)
        .annotate(review_date=review_date)
        .order_by("urgency", F("review_date").asc(nulls_last=True), "family_name", "given_name", "id")
    )


def with_next_steps(people, today: date | None = None) -> list[tuple[Person, NextStep]]:
    """Pair each person with what is due next, most urgent first."""
    today = today or timezone.localdate()
    rows = [
        (
            person,
            next_step(
                status=person.status,
                practice_consent=person.practice_consent,
                next_review_on=person.next_review_on,
                today=today,
            ),
        )
        for person in people
    ]
    rows.sort(key=lambda row: (row[1].sort_key, row[0].family_name, row[0].given_name))
    return rows


@takes_actor
def possible_duplicates(
    *, actor: Actor, given_name: str, family_name: str, date_of_birth: date
) -> list[Person]:
    """Records this user may see with the same date of birth and the same family name and given (or preferred)
    name, whatever the case: someone about to be added twice. Open cases first. Only records in the user's own
    scope: a match anywhere else is never mentioned, so that adding a person cannot be used to find out whether
    someone is known to another team or trust (no existence leak)."""
    given, family = given_name.strip(), family_name.strip()
    if not (given and family and date_of_birth):
        return []
    return list(
        scoped(as_actor(actor), Person)
        .filter(date_of_birth=date_of_birth, family_name__iexact=family)
        .filter(Q(given_name__iexact=given) | Q(preferred_name__iexact=given))
        .select_related("team", "allocated_worker")
        .order_by("-status", "family_name", "given_name", "pk")[:10]
    )


def person_exists(*, person_id: int, trust_ids: Iterable[int] | None = None) -> bool:
    """Whether any record has this id, in one of `trust_ids` when given (for an administrator's audit look-up;
    reveals nothing else)."""
    people = Person.objects.filter(pk=person_id)
    return (people if trust_ids is None else people.filter(trust_id__in=trust_ids)).exists()


def nhs_number_in_use(*, trust: Trust, nhs_number: str, exclude_person_id: int | None = None) -> bool:
    """Whether another record in the trust already has this NHS number (a uniqueness check, not a read)."""
    others = Person.objects.filter(trust=trust, nhs_number=nhs_number)
    if exclude_person_id:
        others = others.exclude(pk=exclude_person_id)
    return others.exists()


@takes_actor
def team_case_counts(*, actor: Actor) -> list[dict]:
    """Open and closed case counts per team in the implementation lead's trusts: aggregates only, with counts
    from 1 to the small-number threshold hidden (None) so that no one can be picked out, and people whose
    processing is restricted not counted."""
    from django.conf import settings
    from django.db.models import Count

    from connecting_people.people.presenters import suppress_small_numbers

    counted = processing_allowed("people")
    rows = list(
        Team.objects.filter(trust_id__in=as_actor(actor).scope.implementation_trust_ids)
        .annotate(
            open_cases=Count("people", filter=counted & Q(people__status=Person.Status.OPEN)),
            closed_cases=Count("people", filter=counted & Q(people__status=Person.Status.CLOSED)),
            practice_consented=Count(
                "people", filter=counted & Q(people__status="open", people__practice_consent=True)
            ),
        )
        .values("id", "name", "trust__name", "open_cases", "closed_cases", "practice_consented")
        .order_by("trust__name", "name")
    )
    return suppress_small_numbers(
        rows,
        ["open_cases", "closed_cases", "practice_consented"],
        settings.CONNECTING_PEOPLE_SMALL_NUMBER_THRESHOLD,
    )


@takes_actor
def audit_events_for_person(*, actor: Actor, person_id: int) -> QuerySet[AuditEvent]:
    """Events that concern one person, newest first, from `scoped(actor, AuditEvent)` (people/scopes.py). A global
    administrator sees any person's trail (it holds no clinical free text), an administrator limited to trusts
    only the trails of people recorded in those trusts; a team lead sees the trail of people in their teams;
    anyone else gets NotFoundError, as for an unknown record."""
    actor = as_actor(actor)
    events = scoped(actor, AuditEvent).filter(person_id=person_id).order_by("-id")
    trust_ids = actor.scope.administrator_trust_ids
    if trust_ids is None:
        if not person_exists(person_id=person_id) and not events.exists():
            raise NotFoundError("No such record", params={"person_id": person_id})
        return events
    # A trust's administrator: the record must exist in their trust (a removed record's trust is unknown).
    if trust_ids and person_exists(person_id=person_id, trust_ids=trust_ids):
        return events
    # person_get answers NotFoundError for anyone who cannot reach the record at all.
    person = person_get(actor=actor, person_id=person_id)
    if not rules.test_rule("view_person_audit", actor.user, person):
        raise NotFoundError("No such record", params={"person_id": person_id})
    return events


def names_and_dates_of_birth(*, person_ids) -> QuerySet:
    """(given name, family name, preferred name, date of birth) of `person_ids` (a list or a subquery of ids),
    for a caller that reached them through its own scope and must know the identifiers it is keeping out of its
    output (the study export's identifier scanner): one query, to iterate."""
    return Person.objects.filter(pk__in=person_ids).values_list(
        "given_name", "family_name", "preferred_name", "date_of_birth"
    )


def counted_in_teams(*, team_ids, path: str = "") -> Q:
    """The people that counts over whole teams include (the implementation dashboards, which show no one): those
    of `team_ids` whose processing is not restricted. `path` reaches the person from another model ("person",
    "link__person"). Filtering by team (a join), not by a list of people's ids, keeps a trust's counts cheap."""
    prefix = f"{path}__" if path else ""
    return Q(**{f"{prefix}team_id__in": list(team_ids)}) & processing_allowed(path)


def people_counted_in_teams(*, team_ids) -> QuerySet[Person]:
    """The people `counted_in_teams`: for aggregates only, never to list or show."""
    return Person.objects.filter(counted_in_teams(team_ids=team_ids))


def team_of_people(*, person_ids) -> dict[int, int]:
    """{person id: team id} for those of `person_ids` that exist (a loader checking the people it was given to
    link, such as the simulated study's): one query."""
    return dict(Person.objects.filter(pk__in=list(person_ids)).values_list("pk", "team_id"))


def the_person(*, person: Person) -> QuerySet[Person]:
    """A person the caller already reached through a scoped read, as a one-row queryset for it to annotate in
    one query (the plan's prompts for one person). Runs no query itself."""
    return Person.objects.filter(pk=person.pk)
