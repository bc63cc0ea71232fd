"""The HSDS 3.0 tabular data package (CSV files) joined into nested services (pure: no Django).

Each table links to others by id columns (`schedules.csv` has service_id, `addresses.csv` location_id ...).
We join them into the same nested shape the JSON API gives, mark each piece with the file and line it came
from, and hand that to the JSON mapping (reader.py). A link to an id that is not in the package is reported as
a rejection of the row that holds it; the rest of the package is read.

Tables read: services, organizations, organization_identifiers, service_at_location, locations, addresses, accessibility, schedules,
cost_options, contacts, phones, attributes and taxonomy_terms. Only services.csv is required.
"""

import csv
import io
from collections import defaultdict
from collections.abc import Mapping

from .reader import WHERE_KEY, Found, directory_from
from .records import Directory, NotHSDSError, Rejection

TABLES = (
    "services",
    "organizations",
    "organization_identifiers",
    "service_at_location",
    "locations",
    "addresses",
    "accessibility",
    "schedules",
    "cost_options",
    "contacts",
    "phones",
    "attributes",
    "taxonomy_terms",
)


# HSDS 1.1 (and Open Referral UK v1) names of the tables we read, and the 3.0 name each is read as.
OLDER_NAMES = {
    "services_at_location.csv": "service_at_location.csv",
    "regular_schedules.csv": "schedules.csv",
    "physical_addresses.csv": "addresses.csv",
    "accessibility_for_disabilities.csv": "accessibility.csv",
    "taxonomy.csv": "taxonomy_terms.csv",
    "services_taxonomy.csv": "attributes.csv",
}
# Files of a package that are not data, or that the tables above stand for.
NOT_DATA = frozenset({"datapackage.json", "meta_table_descriptions.csv", "metadata.csv"})


def _older(files: Mapping[str, str]) -> tuple[dict[str, str], list[str]]:
    """The files under the names we read (HSDS 1.1's renamed to 3.0's), and what was set aside: a 1.1 table
    whose 3.0 table is also in the package."""
    renamed = dict(files)
    set_aside = []
    for old, new in OLDER_NAMES.items():
        if old in renamed:
            if new in files:
                set_aside.append(f"{old}: {new} is read instead")
                del renamed[old]
            else:
                renamed[new] = renamed.pop(old)
    return renamed, set_aside


def _hsds_1_1(name: str, row: dict) -> dict:
    """An HSDS 1.1 row in the 3.0 shape (only the columns that differ)."""
    if name == "accessibility" and "description" not in row:
        row["description"] = row.get("accessibility", "")
    if name == "attributes" and "link_id" not in row:  # services_taxonomy.csv
        row["link_id"], row["taxonomy_term_id"] = row.get("service_id", ""), row.get("taxonomy_id", "")
    return row


def _rows(name: str, content: str) -> list[dict]:
    """The rows of one CSV file, each marked with the line it starts on (a quoted value may span lines)."""
    reader = csv.DictReader(io.StringIO(content.removeprefix("\ufeff"), newline=""))
    rows = []
    try:
        start = 2
        for row in reader:
            cleaned = {key.strip(): (value or "").strip() for key, value in row.items() if key is not None}
            cleaned[WHERE_KEY] = f"{name}:{start}"
            rows.append(cleaned)
            start = reader.line_num + 1
    except csv.Error as error:
        raise NotHSDSError(f"{name}: line {reader.line_num}: not readable as CSV ({error})") from None
    return rows


def _by(rows: list[dict], column: str) -> dict[str, list[dict]]:
    grouped: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        if row.get(column):
            grouped[row[column]].append(row)
    return grouped


def read_tables(files: Mapping[str, str], *, categories: Mapping[str, str] | None = None) -> Directory:
    """Files of an HSDS CSV package ({file name: text}) as a Directory. NotHSDSError without services.csv or
    when it lacks the id and name columns."""
    if "services.csv" not in files:
        raise NotHSDSError("no services.csv: every HSDS CSV package has one")
    original = {new: old for old, new in OLDER_NAMES.items() if old in files and new not in files}
    files, set_aside = _older(files)
    tables = {
        name: [
            _hsds_1_1(name, row)
            for row in _rows(original.get(f"{name}.csv", f"{name}.csv"), files[f"{name}.csv"])
        ]
        if f"{name}.csv" in files
        else []
        for name in TABLES
    }
    ignored = set_aside + [
        f"{name}: {count} row{'s' if count != 1 else ''}"
        for name, content in sorted(files.items())
        if name.removesuffix(".csv") not in TABLES
        and name not in NOT_DATA
        and (count := len(_rows(name, content)))
    ]
    header = next(csv.reader(io.StringIO(files["services.csv"].removeprefix("\ufeff"))), [])
    if not {"id", "name"} <= {column.strip() for column in header}:
        raise NotHSDSError("services.csv has no id and name columns: it is not an HSDS services table")

    rejections: list[Rejection] = []

    def dangling(row: dict, what: str, column: str, table: str, left_out: str) -> None:
        rejections.append(
            Rejection(
                row[WHERE_KEY],
                f"{what} {row.get('id') or '(no id)'}",
                f"{column} {row[column]} is not in {table}.csv",
                left_out,
            )
        )

    services = {row["id"]: row for row in tables["services"] if row.get("id")}
    organisations = {row["id"]: row for row in tables["organizations"] if row.get("id")}
    locations = {row["id"]: row for row in tables["locations"] if row.get("id")}
    terms = {row["id"]: row for row in tables["taxonomy_terms"] if row.get("id")}
    contacts = {row["id"]: row for row in tables["contacts"] if row.get("id")}
    phones_of = {
        column: _by(tables["phones"], column) for column in ("service_id", "organization_id", "contact_id")
    }

    addresses, accessibility = (
        _by(tables["addresses"], "location_id"),
        _by(tables["accessibility"], "location_id"),
    )
    for location in locations.values():
        location["addresses"] = addresses.get(location["id"], [])  # HSDS 1.1: physical_addresses.csv
        location["accessibility"] = accessibility.get(location["id"], [])
    identifiers = _by(tables["organization_identifiers"], "organization_id")
    for organisation in organisations.values():
        organisation["phones"] = phones_of["organization_id"].get(organisation["id"], [])
        organisation["organization_identifiers"] = identifiers.get(organisation["id"], [])
    for contact in contacts.values():
        contact["phones"] = phones_of["contact_id"].get(contact["id"], [])

    # Rows that belong to a service, checked for links to services and locations the package does not have.
    attached: dict[str, dict[str, list[dict]]] = defaultdict(lambda: defaultdict(list))
    sals: dict[str, dict] = {}
    for table, what, key in (
        ("service_at_location", "service_at_location", "service_at_locations"),
        ("schedules", "schedule", "schedules"),
        ("cost_options", "cost option", "cost_options"),
        ("contacts", "contact", "contacts"),
    ):
        for row in tables[table]:
            service_id = row.get("service_id")
            if not service_id:
                continue
            if service_id not in services:
                dangling(row, what, "service_id", "services", f"this {what}")
                continue
            if table == "service_at_location":
                location_id = row.get("location_id")
                if location_id and location_id not in locations:
                    dangling(row, what, "location_id", "locations", "its location")
                elif location_id:
                    row["location"] = locations[location_id]
                sals[row.get("id", "")] = row
            if table == "schedules" and row.get("service_at_location_id") in sals:
                continue  # read with its service_at_location below (the same schedule once)
            attached[service_id][key].append(row)
    for row in tables["schedules"]:
        sal = sals.get(row.get("service_at_location_id", ""))
        if sal is not None:
            sal.setdefault("schedules", []).append(row)

    known_ids = set(services) | set(organisations) | set(locations) | set(contacts) | set(sals)
    for row in tables["attributes"]:
        link_id, term_id = row.get("link_id", ""), row.get("taxonomy_term_id", "")
        if term_id not in terms:
            dangling(row, "attribute", "taxonomy_term_id", "taxonomy_terms", "this attribute")
        elif link_id in services:
            attached[link_id]["attributes"].append(row | {"taxonomy_term": terms[term_id]})
        elif link_id not in known_ids:
            rejections.append(
                Rejection(
                    row[WHERE_KEY],
                    f"attribute {row.get('id') or '(no id)'}",
                    f"link_id {link_id or '(empty)'} is not the id of any record in the package",
                    "this attribute",
                )
            )

    found = []
    for row in tables["services"]:
        service = dict(row)
        for key, items in attached.get(row.get("id", ""), {}).items():
            service[key] = items
        service["phones"] = phones_of["service_id"].get(row.get("id", ""), [])
        organisation_id = row.get("organization_id")
        if organisation_id and organisation_id in organisations:
            service["organization"] = organisations[organisation_id]
        elif organisation_id:
            dangling(row, "service", "organization_id", "organizations", "its organisation")
        found.append(Found(service, row[WHERE_KEY]))
    return directory_from(found, rejections=rejections, categories=categories, ignored_tables=ignored)
