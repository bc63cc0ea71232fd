"""Plan–do–review services: bad input refused with a message and nothing saved, scoped (404), audited
without the person's words, and a review done all together or not at all."""

import json
from datetime import timedelta

import pytest
from django.http import Http404
from django.utils import timezone

from connecting_people.accounts.actor import as_actor
from connecting_people.audit.models import AuditEvent
from connecting_people.community.models import Interest, Opportunity
from connecting_people.connections import services as map_services
from connecting_people.connections.models import MapEntry, MapSnapshot
from connecting_people.core.errors import ServiceError, StaleRecordError
from connecting_people.measures.models import Administration
from connecting_people.people.tests.factories import PersonFactory
from connecting_people.plans import services
from connecting_people.plans.models import (
    Activity,
    Assessment,
    Goal,
    GoalScore,
    Link,
    LinkChange,
    Review,
    Step,
)
from connecting_people.plans.services import ActivityData, AssessmentData, GoalData, ReviewData, StepData

TODAY = timezone.localdate()
LEVELS = {
    -2: "Has stopped going out",
    -1: "Goes out once a month",
    0: "Goes to one group each week",
    1: "Goes to two groups each week",
    2: "Helps run a group",
}


@pytest.fixture
def person(org):
    return PersonFactory(
        team=org.team, allocated_worker=org.practitioner, opened_on=TODAY - timedelta(days=200)
    )


@pytest.fixture
def choir(db):
    opportunity = Opportunity.objects.create(name="Riverside Community Choir", category="arts")
    Interest.objects.bulk_create([Interest(opportunity=opportunity, name=n) for n in ("music", "singing")])
    return opportunity


def goal(org, person, **changes):
    data = GoalData(text="Join a group that meets every week", levels=dict(LEVELS))
    for name, value in changes.items():
        data = GoalData(**{**data.__dict__, name: value})
    return services.goal_create(
        actor=as_actor(org.practitioner), person_id=person.pk, data=data, set_on=TODAY - timedelta(days=90)
    )


def everything():
    models = (
        Assessment,
        Goal,
        Step,
        Activity,
        Link,
        LinkChange,
        Review,
        GoalScore,
        MapSnapshot,
        MapEntry,
        Administration,
    )
    return [list(model.objects.values()) for model in models] + [AuditEvent.objects.count()]


class TestGoals:
    @pytest.mark.parametrize(
        "changes, field, message",
        [
            ({"text": "  "}, "text", "Enter the goal"),
            # The expected outcome anchors the scale: a goal is not set without it (the other levels may
            # follow before the review: see test_the_other_levels_can_be_written_later).
            ({"levels": {**LEVELS, 0: "  "}}, "level_0", "the expected outcome"),
            ({"levels": {k: v for k, v in LEVELS.items() if k != 0}}, "level_0", "the expected outcome"),
            ({"importance": 2}, "difficulty", "both importance and difficulty"),
            ({"importance": 4, "difficulty": 1}, "importance", "from 0 to 3"),
            ({"opportunity_ids": (999999,)}, "opportunities", "from the directory"),
            ({"map_entry_keys": ("00000000-0000-0000-0000-000000000000",)}, "map_entry_keys", "latest map"),
        ],
    )
    def test_a_goal_without_a_whole_scale_or_with_bad_links_is_refused(
        self, org, person, changes, field, message
    ):
        before = everything()
        with pytest.raises(ServiceError, match=message) as refused:
            goal(org, person, **changes)
        assert refused.value.field == field
        assert everything() == before

    def test_the_other_levels_can_be_written_later(self, org, person):
        made = goal(org, person, levels={0: "Goes to one group each week", 2: "Helps run a group"})
        assert (made.level_0, made.level_plus_2) == ("Goes to one group each week", "Helps run a group")
        assert (made.level_plus_1, made.level_minus_1, made.level_minus_2) == ("", "", "")
        assert made.levels_to_complete == 3
        summary = AuditEvent.objects.get(action="plan.goal_set").summary
        assert summary["levels_to_complete"] == 3
        completed = services.goal_update(
            actor=as_actor(org.practitioner),
            person_id=person.pk,
            goal_id=made.pk,
            expected_version=1,
            data=GoalData(text=made.text, levels=dict(LEVELS)),
        )
        assert completed.levels_to_complete == 0

    def test_a_goal_and_its_first_step_are_saved_together_or_not_at_all(self, org, person):
        step = StepData(
            what="Find out when the group meets", owner="worker", due_on=TODAY + timedelta(days=14)
        )
        made = services.goal_create(
            actor=as_actor(org.practitioner),
            person_id=person.pk,
            data=GoalData(text="Join a group", levels={0: "Has been twice"}),
            first_step=step,
        )
        assert [(s.what, s.owner, s.due_on) for s in made.steps.all()] == [
            ("Find out when the group meets", "worker", TODAY + timedelta(days=14))
        ]
        before = everything()
        with pytest.raises(ServiceError, match="Enter who will do it") as refused:
            services.goal_create(
                actor=as_actor(org.practitioner),
                person_id=person.pk,
                data=GoalData(text="Walk to the park", levels={0: "Once a week"}),
                first_step=StepData(what="Plan a route", owner="other", due_on=TODAY),
            )
        assert refused.value.field == "owner_name"
        assert everything() == before  # the goal was not kept without its step

    def test_weight_links_and_audit_without_words(self, org, person, choir):
        snapshot = map_services.snapshot_start(
            actor=as_actor(org.practitioner), person_id=person.pk, taken_on=TODAY
        )
        entry = map_services.entry_add(
            actor=as_actor(org.practitioner),
            person_id=person.pk,
            snapshot_id=snapshot.pk,
            data=map_services.EntryData(label="Sam", kind="person", category="friend", ring="close"),
        )
        made = goal(
            org,
            person,
            importance=2,
            difficulty=3,
            map_entry_keys=(str(entry.key),),
            opportunity_ids=(choir.pk,),
        )
        assert made.weight == 6 and made.map_entry_keys == [str(entry.key)]
        assert list(made.opportunities.all()) == [choir]
        events = json.dumps(
            list(AuditEvent.objects.filter(action__startswith="plan.").values_list("summary", flat=True))
        )
        assert "every week" not in events and "Sam" not in events

    def test_a_stale_edit_is_refused(self, org, person):
        made = goal(org, person)
        data = GoalData(text="Changed", levels=dict(LEVELS))
        services.goal_update(
            actor=as_actor(org.practitioner),
            person_id=person.pk,
            goal_id=made.pk,
            expected_version=1,
            data=data,
        )
        with pytest.raises(StaleRecordError):
            services.goal_update(
                actor=as_actor(org.practitioner),
                person_id=person.pk,
                goal_id=made.pk,
                expected_version=1,
                data=data,
            )


class TestSteps:
    @pytest.mark.parametrize(
        "data, field",
        [
            (StepData(what="", owner="person", due_on=TODAY), "what"),
            (StepData(what="Ring the choir", owner="", due_on=TODAY), "owner"),
            (StepData(what="Ring the choir", owner="other", due_on=TODAY), "owner_name"),
            (StepData(what="Ring the choir", owner="person", due_on=None), "due_on"),
            (StepData(what="Ring the choir", owner="person", due_on=TODAY - timedelta(days=365)), "due_on"),
        ],
    )
    def test_steps_need_what_an_owner_and_a_date_after_the_goal(self, org, person, data, field):
        made = goal(org, person)
        before = everything()
        with pytest.raises(ServiceError) as refused:
            services.step_add(
                actor=as_actor(org.practitioner), person_id=person.pk, goal_id=made.pk, data=data
            )
        assert refused.value.field == field
        assert everything() == before

    def test_done_and_undone(self, org, person):
        step = services.step_add(
            actor=as_actor(org.practitioner),
            person_id=person.pk,
            goal_id=goal(org, person).pk,
            data=StepData(what="Ring the choir", owner="other", owner_name="Aunt Jo", due_on=TODAY),
        )
        assert step.owner_name == "Aunt Jo"
        assert (
            services.step_done(
                actor=as_actor(org.practitioner),
                person_id=person.pk,
                step_id=step.pk,
                expected_version=1,
                done=True,
            ).done_on
            == TODAY
        )
        assert (
            services.step_done(
                actor=as_actor(org.practitioner),
                person_id=person.pk,
                step_id=step.pk,
                expected_version=2,
                done=False,
            ).done_on
            is None
        )


class TestLinksAndActivities:
    def test_attending_moves_the_link_on_and_puts_the_group_on_the_map(self, org, person, choir):
        link = services.link_create(
            actor=as_actor(org.practitioner),
            person_id=person.pk,
            opportunity_id=choir.pk,
            matched_interests=["music"],
        )
        assert link.status == "suggested" and not MapSnapshot.objects.filter(person=person).exists()
        services.activity_add(
            actor=as_actor(org.practitioner),
            person_id=person.pk,
            data=ActivityData(
                kind="attended", occurred_on=TODAY, opportunity_id=choir.pk, notes="Enjoyed it"
            ),
        )
        link.refresh_from_db()
        assert link.status == "attended" and link.map_entry_key is not None
        entry = MapEntry.objects.get(key=link.map_entry_key)
        assert (entry.label, entry.kind, entry.category, entry.ring) == (
            "Riverside Community Choir",
            "group",
            "community_group",
            "outer",
        )
        assert [c.status for c in link.changes.all()] == ["suggested", "attended"]
        # Going regularly does not add it twice.
        services.link_status_set(
            actor=as_actor(org.practitioner),
            person_id=person.pk,
            link_id=link.pk,
            expected_version=link.version,
            status="regular",
        )
        assert MapEntry.objects.filter(snapshot__person=person).count() == 1

    def test_stopping_needs_a_reason(self, org, person, choir):
        link = services.link_create(
            actor=as_actor(org.practitioner), person_id=person.pk, opportunity_id=choir.pk
        )
        before = everything()
        with pytest.raises(ServiceError, match="why it stopped"):
            services.link_status_set(
                actor=as_actor(org.practitioner),
                person_id=person.pk,
                link_id=link.pk,
                expected_version=1,
                status="stopped",
            )
        assert everything() == before
        services.link_status_set(
            actor=as_actor(org.practitioner),
            person_id=person.pk,
            link_id=link.pk,
            expected_version=1,
            status="stopped",
            reason="Moved away",
        )
        link.refresh_from_db()
        assert link.stopped_reason == "Moved away"

    def test_one_link_per_opportunity(self, org, person, choir):
        services.link_create(actor=as_actor(org.practitioner), person_id=person.pk, opportunity_id=choir.pk)
        with pytest.raises(ServiceError, match="already linked"):
            services.link_create(
                actor=as_actor(org.practitioner), person_id=person.pk, opportunity_id=choir.pk
            )

    @pytest.mark.parametrize(
        "data, field",
        [
            (ActivityData(kind="dancing", occurred_on=TODAY), "kind"),
            (ActivityData(kind="contact_phone", occurred_on=TODAY + timedelta(days=1)), "occurred_on"),
            (ActivityData(kind="contact_phone", occurred_on=TODAY - timedelta(days=300)), "occurred_on"),
            (ActivityData(kind="practical", occurred_on=TODAY), "help_given"),
            (ActivityData(kind="barrier", occurred_on=TODAY), "barriers"),
            (ActivityData(kind="attended", occurred_on=TODAY), "opportunity"),
        ],
    )
    def test_bad_activities_are_refused(self, org, person, data, field):
        before = everything()
        with pytest.raises(ServiceError) as refused:
            services.activity_add(actor=as_actor(org.practitioner), person_id=person.pk, data=data)
        assert refused.value.field == field
        assert everything() == before


class TestReview:
    def test_a_review_scores_goals_starts_a_map_and_plans_the_next(self, org, person):
        first = goal(org, person, importance=2, difficulty=2)
        second = goal(org, person, importance=1, difficulty=3)
        before = map_services.snapshot_start(
            actor=as_actor(org.practitioner), person_id=person.pk, taken_on=TODAY - timedelta(days=60)
        )
        next_date = TODAY + timedelta(days=90)
        review = services.review_hold(
            actor=as_actor(org.practitioner),
            person_id=person.pk,
            data=ReviewData(
                held_on=TODAY,
                decision="continue",
                next_review_on=next_date,
                scores={first.pk: 1, second.pk: -1},
            ),
        )
        assert {(s.goal_id, s.level) for s in review.scores.all()} == {(first.pk, 1), (second.pk, -1)}
        # T = 50 + 10 Σwx / √((1−ρ)Σw² + ρ(Σw)²), w = (4, 3), x = (1, −1), ρ = 0.3
        expected = 50 + 10 * (4 - 3) / ((0.7 * (16 + 9) + 0.3 * 49) ** 0.5)
        assert review.gas.derived["t_score"] == pytest.approx(expected)
        assert review.gas.derived["weights"] == [4.0, 3.0]
        assert review.snapshot.previous_id == before.pk and review.snapshot.taken_on == TODAY
        person.refresh_from_db()
        assert person.next_review_on == next_date

    @pytest.mark.parametrize(
        "changes, field",
        [
            ({"next_review_on": None}, "next_review_on"),
            ({"next_review_on": TODAY}, "next_review_on"),
            ({"decision": "maybe"}, "decision"),
            ({"held_on": TODAY + timedelta(days=1)}, "held_on"),
        ],
    )
    def test_bad_reviews_save_nothing(self, org, person, changes, field):
        made = goal(org, person)
        data = ReviewData(
            held_on=TODAY, decision="continue", next_review_on=TODAY + timedelta(days=30), scores={made.pk: 0}
        )
        before = everything()
        with pytest.raises(ServiceError) as refused:
            services.review_hold(
                actor=as_actor(org.practitioner),
                person_id=person.pk,
                data=ReviewData(**{**data.__dict__, **changes}),
            )
        assert refused.value.field == field
        assert everything() == before

    def test_a_failure_late_in_a_review_undoes_all_of_it(self, org, person, monkeypatch):
        made = goal(org, person)
        map_services.snapshot_start(
            actor=as_actor(org.practitioner), person_id=person.pk, taken_on=TODAY - timedelta(days=5)
        )

        def broken(**kwargs):
            raise RuntimeError("database went away")

        monkeypatch.setattr(services, "person_next_review_set", broken)
        before = everything()
        with pytest.raises(RuntimeError):
            services.review_hold(
                actor=as_actor(org.practitioner),
                person_id=person.pk,
                data=ReviewData(
                    held_on=TODAY,
                    decision="continue",
                    next_review_on=TODAY + timedelta(days=30),
                    scores={made.pk: 2},
                ),
            )
        assert everything() == before


@pytest.mark.parametrize(
    "role", ["colleague", "other_lead", "researcher", "implementation_lead", "administrator"]
)
def test_every_write_is_404_out_of_reach(org, person, choir, role):
    made = goal(org, person)
    step = services.step_add(
        actor=as_actor(org.practitioner),
        person_id=person.pk,
        goal_id=made.pk,
        data=StepData(what="Ring", owner="person", due_on=TODAY),
    )
    link = services.link_create(
        actor=as_actor(org.practitioner), person_id=person.pk, opportunity_id=choir.pk
    )
    user = getattr(org, role)
    before = everything()
    attempts = [
        lambda: services.assessment_save(
            actor=as_actor(user),
            person_id=person.pk,
            expected_version=None,
            data=AssessmentData(assessed_on=TODAY),
        ),
        lambda: services.goal_create(
            actor=as_actor(user), person_id=person.pk, data=GoalData(text="x", levels=dict(LEVELS))
        ),
        lambda: services.goal_update(
            actor=as_actor(user),
            person_id=person.pk,
            goal_id=made.pk,
            expected_version=1,
            data=GoalData(text="x", levels=dict(LEVELS)),
        ),
        lambda: services.step_add(
            actor=as_actor(user),
            person_id=person.pk,
            goal_id=made.pk,
            data=StepData(what="x", owner="person", due_on=TODAY),
        ),
        lambda: services.step_done(
            actor=as_actor(user), person_id=person.pk, step_id=step.pk, expected_version=1, done=True
        ),
        lambda: services.activity_add(
            actor=as_actor(user),
            person_id=person.pk,
            data=ActivityData(kind="contact_phone", occurred_on=TODAY),
        ),
        lambda: services.link_create(actor=as_actor(user), person_id=person.pk, opportunity_id=choir.pk),
        lambda: services.link_status_set(
            actor=as_actor(user), person_id=person.pk, link_id=link.pk, expected_version=1, status="discussed"
        ),
        lambda: services.review_hold(
            actor=as_actor(user),
            person_id=person.pk,
            data=ReviewData(held_on=TODAY, decision="move_on", next_review_on=None),
        ),
    ]
    for attempt in attempts:
        with pytest.raises(Http404):
            attempt()
    assert everything() == before


def test_ids_of_another_persons_plan_are_404(org, person, choir):
    other = PersonFactory(team=org.team, allocated_worker=org.practitioner)
    theirs = goal(org, other)
    with pytest.raises(Http404):
        services.step_add(
            actor=as_actor(org.practitioner),
            person_id=person.pk,
            goal_id=theirs.pk,
            data=StepData(what="x", owner="person", due_on=TODAY),
        )
    with pytest.raises(Http404):
        services.goal_update(
            actor=as_actor(org.practitioner),
            person_id=person.pk,
            goal_id=theirs.pk,
            expected_version=1,
            data=GoalData(text="x", levels=dict(LEVELS)),
        )


def test_changing_a_goal_keeps_links_to_entries_no_longer_on_the_latest_map(org, person):
    first = map_services.snapshot_start(
        actor=as_actor(org.practitioner), person_id=person.pk, taken_on=TODAY - timedelta(days=30)
    )
    add = lambda label: map_services.entry_add(  # noqa: E731
        actor=as_actor(org.practitioner),
        person_id=person.pk,
        snapshot_id=first.pk,
        data=map_services.EntryData(label=label, kind="person", category="friend", ring="close"),
    )
    ann, bob = add("Ann"), add("Bob")
    made = goal(org, person, map_entry_keys=(str(ann.key), str(bob.key)))
    second = map_services.snapshot_start(
        actor=as_actor(org.practitioner), person_id=person.pk, taken_on=TODAY
    )
    map_services.entry_remove(
        actor=as_actor(org.practitioner),
        person_id=person.pk,
        entry_id=second.entries.get(key=ann.key).pk,
        expected_version=1,
    )
    # The edit form only offers Bob (on the latest map); ticking him alone must not drop Ann.
    updated = services.goal_update(
        actor=as_actor(org.practitioner),
        person_id=person.pk,
        goal_id=made.pk,
        expected_version=made.version,
        data=GoalData(text=made.text, levels=dict(LEVELS), map_entry_keys=(str(bob.key),), status="achieved"),
    )
    assert sorted(updated.map_entry_keys) == sorted([str(ann.key), str(bob.key)])


def test_matched_interests_are_only_the_persons_own(org, person, choir):
    person.tags.create(kind="interest", name="music")
    link = services.link_create(
        actor=as_actor(org.practitioner),
        person_id=person.pk,
        opportunity_id=choir.pk,
        matched_interests=["music", "x" * 500],
    )
    assert link.matched_interests == ["music"]
