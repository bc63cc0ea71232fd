"""Fidelity and outcome: do participants of teams whose practice followed the model more closely gain more?

Fidelity is a team-level score (one per team, the mean when a team was rated more than once). Among the
fidelity population (intervention participants by default, or everyone with the control teams' fidelity as
recorded), the primary outcome at follow-up is modelled on its baseline value and

* fidelity as a number (the coefficient is the difference per point of the fidelity scale), and
* high against low fidelity, a team being "high" when its score is at or above the threshold (the plan's,
  or the median of the teams' scores in the population),

each with a random intercept for team. This is an observational comparison within the study: teams were not
allocated to fidelity, so it shows association, not effect.
"""

from __future__ import annotations

import numpy as np

from .data import StudyData
from .errors import TooFewToAnalyse
from .outcomes import NO_BASELINE, NO_FOLLOW_UP, cluster_codes, count_by, missing_block, require_enough
from .plan import AnalysisPlan
from .regression import mixed_model

NO_FIDELITY = "team has no fidelity score"
GROUPS = ("high", "low")


def fidelity_outcome(data: StudyData, plan: AnalysisPlan) -> dict:
    """Association of team fidelity with the primary outcome.

    Keys: measure, label, population, teams (each team's score, ratings, group and participants), threshold,
    threshold_rule, missing, continuous and high_low. A model with too few teams or participants holds
    ``{"refused": message}`` instead of numbers (at least 3 teams with fidelity scores for the continuous
    model; at least min_teams_per_arm teams and min_participants_per_arm participants in each of the high and
    low groups), while the rest of the result stays.
    """
    outcome = plan.primary
    people = data.participants
    if plan.fidelity_population == "intervention":
        people = people[people["arm"] == "intervention"]
    table = data.values[outcome.measure].loc[people.index]
    score = people["team"].map(data.fidelity).to_numpy(dtype=np.float64)
    has_fidelity = ~np.isnan(score)
    has_baseline = table["baseline"].notna().to_numpy()
    has_follow_up = table["follow_up"].notna().to_numpy()
    # By arm, like every other missing-data block (the control counts are 0 when only intervention
    # participants are in the fidelity population).
    missing = missing_block(
        people, {NO_FIDELITY: ~has_fidelity, NO_FOLLOW_UP: ~has_follow_up, NO_BASELINE: ~has_baseline}
    )
    used = has_fidelity & has_baseline & has_follow_up
    analysed = people[used]
    team_scores = data.fidelity.reindex(sorted(analysed["team"].unique()))
    if plan.fidelity_threshold is None:
        threshold = float(np.median(team_scores.to_numpy())) if len(team_scores) else None
        threshold_rule = "the median of the teams' fidelity scores"
    else:
        threshold = float(plan.fidelity_threshold)
        threshold_rule = "set in the analysis plan"
    y = table.loc[used, "follow_up"].to_numpy(dtype=np.float64)
    baseline = table.loc[used, "baseline"].to_numpy(dtype=np.float64)
    clusters = cluster_codes(analysed["team"])
    fidelity = score[used]

    result: dict = {
        "measure": outcome.measure,
        "label": outcome.label,
        "population": (
            "participants of intervention teams"
            if plan.fidelity_population == "intervention"
            else "all participants, with control teams' fidelity as recorded"
        ),
        "teams": [
            {
                "team": team,
                "score": float(team_scores[team]),
                "ratings": int(data.fidelity_ratings.get(team, 0)),
                "group": "high" if threshold is not None and team_scores[team] >= threshold else "low",
                "participants": int((analysed["team"] == team).sum()),
            }
            for team in team_scores.index
        ],
        "threshold": threshold,
        "threshold_rule": threshold_rule,
        "missing": missing,
    }

    teams = len(team_scores)
    if teams < 3 or len(analysed) < plan.min_participants_per_arm:
        message = (
            f"Too few to relate fidelity as a number to {outcome.label}: it needs at least 3 teams with "
            f"fidelity scores and {plan.min_participants_per_arm} participants with baseline and follow-up "
            f"values, but there are {teams} teams and {len(analysed)} participants."
        )
        result["continuous"] = {"refused": message}
    else:
        X = np.column_stack([np.ones(y.size), fidelity, baseline])
        fit = mixed_model(y, X, clusters, term=1, confidence=plan.confidence)
        result["continuous"] = {
            **_numbers(fit),
            "per": "one point of the fidelity scale",
            "n": int(y.size),
            "teams": teams,
            "method": f"{fit['method']} Fixed effects: fidelity score and baseline value.",
        }

    grouped = analysed.assign(
        group=np.where(fidelity >= (threshold if threshold is not None else np.inf), "high", "low")
    )
    try:
        require_enough(
            grouped,
            plan=plan,
            what=f"{outcome.label} by high and low fidelity",
            needs="baseline and follow-up values",
            column="group",
            groups=GROUPS,
        )
    except TooFewToAnalyse as error:
        result["high_low"] = {"refused": str(error)}
    else:
        X = np.column_stack(
            [np.ones(y.size), (grouped["group"] == "high").to_numpy(dtype=np.float64), baseline]
        )
        fit = mixed_model(y, X, clusters, term=1, confidence=plan.confidence)
        result["high_low"] = {
            **_numbers(fit),
            "contrast": "high minus low fidelity, at follow-up",
            "n": count_by(grouped["group"], GROUPS),
            "teams": {g: int(grouped.loc[grouped["group"] == g, "team"].nunique()) for g in GROUPS},
            "method": f"{fit['method']} Fixed effects: high fidelity (yes/no) and baseline value.",
        }
    return result


def _numbers(fit: dict) -> dict:
    return {
        key: fit[key]
        for key in ("estimate", "se", "ci_low", "ci_high", "p", "df", "icc", "notes")
        if key in fit
    }
