"""A study's data as the rows the pure analysis takes (`analysis.analyse`), read from the database.

`analysis_inputs(study)` gives ``analyse``'s keyword arguments: participants, scores, service use, team
fidelity, the unit-cost table and the plan. `study_analysis(study, seed=..., replicates=...)` runs the
analysis on them; the command line and the report both call it, so they give the same numbers.

What is left out, and why (each counted in the result's ``notes``):

* a participant whose processing is restricted (UK GDPR Article 18, the privacy app): left out entirely, and
  none of their assessments is read (`selectors.participant_processing_allowed`);
* a participant who withdrew and asked for their data to be removed: left out entirely, as if never enrolled;
* a participant who withdrew and let the data already collected be kept: only assessments dated on or before
  the day they withdrew.

Participants are named by their study number, teams and sites by their study codes: no row holds anything
that identifies a person. Operator-level: this reads the whole study, so its callers decide who may see the
result (a study lead's report, or the command line run by whoever operates the service).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import Any

from django.db.models import F, Q
from django.utils import timezone

from connecting_people.implementation import selectors as implementation_selectors
from connecting_people.implementation.models import FidelityRating
from connecting_people.implementation.selectors import ratings_of_teams
from connecting_people.measures import registry
from connecting_people.measures.errors import UnknownInstrumentError
from connecting_people.plans import selectors as plans_selectors
from connecting_people.study.analysis import PRIMARY, SECONDARY, AnalysisPlan, Outcome, analyse
from connecting_people.study.analysis.delivery import delivery_cost
from connecting_people.study.analysis.errors import StudyDataError
from connecting_people.study.costs import unit_cost_table
from connecting_people.study.models import Assessment, Participant, Study, Timepoint
from connecting_people.study.selectors import (
    participant_processing_allowed,
    participant_restricted,
    site_taking_part,
)
from connecting_people.study.simulation import FIDELITY_SCALE, MEASURES

WITHDREW = "withdrew"
LOST = "lost to follow-up"
STILL_OPEN = "follow-up window still open"
REMOVE = Participant.DataChoice.REMOVE
KEEP = Participant.DataChoice.KEEP


def analysis_plan(study: Study, points: list[Timepoint] | None = None) -> AnalysisPlan:
    """The plan for a study: baseline = its day-0 timepoint, follow-up = its last; the primary outcome is the
    study's primary instrument's total (the project's default outcome when it is the default instrument); the
    secondary outcomes are the project's defaults whose instrument the study schedules at some timepoint; the
    utility is the study's utility instrument's index. StudyDataError when there is no day-0 timepoint or no
    later one."""
    points = points if points is not None else list(study.timepoints.prefetch_related("schedule"))
    baseline = next((point for point in points if point.target_day == 0), None)
    if baseline is None:
        raise StudyDataError(f"{study.code} has no baseline timepoint (day 0): add one before analysing.")
    follow_up = max(points, key=lambda point: point.target_day)
    if follow_up.target_day == 0:
        raise StudyDataError(f"{study.code} has no follow-up timepoint: add one before analysing.")
    if study.primary_instrument == PRIMARY.measure.split(".", 1)[0]:
        primary = PRIMARY
    else:
        primary = Outcome(
            f"{study.primary_instrument}.{MEASURES.get(study.primary_instrument, 'total')}",
            _instrument_title(study.primary_instrument),
        )
    scheduled = {item.instrument_id for point in points for item in point.schedule.all()}
    secondary = tuple(
        outcome
        for outcome in SECONDARY
        if outcome.measure.split(".", 1)[0] in scheduled and outcome.measure != primary.measure
    )
    return AnalysisPlan(
        primary=primary,
        secondary=secondary,
        baseline=baseline.code,
        follow_up=follow_up.code,
        follow_up_days=follow_up.target_day,
        utility=f"{study.utility_instrument}.{MEASURES.get(study.utility_instrument, 'index')}",
    )


def _instrument_title(instrument_id: str) -> str:
    try:
        return registry.instrument(instrument_id).title
    except UnknownInstrumentError:
        return instrument_id


def _kept(queryset):
    """Assessments the analysis may use: none of participants who asked for their data to be removed, and of
    those who withdrew keeping their data, only those dated on or before the withdrawal."""
    return queryset.exclude(participant__withdrawal_choice=REMOVE).filter(
        Q(participant__withdrawn_on__isnull=True) | Q(administered_on__lte=F("participant__withdrawn_on"))
    )


def analysis_inputs(
    study: Study, *, today: date | None = None, notes: list[str] | None = None
) -> dict[str, Any]:
    """The keyword arguments of `analysis.analyse` for the study: participants, scores, service_use, fidelity,
    unit_costs and plan (see docs/study-analysis.md for the rows). A few queries, whatever the study's size;
    assessments are streamed.

    today: the day that decides whether a follow-up window has closed (default: today).
    notes: a list to receive plain statements about data left out (participants whose processing is restricted
    or who asked for their data to be removed, assessments dated after a withdrawal).
    Raises StudyDataError when the study cannot be analysed as set up (no baseline or follow-up timepoint).
    """
    today = today or timezone.localdate()
    notes = notes if notes is not None else []
    points = list(study.timepoints.prefetch_related("schedule"))
    plan = analysis_plan(study, points)
    codes = {point.pk: point.code for point in points}
    follow_up = next(point for point in points if point.code == plan.follow_up)

    wanted: dict[str, list[str]] = {}
    for measure in (*(outcome.measure for outcome in plan.outcomes()), plan.utility):
        instrument_id, score = measure.split(".", 1)
        wanted.setdefault(instrument_id, []).append(score)

    studied = Assessment.objects.filter(
        site_taking_part("participant__site"),
        participant_processing_allowed("participant"),
        participant__study=study,
    )
    scores: list[dict[str, Any]] = []
    followed_up: set[str] = set()
    primary_instrument, primary_score = plan.primary.measure.split(".", 1)
    rows = (
        _kept(studied.filter(instrument_id__in=list(wanted)))
        .values_list(
            "participant__number", "timepoint_id", "instrument_id", "day", "total", "derived", "subscales"
        )
        .order_by("pk")
    )
    for number, timepoint_id, instrument_id, day, total, derived, subscales in rows.iterator(chunk_size=5000):
        timepoint = codes[timepoint_id]
        for score in wanted[instrument_id]:
            value = total if score == "total" else (derived or {}).get(score, (subscales or {}).get(score))
            scores.append(
                {
                    "participant": number,
                    "timepoint": timepoint,
                    "day": day,
                    "measure": f"{instrument_id}.{score}",
                    "value": value,
                }
            )
            if (
                timepoint == plan.follow_up
                and instrument_id == primary_instrument
                and score == primary_score
                and value is not None
            ):
                followed_up.add(number)

    service_use = _service_use(study, studied, codes)
    participants, removed, restricted = _participants(study, follow_up, followed_up, today)
    if restricted:
        notes.append(
            f"Left out entirely: {restricted} participant{'s' if restricted != 1 else ''} whose processing is "
            "restricted (their data are not used while the restriction lasts)."
        )
    if removed:
        notes.append(
            f"Left out entirely: {removed} participant{'s' if removed != 1 else ''} who withdrew and asked for "
            "their data to be removed."
        )
    after = studied.filter(
        participant__withdrawal_choice=KEEP, administered_on__gt=F("participant__withdrawn_on")
    ).count()
    if after:
        notes.append(
            f"Not used: {after} assessment{'s' if after != 1 else ''} dated after the participant withdrew "
            "(only data collected up to withdrawal is kept)."
        )
    table = unit_cost_table(study)
    analysed = sum(1 for row in participants if row["arm"] == "intervention")
    delivery = delivery_cost(
        _delivery_quantities(study, today), {key: entry.cost for key, entry in table.costs.items()}, analysed
    )
    return {
        "participants": participants,
        "scores": scores,
        "service_use": service_use,
        "fidelity": _fidelity(study),
        "unit_costs": table,
        "plan": replace(plan, intervention_cost=delivery["per_participant"]),
        "delivery": delivery,
    }


IN_PERSON = ("introduction", "accompanied", "practical", "contact_in_person")
PHONE = ("contact_phone",)


def _delivery_quantities(study: Study, today: date) -> dict[str, float]:
    """What the system records of the intervention's delivery to the study's intervention teams, up to `today`
    (see `analysis.delivery` for each component). Counts only: nothing about a person leaves this function."""
    teams = list(
        study.teams.filter(site_taking_part("site"), arm="intervention").values_list("team_id", flat=True)
    )
    delivered = implementation_selectors.delivery_of_teams(team_ids=teams, since=study.starts_on, until=today)
    linked = Participant.objects.filter(
        site_taking_part(),
        participant_processing_allowed(),
        study=study,
        study_team__arm="intervention",
        person__isnull=False,
    ).exclude(withdrawal_choice=REMOVE)
    spans = {
        person_id: (enrolled_on, min(withdrawn_on or today, today))
        for person_id, enrolled_on, withdrawn_on in linked.values_list(
            "person_id", "enrolled_on", "withdrawn_on"
        )
    }
    in_person = phone = 0
    contacts = plans_selectors.activities_of_people(
        person_ids=linked.values("person_id"), kinds=(*IN_PERSON, *PHONE), until=today
    )
    for person_id, kind, occurred_on in contacts:
        first, last = spans[person_id]
        if first <= occurred_on <= last:
            in_person += kind in IN_PERSON
            phone += kind in PHONE
    return {
        "intervention_training_session": delivered.training_sessions,
        "intervention_training_attendance": delivered.training_attendances,
        "intervention_supervision_session": delivered.supervision_sessions,
        "intervention_champion_month": delivered.champion_days / 30.44,
        "intervention_contact_in_person": in_person,
        "intervention_contact_phone": phone,
    }


def _participants(
    study: Study, follow_up: Timepoint, followed_up: set[str], today: date
) -> tuple[list[dict[str, Any]], int, int]:
    """One row per participant (by study number), with why there is no follow-up value of the primary
    outcome: withdrew (before the follow-up window closed), lost to follow-up (the window closed without
    it), the window still open, or None (there is one). Also the numbers left out for data removal and for a
    restriction of processing."""
    rows, removed, restricted = [], 0, 0
    found = (
        Participant.objects.filter(site_taking_part(), study=study)
        .annotate(analysis_restricted=participant_restricted())
        .values_list(
            "number",
            "site__code",
            "study_team__code",
            "study_team__arm",
            "withdrawn_on",
            "withdrawal_choice",
            "baseline_on",
            "enrolled_on",
            "analysis_restricted",
        )
        .order_by("number")
    )
    reach = timedelta(days=follow_up.target_day + follow_up.window_after)
    for number, site, team, arm, withdrawn_on, choice, baseline_on, enrolled_on, is_restricted in found:
        if is_restricted:
            restricted += 1
            continue
        if choice == REMOVE:
            removed += 1
            continue
        closes = (baseline_on or enrolled_on) + reach
        if number in followed_up:
            reason = None
        elif withdrawn_on is not None and withdrawn_on <= closes:
            reason = WITHDREW
        elif today > closes:
            reason = LOST
        else:
            reason = STILL_OPEN
        rows.append({"participant": number, "site": site, "team": team, "arm": arm, "missing_reason": reason})
    return rows, removed, restricted


def _service_use(study: Study, studied, codes: dict[int, str]) -> list[dict[str, Any]]:
    """One row per service (item) of each service-use assessment: the answer is the units used (None: not
    answered)."""
    services: dict[str, tuple[str, ...]] = {}
    rows = []
    found = (
        _kept(studied.filter(instrument_id=study.service_use_instrument))
        .values_list("participant__number", "timepoint_id", "instrument_version", "answers")
        .order_by("pk")
    )
    for number, timepoint_id, version, answers in found.iterator(chunk_size=5000):
        if version not in services:
            try:
                services[version] = registry.instrument(study.service_use_instrument, version).item_ids
            except UnknownInstrumentError as error:
                raise StudyDataError(str(error)) from error
        items = services[version]
        answers = list(answers or [])
        if len(answers) != len(items):
            raise StudyDataError(
                f"A {study.service_use_instrument} assessment of {number} has {len(answers)} answers for "
                f"{len(items)} services."
            )
        timepoint = codes[timepoint_id]
        rows.extend(
            {"participant": number, "timepoint": timepoint, "service": service, "units": units}
            for service, units in zip(items, answers, strict=True)
        )
    return rows


def _fidelity(study: Study) -> list[dict[str, Any]]:
    """Team practice-fidelity totals of the study's teams (team ratings on the project's practice fidelity
    scale, rated on or after the study started), under the study's team codes. A team rating is not tied to a
    participant's timepoint: `timepoint` is None and `rated_on` says when."""
    teams = dict(study.teams.filter(site_taking_part()).values_list("team_id", "code"))
    found = (
        ratings_of_teams(team_ids=teams, since=study.starts_on)
        .filter(kind=FidelityRating.Kind.TEAM, scale_id=FIDELITY_SCALE, total__isnull=False)
        .values_list("team_id", "scale_id", "rated_on", "total")
        .order_by("team_id", "rated_on", "pk")
    )
    return [
        {"team": teams[team_id], "scale": scale, "timepoint": None, "rated_on": rated_on, "score": total}
        for team_id, scale, rated_on, total in found
    ]


def study_analysis(
    study: Study, *, seed: int = 1, replicates: int = 2000, today: date | None = None
) -> dict[str, Any]:
    """The whole analysis of a study (`analysis.analyse`) with the bootstrap's seed and replicates, and the
    notes of what was left out added to the result's ``notes``. Same data and seed: the same result.

    Raises StudyDataError (TooFewToAnalyse, MissingUnitCost included) with a message fit to show.
    """
    notes: list[str] = []
    inputs = analysis_inputs(study, today=today, notes=notes)
    inputs["plan"] = replace(inputs["plan"], seed=seed, bootstrap_replicates=replicates)
    result = analyse(**inputs)
    result["notes"] = [*notes, *result["notes"]]
    return result
