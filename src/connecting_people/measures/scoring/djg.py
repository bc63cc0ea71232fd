"""Scoring type ``djg``: De Jong Gierveld loneliness scale, each item scored 0 or 1 by the answer given.

Parameters::

    lonely_codes:            # subscale id -> answer codes that score 1 on that subscale's items
      emotional: [1, 2]      # "yes" or "more or less" to a negatively worded item
      social: [2, 3]         # "no" or "more or less" to a positively worded item

Every item belongs to exactly one subscale named here. Total = sum of item scores over all items;
subscales = sums over their items. Missing data (authors' rule, as ``max-missing`` with ``total: 1`` and
``subscales: 0``): the total is given when at most one item is missing, counting over the answered items;
a subscale is given only when all its items are answered.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..definitions import DefinitionProblem, DefinitionSource, Instrument
from .result import INTEGER, BatchResult
from .rules import all_bands, outcome, rule_sums

MISSING_RULES = ("complete", "max-missing")
OPTIONS: tuple[str, ...] = ()


@dataclass(frozen=True, eq=False)
class Prepared:
    lowest: int
    lookup: np.ndarray  # (items, codes): item score for code - lowest
    any_missing_needed: bool


def prepare(instrument: Instrument, parameters: dict, source: DefinitionSource) -> Prepared:
    where = "scoring.parameters"
    if set(parameters) - {"lonely_codes"}:
        raise DefinitionProblem(
            f"{where}.{sorted(set(parameters) - {'lonely_codes'})[0]}", "unknown parameter"
        )
    if instrument.missing.fill != "none":
        raise DefinitionProblem("missing.fill", "the djg type counts over answered items: use fill none")
    lonely = parameters.get("lonely_codes")
    if not isinstance(lonely, dict) or not lonely:
        raise DefinitionProblem(
            f"{where}.lonely_codes", "must map each subscale id to the codes that score 1"
        )
    subscales = {s.id: s for s in instrument.subscales}
    for name in lonely:
        if name not in subscales:
            raise DefinitionProblem(f"{where}.lonely_codes.{name}", "not a subscale of this instrument")
    owner: dict[str, str] = {}
    for subscale in instrument.subscales:
        for item_id in subscale.items:
            if item_id in owner:
                raise DefinitionProblem("subscales", f"item {item_id!r} is in two subscales")
            owner[item_id] = subscale.id
    all_codes = sorted({v for item in instrument.items for v in item.code_values})
    lowest = all_codes[0]
    lookup = np.zeros((len(instrument.items), all_codes[-1] - lowest + 1))
    for i, item in enumerate(instrument.items):
        if item.range is not None:
            raise DefinitionProblem(f"items[{i}].codes", "the djg type needs a list of codes")
        subscale_id = owner.get(item.id)
        if subscale_id not in lonely:
            raise DefinitionProblem(f"items[{i}]", "every item must be in a subscale named in lonely_codes")
        codes = lonely[subscale_id]
        if not isinstance(codes, list) or any(c not in item.code_values for c in codes):
            raise DefinitionProblem(
                f"{where}.lonely_codes.{subscale_id}", f"must list codes of its items ({item.allowed_text()})"
            )
        for code in codes:
            lookup[i, code - lowest] = 1.0
    return Prepared(lowest, lookup, instrument.missing.rule != "complete")


def derived_ids(instrument: Instrument) -> tuple[str, ...]:
    return ()


def score(instrument: Instrument, answers: np.ndarray, missing: np.ndarray) -> BatchResult:
    prepared: Prepared = instrument.scoring.prepared
    width = prepared.lookup.shape[1]
    # One flat look-up (item row × code column) is much faster than 2-D fancy indexing.
    offsets = np.where(missing, 0, answers - prepared.lowest + np.arange(answers.shape[1]) * width)
    item_scores = prepared.lookup.ravel()[offsets.astype(np.intp)]
    item_scores[missing] = np.nan
    total, subscales = rule_sums(instrument, item_scores, missing)
    scored = ~np.isnan(total)
    any_missing = missing.any(axis=1) if prepared.any_missing_needed else ~scored
    return BatchResult(
        instrument=instrument,
        total=total,
        subscales=subscales,
        bands=all_bands(instrument, {"total": total, **subscales}),
        derived={},
        missing=missing,
        outcome=outcome(any_missing, scored),
        kinds={name: INTEGER for name in ("total", *subscales)},
    )


def ranges(instrument: Instrument) -> dict[str, tuple[float, float]]:
    out: dict[str, tuple[float, float]] = {"total": (0, len(instrument.items))}
    out.update({s.id: (0, len(s.items)) for s in instrument.subscales})
    return out
