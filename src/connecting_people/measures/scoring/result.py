"""The result of scoring a batch of responses, and its JSON-ready form for one response."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..definitions import Instrument

# What the missing-data rule did for each row, stored as an index into this tuple (int8 array).
NO_MISSING = 0  # every item answered
SCORED_WITH_MISSING = 1  # some items missing, and the rule still gave the headline score
NOT_SCORED = 2  # too much missing: the headline score is not given (NaN / None)
MISSING_OUTCOMES = ("no-missing", "scored-with-missing", "not-scored")

# How an output prints in JSON: a whole number, a number, or a text code (EQ-5D state "21341").
INTEGER, NUMBER, STATE = "integer", "number", "state"


@dataclass(frozen=True, eq=False)
class BatchResult:
    """Scores for n responses. Every array has n rows; NaN (or None in object arrays) means "not scored".

    total:     float64 (n,). NaN for instruments that have no total (category, EQ-5D, GAS) or rows not scored.
    subscales: subscale id -> float64 (n,).
    bands:     score name ("total", a subscale id or a derived id) -> object (n,) of band label or None.
    derived:   derived score id -> float64 (n,): "metric" (SWEMWBS), "index", "state", "vas" (EQ-5D),
               "t_score" (GAS), "access_via_<source>" (resource generator).
    info:      values that hold for the whole batch: "value_set" (EQ-5D), "unit_costs", "price_year", "currency".
    missing:   bool (n, answer positions): True where the answer was missing.
    outcome:   int8 (n,): index into MISSING_OUTCOMES, what the missing-data rule did for the row.
    kinds:     output name -> INTEGER, NUMBER or STATE, for the JSON form.
    """

    instrument: Instrument
    total: np.ndarray
    subscales: Mapping[str, np.ndarray]
    bands: Mapping[str, np.ndarray]
    derived: Mapping[str, np.ndarray]
    missing: np.ndarray
    outcome: np.ndarray
    info: Mapping[str, Any] = field(default_factory=dict)
    kinds: Mapping[str, str] = field(default_factory=dict)

    def __len__(self) -> int:
        return int(self.missing.shape[0])

    @property
    def band(self) -> np.ndarray:
        """Band label of the overall score (the "total" bands, or the category for a one-question measure)."""
        labels = self.bands.get("total")
        if labels is None:
            labels = np.full(len(self), None, dtype=object)
        return labels

    @property
    def answer_ids(self) -> tuple[str, ...]:
        return self.instrument.answer_ids(self.missing.shape[1])

    def outcome_names(self) -> np.ndarray:
        """`outcome` as an object array of names from MISSING_OUTCOMES."""
        return np.array(MISSING_OUTCOMES, dtype=object)[self.outcome]

    def row(self, i: int) -> dict[str, Any]:
        """The JSON-ready result for row `i` (the same dict `score_one` returns). See `score_one`."""
        instrument = self.instrument
        out: dict[str, Any] = {
            "instrument": instrument.id,
            "version": instrument.version,
            "total": self._value("total", self.total[i]),
            "subscales": {name: self._value(name, values[i]) for name, values in self.subscales.items()},
            "band": self.band[i],
        }
        subscale_bands = {name: labels[i] for name, labels in self.bands.items() if name in self.subscales}
        if subscale_bands:
            out["subscale_bands"] = subscale_bands
        for name, values in self.derived.items():
            out[name] = self._value(name, values[i])
            if name in self.bands:
                out[f"{name}_band"] = self.bands[name][i]
        out.update(self.info)
        ids = self.answer_ids
        missing = [ids[j] for j in np.flatnonzero(self.missing[i])]
        out["missing"] = missing
        outcome = MISSING_OUTCOMES[int(self.outcome[i])]
        out["missing_rule"] = {
            "rule": instrument.missing.rule,
            "source": instrument.missing.source,
            "outcome": outcome,
            "description": _describe(instrument, outcome, len(missing)),
        }
        return out

    def rows(self) -> list[dict[str, Any]]:
        return [self.row(i) for i in range(len(self))]

    def _value(self, name: str, value: float) -> int | float | str | None:
        number = float(value)
        if math.isnan(number):
            return None
        kind = self.kinds.get(name, NUMBER)
        if kind == INTEGER:
            return int(round(number))
        if kind == STATE:
            return str(int(number))
        return number


def _describe(instrument: Instrument, outcome: str, n_missing: int) -> str:
    items = "item" if n_missing == 1 else "items"
    if outcome == "no-missing":
        return "All items answered."
    if outcome == "scored-with-missing":
        return f"{n_missing} {items} missing; scored under the rule: {instrument.missing.note}"
    return f"{n_missing} {items} missing; not scored under the rule: {instrument.missing.note}"


def concatenate(parts: list[BatchResult]) -> BatchResult:
    """Join results of consecutive blocks of rows into one (same instrument, same options)."""
    if len(parts) == 1:
        return parts[0]
    first = parts[0]

    def join(pick):  # noqa: ANN001, ANN202 - a tiny local helper
        return np.concatenate([pick(part) for part in parts])

    return BatchResult(
        instrument=first.instrument,
        total=join(lambda p: p.total),
        subscales={name: join(lambda p, name=name: p.subscales[name]) for name in first.subscales},
        bands={name: join(lambda p, name=name: p.bands[name]) for name in first.bands},
        derived={name: join(lambda p, name=name: p.derived[name]) for name in first.derived},
        missing=join(lambda p: p.missing),
        outcome=join(lambda p: p.outcome),
        info=first.info,
        kinds=first.kinds,
    )
