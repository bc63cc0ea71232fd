"""Directory records as an HSDS 3.0 page of full services, the shape `GET /services?full=true` answers
(pure: no Django).

Every value we hold goes somewhere the reader (reader.py) takes it back from, so an export imports again
unchanged: the address as one `address_1`, the schedule in words as the first schedule's description, cost
details as `fees_description`, and category, interests and cost band as taxonomy terms of our own
vocabularies (vocabulary.OWN_*). Ids of the parts (location, schedules, contact ...) are made from the
service's id, so exporting the same directory twice gives the same file.
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


def part_id(service_id: str, part: str) -> str:
    return str(uuid.uuid5(PART_NAMESPACE, f"{service_id}\n{part}"))


def _without_blanks(values: dict[str, Any]) -> dict[str, Any]:
    """Optional HSDS fields are left out rather than sent empty."""
    return {key: value for key, value in values.items() if value not in ("", None, [], {})}


def organisation_json(record: OrganisationRecord) -> dict[str, Any]:
    phones = [{"id": part_id(record.source_id, "phone"), "number": record.phone}] if record.phone else []
    return {"id": record.source_id, "name": record.name} | _without_blanks(
        {
            "description": record.description,
            "website": record.website,
            "email": record.email,
            "phones": phones,
        }
    )


def _term(service_id: str, taxonomy: str, code: str, name: str) -> dict[str, Any]:
    term_id = str(uuid.uuid5(PART_NAMESPACE, f"{taxonomy}\n{code}"))
    return {
        "id": part_id(service_id, f"attribute {taxonomy} {code}"),
        "link_type": "service",
        "link_entity": "service",
        "taxonomy_term": {"id": term_id, "code": code, "name": name, "taxonomy": taxonomy},
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
            "service_id": record.source_id,
            "location": location,
        }
    ]


def _schedules(record: OpportunityRecord) -> list[dict[str, Any]]:
    schedules = []
    for index, (days, opens_at, closes_at) in enumerate(sessions_by_times(record.sessions)):
        schedules.append(
            {
                "id": part_id(record.source_id, f"schedule {index}"),
                "service_id": record.source_id,
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
            schedules.append({"id": part_id(record.source_id, "schedule 0"), "service_id": record.source_id})
        schedules[0]["description"] = record.schedule
    return schedules


def service_json(record: OpportunityRecord, organisations: dict[str, OrganisationRecord]) -> dict[str, Any]:
    """One opportunity as a full HSDS 3.0 service."""
    contact = _without_blanks(
        {
            "name": record.contact_name,
            "email": record.contact_email,
            "phones": [{"id": part_id(record.source_id, "contact phone"), "number": record.contact_phone}]
            if record.contact_phone
            else [],
        }
    )
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
    return {
        "id": record.source_id,
        "name": record.name,
        "status": "active" if record.active else "inactive",
    } | _without_blanks(
        {
            "description": record.description,
            "url": record.website,
            "fees_description": record.cost_details,
            "assured_date": record.last_verified_on.isoformat() if record.last_verified_on else None,
            "organization": organisation_json(organisation) if organisation else None,
            "service_at_locations": _location(record),
            "schedules": _schedules(record),
            "cost_options": [{"id": part_id(record.source_id, "cost"), "amount": 0, "currency": "GBP"}]
            if record.cost == "free"
            else [],
            "contacts": [{"id": part_id(record.source_id, "contact")} | contact] if contact else [],
            "attributes": attributes,
        }
    )


def service_list(directory: Directory) -> dict[str, Any]:
    """The whole directory as one page of full services (ordered by id, so the file is stable)."""
    organisations = {record.source_id: record for record in directory.organisations}
    contents = [
        service_json(record, organisations)
        for record in sorted(directory.opportunities, key=lambda r: r.source_id)
    ]
    return {
        "total_items": len(contents),
        "total_pages": 1,
        "page_number": 1,
        "size": len(contents),
        "first_page": True,
        "last_page": True,
        "empty": not contents,
        "contents": contents,
    }
