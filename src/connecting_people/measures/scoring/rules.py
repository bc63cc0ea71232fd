"""Shared arithmetic of the scoring types: sums under a missing-data rule, bands, and row outcomes.

Everything here works on whole arrays (rows × items); nothing loops over rows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from ..definitions import BandSet, Instrument, MissingRule
from ..errors import ScoringOptionError
from .result import NO_MISSING, NOT_SCORED, SCORED_WITH_MISSING


def rule_sum(
    values: np.ndarray, missing: np.ndarray | None, allowed_missing: int, fill: str = "none"
) -> np.ndarray:
    """Row sums of `values` (n × k, NaN = missing) under a missing-data rule.

    allowed_missing: how many of the k values may be missing and the row still summed (0 = complete only).
    fill: "none" sums the answered values; "person-mean" scales that sum by k / answered, so each missing
    value counts as the mean of the row's answered values.
    Returns float64 (n,), NaN where too many values are missing.
    """
    k = values.shape[1]
    ones = np.ones(k)
    if allowed_missing == 0 or missing is None:
        return values @ ones  # a NaN anywhere in the row makes the sum NaN: exactly "complete forms only"
    n_missing = missing.astype(np.float64) @ ones
    total = np.where(missing, 0.0, values) @ ones
    if fill == "person-mean":
        answered = k - n_missing
        with np.errstate(invalid="ignore", divide="ignore"):
            total = total * k / answered
    total[n_missing > allowed_missing] = np.nan
    return total


def rule_sums(
    instrument: Instrument, values: np.ndarray, missing: np.ndarray
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Total over every item and each subscale's sum, under the instrument's missing-data rule."""
    rule: MissingRule = instrument.missing
    complete_only = rule.rule == "complete"
    total = rule_sum(values, missing, 0 if complete_only else rule.max_missing_total, rule.fill)
    index = {item_id: j for j, item_id in enumerate(instrument.item_ids)}
    subscales: dict[str, np.ndarray] = {}
    for subscale in instrument.subscales:
        columns = [index[item_id] for item_id in subscale.items]
        subscales[subscale.id] = rule_sum(
            values[:, columns],
            missing[:, columns],
            0 if complete_only else rule.max_missing_subscale,
            rule.fill,
        )
    return total, subscales


def outcome(any_missing: np.ndarray, scored: np.ndarray) -> np.ndarray:
    """What the missing-data rule did per row: NO_MISSING, SCORED_WITH_MISSING or NOT_SCORED (int8)."""
    result = np.where(scored, SCORED_WITH_MISSING, NOT_SCORED).astype(np.int8)
    result[~any_missing] = NO_MISSING
    return result


def band_labels(values: np.ndarray, band_set: BandSet) -> np.ndarray:
    """Object array: the label of the band each value falls in (inclusive ranges), or None."""
    bands = band_set.bands
    position = np.full(values.shape, len(bands), dtype=np.intp)
    for i, band in enumerate(bands):
        position[(values >= band.minimum) & (values <= band.maximum)] = i
    labels = np.array([*(band.label for band in bands), None], dtype=object)
    return labels[position]


def all_bands(instrument: Instrument, scores: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Band labels for every score that has bands in the definition."""
    return {
        band_set.applies_to: band_labels(scores[band_set.applies_to], band_set)
        for band_set in instrument.bands
        if band_set.applies_to in scores
    }


def check_options(scoring_type: str, options: Mapping[str, object], accepted: Sequence[str]) -> None:
    """Refuse options the scoring type does not know, naming the ones it does."""
    for name in options:
        if name not in accepted:
            takes = ", ".join(accepted) if accepted else "no options"
            raise ScoringOptionError(
                f"the {scoring_type} scoring type does not take option {name!r} (it takes {takes})"
            )
