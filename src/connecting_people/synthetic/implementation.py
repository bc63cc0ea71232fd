"""Synthetic implementation records for generated teams, in bulk and reproducibly from a seed.

Each team draws how far it has got with the way of working (its "engagement", 0 to 1), and everything else
follows from it, so teams differ as they would in a real roll-out:

* training: one worker-level session per team six to twelve months ago (each worker attends with a chance that
  rises with engagement) and one supervisor-level session per trust, open to the whole trust, for the leads;
* a champion for most teams (some have had two, so there is history);
* supervision for each worker about once a month over the last six months, discussing connection work more
  often in more engaged teams;
* working links with community organisations (directory organisations when the directory has any, otherwise
  made-up names), a few of them ended;
* the implementation checklist, with more items done in more engaged teams;
* fidelity ratings with our checklist each quarter over the last year: a team rating by the lead, and each
  worker's self-rating and supervisor rating, drifting upwards over time. Scores come from the measures engine,
  in batch.

Every record but a self-rating needs the member of staff who made it, so a team without a lead gets only its
workers' self-ratings. Everything draws from random streams of its own, so adding these records changes
nothing else the generator makes from the same seed.

Call it after the teams, staff and memberships exist::

    from connecting_people.synthetic.implementation import generate_implementation
    counts = generate_implementation(teams=teams, workers_by_team=workers_by_team, seed=seed, today=today)
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import date, timedelta

import numpy as np

from connecting_people.accounts.models import Membership, Role, Team
from connecting_people.community.models import Organisation
from connecting_people.implementation import registry
from connecting_people.implementation.checklist import checklist
from connecting_people.implementation.fidelity import OUR_SCALE_ID
from connecting_people.implementation.models import (
    ChecklistStatus,
    FidelityRating,
    SupervisionRecord,
    TeamChampion,
    TeamCommunityLink,
    TrainingAttendance,
    TrainingSession,
)
from connecting_people.implementation.services import rating_from_score
from connecting_people.measures.scoring import score_batch

INSERT_BATCH = 5_000
QUARTERS = 4  # rating periods over the last year
SUPERVISION_MONTHS = 6
LINK_PLACES = [
    "Riverside",
    "Hillside",
    "Northgate",
    "Westfield",
    "Old Town",
    "Parkside",
    "Millbrook",
    "Eastwood",
]
LINK_KINDS = [
    "Community Garden",
    "Walking Group",
    "Men's Shed",
    "Library Reading Circle",
    "Community Choir",
    "Volunteer Centre",
    "Peer Support Group",
    "Leisure Centre",
    "Arts Collective",
    "Food Bank",
]
CONTACTS = ["volunteer coordinator", "group leader", "reception desk", "outreach worker", ""]


@dataclass
class ImplementationCounts:
    ratings: int = 0
    training_sessions: int = 0
    attendances: int = 0
    champions: int = 0
    supervision: int = 0
    community_links: int = 0
    checklist_statuses: int = 0

    def __add__(self, other: ImplementationCounts) -> ImplementationCounts:
        return ImplementationCounts(
            **{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)}
        )


def leads_of(teams: Sequence[Team]) -> dict[int, int]:
    """Each team's lead (the earliest-made lead account when a team has several)."""
    leads: dict[int, int] = {}
    for team_id, user_id in (
        Membership.objects.filter(team__in=list(teams), role=Role.TEAM_LEAD)
        .order_by("team_id", "user_id")
        .values_list("team_id", "user_id")
    ):
        leads.setdefault(team_id, user_id)
    return leads


def generate_implementation(
    *,
    teams: Sequence[Team],
    workers_by_team: Mapping[int, Sequence[int]],
    seed: int,
    today: date,
    leads_by_team: Mapping[int, int] | None = None,
) -> ImplementationCounts:
    """Create implementation records for these teams; returns how many of each.

    `teams` need pk and trust_id; `workers_by_team` maps team id to its practitioners' user ids; `leads_by_team`
    maps team id to its lead's user id (looked up when not given). The same teams, staff, seed, day and directory
    give the same records.
    """
    rng = random.Random(f"synthetic.implementation:{seed}")
    scores_rng = np.random.default_rng(rng.randrange(2**32))
    ordered = sorted(teams, key=lambda team: team.pk)
    leads = dict(leads_by_team) if leads_by_team is not None else leads_of(ordered)
    engagement = {team.pk: rng.betavariate(2.2, 2.0) for team in ordered}
    organisations = list(Organisation.objects.order_by("pk").values_list("pk", "name")[:500])
    counts = ImplementationCounts()
    counts += _training(rng, ordered, workers_by_team, leads, engagement, today)
    counts += _team_records(rng, ordered, workers_by_team, leads, engagement, organisations, today)
    counts += _ratings(rng, scores_rng, ordered, workers_by_team, leads, engagement, today)
    return counts


def _training(rng, teams, workers_by_team, leads, engagement, today) -> ImplementationCounts:
    sessions: list[TrainingSession] = []
    attendees: list[list[int]] = []
    by_trust: dict[int, list[Team]] = defaultdict(list)
    for team in teams:
        by_trust[team.trust_id].append(team)
        recorder = leads.get(team.pk)
        if recorder is None:
            continue
        sessions.append(
            TrainingSession(
                trust_id=team.trust_id,
                team_id=team.pk,
                title="Connecting People: worker training",
                held_on=today - timedelta(days=rng.randint(180, 365)),
                level=TrainingSession.Level.WORKER,
                trainer="Trust training team",
                recorded_by_id=recorder,
            )
        )
        chance = 0.4 + 0.55 * engagement[team.pk]
        attendees.append([worker for worker in workers_by_team.get(team.pk, ()) if rng.random() < chance])
    for trust_id, trust_teams in sorted(by_trust.items()):
        trust_leads = [leads[team.pk] for team in trust_teams if team.pk in leads]
        if not trust_leads:
            continue
        sessions.append(
            TrainingSession(
                trust_id=trust_id,
                team_id=None,
                title="Connecting People: supervisor training",
                held_on=today - timedelta(days=rng.randint(200, 400)),
                level=TrainingSession.Level.SUPERVISOR,
                trainer="Connecting People trainers",
                recorded_by_id=trust_leads[0],
            )
        )
        attendees.append(
            [
                leads[team.pk]
                for team in trust_teams
                if team.pk in leads and rng.random() < 0.5 + 0.5 * engagement[team.pk]
            ]
        )
    TrainingSession.objects.bulk_create(sessions, batch_size=INSERT_BATCH)
    attendance = [
        TrainingAttendance(session_id=session.pk, attendee_id=attendee, recorded_by_id=session.recorded_by_id)
        for session, people in zip(sessions, attendees, strict=True)
        for attendee in sorted(set(people))
    ]
    TrainingAttendance.objects.bulk_create(attendance, batch_size=INSERT_BATCH)
    return ImplementationCounts(training_sessions=len(sessions), attendances=len(attendance))


def _team_records(
    rng, teams, workers_by_team, leads, engagement, organisations, today
) -> ImplementationCounts:
    champions, supervision, links, statuses = [], [], [], []
    items = checklist()
    for team in teams:
        level = engagement[team.pk]
        workers = list(workers_by_team.get(team.pk, ()))
        lead = leads.get(team.pk)
        if lead is None:
            continue
        if workers and rng.random() < 0.35 + 0.6 * level:
            first_since = today - timedelta(days=rng.randint(120, 400))
            first = rng.choice(workers)
            if len(workers) > 1 and rng.random() < 0.3:
                second_since = first_since + timedelta(days=rng.randint(30, 100))
                second = rng.choice([worker for worker in workers if worker != first])
                champions.append(
                    TeamChampion(
                        team_id=team.pk,
                        champion_id=first,
                        since=first_since,
                        until=second_since - timedelta(days=1),
                        named_by_id=lead,
                    )
                )
                champions.append(
                    TeamChampion(team_id=team.pk, champion_id=second, since=second_since, named_by_id=lead)
                )
            else:
                champions.append(
                    TeamChampion(team_id=team.pk, champion_id=first, since=first_since, named_by_id=lead)
                )
        for worker in workers:
            for month in range(SUPERVISION_MONTHS):
                if rng.random() < 0.8:
                    supervision.append(
                        SupervisionRecord(
                            team_id=team.pk,
                            worker_id=worker,
                            supervisor_id=lead,
                            held_on=today - timedelta(days=30 * month + rng.randint(0, 20)),
                            connection_work_discussed=rng.random() < 0.2 + 0.75 * level,
                        )
                    )
        for _ in range(round(level * 9)):
            since = today - timedelta(days=rng.randint(20, 700))
            ended = since + timedelta(days=rng.randint(30, 300)) if rng.random() < 0.15 else None
            if organisations and rng.random() < 0.7:
                organisation_id, name = rng.choice(organisations)
            else:
                organisation_id, name = None, f"{rng.choice(LINK_PLACES)} {rng.choice(LINK_KINDS)}"
            links.append(
                TeamCommunityLink(
                    team_id=team.pk,
                    organisation_id=organisation_id,
                    name=name,
                    contact=rng.choice(CONTACTS),
                    since=since,
                    ended_on=ended if ended and ended <= today else None,
                    recorded_by_id=lead,
                )
            )
        for item in items:
            draw = rng.random()
            if draw < level * 0.9:
                status = ChecklistStatus.Status.DONE
            elif draw < level * 0.9 + 0.2:
                status = ChecklistStatus.Status.IN_PROGRESS
            else:
                continue
            statuses.append(
                ChecklistStatus(
                    team_id=team.pk,
                    item_id=item.id,
                    status=status,
                    status_on=today - timedelta(days=rng.randint(0, 300)),
                    updated_by_id=lead,
                )
            )
    TeamChampion.objects.bulk_create(champions, batch_size=INSERT_BATCH)
    SupervisionRecord.objects.bulk_create(supervision, batch_size=INSERT_BATCH)
    TeamCommunityLink.objects.bulk_create(links, batch_size=INSERT_BATCH)
    ChecklistStatus.objects.bulk_create(statuses, batch_size=INSERT_BATCH)
    return ImplementationCounts(
        champions=len(champions),
        supervision=len(supervision),
        community_links=len(links),
        checklist_statuses=len(statuses),
    )


def _ratings(rng, scores_rng, teams, workers_by_team, leads, engagement, today) -> ImplementationCounts:
    """Quarterly ratings, scored in one batch by the measures engine."""
    scale = registry.scale(OUR_SCALE_ID)
    planned: list[tuple[str, int, int | None, int, date, float]] = []  # kind, team, worker, rater, day, level
    for team in teams:
        lead = leads.get(team.pk)
        base = 0.8 + 2.4 * engagement[team.pk]
        for quarter in range(QUARTERS):
            period_end = today - timedelta(days=91 * (QUARTERS - 1 - quarter))
            level = base + 0.25 * quarter
            if lead is not None and rng.random() < 0.85:
                planned.append((FidelityRating.Kind.TEAM, team.pk, None, lead, period_end, level))
            for worker in workers_by_team.get(team.pk, ()):
                if rng.random() < 0.6:
                    planned.append(
                        (FidelityRating.Kind.SELF, team.pk, worker, worker, period_end, level + 0.3)
                    )
                if lead is not None and rng.random() < 0.6:
                    planned.append((FidelityRating.Kind.SUPERVISOR, team.pk, worker, lead, period_end, level))
    if not planned:
        return ImplementationCounts()
    centres = np.array([row[5] for row in planned])[:, None]
    answers = np.clip(np.rint(scores_rng.normal(centres, 0.8, (len(planned), len(scale.items)))), 0, 4)
    result = score_batch(scale, answers, validate=False)
    ratings = [
        rating_from_score(
            kind=kind,
            scale=scale,
            team_id=team_id,
            worker_id=worker,
            rated_by_id=rater,
            answers=[int(value) for value in answers[index]],
            result=result.row(index),
            rated_on=day,
            period_start=day - timedelta(days=90),
            period_end=day,
        )
        for index, (kind, team_id, worker, rater, day, _level) in enumerate(planned)
    ]
    FidelityRating.objects.bulk_create(ratings, batch_size=INSERT_BATCH)
    return ImplementationCounts(ratings=len(ratings))
