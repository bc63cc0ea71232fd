"""Reads of the community directory: search, one opportunity, matches for a person's interests, the export.

The directory is public information, not personal data, so these take no acting user: who may use the pages
is decided by community.rules before a view calls them.
"""

import uuid
from dataclasses import dataclass
from datetime import time

from django.db.models import (
    Avg,
    Case,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    FloatField,
    IntegerField,
    Min,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Value,
    When,
)

from connecting_people.community import geo, hsds
from connecting_people.community.models import Interest, Opportunity, Organisation, Session
from connecting_people.core.errors import NotFoundError

# Parts of the day for searching by time: a session belongs to a part when it overlaps it.
TIMES_OF_DAY = {
    "morning": ("Morning (before midday)", time(0, 0), time(12, 0)),
    "afternoon": ("Afternoon (midday to 5pm)", time(12, 0), time(17, 0)),
    "evening": ("Evening (after 5pm)", time(17, 0), None),
}
COST_FILTERS = {
    "free": ("Free", [Opportunity.Cost.FREE]),
    "low": ("Free or low cost", [Opportunity.Cost.FREE, Opportunity.Cost.LOW]),
}

# Namespace of the ids an export gives records kept by hand (and imported ids two sources share); fixed forever.
EXPORT_NAMESPACE = uuid.UUID("a3f1c2d4-7b8e-5f60-9a1b-2c3d4e5f6071")


@dataclass(frozen=True)
class DirectorySearch:
    """What a search asks for; every part is optional. `weekday` 0 = Monday; `time_of_day` a key of
    TIMES_OF_DAY; `cost` a key of COST_FILTERS; `near` with `within_miles` limits and orders by distance."""

    text: str = ""
    interest: str = ""
    category: str = ""
    weekday: int | None = None
    time_of_day: str = ""
    cost: str = ""
    near: geo.Point | None = None
    within_miles: float | None = None


def _with_details(opportunities: QuerySet[Opportunity]) -> QuerySet[Opportunity]:
    """The organisation in the same query; interests and sessions in one more query each, whatever the count."""
    return opportunities.select_related("organisation").prefetch_related(
        Prefetch("interests", queryset=Interest.objects.order_by("name")), "sessions"
    )


def _session_condition(search: DirectorySearch) -> Q | None:
    condition = Q()
    if search.weekday is not None:
        condition &= Q(weekday=search.weekday)
    if search.time_of_day in TIMES_OF_DAY:
        _label, start, end = TIMES_OF_DAY[search.time_of_day]
        # Overlaps [start, end): starts before the end and finishes after the start (or, with no finishing
        # time, starts within the part of the day).
        overlaps = Q(ends_at__gt=start) | Q(ends_at__isnull=True, starts_at__gte=start)
        condition &= Q(starts_at__isnull=False) & overlaps
        if end is not None:
            condition &= Q(starts_at__lt=end)
    return condition if condition.children else None


def directory_search(*, search: DirectorySearch) -> QuerySet[Opportunity]:
    """Active opportunities matching every part of `search`, nearest first when a place is given, else by
    name. Lazy: page it (the page then costs three queries, whatever its length)."""
    opportunities = Opportunity.objects.filter(active=True)
    for word in search.text.lower().split():
        # search_text is kept by the services; a row made some other way (without it) is searched the slow way.
        opportunities = opportunities.filter(
            Q(search_text__contains=word)
            | Q(search_text="")
            & (
                Q(name__icontains=word)
                | Q(description__icontains=word)
                | Q(organisation__name__icontains=word)
            )
        )
    if search.interest:
        opportunities = opportunities.filter(
            Exists(Interest.objects.filter(opportunity=OuterRef("pk"), name=search.interest.strip().lower()))
        )
    if search.category:
        opportunities = opportunities.filter(category=search.category)
    if search.cost in COST_FILTERS:
        opportunities = opportunities.filter(cost__in=COST_FILTERS[search.cost][1])
    sessions = _session_condition(search)
    if sessions is not None:
        opportunities = opportunities.filter(
            Exists(Session.objects.filter(sessions, opportunity=OuterRef("pk")))
        )
    order = ["name", "id"]
    if search.near is not None and search.within_miles is not None:
        centre, box = search.near, geo.bounding_box(search.near, search.within_miles)
        scale = geo.longitude_scale(centre.latitude)
        # geo.planar_distance_squared, in SQL: plain arithmetic, the same on SQLite and PostgreSQL.
        distance = ExpressionWrapper(
            (F("latitude") - centre.latitude) * (F("latitude") - centre.latitude)
            + (F("longitude") - centre.longitude) * (F("longitude") - centre.longitude) * (scale * scale),
            output_field=FloatField(),
        )
        opportunities = (
            opportunities.filter(
                latitude__gte=box.min_latitude,
                latitude__lte=box.max_latitude,
                longitude__gte=box.min_longitude,
                longitude__lte=box.max_longitude,
            )
            .annotate(distance_squared=distance)
            .filter(distance_squared__lte=geo.planar_limit(search.within_miles))
        )
        order = ["distance_squared", "name", "id"]
    return _with_details(opportunities.order_by(*order))


@dataclass(frozen=True)
class Place:
    """Where a distance search measures from, and how we found it, in words for the page."""

    point: geo.Point
    found_as: str


def place_for(*, text: str) -> Place | None:
    """Coordinates typed as "53.958, -1.080"; else a full postcode some opportunity in the directory has
    (the middle of those with coordinates); else an outward code ("LS1") the same way. None when none fits:
    we have no postcode look-up service."""
    point = geo.parse_coordinates(text)
    if point is not None:
        return Place(point, f"{point.latitude:g}, {point.longitude:g}")
    postcode = geo.normalised_postcode(text)
    outward = geo.outward_code(text)
    placed = Opportunity.objects.filter(latitude__isnull=False, longitude__isnull=False)
    for filter_, found_as in (
        ({"postcode": postcode}, f"postcode {postcode}"),
        ({"postcode__startswith": f"{outward} "}, f"the middle of the {outward} postcode district"),
    ):
        if not (postcode if "postcode" in filter_ else outward):
            continue
        middle = placed.filter(**filter_).aggregate(
            latitude=Avg("latitude"), longitude=Avg("longitude"), count=Count("id")
        )
        if middle["count"]:
            return Place(geo.Point(middle["latitude"], middle["longitude"]), found_as)
    return None


def interest_names() -> list[str]:
    """Every interest some opportunity in the directory suits, in alphabetical order (for the search form)."""
    return list(Interest.objects.order_by("name").values_list("name", flat=True).distinct())


def opportunity_get(*, opportunity_id: int) -> Opportunity:
    """One opportunity, running or not, with its organisation, interests and sessions; NotFoundError when
    missing."""
    opportunity = _with_details(Opportunity.objects.filter(pk=opportunity_id)).first()
    if opportunity is None:
        raise NotFoundError("No such opportunity", params={"opportunity_id": opportunity_id})
    return opportunity


# Equally matched suggestions come free first, then low cost, then cost not known, then paid.
COST_ORDER = (Opportunity.Cost.FREE, Opportunity.Cost.LOW, Opportunity.Cost.UNKNOWN, Opportunity.Cost.PAID)


def opportunities_for_interests(
    *, interests: list[str], limit: int = 10, near: geo.Point | None = None
) -> list[tuple[Opportunity, list[str]]]:
    """Running opportunities that share at least one interest with `interests` (any case), each with the names
    of the interests it shares, sorted. Those sharing most come first; among equals, free before low cost
    before not known before paid, then nearest to `near` (when given; those without a place last), then by
    name. With `near`, each opportunity has `distance_miles` (None without coordinates). Three queries."""
    names = sorted({name.strip().lower() for name in interests if name and name.strip()})
    if not names or limit <= 0:
        return []
    cost_rank = Case(
        *(When(opportunity__cost=cost, then=Value(rank)) for rank, cost in enumerate(COST_ORDER)),
        default=Value(len(COST_ORDER)),
        output_field=IntegerField(),
    )
    order = ["-matches", "cost_rank"]
    ranked = (
        Interest.objects.filter(name__in=names, opportunity__active=True)
        .values("opportunity_id")
        .annotate(matches=Count("id"), cost_rank=Min(cost_rank))
    )
    if near is not None:
        scale = geo.longitude_scale(near.latitude)
        # geo.planar_distance_squared in SQL, as the directory search orders by it; NULL without coordinates.
        ranked = ranked.annotate(
            distance_squared=Min(
                (F("opportunity__latitude") - near.latitude) * (F("opportunity__latitude") - near.latitude)
                + (F("opportunity__longitude") - near.longitude)
                * (F("opportunity__longitude") - near.longitude)
                * (scale * scale),
                output_field=FloatField(),
            )
        )
        order.append(F("distance_squared").asc(nulls_last=True))
    ranked_ids = list(
        ranked.order_by(*order, "opportunity__name", "opportunity_id").values_list(
            "opportunity_id", flat=True
        )[:limit]
    )
    by_id = Opportunity.objects.select_related("organisation").in_bulk(ranked_ids)
    matched: dict[int, list[str]] = {pk: [] for pk in ranked_ids}
    for opportunity_id, name in (
        Interest.objects.filter(opportunity_id__in=ranked_ids, name__in=names)
        .order_by("name")
        .values_list("opportunity_id", "name")
    ):
        matched[opportunity_id].append(name)
    found = [(by_id[pk], matched[pk]) for pk in ranked_ids]
    if near is not None:
        for opportunity, _matched in found:
            opportunity.distance_miles = (
                geo.haversine_miles(near, geo.Point(opportunity.latitude, opportunity.longitude))
                if opportunity.latitude is not None and opportunity.longitude is not None
                else None
            )
    return found


def _export_id(record_source: str, source_id: str, kind: str, pk: int, shared: set[str]) -> str:
    """An imported record keeps its source id, unless another exported record has the same one; a record kept
    by hand gets an id made from its own (stable, so two exports agree)."""
    if record_source and source_id and source_id not in shared:
        return source_id
    seed = f"{record_source}\n{source_id}" if record_source and source_id else f"{kind}:{pk}"
    return str(uuid.uuid5(EXPORT_NAMESPACE, seed))


def _repeated(values: list[str]) -> set[str]:
    seen: set[str] = set()
    repeated: set[str] = set()
    for value in values:
        (repeated if value in seen else seen).add(value)
    return repeated


def directory_for_export() -> hsds.Directory:
    """The whole directory (running or not) as records for hsds.service_list, with the ids an export gives."""
    organisations = list(
        Organisation.objects.order_by("id").values("id", "source", "source_id", *_ORG_FIELDS)
    )
    shared = _repeated([row["source_id"] for row in organisations if row["source"] and row["source_id"]])
    org_ids = {
        row["id"]: _export_id(row["source"], row["source_id"], "organisation", row["id"], shared)
        for row in organisations
    }
    opportunities = list(_with_details(Opportunity.objects.order_by("id")))
    shared = _repeated([o.source_id for o in opportunities if o.source and o.source_id])
    return hsds.Directory(
        organisations=tuple(
            hsds.OrganisationRecord(source_id=org_ids[row["id"]], **{name: row[name] for name in _ORG_FIELDS})
            for row in organisations
        ),
        opportunities=tuple(
            record_of(
                opportunity,
                source_id=_export_id(
                    opportunity.source, opportunity.source_id, "opportunity", opportunity.pk, shared
                ),
                organisation_id=org_ids.get(opportunity.organisation_id),
            )
            for opportunity in opportunities
        ),
    )


_ORG_FIELDS = ("name", "description", "website", "email", "phone")


def record_of(
    opportunity: Opportunity, *, source_id: str, organisation_id: str | None
) -> hsds.OpportunityRecord:
    """An opportunity (with interests and sessions prefetched) as a plain record."""
    return hsds.OpportunityRecord(
        source_id=source_id,
        organisation_id=organisation_id,
        interests=tuple(sorted(interest.name for interest in opportunity.interests.all())),
        sessions=hsds.sorted_sessions(
            hsds.SessionRecord(s.weekday, s.starts_at, s.ends_at) for s in opportunity.sessions.all()
        ),
        **{name: getattr(opportunity, name) for name in hsds.OpportunityRecord.COLUMNS},
    )
