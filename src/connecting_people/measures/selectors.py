"""Reads of a person's outcome measures: from the actor's scoped administrations (core.scoping), for a person
from a scoped read."""

from dataclasses import dataclass
from datetime import date

from django.db.models import Avg, Case, Count, F, FloatField, Max, QuerySet, Value, When
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, NullIf

from connecting_people.accounts.actor import Actor
from connecting_people.core.errors import NotFoundError
from connecting_people.core.scoping import scoped
from connecting_people.measures import registry
from connecting_people.measures.definitions import Instrument
from connecting_people.measures.models import Administration, HeadlineSpan
from connecting_people.people.models import Person
from connecting_people.people.selectors import counted_in_teams


def administrations_for(*, actor: Actor, person: Person) -> QuerySet[Administration]:
    """A person's administrations, of those the actor may read."""
    return (
        scoped(actor, Administration)
        .filter(person=person)
        .select_related("administered_by")
        .order_by("instrument_id", "administered_on", "id")
    )


def administration_of(*, actor: Actor, person: Person, administration_id) -> Administration:
    """One administration of a person the actor reached; NotFoundError for anything else (another person's
    included)."""
    try:
        return administrations_for(actor=actor, person=person).get(pk=administration_id)
    except (Administration.DoesNotExist, ValueError, TypeError) as error:
        raise NotFoundError("No such administration") from error


def administrations_in_reach(*, actor: Actor) -> QuerySet[Administration]:
    """Every administration the actor may read (those of the people in their reach), to filter and page."""
    return scoped(actor, Administration)


def administration_get(*, actor: Actor, administration_id) -> Administration:
    """One administration the actor may read, with its person; NotFoundError for unknown and out-of-reach ids
    alike."""
    try:
        return scoped(actor, Administration).select_related("person").get(pk=administration_id)
    except (Administration.DoesNotExist, ValueError, TypeError) as error:
        raise NotFoundError("No such outcome measure") from error


def headline_value(instrument: Instrument, administration: Administration) -> float | None:
    """The score a chart and the change columns follow: the total, or a derived score such as the metric."""
    if instrument.headline == "total":
        return administration.total
    if instrument.headline == "band":
        return None
    return administration.derived.get(instrument.headline)


@dataclass
class MeasureHistory:
    instrument: Instrument
    administrations: list[Administration]  # oldest first
    headlines: list[float | None]

    @property
    def latest(self) -> Administration:
        return self.administrations[-1]

    def _scored(self) -> list[float]:
        return [value for value in self.headlines if value is not None]

    @property
    def change_since_first(self) -> float | None:
        scored = self._scored()
        return round(scored[-1] - scored[0], 3) if len(scored) >= 2 else None

    @property
    def change_since_last(self) -> float | None:
        scored = self._scored()
        return round(scored[-1] - scored[-2], 3) if len(scored) >= 2 else None


def measure_histories(*, actor: Actor, person: Person) -> list[MeasureHistory]:
    """One history per instrument the person has completed, in the catalogue's order.

    An instrument's scores are only compared within one definition version and, for EQ-5D-5L, one value set:
    a change of either starts a separate history, so no change is worked out across different scales."""
    by_instrument: dict[tuple, list[Administration]] = {}
    for administration in administrations_for(actor=actor, person=person):
        key = (
            administration.instrument_id,
            administration.instrument_version,
            administration.derived.get("value_set", ""),
        )
        by_instrument.setdefault(key, []).append(administration)
    histories = []
    for (instrument_id, version, _value_set), rows in by_instrument.items():
        instrument = registry.instrument(instrument_id, version)
        histories.append(MeasureHistory(instrument, rows, [headline_value(instrument, row) for row in rows]))
    order = {instrument_id: index for index, instrument_id in enumerate(registry.catalogue().ids())}
    histories.sort(key=lambda history: order.get(history.instrument.id, len(order)))
    return histories


def last_recorded_on(*, person_ids) -> dict[int, dict[str, date]]:
    """For each of these people (ids from a scoped read), the day each outcome measure they have completed was
    last recorded, in one query. Goal attainment, scored at reviews, is left out."""
    found: dict[int, dict[str, date]] = {}
    rows = (
        Administration.objects.filter(person_id__in=list(person_ids))
        .exclude(instrument_id="gas")
        .values("person_id", "instrument_id")
        .annotate(last_on=Max("administered_on"))
        .order_by()
    )
    for row in rows:
        found.setdefault(row["person_id"], {})[row["instrument_id"]] = row["last_on"]
    return found


def headline_changes_by_team(*, team_ids, exclude_instruments=("gas",)):
    """Per team, instrument and version: people with at least two scored administrations, and the means of
    their first and latest headline scores and of the change, over the people `counted_in_teams` (the kept
    `HeadlineSpan` rows, averaged in the database): one query, to iterate."""
    return (
        HeadlineSpan.objects.filter(counted_in_teams(team_ids=team_ids, path="person"), scored__gte=2)
        .exclude(instrument_id__in=exclude_instruments)
        .order_by()
        .values("person__team_id", "instrument_id", "instrument_version")
        .annotate(
            people=Count("id"),
            mean_first=Avg("first_score"),
            mean_latest=Avg("latest_score"),
            mean_change=Avg(F("latest_score") - F("first_score")),
        )
        .order_by("person__team_id", "instrument_id", "instrument_version")
    )


# --- headline spans (kept by `services.refresh_spans`): rows of people given by the service, never shown ---------


def headline_expression() -> Case:
    """`headline_value` as an SQL expression, one branch per loaded instrument version: the total, or the derived
    score the definition names; NULL for a band, a version not loaded and a missing score."""
    branches = []
    for instrument in registry.catalogue():
        if instrument.headline == "band":
            continue
        if instrument.headline == "total":
            score = F("total")
        else:
            # SQLite gives a JSON null as the text 'null' (PostgreSQL as NULL): NULL on both.
            score = Cast(NullIf(KT(f"derived__{instrument.headline}"), Value("null")), FloatField())
        branches.append(When(instrument_id=instrument.id, instrument_version=instrument.version, then=score))
    return Case(*branches, default=Value(None), output_field=FloatField())


def headline_rows(*, person_ids: list[int]) -> QuerySet:
    """(person id, instrument id, version, administered on, headline score) of every scored administration of
    `person_ids`, by person, instrument version and date (`spans.spans_from_rows` reads them in this order): one
    query, to iterate."""
    return (
        Administration.objects.filter(person_id__in=person_ids)
        .annotate(headline=headline_expression())
        .filter(headline__isnull=False)
        .order_by("person_id", "instrument_id", "instrument_version", "administered_on", "id")
        .values_list("person_id", "instrument_id", "instrument_version", "administered_on", "headline")
    )


def people_with_administrations() -> QuerySet:
    """The id of everyone with an administration (each once): for rebuilding every span."""
    return Administration.objects.values_list("person_id", flat=True).distinct()


# --- everything held about one person (the data protection officer's subject access and erasure preview) --------


def administrations_held_about(*, person: Person) -> list[Administration]:
    """Every outcome measure recorded for a person already reached, oldest first, with who recorded it."""
    return list(
        Administration.objects.filter(person=person)
        .select_related("administered_by")
        .order_by("administered_on", "id")
    )


def headline_spans_held_about(*, person: Person) -> list[HeadlineSpan]:
    """The first and latest scores of a person already reached, by instrument."""
    return list(HeadlineSpan.objects.filter(person=person).order_by("instrument_id", "instrument_version"))


def administrations_held_count(*, person: Person) -> int:
    return Administration.objects.filter(person=person).count()
