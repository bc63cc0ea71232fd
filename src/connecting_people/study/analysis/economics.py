"""Cost-effectiveness: costs from service use, QALYs from EQ-5D-5L, ICER, cluster bootstrap, CE plane, CEAC.

* **Costs.** A participant's cost at a timepoint = Σ over services of units used × unit cost, from a unit-cost
  table with a stated price year. A service in the data without a unit cost is refused (MissingUnitCost names
  it). A participant with a service left unanswered has no cost at that timepoint (a blank is not assumed
  to be no use). Follow-up costs cover the recall period of the service-use questionnaire at follow-up; they
  are not extrapolated. The plan's ``intervention_cost`` is added to every intervention participant.
* **QALYs** by area under the curve: the EQ-5D-5L index at baseline and follow-up joined by a straight line
  (trapezoid), over the days between the two assessments / 365.25.
* **Incremental cost and QALY**: the arm coefficient of a least-squares regression of follow-up cost on arm
  and baseline cost, and of QALYs on arm and baseline utility (so that chance imbalance in baseline utility,
  which the QALY area carries forward, is not mistaken for an effect; Manca et al. 2005).
* **Uncertainty**: a non-parametric bootstrap resampling whole teams with replacement within each arm (keeping
  each arm's number of teams), seeded. Each replicate refits both regressions, vectorised: the regressions
  are solved from per-team sums of squares and cross-products weighted by how often each team was drawn,
  which gives exactly the coefficients a refit on the resampled rows would. Percentile intervals.
* **ICER** = incremental cost / incremental QALY, reported only where it has a meaning (see `icer`).
* **Acceptability curve**: at each willingness to pay λ per QALY, the share of replicates with a positive
  net monetary benefit λ·ΔQALY − Δcost.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from .data import ARMS, StudyData
from .errors import MissingUnitCost, StudyDataError
from .outcomes import count_by, missing_block, require_enough
from .plan import AnalysisPlan

DAYS_PER_YEAR = 365.25
NICE_THRESHOLDS = (20_000.0, 30_000.0)
QUADRANTS = {
    "north-east": "more QALYs, more cost",
    "south-east": "more QALYs, less cost (the intervention dominates)",
    "north-west": "fewer QALYs, more cost (the intervention is dominated)",
    "south-west": "fewer QALYs, less cost",
}


# ---------------------------------------------------------------------------------------------- unit costs


def unit_cost_table(unit_costs: Any) -> tuple[dict[str, float], dict[str, Any]]:
    """The cost per unit of each service, and the table's facts (id, price year, currency, illustrative).

    unit_costs: a measures ``UnitCostTable`` (``load_unit_costs``), or a mapping in the same form as the
    YAML table: {id, price_year, currency, illustrative?, costs: {service: {unit, cost} or cost}}. The price
    year is required: costs without one cannot be compared with anything.
    """
    if hasattr(unit_costs, "costs") and hasattr(unit_costs, "price_year"):
        costs = {service: float(entry.cost) for service, entry in unit_costs.costs.items()}
        info = {
            "id": unit_costs.id,
            "price_year": unit_costs.price_year,
            "currency": unit_costs.currency,
            "illustrative": bool(unit_costs.illustrative),
        }
        return costs, info
    if not isinstance(unit_costs, Mapping) or not isinstance(unit_costs.get("costs"), Mapping):
        raise StudyDataError(
            "unit_costs must be a unit-cost table: {id, price_year, currency, costs: {...}}."
        )
    if not str(unit_costs.get("price_year") or "").strip():
        raise StudyDataError("The unit-cost table must state its price year (for example 2024/25).")
    costs = {}
    for service, entry in unit_costs["costs"].items():
        cost = entry.get("cost") if isinstance(entry, Mapping) else entry
        if isinstance(cost, bool) or not isinstance(cost, int | float) or not math.isfinite(cost) or cost < 0:
            raise StudyDataError(f"The unit cost of {service!r} must be a number, 0 or more.")
        costs[str(service)] = float(cost)
    info = {
        "id": str(unit_costs.get("id", "")),
        "price_year": str(unit_costs["price_year"]).strip(),
        "currency": str(unit_costs.get("currency", "GBP")),
        "illustrative": bool(unit_costs.get("illustrative", False)),
    }
    return costs, info


def participant_costs(use: pd.DataFrame, costs: Mapping[str, float], *, table: str = "") -> pd.Series:
    """Cost per participant: units (participants × services, NaN = not answered) × unit costs, summed.

    NaN for a participant with any service unanswered. Raises MissingUnitCost for a service with no cost.
    """
    absent = [service for service in use.columns if service not in costs]
    if absent:
        raise MissingUnitCost(sorted(absent), table)
    units = use.to_numpy(dtype=np.float64)
    prices = np.array([costs[s] for s in use.columns], dtype=np.float64)
    return pd.Series(units @ prices, index=use.index)  # NaN propagates: an unanswered service, no cost


def qalys(baseline: np.ndarray, follow_up: np.ndarray, days: np.ndarray) -> np.ndarray:
    """QALYs by the trapezoid rule: (utility at baseline + at follow-up) / 2 × days apart / 365.25."""
    baseline, follow_up, days = (np.asarray(a, dtype=np.float64) for a in (baseline, follow_up, days))
    return (baseline + follow_up) / 2 * days / DAYS_PER_YEAR


# --------------------------------------------------------------------------------------------- bootstrap


def bootstrap_counts(cluster_arm: np.ndarray, replicates: int, rng: np.random.Generator) -> np.ndarray:
    """How many times each team is drawn in each replicate (replicates × teams), resampling teams with
    replacement within each arm. `cluster_arm`: 1 for intervention teams, 0 for control, in team-code order."""
    counts = np.zeros((replicates, cluster_arm.size), dtype=np.float64)
    for arm in (0, 1):  # control first, then intervention: a fixed order keeps the draws reproducible
        members = np.flatnonzero(cluster_arm == arm)
        k = members.size
        draws = rng.integers(0, k, size=(replicates, k))
        flat = (draws + np.arange(replicates)[:, None] * k).ravel()
        counts[:, members] = np.bincount(flat, minlength=replicates * k).reshape(replicates, k)
    return counts


def weighted_coefficients(
    X: np.ndarray, y: np.ndarray, clusters: np.ndarray, counts: np.ndarray, *, term: int
) -> np.ndarray:
    """The `term` coefficient of least squares y ~ X for each row of team weights `counts` (replicates ×
    teams), from per-team sums: identical to refitting on the rows of the resampled teams."""
    teams, p = counts.shape[1], X.shape[1]
    cross = np.zeros((teams, p, p))
    np.add.at(cross, clusters, X[:, :, None] * X[:, None, :])
    moment = np.zeros((teams, p))
    np.add.at(moment, clusters, X * y[:, None])
    XtX = np.einsum("bk,kij->bij", counts, cross)
    Xty = counts @ moment
    try:
        beta = np.linalg.solve(XtX, Xty[:, :, None])[:, :, 0]
    except np.linalg.LinAlgError:  # a replicate whose design is singular: the least-squares solution
        beta = np.einsum("bij,bj->bi", np.linalg.pinv(XtX), Xty)
    return beta[:, term]


# --------------------------------------------------------------------------------------------- reporting


def quadrant(incremental_qaly: float, incremental_cost: float) -> str:
    east = incremental_qaly > 0
    north = incremental_cost > 0
    return f"{'north' if north else 'south'}-{'east' if east else 'west'}"


def icer(incremental_cost: float, incremental_qaly: float, *, negligible: float, currency: str) -> dict:
    """The ICER where it means something, and a statement of what the point estimates say.

    * |ΔQALY| below `negligible`: no ICER (dividing by about zero gives a number with no meaning).
    * More QALYs at no more cost: the intervention dominates; no ICER.
    * Fewer QALYs at no less cost: the intervention is dominated; no ICER.
    * More QALYs at more cost: ICER = cost per QALY gained.
    * Fewer QALYs at less cost: ICER = saving per QALY lost (to compare with what one would accept to save).
    """
    money = f"{currency} {abs(incremental_cost):,.0f}"
    if abs(incremental_qaly) < negligible:
        return {
            "icer": None,
            "interpretation": "no QALY difference",
            "statement": (
                f"The QALY difference is about zero (under {negligible} QALY), so there is no ICER: the "
                f"intervention {'costs' if incremental_cost > 0 else 'saves'} {money} per participant."
            ),
        }
    if incremental_qaly > 0 and incremental_cost <= 0:
        return {
            "icer": None,
            "interpretation": "intervention dominates",
            "statement": f"The intervention dominates: more QALYs and {money} less cost per participant.",
        }
    if incremental_qaly < 0 and incremental_cost >= 0:
        return {
            "icer": None,
            "interpretation": "intervention is dominated",
            "statement": f"The intervention is dominated: fewer QALYs and {money} more cost per participant.",
        }
    ratio = incremental_cost / incremental_qaly
    if incremental_qaly > 0:
        return {
            "icer": ratio,
            "interpretation": "cost per QALY gained",
            "statement": f"The intervention costs {currency} {ratio:,.0f} per QALY gained.",
        }
    return {
        "icer": ratio,
        "interpretation": "saving per QALY lost",
        "statement": (
            f"The intervention saves {currency} {ratio:,.0f} per QALY lost (fewer QALYs at less cost: "
            "compare with the saving one would accept for a QALY lost)."
        ),
    }


def acceptability(dc: np.ndarray, dq: np.ndarray, thresholds) -> list[dict]:
    """Share of replicates with net monetary benefit λ·ΔQ − ΔC above zero, at each λ."""
    lambdas = np.asarray(thresholds, dtype=np.float64)
    positive = (lambdas[None, :] * dq[:, None] - dc[:, None]) > 0
    return [
        {"willingness_to_pay": float(w), "probability": float(p)}
        for w, p in zip(lambdas, positive.mean(axis=0), strict=True)
    ]


def _interval(values: np.ndarray, confidence: float) -> tuple[float, float]:
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(values, [tail, 100 - tail])
    return float(low), float(high)


# ------------------------------------------------------------------------------------------------ analysis


def cost_effectiveness(data: StudyData, plan: AnalysisPlan, unit_costs: Any) -> dict:
    """The cost-effectiveness results (see the module docstring). Raises MissingUnitCost, TooFewToAnalyse."""
    costs, table = unit_cost_table(unit_costs)
    people = data.participants
    cost_at = {}
    for timepoint in (plan.baseline, plan.follow_up):
        use = data.service_use.get(timepoint, pd.DataFrame())
        cost_at[timepoint] = participant_costs(use, costs, table=table["id"]).reindex(people.index)
    utility = data.values[plan.utility]
    intervention = (people["arm"] == "intervention").to_numpy()
    follow_up_cost = cost_at[plan.follow_up].to_numpy() + np.where(intervention, plan.intervention_cost, 0.0)
    baseline_cost = cost_at[plan.baseline].to_numpy()
    u0 = utility["baseline"].to_numpy()
    u1 = utility["follow_up"].to_numpy()
    measured_days = (utility["follow_up_day"] - utility["baseline_day"].fillna(0)).to_numpy()
    if np.any(measured_days[~np.isnan(measured_days)] <= 0):
        raise StudyDataError("Some follow-up EQ-5D-5L assessments are dated on or before the baseline one.")
    nominal = np.isnan(measured_days)
    days = np.where(nominal, plan.follow_up_days, measured_days)

    reasons = {
        "no follow-up EQ-5D-5L index": np.isnan(u1),
        "no or incomplete follow-up service use": np.isnan(follow_up_cost),
        "no baseline EQ-5D-5L index": np.isnan(u0),
        "no or incomplete baseline service use": np.isnan(baseline_cost),
    }
    missing = missing_block(people, reasons)
    used = ~np.logical_or.reduce(list(reasons.values()))
    analysed = people[used]
    require_enough(
        analysed,
        plan=plan,
        what="cost-effectiveness",
        needs="EQ-5D-5L and service use at baseline and follow-up",
    )
    q = qalys(u0[used], u1[used], days[used])
    arm = intervention[used].astype(np.float64)
    ones = np.ones(arm.size)
    X_cost = np.column_stack([ones, arm, baseline_cost[used]])
    X_qaly = np.column_stack([ones, arm, u0[used]])
    y_cost = follow_up_cost[used]
    team_ids = sorted(analysed["team"].unique())
    clusters = pd.Categorical(analysed["team"], categories=team_ids).codes.astype(np.int64)
    cluster_arm = (
        analysed.groupby("team")["arm"].first().reindex(team_ids).eq("intervention").to_numpy(dtype=np.int64)
    )

    whole = np.ones((1, len(team_ids)))
    delta_cost = float(weighted_coefficients(X_cost, y_cost, clusters, whole, term=1)[0])
    delta_qaly = float(weighted_coefficients(X_qaly, q, clusters, whole, term=1)[0])
    rng = np.random.default_rng(plan.seed)
    counts = bootstrap_counts(cluster_arm, plan.bootstrap_replicates, rng)
    dc = weighted_coefficients(X_cost, y_cost, clusters, counts, term=1)
    dq = weighted_coefficients(X_qaly, q, clusters, counts, term=1)

    cost_low, cost_high = _interval(dc, plan.confidence)
    qaly_low, qaly_high = _interval(dq, plan.confidence)
    where = np.array([quadrant(a, b) for a, b in zip(dq.tolist(), dc.tolist(), strict=True)])
    net_benefit = []
    for threshold in NICE_THRESHOLDS:
        replicates = threshold * dq - dc
        low, high = _interval(replicates, plan.confidence)
        net_benefit.append(
            {
                "willingness_to_pay": threshold,
                "estimate": threshold * delta_qaly - delta_cost,
                "ci_low": low,
                "ci_high": high,
                "probability_cost_effective": float(np.mean(replicates > 0)),
            }
        )
    means = {}
    for name, group in (("intervention", arm == 1), ("control", arm == 0)):
        means[name] = {
            "baseline_cost": float(baseline_cost[used][group].mean()),
            "follow_up_cost": float(y_cost[group].mean()),
            "baseline_utility": float(u0[used][group].mean()),
            "follow_up_utility": float(u1[used][group].mean()),
            "qalys": float(q[group].mean()),
        }
    return {
        "unit_costs": table["id"],
        "price_year": table["price_year"],
        "currency": table["currency"],
        "illustrative_costs": table["illustrative"],
        "services": _services(data, plan, costs, people, used),
        "intervention_cost": plan.intervention_cost,
        "n": count_by(analysed["arm"]),
        "teams": {a: int(analysed.loc[analysed["arm"] == a, "team"].nunique()) for a in ARMS},
        "means": means,
        "incremental_cost": delta_cost,
        "incremental_cost_ci": [cost_low, cost_high],
        "incremental_qaly": delta_qaly,
        "incremental_qaly_ci": [qaly_low, qaly_high],
        **icer(
            delta_cost, delta_qaly, negligible=plan.qaly_difference_negligible, currency=table["currency"]
        ),
        "quadrant": quadrant(delta_qaly, delta_cost),
        "bootstrap_replicates": plan.bootstrap_replicates,
        "bootstrap_seed": plan.seed,
        "plane": {
            "point_order": ["incremental_qaly", "incremental_cost"],
            "points": np.column_stack([dq, dc]).tolist(),
            "mean_incremental_qaly": float(dq.mean()),
            "mean_incremental_cost": float(dc.mean()),
            "quadrants": {name: float(np.mean(where == name)) for name in QUADRANTS},
            "quadrant_meaning": QUADRANTS,
        },
        "ceac": acceptability(dc, dq, plan.willingness_to_pay),
        "net_monetary_benefit": net_benefit,
        "qaly_days": {
            "measured": int((~nominal[used]).sum()),
            "nominal": int(nominal[used].sum()),
            "nominal_days": plan.follow_up_days,
        },
        "missing": missing,
    }


def _services(data: StudyData, plan: AnalysisPlan, costs, people: pd.DataFrame, used: np.ndarray) -> dict:
    """Mean units and cost of each service at follow-up by arm, among the participants analysed."""
    use = data.service_use.get(plan.follow_up, pd.DataFrame()).reindex(people.index[used])
    arms = people.loc[used, "arm"].to_numpy()
    out = {}
    for service in use.columns:
        units = use[service].to_numpy(dtype=np.float64)
        out[service] = {"unit_cost": costs[service]}
        for arm in ARMS:
            mean_units = float(units[arms == arm].mean()) if np.any(arms == arm) else None
            out[service][arm] = {
                "mean_units": mean_units,
                "mean_cost": None if mean_units is None else mean_units * costs[service],
            }
    return out
