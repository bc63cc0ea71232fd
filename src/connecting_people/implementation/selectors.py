"""Every read of implementation data, always given the actor, always scoped (records about staff through
`scoped(actor, Model)`, implementation/scopes.py; teams from the actor's scope). Out of scope is NotFoundError.

Who reaches what:

* a **practitioner**: their own fidelity self-ratings, the supervision records about them, and the training
  they attended;
* a **team lead**: everything for the teams they lead: workers' self- and supervisor ratings, team ratings,
  supervision, training, the champion, the team's community links and its checklist;
* an **implementation lead**: the teams of their trusts at team level: team ratings, the champion, training
  sessions and attendance (they record training across the trust), community links and the checklist. Never an
  individual worker's rating or supervision record: only aggregates, with counts from 1 to the small-number
  threshold hidden (None), as `people.selectors.team_case_counts` does;
* everyone else: nothing.

Functions that take a `team` expect one from a scoped read (`team_access`, `team_for_lead`). The aggregate
selectors at the end (`team_implementation_summaries`, `training_coverage`, `worker_rating_summaries`,
`supervision_summaries`) run a fixed number of queries whatever the number of teams, for dashboards.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from statistics import fmean

from django.conf import settings
from django.db.models import Count, Max, Q, QuerySet

from connecting_people.accounts.actor import Actor, as_actor
from connecting_people.accounts.models import Membership, Role, Team, User
from connecting_people.community.models import Organisation
from connecting_people.core.errors import NotFoundError
from connecting_people.core.scoping import scoped
from connecting_people.implementation import registry
from connecting_people.implementation.checklist import ChecklistItem, checklist
from connecting_people.implementation.models import (
    ChecklistStatus,
    FidelityRating,
    GuidancePage,
    SupervisionRecord,
    TeamChampion,
    TeamCommunityLink,
    TrainingAttendance,
    TrainingSession,
)
from connecting_people.measures.definitions import Instrument
from connecting_people.measures.errors import UnknownInstrumentError
from connecting_people.people.presenters import suppress_small_numbers

TEAM_MEMBER_ROLES = (Role.PRACTITIONER, Role.TEAM_LEAD)


def _one(queryset: QuerySet, pk, message: str):
    try:
        return queryset.get(pk=pk)
    except (queryset.model.DoesNotExist, ValueError, TypeError) as error:
        raise NotFoundError(message) from error


def _threshold() -> int:
    return settings.CONNECTING_PEOPLE_SMALL_NUMBER_THRESHOLD


# ---------------------------------------------------------------------------------------------------------
# Who reaches which team


def uses_implementation_pages(*, actor: Actor) -> bool:
    """Practitioners, team leads and implementation leads use these pages; everyone else gets 404."""
    actor = as_actor(actor)
    scope = actor.scope
    return scope.works_with_people or scope.is_implementation_lead


def implementation_teams(*, actor: Actor) -> QuerySet[Team]:
    """Teams reached at team level: those the user leads, and every team of their implementation trusts."""
    actor = as_actor(actor)
    scope = actor.scope
    return (
        Team.objects.filter(Q(pk__in=scope.lead_team_ids) | Q(trust_id__in=scope.implementation_trust_ids))
        .select_related("trust")
        .order_by("trust__name", "name")
    )


@dataclass(frozen=True)
class TeamAccess:
    """A team in reach, and how: `as_lead` (sees and writes everything for it) or at team level only (as the
    implementation lead of its trust)."""

    team: Team
    as_lead: bool


def team_access(*, actor: Actor, team_id) -> TeamAccess:
    """The team, if the user leads it or is an implementation lead of its trust; 404 otherwise."""
    actor = as_actor(actor)
    team = _one(implementation_teams(actor=actor), team_id, "No such team")
    return TeamAccess(team=team, as_lead=team.pk in actor.scope.lead_team_ids)


def team_for_lead(*, actor: Actor, team_id) -> Team:
    """A team the user leads; 404 for any other (an implementation lead's team-level reach is not enough)."""
    actor = as_actor(actor)
    access = team_access(actor=actor, team_id=team_id)
    if not access.as_lead:
        raise NotFoundError("No such team")
    return access.team


def team_practitioners(*, team: Team) -> list[User]:
    """Active practitioners of the team, by name."""
    return list(
        User.objects.filter(memberships__team=team, memberships__role=Role.PRACTITIONER, is_active=True)
        .distinct()
        .order_by("first_name", "last_name", "username")
    )


def team_members(*, team: Team) -> list[User]:
    """Active practitioners and team leads of the team, by name (champions and attendees are chosen here)."""
    return list(
        User.objects.filter(memberships__team=team, memberships__role__in=TEAM_MEMBER_ROLES, is_active=True)
        .distinct()
        .order_by("first_name", "last_name", "username")
    )


def worker_in_team(*, actor: Actor, team_id, worker_id) -> tuple[Team, User]:
    """A practitioner of a team the user leads, for rating and supervision; 404 otherwise."""
    actor = as_actor(actor)
    team = team_for_lead(actor=actor, team_id=team_id)
    worker = _one(
        User.objects.filter(
            memberships__team=team, memberships__role=Role.PRACTITIONER, is_active=True
        ).distinct(),
        worker_id,
        "No such worker",
    )
    return team, worker


def practitioner_teams(*, actor: Actor) -> QuerySet[Team]:
    """The teams in which the user is a practitioner (where their self-ratings belong)."""
    actor = as_actor(actor)
    return Team.objects.filter(pk__in=actor.scope.practitioner_team_ids).order_by("name")


# ---------------------------------------------------------------------------------------------------------
# Fidelity ratings


def visible_ratings(*, actor: Actor) -> QuerySet[FidelityRating]:
    """Every rating the actor may read: their own self-ratings, any rating in a team they lead, and team
    ratings of teams in their implementation trusts (`scopes.ratings_in_reach`)."""
    return scoped(as_actor(actor), FidelityRating)


def rating_get(*, actor: Actor, rating_id) -> FidelityRating:
    """One rating in reach, with its team, worker and rater; 404 for unknown and out-of-reach ids alike."""
    actor = as_actor(actor)
    return _one(
        visible_ratings(actor=actor).select_related("team", "worker", "rated_by"), rating_id, "No such rating"
    )


def own_self_ratings(*, actor: Actor) -> list[FidelityRating]:
    """The user's own self-ratings, oldest first."""
    actor = as_actor(actor)
    user = actor.user
    return list(
        visible_ratings(actor=actor)
        .filter(kind=FidelityRating.Kind.SELF, worker_id=user.pk)
        .select_related("team", "rated_by")
        .order_by("rated_on", "id")
    )


def worker_ratings(*, actor: Actor, team_id, worker_id) -> list[FidelityRating]:
    """A worker's self- and supervisor ratings in a team the user leads, oldest first (404 otherwise)."""
    actor = as_actor(actor)
    team, worker = worker_in_team(actor=actor, team_id=team_id, worker_id=worker_id)
    return list(
        visible_ratings(actor=actor)
        .filter(team=team, worker=worker)
        .select_related("rated_by")
        .order_by("rated_on", "id")
    )


def team_ratings(*, actor: Actor, team_id) -> list[FidelityRating]:
    """Team ratings of a team in reach (lead or implementation lead), oldest first."""
    actor = as_actor(actor)
    access = team_access(actor=actor, team_id=team_id)
    return list(
        visible_ratings(actor=actor)
        .filter(team=access.team, kind=FidelityRating.Kind.TEAM)
        .select_related("rated_by")
        .order_by("rated_on", "id")
    )


def scale_of(rating: FidelityRating) -> Instrument | None:
    """The definition a rating was made with, or None when this deployment no longer loads it."""
    try:
        return registry.scale(rating.scale_id, rating.scale_version)
    except UnknownInstrumentError:
        return None


@dataclass
class RatingHistory:
    """One kind of rating with one scale version, oldest first. Totals are only compared within a history."""

    kind: str
    scale: Instrument | None
    scale_id: str
    scale_version: str
    ratings: list[FidelityRating]

    @property
    def latest(self) -> FidelityRating:
        return self.ratings[-1]

    def _totals(self) -> list[float]:
        return [rating.total for rating in self.ratings if rating.total is not None]

    @property
    def change_since_first(self) -> float | None:
        totals = self._totals()
        return round(totals[-1] - totals[0], 3) if len(totals) >= 2 else None

    @property
    def change_since_last(self) -> float | None:
        totals = self._totals()
        return round(totals[-1] - totals[-2], 3) if len(totals) >= 2 else None


KIND_ORDER = {FidelityRating.Kind.TEAM: 0, FidelityRating.Kind.SUPERVISOR: 1, FidelityRating.Kind.SELF: 2}


def rating_histories(ratings: Iterable[FidelityRating]) -> list[RatingHistory]:
    """Ratings (from a scoped read) grouped by kind and scale version: team, then supervisor, then self."""
    grouped: dict[tuple[str, str, str], list[FidelityRating]] = defaultdict(list)
    for rating in sorted(ratings, key=lambda r: (r.rated_on, r.pk)):
        grouped[(rating.kind, rating.scale_id, rating.scale_version)].append(rating)
    histories = [
        RatingHistory(kind, scale_of(rows[0]), scale_id, version, rows)
        for (kind, scale_id, version), rows in grouped.items()
    ]
    histories.sort(key=lambda h: (KIND_ORDER.get(h.kind, 9), h.scale_id, h.scale_version))
    return histories


@dataclass
class WorkerRow:
    """A practitioner of a led team, with their latest ratings, last supervision and worker training."""

    worker: User
    latest_self: FidelityRating | None = None
    latest_supervisor: FidelityRating | None = None
    last_supervision: date | None = None
    trained: bool = False


def team_workers(*, actor: Actor, team_id) -> list[WorkerRow]:
    """Each practitioner of a team the user leads (404 otherwise), in a fixed number of queries."""
    actor = as_actor(actor)
    team = team_for_lead(actor=actor, team_id=team_id)
    rows = {worker.pk: WorkerRow(worker) for worker in team_practitioners(team=team)}
    ratings = (
        visible_ratings(actor=actor)
        .filter(
            team=team, worker_id__in=rows, kind__in=[FidelityRating.Kind.SELF, FidelityRating.Kind.SUPERVISOR]
        )
        .order_by("rated_on", "id")
    )
    for rating in ratings:
        row = rows[rating.worker_id]
        if rating.kind == FidelityRating.Kind.SELF:
            row.latest_self = rating
        else:
            row.latest_supervisor = rating
    for worker_id, last in (
        SupervisionRecord.objects.filter(team=team, worker_id__in=rows)
        .order_by()
        .values("worker_id")
        .annotate(last=Max("held_on"))
        .values_list("worker_id", "last")
    ):
        rows[worker_id].last_supervision = last
    trained = set(
        TrainingAttendance.objects.filter(
            attendee_id__in=rows, session__level=TrainingSession.Level.WORKER
        ).values_list("attendee_id", flat=True)
    )
    for worker_id in trained:
        rows[worker_id].trained = True
    return list(rows.values())


# ---------------------------------------------------------------------------------------------------------
# Training


def visible_training_sessions(*, actor: Actor) -> QuerySet[TrainingSession]:
    """Sessions the actor may read: any in their implementation trusts; for a team lead, those held for the
    teams they lead and those open to their teams' whole trust (`scopes.training_sessions_in_reach`)."""
    return scoped(as_actor(actor), TrainingSession)


def training_sessions(*, actor: Actor) -> list[TrainingSession]:
    """Sessions in reach, newest first, each with `attendee_count` (everyone who attended)."""
    actor = as_actor(actor)
    return list(
        visible_training_sessions(actor=actor)
        .select_related("trust", "team")
        .annotate(attendee_count=Count("attendance"))
        .order_by("-held_on", "-id")
    )


def training_session_get(*, actor: Actor, session_id) -> TrainingSession:
    actor = as_actor(actor)
    return _one(
        visible_training_sessions(actor=actor).select_related("trust", "team", "recorded_by"),
        session_id,
        "No such training session",
    )


def markable_teams(*, actor: Actor, trust_id: int) -> list[Team]:
    """Teams whose members the user may record as attending a session of this trust: every team of the trust
    for its implementation lead; the teams they lead in it for a team lead."""
    actor = as_actor(actor)
    scope = actor.scope
    teams = Team.objects.filter(trust_id=trust_id)
    if trust_id not in scope.implementation_trust_ids:
        teams = teams.filter(pk__in=scope.lead_team_ids)
    return list(teams.order_by("name"))


def attendance_candidates(*, actor: Actor, trust_id: int) -> list[tuple[User, Team]]:
    """(member of staff, their team) for everyone the user may mark as attending, by team then name. Someone in
    two teams appears once, under the first."""
    actor = as_actor(actor)
    teams = {team.pk: team for team in markable_teams(actor=actor, trust_id=trust_id)}
    seen: set[int] = set()
    out = []
    for membership in (
        Membership.objects.filter(team_id__in=teams, role__in=TEAM_MEMBER_ROLES, user__is_active=True)
        .select_related("user")
        .order_by("team__name", "user__first_name", "user__last_name", "user__username")
    ):
        if membership.user_id not in seen:
            seen.add(membership.user_id)
            out.append((membership.user, teams[membership.team_id]))
    return out


def session_attendees(*, actor: Actor, session: TrainingSession) -> list[TrainingAttendance]:
    """Who attended a session in reach: everyone for the trust's implementation lead; for a team lead, the
    members of the teams they lead (others are counted in `attendee_count`, not named)."""
    actor = as_actor(actor)
    attendance = TrainingAttendance.objects.filter(session=session).select_related("attendee")
    scope = actor.scope
    if session.trust_id not in scope.implementation_trust_ids:
        members = Membership.objects.filter(team_id__in=scope.lead_team_ids, role__in=TEAM_MEMBER_ROLES)
        attendance = attendance.filter(attendee_id__in=members.values("user_id"))
    return list(attendance.order_by("attendee__first_name", "attendee__last_name", "attendee__username"))


def session_attendee_count(*, session: TrainingSession) -> int:
    """How many attended a session in reach (everyone, named or not)."""
    return TrainingAttendance.objects.filter(session=session).count()


def _training_of(worker_id: int | None) -> list[TrainingAttendance]:
    return list(
        TrainingAttendance.objects.filter(attendee_id=worker_id)
        .select_related("session", "session__team")
        .order_by("-session__held_on", "-session_id")
    )


def own_training(*, actor: Actor) -> list[TrainingAttendance]:
    """The sessions the actor attended, newest first."""
    return _training_of(as_actor(actor).user_id)


def worker_training(*, actor: Actor, team_id, worker_id) -> list[TrainingAttendance]:
    """The sessions a worker of a team the user leads attended (404 otherwise)."""
    actor = as_actor(actor)
    _team, worker = worker_in_team(actor=actor, team_id=team_id, worker_id=worker_id)
    return _training_of(worker.pk)


# ---------------------------------------------------------------------------------------------------------
# Champion, supervision, community links, checklist (for a team from a scoped read)


def current_champion(*, team: Team) -> TeamChampion | None:
    return TeamChampion.objects.filter(team=team, until__isnull=True).select_related("champion").first()


def champion_history(*, team: Team) -> list[TeamChampion]:
    """Every champion the team has had, the current one first."""
    return list(
        TeamChampion.objects.filter(team=team)
        .select_related("champion", "named_by")
        .order_by("-since", "-id")
    )


def team_supervision(*, actor: Actor, team_id, limit: int | None = None) -> list[SupervisionRecord]:
    """Supervision records of a team the user leads, newest first (404 otherwise)."""
    actor = as_actor(actor)
    team = team_for_lead(actor=actor, team_id=team_id)
    records = (
        scoped(actor, SupervisionRecord)
        .filter(team=team)
        .select_related("worker", "supervisor")
        .order_by("-held_on", "-id")
    )
    return list(records[:limit] if limit else records)


def worker_supervision(*, actor: Actor, team_id, worker_id) -> list[SupervisionRecord]:
    """Supervision records about a worker of a team the user leads, newest first (404 otherwise)."""
    actor = as_actor(actor)
    team, worker = worker_in_team(actor=actor, team_id=team_id, worker_id=worker_id)
    return list(
        scoped(actor, SupervisionRecord)
        .filter(team=team, worker=worker)
        .select_related("supervisor")
        .order_by("-held_on", "-id")
    )


def own_supervision(*, actor: Actor) -> list[SupervisionRecord]:
    """Supervision records about the user, newest first."""
    actor = as_actor(actor)
    return list(
        scoped(actor, SupervisionRecord)
        .filter(worker_id=actor.user_id)
        .select_related("supervisor", "team")
        .order_by("-held_on", "-id")
    )


def community_links_of(*, team: Team) -> list[TeamCommunityLink]:
    """The team's links with community organisations: current ones first, then ended, each by name."""
    links = TeamCommunityLink.objects.filter(team=team).select_related("organisation")
    return sorted(links, key=lambda link: (link.ended_on is not None, link.name.casefold(), link.pk))


def community_link_of(*, team: Team, link_id) -> TeamCommunityLink:
    return _one(
        TeamCommunityLink.objects.filter(team=team).select_related("organisation"), link_id, "No such link"
    )


def directory_organisations() -> QuerySet[Organisation]:
    """Organisations in the community directory (public information), by name, for choosing a link."""
    return Organisation.objects.order_by("name", "id")


@dataclass
class ChecklistRow:
    item: ChecklistItem
    status: ChecklistStatus | None = None

    @property
    def status_code(self) -> str:
        return self.status.status if self.status else ChecklistStatus.Status.NOT_STARTED

    @property
    def status_label(self) -> str:
        return ChecklistStatus.Status(self.status_code).label


def checklist_for(*, team: Team) -> list[ChecklistRow]:
    """Every checklist item with the team's status (None: not started), in the checklist's order."""
    statuses = {
        status.item_id: status
        for status in ChecklistStatus.objects.filter(team=team).select_related("updated_by")
    }
    return [ChecklistRow(item, statuses.get(item.id)) for item in checklist()]


def checklist_row(*, team: Team, item_id: str) -> ChecklistRow:
    for row in checklist_for(team=team):
        if row.item.id == item_id:
            return row
    raise NotFoundError("No such checklist item")


# ---------------------------------------------------------------------------------------------------------
# Guidance (not personal data; every signed-in member of staff reads it)


def guidance_pages() -> list[GuidancePage]:
    return list(GuidancePage.objects.order_by("order", "id"))


def guidance_page(*, slug: str) -> GuidancePage:
    try:
        return GuidancePage.objects.prefetch_related("sections").get(slug=slug)
    except GuidancePage.DoesNotExist as error:
        raise NotFoundError("No such guidance page") from error


# ---------------------------------------------------------------------------------------------------------
# Aggregates for team and trust pages (and the dashboards built on them)


def _teams_in_reach(actor: Actor, team_ids: Iterable[int] | None) -> list[Team]:
    teams = implementation_teams(actor=actor)
    if team_ids is not None:
        teams = teams.filter(pk__in=list(team_ids))
    return list(teams)


@dataclass
class TeamImplementation:
    """Where a team has got to: champion, active community links, checklist and latest team rating.
    Team-level facts only, so the same row is shown to the lead and to the implementation lead."""

    team: Team
    champion: TeamChampion | None = None
    active_links: int = 0
    checklist_done: int = 0
    checklist_in_progress: int = 0
    checklist_total: int = 0
    latest_team_rating: FidelityRating | None = None


def team_implementation_summaries(
    *, actor: Actor, team_ids: Iterable[int] | None = None
) -> list[TeamImplementation]:
    """One row per team in reach (or per given team in reach), by trust then name, in five queries."""
    actor = as_actor(actor)
    teams = _teams_in_reach(actor, team_ids)
    rows = {team.pk: TeamImplementation(team) for team in teams}
    ids = list(rows)
    for champion in TeamChampion.objects.filter(team_id__in=ids, until__isnull=True).select_related(
        "champion"
    ):
        rows[champion.team_id].champion = champion
    for team_id, count in (
        TeamCommunityLink.objects.filter(team_id__in=ids, ended_on__isnull=True)
        .order_by()
        .values("team_id")
        .annotate(count=Count("id"))
        .values_list("team_id", "count")
    ):
        rows[team_id].active_links = count
    known = {item.id for item in checklist()}
    for row in rows.values():
        row.checklist_total = len(known)
    for team_id, item_id, status in ChecklistStatus.objects.filter(team_id__in=ids).values_list(
        "team_id", "item_id", "status"
    ):
        if item_id not in known:
            continue
        if status == ChecklistStatus.Status.DONE:
            rows[team_id].checklist_done += 1
        elif status == ChecklistStatus.Status.IN_PROGRESS:
            rows[team_id].checklist_in_progress += 1
    for rating in FidelityRating.objects.filter(team_id__in=ids, kind=FidelityRating.Kind.TEAM).order_by(
        "rated_on", "id"
    ):
        rows[rating.team_id].latest_team_rating = rating
    return list(rows.values())


def training_coverage(*, actor: Actor, team_ids: Iterable[int] | None = None) -> list[dict]:
    """Per team in reach: `practitioners` (active), `practitioners_trained` (attended worker-level training),
    `leads`, `leads_trained` (attended supervisor-level training), plus `team_id` and `team`. Three queries.

    Not suppressed for implementation leads: they record attendance by name themselves, so hiding these counts
    would protect no one."""
    actor = as_actor(actor)
    teams = _teams_in_reach(actor, team_ids)
    members: dict[int, dict[str, set[int]]] = {
        team.pk: {Role.PRACTITIONER: set(), Role.TEAM_LEAD: set()} for team in teams
    }
    for team_id, role, user_id in Membership.objects.filter(
        team_id__in=list(members), role__in=TEAM_MEMBER_ROLES, user__is_active=True
    ).values_list("team_id", "role", "user_id"):
        members[team_id][role].add(user_id)
    everyone = set().union(*(ids for by_role in members.values() for ids in by_role.values()))
    trained: dict[str, set[int]] = {
        TrainingSession.Level.WORKER: set(),
        TrainingSession.Level.SUPERVISOR: set(),
    }
    for attendee_id, level in TrainingAttendance.objects.filter(attendee_id__in=everyone).values_list(
        "attendee_id", "session__level"
    ):
        trained[level].add(attendee_id)
    return [
        {
            "team_id": team.pk,
            "team": team.name,
            "practitioners": len(members[team.pk][Role.PRACTITIONER]),
            "practitioners_trained": len(members[team.pk][Role.PRACTITIONER] & trained["worker"]),
            "leads": len(members[team.pk][Role.TEAM_LEAD]),
            "leads_trained": len(members[team.pk][Role.TEAM_LEAD] & trained["supervisor"]),
        }
        for team in teams
    ]


def worker_rating_summaries(
    *,
    actor: Actor,
    kind: str = FidelityRating.Kind.SUPERVISOR,
    team_ids: Iterable[int] | None = None,
    start: date | None = None,
    end: date | None = None,
) -> list[dict]:
    """Workers' ratings of one kind ("supervisor" or "self") summarised per team and scale version: each worker's
    latest rating made from `start` to `end` (inclusive, either open) counts once.

    Rows: `team_id`, `team`, `scale_id`, `scale_version`, `workers_rated`, `mean_total` and `mean_subscales`
    ({domain: mean}), means rounded to 2 places (None when no worker has a score). For a team the user does not
    lead (an implementation lead's team-level reach), `workers_rated` from 1 to the small-number threshold, and
    the means with it, are None: a mean of a few workers' ratings would point to individuals. Two queries."""
    actor = as_actor(actor)
    teams = {team.pk: team for team in _teams_in_reach(actor, team_ids)}
    ratings = FidelityRating.objects.filter(team_id__in=list(teams), kind=kind)
    if start is not None:
        ratings = ratings.filter(rated_on__gte=start)
    if end is not None:
        ratings = ratings.filter(rated_on__lte=end)
    latest: dict[tuple[int, str, str, int], FidelityRating] = {}
    for rating in ratings.order_by("rated_on", "id"):
        latest[(rating.team_id, rating.scale_id, rating.scale_version, rating.worker_id)] = rating
    grouped: dict[tuple[int, str, str], list[FidelityRating]] = defaultdict(list)
    for (team_id, scale_id, version, _worker), rating in latest.items():
        grouped[(team_id, scale_id, version)].append(rating)
    led = actor.scope.lead_team_ids
    out = []
    for (team_id, scale_id, version), rows in sorted(
        grouped.items(), key=lambda entry: (teams[entry[0][0]].name, entry[0][1], entry[0][2])
    ):
        totals = [r.total for r in rows if r.total is not None]
        domains: dict[str, list[float]] = defaultdict(list)
        for rating in rows:
            for domain, value in rating.subscales.items():
                if value is not None:
                    domains[domain].append(value)
        row = {
            "team_id": team_id,
            "team": teams[team_id].name,
            "scale_id": scale_id,
            "scale_version": version,
            "workers_rated": len(rows),
            "mean_total": round(fmean(totals), 2) if totals else None,
            "mean_subscales": {domain: round(fmean(values), 2) for domain, values in domains.items()},
        }
        if team_id not in led:
            row = suppress_small_numbers([row], ["workers_rated"], _threshold())[0]
            if row["workers_rated"] is None:
                row["mean_total"], row["mean_subscales"] = None, None
        out.append(row)
    return out


def supervision_summaries(
    *, actor: Actor, team_ids: Iterable[int] | None = None, start: date | None = None, end: date | None = None
) -> list[dict]:
    """Per team in reach: `sessions` (supervision records held from `start` to `end`, inclusive, either open),
    `connection_work_discussed` (how many of them discussed it) and `workers_supervised`. For a team the user
    does not lead, counts from 1 to the small-number threshold are None. One query."""
    actor = as_actor(actor)
    teams = _teams_in_reach(actor, team_ids)
    records = SupervisionRecord.objects.filter(team_id__in=[team.pk for team in teams])
    if start is not None:
        records = records.filter(held_on__gte=start)
    if end is not None:
        records = records.filter(held_on__lte=end)
    counts = {
        row["team_id"]: row
        for row in records.order_by()
        .values("team_id")
        .annotate(
            sessions=Count("id"),
            connection_work_discussed=Count("id", filter=Q(connection_work_discussed=True)),
            workers_supervised=Count("worker_id", distinct=True),
        )
    }
    led = actor.scope.lead_team_ids
    columns = ["sessions", "connection_work_discussed", "workers_supervised"]
    out = []
    for team in teams:
        found = counts.get(team.pk, {})
        row = {"team_id": team.pk, "team": team.name, **{column: found.get(column, 0) for column in columns}}
        if team.pk not in led:
            row = suppress_small_numbers([row], columns, _threshold())[0]
        out.append(row)
    return out


@dataclass
class OwnPractice:
    """A practitioner's own page: self-ratings, supervision about them, training attended."""

    self_ratings: list[FidelityRating] = field(default_factory=list)
    supervision: list[SupervisionRecord] = field(default_factory=list)
    training: list[TrainingAttendance] = field(default_factory=list)


def own_practice(*, actor: Actor) -> OwnPractice:
    """The practitioner's own records (404 for anyone who is not a practitioner)."""
    actor = as_actor(actor)
    if not actor.scope.is_practitioner:
        raise NotFoundError("Not a practitioner")
    return OwnPractice(
        self_ratings=own_self_ratings(actor=actor),
        supervision=own_supervision(actor=actor),
        training=own_training(actor=actor),
    )


def ratings_of_teams(
    *, team_ids: Iterable[int], since: date, until: date | None = None, stored_by: datetime | None = None
) -> QuerySet[FidelityRating]:
    """The fidelity ratings (team, self and supervisor) of `team_ids`, teams the caller reached through its own
    scope (a study's allocated teams), rated on or after `since`, on or before `until` and stored by `stored_by`
    when given. A queryset, not a list: the caller narrows and orders it and iterates it in chunks (the study
    export streams every rating in constant memory). No query until then."""
    ratings = FidelityRating.objects.filter(team_id__in=list(team_ids), rated_on__gte=since)
    if until is not None:
        ratings = ratings.filter(rated_on__lte=until)
    if stored_by is not None:
        ratings = ratings.filter(created_at__lte=stored_by)
    return ratings


@dataclass(frozen=True)
class Delivery:
    """Counts of the way of working's delivery to some teams (for costing it; no person in them)."""

    training_sessions: float  # a trust-wide session counts for the share of its attendees from the teams
    training_attendances: int  # members of the teams at those sessions, one per person per session
    supervision_sessions: int  # supervision of the teams' workers that discussed connection work
    champion_days: int  # days of a champion's role in the teams


def delivery_of_teams(*, team_ids: Iterable[int], since: date, until: date) -> Delivery:
    """The delivery counts for `team_ids`, teams the caller reached through its own scope (a study's
    intervention teams): training held on or before `until` (whenever it started: training given before a
    study starts is part of delivering it), supervision and champions' days from `since` to `until`. Counts
    only. Five queries."""
    teams = list(team_ids)
    members = set(Membership.objects.filter(team_id__in=teams).values_list("user_id", flat=True))
    held = (
        TrainingSession.objects.filter(held_on__lte=until)
        .filter(Q(team_id__in=teams) | Q(team__isnull=True, attendance__attendee_id__in=members))
        .distinct()
    )
    attendees: dict[int, list[int]] = {}
    for session_id, attendee_id in TrainingAttendance.objects.filter(session__in=held).values_list(
        "session_id", "attendee_id"
    ):
        attendees.setdefault(session_id, []).append(attendee_id)
    sessions, attendances = 0.0, 0
    for session_id, team_id in held.values_list("id", "team_id"):
        present = attendees.get(session_id, [])
        ours = sum(1 for user_id in present if user_id in members)
        attendances += ours
        if team_id is not None:
            sessions += 1
        elif present:
            sessions += ours / len(present)
    supervision = SupervisionRecord.objects.filter(
        team_id__in=teams, connection_work_discussed=True, held_on__gte=since, held_on__lte=until
    ).count()
    champion_days = 0
    for start, end in TeamChampion.objects.filter(team_id__in=teams, since__lte=until).values_list(
        "since", "until"
    ):
        first, last = max(start, since), min(end or until, until)
        champion_days += max(0, (last - first).days + 1)
    return Delivery(sessions, attendances, supervision, champion_days)
