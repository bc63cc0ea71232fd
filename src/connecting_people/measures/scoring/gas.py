"""Scoring type ``gas``: Goal Attainment Scaling T-score (Kiresuk & Sherman 1968).

Each goal is scored −2 (much less than expected) … 0 (expected) … +2 (much more than expected). With
weights wᵢ (1 for every goal when unweighted) and the goals' assumed intercorrelation ρ:

    T = 50 + 10 · Σ wᵢxᵢ / √((1 − ρ) · Σ wᵢ² + ρ · (Σ wᵢ)²)

Parameters: ``rho`` (0.3 by convention). Answers are a variable number of goal scores (the definition's
``repeat``); in a batch, rows with fewer goals are padded with NaN. Goals without a score are left out,
with their weights (``skip-missing``); a row with no scored goal, or only zero weights, has no T-score.
Option ``weights``: one weight per goal (1-D, shared by every row) or one per row and goal (2-D); a weight is
a number ≥ 0, usually importance × difficulty (see `weight`).
"""

from __future__ import annotations

import math

import numpy as np

from ..definitions import DefinitionProblem, DefinitionSource, Instrument
from ..errors import ScoringOptionError
from .result import NUMBER, BatchResult
from .rules import outcome

MISSING_RULES = ("skip-missing",)
OPTIONS = ("weights",)
ROW_OPTIONS = ("weights",)  # after batch_options, weights have one row per response


def batch_options(instrument: Instrument, answers: np.ndarray, options: dict) -> dict:
    """Check weights once for the whole batch and give them one row per response (a broadcast view)."""
    if "weights" in options:
        options = {**options, "weights": _weights(options["weights"], answers.shape, ~np.isnan(answers))}
    return options


def prepare(instrument: Instrument, parameters: dict, source: DefinitionSource) -> float:
    """Returns ρ."""
    if set(parameters) - {"rho"}:
        raise DefinitionProblem(
            f"scoring.parameters.{sorted(set(parameters) - {'rho'})[0]}", "unknown parameter"
        )
    rho = parameters.get("rho")
    if isinstance(rho, bool) or not isinstance(rho, int | float) or not 0 <= rho < 1:
        raise DefinitionProblem("scoring.parameters.rho", "must be a number from 0 up to (not including) 1")
    if instrument.repeat is None:
        raise DefinitionProblem("repeat", "goal attainment scaling needs repeat: {min, max} goals")
    if instrument.items[0].range is not None:
        raise DefinitionProblem("items[0].codes", "goal scores are a list of codes (−2 … +2)")
    return float(rho)


def derived_ids(instrument: Instrument) -> tuple[str, ...]:
    return ("t_score",)


def weight(importance: np.ndarray | float, difficulty: np.ndarray | float) -> np.ndarray:
    """Goal weight = importance × difficulty, each rated 0–3 (whole numbers). Works on arrays."""
    importance, difficulty = np.asarray(importance, dtype=float), np.asarray(difficulty, dtype=float)
    for name, values in (("importance", importance), ("difficulty", difficulty)):
        if not np.all(np.isin(values, (0.0, 1.0, 2.0, 3.0))):
            raise ScoringOptionError(f"{name} is rated 0, 1, 2 or 3")
    return importance * difficulty


def score(
    instrument: Instrument, answers: np.ndarray, missing: np.ndarray, *, weights: object = None
) -> BatchResult:
    rho: float = instrument.scoring.prepared
    scored_goal = ~missing
    goal_scores = np.where(scored_goal, answers, 0.0)
    if weights is None:
        w = scored_goal.astype(np.float64)
    else:
        w = np.where(scored_goal, _weights(weights, answers.shape, scored_goal), 0.0)
    ones = np.ones(answers.shape[1])
    weighted = (w * goal_scores) @ ones
    sum_w = w @ ones
    sum_w2 = (w * w) @ ones
    spread = np.sqrt((1.0 - rho) * sum_w2 + rho * sum_w * sum_w)
    has_score = spread > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        t_score = np.where(has_score, 50.0 + 10.0 * weighted / spread, np.nan)
    any_missing = missing.any(axis=1)
    return BatchResult(
        instrument=instrument,
        total=np.full(len(answers), np.nan),
        subscales={},
        bands={},
        derived={"t_score": t_score},
        missing=missing,
        outcome=outcome(any_missing, has_score),
        kinds={"t_score": NUMBER},
    )


def ranges(instrument: Instrument) -> dict[str, tuple[float, float]]:
    """Bounds of T for up to repeat.max goals and any weights: reached with equal weights, all ±2."""
    rho: float = instrument.scoring.prepared
    goals = instrument.repeat.maximum if instrument.repeat else 1
    reach = 20.0 / math.sqrt(rho + (1.0 - rho) / goals)
    return {"t_score": (50.0 - reach, 50.0 + reach)}


def _weights(weights: object, shape: tuple[int, int], scored_goal: np.ndarray) -> np.ndarray:
    try:
        w = np.asarray(weights, dtype=np.float64)
    except (TypeError, ValueError):
        raise ScoringOptionError("weights must be numbers, one per goal") from None
    if w.ndim == 1 and w.shape[0] == shape[1]:
        w = np.broadcast_to(w, shape)
    elif w.shape != shape:
        raise ScoringOptionError(
            f"weights: {w.shape[-1] if w.ndim else 0} given; expected one per goal ({shape[1]})"
        )
    bad = scored_goal & ~(np.isfinite(w) & (w >= 0))
    if bad.any():
        row, goal = divmod(int(np.argmax(bad.ravel())), shape[1])
        where = f"goal{goal + 1}" + (f" in row {row}" if shape[0] > 1 else "")
        raise ScoringOptionError(
            f"weights: {where} has weight {w[row, goal]}; a weight is a number, 0 or more"
        )
    return w
