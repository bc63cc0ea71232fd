"""Score then store: the one home of the step every recorded questionnaire takes before it is saved.

Three models keep a scored response with the same score columns: `measures.Administration` (an outcome measure
for a person), `study.Assessment` (a research assessment at a timepoint) and `implementation.FidelityRating`
(a fidelity rating; it keeps no band and no derived scores). Each app's service checks its own rules, then asks
`score_for_storage` (or, holding a `score_one` result or a `BatchResult` row already, `stored_scores`) for the
columns and saves them, so the three store scores the same way.

Errors of the engine (`AnswerError`, `ScoringOptionError`) pass through: each service says them in its own words.

Still to switch (measures' own service, left to its owner): `measures.services.administration_from_score`
builds the same columns itself; it becomes `Administration(..., **stored_scores(result).fields())`, and
`administration_record` scores with `score_for_storage`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from connecting_people.measures import scoring

# Derived scores kept with each response (whichever the instrument produces), and the prefixes of those an
# instrument names itself (the resource generator's ``access_via_<source>``, one per source it defines).
DERIVED_KEYS = ("metric", "index", "state", "vas", "value_set", "t_score")
DERIVED_PREFIXES = ("access_via_",)


def derived_scores(result: Mapping[str, Any]) -> dict[str, Any]:
    """The derived scores of a `score_one` result to keep: the named keys, and every key with a derived prefix
    (its ``<id>_band`` label left out, as the bands of other derived scores are)."""
    kept = {key: result[key] for key in DERIVED_KEYS if key in result}
    for key, value in result.items():
        is_band = key.endswith("_band") and key[: -len("_band")] in result
        if key.startswith(DERIVED_PREFIXES) and not is_band:
            kept[key] = value
    return kept

# The columns every model of a scored response has, and the two that outcome measures and assessments add.
SCORE_COLUMNS = ("total", "subscales", "missing_items", "missing_rule")
ALL_SCORE_COLUMNS = (*SCORE_COLUMNS, "band", "derived")


@dataclass(frozen=True)
class StoredScores:
    """The score columns of one response, as a model stores them."""

    total: Any
    subscales: dict
    band: str
    derived: dict
    missing_items: list
    missing_rule: str

    def fields(self, columns: tuple[str, ...] = ALL_SCORE_COLUMNS) -> dict[str, Any]:
        """The columns named (default: all six) as keyword arguments for the model."""
        return {name: getattr(self, name) for name in columns}


def stored_scores(result: Mapping[str, Any]) -> StoredScores:
    """The columns to store from a `score_one` result (or a `BatchResult` row, which has the same keys)."""
    return StoredScores(
        total=result["total"],
        subscales=result["subscales"],
        band=result["band"] or "",
        derived=derived_scores(result),
        missing_items=result["missing"],
        missing_rule=result["missing_rule"]["outcome"],
    )


def score_for_storage(instrument, answers: list, **options: Any) -> StoredScores:
    """Scores checked `answers` (`scoring.check_answers`) with the instrument and the scoring options the
    caller chose (`registry.scoring_options`, unit costs, weights), and returns the columns to store."""
    return stored_scores(scoring.score_one(instrument, answers, **options))
