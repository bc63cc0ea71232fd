"""Files that Open Referral publishes (not written by us), read and checked against the files themselves.

The files are not in this repository: the workplace keeps data fetched from other repositories out of the
project's commits. tests/data/real/README.md lists each file with its source repository, path, commit and
licence; they are read from `../shared/fixtures/openreferral/real` (or CONNECTING_PEOPLE_OPENREFERRAL_REAL),
and these tests are skipped where they are not there."""

import csv
import json
import os
from pathlib import Path

import pytest

from connecting_people.community.sources import read_source
from connecting_people.community.tests.openreferral import OPENREFERRAL

REAL = Path(os.environ.get("CONNECTING_PEOPLE_OPENREFERRAL_REAL", OPENREFERRAL / "real"))

needs_real = pytest.mark.skipif(
    not (REAL / "hsds-1.1-sample" / "all_resources" / "services.csv").exists(),
    reason=f"the published Open Referral files are not at {REAL} (see tests/data/real/README.md)",
)
pytestmark = needs_real


def rows(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_the_hsds_1_1_sample_package_keeps_its_locations_addresses_and_schedules():
    folder = REAL / "hsds-1.1-sample" / "all_resources"
    source = read_source(str(folder), name="openreferral sample")
    services = rows(folder / "services.csv")
    records = {record.source_id: record for record in source.directory.opportunities}
    assert sorted(records) == sorted(row["id"] for row in services)  # every service, none rejected
    assert source.directory.rejected_services == ()
    locations = {row["id"]: row for row in rows(folder / "locations.csv")}
    for link in rows(folder / "services_at_location.csv"):
        # Each service's address starts with the name of its location.
        assert records[link["service_id"]].address.startswith(locations[link["location_id"]]["name"])
    (address,) = rows(folder / "physical_addresses.csv")
    helpline = next(r for r in records.values() if address["address_1"] in r.address)
    assert helpline.postcode == address["postal_code"]
    schedules = rows(folder / "regular_schedules.csv")
    assert len(helpline.sessions) == len(schedules)
    assert {str(s.starts_at)[:5] for s in helpline.sessions} == {row["opens_at"][:5] for row in schedules}
    # HTML in a 1.1 description comes out as text, one list item a line.
    teacher = next(r for r in records.values() if r.name == "Dear Teacher Skills Refresh")
    assert "• Digital Skills" in teacher.description and "<li>" not in teacher.description
    assert any("postal_addresses.csv" in item for item in source.directory.ignored)


def test_an_hsds_3_0_page_of_service_at_locations():
    path = REAL / "hsds-3.0-spec" / "service_at_location_list.json"
    document = json.loads(path.read_text(encoding="utf-8"))
    source = read_source(str(path))
    (record,) = source.directory.opportunities
    (item,) = document["contents"]
    assert (record.source_id, record.name) == (item["service"]["id"], item["service"]["name"])
    assert record.address.startswith(item["location"]["name"])
    assert source.label == f"organisation:{item['service']['organization']['id']}"


def test_the_uk_validators_page_of_service_at_locations():
    path = REAL / "oruk-3.0-validator" / "service_at_location_list.json"
    document = json.loads(path.read_text(encoding="utf-8"))
    source = read_source(str(path))
    assert [r.name for r in source.directory.opportunities] == [
        i["service"]["name"] for i in document["contents"]
    ]


def test_hsds_3_1_additions_are_listed_as_ignored():
    path = REAL / "hsds-3.1-spec" / "service_full.json"
    service = json.loads(path.read_text(encoding="utf-8"))
    source = read_source(str(path))
    (record,) = source.directory.opportunities
    assert record.website == service["url"]
    assert "capacities: 1 service" in source.directory.ignored
    package = read_source(str(REAL / "hsds-3.1-spec" / "csv"))
    for table in ("service_capacity.csv", "units.csv", "url.csv"):
        assert any(item.startswith(f"{table}: ") for item in package.directory.ignored)
    assert [r.source_id for r in package.directory.opportunities] == [record.source_id]
