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

from django.db.models import Case, Exists, F, FloatField, Min, OuterRef, Subquery, Value, When
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, NullIf
from django.utils import timezone

from connecting_people.accounts.models import Team
from connecting_people.connections.models import MapSnapshot
from connecting_people.implementation.indicators import PersonFacts, ReviewFact
from connecting_people.implementation.selectors import implementation_teams
from connecting_people.measures import registry
from connecting_people.measures.models import Administration
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
    # By team (a join), not by a list of the people's ids: at 5,000 people a list costs more to send and parse
    # than the queries take to run.
    team_ids = [team.pk for team in teams]
    first_link = dict(
        LinkChange.objects.filter(link__person__team_id__in=team_ids, status__in=INTRODUCED_OR_BEYOND)
        .order_by()
        .values("link__person_id")
        .annotate(first=Min("changed_on"))
        .values_list("link__person_id", "first")
    )
    goals: dict[int, list[tuple[date, bool]]] = defaultdict(list)
    for person_id, set_on, linked in (
        Goal.objects.filter(person__team_id__in=team_ids)
        .annotate(linked=Exists(Goal.opportunities.through.objects.filter(goal_id=OuterRef("pk"))))
        .values_list("person_id", "set_on", "linked")
        .order_by("person_id", "set_on", "id")
    ):
        goals[person_id].append((set_on, linked))
    reviews: dict[int, list[ReviewFact]] = defaultdict(list)
    for person_id, held_on, next_on, snapshot_id, new_ties in (
        Review.objects.filter(person__team_id__in=team_ids)
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
    review, not followed as a score), and so are versions this deployment no longer loads. One query."""
    administrations = (
        Administration.objects.filter(person__team_id__in=[t.pk for t in teams])
        .exclude(instrument_id="gas")
        .annotate(headline=_headline_score())
        .filter(headline__isnull=False)
    )
    if end is not None:
        administrations = administrations.filter(administered_on__lte=end)
    first_latest: dict[tuple[int, str, str, int], list] = {}  # [first score, latest score or None]
    for team_id, person_id, instrument_id, version, score in administrations.order_by(
        "person_id", "instrument_id", "administered_on", "id"
    ).values_list("person__team_id", "person_id", "instrument_id", "instrument_version", "headline"):
        key = (team_id, instrument_id, version, person_id)
        if key in first_latest:
            first_latest[key][1] = score
        else:
            first_latest[key] = [score, None]
    grouped: dict[tuple[int, str, str], list[tuple[float, float]]] = defaultdict(list)
    for (team_id, instrument_id, version, _person), (first, latest) in first_latest.items():
        if latest is not None:
            grouped[(team_id, instrument_id, version)].append((first, latest))
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


def _headline_score() -> Case:
    """`measures.selectors.headline_value` as an SQL expression, one branch per loaded instrument version:
    the total, or the derived score the definition names; NULL for a band, a version not loaded and a missing
    score. Worked out in the database because decoding every administration's `derived` JSON and looking up its
    definition row by row took most of a trust dashboard's time at scale M."""
    branches = []
    for instrument in registry.catalogue():
        if instrument.headline == "band":
            continue
        if instrument.headline == "total":
            score = F("total")
        else:
            # SQLite gives a JSON null as the text 'null' (PostgreSQL as NULL): NULL on both.
            score = Cast(NullIf(KT(f"derived__{instrument.headline}"), Value("null")), FloatField())
        branches.append(When(instrument_id=instrument.id, instrument_version=instrument.version, then=score))
    return Case(*branches, default=Value(None), output_field=FloatField())
