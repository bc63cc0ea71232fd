"""The whole analysis in one call: rows in, a JSON-ready dict out (see ``analyse``)."""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from .data import ARMS, StudyData, study_data
from .economics import NICE_THRESHOLDS, cost_effectiveness
from .errors import TooFewToAnalyse
from .fidelity import fidelity_outcome
from .outcomes import count_by, outcome_effect
from .plan import AnalysisPlan

SCHEMA = "connecting-people.study-analysis/1"


def analyse(
    *,
    participants: Iterable[Mapping[str, Any]],
    scores: Iterable[Mapping[str, Any]],
    service_use: Iterable[Mapping[str, Any]] = (),
    fidelity: Iterable[Mapping[str, Any]] = (),
    unit_costs: Any = None,
    plan: AnalysisPlan | None = None,
    timings: dict[str, float] | None = None,
    delivery: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Analyse a two-arm cluster-randomised study. Pure: plain rows in (see ``data.py``), plain dict out.

    unit_costs: a measures ``UnitCostTable`` or a mapping in the same form, with its price year.
    plan: outcomes, timepoints, thresholds and the bootstrap seed (default ``AnalysisPlan()``).
    timings: a dict to receive the seconds each part took (for benchmarks); the result never depends on it.
    delivery: how the intervention was costed (`delivery.delivery_cost`), whose ``per_participant`` is the
    plan's ``intervention_cost``; kept in ``cost_effectiveness.intervention_costing`` and in the methods.

    Returns a JSON-ready dict (``json.dumps(result, allow_nan=False)`` works): ``schema``, ``study``,
    ``plan``, ``primary``, ``secondary`` (measure -> result), ``fidelity``, ``cost_effectiveness``,
    ``missing``, ``refusals``, ``notes`` and ``methods``. A secondary, fidelity or cost-effectiveness part
    that cannot be estimated holds ``{"refused": message}`` and its message is also in ``refusals``.

    Raises StudyDataError for rows that cannot be analysed, TooFewToAnalyse when the primary outcome has too
    few teams or participants in an arm (no result without a primary), MissingUnitCost when the unit-cost
    table lacks a service in the data. Same rows (in any order) and plan: the same numbers.
    """
    plan = plan or AnalysisPlan()
    clock = _Clock(timings)
    data = study_data(
        participants=participants, scores=scores, service_use=service_use, fidelity=fidelity, plan=plan
    )
    clock.lap("data")
    refusals: list[str] = []
    primary = outcome_effect(data, plan.primary, plan, role="primary")
    clock.lap("primary")

    secondary = {}
    for outcome in plan.secondary:
        try:
            secondary[outcome.measure] = outcome_effect(data, outcome, plan)
        except TooFewToAnalyse as error:
            secondary[outcome.measure] = {
                "measure": outcome.measure,
                "label": outcome.label,
                "refused": str(error),
            }
            refusals.append(str(error))
    clock.lap("secondary")

    if data.fidelity.empty:
        fidelity_result: dict = {
            "refused": "No fidelity scores were given, so fidelity and outcome are not related."
        }
        refusals.append(fidelity_result["refused"])
    else:
        fidelity_result = fidelity_outcome(data, plan)
        refusals += [
            part["refused"]
            for part in (fidelity_result["continuous"], fidelity_result["high_low"])
            if "refused" in part
        ]
    clock.lap("fidelity")

    if unit_costs is None or not any(len(use) for use in data.service_use.values()):
        economic: dict = {
            "refused": (
                f"No {'unit-cost table' if unit_costs is None else 'service-use rows'} were given, so costs "
                "and cost-effectiveness are not analysed."
            )
        }
        refusals.append(economic["refused"])
    else:
        try:
            economic = cost_effectiveness(data, plan, unit_costs)
            if delivery is not None:
                economic["intervention_costing"] = dict(delivery)
        except TooFewToAnalyse as error:
            economic = {"refused": str(error)}
            refusals.append(str(error))
    clock.lap("cost_effectiveness")

    result = {
        "schema": SCHEMA,
        "study": _study(data, plan),
        "plan": _plan(plan),
        "primary": primary,
        "secondary": secondary,
        "fidelity": fidelity_result,
        "cost_effectiveness": economic,
        "missing": _missing(data, plan, primary, secondary, fidelity_result, economic),
        "refusals": refusals,
        "notes": list(data.notes),
        "methods": methods(plan, economic, delivery),
    }
    result = json_ready(result)
    clock.lap("results")
    return result


class _Clock:
    """Seconds per part of the analysis, written into the caller's dict (nothing when there is none)."""

    def __init__(self, timings: dict[str, float] | None) -> None:
        self.timings = timings
        self.last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        if self.timings is not None:
            self.timings[name] = now - self.last
        self.last = now


def _study(data: StudyData, plan: AnalysisPlan) -> dict:
    people = data.participants
    return {
        "sites": int(people["site"].nunique()),
        "teams": {arm: int(people.loc[people["arm"] == arm, "team"].nunique()) for arm in ARMS},
        "participants": count_by(people["arm"]),
        "timepoints": {"baseline": plan.baseline, "follow_up": plan.follow_up},
    }


def _plan(plan: AnalysisPlan) -> dict:
    return {
        "primary": plan.primary.measure,
        "secondary": [outcome.measure for outcome in plan.secondary],
        "utility": plan.utility,
        "fidelity_population": plan.fidelity_population,
        "fidelity_threshold": plan.fidelity_threshold,
        "min_teams_per_arm": plan.min_teams_per_arm,
        "min_participants_per_arm": plan.min_participants_per_arm,
        "intervention_cost": plan.intervention_cost,
        "bootstrap_replicates": plan.bootstrap_replicates,
        "seed": plan.seed,
        "confidence": plan.confidence,
        "willingness_to_pay": {
            "from": min(plan.willingness_to_pay),
            "to": max(plan.willingness_to_pay),
            "points": len(plan.willingness_to_pay),
        },
    }


def _missing(data: StudyData, plan, primary: dict, secondary: dict, fidelity: dict, economic: dict) -> dict:
    people = data.participants
    followed = np.zeros(len(people), dtype=bool)
    for table in data.values.values():
        followed |= table["follow_up"].notna().to_numpy()
    use = data.service_use.get(plan.follow_up)
    if use is not None and len(use):
        followed |= people.index.isin(use.index)
    reasons = (
        people.loc[~followed, "missing_reason"]
        .map(lambda r: r if isinstance(r, str) else "no reason recorded")
        .value_counts()
    )
    analyses = {"primary": primary["missing"]}
    for measure, result in secondary.items():
        if "missing" in result:
            analyses[f"secondary: {measure}"] = result["missing"]
    for name, result in (("fidelity", fidelity), ("cost_effectiveness", economic)):
        if "missing" in result:
            analyses[name] = result["missing"]
    return {
        "method": (
            "Complete-case analysis: each estimate uses the participants with every value it needs; those "
            "left out are counted below by arm and by the first reason that applies. Nothing is imputed."
        ),
        "randomised": count_by(people["arm"]),
        "followed_up": count_by(people.loc[followed, "arm"]),
        "not_followed_up": count_by(people.loc[~followed, "arm"]),
        "not_followed_up_reasons": {str(k): int(reasons[k]) for k in sorted(reasons.index)},
        "analyses": analyses,
    }


def methods(plan: AnalysisPlan, economic: dict, delivery: Mapping[str, Any] | None = None) -> dict[str, str]:
    """Plain-English statements of each method, with the plan's numbers in them."""
    if delivery is not None:
        costed = ", ".join(delivery["costed"]) or "none"
        missing = "; ".join(delivery["not_costed"]) or "none"
        intervention = (
            f" {delivery['method']} Total {delivery['total']} over {delivery['participants']} intervention "
            f"participants: {plan.intervention_cost} each. Costed: {costed}. Not costed: {missing}."
        )
    elif plan.intervention_cost:
        intervention = (
            f" An intervention cost of {plan.intervention_cost} per intervention participant is added."
        )
    else:
        intervention = " No cost of delivering the intervention is added (none was given)."

    level = f"{plan.confidence:.0%}"
    price = (
        f" Unit costs: table {economic['unit_costs']!r}, price year {economic['price_year']}, "
        f"{economic['currency']}{' (illustrative figures, not for real decisions)' if economic['illustrative_costs'] else ''}."
        if "price_year" in economic
        else ""
    )
    return {
        "population": (
            "Intention to treat: every participant is analysed in the arm their team was allocated to, "
            "whatever care they received."
        ),
        "primary": (
            f"The primary outcome, {plan.primary.label}, at {plan.follow_up} is compared between arms "
            f"(intervention minus control) with a linear mixed model fitted by REML: fixed effects for arm and "
            f"the {plan.baseline} value, and a random intercept for team, since participants of one team are "
            f"more alike than participants of different teams. The {level} interval and p-value use the t "
            "distribution with teams − 2 degrees of freedom, which widens them when there are few teams."
        ),
        "sensitivity": (
            "Sensitivity analysis: the same comparison by ordinary least squares with cluster-robust "
            "(sandwich) standard errors by team, small-sample corrected, with teams − 1 degrees of freedom."
        ),
        "secondary": (
            "Each secondary outcome is analysed in the same way. An outcome with no baseline values (goal "
            "attainment, rated only at follow-up) is compared without a baseline adjustment, and its result "
            "says so. Secondary results are not adjusted for multiple comparisons: read them as supporting."
        ),
        "fidelity": (
            f"Fidelity and outcome ({'intervention participants' if plan.fidelity_population == 'intervention' else 'all participants, with control teams’ fidelity as recorded'}): "
            "the primary outcome at follow-up modelled on its baseline value and the team's fidelity score "
            "(per point of the scale; several ratings of a team are averaged), then on high against low "
            f"fidelity ({'at or above the median of the teams’ scores' if plan.fidelity_threshold is None else f'at or above {plan.fidelity_threshold}'}), "
            "each with a random intercept for team. Teams were not allocated to fidelity: this is an "
            "association, not an effect."
        ),
        "costs": (
            "Costs: for each participant, units of each service used (from the service-use questionnaire) × "
            "the service's unit cost, summed; a participant with a service unanswered has no cost at that "
            "timepoint. Follow-up costs cover that questionnaire's recall period and are not extrapolated."
            f"{intervention}"
            f"{price}"
        ),
        "qalys": (
            "QALYs by area under the curve: the EQ-5D-5L index at baseline and at follow-up joined by a "
            "straight line (trapezoid rule) over the days between the two assessments divided by 365.25 "
            f"({plan.follow_up_days} days when a follow-up date is missing; the results count how often)."
        ),
        "incremental": (
            "Incremental cost and QALYs: the arm coefficients of least-squares regressions of follow-up cost "
            "on arm and baseline cost, and of QALYs on arm and baseline EQ-5D-5L index (regression adjustment "
            "for baseline utility, as recommended by Manca et al. 2005)."
        ),
        "icer": (
            "ICER = incremental cost / incremental QALYs, given only in the north-east (cost per QALY gained) "
            "and south-west (saving per QALY lost) quadrants. When the intervention dominates or is dominated, "
            f"or the QALY difference is under {plan.qaly_difference_negligible} QALY, no ratio is given and "
            "the result says why; net monetary benefit is given at "
            f"{' and '.join(f'{t:,.0f}' for t in NICE_THRESHOLDS)} per QALY."
        ),
        "bootstrap": (
            f"Uncertainty: {plan.bootstrap_replicates:,} non-parametric bootstrap replicates (seed {plan.seed}) "
            "resampling whole teams with replacement within each arm, refitting both regressions each time; "
            f"{level} percentile intervals. The replicates are the points of the cost-effectiveness plane."
        ),
        "ceac": (
            "Cost-effectiveness acceptability curve: at each willingness to pay per QALY from "
            f"{min(plan.willingness_to_pay):,.0f} to {max(plan.willingness_to_pay):,.0f}, the share of "
            "replicates whose net monetary benefit (willingness to pay × incremental QALYs − incremental cost) "
            "is above zero."
        ),
        "missing": (
            "Complete-case analysis, reported: each estimate uses the participants with every value it needs, "
            "and the results count, by arm, those left out and why. Nothing is imputed; drop-out that depends "
            "on the baseline value is allowed for by the baseline adjustment."
        ),
        "refusal": (
            f"An estimate needs at least {plan.min_teams_per_arm} teams and {plan.min_participants_per_arm} "
            "participants with the values it uses in each arm (or fidelity group); with fewer, it is refused "
            "with a message rather than reported. Without a primary estimate there is no analysis."
        ),
    }


def json_ready(value: Any) -> Any:
    """Plain Python values only: numpy numbers to int/float, NaN and infinities to None, tuples to lists."""
    if isinstance(value, Mapping):
        return {str(key): json_ready(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_ready(item) for item in value]
    if isinstance(value, np.ndarray):
        return [json_ready(item) for item in value.tolist()]
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        number = float(value)
        return number if math.isfinite(number) else None
    return value
