"""The Open Referral reader and writer (pure: no database), on the real example files and on made-up records."""

import copy
import dataclasses
import json
from datetime import date, time
from decimal import Decimal

import pytest

from connecting_people.community import hsds
from connecting_people.community.hsds import vocabulary
from connecting_people.community.hsds.export import published_id
from connecting_people.community.hsds.schedules import (
    ScheduleProblem,
    meetings_in_words,
    read_schedule,
    sessions_in_words,
)
from connecting_people.community.models import Opportunity, Organisation
from connecting_people.community.tests.openreferral import (
    DASHBOARD,
    HSDS,
    ORGANISATION_ID,
    ORUK,
    SERVICE_ID,
    needs_fixtures,
)

THURSDAY_AND_FRIDAY = (
    hsds.SessionRecord(3, time(10), time(18)),
    hsds.SessionRecord(4, time(10), time(18)),
)


def read(path):
    return hsds.read_json(json.loads(path.read_text(encoding="utf-8")), where=path.name)


def csv_package():
    return {path.name: path.read_text(encoding="utf-8") for path in (HSDS / "csv").glob("*.csv")}


# --- the real examples ------------------------------------------------------------------------------------


@needs_fixtures
class TestRealExamples:
    def test_a_full_hsds_service(self):
        directory = read(HSDS / "service_full.json")
        (record,) = directory.opportunities
        assert record.source_id == SERVICE_ID
        assert record.name == "Community Counselling"
        assert record.organisation_id == ORGANISATION_ID
        assert record.address == "MyCity Civic Center, 1-30 Main Street, MyVillage, MyCity, MyRegion, MyState"
        assert record.postcode == "ABC 1234"
        assert record.sessions == THURSDAY_AND_FRIDAY  # byday TH,FR, 10:00 to 18:00
        assert record.schedule.startswith("The service is available from 10 am to 6pm weekdays.")
        assert record.cost == "paid"  # the one cost option is £35
        assert record.cost_details.startswith("Non-NHS patients are expected to pay")  # fees_description
        assert record.contact_name == "Ann Persona"
        assert record.contact_phone == "+44 1234 234567 ext. 100"  # the quotation marks around it are dropped
        assert record.contact_email == "email@example.com"
        assert record.website == "http://example.com/counselling"
        assert record.last_verified_on == date(2005, 1, 1)
        assert record.accessibility.startswith("The building is equipped with induction loops")
        assert record.active is True
        assert (record.category, record.interests) == ("other", ())  # its one term is called "name"
        (organisation,) = directory.organisations
        assert (organisation.name, organisation.phone) == ("Example Organization Inc.", "+44 1234 234567")

    def test_the_examples_latitude_of_100_is_rejected_but_the_service_kept(self):
        directory = read(HSDS / "service_full.json")
        assert directory.opportunities[0].latitude is None and directory.opportunities[0].longitude is None
        (rejection,) = directory.rejections
        assert rejection.as_dict() == {
            "where": "service_full.json",
            "record": "location 3a19ff88-4620-4d17-9830-ac1d859eb5d5",
            "reason": "latitude 100 is outside -90 to 90",
            "left_out": "its coordinates",
        }

    def test_the_uk_profile_service_uses_its_cost_options_when_there_is_no_fees_description(self):
        (record,) = read(ORUK / "service_full.json").opportunities
        assert (record.cost, record.cost_details) == (
            "paid",
            "£35 per 1 hour session (Under 18s and Over 60s)",
        )
        assert record.sessions == THURSDAY_AND_FRIDAY
        assert record.contact_name == "Ann Persona"

    @pytest.mark.parametrize(
        "path",
        [
            HSDS / "service_list.json",
            ORUK / "service_list.json",
            HSDS / "organization_full.json",
            ORUK / "organization_full.json",
            ORUK / "service_at_location_full.json",
        ],
        ids=lambda path: f"{path.parent.name}/{path.name}",
    )
    def test_every_shape_of_document_gives_the_same_service(self, path):
        directory = read(path)
        (record,) = directory.opportunities
        assert (record.source_id, record.name, record.organisation_id) == (
            SERVICE_ID,
            "Community Counselling",
            ORGANISATION_ID,
        )
        assert [o.source_id for o in directory.organisations] == [ORGANISATION_ID]

    def test_an_organization_document_lends_its_organisation_to_its_services(self):
        (record,) = read(ORUK / "organization_full.json").opportunities
        assert record.organisation_id == ORGANISATION_ID
        assert record.sessions == THURSDAY_AND_FRIDAY

    def test_a_service_at_location_gives_its_location_to_the_service(self):
        (record,) = read(ORUK / "service_at_location_full.json").opportunities
        assert record.address.startswith("MyCity Civic Center, 1-30 Main Street")

    def test_a_page_of_services_gives_what_the_page_has(self):
        (record,) = read(HSDS / "service_list.json").opportunities
        assert record.sessions == () and record.address == ""  # a page leaves those to the full record
        assert hsds.is_partial(json.loads((HSDS / "service_list.json").read_text())["contents"][0])
        assert not hsds.is_partial(json.loads((HSDS / "service_full.json").read_text()))

    @pytest.mark.parametrize(
        "path, message",
        [
            (HSDS / "taxonomy_term_list.json", "is a page of taxonomy terms, not of services"),
            (ORUK / "taxonomy_term_list.json", "is a page of taxonomy terms, not of services"),
            (HSDS / "location.json", "but found a location"),
            (DASHBOARD, "is a JSON list, but not of HSDS services"),
        ],
        ids=lambda value: getattr(value, "name", ""),
    )
    def test_documents_that_are_not_services_are_refused(self, path, message):
        with pytest.raises(hsds.NotHSDSError, match=message):
            read(path)

    def test_the_csv_package_joins_its_tables(self):
        directory = hsds.read_tables(csv_package())
        (record,) = directory.opportunities
        assert record.source_id == SERVICE_ID
        assert record.organisation_id == ORGANISATION_ID
        assert record.address == "MyCity Civic Center, 1-30 Main Street, MyVillage, MyCity, MyRegion, MyState"
        assert record.sessions == THURSDAY_AND_FRIDAY
        assert record.cost == "paid"
        assert record.contact_phone == "+44 1234 234567 ext. 100"
        assert record.accessibility.endswith(
            "Switch hearing aid to T-coil to access the induction loop facility."
        )
        # The example's attribute links to an id that is nowhere in the package, and its location has a latitude
        # of 100: both are reported with the file and line they are on.
        assert [(r.where, r.record, r.left_out) for r in directory.rejections] == [
            ("attributes.csv:2", "attribute ae58cc39-8b70-4ab1-8aea-786882e5ac8e", "this attribute"),
            ("locations.csv:2", "location 3a19ff88-4620-4d17-9830-ac1d859eb5d5", "its coordinates"),
        ]

    def test_the_csv_package_and_the_json_service_agree(self):
        from_csv = hsds.read_tables(csv_package()).opportunities[0]
        from_json = read(HSDS / "service_full.json").opportunities[0]
        assert from_csv == from_json

    def test_a_csv_package_without_services_is_refused(self):
        files = csv_package()
        del files["services.csv"]
        with pytest.raises(hsds.NotHSDSError, match="no services.csv"):
            hsds.read_tables(files)

    def test_reading_is_the_same_every_time(self):
        assert read(HSDS / "service_full.json") == read(HSDS / "service_full.json")


# --- records that break the rules -------------------------------------------------------------------------


def service(**changes):
    base = {
        "id": "s1",
        "name": "Riverside Walking Group",
        "status": "active",
        "organization": {"id": "o1", "name": "Riverside Trust"},
    }
    return base | changes


def one(document, **kwargs) -> hsds.Directory:
    return hsds.read_json(document, where="test.json", **kwargs)


def test_services_without_an_id_or_a_name_are_rejected_with_the_reason():
    directory = one([service(id=""), service(id="s2", name="  "), service(id="s3")])
    assert [r.source_id for r in directory.opportunities] == ["s3"]
    assert [(r.record, r.reason, r.left_out) for r in directory.rejections] == [
        ("service 'Riverside Walking Group'", "has no id", "the service"),
        ("service s2", "has no name", "the service"),
    ]


def test_a_repeated_id_keeps_the_first():
    directory = one([service(), service(name="Another name")])
    assert [r.name for r in directory.opportunities] == ["Riverside Walking Group"]
    assert directory.rejections[0].reason == "its id is used again (first at test.json)"


def test_a_name_too_long_to_keep_rejects_the_service():
    directory = one([service(name="x" * 201)])
    assert directory.opportunities == ()
    assert directory.rejections[0].reason == "its name is longer than 200 characters"


def test_bad_values_are_left_out_and_the_rest_kept():
    directory = one(
        [
            service(
                url="not a web address",
                email="nobody",
                status="paused",
                assured_date="yesterday",
                cost_options=[{"id": "c1", "amount": "a few pounds"}],
                schedules=[{"id": "sch1", "byday": "XX", "opens_at": "10:00"}],
            )
        ]
    )
    (record,) = directory.opportunities
    assert (record.website, record.contact_email, record.active) == ("", "", True)
    assert (record.last_verified_on, record.cost, record.sessions) == (None, "unknown", ())
    assert {(r.record, r.left_out) for r in directory.rejections} == {
        ("service s1", "its website"),
        ("service s1", "its email"),
        ("service s1", "its status"),
        ("service s1", "its last-verified date"),
        ("cost option c1", "this cost option"),
        ("schedule sch1", "this schedule"),
    }


@pytest.mark.parametrize(
    "status, active", [("active", True), ("inactive", False), ("defunct", False), ("", True)]
)
def test_status(status, active):
    assert one([service(status=status)]).opportunities[0].active is active


def test_an_organisation_repeated_under_many_services_is_reported_once():
    bad = {"id": "o1", "name": "Trust", "website": "ftp://nope"}
    directory = one([service(id=f"s{n}", organization=bad) for n in range(50)])
    assert len(directory.opportunities) == 50
    assert [r.record for r in directory.rejections] == ["organisation o1"]


def test_an_organisation_without_a_name_is_not_linked():
    (record,) = one([service(organization={"id": "o9"})]).opportunities
    assert record.organisation_id is None


def test_the_fuller_copy_of_an_organisation_fills_the_gaps_of_the_short_one():
    short = {"id": "o1", "name": "Trust"}
    full = {
        "id": "o1",
        "name": "Trust",
        "email": "hello@trust.example.org",
        "phones": [{"number": "01632 960001"}],
    }
    directory = one([service(id="s1", organization=short), service(id="s2", organization=full)])
    (organisation,) = directory.organisations
    assert (organisation.email, organisation.phone) == ("hello@trust.example.org", "01632 960001")


def test_the_first_location_with_a_place_is_used():
    locations = [
        {"location": {"id": "online", "location_type": "virtual"}},
        {
            "location": {
                "id": "hall",
                "name": "St Anne's Hall",
                "latitude": "53.95",
                "longitude": "-1.08",
                "addresses": [
                    {"address_1": "1 Church Lane", "city": "Connecting Town", "postal_code": "cp31ab"}
                ],
            }
        },
    ]
    (record,) = one([service(service_at_locations=locations)]).opportunities
    assert record.address == "St Anne's Hall, 1 Church Lane, Connecting Town"
    assert record.postcode == "CP3 1AB"  # a UK postcode is written the usual way
    assert (record.latitude, record.longitude) == (53.95, -1.08)


# --- schedules --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "schedule, problem",
    [
        ({"byday": "MO,XX"}, "'XX', which is not a day"),
        ({"byday": "MO", "opens_at": "25:00"}, "opens_at '25:00' is not a time"),
        (
            {"byday": "MO", "opens_at": "18:00", "closes_at": "10:00"},
            "closes_at 10:00 is not after opens_at 18:00",
        ),
        ({"freq": "DAILY", "byday": "MO"}, "freq 'DAILY' is not WEEKLY or MONTHLY"),
        ({"freq": "WEEKLY", "byday": "2MO"}, "counts weeks of a month, but freq is not MONTHLY"),
        ({"freq": "MONTHLY", "byday": "7MO"}, "is not a week of the month"),
        ({"weekday": "Funday"}, "is not a day of the week"),
    ],
)
def test_schedules_that_cannot_be_read(schedule, problem):
    with pytest.raises(ScheduleProblem, match=problem):
        read_schedule(schedule)


def test_schedules_in_words():
    weekly = read_schedule({"freq": "WEEKLY", "byday": "TU,TH", "opens_at": "10:00", "closes_at": "12:00:00"})
    monthly = read_schedule(
        {"freq": "MONTHLY", "byday": "1MO,-1FR", "opens_at": "18:30Z", "closes_at": "20:00"}
    )
    assert [s.weekday for s in weekly.sessions()] == [1, 3]
    assert [s.weekday for s in monthly.sessions()] == [0, 4]
    assert meetings_in_words([weekly, monthly]) == (
        "Tuesdays and Thursdays, 10am to midday; The first Monday and last Friday of the month, 6:30pm to 8pm"
    )
    assert read_schedule({"description": "Ring first"}) is None  # no day: words only
    assert read_schedule({"weekday": "Wednesday", "opens_at": "09:00"}).sessions() == [
        hsds.SessionRecord(2, time(9), None)
    ]


def test_sessions_with_the_same_times_are_said_together():
    sessions = [
        hsds.SessionRecord(0, time(10), time(12)),
        hsds.SessionRecord(2, time(10), time(12)),
        hsds.SessionRecord(4, time(19), time(21)),
        hsds.SessionRecord(5, None, None),
    ]
    assert sessions_in_words(sessions) == (
        "Mondays and Wednesdays, 10am to midday; Fridays, 7pm to 9pm; Saturdays"
    )


def test_schedule_words_come_from_descriptions_when_there_are_any():
    schedules = [
        {
            "id": "a",
            "byday": "MO",
            "opens_at": "10:00",
            "closes_at": "12:00",
            "description": "Mondays, not in August.",
        },
        {"id": "b", "byday": "WE", "opens_at": "10:00", "closes_at": "12:00"},
    ]
    (record,) = one([service(schedules=schedules)]).opportunities
    assert record.schedule == "Mondays, not in August."
    assert [s.weekday for s in record.sessions] == [0, 2]


# --- vocabulary -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "terms, name, expected",
    [
        ([("lga", "Allotments")], "Green Fingers", ("nature", ["gardening"])),
        ([("openactive", "Walking football")], "Sunday group", ("sport", ["football", "walking"])),
        ([("x", "Peer support")], "Hearing Voices", ("peer_support", [])),
        ([("x", "Adult education"), ("x", "Knitting")], "Knit", ("learning", ["crafts"])),
        ([("x", "Heart health")], "Heart Club", ("other", [])),  # "art" is not in "heart"
        ([], "Riverside Gardening Club", ("nature", ["gardening"])),  # from the name when no term says
        ([], "Community Counselling", ("other", [])),
        (
            [
                (vocabulary.OWN_CATEGORY_TAXONOMY, "faith"),
                (vocabulary.OWN_INTEREST_TAXONOMY, "Singing"),
                ("x", "Football"),
            ],
            "Choir",
            ("faith", ["singing"]),
        ),
    ],
)
def test_taxonomy_terms_to_category_and_interests(terms, name, expected):
    assert vocabulary.classify(terms, service_name=name) == expected


@pytest.mark.parametrize(
    "amounts, cost",
    [
        ([], "unknown"),
        ([Decimal(0)], "free"),
        ([Decimal("4.99")], "low"),
        ([Decimal(5)], "paid"),
        ([Decimal(10), Decimal(0)], "free"),
    ],
)
def test_the_cheapest_cost_option_decides(amounts, cost):
    assert vocabulary.cost_from_amounts(amounts) == cost


def test_interests_named_by_the_vocabulary_fit_an_interest_field():
    assert all(len(name) <= hsds.LIMITS["interest"] for name in vocabulary.INTERESTS)
    assert {category for category, _ in vocabulary.INTERESTS.values()} <= set(hsds.CATEGORIES)
    assert {category for category, _ in vocabulary.CATEGORY_WORDS} <= set(hsds.CATEGORIES)


def test_limits_and_choices_match_the_models():
    opportunity = {
        field.name: field for field in Opportunity._meta.get_fields() if hasattr(field, "max_length")
    }
    for name in ("name", "address", "postcode", "schedule", "cost_details", "contact_name", "contact_phone"):
        assert hsds.LIMITS[name] == opportunity[name].max_length, name
    assert hsds.LIMITS["website"] == opportunity["website"].max_length
    assert hsds.LIMITS["source_id"] == opportunity["source_id"].max_length
    assert hsds.LIMITS["organisation_name"] == Organisation._meta.get_field("name").max_length
    assert hsds.LIMITS["organisation_phone"] == Organisation._meta.get_field("phone").max_length
    from connecting_people.community.models import Interest

    assert hsds.LIMITS["interest"] == Interest._meta.get_field("name").max_length
    assert set(hsds.CATEGORIES) == set(Opportunity.Category.values)
    assert set(hsds.COSTS) == set(Opportunity.Cost.values)


# --- export and back --------------------------------------------------------------------------------------


def full_record(**changes) -> hsds.OpportunityRecord:
    values = dict(
        source_id="r1",
        name="Riverside  Walking Group",
        organisation_id="o1",
        description="A gentle walk.\n\nTea afterwards.",
        category="sport",
        address="Riverside Hall, 1 Mill Lane",
        postcode="CP3 1AB",
        latitude=53.95123,
        longitude=-1.08456,
        schedule="Tuesdays at 10, not in August",
        cost="low",
        cost_details="£2 a walk",
        accessibility="Step-free",
        contact_name="Sam",
        contact_phone="01632 960001",
        contact_email="sam@riverside.example.org",
        website="https://riverside.example.org",
        last_verified_on=date(2026, 2, 1),
        active=False,
        interests=("history", "walking"),
        sessions=(
            hsds.SessionRecord(1, time(10), time(12)),
            hsds.SessionRecord(3, time(10), time(12)),
            hsds.SessionRecord(5, time(9, 30, 15), None),
            hsds.SessionRecord(6, None, None),
        ),
    )
    values.update(changes)
    values["name"] = " ".join(values["name"].split())
    return hsds.OpportunityRecord(**values)


ORGANISATION = hsds.OrganisationRecord(
    "o1",
    "Riverside Trust",
    "Walks and talks",
    "https://trust.example.org",
    "hi@trust.example.org",
    "01632 960000",
)


@pytest.mark.parametrize(
    "record",
    [
        full_record(),
        full_record(
            source_id="r2", organisation_id=None, cost="free", cost_details="", schedule="", sessions=()
        ),
        full_record(source_id="r3", address="", postcode="", latitude=None, longitude=None, accessibility=""),
        full_record(
            source_id="r4", category="other", interests=(), cost="unknown", schedule="Ring first", sessions=()
        ),
        hsds.OpportunityRecord(source_id="r5", name="Just a name"),
    ],
    ids=["everything", "free, no schedule", "no place", "words only", "name only"],
)
def test_an_export_reads_back_exactly(record):
    """Everything but what Open Referral UK 3.0 has no place for (phone numbers); ids that are not UUIDs come
    back as the UUIDs they were published under."""
    directory = hsds.Directory(organisations=(ORGANISATION,), opportunities=(record,))
    document = json.loads(json.dumps(hsds.service_list(directory)))
    again = hsds.read_json(document, where="export.json")
    assert again.rejections == ()
    assert again.opportunities == (as_published(record),)
    if record.organisation_id:
        assert again.organisations == (as_published(ORGANISATION),)


def as_published(record):
    """A record as an export reads back: ids as published (UUIDs), no phone numbers (ORUK 3.0 has none)."""
    if isinstance(record, hsds.OrganisationRecord):
        return dataclasses.replace(record, source_id=published_id(record.source_id), phone="")
    return dataclasses.replace(
        record,
        source_id=published_id(record.source_id),
        organisation_id=published_id(record.organisation_id) if record.organisation_id else None,
        contact_phone="",
    )


def test_an_export_is_a_page_of_full_services_in_a_stable_order():
    records = (full_record(source_id="b"), full_record(source_id="a"))
    document = hsds.service_list(hsds.Directory(organisations=(ORGANISATION,), opportunities=records))
    assert [service["id"] for service in document["contents"]] == [published_id("a"), published_id("b")]
    assert document["total_items"] == 2 and document["total_pages"] == 1
    first = document["contents"][0]
    assert first["status"] == "inactive"
    assert first["schedules"][0] | {} == {
        "id": first["schedules"][0]["id"],
        "service_id": published_id("a"),
        "freq": "WEEKLY",
        "byday": "TU,TH",
        "opens_at": "10:00",
        "closes_at": "12:00",
        "description": "Tuesdays at 10, not in August",
    }
    assert not hsds.is_partial(first)
    assert hsds.service_list(hsds.Directory(opportunities=records)) == hsds.service_list(
        hsds.Directory(opportunities=tuple(reversed(records)))
    )


@needs_fixtures
def test_the_example_service_survives_an_export_and_a_second_reading():
    first = read(HSDS / "service_full.json")
    exported = json.loads(
        json.dumps(hsds.service_list(hsds.Directory(first.organisations, first.opportunities)))
    )
    again = hsds.read_json(copy.deepcopy(exported), where="export.json")
    assert again.opportunities == tuple(as_published(record) for record in first.opportunities)
    assert again.organisations == tuple(as_published(record) for record in first.organisations)


def test_a_feed_shaped_like_open_referral_uk_before_3_0_is_read_the_same_way():
    """Made up in the shape of a v1 feed (no licensed example exists): `content`, `regular_schedules` with a
    weekday, `physical_addresses` and `service_taxonomys`."""
    page = {
        "totalPages": 1,
        "content": [
            {
                "id": "v1-7",
                "name": "Thursday Walk",
                "status": "active",
                "regular_schedules": [
                    {"id": "r1", "weekday": "Thursday", "opens_at": "10:30", "closes_at": "12:00"}
                ],
                "service_at_locations": [
                    {
                        "location": {
                            "id": "l1",
                            "name": "Park gates",
                            "latitude": 53.96,
                            "longitude": -1.08,
                            "physical_addresses": [{"address_1": "Park Road", "postal_code": "cp1 2ab"}],
                        }
                    }
                ],
                "service_taxonomys": [
                    {"id": "t1", "taxonomy": {"name": "Walking", "vocabulary": "esdActivities"}}
                ],
            }
        ],
    }
    assert hsds.page_of_services(page, where="v1")[1] == 1
    (record,) = one(page).opportunities
    assert record.sessions == (hsds.SessionRecord(3, time(10, 30), time(12)),)
    assert (record.address, record.postcode) == ("Park gates, Park Road", "CP1 2AB")
    assert (record.category, record.interests) == ("sport", ("walking",))
    assert record.schedule == "Thursdays, 10:30am to midday"
