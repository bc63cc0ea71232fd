"""What we publish as Open Referral (the `community export` file) validates against the compiled HSDS 3.0 and
ORUK 3.0 schemas, with unknown fields allowed and disallowed (tests/openreferral.py: `problems`), and every id
in it is a UUID, the same every time."""

import json
import uuid

import pytest

from connecting_people.community import hsds
from connecting_people.community.hsds import export
from connecting_people.community.tests.factories import OpportunityFactory, OrganisationFactory
from connecting_people.community.tests.openreferral import HSDS, ORUK, needs_fixtures, needs_schemas, problems
from connecting_people.synthetic.community import hsds_services, service_list

pytestmark = needs_schemas


def exported(directory: hsds.Directory) -> dict:
    return json.loads(json.dumps(hsds.service_list(directory)))


def all_problems(document: dict) -> list[str]:
    return [problem for service in document["contents"] for problem in problems(service, "service")]


def test_the_strict_form_disallows_unknown_fields():
    """The check itself: a field neither profile has is refused only when unknown fields are disallowed."""
    service = {"id": str(uuid.uuid4()), "name": "A", "status": "active", "made_up": 1}
    found = problems(service, "service")
    assert found and all("strict" in problem and "made_up" in problem for problem in found)
    assert len(found) == 2  # once for each profile


def test_the_synthetic_directory_exports_valid_services():
    directory = hsds.read_json(service_list(hsds_services(count=60, seed=7)), where="synthetic")
    document = exported(directory)
    assert len(document["contents"]) == 60
    assert all_problems(document) == []


@needs_fixtures
@pytest.mark.parametrize(
    "path",
    [
        HSDS / "service_full.json",
        HSDS / "service_list.json",
        HSDS / "organization_full.json",
        ORUK / "service_full.json",
        ORUK / "service_list.json",
        ORUK / "organization_full.json",
        ORUK / "service_at_location_full.json",
    ],
    ids=lambda path: f"{path.parent.name}/{path.name}",
)
def test_the_real_examples_export_valid_services(path):
    directory = hsds.read_json(json.loads(path.read_text(encoding="utf-8")), where=path.name)
    document = exported(directory)
    assert document["contents"] and all_problems(document) == []


def test_ids_that_are_not_uuids_are_published_as_stable_uuids():
    organisation = hsds.OrganisationRecord("org-7", "Riverside Trust")
    record = hsds.OpportunityRecord(source_id="syn7-3", name="Walk", organisation_id="org-7")
    kept = hsds.OpportunityRecord(source_id="AC148810-D857-441C-9679-408F346DE14B", name="Counselling")
    document = exported(hsds.Directory(organisations=(organisation,), opportunities=(record, kept)))
    by_name = {service["name"]: service for service in document["contents"]}
    walk = by_name["Walk"]
    assert walk["id"] == str(uuid.uuid5(export.ID_NAMESPACE, "syn7-3")) == export.published_id("syn7-3")
    assert by_name["Counselling"]["id"] == kept.source_id  # a UUID is kept as it is
    assert walk["organization"]["id"] == walk["organization_id"] == export.published_id("org-7")
    # The organisation's own id is kept as an identifier (a service has no place for one).
    assert walk["organization"]["organization_identifiers"][0]["identifier"] == "org-7"
    assert exported(hsds.Directory(organisations=(organisation,), opportunities=(record, kept))) == document
    assert all_problems(document) == []


def test_what_open_referral_uk_has_no_place_for_is_left_out():
    """ORUK 3.0 has no phone numbers, fees_description, link_entity, term code or cost currency: none are
    written. The contact's email is the service's; the cost details are its `fees`."""
    organisation = hsds.OrganisationRecord("o1", "Trust", phone="01632 960000")
    record = hsds.OpportunityRecord(
        source_id="r1",
        name="Lunch club",
        organisation_id="o1",
        cost="free",
        cost_details="Free, donations welcome",
        contact_name="Sam",
        contact_phone="01632 960001",
        contact_email="sam@example.org",
    )
    text = json.dumps(exported(hsds.Directory(organisations=(organisation,), opportunities=(record,))))
    for absent in ("01632", "fees_description", "link_entity", '"code"', "currency", "phones"):
        assert absent not in text
    (service,) = json.loads(text)["contents"]
    assert service["email"] == "sam@example.org" and service["fees"] == "Free, donations welcome"
    assert service["contacts"] == [
        {"id": service["contacts"][0]["id"], "service_id": service["id"], "name": "Sam"}
    ]
    assert service["organization"]["description"] == ""  # required: present even when we have none


@pytest.mark.django_db
def test_the_export_command_writes_a_valid_file(tmp_path):
    from connecting_people.community.tests.test_cli import run

    organisation = OrganisationFactory(name="Kept by hand")
    OpportunityFactory(organisation=organisation, interests=["walking"], sessions=[(1, "10:00", "12:00")])
    OpportunityFactory(source="feed", source_id="not-a-uuid", active=False)
    out_file = tmp_path / "directory.json"
    run("community", "export", out=str(out_file))
    document = json.loads(out_file.read_text(encoding="utf-8"))
    assert len(document["contents"]) == 2
    assert all_problems(document) == []
