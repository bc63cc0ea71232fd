"""Scoring: one pure module per scoring type, and the dispatcher that picks the module for an instrument.

Public entry points::

    score_batch(instrument, answers_2d, *, validate=True, **options) -> BatchResult
    score_one(instrument, answers, **options) -> dict          # JSON-ready
    check_answers(instrument, answers) -> list[int | float | None]
    score_ranges(instrument, *, value_set=None) -> dict[str, (low, high)]

Options by scoring type: ``value_set`` (eq5d), ``weights`` (gas), ``unit_costs`` (csri_cost).
No Django here: plain numbers and numpy arrays in, plain numbers and numpy arrays out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..answers import as_answer_array, check_answers, check_batch, invalid_cells
from ..definitions import Instrument, scoring_module
from ..errors import AnswerError, ScoringOptionError
from .result import MISSING_OUTCOMES, NO_MISSING, NOT_SCORED, SCORED_WITH_MISSING, BatchResult, concatenate
from .rules import check_options

__all__ = [
    "MISSING_OUTCOMES",
    "NO_MISSING",
    "NOT_SCORED",
    "SCORED_WITH_MISSING",
    "AnswerError",
    "BatchResult",
    "ScoringOptionError",
    "check_answers",
    "check_batch",
    "invalid_cells",
    "score_batch",
    "score_one",
    "score_ranges",
]

BLOCK_ROWS = 16_384


def score_batch(
    instrument: Instrument, answers: Any, *, validate: bool = True, **options: Any
) -> BatchResult:
    """Score many responses at once.

    answers: 2-D array-like of numbers, one row per response, one column per item in the definition's order
    (for a repeated item such as GAS goals: one column per goal, up to ``repeat.max``); NaN = missing.
    validate: check every present answer is an allowed code first (AnswerError with the row otherwise).
    Pass False only for answers already checked (for example by `invalid_cells` when skipping bad rows).
    options: ``value_set`` (eq5d), ``weights`` (gas), ``unit_costs`` (csri_cost).

    Returns a BatchResult of arrays with one entry per row.
    """
    array = as_answer_array(instrument, answers)
    module = scoring_module(instrument.scoring.type)
    options = {name: value for name, value in options.items() if value is not None}
    check_options(instrument.scoring.type, options, module.OPTIONS)
    if hasattr(module, "batch_options"):  # options with one value per row are checked once, then sliced
        options = module.batch_options(instrument, array, options)
    n_rows = array.shape[0]
    parts = []
    # Blocks of rows keep every temporary array small enough to stay in the processor's cache, which
    # makes the whole pass several times faster than working on million-row temporaries.
    for start in range(0, max(n_rows, 1), BLOCK_ROWS):
        block = array[start : start + BLOCK_ROWS]
        if validate:
            check_batch(instrument, block, first_row=start)
        block_options = {
            name: value[start : start + BLOCK_ROWS] if name in getattr(module, "ROW_OPTIONS", ()) else value
            for name, value in options.items()
        }
        parts.append(module.score(instrument, block, np.isnan(block), **block_options))
    return concatenate(parts)


def score_one(
    instrument: Instrument, answers: Sequence[object] | Mapping[str, object], **options: Any
) -> dict[str, Any]:
    """Score one response and return a JSON-ready dict.

    answers: in the definition's item order (numbers, numeric text, or None / "" for missing), or a mapping
    from item id to answer. Raises AnswerError for an answer not allowed or the wrong number of answers,
    ScoringOptionError for a bad option.

    Keys, always: ``instrument``, ``version``, ``total`` (None when the instrument has no total or the rule
    did not allow one), ``subscales`` ({id: score or None}), ``band`` (label of the total's band, the
    category for a one-question measure, or None), ``missing`` (ids of unanswered items), ``missing_rule``
    ({rule, source, outcome: "no-missing" | "scored-with-missing" | "not-scored", description}).
    When defined: ``subscale_bands`` ({id: label or None}); one key per derived score (``metric`` for
    SWEMWBS; ``index``, ``state``, ``vas`` for EQ-5D-5L; ``t_score`` for GAS; ``access_via_<source>`` for the
    resource generator) and ``<derived>_band`` when that score has bands; batch facts: ``value_set``
    (EQ-5D-5L), ``unit_costs``, ``price_year``, ``currency``, ``illustrative_costs`` (CSRI).
    """
    values = check_answers(instrument, answers)
    row = np.array([[np.nan if v is None else float(v) for v in values]], dtype=np.float64)
    return score_batch(instrument, row, validate=False, **options).row(0)


def score_ranges(instrument: Instrument, *, value_set: str | None = None) -> dict[str, tuple[float, float]]:
    """Lowest and highest possible value of each score (total, subscales, derived), for chart axes.

    For EQ-5D-5L the index range depends on the value set (default: the definition's default).
    """
    module = scoring_module(instrument.scoring.type)
    if value_set is None:
        return module.ranges(instrument)
    check_options(instrument.scoring.type, {"value_set": value_set}, module.OPTIONS)
    if value_set not in module.value_set_ids(instrument):
        raise ScoringOptionError(f"unknown value set {value_set!r} for {instrument.id}")
    return module.ranges(instrument, value_set=value_set)
