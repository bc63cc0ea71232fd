"""Reads of a person's plan–do–review record. Functions taking `person` expect one from a scoped read
(`people.selectors.person_get` / `person_open`); anything that is not theirs is NotFoundError (a 404 page)."""

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Exists, IntegerField, Min, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from connecting_people.accounts.actor import Actor
from connecting_people.community.selectors import opportunities_for_interests, place_for
from connecting_people.connections import selectors as map_selectors
from connecting_people.connections.domain import Snapshot
from connecting_people.connections.models import MapSnapshot
from connecting_people.core.errors import NotFoundError
from connecting_people.core.scoping import scoped
from connecting_people.measures import registry
from connecting_people.measures.errors import UnknownInstrumentError
from connecting_people.measures.presenters import recordable_instruments, short_title
from connecting_people.measures.selectors import last_recorded_on
from connecting_people.people.models import Person
from connecting_people.people.selectors import counted_in_teams, person_tags, the_person
from connecting_people.plans.due import STARTING_MEASURES, DueFacts, MeasureFact, Prompt, prompts
from connecting_people.plans.models import (
    Activity,
    Assessment,
    Goal,
    GoalScore,
    Link,
    LinkChange,
    Review,
    Step,
    TeamReviewInterval,
)

GAS_INSTRUMENT = "gas"


def _one(queryset, pk, message: str):
    try:
        return queryset.get(pk=pk)
    except (queryset.model.DoesNotExist, ValueError, TypeError) as error:
        raise NotFoundError(message) from error


def assessment_of(*, actor: Actor, person: Person) -> Assessment | None:
    return scoped(actor, Assessment).filter(person=person).first()


def goals_of(*, actor: Actor, person: Person) -> list[Goal]:
    """Every goal, oldest first, with steps and opportunities (three queries)."""
    return list(
        scoped(actor, Goal)
        .filter(person=person)
        .prefetch_related(Prefetch("steps", queryset=Step.objects.order_by("due_on", "id")), "opportunities")
        .order_by("set_on", "id")
    )


def goals_in_reach(*, actor: Actor) -> QuerySet[Goal]:
    """Every goal the actor may read (those of the people in their reach), to filter and page."""
    return scoped(actor, Goal)


def goal_get(*, actor: Actor, goal_id) -> Goal:
    """One goal the actor may read, with its person; NotFoundError for unknown and out-of-reach ids alike."""
    return _one(scoped(actor, Goal).select_related("person"), goal_id, "No such goal")


def goals_of_people(*, actor: Actor, person_ids) -> list[Goal]:
    """The goals of these people (from a scoped read), by person, oldest first: one query."""
    return list(
        scoped(actor, Goal).filter(person_id__in=list(person_ids)).order_by("person_id", "set_on", "id")
    )


def steps_of_goals(*, actor: Actor, goal_ids) -> list[Step]:
    """The steps of these goals, by goal, soonest due first: one query."""
    return list(scoped(actor, Step).filter(goal_id__in=list(goal_ids)).order_by("goal_id", "due_on", "id"))


def gas_goals_at_most() -> int:
    """How many scored goals the goal attainment T-score is worked out over at most (the GAS definition's
    limit). A review scores any number of goals; above this it is saved without a T-score."""
    gas = registry.instrument(GAS_INSTRUMENT)
    return gas.repeat.maximum if gas.repeat is not None else 1


def goals_to_score(*, actor: Actor, person: Person) -> list[Goal]:
    """The goals a review scores: those still being worked on."""
    return list(
        scoped(actor, Goal)
        .filter(person=person, status=Goal.Status.ACTIVE)
        .prefetch_related(Prefetch("steps", queryset=Step.objects.order_by("due_on", "id")))
        .order_by("set_on", "id")
    )


def goal_of(*, actor: Actor, person: Person, goal_id) -> Goal:
    return _one(
        scoped(actor, Goal).filter(person=person).prefetch_related("opportunities"), goal_id, "No such goal"
    )


def step_of(*, actor: Actor, person: Person, step_id) -> Step:
    return _one(
        scoped(actor, Step).filter(goal__person=person).select_related("goal"), step_id, "No such step"
    )


def links_of(*, actor: Actor, person: Person) -> list[Link]:
    return list(
        scoped(actor, Link)
        .filter(person=person)
        .select_related("opportunity", "opportunity__organisation")
        .order_by("-updated_at", "-id")
    )


def link_of(*, actor: Actor, person: Person, link_id) -> Link:
    return _one(
        scoped(actor, Link).filter(person=person).select_related("opportunity", "opportunity__organisation"),
        link_id,
        "No such link",
    )


def link_history(*, actor: Actor, link: Link) -> list[LinkChange]:
    return list(
        scoped(actor, LinkChange).filter(link=link).select_related("changed_by").order_by("created_at", "id")
    )


def activities_of(*, actor: Actor, person: Person, limit: int | None = None) -> list[Activity]:
    activities = (
        scoped(actor, Activity)
        .filter(person=person)
        .select_related("opportunity", "goal", "recorded_by")
        .order_by("-occurred_on", "-id")
    )
    return list(activities[:limit] if limit else activities)


def activities_since(*, actor: Actor, person: Person, since: date | None, limit: int = 50) -> list[Activity]:
    """What has happened since `since` (the last review's day, included), latest first; everything when None."""
    activities = scoped(actor, Activity).filter(person=person).select_related("opportunity", "goal")
    if since is not None:
        activities = activities.filter(occurred_on__gte=since)
    return list(activities.order_by("-occurred_on", "-id")[:limit])


def last_review(*, actor: Actor, person: Person) -> Review | None:
    return scoped(actor, Review).filter(person=person).order_by("-held_on", "-id").first()


def review_interval_weeks(*, actor: Actor, person: Person) -> int | None:
    """How many weeks the person's team leaves between reviews, when the team has said (else None)."""
    return (
        scoped(actor, TeamReviewInterval)
        .filter(team_id=person.team_id)
        .values_list("weeks", flat=True)
        .first()
    )


@dataclass(frozen=True)
class ReviewMap:
    """The map a review shows: the latest one, whether it was started today (the review's new map, to change
    in the review), and the one before it to compare with."""

    latest: MapSnapshot | None
    previous: MapSnapshot | None
    started: bool
    current: Snapshot | None
    before: Snapshot | None


def review_map_of(*, actor: Actor, person: Person, today: date) -> ReviewMap:
    snapshots = map_selectors.snapshots_for(actor=actor, person=person)
    latest = snapshots[-1] if snapshots else None
    started = latest is not None and latest.taken_on == today
    previous = map_selectors.previous_of(latest, snapshots) if started else None
    return ReviewMap(
        latest=latest,
        previous=previous,
        started=started,
        current=map_selectors.snapshot_domain(latest) if latest else None,
        before=map_selectors.snapshot_domain(previous) if previous else None,
    )


def reviews_of(*, actor: Actor, person: Person) -> list[Review]:
    return list(
        scoped(actor, Review)
        .filter(person=person)
        .select_related("snapshot", "gas")
        .order_by("-held_on", "-id")
    )


def review_of(*, actor: Actor, person: Person, review_id) -> Review:
    return _one(
        scoped(actor, Review).filter(person=person).select_related("snapshot", "gas", "held_by"),
        review_id,
        "No such review",
    )


def scores_of(*, actor: Actor, review: Review) -> list[GoalScore]:
    return list(
        scoped(actor, GoalScore)
        .filter(review=review)
        .select_related("goal")
        .order_by("goal__set_on", "goal_id")
    )


# --- the same records as queries, for a caller that pages them (the API): each with what its rows show, so a
# page costs the same queries whatever its length.


def goals_query(*, actor: Actor, person: Person) -> QuerySet[Goal]:
    return (
        scoped(actor, Goal)
        .filter(person=person)
        .prefetch_related(Prefetch("steps", queryset=Step.objects.order_by("due_on", "id")), "opportunities")
    )


def steps_query(*, actor: Actor, goal: Goal) -> QuerySet[Step]:
    """The steps of a goal from a scoped read (`goal_of`)."""
    return scoped(actor, Step).filter(goal=goal)


def activities_query(*, actor: Actor, person: Person) -> QuerySet[Activity]:
    return scoped(actor, Activity).filter(person=person)


def activity_of(*, actor: Actor, person: Person, activity_id) -> Activity:
    return _one(scoped(actor, Activity).filter(person=person), activity_id, "No such activity")


def links_query(*, actor: Actor, person: Person) -> QuerySet[Link]:
    return scoped(actor, Link).filter(person=person).select_related("opportunity")


def reviews_query(*, actor: Actor, person: Person) -> QuerySet[Review]:
    return (
        scoped(actor, Review)
        .filter(person=person)
        .prefetch_related(Prefetch("scores", queryset=GoalScore.objects.order_by("goal_id")))
    )


def review_before(*, actor: Actor, review: Review) -> Review | None:
    return (
        scoped(actor, Review)
        .filter(person_id=review.person_id)
        .filter(Q(held_on__lt=review.held_on) | Q(held_on=review.held_on, pk__lt=review.pk))
        .select_related("snapshot", "gas")
        .order_by("-held_on", "-id")
        .first()
    )


@dataclass
class Suggestion:
    opportunity: object
    matched: list[str]
    # From the person's postcode (the middle of what the directory knows of it); None when either is not known.
    distance_miles: float | None = None


def suggestions_for(*, actor: Actor, person: Person, limit: int = 10) -> list[Suggestion]:
    """Opportunities that share the person's interests, not linked yet: most matches first, then free before
    paid, then nearest to the person's postcode when the directory can place it. None while the person's
    processing is restricted (no new link could be made)."""
    if person.processing_restricted:
        return []
    interests = person_tags(person=person)["interest"]
    if not interests:
        return []
    linked = set(scoped(actor, Link).filter(person=person).values_list("opportunity_id", flat=True))
    home = place_for(text=person.postcode) if person.postcode else None
    found = opportunities_for_interests(
        interests=interests, limit=limit + len(linked), near=home.point if home else None
    )
    return [
        Suggestion(opportunity, matched, getattr(opportunity, "distance_miles", None))
        for opportunity, matched in found
        if opportunity.pk not in linked
    ][:limit]


# ---------------------------------------------------------------------------------------------------------
# What is due


def with_due_facts(people: QuerySet[Person], today: date | None = None) -> QuerySet[Person]:
    """Annotate people with what `due.prompts` needs, in the same single query (constant for any caseload)."""
    today = today or timezone.localdate()
    overdue = (
        Step.objects.filter(
            goal__person=OuterRef("pk"),
            goal__status=Goal.Status.ACTIVE,
            done_on__isnull=True,
            due_on__lt=today,
        )
        .order_by()
        .values("goal__person")
        .annotate(count=Count("pk"))
        .values("count")
    )
    introduced = Link.objects.filter(person=OuterRef("pk"), status=Link.Status.INTRODUCED).order_by(
        "-updated_at", "-id"
    )
    return people.annotate(
        has_map=map_selectors.has_map(),
        has_goal=Exists(Goal.objects.filter(person=OuterRef("pk"))),
        has_link=Exists(Link.objects.filter(person=OuterRef("pk"))),
        has_assessment=Exists(Assessment.objects.filter(person=OuterRef("pk"))),
        overdue_steps=Coalesce(Subquery(overdue, output_field=IntegerField()), 0),
        visit_opportunity_id=Subquery(introduced.values("opportunity_id")[:1]),
        visit_opportunity_name=Subquery(introduced.values("opportunity__name")[:1]),
    )


def due_facts(person: Person, measures: tuple[MeasureFact, ...] | None = None) -> DueFacts:
    """From a person annotated by `with_due_facts`, with the measures they are followed on (`measure_facts`)."""
    return DueFacts(
        status=person.status,
        allocated_on=person.allocated_on or person.opened_on,
        practice_consent=person.practice_consent,
        has_map=person.has_map,
        has_goal=person.has_goal,
        has_link=person.has_link,
        overdue_steps=person.overdue_steps,
        next_review_on=person.next_review_on,
        has_assessment=person.has_assessment,
        visit=(person.visit_opportunity_id, person.visit_opportunity_name)
        if person.visit_opportunity_id
        else None,
        measures=measures,
    )


def measure_facts(*, person_ids) -> dict[int, tuple[MeasureFact, ...]]:
    """The outcome measures each person is followed on, with when each was last recorded (one query): the
    starting pair (SWEMWBS and the UCLA 3-item scale), and every other measure they have completed."""
    person_ids = list(person_ids)
    recorded = last_recorded_on(person_ids=person_ids)
    order = {instrument.id: index for index, instrument in enumerate(recordable_instruments())}
    found = {}
    for person_id in person_ids:
        done = {
            instrument_id: on
            for instrument_id, on in recorded.get(person_id, {}).items()
            if instrument_id in order
        }
        starting = [instrument_id for instrument_id in STARTING_MEASURES if instrument_id in order]
        followed = starting + sorted(set(done) - set(starting), key=order.__getitem__)
        found[person_id] = tuple(
            MeasureFact(instrument_id, _short_name(instrument_id), done.get(instrument_id))
            for instrument_id in followed
        )
    return found


def _short_name(instrument_id: str) -> str:
    try:
        return short_title(registry.instrument(instrument_id))
    except UnknownInstrumentError:
        return instrument_id


def prompts_for(*, person: Person, today: date | None = None) -> list[Prompt]:
    """What is due for one person (a scoped one), in two queries."""
    annotated = with_due_facts(the_person(person=person), today).get()
    measures = measure_facts(person_ids=[person.pk])[person.pk]
    return prompts(due_facts(annotated, measures), today or timezone.localdate())


def with_prompts(rows, today: date | None = None) -> list[tuple]:
    """(person, next step) rows of people annotated by `with_due_facts`, as (person, next step, prompts).
    One query more, whatever the number of rows (the measures each person is followed on)."""
    today = today or timezone.localdate()
    rows = list(rows)
    measures = measure_facts(person_ids=[person.pk for person, _ in rows])
    return [(person, step, prompts(due_facts(person, measures[person.pk]), today)) for person, step in rows]


# --- counts over whole teams (the implementation dashboards): plain rows keyed by person id, never shown ---------


def first_goal_set_on(person_ref: str = "pk") -> Subquery:
    """The date of a person's first goal, as a subquery on `person_ref` of the outer query."""
    return Subquery(Goal.objects.filter(person=OuterRef(person_ref)).order_by("set_on").values("set_on")[:1])


def first_link_reached(*, team_ids, statuses) -> dict[int, date]:
    """{person id: the first date one of their links reached one of `statuses`}, over the people
    `counted_in_teams`: one query."""
    return dict(
        LinkChange.objects.filter(
            counted_in_teams(team_ids=team_ids, path="link__person"), status__in=statuses
        )
        .order_by()
        .values("link__person_id")
        .annotate(first=Min("changed_on"))
        .values_list("link__person_id", "first")
    )


def goal_rows(*, team_ids):
    """(person id, date set, linked to an opportunity) of every goal of the people `counted_in_teams`, by
    person and date: one query, to iterate."""
    return (
        Goal.objects.filter(counted_in_teams(team_ids=team_ids, path="person"))
        .annotate(linked=Exists(Goal.opportunities.through.objects.filter(goal_id=OuterRef("pk"))))
        .values_list("person_id", "set_on", "linked")
        .order_by("person_id", "set_on", "id")
    )


def review_rows(*, team_ids):
    """(person id, date held, next review, snapshot id, new community ties on it) of every review of the people
    `counted_in_teams`, by person and date: one query, to iterate."""
    return (
        Review.objects.filter(counted_in_teams(team_ids=team_ids, path="person"))
        .values_list(
            "person_id", "held_on", "next_review_on", "snapshot_id", "snapshot__measures__new_community_ties"
        )
        .order_by("person_id", "held_on", "id")
    )


# --- everything held about one person (the data protection officer's subject access and erasure preview) --------
# Each takes a person the caller has already reached by its own reach.


def plan_assessment_held_about(*, person: Person) -> Assessment | None:
    """What matters to the person, as last assessed, with who updated it."""
    return Assessment.objects.filter(person=person).select_related("updated_by").first()


@dataclass(frozen=True)
class GoalHeld:
    goal: Goal  # with who set it and its community opportunities prefetched
    steps: list[Step]  # by due date
    scores: list[GoalScore]  # by the review they were given at, with the review


def goals_held_about(*, person: Person) -> list[GoalHeld]:
    """Every goal of the person, in the order set, with its steps and its scores at reviews."""
    goals = list(
        Goal.objects.filter(person=person)
        .select_related("created_by")
        .prefetch_related("opportunities")
        .order_by("set_on", "id")
    )
    steps: dict[int, list[Step]] = {goal.pk: [] for goal in goals}
    for step in Step.objects.filter(goal__person=person).order_by("due_on", "id"):
        steps[step.goal_id].append(step)
    scores: dict[int, list[GoalScore]] = {goal.pk: [] for goal in goals}
    for score in (
        GoalScore.objects.filter(goal__person=person)
        .select_related("review")
        .order_by("review__held_on", "id")
    ):
        scores[score.goal_id].append(score)
    return [GoalHeld(goal=goal, steps=steps[goal.pk], scores=scores[goal.pk]) for goal in goals]


def activities_held_about(*, person: Person) -> list[Activity]:
    """Every activity recorded with the person, oldest first, with its opportunity, goal and recorder."""
    return list(
        Activity.objects.filter(person=person)
        .select_related("opportunity", "goal", "recorded_by")
        .order_by("occurred_on", "id")
    )


@dataclass(frozen=True)
class LinkHeld:
    link: Link  # with its opportunity and organisation
    history: list[LinkChange]  # oldest first, with who changed it


def links_held_about(*, person: Person) -> list[LinkHeld]:
    """Every community link of the person, in the order made, with its history."""
    links = list(
        Link.objects.filter(person=person)
        .select_related("opportunity", "opportunity__organisation")
        .order_by("created_at", "id")
    )
    history: dict[int, list[LinkChange]] = {link.pk: [] for link in links}
    for change in (
        LinkChange.objects.filter(link__person=person)
        .select_related("changed_by")
        .order_by("created_at", "id")
    ):
        history[change.link_id].append(change)
    return [LinkHeld(link=link, history=history[link.pk]) for link in links]


@dataclass(frozen=True)
class ReviewHeld:
    review: Review  # with its map and who held it
    scores: list[GoalScore]  # by goal, with the goal


def reviews_held_about(*, person: Person) -> list[ReviewHeld]:
    """Every review of the person, oldest first, with the goal scores given at it."""
    reviews = list(
        Review.objects.filter(person=person).select_related("snapshot", "held_by").order_by("held_on", "id")
    )
    scores: dict[int, list[GoalScore]] = {review.pk: [] for review in reviews}
    for score in GoalScore.objects.filter(review__person=person).select_related("goal").order_by("goal_id"):
        scores[score.review_id].append(score)
    return [ReviewHeld(review=review, scores=scores[review.pk]) for review in reviews]


def plans_held_counts(*, person: Person) -> dict[str, int]:
    """How many goals, steps, activities, community links and reviews the person has."""
    return {
        "goals": Goal.objects.filter(person=person).count(),
        "steps": Step.objects.filter(goal__person=person).count(),
        "activities": Activity.objects.filter(person=person).count(),
        "community links": Link.objects.filter(person=person).count(),
        "reviews": Review.objects.filter(person=person).count(),
    }


def activities_of_people(*, person_ids, kinds: tuple[str, ...], until: date):
    """(person id, kind, date) of the activities of `kinds` recorded for `person_ids` (people the caller
    reached through its own scope: a study's linked participants) on or before `until`, streamed. For counting
    the practitioners' contacts that deliver the intervention; no notes, no names."""
    return (
        Activity.objects.filter(person_id__in=person_ids, kind__in=kinds, occurred_on__lte=until)
        .values_list("person_id", "kind", "occurred_on")
        .iterator(chunk_size=5000)
    )
