"""Writes to the directory: opportunities by hand (validated, audited, refused when stale) and imports
(idempotent by source id, all or nothing, one audit event of counts)."""

import dataclasses
import json
from datetime import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from connecting_people.accounts.actor import as_actor
from connecting_people.audit.models import AuditEvent
from connecting_people.community import hsds, selectors, services
from connecting_people.community.hsds.export import published_id
from connecting_people.community.models import Interest, Opportunity, Organisation, Session
from connecting_people.community.services import OpportunityData
from connecting_people.community.tests.openreferral import HSDS, SERVICE_ID, needs_fixtures
from connecting_people.core.errors import NotAllowedError, ServiceError, StaleRecordError
from connecting_people.synthetic.community import hsds_services, service_list

pytestmark = pytest.mark.django_db


def synthetic(count=20, seed=7, **kwargs) -> hsds.Directory:
    return hsds.read_json(
        service_list(hsds_services(count=count, seed=seed, **kwargs)), where="synthetic.json"
    )


def snapshot():
    """Everything an import could touch, to compare before and after."""
    return (
        list(Organisation.objects.order_by("id").values()),
        list(Opportunity.objects.order_by("id").values()),
        sorted(Interest.objects.values_list("opportunity_id", "name")),
        sorted(Session.objects.values_list("opportunity_id", "weekday", "starts_at", "ends_at"), key=str),
        AuditEvent.objects.count(),
    )


# --- import -----------------------------------------------------------------------------------------------


@needs_fixtures
def test_importing_the_example_csv_package_twice_changes_nothing_the_second_time():
    records = hsds.read_tables({p.name: p.read_text() for p in (HSDS / "csv").glob("*.csv")})
    first = services.directory_import(records=records, source="csv")
    assert (first.created, first.updated, first.unchanged) == (1, 0, 0)
    assert first.organisations_created == 1
    opportunity = Opportunity.objects.get(source="csv", source_id=SERVICE_ID)
    assert opportunity.organisation.name == "Example Organization Inc."
    assert sorted(opportunity.sessions.values_list("weekday", flat=True)) == [3, 4]
    before = snapshot()

    second = services.directory_import(records=records, source="csv")

    assert (second.created, second.updated, second.unchanged) == (0, 0, 1)
    assert second.organisations_unchanged == 1
    after = snapshot()
    assert after[:4] == before[:4]  # not even updated_at moved
    assert after[4] == before[4] + 1  # only the import's own summary event
    event = AuditEvent.objects.latest("id")
    assert event.action == "community.imported"
    assert event.summary == {
        "created": 0,
        "updated": 0,
        "unchanged": 1,
        "rejected": 0,  # services rejected whole
        "problems": 2,  # values left out (the example's latitude of 100 and a dangling attribute)
        "organisations_created": 0,
        "organisations_updated": 0,
    }
    assert event.object_id == services.source_key("csv") and event.person_id is None


def test_a_changed_record_is_updated_and_its_version_moves_on():
    services.directory_import(records=synthetic(), source="feed")
    target = Opportunity.objects.get(source="feed", source_id="syn7-3")
    records = synthetic()
    changed = [
        hsds.OpportunityRecord(
            **(
                vars(record)
                | {
                    "name": "Renamed group",
                    "interests": ("chess",),
                    "sessions": (hsds.SessionRecord(6, time(11)),),
                }
            )
        )
        if record.source_id == "syn7-3"
        else record
        for record in records.opportunities
    ]
    report = services.directory_import(
        records=hsds.Directory(records.organisations, tuple(changed), records.rejections), source="feed"
    )
    assert (report.created, report.updated, report.unchanged) == (0, 1, 19)
    target.refresh_from_db()
    assert (target.name, target.version) == ("Renamed group", 2)
    assert list(target.interests.values_list("name", flat=True)) == ["chess"]
    assert list(target.sessions.values_list("weekday", "starts_at", "ends_at")) == [(6, time(11), None)]


def test_the_same_ids_from_another_source_are_other_records():
    services.directory_import(records=synthetic(count=5), source="one")
    report = services.directory_import(records=synthetic(count=5), source="two")
    assert report.created == 5
    assert Opportunity.objects.count() == 10


def test_rejections_are_reported_and_the_good_records_imported():
    document = {
        "contents": [
            {"id": "a", "name": "Walking group", "status": "active"},
            {"id": "", "name": "No id", "status": "active"},
            {"id": "c", "name": "Choir", "schedules": [{"id": "bad", "byday": "Moonday"}]},
        ]
    }
    report = services.directory_import(
        records=hsds.read_json(document, where="page.json"), source="page.json"
    )
    assert report.created == 2
    assert [(r["record"], r["left_out"]) for r in report.as_dict()["rejections"]] == [
        ("service 'No id'", "the service"),
        ("schedule bad", "this schedule"),
    ]
    assert report.as_dict()["rejected"] == 1  # services, not problems
    assert report.as_dict()["rejected_services"] == [
        {"id": "", "name": "No id", "where": "page.json", "reasons": ["has no id"]}
    ]


def test_an_import_that_fails_half_way_saves_nothing(monkeypatch):
    services.directory_import(records=synthetic(count=5, seed=1), source="feed")
    before = snapshot()
    calls = {"count": 0}
    real = services._opportunity_values

    def failing(record, organisations):
        calls["count"] += 1
        if calls["count"] == 12:
            raise RuntimeError("the disk is full")
        return real(record, organisations)

    monkeypatch.setattr(services, "_opportunity_values", failing)
    with pytest.raises(RuntimeError):
        services.directory_import(records=synthetic(count=20, seed=2), source="feed")
    assert calls["count"] == 12
    assert snapshot() == before  # no organisation, opportunity, interest, session or audit event


def test_an_import_needs_a_source():
    with pytest.raises(ServiceError, match="Say where the records come from"):
        services.directory_import(records=synthetic(count=1), source="  ")
    assert not Opportunity.objects.exists()


def test_an_import_writes_in_bulk():
    with CaptureQueriesContext(connection) as captured:
        report = services.directory_import(records=synthetic(count=300), source="feed")
    assert report.created == 300
    assert len(captured.captured_queries) < 60  # not one query (or five) per record


def test_an_export_imports_back_to_the_same_records(org):
    services.directory_import(records=synthetic(count=25), source="feed")
    services.opportunity_create(
        actor=as_actor(org.practitioner),
        data=OpportunityData(
            name="Tuesday Lunch Club",
            interests=("cooking",),
            cost="free",
            sessions=(hsds.SessionRecord(1, time(12), time(14)),),
        ),
    )
    exported = selectors.directory_for_export()
    document = json.loads(json.dumps(hsds.service_list(exported)))

    first = services.directory_import(
        records=hsds.read_json(document, where="export.json"), source="export.json"
    )
    again = services.directory_import(
        records=hsds.read_json(document, where="export.json"), source="export.json"
    )

    assert (first.created, first.rejections, again.unchanged, again.updated) == (26, (), 26, 0)
    copies = {
        opportunity.source_id: selectors.record_of(
            opportunity,
            source_id=opportunity.source_id,
            organisation_id=opportunity.organisation.source_id if opportunity.organisation else None,
        )
        for opportunity in selectors._with_details(Opportunity.objects.filter(source="export.json"))
    }
    # Ids come back as published (UUIDs), phone numbers not at all (Open Referral UK 3.0 has no place for them).
    assert sorted(copies) == sorted(published_id(record.source_id) for record in exported.opportunities)
    for record in exported.opportunities:
        assert copies[published_id(record.source_id)] == dataclasses.replace(
            record,
            source_id=published_id(record.source_id),
            organisation_id=published_id(record.organisation_id) if record.organisation_id else None,
            contact_phone="",
        )


# --- by hand ----------------------------------------------------------------------------------------------


def test_adding_an_opportunity_by_hand(org):
    opportunity = services.opportunity_create(
        actor=as_actor(org.practitioner),
        data=OpportunityData(
            name="  Tuesday   Lunch Club ",
            organisation_name="Riverside Trust",
            category="social",
            postcode="cp3 1ab",
            latitude=53.95,
            longitude=-1.08,
            interests=("Cooking", "cooking", "chess"),
            sessions=(hsds.SessionRecord(1, time(12), time(14)),),
        ),
    )
    assert opportunity.name == "Tuesday Lunch Club"
    assert opportunity.postcode == "CP3 1AB"
    assert opportunity.schedule == "Tuesdays, midday to 2pm"  # written from the sessions when left blank
    assert sorted(opportunity.interests.values_list("name", flat=True)) == ["chess", "cooking"]
    assert (opportunity.source, opportunity.organisation.source) == ("", "")
    event = AuditEvent.objects.latest("id")
    assert (event.action, event.object_id, event.actor_id) == (
        "opportunity.created",
        str(opportunity.pk),
        org.practitioner.pk,
    )
    assert event.summary == {
        "category": "social",
        "cost": "unknown",
        "organisation_id": opportunity.organisation_id,
        "interests": 2,
        "meeting_times": 1,
    }
    # The organisation is found again by its name, whatever the case.
    again = services.opportunity_create(
        actor=as_actor(org.lead), data=OpportunityData(name="Quiz night", organisation_name="riverside TRUST")
    )
    assert again.organisation_id == opportunity.organisation_id


@pytest.mark.parametrize(
    "data, field",
    [
        (OpportunityData(name=" "), "name"),
        (OpportunityData(name="x", latitude=95.0, longitude=1.0), "latitude"),
        (OpportunityData(name="x", latitude=50.0), "latitude"),
        (OpportunityData(name="x", category="astrology"), "category"),
        (OpportunityData(name="x", interests=tuple(f"i{n}" for n in range(21))), "interests"),
        (OpportunityData(name="x", sessions=(hsds.SessionRecord(1, time(12), time(11)),)), "ends_at"),
        (OpportunityData(name="x", postcode="NOT A POSTCODE"), "postcode"),
    ],
)
def test_what_cannot_be_stored_is_refused_and_nothing_saved(org, data, field):
    with pytest.raises(ServiceError) as refused:
        services.opportunity_create(actor=as_actor(org.practitioner), data=data)
    assert refused.value.field == field
    assert not Opportunity.objects.exists() and not AuditEvent.objects.exists()


@pytest.mark.parametrize("role", ["implementation_lead", "researcher", "no_role"])
def test_only_roles_that_edit_may_add(org, role):
    with pytest.raises(NotAllowedError):
        services.opportunity_create(actor=as_actor(getattr(org, role)), data=OpportunityData(name="Walk"))
    assert not Opportunity.objects.exists()


def test_changing_an_opportunity(org):
    opportunity = services.opportunity_create(
        actor=as_actor(org.practitioner),
        data=OpportunityData(
            name="Walk",
            sessions=(hsds.SessionRecord(0, time(10), time(11)), hsds.SessionRecord(2, time(18), time(19))),
        ),
    )
    events = AuditEvent.objects.count()
    unchanged = services.opportunity_update(
        actor=as_actor(org.lead),
        opportunity_id=opportunity.pk,
        expected_version=1,
        data=OpportunityData(name="Walk", schedule=opportunity.schedule, sessions=None),
    )
    assert unchanged.version == 1 and AuditEvent.objects.count() == events  # nothing to save, nothing written

    changed = services.opportunity_update(
        actor=as_actor(org.lead),
        opportunity_id=opportunity.pk,
        expected_version=1,
        data=OpportunityData(name="Evening walk", schedule=opportunity.schedule, active=False, sessions=None),
    )
    assert (changed.name, changed.active, changed.version) == ("Evening walk", False, 2)
    assert changed.sessions.count() == 2  # sessions=None kept them
    event = AuditEvent.objects.latest("id")
    assert event.summary == {
        "fields": ["active", "name"],
        "category": "other",
        "cost": "unknown",
        "active": False,
        "version": 2,
    }

    with pytest.raises(StaleRecordError):
        services.opportunity_update(
            actor=as_actor(org.practitioner),
            opportunity_id=opportunity.pk,
            expected_version=1,
            data=OpportunityData(name="Old"),
        )
    opportunity.refresh_from_db()
    assert opportunity.name == "Evening walk"


def test_editing_an_imported_opportunity_keeps_its_organisation(org):
    services.directory_import(records=synthetic(count=3), source="feed")
    imported = Opportunity.objects.select_related("organisation").get(source_id="syn7-0")
    twin = Organisation.objects.create(name=imported.organisation.name)  # kept by hand, same name
    services.opportunity_update(
        actor=as_actor(org.practitioner),
        opportunity_id=imported.pk,
        expected_version=imported.version,
        data=OpportunityData(
            name="Renamed",
            organisation_name=imported.organisation.name.upper(),
            category=imported.category,
            schedule=imported.schedule,
            sessions=None,
        ),
    )
    imported.refresh_from_db()
    assert imported.organisation.source == "feed" and imported.organisation_id != twin.pk
    assert imported.search_text.startswith("renamed\n")
