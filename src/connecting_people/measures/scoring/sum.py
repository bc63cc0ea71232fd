"""Scoring type ``sum``: total = sum of item codes, subscales = sums of their items.

Parameters (all optional)::

    conversion:                 # a published look-up from raw total to another score (SWEMWBS metric)
      table: swemwbs_conversion.csv
      from: raw                 # column holding the raw total
      to: metric                # column holding the converted score
      derived: metric           # id of the derived score it produces

Missing-data rules: ``complete`` or ``max-missing`` (with ``fill: none`` or ``person-mean``). A conversion
table converts totals of complete forms only, so it requires ``complete``.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass

import numpy as np

from ..definitions import DefinitionProblem, DefinitionSource, Instrument
from .result import INTEGER, NUMBER, BatchResult
from .rules import all_bands, outcome, rule_sums

MISSING_RULES = ("complete", "max-missing")
OPTIONS: tuple[str, ...] = ()


@dataclass(frozen=True, eq=False)
class Prepared:
    minimum: int
    maximum: int
    conversion: np.ndarray | None  # converted score for raw totals minimum..maximum
    derived_id: str | None


def prepare(instrument: Instrument, parameters: dict, source: DefinitionSource) -> Prepared:
    where = "scoring.parameters"
    unknown = set(parameters) - {"conversion"}
    if unknown:
        raise DefinitionProblem(f"{where}.{sorted(unknown)[0]}", "unknown parameter (allowed: conversion)")
    for i, item in enumerate(instrument.items):
        if item.range is not None:
            raise DefinitionProblem(
                f"items[{i}].codes", "the sum scoring type needs a list of codes, not a range"
            )
    minimum = sum(min(item.code_values) for item in instrument.items)
    maximum = sum(max(item.code_values) for item in instrument.items)
    conversion = parameters.get("conversion")
    if conversion is None:
        return Prepared(minimum, maximum, None, None)

    where = f"{where}.conversion"
    if not isinstance(conversion, dict) or set(conversion) - {"table", "from", "to", "derived"}:
        raise DefinitionProblem(where, "must be a mapping with table, from, to and derived")
    if instrument.missing.rule != "complete":
        raise DefinitionProblem(
            where, "a conversion table converts totals of complete forms: use missing.rule complete"
        )
    path = source.find_table(conversion.get("table"), f"{where}.table")
    column_from, column_to = conversion.get("from", "raw"), conversion.get("to", "converted")
    derived_id = conversion.get("derived", column_to)
    if not isinstance(derived_id, str):
        raise DefinitionProblem(f"{where}.derived", "must be the id of a derived score")
    table: dict[int, float] = {}
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if column_from not in (reader.fieldnames or []) or column_to not in (reader.fieldnames or []):
            raise DefinitionProblem(
                f"{where}.table", f"{path.name} needs columns {column_from!r} and {column_to!r}"
            )
        for line, row in enumerate(reader, start=2):
            try:
                raw, converted = int(row[column_from]), float(row[column_to])
            except (TypeError, ValueError):
                raise DefinitionProblem(f"{where}.table", f"{path.name} line {line}: not a number") from None
            if raw in table or not math.isfinite(converted):
                raise DefinitionProblem(f"{where}.table", f"{path.name} line {line}: repeated or invalid row")
            table[raw] = converted
    absent = [raw for raw in range(minimum, maximum + 1) if raw not in table]
    if absent:
        raise DefinitionProblem(
            f"{where}.table", f"{path.name} has no row for raw total(s) {', '.join(map(str, absent[:5]))}"
        )
    lookup = np.array([table[raw] for raw in range(minimum, maximum + 1)], dtype=np.float64)
    return Prepared(minimum, maximum, lookup, derived_id)


def derived_ids(instrument: Instrument) -> tuple[str, ...]:
    prepared: Prepared = instrument.scoring.prepared
    return () if prepared.derived_id is None else (prepared.derived_id,)


def score(instrument: Instrument, answers: np.ndarray, missing: np.ndarray) -> BatchResult:
    prepared: Prepared = instrument.scoring.prepared
    total, subscales = rule_sums(instrument, answers, missing)
    scored = ~np.isnan(total)
    # Under "complete" a total is NaN exactly when an item is missing, which spares a pass over the items.
    any_missing = ~scored if instrument.missing.rule == "complete" else missing.any(axis=1)
    derived: dict[str, np.ndarray] = {}
    if prepared.conversion is not None:
        offsets = np.where(scored, total - prepared.minimum, 0).astype(np.intp)
        derived[prepared.derived_id] = np.where(scored, prepared.conversion[offsets], np.nan)
    whole = instrument.missing.fill == "none"
    kinds = {name: INTEGER if whole else NUMBER for name in ("total", *subscales)}
    kinds.update({name: NUMBER for name in derived})
    return BatchResult(
        instrument=instrument,
        total=total,
        subscales=subscales,
        bands=all_bands(instrument, {"total": total, **subscales, **derived}),
        derived=derived,
        missing=missing,
        outcome=outcome(any_missing, scored),
        kinds=kinds,
    )


def ranges(instrument: Instrument) -> dict[str, tuple[float, float]]:
    """Lowest and highest possible value of each score, for chart axes."""
    prepared: Prepared = instrument.scoring.prepared
    out: dict[str, tuple[float, float]] = {"total": (prepared.minimum, prepared.maximum)}
    for subscale in instrument.subscales:
        items = [instrument.item(item_id) for item_id in subscale.items]
        out[subscale.id] = (sum(min(i.code_values) for i in items), sum(max(i.code_values) for i in items))
    if prepared.conversion is not None:
        out[prepared.derived_id] = (float(prepared.conversion.min()), float(prepared.conversion.max()))
    return out
