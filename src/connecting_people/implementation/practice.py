"""What recorded practice says, per team, for the indicators and dashboards: aggregates only, scoped.

Everything here reads people's records to count them, and gives back nothing that names anyone: facts keyed by
internal ids for `indicators.indicators` to count, outcome means, and counts of what is overdue. Callers must
never show a person id. Reach is the same as for the other implementation pages: a team lead's teams, and the
teams of an implementation lead's trusts (`selectors.implementation_teams`). A fixed number of queries
whatever the number of people or teams.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from statistics import fmean

from django.db.models import Exists, Min, OuterRef, Subquery
from django.utils import timezone

from connecting_people.accounts.models import Team
from connecting_people.connections.models import MapSnapshot
from connecting_people.implementation.indicators import PersonFacts, ReviewFact
from connecting_people.implementation.selectors import implementation_teams
from connecting_people.measures import registry
from connecting_people.measures.models import Administration
from connecting_people.measures.selectors import headline_value
from connecting_people.people.models import Person
from connecting_people.plans.due import prompts
from connecting_people.plans.models import Goal, Link, LinkChange, Review
from connecting_people.plans.selectors import due_facts, with_due_facts

INTRODUCED_OR_BEYOND = (Link.Status.INTRODUCED, Link.Status.ATTENDED, Link.Status.REGULAR)


def teams_in_reach(*, user, team_ids=None) -> list[Team]:
    teams = implementation_teams(user=user).select_related("trust")
    if team_ids is not None:
        teams = teams.filter(pk__in=list(team_ids))
    return list(teams.order_by("trust__name", "name", "id"))


def team_by_id(team_id: int) -> Team | None:
    """Any team, for the operator's command line (not scoped: see the `fidelity` command)."""
    return Team.objects.select_related("trust").filter(pk=team_id).first()


def _people(teams: list[Team]):
    return Person.objects.filter(team_id__in=[team.pk for team in teams])


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
    ids = [row[0] for row in rows]
    first_link = dict(
        LinkChange.objects.filter(link__person_id__in=ids, status__in=INTRODUCED_OR_BEYOND)
        .order_by()
        .values("link__person_id")
        .annotate(first=Min("changed_on"))
        .values_list("link__person_id", "first")
    )
    goals: dict[int, list[tuple[date, bool]]] = defaultdict(list)
    for person_id, set_on, linked in (
        Goal.objects.filter(person_id__in=ids)
        .annotate(linked=Exists(Goal.opportunities.through.objects.filter(goal_id=OuterRef("pk"))))
        .values_list("person_id", "set_on", "linked")
        .order_by("person_id", "set_on", "id")
    ):
        goals[person_id].append((set_on, linked))
    reviews: dict[int, list[ReviewFact]] = defaultdict(list)
    for person_id, held_on, next_on, snapshot_id, new_ties in (
        Review.objects.filter(person_id__in=ids)
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
    people = with_due_facts(_people(teams).filter(status=Person.Status.OPEN), today).only(
        "pk", "team_id", "status", "allocated_on", "opened_on", "practice_consent", "next_review_on"
    )
    for person in people:
        row = counts[person.team_id]
        row.open_people += 1
        for prompt in prompts(due_facts(person), today):
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


def outcome_changes(*, teams: list[Team], end: date | None = None) -> dict[int, list[OutcomeChange]]:
    """Per team and instrument: the mean change in the headline score from each person's first to their latest
    administration (up to `end`), over people with at least two. Goal attainment is left out (it is scored per
    review, not followed as a score). One query."""
    first_latest: dict[tuple[int, str, str, int], list] = {}
    administrations = Administration.objects.filter(person__team_id__in=[t.pk for t in teams]).exclude(
        instrument_id="gas"
    )
    if end is not None:
        administrations = administrations.filter(administered_on__lte=end)
    for team_id, person_id, instrument_id, version, total, derived in administrations.order_by(
        "person_id", "instrument_id", "administered_on", "id"
    ).values_list("person__team_id", "person_id", "instrument_id", "instrument_version", "total", "derived"):
        key = (team_id, instrument_id, version, person_id)
        first_latest.setdefault(key, []).append((total, derived))
    grouped: dict[tuple[int, str, str], list[tuple[float, float]]] = defaultdict(list)
    for (team_id, instrument_id, version, _person), scores in first_latest.items():
        try:
            instrument = registry.instrument(instrument_id, version)
        except Exception:  # noqa: BLE001 - a definition this deployment no longer loads: left out
            continue
        values = [_headline(instrument, total, derived) for total, derived in scores]
        values = [value for value in values if value is not None]
        if len(values) >= 2:
            grouped[(team_id, instrument_id, version)].append((values[0], values[-1]))
    result: dict[int, list[OutcomeChange]] = {team.pk: [] for team in teams}
    for (team_id, instrument_id, version), pairs in sorted(grouped.items()):
        instrument = registry.instrument(instrument_id, version)
        result[team_id].append(
            OutcomeChange(
                instrument_id=instrument_id,
                title=instrument.title,
                people=len(pairs),
                mean_first=round(fmean(p[0] for p in pairs), 2),
                mean_latest=round(fmean(p[1] for p in pairs), 2),
                mean_change=round(fmean(p[1] - p[0] for p in pairs), 2),
            )
        )
    return result


class _Stored:
    """Just enough of an Administration for `headline_value`."""

    def __init__(self, total, derived):
        self.total, self.derived = total, derived or {}


def _headline(instrument, total, derived):
    return headline_value(instrument, _Stored(total, derived))
