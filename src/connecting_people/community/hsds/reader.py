"""Open Referral UK / HSDS 3.0 JSON into directory records, with what was rejected and why (pure: no Django).

Shapes read: a page of services (`{"contents": [...], "total_pages": ...}`, as `GET /services` answers), one
service (`GET /services/{id}`), an organization with its `services`, a service_at_location with its `service`
and `location`, or a plain JSON list of services. The CSV tables (tables.py) are first joined into the same
nested shape, so one mapping serves both. Field by field (docs/community.md has the table):

  service id, name                 the record's key and name; a service without either is rejected
  description, url, email          description, website, contact email (when no contact gives one)
  status                           active unless "inactive", "defunct" or "temporarily closed"
  organization                     the organisation (id, name, description, website, email, first phone)
  service_at_locations[].location  the first location with an address or coordinates: address (location
                                   name, address lines, city, region, county), postcode, latitude and
                                   longitude, accessibility (descriptions and details)
  schedules (service's and each    sessions by weekday and time; the schedule in words is the schedules'
  service_at_location's)           descriptions, else made from the days and times
  cost_options, fees_description   cost band from the cheapest amount (vocabulary.cost_from_amounts); cost
                                   details from fees_description (our own export: fees), else the options
                                   in words
  contacts, phones                 contact name, phone (the first contact's, else the service's) and email
  attributes[].taxonomy_term       category and interests (vocabulary.classify)
  assured_date                     last verified

Other fields (languages, funding, eligibility, service areas, programs, required documents, metadata ...)
are not kept. A value that cannot be used (a latitude of 100, a schedule that closes before it opens, a web
address that is not one) is left out and reported as a Rejection, and the rest of the service is kept; only a
service without an id or a name (or with ones too long to keep) is rejected whole.
"""

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from ..geo import coordinates_problem, normalised_postcode
from . import vocabulary
from .records import (
    CATEGORIES,
    COSTS,
    LIMITS,
    MAX_SERVICES,
    Directory,
    NotHSDSError,
    OpportunityRecord,
    OrganisationRecord,
    Rejection,
    SessionRecord,
    TooManyServices,
    sorted_sessions,
)
from .schedules import Meeting, ScheduleProblem, meetings_in_words, read_schedule
from .text import one_line, plain_text, web_address

# Keys only a service has (not a taxonomy term, location or organisation): how a document is recognised.
SERVICE_KEYS = frozenset(
    {
        "status",
        "organization",
        "organization_id",
        "service_at_locations",
        "schedules",
        "regular_schedules",
        "cost_options",
        "fees_description",
        "fees",
        "program",
        "attributes",
        "service_taxonomys",
        "contacts",
        "eligibility_description",
        "assured_date",
        "application_process",
        "service_areas",
    }
)
# Keys of the full record (GET /services/{id}) that a page of services may leave out.
DETAIL_KEYS = (
    "service_at_locations",
    "schedules",
    "regular_schedules",
    "cost_options",
    "attributes",
    "contacts",
)
TERM_KEYS = frozenset({"parent_id", "taxonomy", "taxonomy_detail", "term_uri", "vocabulary", "taxonomy_id"})
ORGANISATION_KEYS = frozenset(
    {"services", "legal_status", "year_incorporated", "tax_status", "organization_identifiers", "logo"}
)
LOCATION_KEYS = frozenset({"location_type", "addresses", "physical_addresses", "latitude", "longitude"})
# Service fields read (the module docstring says how); any other field a service has is listed as ignored.
READ_SERVICE_KEYS = frozenset(
    {
        "id", "name", "description", "url", "additional_urls", "email", "status", "organization",
        "organization_id", "service_at_locations", "schedules", "regular_schedules", "cost_options",
        "fees_description", "fees", "contacts", "phones", "attributes", "service_taxonomys", "assured_date",
        "program_id", "taxonomy_ids",  # links of the CSV tables, read through the tables they link
    }
)  # fmt: skip
INACTIVE_STATUSES = {"inactive", "defunct", "temporarily closed"}
KNOWN_STATUSES = INACTIVE_STATUSES | {"active"}

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
WHERE_KEY = "__where"  # set on dicts built from CSV rows: the file and line each came from


@dataclass(frozen=True)
class Found:
    """A service found in a document, where it was, and what the document around it said."""

    service: dict
    where: str
    organisation: dict | None = None  # an organization document the service was listed under
    location: dict | None = None  # the location of a service_at_location document
    more_locations: tuple[dict, ...] = ()  # further service_at_locations of the same service on a page


# --- recognising documents --------------------------------------------------------------------------------


def kind_of(item: Any) -> str:
    """ "service", "taxonomy_term", "organization", "service_at_location", "location" or "unknown"."""
    if not isinstance(item, dict):
        return "unknown"
    keys = set(item)
    if isinstance(item.get("service"), dict) and isinstance(item.get("location"), dict):
        return "service_at_location"
    # A location has schedules and contacts too, but never a service's place fields at its top level.
    if keys & LOCATION_KEYS:
        return "location"
    if keys & SERVICE_KEYS:
        return "service"
    if keys & ORGANISATION_KEYS:
        return "organization"
    if keys & TERM_KEYS:
        return "taxonomy_term"
    return "unknown"


def _page_items(document: dict, where: str) -> list:
    items = document.get("contents", document.get("content"))
    if not isinstance(items, list):
        raise NotHSDSError(f"{where}: 'contents' is not a list")
    kinds = {kind_of(item) for item in items}
    others = kinds - {"service", "service_at_location", "unknown"}
    if others:
        raise NotHSDSError(f"{where} is a page of {_plural(sorted(others)[0])}, not of services")
    if (
        items
        and not kinds & {"service", "service_at_location"}
        and not any(isinstance(item, dict) and "name" in item for item in items)
    ):
        raise NotHSDSError(f"{where}: the page's contents are not services (no names or service fields)")
    return items


def _plural(kind: str) -> str:
    return {
        "taxonomy_term": "taxonomy terms",
        "organization": "organizations",
        "location": "locations",
        "service_at_location": "service_at_locations",
    }.get(kind, kind)


def page_of_services(document: Any, *, where: str) -> tuple[list, int | None]:
    """The services on one page of `GET /services` and the number of pages (None when the page does not say).
    NotHSDSError when the document is not such a page."""
    if not isinstance(document, dict) or not ("contents" in document or "content" in document):
        raise NotHSDSError(f"{where} is not a page of HSDS services: it has no 'contents'")
    total = document.get("total_pages", document.get("totalPages"))
    try:
        total_pages = int(total) if total is not None else None
    except (TypeError, ValueError):
        total_pages = None
    return _page_items(document, where), total_pages


def found_on_page(items: list, where: str) -> list[Found]:
    """The services on a page: services as they are, and the service each service_at_location embeds, with its
    location (HSDS 3.0 `GET /service_at_locations`). A service at several locations is found once, with all
    of them (the first with an address gives its place)."""
    found: list[Found] = []
    at: dict[str, int] = {}
    for item in items:
        if kind_of(item) != "service_at_location":
            found.append(Found(item, where))
            continue
        service_id = text(item["service"].get("id"))
        if service_id and service_id in at:
            first = found[at[service_id]]
            found[at[service_id]] = Found(
                first.service, first.where, first.organisation, first.location,
                (*first.more_locations, item["location"]),
            )  # fmt: skip
            continue
        if service_id:
            at[service_id] = len(found)
        found.append(Found(item["service"], where, location=item["location"]))
    return found


def services_in(document: Any, *, where: str) -> list[Found]:
    """Every service in one parsed JSON document. NotHSDSError when the document is none of the shapes read."""
    if isinstance(document, list):
        if document and not any(kind_of(item) == "service" for item in document):
            raise NotHSDSError(
                f"{where} is a JSON list, but not of HSDS services (none has a service's fields)"
            )
        return [Found(item, where) for item in document]
    if not isinstance(document, dict):
        raise NotHSDSError(f"{where} is not an HSDS document: expected a JSON object or list")
    if "contents" in document or "content" in document:
        return found_on_page(page_of_services(document, where=where)[0], where)
    if isinstance(document.get("services"), list):
        organisation = {key: value for key, value in document.items() if key != "services"}
        return [Found(service, where, organisation=organisation) for service in document["services"]]
    kind = kind_of(document)
    if kind == "service_at_location":
        return [Found(document["service"], where, location=document["location"])]
    if kind == "service":
        return [Found(document, where)]
    raise NotHSDSError(
        f"{where} is not HSDS: expected a page of services ('contents'), a service, an organization with "
        f"'services' or a service_at_location"
        + (f", but found a {kind.replace('_', ' ')}" if kind != "unknown" else "")
    )


def is_partial(service: Any) -> bool:
    """Whether a service from a page leaves out the detail its full record (`/services/{id}`) would give."""
    return isinstance(service, dict) and not any(key in service for key in DETAIL_KEYS)


# --- small readers of values -----------------------------------------------------------------------------


def text(value: Any) -> str:
    """A value as text with the ends trimmed; "" for None, lists and objects."""
    if value is None or isinstance(value, dict | list | bool):
        return ""
    return str(value).strip()


def line(value: Any) -> str:
    """Text on one line: runs of spaces, tabs and line breaks become one space."""
    return " ".join(text(value).split())


def shortened(value: str, limit: int) -> str:
    """Text cut to `limit` characters at a word, ending "…" when cut."""
    if len(value) <= limit:
        return value
    cut = value[: limit - 1]
    if " " in cut[limit // 2 :]:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:.") + "…"


def phone_number(value: Any) -> str:
    # Some publishers wrap numbers in quotation marks (the HSDS examples do).
    return line(value).strip("\"'").strip()


def _items(value: Any) -> list[dict]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _where(item: dict, default: str) -> str:
    return item.get(WHERE_KEY) or default


def _number(value: Any, name: str) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} {text(value)!r} is not a number") from None
    if not math.isfinite(number):
        raise ValueError(f"{name} {text(value)!r} is not a number")
    return number


def _amount(value: Any) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        amount = Decimal(text(value).lstrip("£"))
    except InvalidOperation:
        raise ValueError(f"amount {text(value)!r} is not a number") from None
    if not amount.is_finite() or amount < 0:
        raise ValueError(f"amount {text(value)!r} is not 0 or more")
    return amount


def _date(value: Any) -> date | None:
    raw = text(value)
    if not raw:
        return None
    try:
        return date.fromisoformat(raw[:10])
    except ValueError:
        raise ValueError(f"{raw!r} is not a date like 2026-03-01") from None


# --- the mapping ------------------------------------------------------------------------------------------


class _Reading:
    """Collects records and rejections while services are read, one at a time."""

    def __init__(self, categories: Mapping[str, str] | None = None) -> None:
        self.categories = categories
        self.organisations: dict[str, OrganisationRecord] = {}
        self.opportunities: dict[str, OpportunityRecord] = {}
        self.first_seen: dict[str, str] = {}
        self.rejections: list[Rejection] = []
        self._reported: set[tuple[str, str, str]] = set()
        self.identifiers: dict[str, str] = {}  # organisation id → its first registered identifier
        self.rejected_services: list[dict[str, str]] = []
        self.ignored: dict[str, int] = {}  # service field → how many services had it
        self.ignored_tables: list[str] = []

    def reject(self, where: str, record: str, reason: str, left_out: str) -> None:
        key = (record, reason, left_out)
        if key not in self._reported:  # an organisation repeated under every service is reported once
            self._reported.add(key)
            self.rejections.append(Rejection(where, record, reason, left_out))

    def result(self) -> Directory:
        return Directory(
            organisations=tuple(self.organisations.values()),
            opportunities=tuple(self.opportunities.values()),
            rejections=tuple(self.rejections),
            publisher=self.publisher(),
            rejected_services=tuple(self.rejected_services),
            ignored=tuple(
                self.ignored_tables
                + [
                    f"{key}: {count} service{'s' if count != 1 else ''}"
                    for key, count in sorted(self.ignored.items())
                ]
            ),
        )

    def publisher(self) -> str:
        """ "organisation:<identifier>" when every service read belongs to the same organisation, else ""."""
        owners = {record.organisation_id for record in self.opportunities.values()}
        if len(owners) != 1 or None in owners:
            return ""
        (owner,) = owners
        return f"organisation:{self.identifiers.get(owner) or owner}"

    # -- pieces

    def _checked(self, value: str, limit_name: str, where: str, record: str, what: str, pattern=None) -> str:
        if not value:
            return ""
        if len(value) > LIMITS[limit_name]:
            self.reject(
                where, record, f"{what} is longer than {LIMITS[limit_name]} characters", f"its {what}"
            )
            return ""
        if pattern is not None and not pattern.match(value):
            shown = shortened(value, 60)
            self.reject(where, record, f"{what} {shown!r} is not valid", f"its {what}")
            return ""
        return value

    @staticmethod
    def _additional_url(service: dict) -> str:
        """HSDS 3.1's additional_urls: the first, when a service has no url of its own."""
        return next(
            (text(u.get("url")) for u in _items(service.get("additional_urls")) if text(u.get("url"))), ""
        )

    def _website(self, value: Any, limit_name: str, where: str, record: str) -> str:
        """A web address completed with https:// where that is unambiguous; anything else reported, not kept."""
        raw = line(value)
        address, problem = web_address(raw)
        if problem:
            self.reject(where, record, f"website {shortened(raw, 60)!r} {problem}", "its website")
            return ""
        return self._checked(address, limit_name, where, record, "website")

    def organisation(self, organisation: dict, where: str) -> str | None:
        """Reads an organisation; its source id, or None when it cannot be kept."""
        where = _where(organisation, where)
        source_id, name = text(organisation.get("id")), one_line(text(organisation.get("name")))
        label = (
            f"organisation {source_id}"
            if source_id
            else f"organisation {name!r}"
            if name
            else "an organisation"
        )
        if not source_id or not name:
            missing = "an id" if not source_id else "a name"
            self.reject(where, label, f"has no {missing}", "the service's link to it")
            return None
        if len(source_id) > LIMITS["source_id"] or len(name) > LIMITS["organisation_name"]:
            what = "id" if len(source_id) > LIMITS["source_id"] else "name"
            self.reject(where, label, f"its {what} is too long to keep", "the service's link to it")
            return None
        for identifier in _items(organisation.get("organization_identifiers")):
            scheme, value = line(identifier.get("identifier_scheme")), line(identifier.get("identifier"))
            if value and source_id not in self.identifiers:
                self.identifiers[source_id] = f"{scheme}-{value}" if scheme else value
        phones = _items(organisation.get("phones"))
        record = OrganisationRecord(
            source_id=source_id,
            name=name,
            description=plain_text(text(organisation.get("description"))),
            website=self._website(
                organisation.get("website") or organisation.get("url"), "organisation_website", where, label
            ),
            email=self._checked(
                line(organisation.get("email")), "organisation_email", where, label, "email", _EMAIL
            ),
            phone=self._checked(
                phone_number(phones[0].get("number")) if phones else "",
                "organisation_phone",
                where,
                label,
                "phone",
            ),
        )
        known = self.organisations.get(source_id)
        if known is not None:
            # A page gives a short form of the organisation, a full record more: fill the gaps, keep what is known.
            record = OrganisationRecord(
                source_id=source_id,
                **{key: value or getattr(record, key) for key, value in known.values().items()},
            )
        self.organisations[source_id] = record
        return source_id

    def place(self, locations: list[tuple[dict, str]]) -> dict[str, Any]:
        """Address, postcode, coordinates and accessibility from the first location that has a place."""
        for location, where in locations:
            where = _where(location, where)
            label = f"location {text(location.get('id')) or '(no id)'}"
            addresses = _items(location.get("addresses") or location.get("physical_addresses"))
            address = next(
                (a for a in addresses if text(a.get("address_type")).lower() == "physical"),
                addresses[0] if addresses else {},
            )
            parts = [line(location.get("name"))] + [
                line(address.get(key))
                for key in ("address_1", "address_2", "city", "region", "state_province")
            ]
            place: dict[str, Any] = {
                "address": shortened(
                    ", ".join(dict.fromkeys(part for part in parts if part)), LIMITS["address"]
                ),
                "postcode": "",
                "latitude": None,
                "longitude": None,
            }
            postcode = line(address.get("postal_code")).upper()
            postcode = normalised_postcode(postcode) or postcode
            if len(postcode) > LIMITS["postcode"]:
                self.reject(
                    where, label, f"postal_code {postcode!r} is too long for a postcode", "its postcode"
                )
            else:
                place["postcode"] = postcode
            try:
                latitude = _number(location.get("latitude"), "latitude")
                longitude = _number(location.get("longitude"), "longitude")
                problem = coordinates_problem(latitude, longitude)
            except ValueError as error:
                problem = str(error)
            if problem:
                self.reject(where, label, problem, "its coordinates")
            else:
                place["latitude"], place["longitude"] = latitude, longitude
            accessibility = [
                " ".join(
                    part
                    for part in (plain_text(text(a.get("description"))), plain_text(text(a.get("details"))))
                    if part
                )
                for a in _items(location.get("accessibility"))
            ]
            place["accessibility"] = "\n\n".join(part for part in accessibility if part)
            if place["address"] or place["postcode"] or place["latitude"] is not None:
                return place
        return {}

    def schedules(self, schedules: list[tuple[dict, str]]) -> tuple[str, tuple[SessionRecord, ...]]:
        """The schedule in words and the sessions, from every schedule of the service (repeats read once)."""
        meetings: list[Meeting] = []
        descriptions: list[str] = []
        seen: set[str] = set()
        for schedule, where in schedules:
            key = text(schedule.get("id")) or repr(sorted(schedule.items(), key=lambda kv: kv[0]))
            if key in seen:
                continue
            seen.add(key)
            try:
                meeting = read_schedule(schedule)
            except ScheduleProblem as problem:
                label = f"schedule {text(schedule.get('id')) or '(no id)'}"
                self.reject(_where(schedule, where), label, str(problem), "this schedule")
                continue
            if meeting is not None:
                meetings.append(meeting)
            description = one_line(text(schedule.get("description")))
            if description and description not in descriptions:
                descriptions.append(description)
        words = " ".join(descriptions) or meetings_in_words(meetings)
        sessions = sorted_sessions(session for meeting in meetings for session in meeting.sessions())
        return shortened(words, LIMITS["schedule"]), sessions

    def costs(self, service: dict, where: str, terms: list[tuple[str, str]]) -> tuple[str, str]:
        amounts: list[Decimal] = []
        described: list[str] = []
        for option in _items(service.get("cost_options")):
            try:
                amount = _amount(option.get("amount"))
            except ValueError as problem:
                label = f"cost option {text(option.get('id')) or '(no id)'}"
                self.reject(_where(option, where), label, str(problem), "this cost option")
                continue
            if amount is not None:
                amounts.append(amount)
            words = [
                vocabulary.pounds(amount) if amount is not None else "",
                line(option.get("amount_description")),
                f"({line(option.get('option'))})" if line(option.get("option")) else "",
            ]
            described.append(" ".join(word for word in words if word))
        cost = vocabulary.own_cost(terms)
        if cost is not None and cost not in COSTS:
            self.reject(
                where, f"service {text(service.get('id'))}", f"cost {cost!r} is not one of ours", "its cost"
            )
            cost = None
        details = plain_text(text(service.get("fees_description")))
        if cost is not None and not details:  # our own export: in `fees` (ORUK has no fees_description)
            details = text(service.get("fees"))
        if cost is None and not details:  # our own export says everything in fees_description
            details = "; ".join(d for d in described if d)
        return cost or vocabulary.cost_from_amounts(amounts), shortened(details, LIMITS["cost_details"])

    def contact(self, service: dict, where: str, label: str) -> dict[str, str]:
        contacts = _items(service.get("contacts"))
        for sal in _items(service.get("service_at_locations")):
            contacts += _items(sal.get("contacts"))
        name = next((line(c.get("name")) for c in contacts if line(c.get("name"))), "")
        phones = [phone for c in contacts for phone in _items(c.get("phones"))] + _items(
            service.get("phones")
        )
        phone = next((phone_number(p.get("number")) for p in phones if phone_number(p.get("number"))), "")
        extension = next((text(p.get("extension")) for p in phones if phone_number(p.get("number"))), "")
        if phone and extension:
            phone = f"{phone} ext. {extension}"
        email = next((line(c.get("email")) for c in contacts if line(c.get("email"))), "") or line(
            service.get("email")
        )
        return {
            "contact_name": shortened(name, LIMITS["contact_name"]),
            "contact_phone": self._checked(phone, "contact_phone", where, label, "phone"),
            "contact_email": self._checked(email, "contact_email", where, label, "email", _EMAIL),
        }

    def terms(self, service: dict) -> list[tuple[str, str]]:
        """(taxonomy, value) of each taxonomy term: the code for our own vocabularies, else the name."""
        found = []
        for attribute in _items(service.get("attributes")):
            term = attribute.get("taxonomy_term")
            if isinstance(term, dict):
                taxonomy = (
                    line(term.get("taxonomy"))
                    or line((term.get("taxonomy_detail") or {}).get("name"))
                    or line(term.get("vocabulary"))  # HSDS 1.1 taxonomy.csv
                )
                if taxonomy.startswith("connecting-people:"):
                    found.append((taxonomy, line(term.get("code")) or line(term.get("name"))))
                else:
                    found.append((taxonomy, line(term.get("name")) or line(term.get("term"))))
        for link in _items(service.get("service_taxonomys")):  # Open Referral UK before 3.0
            term = link.get("taxonomy")
            if isinstance(term, dict):
                found.append((line(term.get("vocabulary")), line(term.get("name"))))
        return found

    # -- a whole service

    def service(self, found: Found, position: int) -> None:
        service, where = found.service, _where(found.service, found.where)
        if not isinstance(service, dict):
            self.reject(where, f"item {position}", "is not a JSON object", "the item")
            self.rejected_services.append(
                {"id": "", "name": "", "where": where, "reasons": [f"item {position} is not a JSON object"]}
            )
            return
        source_id, name = text(service.get("id")), one_line(text(service.get("name")))
        label = (
            f"service {source_id}" if source_id else f"service {name!r}" if name else f"service {position}"
        )
        problem = None
        if not source_id:
            problem = "has no id"
        elif not name:
            problem = "has no name"
        elif len(source_id) > LIMITS["source_id"]:
            problem = f"its id is longer than {LIMITS['source_id']} characters"
        elif len(name) > LIMITS["name"]:
            problem = f"its name is longer than {LIMITS['name']} characters"
        elif source_id in self.opportunities:
            problem = f"its id is used again (first at {self.first_seen[source_id]})"
        if problem:
            self.reject(where, label, problem, "the service" if "used again" not in problem else "this copy")
            self.rejected_services.append(
                {"id": source_id, "name": name, "where": where, "reasons": [problem]}
            )
            return
        self.first_seen[source_id] = where
        for key, value in service.items():
            if key not in READ_SERVICE_KEYS and key != WHERE_KEY and value not in (None, "", [], {}):
                self.ignored[key] = self.ignored.get(key, 0) + 1

        organisation = service.get("organization") if isinstance(service.get("organization"), dict) else None
        organisation = organisation or found.organisation
        organisation_id = self.organisation(organisation, where) if organisation else None

        status = line(service.get("status")).lower()
        if status and status not in KNOWN_STATUSES:
            self.reject(
                where,
                label,
                f"status {status!r} is not one of {', '.join(sorted(KNOWN_STATUSES))}",
                "its status",
            )

        sals = _items(service.get("service_at_locations"))
        locations = [(found.location, where)] if isinstance(found.location, dict) else []
        locations += [(location, where) for location in found.more_locations if isinstance(location, dict)]
        locations += [
            (sal["location"], _where(sal, where)) for sal in sals if isinstance(sal.get("location"), dict)
        ]
        place = self.place(locations)

        schedules = [(s, where) for s in _items(service.get("schedules") or service.get("regular_schedules"))]
        for sal in sals:
            schedules += [(s, _where(sal, where)) for s in _items(sal.get("schedules"))]
        schedule, sessions = self.schedules(schedules)

        terms = self.terms(service)
        category, interests = vocabulary.classify(terms, service_name=name, categories=self.categories)
        if category not in CATEGORIES:
            self.reject(where, label, f"category {category!r} is not one of ours", "its category")
            category = "other"
        too_long = [interest for interest in interests if len(interest) > LIMITS["interest"]]
        for interest in too_long:
            self.reject(where, label, f"interest {shortened(interest, 40)!r} is too long", "that interest")
        cost, cost_details = self.costs(service, where, terms)

        try:
            last_verified_on = _date(service.get("assured_date"))
        except ValueError as error:
            self.reject(where, label, f"assured_date {error}", "its last-verified date")
            last_verified_on = None

        self.opportunities[source_id] = OpportunityRecord(
            source_id=source_id,
            name=name,
            organisation_id=organisation_id,
            description=plain_text(text(service.get("description"))),
            category=category,
            address=place.get("address", ""),
            postcode=place.get("postcode", ""),
            latitude=place.get("latitude"),
            longitude=place.get("longitude"),
            schedule=schedule,
            cost=cost,
            cost_details=cost_details,
            accessibility=place.get("accessibility", ""),
            website=self._website(
                service.get("url") or self._additional_url(service), "website", where, label
            ),
            last_verified_on=last_verified_on,
            active=status not in INACTIVE_STATUSES,
            interests=tuple(i for i in interests if len(i) <= LIMITS["interest"]),
            sessions=sessions,
            **self.contact(service, where, label),
        )


def directory_from(
    found: Iterable[Found],
    *,
    rejections: Iterable[Rejection] = (),
    categories: Mapping[str, str] | None = None,
    ignored_tables: Iterable[str] = (),
) -> Directory:
    """Records for every service found, in order, and the rejections (after any `rejections` given, which
    the CSV reader finds while joining its tables). TooManyServices for more than MAX_SERVICES."""
    found = list(found)
    if len(found) > MAX_SERVICES:
        raise TooManyServices(len(found))
    reading = _Reading(categories)
    reading.ignored_tables = list(ignored_tables)
    for rejection in rejections:
        reading.reject(rejection.where, rejection.record, rejection.reason, rejection.left_out)
    for position, item in enumerate(found, start=1):
        reading.service(item, position)
    return reading.result()


def read_json(document: Any, *, where: str, categories: Mapping[str, str] | None = None) -> Directory:
    """One parsed JSON document (see the module docstring for the shapes) as a Directory.
    NotHSDSError when it is not HSDS. `categories`: vocabulary.category_map() (the shipped one by default)."""
    return directory_from(services_in(document, where=where), categories=categories)
