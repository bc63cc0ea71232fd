"""Data protection officers of two trusts, and a person of trust A with something in every part of the service,
made through the services as their practitioner and the study's researcher would make it."""

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.utils import timezone

from connecting_people.accounts.actor import as_actor
from connecting_people.accounts.models import Role
from connecting_people.accounts.tests.factories import UserFactory, member
from connecting_people.community.models import Interest, Opportunity
from connecting_people.connections import services as map_services
from connecting_people.connections.services import EntryData
from connecting_people.measures import services as measure_services
from connecting_people.people.tests.factories import PersonFactory
from connecting_people.plans import services as plan_services
from connecting_people.plans.services import ActivityData, AssessmentData, GoalData, ReviewData, StepData
from connecting_people.study import services as study_services
from connecting_people.study.tests.conftest import START, make_study_setup

TODAY = timezone.localdate()
LEVELS = {
    -2: "Stays in",
    -1: "Goes out monthly",
    0: "One group a week",
    1: "Two groups a week",
    2: "Helps run one",
}


@dataclass
class Officers:
    a: object  # data protection officer of org.trust (trust A)
    b: object  # data protection officer of the other trust (trust B)


@pytest.fixture
def officers(org) -> Officers:
    a, b = UserFactory(username="dpo_a"), UserFactory(username="dpo_b")
    member(a, Role.DATA_PROTECTION, trust=org.trust)
    member(b, Role.DATA_PROTECTION, trust=org.other_trust_team.trust)
    return Officers(a=a, b=b)


@dataclass
class Full:
    person: object
    participant: object
    study: object  # the StudySetUp
    goal: object
    review: object
    link: object


def make_full_person(
    org, *, study_setup=None, given_name="Morwenna", family_name="Penhaligon", withdraw: str | None = None
) -> Full:
    """A person with two maps (entries, a tie), what matters, a goal with a step, an activity, a community link
    that moved on, a review with a score, outcome measures, and a study participation with a consent and a
    research interview. `withdraw`: record the participant's withdrawal with this data choice."""
    worker = org.practitioner
    person = PersonFactory(
        team=org.team,
        allocated_worker=worker,
        given_name=given_name,
        family_name=family_name,
        opened_on=TODAY - timedelta(days=400),
        research_consent=None,
    )
    map_services.snapshot_start(
        actor=as_actor(worker), person_id=person.pk, taken_on=TODAY - timedelta(days=120)
    )
    snapshot = person.map_snapshots.get()
    sam = map_services.entry_add(
        actor=as_actor(worker),
        person_id=person.pk,
        snapshot_id=snapshot.pk,
        data=EntryData("Sam", "person", "friend", "close", ("emotional",), "weekly", "keep"),
    )
    jo = map_services.entry_add(
        actor=as_actor(worker),
        person_id=person.pk,
        snapshot_id=snapshot.pk,
        data=EntryData("J.O.", "person", "family", "middle"),
    )
    map_services.entry_ties_set(
        actor=as_actor(worker),
        person_id=person.pk,
        entry_id=sam.pk,
        expected_version=sam.version,
        other_entry_ids=[jo.pk],
    )
    plan_services.assessment_save(
        actor=as_actor(worker),
        person_id=person.pk,
        expected_version=None,
        data=AssessmentData(
            assessed_on=TODAY - timedelta(days=110),
            aspirations="To sing in a choir again",
            barriers=("confidence",),
            strengths=("cooking",),
            interests=("music",),
        ),
    )
    goal = plan_services.goal_create(
        actor=as_actor(worker),
        person_id=person.pk,
        data=GoalData(text="Join a choir that meets every week", levels=dict(LEVELS)),
        set_on=TODAY - timedelta(days=100),
    )
    plan_services.step_add(
        actor=as_actor(worker),
        person_id=person.pk,
        goal_id=goal.pk,
        data=StepData(
            what="Find the choir's rehearsal times", owner="person", due_on=TODAY - timedelta(days=90)
        ),
    )
    choir = Opportunity.objects.create(name="Riverside Community Choir", category="arts")
    Interest.objects.create(opportunity=choir, name="music")
    link = plan_services.link_create(
        actor=as_actor(worker), person_id=person.pk, opportunity_id=choir.pk, matched_interests=["music"]
    )
    plan_services.activity_add(
        actor=as_actor(worker),
        person_id=person.pk,
        data=ActivityData(
            kind="attended",
            occurred_on=TODAY - timedelta(days=80),
            opportunity_id=choir.pk,
            notes="Sang alto",
        ),
    )
    measure_services.administration_record(
        actor=as_actor(worker),
        person_id=person.pk,
        instrument_id="ucla3",
        answers=[1, 2, 3],
        administered_on=TODAY - timedelta(days=70),
        mode="phone",
    )
    review = plan_services.review_hold(
        actor=as_actor(worker),
        person_id=person.pk,
        data=ReviewData(
            held_on=TODAY - timedelta(days=60),
            decision="continue",
            next_review_on=TODAY + timedelta(days=30),
            scores={goal.pk: 1},
        ),
    )
    setup = study_setup or make_study_setup(org)
    participant = study_services.person_enrol(
        actor=worker,
        person_id=person.pk,
        study_team_id=setup.teams["T01"].pk,
        enrolled_on=START + timedelta(days=20),
        consented_on=START + timedelta(days=20),
    )
    study_services.assessment_record(
        actor=setup.lead,
        access=setup.access,
        participant=participant,
        timepoint_id=setup.study.timepoints.get(code="baseline").pk,
        instrument_id="ucla3",
        answers=[1, 1, 2],
        administered_on=START + timedelta(days=22),
    )
    if withdraw:
        study_services.participant_withdraw(
            actor=setup.lead,
            access=setup.access,
            participant=participant,
            withdrawn_on=START + timedelta(days=30),
            reason="participant_choice",
            choice=withdraw,
        )
    person.refresh_from_db()
    participant.refresh_from_db()
    return Full(person=person, participant=participant, study=setup, goal=goal, review=review, link=link)


@pytest.fixture
def full(org) -> Full:
    return make_full_person(org)
