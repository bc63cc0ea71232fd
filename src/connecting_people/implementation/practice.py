"""What recorded practice says, per team, for the indicators and dashboards: aggregates only, scoped.

Everything here reads people's records to count them, and gives back nothing that names anyone: facts keyed by
internal ids for `indicators.indicators` to count, outcome means, and counts of what is overdue. Callers must
never show a person id. Reach is the same as for the other implementation pages: a team lead's teams, and the
teams of an implementation lead's trusts (`selectors.implementation_teams`). A fixed number of queries
whatever the number of people or teams.

People whose processing is restricted (UK GDPR Article 18, the privacy app) are counted in nothing here: every
query below picks its people with `_counted`, so the dashboards, their CSVs and `connecting-people fidelity
indicators` leave them out, as if not on the caseload.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from django.db.models import Avg, Count, Exists, F, Min, OuterRef, Q, Subquery
from django.utils import timezone

from connecting_people.accounts.models import Team
from connecting_people.connections.models import MapSnapshot
from connecting_people.implementation.indicators import PersonFacts, ReviewFact
from connecting_people.implementation.selectors import implementation_teams
from connecting_people.measures import registry
from connecting_people.measures.errors import UnknownInstrumentError
from connecting_people.measures.models import HeadlineSpan
from connecting_people.people.models import Person
from connecting_people.people.selectors import processing_allowed
from connecting_people.plans.due import DueFacts, prompts
from connecting_people.plans.models import Goal, Link, LinkChange, Review
from connecting_people.plans.selectors import with_due_facts

INTRODUCED_OR_BEYOND = (Link.Status.INTRODUCED, Link.Status.ATTENDED, Link.Status.REGULAR)


def teams_in_reach(*, user, team_ids=None) -> list[Team]:
    teams = implementation_teams(user=user).select_related("trust")
    if team_ids is not None:
        teams = teams.filter(pk__in=list(team_ids))
    return list(teams.order_by("trust__name", "name", "id"))


def team_by_id(team_id: int) -> Team | None:
    """Any team, for the operator's command line (not scoped: see the `fidelity` command)."""
    return Team.objects.select_related("trust").filter(pk=team_id).first()


def _counted(teams: list[Team], path: str = "") -> Q:
    """The people the numbers count, reached through `path` ("person", "link__person"): those of `teams` whose
    processing is not restricted. Every query here picks its people with this, and nothing else."""
    prefix = f"{path}__" if path else ""
    return Q(**{f"{prefix}team_id__in": [team.pk for team in teams]}) & processing_allowed(path)


def _people(teams: list[Team]):
    return Person.objects.filter(_counted(teams))


def practice_facts(*, teams: list[Team]) -> dict[int, list[PersonFacts]]:
    """{team id: facts of each person in the team} for teams from `teams_in_reach`. Four queries."""
    people = (
        _people(teams)
        .annotate(
            # Subqueries, not Min over joins: two joined one-to-many tables would multiply each other's rows.
            first_map_on=Subquery(
                MapSnapshot.objects.filter(person=OuterRef("pk")).order_by("taken_on").values("taken_on")[:1]
            ),
            first_goal_on=Subquery(
                Goal.objects.filter(person=OuterRef("pk")).order_by("set_on").values("set_on")[:1]
            ),
        )
        .values_list(
            "pk",
            "team_id",
            "allocated_worker_id",
            "opened_on",
            "closed_on",
            "allocated_on",
            "first_map_on",
            "first_goal_on",
        )
    )
    rows = list(people)
    # By team (a join), not by a list of the people's ids: at 5,000 people a list costs more to send and parse
    # than the queries take to run.
    first_link = dict(
        LinkChange.objects.filter(_counted(teams, "link__person"), status__in=INTRODUCED_OR_BEYOND)
        .order_by()
        .values("link__person_id")
        .annotate(first=Min("changed_on"))
        .values_list("link__person_id", "first")
    )
    goals: dict[int, list[tuple[date, bool]]] = defaultdict(list)
    for person_id, set_on, linked in (
        Goal.objects.filter(_counted(teams, "person"))
        .annotate(linked=Exists(Goal.opportunities.through.objects.filter(goal_id=OuterRef("pk"))))
        .values_list("person_id", "set_on", "linked")
        .order_by("person_id", "set_on", "id")
    ):
        goals[person_id].append((set_on, linked))
    reviews: dict[int, list[ReviewFact]] = defaultdict(list)
    for person_id, held_on, next_on, snapshot_id, new_ties in (
        Review.objects.filter(_counted(teams, "person"))
        .values_list(
            "person_id", "held_on", "next_review_on", "snapshot_id", "snapshot__measures__new_community_ties"
        )
        .order_by("person_id", "held_on", "id")
    ):
        ties = None if snapshot_id is None else int(new_ties or 0)
        reviews[person_id].append(ReviewFact(held_on, next_on, ties))
    by_team: dict[int, list[PersonFacts]] = {team.pk: [] for team in teams}
    for pk, team_id, worker_id, opened_on, closed_on, allocated_on, first_map_on, first_goal_on in rows:
        by_team[team_id].append(
            PersonFacts(
                person_id=pk,
                worker_id=worker_id,
                opened_on=opened_on,
                closed_on=closed_on,
                allocated_on=allocated_on,
                first_map_on=first_map_on,
                first_goal_on=first_goal_on,
                first_link_introduced_on=first_link.get(pk),
                goals=tuple(goals.get(pk, ())),
                reviews=tuple(reviews.get(pk, ())),
            )
        )
    return by_team


@dataclass
class Overdue:
    """What is overdue across a team's open caseload (counts of people)."""

    open_people: int = 0
    map_overdue: int = 0
    steps_overdue: int = 0
    review_overdue: int = 0
    no_goal: int = 0
    no_link: int = 0


def overdue_by_team(*, teams: list[Team], today: date | None = None) -> dict[int, Overdue]:
    """The "what is due" prompts of every open case, counted per team. One query."""
    today = today or timezone.localdate()
    counts = {team.pk: Overdue() for team in teams}
    people = with_due_facts(_people(teams).filter(status=Person.Status.OPEN), today).values_list(
        "team_id",
        "allocated_on",
        "opened_on",
        "practice_consent",
        "has_map",
        "has_goal",
        "has_link",
        "overdue_steps",
        "next_review_on",
    )
    # Plain rows rather than model instances: a trust holds thousands of open cases.
    for team_id, allocated_on, opened_on, consent, has_map, has_goal, has_link, steps, review_on in people:
        row = counts[team_id]
        row.open_people += 1
        facts = DueFacts(
            status=Person.Status.OPEN,
            allocated_on=allocated_on or opened_on,
            practice_consent=consent,
            has_map=has_map,
            has_goal=has_goal,
            has_link=has_link,
            overdue_steps=steps,
            next_review_on=review_on,
        )
        for prompt in prompts(facts, today):
            if prompt.code == "map" and prompt.overdue:
                row.map_overdue += 1
            elif prompt.code == "steps":
                row.steps_overdue += 1
            elif prompt.code == "review" and prompt.overdue:
                row.review_overdue += 1
            elif prompt.code == "goal":
                row.no_goal += 1
            elif prompt.code == "link":
                row.no_link += 1
    return counts


@dataclass
class OutcomeChange:
    instrument_id: str
    title: str
    people: int  # with at least two scored administrations of the same version
    mean_first: float | None
    mean_latest: float | None
    mean_change: float | None


def outcome_changes(*, teams: list[Team]) -> dict[int, list[OutcomeChange]]:
    """Per team and instrument version: the mean change in the headline score from each person's first to their
    latest administration, over people with at least two scored ones. Goal attainment is left out (it is scored
    per review, not followed as a score), and so are versions this deployment no longer loads. Averaged in the
    database over the kept spans (`measures.HeadlineSpan`, a row per person and version): one query."""
    spans = (
        HeadlineSpan.objects.filter(_counted(teams, "person"), scored__gte=2)
        .exclude(instrument_id="gas")
        .order_by()
        .values("person__team_id", "instrument_id", "instrument_version")
        .annotate(
            people=Count("id"),
            mean_first=Avg("first_score"),
            mean_latest=Avg("latest_score"),
            mean_change=Avg(F("latest_score") - F("first_score")),
        )
        .order_by("person__team_id", "instrument_id", "instrument_version")
    )
    result: dict[int, list[OutcomeChange]] = {team.pk: [] for team in teams}
    for row in spans:
        try:
            instrument = registry.instrument(row["instrument_id"], row["instrument_version"])
        except UnknownInstrumentError:
            continue
        result[row["person__team_id"]].append(
            OutcomeChange(
                instrument_id=row["instrument_id"],
                title=instrument.title,
                people=row["people"],
                mean_first=round(row["mean_first"], 2),
                mean_latest=round(row["mean_latest"], 2),
                mean_change=round(row["mean_change"], 2),
            )
        )
    return result
