"""Scoring type ``csri_cost``: service use (CSRI style) costed from a unit-cost table.

Each item is a service; the answer is the number of units used in the recall period (contacts, nights,
sessions). Cost of a service = units × unit cost; total = sum over services; subscales = sums over their
services (for example primary care, hospital, social care).

Parameters::

    unit_costs: unit_costs_illustrative.yaml   # default table, beside the definition or in the package data

The option ``unit_costs`` (a UnitCostTable, or the path of a table file) chooses another table: a
deployment's own, for its price year. Results report the table's id, price year and currency.

Unit-cost table format (YAML)::

    id: illustrative-2024-25
    title: Illustrative unit costs
    illustrative: true           # true for made-up figures: never use them for analysis
    price_year: "2024/25"
    currency: GBP
    source: where the figures come from (e.g. PSSRU Unit Costs of Health and Social Care 20xx, table n)
    costs:
      gp_appointment: {unit: surgery appointment, cost: 40.00}

Missing-data rules: ``complete`` (our choice: a service left blank is not assumed to be zero) or
``max-missing``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..definitions import DefinitionProblem, DefinitionSource, Instrument, read_yaml_file
from ..errors import DefinitionError, ScoringOptionError
from .result import NUMBER, BatchResult
from .rules import all_bands, outcome, rule_sums

MISSING_RULES = ("complete", "max-missing")
OPTIONS = ("unit_costs",)


@dataclass(frozen=True)
class UnitCost:
    unit: str
    cost: float


@dataclass(frozen=True)
class UnitCostTable:
    id: str
    title: str
    illustrative: bool
    price_year: str
    currency: str
    source: str
    costs: dict[str, UnitCost]
    path: Path

    def cost_vector(self, service_ids: tuple[str, ...]) -> np.ndarray:
        return np.array([self.costs[s].cost for s in service_ids], dtype=np.float64)


def load_unit_costs(path: str | Path) -> UnitCostTable:
    """Read and check a unit-cost table. Raises DefinitionError naming the file and the field."""
    path = Path(path)
    raw = read_yaml_file(path)  # within limits: size and depth
    if not isinstance(raw, dict):
        raise DefinitionError(path, "", "must be a YAML mapping")
    allowed = {"id", "title", "illustrative", "price_year", "currency", "source", "costs"}
    for key in raw:
        if key not in allowed:
            raise DefinitionError(path, str(key), f"unknown field (allowed: {', '.join(sorted(allowed))})")
    for key in ("id", "title", "price_year", "currency", "source"):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            raise DefinitionError(path, key, 'must be non-empty text (quote a price year: "2024/25")')
    if not isinstance(raw.get("illustrative"), bool):
        raise DefinitionError(path, "illustrative", "must be true or false")
    costs_raw = raw.get("costs")
    if not isinstance(costs_raw, dict) or not costs_raw:
        raise DefinitionError(path, "costs", "must map each service id to {unit, cost}")
    costs: dict[str, UnitCost] = {}
    for service, entry in costs_raw.items():
        name = f"costs.{service}"
        if not isinstance(entry, dict) or set(entry) != {"unit", "cost"}:
            raise DefinitionError(path, name, "must be a mapping with unit and cost")
        cost = entry["cost"]
        if isinstance(cost, bool) or not isinstance(cost, int | float) or not math.isfinite(cost) or cost < 0:
            raise DefinitionError(path, f"{name}.cost", "must be a number, 0 or more")
        if not isinstance(entry["unit"], str) or not entry["unit"].strip():
            raise DefinitionError(path, f"{name}.unit", "must be non-empty text")
        costs[str(service)] = UnitCost(entry["unit"].strip(), float(cost))
    return UnitCostTable(
        id=raw["id"].strip(),
        title=raw["title"].strip(),
        illustrative=raw["illustrative"],
        price_year=raw["price_year"].strip(),
        currency=raw["currency"].strip(),
        source=raw["source"].strip(),
        costs=costs,
        path=path,
    )


def prepare(instrument: Instrument, parameters: dict, source: DefinitionSource) -> UnitCostTable:
    """Returns the default unit-cost table, checked to cost every service."""
    where = "scoring.parameters"
    if set(parameters) - {"unit_costs"}:
        raise DefinitionProblem(f"{where}.{sorted(set(parameters) - {'unit_costs'})[0]}", "unknown parameter")
    for i, item in enumerate(instrument.items):
        if item.range is None or item.range.minimum < 0:
            raise DefinitionProblem(
                f"items[{i}].codes", "units of service used are a range from 0: {min: 0, max: …}"
            )
    table = load_unit_costs(source.find_table(parameters.get("unit_costs"), f"{where}.unit_costs"))
    absent = [item_id for item_id in instrument.item_ids if item_id not in table.costs]
    if absent:
        raise DefinitionProblem(
            f"{where}.unit_costs", f"{table.path.name} has no unit cost for {', '.join(absent)}"
        )
    return table


def derived_ids(instrument: Instrument) -> tuple[str, ...]:
    return ()


def score(
    instrument: Instrument, answers: np.ndarray, missing: np.ndarray, *, unit_costs: object = None
) -> BatchResult:
    table = _table(instrument, unit_costs)
    costed = answers * table.cost_vector(instrument.item_ids)
    total, subscales = rule_sums(instrument, costed, missing)
    # Money to the penny: sums of binary fractions would otherwise print as 120.00000000000001.
    total = np.round(total, 2)
    subscales = {name: np.round(values, 2) for name, values in subscales.items()}
    scored = ~np.isnan(total)
    any_missing = ~scored if instrument.missing.rule == "complete" else missing.any(axis=1)
    return BatchResult(
        instrument=instrument,
        total=total,
        subscales=subscales,
        bands=all_bands(instrument, {"total": total, **subscales}),
        derived={},
        missing=missing,
        outcome=outcome(any_missing, scored),
        info={
            "unit_costs": table.id,
            "price_year": table.price_year,
            "currency": table.currency,
            "illustrative_costs": table.illustrative,
        },
        kinds={name: NUMBER for name in ("total", *subscales)},
    )


def ranges(instrument: Instrument) -> dict[str, tuple[float, float]]:
    table: UnitCostTable = instrument.scoring.prepared
    costs = table.cost_vector(instrument.item_ids)
    top = np.array([item.range.maximum for item in instrument.items]) * costs
    out: dict[str, tuple[float, float]] = {"total": (0.0, float(top.sum()))}
    for subscale in instrument.subscales:
        out[subscale.id] = (0.0, float(sum(top[instrument.item_ids.index(i)] for i in subscale.items)))
    return out


def _table(instrument: Instrument, unit_costs: object) -> UnitCostTable:
    if unit_costs is None:
        return instrument.scoring.prepared
    if isinstance(unit_costs, str | Path):
        try:
            unit_costs = load_unit_costs(unit_costs)
        except DefinitionError as error:
            raise ScoringOptionError(f"unit costs: {error}") from None
    if not isinstance(unit_costs, UnitCostTable):
        raise ScoringOptionError("unit_costs must be a UnitCostTable or the path of a unit-cost table file")
    absent = [item_id for item_id in instrument.item_ids if item_id not in unit_costs.costs]
    if absent:
        raise ScoringOptionError(f"unit costs {unit_costs.id!r} have no cost for {', '.join(absent)}")
    return unit_costs
