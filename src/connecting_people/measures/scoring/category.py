"""Scoring type ``category``: a single question reported as the category chosen, not summed (ONS loneliness).

The result's ``band`` is the meaning of the chosen code; ``total`` is None. No parameters. Missing-data rule:
``complete`` (an unanswered question has no category).
"""

from __future__ import annotations

import numpy as np

from ..definitions import DefinitionProblem, DefinitionSource, Instrument
from .result import BatchResult
from .rules import outcome

MISSING_RULES = ("complete",)
OPTIONS: tuple[str, ...] = ()


def prepare(instrument: Instrument, parameters: dict, source: DefinitionSource) -> np.ndarray:
    """Returns the label look-up: labels[code - lowest code], None for gaps."""
    if parameters:
        raise DefinitionProblem(
            f"scoring.parameters.{sorted(parameters)[0]}", "the category type takes no parameters"
        )
    if len(instrument.items) != 1 or instrument.items[0].range is not None:
        raise DefinitionProblem(
            "items", "the category scoring type needs exactly one item with a list of codes"
        )
    if instrument.subscales:
        raise DefinitionProblem("subscales", "a single-question category measure has no subscales")
    if instrument.bands:
        raise DefinitionProblem("bands", "the category is the result: the codes' labels serve as its bands")
    codes = instrument.items[0].codes
    lowest = min(c.value for c in codes)
    labels = np.full(max(c.value for c in codes) - lowest + 2, None, dtype=object)  # last slot: missing
    for code in codes:
        labels[code.value - lowest] = code.label
    return labels


def derived_ids(instrument: Instrument) -> tuple[str, ...]:
    return ()


def score(instrument: Instrument, answers: np.ndarray, missing: np.ndarray) -> BatchResult:
    labels: np.ndarray = instrument.scoring.prepared
    lowest = min(instrument.items[0].code_values)
    column = answers[:, 0]
    answered = ~missing[:, 0]
    positions = np.where(answered, column - lowest, len(labels) - 1).astype(np.intp)
    return BatchResult(
        instrument=instrument,
        total=np.full(len(column), np.nan),
        subscales={},
        bands={"total": labels[positions]},
        derived={},
        missing=missing,
        outcome=outcome(~answered, answered),
    )


def ranges(instrument: Instrument) -> dict[str, tuple[float, float]]:
    return {}
