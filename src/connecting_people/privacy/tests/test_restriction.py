"""Restriction of processing: set and lifted only by the trust's data protection officer, with a reason, both
audited; while it holds, every app's services refuse to write anything for the person (one gate:
people.services.person_for_change), the person leaves caseload lists and suggestions, and their worker can still
read the record, which says that processing is restricted."""

from datetime import timedelta

import pytest
from django.http import Http404

from connecting_people.accounts.actor import as_actor
from connecting_people.audit.models import AuditEvent
from connecting_people.connections import services as map_services
from connecting_people.connections.models import MapEntry, MapSnapshot
from connecting_people.connections.services import EntryData
from connecting_people.core.errors import ProcessingRestrictedError, ServiceError
from connecting_people.measures import services as measure_services
from connecting_people.measures.models import Administration
from connecting_people.people import selectors as people_selectors
from connecting_people.people import services as people_services
from connecting_people.people.models import Person
from connecting_people.plans import selectors as plan_selectors
from connecting_people.plans import services as plan_services
from connecting_people.plans.models import Activity, Goal, Link, Review, Step
from connecting_people.plans.services import ActivityData, GoalData, ReviewData, StepData
from connecting_people.privacy import services
from connecting_people.privacy.models import Restriction
from connecting_people.study import selectors as study_selectors
from connecting_people.study import services as study_services
from connecting_people.study.models import Assessment as StudyAssessment
from connecting_people.study.models import Consent, Participant
from connecting_people.study.tests.conftest import START

from .conftest import LEVELS, TODAY, make_full_person


def restrict(officers, person, ground="accuracy_contested"):
    return services.restriction_add(
        user=officers.a, person_id=person.pk, ground=ground, reference="DPR-2026-7"
    )


def snapshot_of_rows():
    """Every row a write for the person could add or change, to compare before and after a refused write."""
    models = (Person, MapSnapshot, MapEntry, Goal, Step, Activity, Link, Review, Administration)
    return [list(model.objects.order_by("pk").values()) for model in models] + [
        list(Participant.objects.order_by("pk").values()),
        list(Consent.objects.order_by("pk").values()),
        list(StudyAssessment.objects.order_by("pk").values()),
        AuditEvent.objects.count(),
    ]


class TestSettingAndLifting:
    def test_restriction_is_recorded_flagged_and_audited_without_free_text(self, org, officers, full):
        restriction = restrict(officers, full.person)
        full.person.refresh_from_db()
        assert full.person.processing_restricted
        assert (restriction.ground, restriction.reference, restriction.restricted_by) == (
            "accuracy_contested",
            "DPR-2026-7",
            officers.a,
        )
        event = AuditEvent.objects.get(action="person.restricted")
        assert event.person_id == full.person.pk and event.actor_id == officers.a.pk
        assert event.summary == {"ground": "accuracy_contested", "restriction_id": restriction.pk}

    def test_lifting_needs_a_reason_and_the_person_told_and_is_audited(self, org, officers, full):
        restrict(officers, full.person)
        with pytest.raises(ServiceError) as refused:
            services.restriction_lift(user=officers.a, person_id=full.person.pk, reason="", person_told=True)
        assert refused.value.field == "reason"
        with pytest.raises(ServiceError) as refused:
            services.restriction_lift(
                user=officers.a, person_id=full.person.pk, reason="accuracy_checked", person_told=False
            )
        assert refused.value.field == "person_told"
        assert Person.objects.get(pk=full.person.pk).processing_restricted
        lifted = services.restriction_lift(
            user=officers.a, person_id=full.person.pk, reason="accuracy_checked", person_told=True
        )
        assert (lifted.lift_reason, lifted.lifted_by) == ("accuracy_checked", officers.a)
        assert not Person.objects.get(pk=full.person.pk).processing_restricted
        event = AuditEvent.objects.get(action="person.restriction_lifted")
        assert event.summary == {"reason": "accuracy_checked", "restriction_id": lifted.pk}
        # A restriction made in error may be lifted without telling the person; a second one is a new row.
        restrict(officers, full.person)
        services.restriction_lift(
            user=officers.a, person_id=full.person.pk, reason="made_in_error", person_told=False
        )
        assert Restriction.objects.filter(person=full.person).count() == 2

    def test_twice_is_refused_and_lifting_what_is_not_restricted_too(self, org, officers, full):
        with pytest.raises(ServiceError, match="not restricted"):
            services.restriction_lift(
                user=officers.a, person_id=full.person.pk, reason="accuracy_checked", person_told=True
            )
        restrict(officers, full.person)
        with pytest.raises(ServiceError, match="already restricted"):
            restrict(officers, full.person)
        assert Restriction.objects.count() == 1

    def test_only_the_persons_own_officer_can_restrict(self, org, officers, full):
        for user in (officers.b, org.lead, org.practitioner, org.administrator, org.researcher):
            with pytest.raises(Http404):
                services.restriction_add(user=user, person_id=full.person.pk, ground="accuracy_contested")
        assert not Restriction.objects.exists()
        assert not Person.objects.get(pk=full.person.pk).processing_restricted

    @pytest.mark.parametrize("reference", ["<script>", "x" * 41, "line\nbreak"])
    def test_a_reference_that_is_not_a_reference_is_refused(self, org, officers, full, reference):
        with pytest.raises(ServiceError) as refused:
            services.restriction_add(
                user=officers.a, person_id=full.person.pk, ground="legal_claims", reference=reference
            )
        assert refused.value.field == "reference" and not Restriction.objects.exists()


# One write for the person in each app, as the people who would make it. Each must be refused while restricted.
def _people_edit(org, full):
    people_services.person_update(
        user=org.practitioner,
        person_id=full.person.pk,
        expected_version=full.person.version,
        data={"preferred_name": "Wenna"},
        strengths=[],
        interests=[],
    )


def _people_close(org, full):
    people_services.person_close(
        user=org.lead,
        person_id=full.person.pk,
        expected_version=full.person.version,
        closed_on=TODAY,
        reason="moved_on",
    )


def _map_entry(org, full):
    map_services.entry_add(
        actor=as_actor(org.practitioner),
        person_id=full.person.pk,
        snapshot_id=full.review.snapshot_id,
        data=EntryData("Ali", "person", "friend", "outer"),
    )


def _map_new(org, full):
    map_services.snapshot_start(actor=as_actor(org.practitioner), person_id=full.person.pk, taken_on=TODAY)


def _measure(org, full):
    measure_services.administration_record(
        actor=as_actor(org.practitioner),
        person_id=full.person.pk,
        instrument_id="ucla3",
        answers=[1, 1, 1],
        administered_on=TODAY,
        mode="phone",
    )


def _goal(org, full):
    plan_services.goal_create(
        actor=as_actor(org.practitioner),
        person_id=full.person.pk,
        data=GoalData(text="Walk with a group", levels=LEVELS),
    )


def _step(org, full):
    plan_services.step_add(
        actor=as_actor(org.practitioner),
        person_id=full.person.pk,
        goal_id=full.goal.pk,
        data=StepData(what="Ring the group", owner="worker", due_on=TODAY + timedelta(days=7)),
    )


def _activity(org, full):
    plan_services.activity_add(
        actor=as_actor(org.practitioner),
        person_id=full.person.pk,
        data=ActivityData(kind="contact_phone", occurred_on=TODAY),
    )


def _review(org, full):
    plan_services.review_hold(
        actor=as_actor(org.practitioner),
        person_id=full.person.pk,
        data=ReviewData(held_on=TODAY, decision="continue", next_review_on=TODAY + timedelta(days=60)),
    )


def _community_link(org, full):
    from connecting_people.community.models import Opportunity

    walk = Opportunity.objects.create(name="Park walking group", category="sport")
    plan_services.link_create(
        actor=as_actor(org.practitioner), person_id=full.person.pk, opportunity_id=walk.pk
    )


def _community_link_moved(org, full):
    plan_services.link_status_set(
        actor=as_actor(org.practitioner),
        person_id=full.person.pk,
        link_id=full.link.pk,
        expected_version=Link.objects.get(pk=full.link.pk).version,
        status="regular",
    )


def _study_assessment(org, full):
    setup = full.study
    study_services.assessment_record(
        actor=setup.lead,
        access=setup.access,
        participant=full.participant,
        timepoint_id=setup.study.timepoints.get(code="baseline").pk,
        instrument_id="eq5d5l",
        answers=[1, 1, 1, 1, 1, 80],
        administered_on=START + timedelta(days=23),
    )


def _study_consent(org, full):
    setup = full.study
    study_services.consent_record(
        actor=setup.lead, access=setup.access, participant=full.participant, version="v2.0", consented_on=TODAY
    )


WRITES = {
    "people: edit the record": _people_edit,
    "people: close the case": _people_close,
    "connections: add a map entry": _map_entry,
    "connections: start a new map": _map_new,
    "measures: record a measure": _measure,
    "plans: set a goal": _goal,
    "plans: add a step": _step,
    "plans: log an activity": _activity,
    "plans: hold a review": _review,
    "community links: suggest an opportunity": _community_link,
    "community links: move a link on": _community_link_moved,
    "study: record a research interview": _study_assessment,
    "study: record consent": _study_consent,
}


@pytest.mark.parametrize("write", list(WRITES), ids=list(WRITES))
def test_every_app_refuses_to_write_for_a_restricted_person_and_changes_nothing(org, officers, full, write):
    restrict(officers, full.person)
    full.person.refresh_from_db()
    before = snapshot_of_rows()
    with pytest.raises(ProcessingRestrictedError, match="restricted"):
        WRITES[write](org, full)
    assert snapshot_of_rows() == before


@pytest.mark.parametrize(
    "write", ["connections: add a map entry", "plans: set a goal", "study: record consent"]
)
def test_the_same_writes_work_again_once_lifted(org, officers, full, write):
    restrict(officers, full.person)
    services.restriction_lift(
        user=officers.a, person_id=full.person.pk, reason="accuracy_checked", person_told=True
    )
    full.person.refresh_from_db()
    WRITES[write](org, full)  # does not raise


def test_a_restricted_person_cannot_be_enrolled_in_a_study(org, officers):
    full = make_full_person(org)
    other = make_full_person(org, study_setup=full.study, given_name="Tegen", family_name="Tregenza")
    Participant.objects.filter(person=other.person).delete()  # so that they could be enrolled again
    restrict(officers, other.person)
    other.person.refresh_from_db()
    assert not study_selectors.studies_open_to_person(person=other.person).exists()
    with pytest.raises(ProcessingRestrictedError):
        study_services.person_enrol(
            actor=org.practitioner,
            person_id=other.person.pk,
            study_team_id=full.study.teams["T01"].pk,
            enrolled_on=START + timedelta(days=40),
            consented_on=START + timedelta(days=40),
        )
    assert not Participant.objects.filter(person=other.person).exists()


def test_left_out_of_caseloads_and_suggestions_but_still_readable(org, officers, full):
    assert full.person in people_selectors.caseload_for(user=org.practitioner)
    assert full.person in people_selectors.team_caseload(user=org.lead)
    restrict(officers, full.person)
    full.person.refresh_from_db()
    assert full.person not in people_selectors.caseload_for(user=org.practitioner, include_closed=True)
    assert full.person not in people_selectors.team_caseload(user=org.lead, include_closed=True)
    assert plan_selectors.suggestions_for(actor=as_actor(org.practitioner), person=full.person) == []
    # Reading is still possible, for the worker and the lead.
    assert people_selectors.person_get(user=org.practitioner, person_id=full.person.pk) == full.person
    assert people_selectors.person_get(user=org.lead, person_id=full.person.pk) == full.person


class TestPages:
    def test_the_worker_reads_the_record_with_a_clear_banner_on_every_page(self, client, org, officers, full):
        restrict(officers, full.person)
        client.force_login(org.practitioner)
        for path in ("", "map/", "measures/", "plan/"):
            response = client.get(f"/people/{full.person.pk}/{path}")
            assert response.status_code == 200, path
            assert "Processing restricted" in response.content.decode(), path
        assert f"/people/{full.person.pk}/" not in client.get("/people/").content.decode()

    def test_no_banner_for_a_record_that_is_not_restricted(self, client, org, full):
        client.force_login(org.practitioner)
        assert "Processing restricted" not in client.get(f"/people/{full.person.pk}/").content.decode()

    def test_adding_a_map_entry_on_the_web_shows_why_it_is_refused(self, client, org, officers, full):
        restrict(officers, full.person)
        client.force_login(org.practitioner)
        entries = MapEntry.objects.count()
        response = client.post(
            f"/people/{full.person.pk}/map/{full.review.snapshot_id}/add/",
            {"label": "Ali", "kind": "person", "category": "friend", "ring": "outer"},
        )
        assert response.status_code == 200
        page = response.content.decode()
        assert "There is a problem" in page and "nothing new can be recorded for them" in page
        assert MapEntry.objects.count() == entries

    def test_the_officer_restricts_and_lifts_from_the_page(self, client, org, officers, full):
        client.force_login(officers.a)
        url = f"/data-protection/people/{full.person.pk}/restrict/"
        page = client.post(url, {}).content.decode()
        assert "There is a problem" in page and "Select an answer" in page
        assert not Restriction.objects.exists()
        response = client.post(url, {"ground": "objection_pending", "reference": "DPR-1"})
        assert response.status_code == 302
        assert Person.objects.get(pk=full.person.pk).processing_restricted
        lift = f"/data-protection/people/{full.person.pk}/lift/"
        page = client.post(lift, {"reason": "objection_decided"}).content.decode()
        assert "Confirm that the person has been told" in page
        assert client.post(lift, {"reason": "objection_decided", "person_told": "yes"}).status_code == 302
        assert not Person.objects.get(pk=full.person.pk).processing_restricted
