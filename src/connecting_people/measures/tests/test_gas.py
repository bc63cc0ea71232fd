"""Goal Attainment Scaling T-score against the published formula (Kiresuk & Sherman), worked by hand.

T = 50 + 10·Σ(wᵢxᵢ) / √((1−ρ)·Σwᵢ² + ρ·(Σwᵢ)²), ρ = 0.3, unweighted: every wᵢ = 1.
"""

import numpy as np
import pytest

from connecting_people.measures.errors import AnswerError, ScoringOptionError
from connecting_people.measures.scoring import gas as gas_scoring
from connecting_people.measures.scoring import score_batch, score_one


@pytest.fixture(scope="module")
def gas(catalogue):
    return catalogue.get("gas")


@pytest.mark.parametrize(
    ("goals", "weights", "expected"),
    [
        # one goal: denominator √(0.7 + 0.3) = 1, so T = 50 + 10x
        ([2], None, 70.0),
        ([-2], None, 30.0),
        ([0], None, 50.0),
        # three goals that cancel out
        ([1, 0, -1], None, 50.0),
        # 3 goals: Σx = 3, √(0.7·3 + 0.3·9) = √4.8 = 2.19089023; 50 + 30/2.19089023 = 63.6930639
        ([2, 1, 0], None, 63.693063937629155),
        # weights 3, 1: Σwx = 3 − 1 = 2; Σw² = 10, Σw = 4; √(7 + 4.8) = √11.8 = 3.43511281; 50 + 20/3.43511281
        ([1, -1], [3, 1], 55.82222509739582),
        # weights 2,1,1,3: Σwx = −2 −1 −2 + 0 = −5; Σw² = 15, Σw = 7; √(10.5 + 14.7) = √25.2; 50 − 50/5.01996
        ([-1, -1, -2, 0], [2, 1, 1, 3], 40.039761588880054),
    ],
)
def test_t_score_matches_hand_computed_values(gas, goals, weights, expected):
    result = score_one(gas, goals, weights=weights)
    assert result["t_score"] == pytest.approx(expected, abs=1e-9)
    assert result["total"] is None
    assert result["missing_rule"]["outcome"] == "no-missing"


def test_goals_without_a_score_are_left_out_with_their_weights(gas):
    # [2, –, 0] unweighted is [2, 0]: √(1.4 + 1.2) = √2.6 = 1.61245155; 50 + 20/1.61245155 = 62.4034735
    result = score_one(gas, [2, None, 0])
    assert result["t_score"] == pytest.approx(62.40347345892084, abs=1e-9)
    assert result["missing"] == ["goal2"]
    assert result["missing_rule"]["outcome"] == "scored-with-missing"
    # weights 1, (5), 2 on [2, –, 0]: Σwx = 2; Σw² = 5, Σw = 3; √(3.5 + 2.7) = √6.2; 50 + 20/2.48997992 = 58.0321933
    weighted = score_one(gas, [2, "", 0], weights=[1, 5, 2])
    assert weighted["t_score"] == pytest.approx(58.03219328902499, abs=1e-9)


def test_no_scored_goal_or_only_zero_weights_gives_no_t_score(gas):
    assert score_one(gas, [None, None])["t_score"] is None
    assert score_one(gas, [None, None])["missing_rule"]["outcome"] == "not-scored"
    assert score_one(gas, [1, 2], weights=[0, 0])["t_score"] is None


def test_weight_is_importance_times_difficulty():
    np.testing.assert_array_equal(gas_scoring.weight([3, 2, 0], [2, 2, 3]), [6, 4, 0])
    with pytest.raises(ScoringOptionError, match="importance"):
        gas_scoring.weight(4, 1)


def test_batch_accepts_per_goal_and_per_row_weights(gas):
    answers = np.array([[1, -1, np.nan], [2, 0, 1]])
    shared = score_batch(gas, answers, weights=[3, 1, 2])
    assert shared.derived["t_score"][0] == pytest.approx(55.82222509739582)
    per_row = score_batch(gas, answers, weights=[[3, 1, np.nan], [1, 1, 1]])
    assert per_row.derived["t_score"][0] == pytest.approx(55.82222509739582)
    assert per_row.derived["t_score"][1] == pytest.approx(score_one(gas, [2, 0, 1])["t_score"])


@pytest.mark.parametrize(
    ("weights", "message"),
    [([1, 2], "expected one per goal"), ([1, -1, 1], "goal2 has weight -1"), ([1, float("nan"), 1], "goal2")],
)
def test_bad_weights_are_refused(gas, weights, message):
    with pytest.raises(ScoringOptionError, match=message):
        score_one(gas, [1, 0, 1], weights=weights)


def test_goal_scores_outside_minus_two_to_two_are_refused(gas):
    with pytest.raises(AnswerError) as error:
        score_one(gas, [1, 3])
    assert error.value.item_id == "goal2"
    assert str(error.value) == "item goal2: 3 is not an allowed answer (allowed: -2, -1, 0, 1 or 2)"
    with pytest.raises(AnswerError, match="from 1 to 20 answers"):
        score_one(gas, [])
