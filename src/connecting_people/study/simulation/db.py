"""Writes a simulated study (`study.simulation.SimulatedStudy`) into the database, in one transaction.

What `connecting-people study simulate` and the synthetic data generator call. The simulation is pure (plain
rows); this module turns its rows into the study app's records, so that everything downstream (completeness,
export, analysis, report) works on a simulated study exactly as on a real one:

* **Sites and teams.** By default each simulated site becomes a trust named "Simulated trust N" (reused when it
  exists), and each simulated team a new team of that trust named "Simulated team NB (code)" (the study's
  code in the name: every simulated study has teams of its own, so one study's fidelity ratings can never be
  read as another's). A caller with real teams passes `teams` instead (the synthetic generator does): the
  simulated teams are laid onto them, and the study's sites are their trusts.
* **The study** through `services.study_create` (led by `user`, who must have the researcher role; its
  default timepoints, baseline and 6 months, and schedule), plus any instrument the simulation recorded that
  the schedule lacks (goal attainment at 6 months). The unit-cost table is the simulation's, with its price
  year, marked illustrative (the figures of a simulated study are never for decisions).
* **Allocation** as the simulation made it (it randomised teams within sites), recorded as "chosen" by
  `user`: the study's own seeded random allocation would not give the same arms, so calling it random would
  misstate how the arms came about.
* **Participants** numbered ``<CODE>-0001``... in the simulation's order, research-only unless `people` links
  them to people supported. Each consents and is enrolled on the same day, spread at random over the first
  `recruitment_days` from `starts_on`; their baseline interview is 0 to 7 days after enrolment. Research-only
  participants get a date of birth (18 to 80 years before enrolment).
* **Assessments** from the simulation's item answers, scored in bulk by the measures engine (`score_batch`,
  one call per instrument and answer count) with the deployment's scoring options, as `assessment_record`
  would score them; dated baseline + the simulation's day, which is kept (follow-up days vary); `in_window`
  from the timepoint's window. Nothing dated after `today` is written (it has not happened yet: the demo
  uses this to have follow-ups still to come).
* **Drop-out.** "withdrew": withdrawn, keeping the data collected, 14 to 150 days after baseline (left
  taking part if that date is still to come); "lost to follow-up": no follow-up data.
* **Fidelity.** For the teams it creates, one team rating per team on the simulation's scale, six months
  after the study starts, by a synthetic team lead ("simulated.leadN", one per trust, unusable password):
  the total is the simulated score, spread over the items so that the measures engine scores it to exactly
  that. Real teams (`teams` given) keep the ratings their practice already has.
* **Audit.** One `study.simulated` event (parameters, the effect asked for and realised, counts) beside the
  `study.created` event of `study_create`; none per row.

Bulk inserts throughout (assessments, participants and consents by plain INSERTs, `insert_rows`): 10,000
participants (about 100,000 assessments) load in about 12 s on SQLite and 27 s on PostgreSQL on the development
machine (`python -m bench.study`).
"""

from __future__ import annotations

import math
import random
import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache, partial
from typing import Any

import numpy as np
from django.contrib.auth.hashers import make_password
from django.db import connection, models, transaction
from django.utils import timezone

from connecting_people.accounts.actor import Actor, as_actor
from connecting_people.accounts.models import Membership, Role, Team, Trust, User
from connecting_people.audit.services import audit_record
from connecting_people.core.errors import ServiceError
from connecting_people.implementation import registry as fidelity_registry
from connecting_people.implementation.models import FidelityRating
from connecting_people.implementation.services import rating_from_score, ratings_store_generated
from connecting_people.measures import registry
from connecting_people.measures.recording import DERIVED_KEYS, DERIVED_PREFIXES
from connecting_people.measures.scoring import BatchResult, score_batch
from connecting_people.measures.scoring.result import INTEGER, MISSING_OUTCOMES, NUMBER, STATE
from connecting_people.people.selectors import team_of_people
from connecting_people.study import services, simulation
from connecting_people.study.design import schedule
from connecting_people.study.models import (
    Assessment,
    Consent,
    Participant,
    ScheduledInstrument,
    Study,
    StudySite,
    StudyTeam,
    Timepoint,
    UnitCost,
)
from connecting_people.study.simulation import SimulatedStudy

SIMULATOR_USERNAME = "study.simulator"
LEAD_USERNAME = "simulated.lead{site}"
TRUST_NAME = "Simulated trust {site}"
TRUST_ODS = "SIM{site}"
TEAM_NAME = "Simulated team {site}{letter} ({code})"
DEFAULT_START_DAYS_AGO = 300  # recruitment (80 days) + baseline (7) + the latest follow-up (day 210) fit
RECRUITMENT_DAYS = 80
BASELINE_DELAY_DAYS = 7
WITHDRAWAL_DAYS = (14, 150)  # after baseline
FIDELITY_DAY = simulation.FOLLOW_UP_DAYS
CONSENT_VERSION = "1.0"
INSERT_BATCH = 2_000
CODE_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,19}$")
# The simulation's timepoints and the study timepoint (by target day) each becomes.
TIMEPOINT_DAYS = {simulation.BASELINE: 0, simulation.FOLLOW_UP: simulation.FOLLOW_UP_DAYS}
WITHDRAWAL_REASONS = (
    Participant.WithdrawalReason.PARTICIPANT,
    Participant.WithdrawalReason.UNWELL,
    Participant.WithdrawalReason.MOVED,
)


@dataclass(frozen=True)
class LoadCounts:
    """What `load_simulated` wrote (also in the `study.simulated` audit event)."""

    sites: int
    teams: int
    participants: int
    linked_to_people: int
    withdrawn: int
    lost_to_follow_up: int
    assessments: int
    out_of_window: int
    not_yet_due: int  # simulated assessments dated after today, not written
    fidelity_ratings: int


def check_code(code: str) -> str:
    """The study code, lower case; ServiceError (field "code") when it is not a short slug or is taken."""
    code = (code or "").strip().lower()
    if not CODE_PATTERN.match(code):
        raise ServiceError(
            "The study code must be 1 to 20 letters, digits, hyphens or underscores, starting with a letter "
            "or digit.",
            field="code",
            code="study_code_invalid",
            params={"code": code},
        )
    if Study.objects.filter(code=code).exists():
        raise ServiceError(
            f"A study with the code {code} already exists.",
            field="code",
            code="study_code_taken",
            params={"code": code},
        )
    return code


def free_code(base: str) -> str:
    """`base`, or `base-2`, `base-3`... : the first code no study has yet."""
    taken = set(Study.objects.filter(code__startswith=base).values_list("code", flat=True))
    if base not in taken:
        return base
    number = 2
    while f"{base}-{number}" in taken:
        number += 1
    return f"{base}-{number}"


def simulator_account(*, trust: Trust | None = None) -> User:
    """The synthetic researcher who leads simulated studies when no one is named: "study.simulator", with an
    unusable password (nobody signs in as it) and a researcher membership (of `trust`, by default the first
    simulated trust). Created when missing."""
    user, created = User.objects.get_or_create(
        username=SIMULATOR_USERNAME,
        defaults={"first_name": "Study", "last_name": "Simulator", "password": make_password(None)},
    )
    if not Membership.objects.filter(user=user, role=Role.RESEARCHER).exists():
        trust = trust or _simulated_trust(1)
        Membership.objects.create(user=user, role=Role.RESEARCHER, trust=trust)
    return user


def load_simulated(
    sim: SimulatedStudy,
    *,
    actor: Actor,
    code: str,
    title: str | None = None,
    starts_on: date | None = None,
    today: date | None = None,
    status: str = Study.Status.FOLLOW_UP,
    recruitment_days: int = RECRUITMENT_DAYS,
    teams: Sequence[Team] | None = None,
    people: Mapping[str, int] | None = None,
) -> Study:
    """Write `sim` into the database as a new study led by `user`; returns the study (see the module docstring).

    code: the study's code (a short slug, not yet used). title: default "Simulated study (seed N)".
    starts_on: default `today` − 300 days, so that every follow-up is in the past.
    status: the study's status afterwards (default "follow-up only": recruitment is over).
    recruitment_days: enrolments are spread over this many days from `starts_on`.
    teams: real teams to lay the simulated teams onto, in the order of `sim.teams` (default: new simulated
    teams). people: simulated participant id → id of a person supported to link them to (the person must be
    of the team the participant's simulated team is laid onto); the others are research-only.

    Raises ServiceError (nothing written) for a code that is taken or not a slug, a user without the
    researcher role, a start too recent for the recruitment period, or teams that do not fit.
    """
    actor = as_actor(actor)
    user = actor.user
    today = today or timezone.localdate()
    starts_on = starts_on or today - timedelta(days=DEFAULT_START_DAYS_AGO)
    code = check_code(code)
    if not actor.scope.is_researcher:
        raise ServiceError(
            f"{user.username} does not have the researcher role.",
            field="user",
            code="member_not_researcher",
            params={"username": user.username},
        )
    if recruitment_days < 0:
        raise ServiceError(
            "The recruitment period cannot be negative.",
            field="recruitment_days",
            code="recruitment_negative",
        )
    if starts_on + timedelta(days=recruitment_days + BASELINE_DELAY_DAYS) > today:
        raise ServiceError(
            f"A study starting on {starts_on:%d %B %Y} cannot have recruited for {recruitment_days} days "
            "and interviewed everyone at baseline by today: choose an earlier start.",
            field="starts_on",
            code="recruitment_too_long",
            params={"starts_on": starts_on, "recruitment_days": recruitment_days},
        )
    if teams is not None and (len(teams) != len(sim.teams) or len({team.pk for team in teams}) != len(teams)):
        raise ServiceError(
            f"Give {len(sim.teams)} different teams, one for each simulated team.",
            field="teams",
            code="teams_count_wrong",
            params={"teams": len(sim.teams)},
        )
    _check_people(sim, teams, people or {})
    seed = int(sim.parameters.get("seed", 0))
    with transaction.atomic():
        study = services.study_create(
            actor=actor,
            data=services.StudyData(
                code=code,
                title=title or f"Simulated study (seed {seed})",
                starts_on=starts_on,
                consent_version=CONSENT_VERSION,
            ),
            today=today,
        )
        study.status = status
        study.save(update_fields=["status"])
        _unit_costs(study, sim)
        points = _timepoints(study, sim)
        study_teams, created_teams = _teams(study, sim, actor=actor, teams=teams)
        rng = random.Random(f"study.loading:{seed}")
        participants = _participants(
            study,
            sim,
            actor=actor,
            study_teams=study_teams,
            people=people or {},
            rng=rng,
            recruitment_days=recruitment_days,
            today=today,
        )
        written, out_of_window, not_yet = _assessments(sim, participants, points, actor=actor, today=today)
        ratings = _fidelity(sim, study_teams, created_teams, starts_on=starts_on, today=today)
        counts = LoadCounts(
            sites=study.sites.count(),
            teams=len(study_teams),
            participants=len(participants),
            linked_to_people=sum(1 for p in participants.values() if p.person_id is not None),
            withdrawn=sum(1 for p in participants.values() if p.withdrawn_on is not None),
            lost_to_follow_up=sum(
                1 for row in sim.participants if row["missing_reason"] == "lost to follow-up"
            ),
            assessments=written,
            out_of_window=out_of_window,
            not_yet_due=not_yet,
            fidelity_ratings=ratings,
        )
        audit_record(
            actor=user,
            action="study.simulated",
            object_type="study",
            object_id=study.pk,
            summary={
                "code": study.code,
                "parameters": _plain(sim.parameters),
                "truth": {
                    "primary_measure": sim.truth["primary_measure"],
                    "effect": sim.truth["effect"],
                    "realised_effect": sim.truth["realised_effect"],
                    "drop_out_observed": sim.truth["drop_out_observed"],
                },
                "starts_on": starts_on,
                "counts": asdict(counts),
            },
        )
    return study


def load_counts(study: Study) -> dict[str, Any]:
    """The counts recorded when `study` was loaded (from its `study.simulated` audit event); {} otherwise."""
    from connecting_people.audit.selectors import latest_event_summary

    summary = latest_event_summary(action="study.simulated", object_type="study", object_id=study.pk)
    return dict(summary.get("counts", {})) if summary is not None else {}


# ------------------------------------------------------------------------------------------------- steps


def _check_people(sim: SimulatedStudy, teams: Sequence[Team] | None, people: Mapping[str, int]) -> None:
    """ServiceError unless every linked person is a different, existing person of the team their participant's
    simulated team is laid onto."""
    if not people:
        return
    if teams is None:
        raise ServiceError(
            "Participants can be linked to people supported only in a study laid onto real teams.",
            field="people",
            code="people_need_real_teams",
        )
    if len(set(people.values())) != len(people):
        raise ServiceError(
            "A person can be linked to one participant only.",
            field="people",
            code="person_linked_twice",
        )
    laid = {row["team"]: team.pk for row, team in zip(sim.teams, teams, strict=True)}
    team_of = {row["participant"]: laid[row["team"]] for row in sim.participants}
    found = team_of_people(person_ids=people.values())
    wrong = sum(1 for participant, person in people.items() if found.get(person) != team_of.get(participant))
    if wrong:
        raise ServiceError(
            f"{wrong} of the people to link are unknown or not of their participant's team.",
            field="people",
            code="people_out_of_team",
            params={"count": wrong},
        )


def _plain(value: Any) -> Any:
    """JSON-ready copy of the simulation's parameters (numbers, text, None)."""
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _unit_costs(study: Study, sim: SimulatedStudy) -> None:
    """The simulation's unit-cost table in place of the shipped one study_create wrote."""
    table = sim.unit_costs
    study.unit_costs.all().delete()
    UnitCost.objects.bulk_create(
        UnitCost(study=study, service=service, unit=entry.unit[:80], cost=Decimal(str(entry.cost)))
        for service, entry in sorted(table.costs.items())
    )
    study.price_year, study.currency = table.price_year, table.currency
    study.unit_cost_source = (table.source or table.title)[:300]
    study.unit_costs_illustrative = True
    study.save(update_fields=["price_year", "currency", "unit_cost_source", "unit_costs_illustrative"])


def _timepoints(study: Study, sim: SimulatedStudy) -> dict[str, Timepoint]:
    """The study's timepoint for each simulated one; instruments the simulation recorded that the default
    schedule lacks are added at the end of that timepoint's schedule."""
    by_day = {point.target_day: point for point in study.timepoints.all()}
    points = {label: by_day[day] for label, day in TIMEPOINT_DAYS.items()}
    wanted: dict[str, list[str]] = defaultdict(list)
    for row in sim.answers:
        if row["instrument"] not in wanted[row["timepoint"]]:
            wanted[row["timepoint"]].append(row["instrument"])
    for label, instruments in wanted.items():
        point = points[label]
        have = list(point.schedule.values_list("instrument_id", flat=True))
        extra = [instrument for instrument in instruments if instrument not in have]
        ScheduledInstrument.objects.bulk_create(
            ScheduledInstrument(timepoint=point, instrument_id=instrument, position=len(have) + index)
            for index, instrument in enumerate(extra)
        )
    return points


def _simulated_trust(site: int) -> Trust:
    trust = Trust.objects.filter(name=TRUST_NAME.format(site=site)).first()
    if trust is None:
        trust = Trust.objects.create(name=TRUST_NAME.format(site=site), ods_code=TRUST_ODS.format(site=site))
    return trust


def _letter(index: int) -> str:
    return chr(ord("A") + index) if index < 26 else f"-{index + 1}"


def _teams(
    study: Study, sim: SimulatedStudy, *, actor: Actor, teams: Sequence[Team] | None
) -> tuple[dict[str, StudyTeam], bool]:
    """StudyTeam for each simulated team id (and whether the teams were made here)."""
    actor = as_actor(actor)
    user = actor.user
    site_order = list(dict.fromkeys(row["site"] for row in sim.teams))
    created = teams is None
    if created:
        passwords = make_password(None)
        real: list[Team] = []
        position_in_site: dict[str, int] = defaultdict(int)
        for row in sim.teams:
            number = site_order.index(row["site"]) + 1
            trust = _simulated_trust(number)
            letter = _letter(position_in_site[row["site"]])
            position_in_site[row["site"]] += 1
            team, _ = Team.objects.get_or_create(
                trust=trust, name=TEAM_NAME.format(site=number, letter=letter, code=study.code)
            )
            lead, _ = User.objects.get_or_create(
                username=LEAD_USERNAME.format(site=number),
                defaults={"first_name": "Simulated", "last_name": f"Lead {number}", "password": passwords},
            )
            Membership.objects.get_or_create(user=lead, role=Role.TEAM_LEAD, team=team, trust=trust)
            real.append(team)
        teams = real
    trusts = list(dict.fromkeys(team.trust_id for team in teams))
    # Taking part at once: the trusts are the simulation's own, or the synthetic generator's, and whoever runs
    # the command (with the server's shell) stands for them. Real trusts join through `services.site_add`.
    now = timezone.now()
    sites = StudySite.objects.bulk_create(
        StudySite(
            study=study,
            trust_id=trust_id,
            code=f"site{number:02d}",
            status=StudySite.Status.ACTIVE,
            invited_by=user,
            invited_at=now,
            decided_by=user,
            decided_at=now,
        )
        for number, trust_id in enumerate(trusts, start=1)
    )
    site_of = {site.trust_id: site for site in sites}
    width = max(2, len(str(len(teams))))
    rows = StudyTeam.objects.bulk_create(
        StudyTeam(
            study=study,
            site=site_of[team.trust_id],
            team=team,
            code=f"T{number:0{width}d}",
            arm=row["arm"],
            method=StudyTeam.Method.CHOSEN,
            allocated_by=user,
        )
        for number, (row, team) in enumerate(zip(sim.teams, teams, strict=True), start=1)
    )
    return {row["team"]: allocated for row, allocated in zip(sim.teams, rows, strict=True)}, created


@dataclass
class _Enrolled:
    """What the later steps need of a participant written by `_participants`."""

    pk: int
    number: str
    person_id: int | None
    baseline_on: date
    withdrawn_on: date | None


def _participants(
    study: Study,
    sim: SimulatedStudy,
    *,
    actor: Actor,
    study_teams: Mapping[str, StudyTeam],
    people: Mapping[str, int],
    rng: random.Random,
    recruitment_days: int,
    today: date,
) -> dict[str, _Enrolled]:
    """Participants and their consent, written with plain INSERTs; simulated id -> what was written."""
    actor = as_actor(actor)
    user = actor.user
    prefix = study.code.upper()
    width = max(4, len(str(len(sim.participants))))
    now = timezone.now()
    rows: list[tuple] = []
    enrolled: dict[str, _Enrolled] = {}
    for number, row in enumerate(sim.participants, start=1):
        study_team = study_teams[row["team"]]
        enrolled_on = study.starts_on + timedelta(days=rng.randint(0, recruitment_days))
        baseline_on = enrolled_on + timedelta(days=rng.randint(0, BASELINE_DELAY_DAYS))
        person_id = people.get(row["participant"])
        born = enrolled_on - timedelta(days=rng.randint(18 * 366, 80 * 365))
        status, withdrawn_on, reason, choice = Participant.Status.ACTIVE, None, "", ""
        if row["missing_reason"] == "withdrew":
            on = baseline_on + timedelta(days=rng.randint(*WITHDRAWAL_DAYS))
            picked = rng.choice(WITHDRAWAL_REASONS)
            if on <= today:  # otherwise they are still taking part today
                status, withdrawn_on, reason = Participant.Status.WITHDRAWN, on, picked
                choice = Participant.DataChoice.KEEP
        code = f"{prefix}-{number:0{width}d}"
        rows.append(
            (
                study.pk,
                code,
                study_team.site_id,
                study_team.pk,
                person_id,
                None if person_id is not None else born,
                enrolled_on,
                user.pk,
                "",
                baseline_on,
                status,
                withdrawn_on,
                reason,
                choice,
                now,
            )
        )
        enrolled[row["participant"]] = _Enrolled(0, code, person_id, baseline_on, withdrawn_on)
    insert_rows(
        Participant,
        [
            "study",
            "number",
            "site",
            "study_team",
            "person",
            "date_of_birth",
            "enrolled_on",
            "enrolled_by",
            "eligibility_notes",
            "baseline_on",
            "status",
            "withdrawn_on",
            "withdrawal_reason",
            "withdrawal_choice",
            "created_at",
        ],
        rows,
    )
    pks = dict(Participant.objects.filter(study=study).values_list("number", "pk"))
    for participant in enrolled.values():
        participant.pk = pks[participant.number]
    insert_rows(
        Consent,
        ["participant", "version", "consented_on", "recorded_by", "recorded_at"],
        [(pks[row[1]], study.consent_version, row[6], user.pk, now) for row in rows],
    )
    return enrolled


def _assessments(
    sim: SimulatedStudy,
    participants: Mapping[str, _Enrolled],
    points: Mapping[str, Timepoint],
    *,
    actor: Actor,
    today: date,
) -> tuple[int, int, int]:
    """Score the simulated answers in bulk and write them; returns (written, out of window, not yet due)."""
    actor = as_actor(actor)
    user = actor.user
    windows = {
        label: schedule.Window(point.target_day, point.window_before, point.window_after)
        for label, point in points.items()
    }
    # One score_batch per instrument version and answer count (GAS has one answer per goal): scored
    # unpadded, exactly as assessment_record scores one response.
    groups: dict[tuple[str, str, int], list[dict[str, Any]]] = defaultdict(list)
    not_yet = 0
    for row in sim.answers:
        participant = participants[row["participant"]]
        on = participant.baseline_on + timedelta(days=row["day"])
        if on > today or (participant.withdrawn_on is not None and on > participant.withdrawn_on):
            not_yet += 1
            continue
        groups[(row["instrument"], row["version"], len(row["answers"]))].append(row)
    now = timezone.now()
    written = out_of_window = 0
    for (instrument_id, version, _count), rows in sorted(groups.items()):
        instrument = registry.instrument(instrument_id, version)
        options = registry.scoring_options(instrument)
        if instrument.scoring.type == "eq5d" and sim.parameters.get("value_set"):
            options["value_set"] = sim.parameters["value_set"]
        answers = np.array([row["answers"] for row in rows], dtype=np.float64)
        result = score_batch(instrument, answers, **options)
        values = []
        for row, scored in zip(rows, stored_scores(result), strict=True):
            participant = participants[row["participant"]]
            in_window = windows[row["timepoint"]].contains_day(row["day"])
            out_of_window += not in_window
            values.append(
                (
                    participant.pk,
                    points[row["timepoint"]].pk,
                    instrument.id,
                    instrument.version,
                    participant.baseline_on + timedelta(days=row["day"]),
                    row["day"],
                    in_window,
                    list(row["answers"]),
                    *scored,
                    user.pk,
                    now,
                )
            )
        written += insert_rows(Assessment, ASSESSMENT_COLUMNS, values)
    return written, out_of_window, not_yet


def stored_scores(result: BatchResult) -> list[tuple]:
    """For each row of `result`: (total, subscales, derived, band, missing items, missing-rule outcome), the
    values `assessment_record` stores from `score_one` (`BatchResult.row`), worked out a column at a time:
    `row()` for each of 100,000 rows costs more than the scoring. A test holds the two to the same values."""
    n = len(result)

    def column(name: str, values) -> list:
        kind = result.kinds.get(name, NUMBER)
        out: list = []
        for value in values.tolist():
            if math.isnan(value):
                out.append(None)
            elif kind == INTEGER:
                out.append(int(round(value)))
            elif kind == STATE:
                out.append(str(int(value)))
            else:
                out.append(value)
        return out

    totals = column("total", result.total)
    subscales = {name: column(name, values) for name, values in result.subscales.items()}
    derived: dict[str, list] = {}
    named = [key for key in result.derived if key.startswith(DERIVED_PREFIXES) and key not in DERIVED_KEYS]
    for key in (*DERIVED_KEYS, *named):
        if key in result.derived:
            derived[key] = column(key, result.derived[key])
        elif key in result.info:
            derived[key] = [result.info[key]] * n
    bands = [label or "" for label in result.band.tolist()]
    ids = result.answer_ids
    any_missing = result.missing.any(axis=1).tolist()
    outcomes = [MISSING_OUTCOMES[int(code)] for code in result.outcome.tolist()]
    return [
        (
            totals[i],
            {name: values[i] for name, values in subscales.items()},
            {name: values[i] for name, values in derived.items()},
            bands[i],
            [ids[j] for j in np.flatnonzero(result.missing[i])] if any_missing[i] else [],
            outcomes[i],
        )
        for i in range(n)
    ]


ASSESSMENT_COLUMNS = [
    "participant",
    "timepoint",
    "instrument_id",
    "instrument_version",
    "administered_on",
    "day",
    "in_window",
    "answers",
    "total",
    "subscales",
    "derived",
    "band",
    "missing_items",
    "missing_rule",
    "recorded_by",
    "recorded_at",
]


def insert_rows(model, fields: Sequence[str], rows: Sequence[tuple]) -> int:
    """INSERT `rows` (tuples of values for `fields`, foreign keys as ids) into `model`'s table in batches,
    without building model instances: several times faster than `bulk_create` for 100,000 rows. Dates, times
    and JSON are prepared for the database as the ORM would; nothing else is checked (the database's
    constraints still are). Returns how many rows."""
    ops = connection.ops
    found = [model._meta.get_field(name) for name in fields]
    table = ops.quote_name(model._meta.db_table)
    columns = ", ".join(ops.quote_name(field.column) for field in found)
    sql = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(found))})"
    prepare = [_preparer(field, ops) for field in found]
    with connection.cursor() as cursor:
        for start in range(0, len(rows), INSERT_BATCH):
            cursor.executemany(
                sql,
                [
                    tuple(
                        value if step is None or value is None else step(value)
                        for step, value in zip(prepare, row, strict=True)
                    )
                    for row in rows[start : start + INSERT_BATCH]
                ],
            )
    return len(rows)


def _preparer(field, ops):
    """How a value of `field` goes to the database (None: as it is). Dates and times repeat, so each is
    adapted once."""
    if isinstance(field, models.JSONField):
        return partial(ops.adapt_json_value, encoder=field.encoder)
    if isinstance(field, models.DateTimeField):
        return lru_cache(maxsize=4096)(ops.adapt_datetimefield_value)
    if isinstance(field, models.DateField):
        return lru_cache(maxsize=4096)(ops.adapt_datefield_value)
    return None


def fidelity_answers(total: int, items: int, top: int) -> list[int]:
    """Item scores (0 to `top` each) adding up to `total`, as even as they can be: the first items take the
    remainder. ValueError when the total cannot be made."""
    if not 0 <= total <= items * top:
        raise ValueError(f"a total of {total} cannot be made from {items} items scored 0 to {top}")
    base, extra = divmod(total, items)
    return [base + 1 if index < extra else base for index in range(items)]


def _fidelity(
    sim: SimulatedStudy,
    study_teams: Mapping[str, StudyTeam],
    created_teams: bool,
    *,
    starts_on: date,
    today: date,
) -> int:
    """One team rating per simulated team, six months after the start, by the team's (synthetic) lead; none
    for real teams, whose practice has its own ratings. Returns how many were written."""
    if not created_teams or not sim.fidelity:
        return 0
    rated_on = min(today, starts_on + timedelta(days=FIDELITY_DAY))
    leads = dict(
        Membership.objects.filter(
            role=Role.TEAM_LEAD, team_id__in=[row.team_id for row in study_teams.values()]
        ).values_list("team_id", "user_id")
    )
    by_scale: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in sim.fidelity:
        by_scale[row["scale"]].append(row)
    ratings: list[FidelityRating] = []
    for scale_id, rows in sorted(by_scale.items()):
        scale = fidelity_registry.scale(scale_id)
        top = int(max(max(item.code_values) for item in scale.items))
        answers = [fidelity_answers(int(round(row["score"])), len(scale.items), top) for row in rows]
        result = score_batch(scale, np.array(answers, dtype=np.float64))
        for index, row in enumerate(rows):
            scored = result.row(index)
            if scored["total"] != row["score"]:  # pragma: no cover - a scale that is not a plain sum
                raise ServiceError(
                    f"{scale_id} does not score {row['score']} from spread answers.",
                    code="fidelity_score_unreachable",
                    params={"scale": scale_id, "score": row["score"]},
                )
            team_id = study_teams[row["team"]].team_id
            ratings.append(
                rating_from_score(
                    kind=FidelityRating.Kind.TEAM,
                    scale=scale,
                    team_id=team_id,
                    worker_id=None,
                    rated_by_id=leads[team_id],
                    answers=answers[index],
                    result=scored,
                    rated_on=rated_on,
                    period_start=starts_on,
                    period_end=rated_on,
                )
            )
    return ratings_store_generated(ratings=ratings, batch_size=INSERT_BATCH)
