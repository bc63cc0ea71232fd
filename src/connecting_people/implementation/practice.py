"""What recorded practice says, per team, for the indicators and dashboards: aggregates only, scoped.

Everything here reads people's records to count them, and gives back nothing that names anyone: facts keyed by
internal ids for `indicators.indicators` to count, outcome means, and counts of what is overdue. Callers must
never show a person id. Reach is the same as for the other implementation pages: a team lead's teams, and the
teams of an implementation lead's trusts (`selectors.implementation_teams`). A fixed number of queries
whatever the number of people or teams.

People whose processing is restricted (UK GDPR Article 18, the privacy app) are counted in nothing here: every
query below picks its people with `people.selectors.counted_in_teams`, so the dashboards, their CSVs and `connecting-people fidelity
indicators` leave them out, as if not on the caseload.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from django.utils import timezone

from connecting_people.accounts.actor import Actor, as_actor
from connecting_people.accounts.models import Team
from connecting_people.connections.selectors import first_map_taken_on
from connecting_people.implementation.indicators import PersonFacts, ReviewFact
from connecting_people.implementation.selectors import implementation_teams
from connecting_people.measures import registry
from connecting_people.measures.errors import UnknownInstrumentError
from connecting_people.measures.selectors import headline_changes_by_team
from connecting_people.people.models import Person
from connecting_people.people.selectors import people_counted_in_teams
from connecting_people.plans.due import DueFacts, prompts
from connecting_people.plans.models import Link
from connecting_people.plans.selectors import (
    first_goal_set_on,
    first_link_reached,
    goal_rows,
    review_rows,
    with_due_facts,
)

INTRODUCED_OR_BEYOND = (Link.Status.INTRODUCED, Link.Status.ATTENDED, Link.Status.REGULAR)


def teams_in_reach(*, actor: Actor, team_ids=None) -> list[Team]:
    actor = as_actor(actor)
    teams = implementation_teams(actor=actor).select_related("trust")
    if team_ids is not None:
        teams = teams.filter(pk__in=list(team_ids))
    return list(teams.order_by("trust__name", "name", "id"))


def team_by_id(team_id: int) -> Team | None:
    """Any team, for the operator's command line (not scoped: see the `fidelity` command)."""
    return Team.objects.select_related("trust").filter(pk=team_id).first()


def _team_ids(teams: list[Team]) -> list[int]:
    return [team.pk for team in teams]


def _people(teams: list[Team]):
    """The people the numbers count (`people.selectors.counted_in_teams`): every read here picks its people
    with it, through the owning app's selectors."""
    return people_counted_in_teams(team_ids=_team_ids(teams))


def practice_facts(*, teams: list[Team]) -> dict[int, list[PersonFacts]]:
    """{team id: facts of each person in the team} for teams from `teams_in_reach`. Four queries."""
    people = (
        _people(teams)
        .annotate(
            # Subqueries, not Min over joins: two joined one-to-many tables would multiply each other's rows.
            first_map_on=first_map_taken_on(),
            first_goal_on=first_goal_set_on(),
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
    first_link = first_link_reached(team_ids=_team_ids(teams), statuses=INTRODUCED_OR_BEYOND)
    goals: dict[int, list[tuple[date, bool]]] = defaultdict(list)
    for person_id, set_on, linked in goal_rows(team_ids=_team_ids(teams)):
        goals[person_id].append((set_on, linked))
    reviews: dict[int, list[ReviewFact]] = defaultdict(list)
    for person_id, held_on, next_on, snapshot_id, new_ties in review_rows(team_ids=_team_ids(teams)):
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
    spans = headline_changes_by_team(team_ids=_team_ids(teams), exclude_instruments=("gas",))
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
