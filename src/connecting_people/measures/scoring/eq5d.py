"""Scoring type ``eq5d``: EQ-5D-5L health state, index under a chosen value set, and the EQ VAS.

Parameters::

    dimensions: {MO: mobility, SC: self_care, UA: usual_activities, PD: pain_discomfort, AD: anxiety_depression}
    vas: vas                              # item id of the visual analogue scale (optional)
    default_value_set: vanhout2012-uk
    value_sets:
      - id: vanhout2012-uk
        method: crosswalk                 # one index per 5-digit state, looked up
        table: eq5d5l_crosswalk_vanhout2012_uk.csv
        column: uk_3l_index               # the index column; the state column is "state"
        citation: ...
      - id: devlin2018-england
        method: additive                  # index = 1 - sum of decrements(dimension, level); level 1 = 0
        table: eq5d5l_value_sets.csv      # columns value_set, dimension, level, decrement
        citation: ...

Every value set is turned into a table of all 3,125 states when the definition loads, so scoring is one
look-up per response. Additive indices are computed in decimal arithmetic, so they equal 1 − Σ decrements
exactly as published (no binary rounding drift). The option ``value_set`` chooses the set; the result always
reports which one produced the index (``info["value_set"]``).

Derived scores: ``index``, ``state`` (the five levels as a number such as 21341; text in JSON) and ``vas``.
Missing data (``complete``): the index and state need all five dimensions; the VAS is reported on its own.
"""

from __future__ import annotations

import csv
import itertools
import math
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

import numpy as np

from ..definitions import DefinitionProblem, DefinitionSource, Instrument
from ..errors import ScoringOptionError
from .result import INTEGER, NUMBER, STATE, BatchResult
from .rules import outcome

MISSING_RULES = ("complete",)
OPTIONS = ("value_set",)
DIMENSIONS = ("MO", "SC", "UA", "PD", "AD")
LEVELS = (1, 2, 3, 4, 5)
STATE_COUNT = 5**5
_PLACE = np.array([625.0, 125.0, 25.0, 5.0, 1.0])  # state number = Σ (level − 1) · 5^(4 − position)
_DIGITS = np.array([10000.0, 1000.0, 100.0, 10.0, 1.0])


@dataclass(frozen=True)
class ValueSet:
    id: str
    method: str
    citation: str
    table: Path
    index: np.ndarray  # (3125,) index of each state, in state-number order (11111 first, 55555 last)


@dataclass(frozen=True, eq=False)
class Prepared:
    dimension_columns: tuple[int, ...]
    vas_column: int | None
    value_sets: dict[str, ValueSet]
    default_value_set: str


def all_states() -> list[str]:
    """The 3,125 states as 5-digit text, in state-number order (11111, 11112, …, 55555)."""
    return ["".join(map(str, levels)) for levels in itertools.product(LEVELS, repeat=5)]


def state_number(state: str) -> int:
    return sum((int(level) - 1) * 5 ** (4 - i) for i, level in enumerate(state))


def value_set_ids(instrument: Instrument) -> tuple[str, ...]:
    return tuple(instrument.scoring.prepared.value_sets)


def default_value_set(instrument: Instrument) -> str:
    return instrument.scoring.prepared.default_value_set


def prepare(instrument: Instrument, parameters: dict, source: DefinitionSource) -> Prepared:
    where = "scoring.parameters"
    unknown = set(parameters) - {"dimensions", "vas", "default_value_set", "value_sets"}
    if unknown:
        raise DefinitionProblem(f"{where}.{sorted(unknown)[0]}", "unknown parameter")
    dimensions = parameters.get("dimensions")
    if not isinstance(dimensions, dict) or sorted(dimensions) != sorted(DIMENSIONS):
        raise DefinitionProblem(
            f"{where}.dimensions", f"must map each of {', '.join(DIMENSIONS)} to an item id"
        )
    ids = list(instrument.item_ids)
    columns = []
    for dimension in DIMENSIONS:
        item_id = dimensions[dimension]
        if item_id not in ids:
            raise DefinitionProblem(f"{where}.dimensions.{dimension}", f"unknown item {item_id!r}")
        if instrument.item(item_id).code_values != LEVELS:
            raise DefinitionProblem(
                f"items[{ids.index(item_id)}].codes", "an EQ-5D-5L dimension has codes 1 to 5"
            )
        columns.append(ids.index(item_id))
    vas_column = None
    if parameters.get("vas") is not None:
        if parameters["vas"] not in ids:
            raise DefinitionProblem(f"{where}.vas", f"unknown item {parameters['vas']!r}")
        vas_column = ids.index(parameters["vas"])
    used = columns + ([] if vas_column is None else [vas_column])
    if len(set(used)) != len(used) or len(used) != len(ids):
        raise DefinitionProblem(
            "items", "items must be the five dimensions and, optionally, the VAS, each once"
        )

    entries = parameters.get("value_sets")
    if not isinstance(entries, list) or not entries:
        raise DefinitionProblem(f"{where}.value_sets", "must list one or more value sets")
    value_sets: dict[str, ValueSet] = {}
    for i, entry in enumerate(entries):
        name = f"{where}.value_sets[{i}]"
        if not isinstance(entry, dict) or set(entry) - {"id", "method", "table", "column", "citation"}:
            raise DefinitionProblem(name, "must be a mapping with id, method, table, citation (and column)")
        set_id, method, citation = entry.get("id"), entry.get("method"), entry.get("citation")
        if not isinstance(set_id, str) or not set_id or set_id in value_sets:
            raise DefinitionProblem(f"{name}.id", "must be a new, non-empty id")
        if not isinstance(citation, str) or not citation.strip():
            raise DefinitionProblem(f"{name}.citation", "must be non-empty text")
        table = source.find_table(entry.get("table"), f"{name}.table")
        if method == "crosswalk":
            index = _crosswalk(table, entry.get("column", "index"), f"{name}.table")
        elif method == "additive":
            index = _additive(table, set_id, f"{name}.table")
        else:
            raise DefinitionProblem(f"{name}.method", "must be crosswalk or additive")
        value_sets[set_id] = ValueSet(set_id, method, citation.strip(), table, index)
    default = parameters.get("default_value_set")
    if default not in value_sets:
        raise DefinitionProblem(f"{where}.default_value_set", f"must be one of {', '.join(value_sets)}")
    return Prepared(tuple(columns), vas_column, value_sets, default)


def derived_ids(instrument: Instrument) -> tuple[str, ...]:
    prepared: Prepared = instrument.scoring.prepared
    return ("index", "state") if prepared.vas_column is None else ("index", "state", "vas")


def score(
    instrument: Instrument, answers: np.ndarray, missing: np.ndarray, *, value_set: str | None = None
) -> BatchResult:
    prepared: Prepared = instrument.scoring.prepared
    chosen = prepared.default_value_set if value_set is None else value_set
    if chosen not in prepared.value_sets:
        raise ScoringOptionError(
            f"unknown value set {chosen!r} for {instrument.id} (known: {', '.join(prepared.value_sets)})"
        )
    levels = answers[:, list(prepared.dimension_columns)]
    number = (levels - 1.0) @ _PLACE  # NaN when any dimension is missing
    scored = ~np.isnan(number)
    lookup = prepared.value_sets[chosen].index
    index = np.where(scored, lookup[np.where(scored, number, 0.0).astype(np.intp)], np.nan)
    derived = {"index": index, "state": levels @ _DIGITS}
    kinds = {"index": NUMBER, "state": STATE}
    any_missing = ~scored
    if prepared.vas_column is not None:
        vas = answers[:, prepared.vas_column]
        derived["vas"] = vas
        vas_item = instrument.items[prepared.vas_column]
        kinds["vas"] = INTEGER if vas_item.range is None or vas_item.range.whole_numbers else NUMBER
        any_missing = any_missing | missing[:, prepared.vas_column]
    return BatchResult(
        instrument=instrument,
        total=np.full(len(answers), np.nan),
        subscales={},
        bands={},
        derived=derived,
        missing=missing,
        outcome=outcome(any_missing, scored),
        info={"value_set": chosen},
        kinds=kinds,
    )


def ranges(instrument: Instrument, value_set: str | None = None) -> dict[str, tuple[float, float]]:
    prepared: Prepared = instrument.scoring.prepared
    lookup = prepared.value_sets[value_set or prepared.default_value_set].index
    out: dict[str, tuple[float, float]] = {"index": (float(lookup.min()), float(lookup.max()))}
    if prepared.vas_column is not None:
        vas = instrument.items[prepared.vas_column]
        if vas.range is not None:
            out["vas"] = (vas.range.minimum, vas.range.maximum)
    return out


def _crosswalk(path: Path, column: object, field_name: str) -> np.ndarray:
    index = np.full(STATE_COUNT, np.nan)
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if "state" not in (reader.fieldnames or []) or column not in (reader.fieldnames or []):
            raise DefinitionProblem(field_name, f"{path.name} needs columns 'state' and {column!r}")
        for line, row in enumerate(reader, start=2):
            state = row["state"].strip()
            if len(state) != 5 or any(ch not in "12345" for ch in state):
                raise DefinitionProblem(
                    field_name, f"{path.name} line {line}: {state!r} is not a 5-level state"
                )
            try:
                value = float(row[column])
            except (TypeError, ValueError):
                value = math.nan
            number = state_number(state)
            if not math.isfinite(value) or not math.isnan(index[number]):
                raise DefinitionProblem(
                    field_name, f"{path.name} line {line}: repeated state or invalid index"
                )
            index[number] = value
    if np.isnan(index).any():
        absent = all_states()[int(np.argmax(np.isnan(index)))]
        raise DefinitionProblem(field_name, f"{path.name} has no row for state {absent} (needs all 3,125)")
    return index


def _additive(path: Path, set_id: str, field_name: str) -> np.ndarray:
    decrements: dict[tuple[str, int], Decimal] = {}
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if set(reader.fieldnames or []) < {"value_set", "dimension", "level", "decrement"}:
            raise DefinitionProblem(
                field_name, f"{path.name} needs columns value_set, dimension, level, decrement"
            )
        for line, row in enumerate(reader, start=2):
            if row["value_set"] != set_id:
                continue
            try:
                key = (row["dimension"].strip(), int(row["level"]))
                decrement = Decimal(row["decrement"].strip())
            except (ValueError, InvalidOperation, AttributeError):
                raise DefinitionProblem(field_name, f"{path.name} line {line}: not a number") from None
            if (
                key[0] not in DIMENSIONS
                or key[1] not in LEVELS
                or key in decrements
                or not decrement.is_finite()
            ):
                raise DefinitionProblem(field_name, f"{path.name} line {line}: unknown or repeated {key}")
            if key[1] == 1 and decrement != 0:
                raise DefinitionProblem(field_name, f"{path.name} line {line}: level 1 has no decrement")
            decrements[key] = decrement
    absent = [key for key in itertools.product(DIMENSIONS, LEVELS[1:]) if key not in decrements]
    if absent:
        raise DefinitionProblem(
            field_name, f"{path.name} has no decrement for {set_id} {absent[0][0]} level {absent[0][1]}"
        )
    index = np.empty(STATE_COUNT)
    for number, levels in enumerate(itertools.product(LEVELS, repeat=5)):
        total = sum(
            (decrements.get((d, level), Decimal(0)) for d, level in zip(DIMENSIONS, levels, strict=True)),
            Decimal(0),
        )
        index[number] = float(Decimal(1) - total)
    return index
