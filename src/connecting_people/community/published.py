"""Public reads of the directory as Open Referral publishes it (the /openreferral/ API): running opportunities
only, as plain records with the ids an export gives them (selectors._export_id, then hsds.export.published_id),
so the API and the `community export` file agree. No acting user: the directory is public, and nothing here is
personal data (contact names and emails are the organisations' public contacts).

Each list costs the same queries whatever the page's length: a count, the page (organisation joined), its
interests and sessions, and two to find ids two sources share. Finding one record by its published id reads
every opportunity's (pk, source, source_id) once: one query, linear in the directory's size (docs/community.md).
"""

from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from connecting_people.community import hsds, selectors
from connecting_people.community.hsds import export, vocabulary
from connecting_people.community.models import Interest, Opportunity, Organisation

OWN_TAXONOMIES = (
    vocabulary.OWN_CATEGORY_TAXONOMY,
    vocabulary.OWN_INTEREST_TAXONOMY,
    vocabulary.OWN_COST_TAXONOMY,
)


class NotFound(LookupError):
    """No running opportunity (or organisation, or service at a location) is published under that id."""


@dataclass(frozen=True)
class ServiceFilter:
    """What a list of services asks for; every part optional. `term` is (taxonomy, code) of one of our terms;
    `taxonomy` one of OWN_TAXONOMIES; `organisation_pk` an organisation's row; `weekday` 0 = Monday."""

    text: str = ""
    term: tuple[str, str] | None = None
    taxonomy: str = ""
    organisation_pk: int | None = None
    weekday: int | None = None
    placed_only: bool = False  # only those with a place (the service_at_locations list)


@dataclass(frozen=True)
class Page:
    """One page of records: `organisations` by the ids the records name."""

    records: list[hsds.OpportunityRecord]
    organisations: dict[str, hsds.OrganisationRecord]
    total: int


def _running() -> QuerySet[Opportunity]:
    return Opportunity.objects.filter(active=True)


def _has_place() -> Q:
    """The rows export._location gives a service_at_location: an address, postcode, coordinates or access."""
    return ~Q(address="") | ~Q(postcode="") | Q(latitude__isnull=False) | ~Q(accessibility="")


def _shared(model, source_ids) -> set[str]:
    """Of `source_ids`, those two records of `model` from different sources share (one query)."""
    ids = [value for value in set(source_ids) if value]
    if not ids:
        return set()
    return set(
        model.objects.filter(source_id__in=ids)
        .exclude(source="")
        .values("source_id")
        .annotate(copies=Count("pk"))
        .filter(copies__gt=1)
        .values_list("source_id", flat=True)
    )


def _organisation_records(rows) -> dict[int, hsds.OrganisationRecord]:
    """Organisations (model rows) as records with their export ids, by pk."""
    shared = _shared(Organisation, [row.source_id for row in rows if row.source])
    return {
        row.pk: hsds.OrganisationRecord(
            source_id=selectors._export_id(row.source, row.source_id, "organisation", row.pk, shared),
            **{name: getattr(row, name) for name in selectors._ORG_FIELDS},
        )
        for row in rows
    }


def _records(opportunities: list[Opportunity]) -> tuple[list[hsds.OpportunityRecord], dict]:
    shared = _shared(Opportunity, [o.source_id for o in opportunities if o.source])
    organisations = _organisation_records(
        {o.organisation.pk: o.organisation for o in opportunities if o.organisation}.values()
    )
    records = [
        selectors.record_of(
            opportunity,
            source_id=selectors._export_id(
                opportunity.source, opportunity.source_id, "opportunity", opportunity.pk, shared
            ),
            organisation_id=organisations[opportunity.organisation_id].source_id
            if opportunity.organisation_id
            else None,
        )
        for opportunity in opportunities
    ]
    return records, {record.source_id: record for record in organisations.values()}


def services_page(*, filter: ServiceFilter, offset: int, limit: int) -> Page:
    """Running opportunities matching `filter`, by name, from `offset`: six queries whatever `limit` is."""
    found = selectors.directory_search(
        search=selectors.DirectorySearch(text=filter.text, weekday=filter.weekday)
    )
    if filter.term is not None:
        taxonomy, code = filter.term
        if taxonomy == vocabulary.OWN_CATEGORY_TAXONOMY:
            found = found.filter(category=code)
        elif taxonomy == vocabulary.OWN_COST_TAXONOMY:
            found = found.filter(cost=code)
        else:
            found = found.filter(Exists(Interest.objects.filter(opportunity=OuterRef("pk"), name=code)))
    if filter.taxonomy == vocabulary.OWN_INTEREST_TAXONOMY:  # every service has a category and a cost
        found = found.filter(Exists(Interest.objects.filter(opportunity=OuterRef("pk"))))
    if filter.organisation_pk is not None:
        found = found.filter(organisation_id=filter.organisation_pk)
    if filter.placed_only:
        found = found.filter(_has_place())
    total = found.count()
    records, organisations = _records(list(found[offset : offset + limit]) if limit else [])
    return Page(records, organisations, total)


def _export_ids(rows, kind: str) -> dict[int, str]:
    """pk → export id (before published_id), from (pk, source, source_id) of every row of a model, as
    selectors.directory_for_export gives them."""
    rows = list(rows)
    counts: dict[str, int] = {}
    for _pk, source, source_id in rows:
        if source and source_id:
            counts[source_id] = counts.get(source_id, 0) + 1
    shared = {source_id for source_id, count in counts.items() if count > 1}
    return {pk: selectors._export_id(source, source_id, kind, pk, shared) for pk, source, source_id in rows}


def _opportunity_ids() -> dict[int, str]:
    return _export_ids(Opportunity.objects.values_list("pk", "source", "source_id"), "opportunity")


def _one(pk: int | None) -> tuple[hsds.OpportunityRecord, dict]:
    if pk is None:
        raise NotFound
    opportunities = list(selectors._with_details(_running().filter(pk=pk)))
    if not opportunities:
        raise NotFound
    records, organisations = _records(opportunities)
    return records[0], organisations


def service_get(*, service_id: str) -> tuple[hsds.OpportunityRecord, dict]:
    """The running opportunity published as `service_id`, and its organisation by id; NotFound otherwise."""
    ids = _opportunity_ids()
    by_published = {export.published_id(value): pk for pk, value in ids.items()}
    return _one(by_published.get(service_id))


def service_at_location_get(*, service_at_location_id: str) -> hsds.OpportunityRecord:
    """The running opportunity whose place is published as `service_at_location_id`; NotFound otherwise."""
    ids = _opportunity_ids()
    by_part = {export.part_id(value, "service_at_location"): pk for pk, value in ids.items()}
    record, _organisations = _one(by_part.get(service_at_location_id))
    if export.service_at_location_json(record) is None:
        raise NotFound
    return record


def _published_organisations() -> QuerySet[Organisation]:
    """Organisations with at least one running opportunity, by name."""
    return Organisation.objects.filter(Exists(_running().filter(organisation=OuterRef("pk")))).order_by(
        "name", "id"
    )


def organisations_page(*, text: str, offset: int, limit: int) -> tuple[list[hsds.OrganisationRecord], int]:
    """Organisations with a running opportunity (name containing `text`), by name: three queries."""
    found = _published_organisations()
    for word in text.split():
        found = found.filter(name__icontains=word)
    total = found.count()
    rows = list(found[offset : offset + limit]) if limit else []
    records = _organisation_records(rows)
    return [records[row.pk] for row in rows], total


def organisation_pk(*, organization_id: str) -> int | None:
    """The row of the organisation published as `organization_id`, or None (one query)."""
    ids = _export_ids(Organisation.objects.values_list("pk", "source", "source_id"), "organisation")
    return {export.published_id(value): pk for pk, value in ids.items()}.get(organization_id)


def organisation_get(*, organization_id: str) -> tuple[hsds.OrganisationRecord, list[hsds.OpportunityRecord]]:
    """An organisation with a running opportunity, and its running opportunities by name; NotFound otherwise."""
    pk = organisation_pk(organization_id=organization_id)
    row = _published_organisations().filter(pk=pk).first() if pk is not None else None
    if row is None:
        raise NotFound
    opportunities = list(selectors._with_details(_running().filter(organisation=row).order_by("name", "id")))
    records, _organisations = _records(opportunities)
    return _organisation_records([row])[row.pk], records


def interest_names() -> list[str]:
    """Every interest a running opportunity suits, in alphabetical order (one query)."""
    return list(
        Interest.objects.filter(opportunity__active=True)
        .order_by("name")
        .values_list("name", flat=True)
        .distinct()
    )


def terms() -> list[tuple[str, str]]:
    """(taxonomy, code) of every term of ours a published service carries: categories, interests, costs."""
    return (
        [(vocabulary.OWN_CATEGORY_TAXONOMY, code) for code in hsds.CATEGORIES]
        + [(vocabulary.OWN_INTEREST_TAXONOMY, name) for name in interest_names()]
        + [(vocabulary.OWN_COST_TAXONOMY, code) for code in hsds.COSTS]
    )


def ids_for(*, opportunity_id: int) -> dict[str, str]:
    """The ids an opportunity is published under: its service, its service_at_location (even when it has no
    place, so none is published) and its organisation ("" without one). Two queries."""
    export_id = _opportunity_ids()[opportunity_id]
    organisation = Organisation.objects.filter(opportunities__pk=opportunity_id).first()
    return {
        "service": export.published_id(export_id),
        "service_at_location": export.part_id(export_id, "service_at_location"),
        "organization": export.published_id(_organisation_records([organisation])[organisation.pk].source_id)
        if organisation
        else "",
    }
