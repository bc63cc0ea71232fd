"""Scoring type ``resource_generator``: access to social resources through one's network.

Each item asks whether the person knows someone who could provide a resource; the answer code says
through whom (for example family, a friend, an acquaintance, several of these, or no one).

Parameters::

    sources:                      # source of access -> the answer codes that include it
      family: [1, 3, 5, 7]
      friend: [2, 3, 6, 7]
      acquaintance: [4, 5, 6, 7]

A code in no source's list means "no one". All items share one list of codes. Total = number of items with
access through any source; subscales = the same count over their items; derived ``access_via_<source>`` =
number of items with access through that source (an item reached through two sources counts for both).
Missing-data rules: ``complete`` or ``max-missing`` (counts over answered items; ``fill: person-mean`` scales
them up).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..definitions import DefinitionProblem, DefinitionSource, Instrument
from .result import INTEGER, NUMBER, BatchResult
from .rules import all_bands, outcome, rule_sum, rule_sums

MISSING_RULES = ("complete", "max-missing")
OPTIONS: tuple[str, ...] = ()
_SOURCE_ID = "access_via_"


@dataclass(frozen=True, eq=False)
class Prepared:
    lowest: int
    access: np.ndarray  # float 0/1 per code offset: access through any source
    sources: dict[str, np.ndarray]  # source -> float 0/1 per code offset


def prepare(instrument: Instrument, parameters: dict, source: DefinitionSource) -> Prepared:
    where = "scoring.parameters"
    if set(parameters) - {"sources"}:
        raise DefinitionProblem(f"{where}.{sorted(set(parameters) - {'sources'})[0]}", "unknown parameter")
    first = instrument.items[0]
    for i, item in enumerate(instrument.items):
        if item.range is not None or item.code_values != first.code_values:
            raise DefinitionProblem(f"items[{i}].codes", "every item needs the same list of codes")
    sources = parameters.get("sources")
    if not isinstance(sources, dict) or not sources:
        raise DefinitionProblem(
            f"{where}.sources", "must map each source of access to the codes that include it"
        )
    lowest, highest = min(first.code_values), max(first.code_values)
    access = np.zeros(highest - lowest + 1)
    tables: dict[str, np.ndarray] = {}
    for name, codes in sources.items():
        if not isinstance(name, str) or not name.isidentifier() or not name.islower():
            raise DefinitionProblem(f"{where}.sources.{name}", "source names are lower-case ids")
        if not isinstance(codes, list) or not codes or any(c not in first.code_values for c in codes):
            raise DefinitionProblem(
                f"{where}.sources.{name}", f"must list codes of the items ({first.allowed_text()})"
            )
        table = np.zeros_like(access)
        table[np.array(codes) - lowest] = 1.0
        tables[name] = table
        access = np.maximum(access, table)
    if access.all():
        raise DefinitionProblem(f"{where}.sources", "one code must mean no access (in no source's list)")
    return Prepared(lowest, access, tables)


def derived_ids(instrument: Instrument) -> tuple[str, ...]:
    prepared: Prepared = instrument.scoring.prepared
    return tuple(_SOURCE_ID + name for name in prepared.sources)


def score(instrument: Instrument, answers: np.ndarray, missing: np.ndarray) -> BatchResult:
    prepared: Prepared = instrument.scoring.prepared
    offsets = np.where(missing, 0, answers - prepared.lowest).astype(np.intp)
    access = np.where(missing, np.nan, prepared.access[offsets])
    total, subscales = rule_sums(instrument, access, missing)
    rule = instrument.missing
    allowed = 0 if rule.rule == "complete" else rule.max_missing_total
    derived = {
        _SOURCE_ID + name: rule_sum(np.where(missing, np.nan, table[offsets]), missing, allowed, rule.fill)
        for name, table in prepared.sources.items()
    }
    scored = ~np.isnan(total)
    any_missing = ~scored if rule.rule == "complete" else missing.any(axis=1)
    kind = INTEGER if rule.fill == "none" else NUMBER
    return BatchResult(
        instrument=instrument,
        total=total,
        subscales=subscales,
        bands=all_bands(instrument, {"total": total, **subscales, **derived}),
        derived=derived,
        missing=missing,
        outcome=outcome(any_missing, scored),
        kinds={name: kind for name in ("total", *subscales, *derived)},
    )


def ranges(instrument: Instrument) -> dict[str, tuple[float, float]]:
    out: dict[str, tuple[float, float]] = {"total": (0, len(instrument.items))}
    out.update({s.id: (0, len(s.items)) for s in instrument.subscales})
    out.update({name: (0, len(instrument.items)) for name in derived_ids(instrument)})
    return out
