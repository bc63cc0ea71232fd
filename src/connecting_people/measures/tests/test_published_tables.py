"""Scores match the published tables exactly: SWEMWBS metric, EQ-5D-5L crosswalk and additive value sets.

Expected values are read from the shared reference copies of the published tables, not from the copies the
package ships, so a mistake made while copying them into the package would show up here.
"""

import csv
import itertools
from decimal import Decimal

import numpy as np
import pytest

from connecting_people.measures.definitions import DATA_DIR
from connecting_people.measures.scoring import score_batch, score_one


def read_csv(path):
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_every_swemwbs_raw_total_maps_to_its_published_metric(catalogue, reference_dir):
    swemwbs = catalogue.get("swemwbs")
    table = {
        int(row["raw"]): float(row["metric"]) for row in read_csv(reference_dir / "swemwbs_conversion.csv")
    }
    assert sorted(table) == list(range(7, 36))
    for raw, metric in table.items():
        # Spread the raw total over the seven items as evenly as the codes allow.
        answers = [raw // 7 + (1 if i < raw % 7 else 0) for i in range(7)]
        assert sum(answers) == raw
        result = score_one(swemwbs, answers)
        assert result["total"] == raw
        assert result["metric"] == metric, f"raw {raw}"


def test_swemwbs_metric_depends_only_on_the_raw_total(catalogue, reference_dir):
    swemwbs = catalogue.get("swemwbs")
    table = {
        int(row["raw"]): float(row["metric"]) for row in read_csv(reference_dir / "swemwbs_conversion.csv")
    }
    answers = np.array(list(itertools.product(range(1, 6), repeat=7))[::7], dtype=float)  # 11,161 patterns
    result = score_batch(swemwbs, answers)
    expected = np.array([table[int(total)] for total in answers.sum(axis=1)])
    np.testing.assert_array_equal(result.derived["metric"], expected)


def test_all_3125_eq5d5l_states_match_the_crosswalk(catalogue, reference_dir):
    eq5d = catalogue.get("eq5d5l")
    rows = read_csv(reference_dir / "eq5d5l_crosswalk_vanhout2012_uk.csv")
    assert len(rows) == 3125
    answers = np.array([[int(d) for d in row["state"]] + [50] for row in rows], dtype=float)
    result = score_batch(eq5d, answers, value_set="vanhout2012-uk")
    expected = np.array([float(row["uk_3l_index"]) for row in rows])
    np.testing.assert_array_equal(result.derived["index"], expected)
    assert [str(int(s)) for s in result.derived["state"]] == [row["state"] for row in rows]
    assert result.info["value_set"] == "vanhout2012-uk"


def test_default_value_set_is_the_crosswalk(catalogue):
    result = score_one(catalogue.get("eq5d5l"), [1, 1, 1, 1, 2, 80])
    assert result["value_set"] == "vanhout2012-uk"
    assert result["index"] == 0.879  # crosswalk row 11112


@pytest.mark.parametrize("value_set", ["devlin2018-england", "rowen2026-uk"])
def test_additive_value_sets_match_their_coefficients_for_every_state(catalogue, reference_dir, value_set):
    decrement = {
        (row["dimension"], int(row["level"])): Decimal(row["decrement"])
        for row in read_csv(reference_dir / "eq5d5l_value_sets.csv")
        if row["value_set"] == value_set
    }
    assert len(decrement) == 20
    states = list(itertools.product(range(1, 6), repeat=5))
    expected = [
        float(
            Decimal(1)
            - sum(
                (
                    decrement.get((d, level), Decimal(0))
                    for d, level in zip(("MO", "SC", "UA", "PD", "AD"), state, strict=True)
                ),
                Decimal(0),
            )
        )
        for state in states
    ]
    answers = np.column_stack([np.array(states, dtype=float), np.full(len(states), np.nan)])
    result = score_batch(catalogue.get("eq5d5l"), answers, value_set=value_set)
    np.testing.assert_array_equal(result.derived["index"], np.array(expected))
    assert result.info["value_set"] == value_set


def test_additive_hand_example(catalogue):
    # 21341 under Devlin 2018: 1 − (MO2 0.058 + UA3 0.063 + PD4 0.276) = 0.603
    assert (
        score_one(catalogue.get("eq5d5l"), [2, 1, 3, 4, 1, 60], value_set="devlin2018-england")["index"]
        == 0.603
    )
    # 55555 under Rowen 2026: 1 − (0.279 + 0.206 + 0.212 + 0.479 + 0.391) = −0.567
    assert score_one(catalogue.get("eq5d5l"), [5, 5, 5, 5, 5, 0], value_set="rowen2026-uk")["index"] == -0.567


@pytest.mark.parametrize(
    "name", ["swemwbs_conversion.csv", "eq5d5l_value_sets.csv", "eq5d5l_crosswalk_vanhout2012_uk.csv"]
)
def test_shipped_tables_are_unchanged_copies_of_the_published_tables(reference_dir, name):
    assert (DATA_DIR / name).read_bytes() == (reference_dir / name).read_bytes()
