"""Synthetic plan–do–review records are plausible and real: counts in range, dates in order, each review's GAS
administration scored as the measures engine scores it, links only to opportunities in the directory, the
same records from the same seed, and the caseload's prompts work out for every generated person."""

import random
from collections import Counter, defaultdict
from datetime import date

import pytest
from django.core.management import call_command
from faker import Faker

from connecting_people.accounts.models import User
from connecting_people.community.models import Interest, Opportunity
from connecting_people.measures import registry
from connecting_people.measures.models import Administration
from connecting_people.measures.scoring import score_one
from connecting_people.people.models import Person
from connecting_people.plans import selectors as plan_selectors
from connecting_people.plans.due import prompts
from connecting_people.plans.models import (
    Activity,
    Assessment,
    Barrier,
    Goal,
    GoalScore,
    Link,
    LinkChange,
    Review,
    Step,
)
from connecting_people.synthetic.generate import INTERESTS, person_rows, tag_people
from connecting_people.synthetic.maps import generate_maps
from connecting_people.synthetic.plans import FIRST_REVIEW_AFTER, LINK_FLOW, generate_plans

TODAY = date.today()


@pytest.fixture
def generated_people(org) -> list[Person]:
    """300 people as the scale generator makes them (tags and maps included), in the organisation's team."""
    rng = random.Random(7)
    fake = Faker("en_GB")
    fake.seed_instance(7)
    workers = {org.team.pk: [org.practitioner.pk, org.colleague.pk]}
    Person.objects.bulk_create(
        person_rows(rng, fake, count=300, teams=[org.team], workers_by_team=workers, today=TODAY)
    )
    people = list(Person.objects.filter(team=org.team).order_by("pk"))
    tag_people(rng, [person.pk for person in people])
    generate_maps(people=people, workers_by_team=workers, seed=7, today=TODAY)
    return people


def generate(people, org, seed: int = 11):
    return generate_plans(
        people=people,
        workers_by_team={org.team.pk: [org.practitioner.pk, org.colleague.pk]},
        seed=seed,
        today=TODAY,
    )


def test_counts_are_in_range_and_dates_in_order(generated_people, org):
    counts = generate(generated_people, org)
    people = {person.pk: person for person in generated_people}
    eligible = {
        pk for pk, p in people.items() if p.status == Person.Status.OPEN and p.practice_consent is True
    }
    assessed = set(Assessment.objects.values_list("person_id", flat=True))
    assert assessed <= eligible and 0.7 <= len(assessed) / len(eligible) <= 0.97
    assert counts.assessments == len(assessed) and counts.links == 0 and counts.links_skipped

    for assessment in Assessment.objects.all():
        assert 1 <= len(assessment.barriers) <= 3 and set(assessment.barriers) <= set(Barrier.values)
        assert assessment.aspirations
        assert people[assessment.person_id].opened_on <= assessment.assessed_on <= TODAY

    goals = list(Goal.objects.all())
    per_person = Counter(goal.person_id for goal in goals)
    assert set(per_person) <= assessed and set(per_person.values()) <= {1, 2, 3}
    assert 0.75 <= len(per_person) / len(assessed) <= 0.98
    assert counts.goals == len(goals)
    weighted = {goal.person_id for goal in goals if goal.weight is not None}
    assert 0.15 <= len(weighted) / len(per_person) <= 0.55
    assessed_on = dict(Assessment.objects.values_list("person_id", "assessed_on"))
    for goal in goals:
        assert all(text for _, text in goal.levels()), goal
        assert (goal.importance is None) == (goal.difficulty is None) == (goal.person_id not in weighted)
        assert goal.importance is None or 1 <= goal.importance <= 3 and 1 <= goal.difficulty <= 3
        assert assessed_on[goal.person_id] <= goal.set_on <= TODAY

    steps = list(Step.objects.select_related("goal"))
    per_goal = Counter(step.goal_id for step in steps)
    assert len(per_goal) == len(goals) and set(per_goal.values()) <= {1, 2, 3, 4}
    for step in steps:
        assert step.due_on >= step.goal.set_on
        assert step.done_on is None or step.goal.set_on <= step.done_on <= TODAY
        assert bool(step.owner_name) == (step.owner == Step.Owner.OTHER)
    active = [step for step in steps if step.goal.status == Goal.Status.ACTIVE]
    overdue = [step for step in active if step.done_on is None and step.due_on < TODAY]
    done = [step for step in steps if step.done_on is not None]
    upcoming = [step for step in active if step.due_on >= TODAY]
    assert overdue and upcoming and len(done) >= len(steps) / 3
    assert len(overdue) <= len(active) / 4  # a few overdue, not most

    activities = list(Activity.objects.all())
    assert {activity.person_id for activity in activities} <= assessed and counts.activities == len(
        activities
    )
    for activity in activities:
        assert people[activity.person_id].opened_on <= activity.occurred_on <= TODAY
        assert activity.opportunity_id is None  # no directory: no attendance, no introduction to one
        assert activity.kind not in (Activity.Kind.ATTENDED, Activity.Kind.ACCOMPANIED)
        assert bool(activity.help_given) == (activity.kind == Activity.Kind.PRACTICAL)
        assert bool(activity.barriers) == (activity.kind == Activity.Kind.BARRIER)
        assert (
            activity.goal_id is None or Goal.objects.get(pk=activity.goal_id).person_id == activity.person_id
        )

    reviews = list(Review.objects.order_by("person_id", "held_on"))
    assert reviews and counts.reviews == len(reviews)
    by_person = defaultdict(list)
    for review in reviews:
        by_person[review.person_id].append(review)
    for person_id, held in by_person.items():
        person = people[person_id]
        assert (held[0].held_on - person.opened_on).days >= FIRST_REVIEW_AFTER[0]
        for review, after in zip(held, held[1:], strict=False):
            assert review.next_review_on == after.held_on > review.held_on
        assert held[-1].held_on <= TODAY and held[-1].next_review_on > held[-1].held_on
        if person.next_review_on and person.next_review_on > held[-1].held_on:
            assert held[-1].next_review_on == person.next_review_on
    for score in GoalScore.objects.select_related("goal", "review"):
        assert score.goal.person_id == score.review.person_id
        assert score.goal.set_on < score.review.held_on and -2 <= score.level <= 2
    assert Review.objects.filter(snapshot__isnull=False).exists()
    for review in Review.objects.filter(snapshot__isnull=False).select_related("snapshot"):
        assert review.snapshot.person_id == review.person_id and review.snapshot.taken_on <= review.held_on


def test_each_review_has_its_gas_administration_scored_as_the_measures_engine_scores_it(
    generated_people, org
):
    generate(generated_people, org)
    gas = registry.instrument("gas")
    reviews = list(Review.objects.select_related("gas").prefetch_related("scores__goal"))
    assert reviews and all(review.gas_id for review in reviews)
    assert Administration.objects.filter(instrument_id="gas").count() == len(reviews)
    weighted = 0
    for review in reviews:
        administration = review.gas
        scores = sorted(review.scores.all(), key=lambda score: score.goal_id)
        assert administration.person_id == review.person_id
        assert administration.administered_on == review.held_on and administration.timepoint_label == "Review"
        assert administration.answers == [score.level for score in scores]
        goal_weights = [score.goal.weight for score in scores]
        weights = administration.derived.get("weights")
        if None in goal_weights:
            assert weights is None
        else:
            assert weights == [float(weight) for weight in goal_weights]
            weighted += 1
        expected = score_one(gas, administration.answers, weights=weights)
        assert administration.derived["t_score"] == pytest.approx(expected["t_score"], abs=1e-9)
        assert administration.missing_items == [] and administration.missing_rule == "no-missing"
    assert 0 < weighted < len(reviews)


def signature(people) -> dict:
    """Everything generated for these people, in a form that does not depend on database ids."""
    found: dict = defaultdict(list)
    for a in Assessment.objects.filter(person__in=people):
        found[a.person_id].append((a.assessed_on, a.aspirations, a.barriers, a.barriers_in_own_words))
    for goal in Goal.objects.filter(person__in=people).order_by("pk"):
        steps = list(
            goal.steps.order_by("pk").values_list("what", "owner", "owner_name", "due_on", "done_on")
        )
        found[goal.person_id].append((goal.text, goal.set_on, goal.status, goal.level_0, goal.weight, steps))
    for activity in Activity.objects.filter(person__in=people).order_by("pk"):
        goal_text = activity.goal.text if activity.goal else None
        found[activity.person_id].append((activity.kind, activity.occurred_on, activity.notes, goal_text))
    for review in Review.objects.filter(person__in=people).select_related("gas").order_by("pk"):
        levels = [(s.goal.text, s.level) for s in review.scores.select_related("goal").order_by("goal_id")]
        found[review.person_id].append(
            (review.held_on, review.next_review_on, review.decision, levels, review.gas.derived["t_score"])
        )
    for link in Link.objects.filter(person__in=people).order_by("pk"):
        history = list(link.changes.order_by("pk").values_list("status", "changed_on", "reason"))
        found[link.person_id].append((link.opportunity_id, link.status, link.matched_interests, history))
    return dict(found)


def delete_plans() -> None:
    GoalScore.objects.all().delete()
    Review.objects.all().delete()
    Administration.objects.filter(instrument_id="gas").delete()
    Activity.objects.all().delete()
    LinkChange.objects.all().delete()
    Link.objects.all().delete()
    Goal.opportunities.through.objects.all().delete()
    Step.objects.all().delete()
    Goal.objects.all().delete()
    Assessment.objects.all().delete()


def test_same_seed_same_plans_other_seed_other_plans(generated_people, org):
    directory(org)
    people = generated_people[:120]

    def generated(seed: int) -> dict:
        delete_plans()
        generate(people, org, seed=seed)
        return signature(people)

    first = generated(11)
    assert first and first == generated(11)
    assert first != generated(12)


def directory(org) -> list[Opportunity]:
    """A small directory: one opportunity for each pair of interests, and one that no longer runs."""
    opportunities = []
    for index in range(0, len(INTERESTS), 2):
        opportunity = Opportunity.objects.create(name=f"Group {index}", category=Opportunity.Category.SOCIAL)
        Interest.objects.bulk_create(
            Interest(opportunity=opportunity, name=name) for name in INTERESTS[index : index + 2]
        )
        opportunities.append(opportunity)
    closed = Opportunity.objects.create(name="Closed group", active=False)
    Interest.objects.create(opportunity=closed, name=INTERESTS[0])
    return opportunities


def test_links_go_to_running_opportunities_matching_interests_with_their_history(generated_people, org):
    opportunities = {opportunity.pk: opportunity for opportunity in directory(org)}
    interests_of = {pk: set(names) for pk, names in _opportunity_interests().items()}
    counts = generate(generated_people, org)
    links = list(Link.objects.all())
    assert links and not counts.links_skipped and counts.links == len(links)
    assert {link.person_id for link in links} <= set(Assessment.objects.values_list("person_id", flat=True))
    statuses = Counter(link.status for link in links)
    assert statuses[Link.Status.REGULAR] and statuses[Link.Status.STOPPED] and statuses[Link.Status.SUGGESTED]
    person_interests = defaultdict(set)
    for person_id, name in Person.tags.through.objects.filter(tag__kind="interest").values_list(
        "person_id", "tag__name"
    ):
        person_interests[person_id].add(name)
    went = set()
    for link in links:
        assert link.opportunity_id in opportunities  # running ones only
        assert (
            set(link.matched_interests)
            == person_interests[link.person_id] & interests_of[link.opportunity_id]
        )
        history = list(link.changes.order_by("created_at", "id"))
        assert history[-1].status == link.status and link.version == len(history)
        assert all(a.changed_on <= b.changed_on <= TODAY for a, b in zip(history, history[1:], strict=False))
        flow = [change.status for change in history if change.status != Link.Status.STOPPED]
        assert flow == [s for s in LINK_FLOW if s in flow]  # in order, never backwards
        assert bool(link.stopped_reason) == (link.status == Link.Status.STOPPED)
        if {Link.Status.ATTENDED, Link.Status.REGULAR} & set(flow):
            went.add((link.person_id, link.opportunity_id))
    matched = sum(bool(link.matched_interests) for link in links)
    assert matched >= len(links) / 2
    attended = Activity.objects.filter(kind__in=[Activity.Kind.ATTENDED, Activity.Kind.ACCOMPANIED])
    assert attended.exists()
    for person_id, opportunity_id in attended.values_list("person_id", "opportunity_id"):
        assert (person_id, opportunity_id) in went


def _opportunity_interests() -> dict[int, list[str]]:
    found = defaultdict(list)
    for pk, name in Interest.objects.values_list("opportunity_id", "name"):
        found[pk].append(name)
    return found


def test_prompts_work_out_for_every_generated_person(generated_people, org):
    generate(generated_people, org)
    people = plan_selectors.with_due_facts(Person.objects.filter(team=org.team), TODAY)
    codes = Counter()
    for person in people:
        overdue = Step.objects.filter(
            goal__person=person, goal__status=Goal.Status.ACTIVE, done_on__isnull=True, due_on__lt=TODAY
        ).count()
        assert person.overdue_steps == overdue
        assert person.has_goal == Goal.objects.filter(person=person).exists()
        codes.update(prompt.code for prompt in prompts(plan_selectors.due_facts(person), TODAY))
    assert {"map", "goal", "link", "steps", "review"} <= set(codes)


def test_demo_shows_practitioner_a_every_kind_of_prompt(client, db):
    call_command("demo")
    practitioner = User.objects.get(username="practitioner.a")
    theirs = Person.objects.filter(allocated_worker=practitioner, status=Person.Status.OPEN)
    annotated = list(plan_selectors.with_due_facts(theirs))
    with_overdue = [person for person in annotated if person.overdue_steps]
    assert len(with_overdue) == 1 and with_overdue[0].overdue_steps == 1
    assert sum(not person.has_goal for person in annotated) >= 2
    assert sum(person.has_goal for person in annotated) >= 2
    reviewed = Review.objects.filter(person__in=theirs, scores__isnull=False).values("person_id").distinct()
    assert reviewed.count() >= 2
    client.force_login(practitioner)
    page = client.get("/people/").content.decode()
    assert "1 step overdue" in page and "Set a first goal together" in page
