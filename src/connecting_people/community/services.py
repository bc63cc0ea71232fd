"""Every write to the community directory: opportunities kept by hand, and imports from Open Referral.

Each runs in one transaction and writes its audit event in it. Audit summaries hold codes, ids and counts,
never the directory's free text.
"""

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from datetime import date
from typing import Any

import rules
from django.db import transaction
from django.utils import timezone

from connecting_people.accounts.actor import Actor
from connecting_people.audit.services import audit_record
from connecting_people.community import geo, hsds
from connecting_people.community.hsds.reader import line
from connecting_people.community.hsds.schedules import sessions_in_words
from connecting_people.community.models import Interest, Opportunity, Organisation, Session
from connecting_people.core.errors import NotAllowedError, NotFoundError, ServiceError, StaleRecordError

BATCH = 1000
DELETE_CHUNK = 500  # ids per "IN (...)": well inside SQLite's limit on query parameters
MAX_INTEREST_COUNT = 20


@dataclass(frozen=True)
class OpportunityData:
    """What a person types about an opportunity. `sessions` None on an update leaves the sessions as they are;
    a blank `schedule` is filled in from the sessions ("Tuesdays, 10am to midday")."""

    name: str
    organisation_name: str = ""
    description: str = ""
    category: str = Opportunity.Category.OTHER
    address: str = ""
    postcode: str = ""
    latitude: float | None = None
    longitude: float | None = None
    schedule: str = ""
    cost: str = Opportunity.Cost.UNKNOWN
    cost_details: str = ""
    accessibility: str = ""
    contact_name: str = ""
    contact_phone: str = ""
    contact_email: str = ""
    website: str = ""
    last_verified_on: date | None = None
    active: bool = True
    interests: tuple[str, ...] = ()
    sessions: tuple[hsds.SessionRecord, ...] | None = field(default=())


ONE_LINE = (
    "name",
    "address",
    "schedule",
    "cost_details",
    "contact_name",
    "contact_phone",
    "contact_email",
    "website",
)


def _checked(data: OpportunityData, sessions_now: Iterable[hsds.SessionRecord]) -> dict[str, Any]:
    """The columns to store, tidied the way an import tidies them (so an export imports unchanged).
    ServiceError naming the field when something cannot be stored."""
    values = {name: getattr(data, name) for name in hsds.OpportunityRecord.COLUMNS}
    for name in ONE_LINE:
        values[name] = line(values[name])
    values["description"] = (values["description"] or "").strip()
    values["accessibility"] = (values["accessibility"] or "").strip()
    if not values["name"]:
        raise ServiceError("Enter the opportunity's name", field="name", code="name_missing")
    for name in ("name", "address", "schedule", "cost_details", "contact_name", "contact_phone", "website"):
        if len(values[name]) > hsds.LIMITS[name]:
            raise ServiceError(
                f"Shorten this to {hsds.LIMITS[name]} characters or fewer",
                field=name,
                code="too_long",
                params={"field": name, "max_length": hsds.LIMITS[name]},
            )
    postcode = line(values["postcode"]).upper()
    values["postcode"] = geo.normalised_postcode(postcode) or postcode
    if len(values["postcode"]) > hsds.LIMITS["postcode"]:
        raise ServiceError("Enter a real postcode, like LS1 4AP", field="postcode", code="postcode_invalid")
    if values["category"] not in Opportunity.Category.values:
        raise ServiceError("Select a category", field="category", code="category_unknown")
    if values["cost"] not in Opportunity.Cost.values:
        raise ServiceError("Select what it costs", field="cost", code="cost_unknown")
    problem = geo.coordinates_problem(values["latitude"], values["longitude"])
    if problem:
        raise ServiceError(
            f"The place's {problem}",
            field="latitude",
            code="coordinates_invalid",
            params={"problem": problem},
        )
    if not values["schedule"]:
        values["schedule"] = sessions_in_words(sessions_now)
    return values


def search_text(*, name: str, organisation_name: str, description: str) -> str:
    """What a text search reads: the name, the organisation's name and the description, in lower case."""
    return "\n".join((name, organisation_name, description)).lower()


def _checked_interests(interests: Iterable[str]) -> list[str]:
    names = sorted({line(name).lower() for name in interests if line(name)})
    if len(names) > MAX_INTEREST_COUNT:
        raise ServiceError(
            f"Give {MAX_INTEREST_COUNT} interests at most",
            field="interests",
            code="too_many_interests",
            params={"max_count": MAX_INTEREST_COUNT},
        )
    if any(len(name) > hsds.LIMITS["interest"] for name in names):
        raise ServiceError(
            f"Each interest must be {hsds.LIMITS['interest']} characters or fewer",
            field="interests",
            code="interest_too_long",
            params={"max_length": hsds.LIMITS["interest"]},
        )
    return names


def _checked_sessions(sessions: Iterable[hsds.SessionRecord]) -> list[hsds.SessionRecord]:
    checked = list(hsds.sorted_sessions(sessions))
    for session in checked:
        if not 0 <= session.weekday <= 6:
            raise ServiceError("Select days of the week", field="days", code="weekday_invalid")
        if session.starts_at and session.ends_at and session.ends_at <= session.starts_at:
            raise ServiceError(
                "The finishing time must be after the starting time",
                field="ends_at",
                code="session_ends_before_start",
            )
    return checked


def _organisation_for(name: str, current: Organisation | None = None) -> Organisation | None:
    """The organisation of that name: the one already linked, else one kept by hand, else any; else a new one
    kept by hand. None for no name."""
    name = line(name)
    if not name:
        return None
    if len(name) > hsds.LIMITS["organisation_name"]:
        raise ServiceError(
            f"Shorten the organisation's name to {hsds.LIMITS['organisation_name']} characters or fewer",
            field="organisation_name",
            code="organisation_name_too_long",
            params={"max_length": hsds.LIMITS["organisation_name"]},
        )
    if current is not None and current.name.lower() == name.lower():
        return current
    existing = Organisation.objects.filter(name__iexact=name).order_by("id")
    found = existing.filter(source="").first() or existing.first()
    return found or Organisation.objects.create(name=name)


def _check_may_edit(actor: Actor) -> None:
    if not rules.test_rule("edit_directory", actor.user):
        raise NotAllowedError("You cannot change the community directory.")


def _audit(actor: Actor, action: str, opportunity: Opportunity, summary: dict[str, Any]) -> None:
    audit_record(
        actor=actor.user, action=action, object_type="opportunity", object_id=opportunity.pk, summary=summary
    )


def opportunity_create(*, actor: Actor, data: OpportunityData) -> Opportunity:
    """Add an opportunity kept by hand. ServiceError (naming the field) when something cannot be stored."""
    _check_may_edit(actor)
    sessions = _checked_sessions(data.sessions or ())
    values = _checked(data, sessions)
    interests = _checked_interests(data.interests)
    with transaction.atomic():
        organisation = _organisation_for(data.organisation_name)
        opportunity = Opportunity.objects.create(
            organisation=organisation,
            search_text=search_text(
                name=values["name"],
                organisation_name=organisation.name if organisation else "",
                description=values["description"],
            ),
            **values,
        )
        Interest.objects.bulk_create(Interest(opportunity=opportunity, name=name) for name in interests)
        Session.objects.bulk_create(Session(opportunity=opportunity, **vars(s)) for s in sessions)
        _audit(
            actor,
            "opportunity.created",
            opportunity,
            {
                "category": opportunity.category,
                "cost": opportunity.cost,
                "organisation_id": opportunity.organisation_id,
                "interests": len(interests),
                # Not "sessions": the auditor drops every key that contains that word (sign-in sessions).
                "meeting_times": len(sessions),
            },
        )
    return opportunity


def opportunity_update(
    *, actor: Actor, opportunity_id: int, expected_version: int, data: OpportunityData
) -> Opportunity:
    """Save changes to an opportunity. StaleRecordError when someone saved it since `expected_version`;
    NotFoundError when there is no such opportunity. Nothing changed, nothing written (not even an audit event)."""
    _check_may_edit(actor)
    with transaction.atomic():
        opportunity = Opportunity.objects.select_for_update().filter(pk=opportunity_id).first()
        if opportunity is None:
            raise NotFoundError("No such opportunity")
        if opportunity.version != expected_version:
            raise StaleRecordError(
                "Someone else saved changes to this opportunity while you were editing it. Their changes have "
                "been kept. Check the opportunity and make your changes again."
            )
        sessions_before = list(
            hsds.sorted_sessions(
                hsds.SessionRecord(s.weekday, s.starts_at, s.ends_at) for s in opportunity.sessions.all()
            )
        )
        sessions = sessions_before if data.sessions is None else _checked_sessions(data.sessions)
        values = _checked(data, sessions)
        interests = _checked_interests(data.interests)
        organisation = _organisation_for(data.organisation_name, current=opportunity.organisation)
        values["organisation_id"] = organisation.pk if organisation else None
        changed = sorted(name for name, value in values.items() if getattr(opportunity, name) != value)
        opportunity.search_text = search_text(
            name=values["name"],
            organisation_name=organisation.name if organisation else "",
            description=values["description"],
        )
        if sorted(opportunity.interests.values_list("name", flat=True)) != interests:
            changed.append("interests")
            opportunity.interests.all().delete()
            Interest.objects.bulk_create(Interest(opportunity=opportunity, name=name) for name in interests)
        if set(sessions) != set(sessions_before):
            changed.append("sessions")
            opportunity.sessions.all().delete()
            Session.objects.bulk_create(Session(opportunity=opportunity, **vars(s)) for s in sessions)
        if not changed:
            return opportunity
        for name, value in values.items():
            setattr(opportunity, name, value)
        opportunity.version += 1
        opportunity.save()
        _audit(
            actor,
            "opportunity.updated",
            opportunity,
            {
                "fields": changed,
                "category": opportunity.category,
                "cost": opportunity.cost,
                "active": opportunity.active,
                "version": opportunity.version,
            },
        )
    return opportunity


# --- import -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportReport:
    """What an import did: opportunities and organisations created, updated and unchanged, and what the source
    held that could not be used."""

    source: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    organisations_created: int = 0
    organisations_updated: int = 0
    organisations_unchanged: int = 0
    rejections: tuple[hsds.Rejection, ...] = ()
    rejected_services: tuple[dict[str, Any], ...] = ()
    ignored: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: what `connecting-people community import` prints. `rejected` counts services rejected
        whole (each in `rejected_services` with its reasons); `rejections` lists every value left out."""
        return {
            "source": self.source,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": len(self.rejected_services),
            "organisations": {
                "created": self.organisations_created,
                "updated": self.organisations_updated,
                "unchanged": self.organisations_unchanged,
            },
            "rejected_services": [dict(service) for service in self.rejected_services],
            "rejections": [rejection.as_dict() for rejection in self.rejections],
            "ignored": list(self.ignored),
        }


def source_key(source: str) -> str:
    """A short fixed-length key for a source in the audit trail (which keeps no free text): the first 16 hex
    digits of the SHA-256 of the source as stored on its records."""
    return hashlib.sha256(source.encode("utf-8")).hexdigest()[:16]


def _chunks(values: list[int], size: int = DELETE_CHUNK) -> Iterable[list[int]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _import_organisations(
    records: Iterable[hsds.OrganisationRecord], source: str
) -> tuple[dict[str, int], list[int]]:
    """Organisations created or updated; ({source id: pk}, [created, updated, unchanged])."""
    existing = {
        organisation.source_id: organisation for organisation in Organisation.objects.filter(source=source)
    }
    names = [f.name for f in fields(hsds.OrganisationRecord) if f.name != "source_id"]
    now = timezone.now()
    new, changed, unchanged = [], [], 0
    for record in records:
        values = record.values()
        organisation = existing.get(record.source_id)
        if organisation is None:
            new.append(Organisation(source=source, source_id=record.source_id, **values))
        elif any(getattr(organisation, name) != value for name, value in values.items()):
            for name, value in values.items():
                setattr(organisation, name, value)
            organisation.updated_at = now  # bulk_update does not set auto_now fields
            changed.append(organisation)
        else:
            unchanged += 1
    Organisation.objects.bulk_create(new, batch_size=BATCH)
    Organisation.objects.bulk_update(changed, [*names, "updated_at"], batch_size=BATCH)
    pks = {source_id: organisation.pk for source_id, organisation in existing.items()}
    pks.update({organisation.source_id: organisation.pk for organisation in new})
    return pks, [len(new), len(changed), unchanged]


def _opportunity_values(
    record: hsds.OpportunityRecord, organisations: dict[str, tuple[int, str]]
) -> dict[str, Any]:
    """The columns an imported record stores, given {organisation source id: (pk, name)}. One call per record
    (tests make it fail half way)."""
    values = record.values()
    pk, organisation_name = organisations.get(record.organisation_id or "", (None, ""))
    values["organisation_id"] = pk
    values["search_text"] = search_text(
        name=record.name, organisation_name=organisation_name, description=record.description
    )
    return values


def _import_opportunities(
    records: Iterable[hsds.OpportunityRecord], source: str, organisations: dict[str, tuple[int, str]]
) -> list[int]:
    """Opportunities, their interests and sessions created or updated; [created, updated, unchanged]."""
    existing = {
        opportunity.source_id: opportunity for opportunity in Opportunity.objects.filter(source=source)
    }
    interests_of: dict[int, set[str]] = defaultdict(set)
    for opportunity_id, name in Interest.objects.filter(opportunity__source=source).values_list(
        "opportunity_id", "name"
    ):
        interests_of[opportunity_id].add(name)
    sessions_of: dict[int, set[hsds.SessionRecord]] = defaultdict(set)
    for opportunity_id, weekday, starts_at, ends_at in Session.objects.filter(
        opportunity__source=source
    ).values_list("opportunity_id", "weekday", "starts_at", "ends_at"):
        sessions_of[opportunity_id].add(hsds.SessionRecord(weekday, starts_at, ends_at))

    now = timezone.now()
    new: list[tuple[Opportunity, hsds.OpportunityRecord]] = []
    changed: list[Opportunity] = []
    replace_interests: dict[int, tuple[str, ...]] = {}
    replace_sessions: dict[int, tuple[hsds.SessionRecord, ...]] = {}
    unchanged = 0
    for record in records:
        values = _opportunity_values(record, organisations)
        opportunity = existing.get(record.source_id)
        if opportunity is None:
            new.append((Opportunity(source=source, source_id=record.source_id, **values), record))
            continue
        columns_differ = any(getattr(opportunity, name) != value for name, value in values.items())
        if set(record.interests) != interests_of[opportunity.pk]:
            replace_interests[opportunity.pk] = record.interests
        if set(record.sessions) != sessions_of[opportunity.pk]:
            replace_sessions[opportunity.pk] = record.sessions
        if columns_differ or opportunity.pk in replace_interests or opportunity.pk in replace_sessions:
            for name, value in values.items():
                setattr(opportunity, name, value)
            opportunity.version += 1
            opportunity.updated_at = now  # bulk_update does not set auto_now fields
            changed.append(opportunity)
        else:
            unchanged += 1

    Opportunity.objects.bulk_create([opportunity for opportunity, _ in new], batch_size=BATCH)
    columns = [*hsds.OpportunityRecord.COLUMNS, "organisation_id", "search_text", "version", "updated_at"]
    Opportunity.objects.bulk_update(changed, columns, batch_size=BATCH)
    for chunk in _chunks(list(replace_interests)):
        Interest.objects.filter(opportunity_id__in=chunk).delete()
    for chunk in _chunks(list(replace_sessions)):
        Session.objects.filter(opportunity_id__in=chunk).delete()
    interests = [(opportunity.pk, record.interests) for opportunity, record in new] + list(
        replace_interests.items()
    )
    sessions = [(opportunity.pk, record.sessions) for opportunity, record in new] + list(
        replace_sessions.items()
    )
    Interest.objects.bulk_create(
        (Interest(opportunity_id=pk, name=name) for pk, names in interests for name in names),
        batch_size=BATCH,
    )
    Session.objects.bulk_create(
        (Session(opportunity_id=pk, **vars(session)) for pk, listed in sessions for session in listed),
        batch_size=BATCH,
    )
    return [len(new), len(changed), unchanged]


def directory_import(*, records: hsds.Directory, source: str, actor: Actor | None = None) -> ImportReport:
    """Save what a source holds, all or nothing, keyed by (source, the record's id in it): a record seen before
    is updated when it differs and left alone (not even its updated_at moves) when it does not. Records the
    source no longer holds are left as they are. `actor` is who imported, if anyone (the command line may run
    without one). One audit event with the counts."""
    source = source.strip()
    if not source:
        raise ServiceError("Say where the records come from", field="source", code="source_missing")
    if len(source) > Opportunity._meta.get_field("source").max_length:
        raise ServiceError(
            "The source's name or address is too long to keep", field="source", code="source_too_long"
        )
    with transaction.atomic():
        organisation_pks, organisations = _import_organisations(records.organisations, source)
        names = {record.source_id: record.name for record in records.organisations}
        created, updated, unchanged = _import_opportunities(
            records.opportunities,
            source,
            {source_id: (pk, names.get(source_id, "")) for source_id, pk in organisation_pks.items()},
        )
        report = ImportReport(
            source=source,
            created=created,
            updated=updated,
            unchanged=unchanged,
            organisations_created=organisations[0],
            organisations_updated=organisations[1],
            organisations_unchanged=organisations[2],
            rejections=records.rejections,
            rejected_services=records.rejected_services,
            ignored=records.ignored,
        )
        audit_record(
            actor=actor.user if actor else None,
            action="community.imported",
            object_type="directory_source",
            object_id=source_key(source),
            summary={
                "created": created,
                "updated": updated,
                "unchanged": unchanged,
                "rejected": len(records.rejected_services),
                "problems": len(records.rejections),
                "organisations_created": organisations[0],
                "organisations_updated": organisations[1],
            },
        )
    return report


def directory_exported(*, actor: Actor | None = None, services: int) -> None:
    """Audit an export of the whole directory (call it once the file is written, inside a transaction)."""
    audit_record(
        actor=actor.user if actor else None,
        action="community.exported",
        object_type="directory",
        summary={"services": services},
    )
