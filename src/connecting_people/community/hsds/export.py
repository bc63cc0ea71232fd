"""Directory records as Open Referral UK / HSDS 3.0 JSON (pure: no Django): the one mapping behind both the
`community export` file (a page of full services) and the read-only API under /openreferral/ (openreferral.py).

Every record validates against the compiled HSDS 3.0 *and* ORUK 3.0 schemas, even with unknown fields
disallowed: so only fields both profiles define are written. Ids are UUIDs: a record whose id is not one gets a
UUIDv5 made from it (`published_id`), the same every time. ORUK 3.0 has no phone numbers anywhere, so contact
and organisation phones are not published (the reader still reads them from other feeds).

What we hold goes somewhere the reader (reader.py) takes it back from: the address as one `address_1`, the
schedule in words as the first schedule's description, cost details as `fees`, the contact's email as the
service's `email`, and category, interests and cost band as taxonomy terms of our own vocabularies
(vocabulary.OWN_*; the term's name is our code, its description the label). Ids of the parts (location,
schedules, contact ...) are made from the service's id, so exporting the same directory twice gives the same
file.
"""

import uuid
from typing import Any

from . import vocabulary
from .records import Directory, OpportunityRecord, OrganisationRecord
from .schedules import DAY_CODES, hsds_time, sessions_by_times

# Namespace of the ids we make up for the parts of a service; fixed forever.
PART_NAMESPACE = uuid.UUID("0b9d5e0c-5a43-5f0e-8d0e-52c1a1f6c3a2")

CATEGORY_LABELS = {
    "social": "Social and friendship groups",
    "arts": "Arts, crafts and music",
    "sport": "Sport and exercise",
    "nature": "Nature, gardening and outdoors",
    "learning": "Learning and courses",
    "volunteering": "Volunteering",
    "faith": "Faith and belief",
    "peer_support": "Peer support",
    "work": "Work and skills",
    "community": "Community centres and events",
    "other": "Other",
}


COST_LABELS = {
    "free": "Free",
    "low": "Low cost (under £5 a time)",
    "paid": "Paid",
    "unknown": "Cost not known",
}
TAXONOMY_LABELS = {
    vocabulary.OWN_CATEGORY_TAXONOMY: "Connecting People categories: the kind of opportunity",
    vocabulary.OWN_INTEREST_TAXONOMY: "Connecting People interests: what a person might enjoy doing",
    vocabulary.OWN_COST_TAXONOMY: "Connecting People cost bands: what it costs to take part",
}

# Namespace of the UUIDs given to records whose own id is not a UUID; fixed forever.
ID_NAMESPACE = uuid.UUID("5d1c7f3e-2a4b-5c6d-8e9f-0a1b2c3d4e5f")


def part_id(service_id: str, part: str) -> str:
    return str(uuid.uuid5(PART_NAMESPACE, f"{service_id}\n{part}"))


def is_uuid(value: str) -> bool:
    """Whether `value` is a UUID written the usual way (36 characters with hyphens, any case)."""
    try:
        uuid.UUID(value)
    except (TypeError, ValueError, AttributeError):
        return False
    return len(value) == 36 and all(value[i] == "-" for i in (8, 13, 18, 23))


def published_id(source_id: str) -> str:
    """The id a record is published under: its own when that is a UUID, else a UUIDv5 made from it."""
    return source_id if is_uuid(source_id) else str(uuid.uuid5(ID_NAMESPACE, source_id))


def taxonomy_id(taxonomy: str) -> str:
    return str(uuid.uuid5(PART_NAMESPACE, f"taxonomy\n{taxonomy}"))


def term_id(taxonomy: str, code: str) -> str:
    return str(uuid.uuid5(PART_NAMESPACE, f"{taxonomy}\n{code}"))


def taxonomy_json(taxonomy: str) -> dict[str, Any]:
    """One of our own vocabularies as an HSDS taxonomy."""
    return {"id": taxonomy_id(taxonomy), "name": taxonomy, "description": TAXONOMY_LABELS[taxonomy]}


def term_json(taxonomy: str, code: str) -> dict[str, Any]:
    """A term of our own vocabularies: the name is our code (what the reader takes back), the description
    the words for it."""
    if taxonomy == vocabulary.OWN_CATEGORY_TAXONOMY:
        description = CATEGORY_LABELS[code]
    elif taxonomy == vocabulary.OWN_COST_TAXONOMY:
        description = COST_LABELS[code]
    else:
        description = f"Suits people interested in {code}"
    return {
        "id": term_id(taxonomy, code),
        "name": code,
        "description": description,
        "taxonomy": taxonomy,
        "taxonomy_id": taxonomy_id(taxonomy),
    }


def _without_blanks(values: dict[str, Any]) -> dict[str, Any]:
    """Optional HSDS fields are left out rather than sent empty."""
    return {key: value for key, value in values.items() if value not in ("", None, [], {})}


def organisation_json(record: OrganisationRecord) -> dict[str, Any]:
    """An organisation as HSDS, nested in a full service. The description is
    required: "" when we have none. An id that is not a UUID is kept as an identifier of the organisation."""
    organisation_id = published_id(record.source_id)
    identifiers = (
        [
            {
                "id": part_id(record.source_id, "identifier"),
                "organization_id": organisation_id,
                "identifier_type": "source id",
                "identifier": record.source_id,
            }
        ]
        if organisation_id != record.source_id
        else []
    )
    return {"id": organisation_id, "name": record.name, "description": record.description} | _without_blanks(
        {"website": record.website, "email": record.email, "organization_identifiers": identifiers}
    )


def _term(service_id: str, taxonomy: str, code: str, name: str) -> dict[str, Any]:
    term = term_json(taxonomy, code)
    return {
        "id": part_id(service_id, f"attribute {taxonomy} {code}"),
        "link_id": published_id(service_id),
        "link_type": "service",
        "taxonomy_term_id": term["id"],
        "taxonomy_term": term,
    }


def _location(record: OpportunityRecord) -> list[dict[str, Any]]:
    if not (record.address or record.postcode or record.latitude is not None or record.accessibility):
        return []
    location_id = part_id(record.source_id, "location")
    addresses = []
    if record.address or record.postcode:
        addresses.append(
            {
                "id": part_id(record.source_id, "address"),
                "location_id": location_id,
                "address_1": record.address,
                "city": "",
                "state_province": "",
                "postal_code": record.postcode,
                "country": "GB",
                "address_type": "physical",
            }
        )
    accessibility = []
    if record.accessibility:
        accessibility.append(
            {
                "id": part_id(record.source_id, "accessibility"),
                "location_id": location_id,
                "description": record.accessibility,
            }
        )
    location = {"id": location_id, "location_type": "physical"} | _without_blanks(
        {
            "latitude": record.latitude,
            "longitude": record.longitude,
            "addresses": addresses,
            "accessibility": accessibility,
        }
    )
    return [
        {
            "id": part_id(record.source_id, "service_at_location"),
            "service_id": published_id(record.source_id),
            "location_id": location_id,
            "location": location,
        }
    ]


def _schedules(record: OpportunityRecord) -> list[dict[str, Any]]:
    schedules = []
    for index, (days, opens_at, closes_at) in enumerate(sessions_by_times(record.sessions)):
        schedules.append(
            {
                "id": part_id(record.source_id, f"schedule {index}"),
                "service_id": published_id(record.source_id),
                "freq": "WEEKLY",
            }
            | _without_blanks(
                {
                    "byday": ",".join(DAY_CODES[day] for day in days),
                    "opens_at": hsds_time(opens_at) if opens_at else None,
                    "closes_at": hsds_time(closes_at) if closes_at else None,
                }
            )
        )
    if record.schedule:
        if not schedules:
            schedules.append(
                {"id": part_id(record.source_id, "schedule 0"), "service_id": published_id(record.source_id)}
            )
        schedules[0]["description"] = record.schedule
    return schedules


def service_json(record: OpportunityRecord, organisations: dict[str, OrganisationRecord]) -> dict[str, Any]:
    """One opportunity as a full HSDS 3.0 service."""
    service_id = published_id(record.source_id)
    attributes = [
        _term(
            record.source_id,
            vocabulary.OWN_CATEGORY_TAXONOMY,
            record.category,
            CATEGORY_LABELS[record.category],
        ),
        *(_term(record.source_id, vocabulary.OWN_INTEREST_TAXONOMY, name, name) for name in record.interests),
        _term(record.source_id, vocabulary.OWN_COST_TAXONOMY, record.cost, record.cost),
    ]
    organisation = organisations.get(record.organisation_id or "")
    contact = {
        "id": part_id(record.source_id, "contact"),
        "service_id": service_id,
        "name": record.contact_name,
    }
    return service_summary_json(record, organisations) | _without_blanks(
        {
            "organization": organisation_json(organisation) if organisation else None,
            "service_at_locations": _location(record),
            "schedules": _schedules(record),
            "cost_options": [{"id": part_id(record.source_id, "cost"), "service_id": service_id, "amount": 0}]
            if record.cost == "free"
            else [],
            "contacts": [contact] if record.contact_name else [],
            "attributes": attributes,
        }
    )


def service_summary_json(
    record: OpportunityRecord, organisations: dict[str, OrganisationRecord]
) -> dict[str, Any]:
    """A service's own fields and its organisation (the list form: `GET /services`)."""
    organisation = organisations.get(record.organisation_id or "")
    return {
        "id": published_id(record.source_id),
        "name": record.name,
        "status": "active" if record.active else "inactive",
    } | _without_blanks(
        {
            "organization_id": published_id(organisation.source_id) if organisation else None,
            "description": record.description,
            "url": record.website,
            "email": record.contact_email,
            "fees": record.cost_details,
            "assured_date": record.last_verified_on.isoformat() if record.last_verified_on else None,
            "organization": organisation_summary_json(organisation) if organisation else None,
        }
    )


def organisation_summary_json(record: OrganisationRecord) -> dict[str, Any]:
    """An organisation's own fields (the list form: `GET /organizations`)."""
    full = organisation_json(record)
    full.pop("organization_identifiers", None)
    return full


def organisation_full_json(
    record: OrganisationRecord,
    services: list[OpportunityRecord],
    organisations: dict[str, OrganisationRecord],
) -> dict[str, Any]:
    """An organisation with its services in full (`GET /organizations/{id}`)."""
    return organisation_json(record) | {"services": [service_json(s, organisations) for s in services]}


def service_at_location_json(record: OpportunityRecord) -> dict[str, Any] | None:
    """The service at its place (`GET /service_at_locations/{id}`), None when it has no place. Its service
    is named by `service_id` only: HSDS gives a service_at_location no `service` (ORUK does)."""
    found = _location(record)
    return found[0] if found else None


def service_at_location_summary_json(
    record: OpportunityRecord, organisations: dict[str, OrganisationRecord]
) -> dict[str, Any] | None:
    """The list form (`GET /service_at_locations`): the location's own fields (without its addresses) and
    the service's."""
    full = service_at_location_json(record)
    if full is None:
        return None
    location = {
        key: value for key, value in full["location"].items() if key not in ("addresses", "accessibility")
    }
    return full | {"location": location, "service": service_summary_json(record, organisations)}


def page(contents: list[dict[str, Any]], *, total_items: int, page_number: int, per_page: int) -> dict:
    """The paging envelope every list answers with (HSDS 3.0 `Page`)."""
    total_pages = max(1, -(-total_items // per_page)) if per_page else 1
    return {
        "total_items": total_items,
        "total_pages": total_pages,
        "page_number": page_number,
        "size": len(contents),
        "first_page": page_number == 1,
        "last_page": page_number >= total_pages,
        "empty": total_items == 0,
        "contents": contents,
    }


def service_list(directory: Directory) -> dict[str, Any]:
    """The whole directory as one page of full services (ordered by id, so the file is stable)."""
    organisations = {record.source_id: record for record in directory.organisations}
    contents = [
        service_json(record, organisations)
        for record in sorted(directory.opportunities, key=lambda r: r.source_id)
    ]
    return page(contents, total_items=len(contents), page_number=1, per_page=max(1, len(contents)))
