"""Intention to treat: each outcome at follow-up by arm, adjusted for its baseline value, teams as clusters.

Every participant is analysed in the arm their team was allocated to. The analysis is complete-case: a
participant without a follow-up value (or, when adjusting, without a baseline value) is left out, and the
result says how many were left out of each arm and why.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .data import ARMS, StudyData
from .errors import StudyDataError, TooFewToAnalyse
from .plan import AnalysisPlan, Outcome
from .regression import cluster_robust, mixed_model

NO_FOLLOW_UP = "no follow-up value"
NO_BASELINE = "no baseline value"
INTERVIEWED_NO_VALUE = "followed up, but no value for this measure"


def count_by(labels: pd.Series, groups: Sequence[str] = ARMS) -> dict[str, int]:
    counts = labels.value_counts()
    return {group: int(counts.get(group, 0)) for group in groups}


def require_enough(
    people: pd.DataFrame, *, plan: AnalysisPlan, what: str, needs: str, column: str = "arm", groups=ARMS
) -> None:
    """Raise TooFewToAnalyse unless each group has enough teams and participants.

    people: the participants the estimate would use (columns team and `column`).
    """
    short = []
    for group in groups:
        in_group = people[people[column] == group]
        teams, participants = in_group["team"].nunique(), len(in_group)
        if teams < plan.min_teams_per_arm or participants < plan.min_participants_per_arm:
            short.append(
                f"{group} has {teams} team{'s' * (teams != 1)} and {participants} participant{'s' * (participants != 1)}"
            )
    if short:
        raise TooFewToAnalyse(
            f"Too few to analyse {what}: each {'arm' if column == 'arm' else 'group'} needs at least "
            f"{plan.min_teams_per_arm} teams and {plan.min_participants_per_arm} participants with {needs}, "
            f"but {'; '.join(short)}."
        )


def missing_block(
    people: pd.DataFrame, reasons: dict[str, np.ndarray], groups=ARMS, column: str = "arm"
) -> dict:
    """Who was randomised, analysed and left out, by arm. `reasons` maps reason -> mask, in order: each
    participant is counted once, under the first reason that applies."""
    left = np.zeros(len(people), dtype=bool)
    excluded = {}
    for reason, mask in reasons.items():
        new = mask & ~left
        if new.any():
            excluded[reason] = count_by(people.loc[new, column], groups)
        left |= mask
    return {
        "randomised": count_by(people[column], groups),
        "analysed": count_by(people.loc[~left, column], groups),
        "excluded": excluded,
    }


def follow_up_reasons(people: pd.DataFrame, no_follow_up: np.ndarray) -> dict[str, int]:
    """Why values are missing at follow-up: the participant's recorded reason, or none recorded."""
    reasons = people.loc[no_follow_up, "missing_reason"].map(
        lambda r: r if isinstance(r, str) else INTERVIEWED_NO_VALUE
    )
    counts = reasons.value_counts()
    return {str(reason): int(counts[reason]) for reason in sorted(counts.index)}


def descriptives(table: pd.DataFrame, people: pd.DataFrame) -> dict:
    """n, mean and standard deviation of every value present, by timepoint and arm."""
    out = {}
    for column in ("baseline", "follow_up"):
        by_arm = {}
        for arm in ARMS:
            values = table.loc[(people["arm"] == arm).to_numpy(), column].dropna().to_numpy()
            by_arm[arm] = {
                "n": int(values.size),
                "mean": float(values.mean()) if values.size else None,
                "sd": float(values.std(ddof=1)) if values.size > 1 else None,
            }
        out[column] = by_arm
    return out


def cluster_codes(teams: pd.Series) -> np.ndarray:
    """Integer codes of the teams, in sorted order of their ids."""
    return pd.Categorical(teams, categories=sorted(teams.unique())).codes.astype(np.int64)


def outcome_effect(data: StudyData, outcome: Outcome, plan: AnalysisPlan, *, role: str = "secondary") -> dict:
    """The intervention − control difference at follow-up for one outcome.

    Raises TooFewToAnalyse when an arm has too few teams or participants with the values needed, and
    StudyDataError when the plan insists on a baseline adjustment the data cannot support.
    """
    people = data.participants
    table = data.values.get(outcome.measure)
    if table is None:
        table = pd.DataFrame(index=people.index, columns=["baseline", "follow_up"], dtype=np.float64)
    has_baseline = table["baseline"].notna().to_numpy()
    has_follow_up = table["follow_up"].notna().to_numpy()
    if outcome.adjust_for_baseline is None:
        adjust = bool(has_baseline.any())
    elif outcome.adjust_for_baseline and not has_baseline.any():
        raise StudyDataError(
            f"{outcome.label}: the plan adjusts for baseline, but there are no baseline values of "
            f"{outcome.measure!r} at {plan.baseline!r}."
        )
    else:
        adjust = bool(outcome.adjust_for_baseline)

    reasons = {NO_FOLLOW_UP: ~has_follow_up}
    if adjust:
        reasons[NO_BASELINE] = ~has_baseline
    missing = missing_block(people, reasons)
    missing["follow_up_reasons"] = follow_up_reasons(people, ~has_follow_up)
    used = has_follow_up & (has_baseline if adjust else True)
    analysed = people[used]
    needs = f"{'baseline and ' if adjust else ''}follow-up values of {outcome.label}"
    require_enough(analysed, plan=plan, what=f"{role} outcome {outcome.label}", needs=needs)

    y = table.loc[used, "follow_up"].to_numpy(dtype=np.float64)
    columns = [np.ones(y.size), (analysed["arm"] == "intervention").to_numpy(dtype=np.float64)]
    if adjust:
        columns.append(table.loc[used, "baseline"].to_numpy(dtype=np.float64))
    X = np.column_stack(columns)
    clusters = cluster_codes(analysed["team"])
    mixed = mixed_model(y, X, clusters, term=1, confidence=plan.confidence)
    robust = cluster_robust(y, X, clusters, term=1, confidence=plan.confidence)
    adjustment = (
        f"adjusted for the baseline value of {outcome.label}"
        if adjust
        else (
            "not adjusted for baseline: there are no baseline values of this measure"
            if not has_baseline.any()
            else "not adjusted for baseline (the plan says so)"
        )
    )
    return {
        "measure": outcome.measure,
        "label": outcome.label,
        "higher_is_better": outcome.higher_is_better,
        "contrast": "intervention minus control, at follow-up",
        "adjusted_for_baseline": adjust,
        "adjustment": adjustment,
        **{key: mixed[key] for key in ("estimate", "se", "ci_low", "ci_high", "p", "df")},
        "n": count_by(analysed["arm"]),
        "teams": {arm: int(analysed.loc[analysed["arm"] == arm, "team"].nunique()) for arm in ARMS},
        "method": f"{mixed['method']} Fixed effects: arm{' and baseline value' if adjust else ''}.",
        "converged": mixed["converged"],
        "icc": mixed.get("icc"),
        "team_variance": mixed.get("team_variance"),
        "residual_variance": mixed.get("residual_variance"),
        "notes": mixed["notes"],
        "sensitivity": {
            key: robust[key] for key in ("estimate", "se", "ci_low", "ci_high", "p", "df", "method", "notes")
        },
        "descriptives": descriptives(table, people),
        "missing": missing,
    }
