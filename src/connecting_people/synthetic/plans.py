"""Synthetic plan–do–review records, in bulk and reproducibly from a seed.

Most open people who agreed to work this way have an assessment (barriers, aspirations in their own words)
a week or two after support started, and one to three connection goals, each with all five levels of its
goal attainment scale and, for about a third of people, weights (importance × difficulty). Each goal has one
to four steps (the person's, the worker's or someone else's) due around today: most past ones done, a few
overdue. Activities follow the plan (contacts, introductions, practical help, barriers tackled, sessions
attended). People supported for more than about three months have reviews every three to five months, each
scoring the goals then being worked on (scores drift upwards from review to review, as a service that helps
would show) with its Goal Attainment Scaling administration scored in batch by the measures engine.

Links to community opportunities are made only when the directory has opportunities (matched to the
person's interests where it can); attended links do not add entries to the connections map, so that the
generated maps and their measures stay as `synthetic.maps` made them.

Everything here draws from a random stream of its own, so adding plans changes nothing else that the
generator makes from the same seed. Texts are short templated phrases: nothing about real people.
"""

import random
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import date, timedelta
from enum import Enum

import numpy as np

from connecting_people.community.models import Interest, Opportunity
from connecting_people.connections.models import MapSnapshot
from connecting_people.measures import registry
from connecting_people.measures.models import Administration
from connecting_people.measures.scoring import score_batch
from connecting_people.measures.services import administration_from_score
from connecting_people.people.models import Person, Tag
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

INSERT_BATCH = 5_000
QUERY_BATCH = 5_000  # ids in one IN (...) list

# Who gets what.
WITH_ASSESSMENT = 0.85  # of open people with practice consent
WITH_GOALS = 0.88  # of those assessed
GOAL_COUNT_SHARE = {1: 40, 2: 40, 3: 20}
WEIGHTED_PEOPLE = 0.35  # share of people whose goals are weighted (importance × difficulty)
STEP_COUNT_SHARE = {1: 20, 2: 35, 3: 30, 4: 15}
WITH_LINKS = 0.6  # of those assessed, when the directory has opportunities
LINK_COUNT_SHARE = {1: 50, 2: 35, 3: 15}
ACTIVITIES_MAX = 8
FIRST_REVIEW_AFTER = (84, 120)  # days after support started
REVIEW_GAP = (84, 150)  # days between reviews

BARRIER_SHARE = {
    Barrier.CONFIDENCE: 30,
    Barrier.MONEY: 20,
    Barrier.TRAVEL: 15,
    Barrier.HEALTH: 18,
    Barrier.CARING: 6,
    Barrier.STIGMA: 8,
    Barrier.INFORMATION: 14,
    Barrier.LANGUAGE: 2,
    Barrier.TIME: 5,
    Barrier.ACCESS: 5,
    Barrier.OTHER: 2,
}
BARRIERS_IN_OWN_WORDS = {
    Barrier.CONFIDENCE: "I get anxious walking into a room of people I don't know.",
    Barrier.MONEY: "Money is tight, I can't pay for classes.",
    Barrier.TRAVEL: "The buses don't go where I need and taxis cost too much.",
    Barrier.HEALTH: "Some days I'm too low to get going.",
    Barrier.CARING: "I look after my mum most afternoons.",
    Barrier.STIGMA: "I worry people will judge me once they know about my diagnosis.",
    Barrier.INFORMATION: "I don't know what's on round here.",
    Barrier.LANGUAGE: "I'm not confident speaking English in a group.",
    Barrier.TIME: "My shifts change every week.",
    Barrier.ACCESS: "A lot of places have steps I can't manage.",
    Barrier.OTHER: "It's hard to explain, it just feels too much.",
}
ASPIRATIONS = [
    "I'd like to have something to get up for.",
    "I want to meet people who like the same things as me.",
    "I'd like to feel part of my community again.",
    "I want to get back to work one day.",
    "I'd like to be less lonely at weekends.",
    "I want to learn something new.",
    "I'd like to give something back.",
    "I want to see my family more.",
    "I'd like a reason to get out of the house.",
    "I want to feel useful.",
]
STRENGTHS_IN_OWN_WORDS = [
    "I'm good with my hands.",
    "People say I'm a good listener.",
    "I used to organise things at work.",
    "I'm reliable when I say I'll do something.",
    "I can make people laugh.",
    "I know a lot about {topic}.",
    "I'm patient with people.",
    "",
]
# Topics for goals when the person has no interests recorded.
TOPICS = ["walking", "art", "music", "gardening", "cooking", "reading", "football", "crafts", "history"]


@dataclass(frozen=True)
class GoalTemplate:
    """A goal in the person's words and what each level of its scale would look like: −2, −1, 0, +1, +2."""

    text: str
    levels: tuple[str, str, str, str, str]


GOAL_TEMPLATES = [
    GoalTemplate(
        "I want to go to a {topic} group.",
        (
            "Has not been to a {topic} group",
            "Has found a {topic} group but not gone yet",
            "Has been to a {topic} group once",
            "Has been to a {topic} group two or three times",
            "Goes to a {topic} group most weeks",
        ),
    ),
    GoalTemplate(
        "I'd like to do some volunteering, maybe something to do with {topic}.",
        (
            "Has not looked into volunteering",
            "Has found a volunteering role to ask about",
            "Has been to a taster session",
            "Volunteers some weeks",
            "Volunteers every week",
        ),
    ),
    GoalTemplate(
        "I want to learn more about {topic} on a course.",
        (
            "Has not looked for a course",
            "Has found a course to go on",
            "Has enrolled and been to the first session",
            "Has been to half the sessions",
            "Has finished the course",
        ),
    ),
    GoalTemplate(
        "I'd like to see a friend more often.",
        (
            "Has not met up with anyone",
            "Has messaged a friend",
            "Meets a friend once a month",
            "Meets a friend every fortnight",
            "Meets friends every week",
        ),
    ),
    GoalTemplate(
        "I want to get back in touch with my family.",
        (
            "Has had no contact",
            "Has written down what to say",
            "Has been in touch once",
            "Is in touch every month",
            "Sees them regularly",
        ),
    ),
    GoalTemplate(
        "I want to get out of the house more, for {topic} or just a walk.",
        (
            "Stays in most days",
            "Goes out once a week",
            "Goes out three days a week",
            "Goes out most days",
            "Goes out every day and enjoys it",
        ),
    ),
]
STEPS = [
    ("Find out when and where the {topic} group meets", Step.Owner.WORKER),
    ("Phone the organiser to ask about a first visit", Step.Owner.PERSON),
    ("Go along to a taster session", Step.Owner.PERSON),
    ("Apply for a bus pass", Step.Owner.WORKER),
    ("Come along the first time", Step.Owner.OTHER),
    ("Check the cost and ask about a concession", Step.Owner.WORKER),
    ("Write down three things to say when arriving", Step.Owner.PERSON),
    ("Book a place", Step.Owner.PERSON),
    ("Introduce them to the coordinator", Step.Owner.OTHER),
    ("Plan the journey together", Step.Owner.WORKER),
    ("Send a text to say hello", Step.Owner.PERSON),
]
OTHER_OWNERS = ["Peer support worker", "Sister", "Brother", "Neighbour", "Volunteer coordinator", "A friend"]
ACTIVITY_SHARE = {
    Activity.Kind.CONTACT_PHONE: 30,
    Activity.Kind.CONTACT_IN_PERSON: 25,
    Activity.Kind.INTRODUCTION: 10,
    Activity.Kind.PRACTICAL: 12,
    Activity.Kind.BARRIER: 10,
    Activity.Kind.ACCOMPANIED: 6,  # these two need an opportunity the person is linked to
    Activity.Kind.ATTENDED: 12,
}
ACTIVITY_NOTES = {
    Activity.Kind.CONTACT_PHONE: ["Talked through the week.", "Checked how the first visit went.", ""],
    Activity.Kind.CONTACT_IN_PERSON: ["Met at the café and looked at what's on.", "Home visit.", ""],
    Activity.Kind.INTRODUCTION: ["Emailed the organiser to introduce them.", "Introduced by phone."],
    Activity.Kind.PRACTICAL: ["Helped with the bus fare for the first month.", "Sorted out boots.", ""],
    Activity.Kind.BARRIER: [
        "Felt too anxious to go in; we sat outside first and went in together.",
        "Cost was the worry; found a free session.",
        "Practised the bus route together.",
    ],
    Activity.Kind.ACCOMPANIED: ["Went along together; stayed for the first half.", ""],
    Activity.Kind.ATTENDED: ["Went on their own.", "Enjoyed it, wants to go again.", ""],
}
HELP_SHARE = {
    Activity.Help.TRAVEL: 45,
    Activity.Help.COST: 30,
    Activity.Help.KIT: 15,
    Activity.Help.OTHER: 10,
}
LINK_STATUS_SHARE = {
    Link.Status.SUGGESTED: 20,
    Link.Status.DISCUSSED: 18,
    Link.Status.INTRODUCED: 14,
    Link.Status.ATTENDED: 16,
    Link.Status.REGULAR: 18,
    Link.Status.STOPPED: 14,
}
LINK_FLOW = [
    Link.Status.SUGGESTED,
    Link.Status.DISCUSSED,
    Link.Status.INTRODUCED,
    Link.Status.ATTENDED,
    Link.Status.REGULAR,
]
STOPPED_REASONS = [
    "The times changed and clash with work.",
    "Did not feel welcome.",
    "Moved to a group nearer home.",
    "Too much going on at the moment.",
]
REVIEW_NOTES = [
    "Good progress.",
    "A hard few months; keeping the same goals.",
    "Talked about what's next.",
    "",
]


class Shape(Enum):
    """A plan made to order (the named demo), rather than drawn at random."""

    FULL = "full"  # assessment, two goals with steps, no step overdue, at least one review
    FULL_OVERDUE = "full_overdue"  # the same, with exactly one step overdue
    NO_GOALS = "no_goals"  # an assessment and nothing else yet
    NOTHING = "nothing"  # nothing recorded yet


@dataclass(frozen=True)
class PlanCounts:
    assessments: int = 0
    goals: int = 0
    steps: int = 0
    activities: int = 0
    links: int = 0
    link_changes: int = 0
    reviews: int = 0
    goal_scores: int = 0
    links_skipped: bool = False  # no opportunities in the directory

    def __add__(self, other: "PlanCounts") -> "PlanCounts":
        added = {
            f.name: getattr(self, f.name) + getattr(other, f.name)
            for f in fields(self)
            if f.name != "links_skipped"
        }
        return PlanCounts(**added, links_skipped=self.links_skipped or other.links_skipped)


# --- drawing --------------------------------------------------------------------------------------------


@dataclass
class DrawnGoal:
    set_on: date
    text: str
    levels: tuple[str, ...]  # −2, −1, 0, +1, +2
    status: str
    ended_on: date | None  # when an achieved or stopped goal stopped being worked on
    importance: int | None
    difficulty: int | None
    steps: list[Step] = field(default_factory=list)
    opportunity_ids: list[int] = field(default_factory=list)
    row: Goal | None = None


@dataclass
class DrawnReview:
    held_on: date
    next_review_on: date | None
    decision: str
    notes: str
    snapshot_id: int | None
    scores: list[tuple[int, int]]  # (index of the goal in the person's goals, level)


@dataclass
class DrawnLink:
    opportunity_id: int
    matched: list[str]
    history: list[tuple[str, date, str]]  # (status, changed on, reason)
    row: Link | None = None


@dataclass
class DrawnPlan:
    person_id: int
    worker_id: int
    assessment: Assessment
    goals: list[DrawnGoal]
    links: list[DrawnLink]
    activities: list[tuple[Activity, int | None]]  # (unsaved row, index of its goal)
    reviews: list[DrawnReview]


def _pick(rng: random.Random, share: Mapping) -> object:
    return rng.choices(list(share), weights=list(share.values()))[0]


def _days(start: date, end: date) -> int:
    return (end - start).days


class PlanDrawer:
    """Draws one person's plan–do–review record from one random generator. `opportunities` lists the ids
    of the directory's running opportunities, `by_interest` their ids by the interests they suit."""

    def __init__(
        self,
        rng: random.Random,
        *,
        today: date,
        opportunities: Sequence[int],
        by_interest: Mapping[str, Sequence[int]],
    ):
        self.rng, self.today = rng, today
        self.opportunities, self.by_interest = opportunities, by_interest

    def plan(
        self,
        person: Person,
        worker_id: int,
        interests: Sequence[str],
        snapshots: Sequence[tuple[date, int]],
        shape: Shape | None,
    ) -> DrawnPlan | None:
        rng, today = self.rng, self.today
        if shape is Shape.NOTHING or (shape is None and rng.random() >= WITH_ASSESSMENT):
            return None
        opened = person.opened_on
        made_to_order = shape is not None
        assessed_on = min(today, opened + timedelta(days=1 if made_to_order else rng.randint(3, 35)))
        topics = list(interests) or TOPICS
        barriers = sorted(
            set(rng.choices(list(BARRIER_SHARE), weights=list(BARRIER_SHARE.values()), k=rng.randint(1, 3))),
            key=Barrier.values.index,
        )
        assessment = Assessment(
            person_id=person.pk,
            aspirations=rng.choice(ASPIRATIONS),
            strengths_in_own_words=rng.choice(STRENGTHS_IN_OWN_WORDS).format(topic=rng.choice(topics)),
            barriers=[str(code) for code in barriers],
            barriers_in_own_words=BARRIERS_IN_OWN_WORDS[barriers[0]] if rng.random() < 0.6 else "",
            assessed_on=assessed_on,
            updated_by_id=worker_id,
        )
        if shape is Shape.NO_GOALS or (shape is None and rng.random() >= WITH_GOALS):
            goals: list[DrawnGoal] = []
        else:
            goals = self.goals(assessed_on, topics, made_to_order=made_to_order)
        for goal in goals:
            goal.steps = self.steps(goal, topics, made_to_order=made_to_order)
        if shape is Shape.FULL_OVERDUE:
            self.make_one_overdue(goals)
        links = self.links(assessed_on, interests) if shape is not Shape.NO_GOALS else []
        for goal in goals[:1]:
            if links and rng.random() < 0.5:
                goal.opportunity_ids = [links[0].opportunity_id]
        activities = self.activities(person.pk, worker_id, assessed_on, goals, links)
        reviews = self.reviews(person, goals, snapshots, made_to_order=made_to_order)
        return DrawnPlan(person.pk, worker_id, assessment, goals, links, activities, reviews)

    def goals(self, assessed_on: date, topics: Sequence[str], *, made_to_order: bool) -> list[DrawnGoal]:
        """One to three goals (two, made to order: the first set on the day of the assessment)."""
        rng, today = self.rng, self.today
        count = 2 if made_to_order else int(_pick(rng, GOAL_COUNT_SHARE))
        weighted = rng.random() < WEIGHTED_PEOPLE
        goals = []
        set_on = assessed_on if made_to_order else min(today, assessed_on + timedelta(rng.randint(0, 21)))
        for template in rng.sample(GOAL_TEMPLATES, count):
            topic = rng.choice(topics)
            age = _days(set_on, today)
            if age > 150:
                status = _pick(
                    rng, {Goal.Status.ACTIVE: 45, Goal.Status.ACHIEVED: 40, Goal.Status.STOPPED: 15}
                )
            else:
                status = _pick(rng, {Goal.Status.ACTIVE: 92, Goal.Status.ACHIEVED: 4, Goal.Status.STOPPED: 4})
            if made_to_order and not goals:
                status = Goal.Status.ACTIVE  # something to score at the review and to work on now
            ended_on = None
            if status != Goal.Status.ACTIVE:
                ended_on = min(today, set_on + timedelta(days=rng.randint(min(60, age), max(60, age))))
            goals.append(
                DrawnGoal(
                    set_on=set_on,
                    text=template.text.format(topic=topic),
                    levels=tuple(level.format(topic=topic) for level in template.levels),
                    status=str(status),
                    ended_on=ended_on,
                    importance=rng.randint(1, 3) if weighted else None,
                    difficulty=rng.randint(1, 3) if weighted else None,
                )
            )
            set_on = min(today, set_on + timedelta(days=rng.randint(14, 150)))
        return goals

    def steps(self, goal: DrawnGoal, topics: Sequence[str], *, made_to_order: bool) -> list[Step]:
        """Steps due from a week after the goal was set to two months ahead; most past ones done, a few of the
        recent ones overdue. Steps of a goal no longer worked on fall due before it ended."""
        rng, today = self.rng, self.today
        steps = []
        last_day = goal.ended_on or today + timedelta(days=60)
        for what, owner in rng.sample(STEPS, int(_pick(rng, STEP_COUNT_SHARE))):
            span = _days(goal.set_on, last_day)
            due_on = goal.set_on + timedelta(days=rng.randint(min(7, span), max(7, span)))
            if goal.status == Goal.Status.ACHIEVED:
                done = True
            elif goal.status == Goal.Status.STOPPED:
                done = rng.random() < 0.5
            elif due_on < today:
                done = made_to_order or rng.random() < (0.55 if _days(due_on, today) <= 30 else 0.92)
            else:
                done = rng.random() < 0.1
            done_on = None
            if done:
                latest = min(today, goal.ended_on or today)
                done_on = min(latest, max(goal.set_on, due_on + timedelta(days=rng.randint(-10, 10))))
            steps.append(
                Step(
                    what=what.format(topic=rng.choice(topics)),
                    owner=owner,
                    owner_name=rng.choice(OTHER_OWNERS) if owner == Step.Owner.OTHER else "",
                    due_on=due_on,
                    done_on=done_on,
                )
            )
        return steps

    def make_one_overdue(self, goals: list[DrawnGoal]) -> None:
        """Exactly one step overdue: the first goal's first step (made to order, that goal is active), due a
        few days ago and not done; every other step of an active goal that has fallen due is done."""
        today = self.today
        active = [goal for goal in goals if goal.status == Goal.Status.ACTIVE]
        for goal in active:
            for step in goal.steps:
                if step.done_on is None and step.due_on < today:
                    step.done_on = step.due_on
        step = active[0].steps[0]
        step.due_on = max(active[0].set_on, today - timedelta(days=self.rng.randint(2, 10)))
        step.done_on = None
        if step.due_on >= today:  # the goal was set too recently to have anything overdue: set it earlier
            active[0].set_on = step.due_on = today - timedelta(days=2)

    def links(self, assessed_on: date, interests: Sequence[str]) -> list[DrawnLink]:
        rng, today = self.rng, self.today
        if not self.opportunities or rng.random() >= WITH_LINKS:
            return []
        wanted = int(_pick(rng, LINK_COUNT_SHARE))
        candidates = sorted({pk for interest in interests for pk in self.by_interest.get(interest, ())})
        chosen = rng.sample(candidates, min(wanted, len(candidates)))
        while len(chosen) < min(wanted, len(self.opportunities)):
            pk = rng.choice(self.opportunities)
            if pk not in chosen:
                chosen.append(pk)
        links = []
        for pk in chosen:
            matched = sorted(interest for interest in interests if pk in self.by_interest.get(interest, ()))
            status = _pick(rng, LINK_STATUS_SHARE)
            if status == Link.Status.STOPPED:
                flow = LINK_FLOW[: rng.randint(2, len(LINK_FLOW))]
            else:
                flow = LINK_FLOW[: LINK_FLOW.index(status) + 1]
            if rng.random() < 0.3:  # often talked about with the person before it is written down
                flow = flow[1:] or flow
            when = min(today, assessed_on + timedelta(days=rng.randint(0, 60)))
            history = []
            for step in flow:
                history.append((str(step), when, ""))
                when = min(today, when + timedelta(days=rng.randint(3, 28)))
            if status == Link.Status.STOPPED:
                history.append((str(status), when, rng.choice(STOPPED_REASONS)))
            links.append(DrawnLink(pk, matched, history))
        return links

    def activities(
        self,
        person_id: int,
        worker_id: int,
        assessed_on: date,
        goals: Sequence[DrawnGoal],
        links: Sequence[DrawnLink],
    ) -> list[tuple[Activity, int | None]]:
        rng, today = self.rng, self.today
        went = [
            (link.opportunity_id, day)
            for link in links
            for status, day, _ in link.history
            if status in (Link.Status.ATTENDED, Link.Status.REGULAR)
        ]
        introduced = [link.opportunity_id for link in links]
        activities = []
        span = max(_days(assessed_on, today), 0)
        for _ in range(rng.randint(0, ACTIVITIES_MAX if goals else 3)):
            kind = _pick(rng, ACTIVITY_SHARE)
            occurred_on = assessed_on + timedelta(days=rng.randint(0, span))
            opportunity_id, help_given, barriers = None, [], []
            if kind in (Activity.Kind.ATTENDED, Activity.Kind.ACCOMPANIED):
                if not went:
                    kind = Activity.Kind.CONTACT_PHONE
                else:
                    opportunity_id, occurred_on = rng.choice(went)
            elif kind == Activity.Kind.INTRODUCTION and introduced:
                opportunity_id = rng.choice(introduced)
            elif kind == Activity.Kind.PRACTICAL:
                help_given = [str(_pick(rng, HELP_SHARE))]
            elif kind == Activity.Kind.BARRIER:
                barriers = [str(_pick(rng, BARRIER_SHARE))]
            goal_index = rng.randrange(len(goals)) if goals and rng.random() < 0.5 else None
            activities.append(
                (
                    Activity(
                        person_id=person_id,
                        kind=str(kind),
                        occurred_on=occurred_on,
                        help_given=help_given,
                        barriers=barriers,
                        notes=rng.choice(ACTIVITY_NOTES[kind]),
                        opportunity_id=opportunity_id,
                        recorded_by_id=worker_id,
                    ),
                    goal_index,
                )
            )
        return activities

    def reviews(
        self,
        person: Person,
        goals: Sequence[DrawnGoal],
        snapshots: Sequence[tuple[date, int]],
        *,
        made_to_order: bool,
    ) -> list[DrawnReview]:
        """Reviews every three to five months from about three months in, before the person's next planned
        review; each scores the goals being worked on then. A made-to-order plan has at least one."""
        rng, today = self.rng, self.today
        if not goals:
            return []
        limit = today
        if person.next_review_on is not None:
            limit = min(limit, person.next_review_on - timedelta(days=1))
        dates = []
        day = person.opened_on + timedelta(days=rng.randint(*FIRST_REVIEW_AFTER))
        while day <= limit:
            dates.append(day)
            day += timedelta(days=rng.randint(*REVIEW_GAP))
        if made_to_order:
            first_set = goals[0].set_on
            dates = [day for day in dates if day > first_set]
            if not dates:
                gap = max(_days(first_set, limit), 2)
                dates = [min(today, first_set + timedelta(days=max(1, gap // 2)))]
        reviews: list[DrawnReview] = []
        seen: dict[int, int] = defaultdict(int)  # goal index → reviews it has been scored at
        previous: date | None = None
        for held_on in dates:
            scores = []
            for index, goal in enumerate(goals):
                if goal.set_on < held_on and (goal.ended_on is None or goal.ended_on >= held_on):
                    mean = -0.7 + 0.45 * seen[index]
                    level = max(-2, min(2, round(rng.gauss(mean, 0.9))))
                    if goal.status == Goal.Status.ACHIEVED and goal.ended_on and goal.ended_on < today:
                        level = max(level, 0)
                    scores.append((index, level))
                    seen[index] += 1
            if not scores:
                continue
            snapshot_id = None
            for taken_on, pk in snapshots:  # oldest first: the last taken since the review before
                if taken_on <= held_on and (previous is None or taken_on > previous):
                    snapshot_id = pk
            reviews.append(
                DrawnReview(
                    held_on=held_on,
                    next_review_on=None,
                    decision=str(_pick(rng, {Review.Decision.CONTINUE: 80, Review.Decision.NEW_GOALS: 20})),
                    notes=rng.choice(REVIEW_NOTES),
                    snapshot_id=snapshot_id,
                    scores=scores,
                )
            )
            previous = held_on
        for review, after in zip(reviews, reviews[1:], strict=False):
            review.next_review_on = after.held_on
        if reviews:
            last = reviews[-1]
            planned = person.next_review_on
            last.next_review_on = (
                planned if planned and planned > last.held_on else last.held_on + timedelta(91)
            )
        return reviews


# --- storing --------------------------------------------------------------------------------------------


def _in_batches(ids: Sequence[int]):
    for start in range(0, len(ids), QUERY_BATCH):
        yield ids[start : start + QUERY_BATCH]


def _interests_of(person_ids: Sequence[int]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = defaultdict(list)
    through = Person.tags.through
    for ids in _in_batches(person_ids):
        rows = through.objects.filter(person_id__in=ids, tag__kind=Tag.Kind.INTEREST).values_list(
            "person_id", "tag__name"
        )
        for person_id, name in rows:
            found[person_id].append(name)
    return {person_id: sorted(names) for person_id, names in found.items()}


def _snapshots_of(person_ids: Sequence[int]) -> dict[int, list[tuple[date, int]]]:
    found: dict[int, list[tuple[date, int]]] = defaultdict(list)
    for ids in _in_batches(person_ids):
        rows = MapSnapshot.objects.filter(person_id__in=ids).values_list("person_id", "taken_on", "pk")
        for person_id, taken_on, pk in rows:
            found[person_id].append((taken_on, pk))
    return {person_id: sorted(rows) for person_id, rows in found.items()}


def _directory() -> tuple[list[int], dict[str, list[int]]]:
    """Active opportunities' ids, and their ids by interest (both sorted, so the draw does not depend on the
    order the database returns rows in)."""
    opportunities = sorted(Opportunity.objects.filter(active=True).values_list("pk", flat=True))
    by_interest: dict[str, list[int]] = defaultdict(list)
    if opportunities:
        rows = Interest.objects.filter(opportunity__active=True).values_list("name", "opportunity_id")
        for name, pk in sorted(rows):
            by_interest[name].append(pk)
    return opportunities, dict(by_interest)


def generate_plans(
    *,
    people: Sequence[Person],
    workers_by_team: dict[int, list[int]],
    seed: int,
    today: date,
    shapes: Mapping[int, Shape] | None = None,
) -> PlanCounts:
    """Create plan–do–review records for these people; returns how many of each.

    `people` need pk, team_id, allocated_worker_id, opened_on, status, practice_consent and next_review_on
    loaded. Open people with practice consent are drawn at random; `shapes` (person id → Shape) makes some
    people's plans to order (the demo), whatever their draw. The same people, seed, day and directory give
    the same records; the draw uses a random stream of its own, so other generated data does not change.
    """
    rng = random.Random(f"synthetic.plans:{seed}")
    shapes = dict(shapes or {})
    opportunities, by_interest = _directory()
    drawer = PlanDrawer(rng, today=today, opportunities=opportunities, by_interest=by_interest)
    chosen = sorted(
        (
            person
            for person in people
            if person.pk in shapes
            or (person.status == Person.Status.OPEN and person.practice_consent is True)
        ),
        key=lambda person: person.pk,
    )
    ids = [person.pk for person in chosen]
    interests, snapshots = _interests_of(ids), _snapshots_of(ids)
    plans = []
    for person in chosen:
        worker = person.allocated_worker_id or rng.choice(workers_by_team[person.team_id])
        drawn = drawer.plan(
            person, worker, interests.get(person.pk, []), snapshots.get(person.pk, []), shapes.get(person.pk)
        )
        if drawn is not None:
            plans.append(drawn)
    return replace(store_plans(plans), links_skipped=not opportunities)


def store_plans(plans: Sequence[DrawnPlan]) -> PlanCounts:
    """Insert drawn plans: one bulk insert a table (in batches), parents before children, and the reviews'
    GAS administrations scored in batch (one `score_batch` per number of goals scored)."""
    Assessment.objects.bulk_create([plan.assessment for plan in plans], batch_size=INSERT_BATCH)

    goals = []
    for plan in plans:
        for drawn in plan.goals:
            drawn.row = Goal(
                person_id=plan.person_id,
                text=drawn.text,
                set_on=drawn.set_on,
                status=drawn.status,
                level_minus_2=drawn.levels[0],
                level_minus_1=drawn.levels[1],
                level_0=drawn.levels[2],
                level_plus_1=drawn.levels[3],
                level_plus_2=drawn.levels[4],
                importance=drawn.importance,
                difficulty=drawn.difficulty,
                created_by_id=plan.worker_id,
            )
            goals.append(drawn.row)
    Goal.objects.bulk_create(goals, batch_size=INSERT_BATCH)
    steps = []
    goal_opportunities = []
    for plan in plans:
        for drawn in plan.goals:
            for step in drawn.steps:
                step.goal_id = drawn.row.pk
                steps.append(step)
            goal_opportunities.extend(
                Goal.opportunities.through(goal_id=drawn.row.pk, opportunity_id=pk)
                for pk in drawn.opportunity_ids
            )
    Step.objects.bulk_create(steps, batch_size=INSERT_BATCH)
    Goal.opportunities.through.objects.bulk_create(goal_opportunities, batch_size=INSERT_BATCH)

    links = []
    for plan in plans:
        for drawn in plan.links:
            status, _, reason = drawn.history[-1]
            drawn.row = Link(
                person_id=plan.person_id,
                opportunity_id=drawn.opportunity_id,
                status=status,
                stopped_reason=reason,
                matched_interests=drawn.matched,
                version=len(drawn.history),
            )
            links.append(drawn.row)
    Link.objects.bulk_create(links, batch_size=INSERT_BATCH)
    changes = [
        LinkChange(
            link_id=drawn.row.pk, status=status, reason=reason, changed_on=day, changed_by_id=plan.worker_id
        )
        for plan in plans
        for drawn in plan.links
        for status, day, reason in drawn.history
    ]
    LinkChange.objects.bulk_create(changes, batch_size=INSERT_BATCH)

    activities = []
    for plan in plans:
        for activity, goal_index in plan.activities:
            activity.goal_id = plan.goals[goal_index].row.pk if goal_index is not None else None
            activities.append(activity)
    Activity.objects.bulk_create(activities, batch_size=INSERT_BATCH)

    reviews = [(plan, drawn) for plan in plans for drawn in plan.reviews]
    administrations = _gas_administrations(reviews)
    Administration.objects.bulk_create(administrations, batch_size=INSERT_BATCH)
    review_rows = [
        Review(
            person_id=plan.person_id,
            held_on=drawn.held_on,
            decision=drawn.decision,
            notes=drawn.notes,
            next_review_on=drawn.next_review_on,
            snapshot_id=drawn.snapshot_id,
            gas_id=administration.pk,
            held_by_id=plan.worker_id,
        )
        for (plan, drawn), administration in zip(reviews, administrations, strict=True)
    ]
    Review.objects.bulk_create(review_rows, batch_size=INSERT_BATCH)
    scores = [
        GoalScore(review_id=row.pk, goal_id=plan.goals[index].row.pk, level=level)
        for (plan, drawn), row in zip(reviews, review_rows, strict=True)
        for index, level in drawn.scores
    ]
    GoalScore.objects.bulk_create(scores, batch_size=INSERT_BATCH)
    return PlanCounts(
        assessments=len(plans),
        goals=len(goals),
        steps=len(steps),
        activities=len(activities),
        links=len(links),
        link_changes=len(changes),
        reviews=len(review_rows),
        goal_scores=len(scores),
    )


def _gas_administrations(reviews: Sequence[tuple[DrawnPlan, DrawnReview]]) -> list[Administration]:
    """One unsaved GAS administration a review, as `plans.services.review_hold` records it: the scored goals'
    levels in goal order, weights kept when every scored goal is weighted. Scored in one batch for each number
    of goals scored, so that every row has exactly its own goals (no padding, nothing counted missing)."""
    instrument = registry.instrument("gas")
    options = registry.scoring_options(instrument)
    by_width: dict[int, list[int]] = defaultdict(list)
    for position, (_, drawn) in enumerate(reviews):
        by_width[len(drawn.scores)].append(position)
    administrations: list[Administration | None] = [None] * len(reviews)
    for width, positions in sorted(by_width.items()):
        answers = np.empty((len(positions), width), dtype=np.float64)
        weights = np.ones((len(positions), width), dtype=np.float64)
        weighted = np.zeros(len(positions), dtype=bool)
        for row, position in enumerate(positions):
            plan, drawn = reviews[position]
            goals = [plan.goals[index] for index, _ in drawn.scores]
            answers[row] = [level for _, level in drawn.scores]
            if all(goal.importance is not None for goal in goals):
                weights[row] = [goal.importance * goal.difficulty for goal in goals]
                weighted[row] = True
        result = score_batch(instrument, answers, validate=False, weights=weights, **options)
        for row, position in enumerate(positions):
            plan, drawn = reviews[position]
            administration = administration_from_score(
                person_id=plan.person_id,
                instrument=instrument,
                answers=[level for _, level in drawn.scores],
                result=result.row(row),
                administered_on=drawn.held_on,
                mode=Administration.Mode.WITH_PERSON,
                timepoint_label="Review",
                administered_by_id=plan.worker_id,
            )
            if weighted[row]:
                administration.derived["weights"] = [float(w) for w in weights[row]]
            administrations[position] = administration
    return [administration for administration in administrations if administration is not None]
