"""Property tests (hypothesis): scores stay in range, move the right way, and follow the missing-data rules."""

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from connecting_people.measures.definitions import load_shipped
from connecting_people.measures.scoring import eq5d as eq5d_scoring
from connecting_people.measures.scoring import score_batch, score_one, score_ranges

CATALOGUE = load_shipped()  # hypothesis re-runs each test many times: load the definitions once
SUM_INSTRUMENTS = ["swemwbs", "wemwbs", "ucla3", "lsns6", "qpr15"]
ALL_INSTRUMENTS = [i.id for i in CATALOGUE]


@st.composite
def response(draw, instrument, allow_missing=True):
    """One response: an allowed code (or, sometimes, None) per item."""
    count = draw(st.integers(instrument.repeat.minimum, 6)) if instrument.repeat else len(instrument.items)
    answers = []
    for position in range(count):
        item = instrument.answer_item(position)
        if item.range is not None:
            value = draw(st.integers(int(item.range.minimum), int(item.range.maximum)))
        else:
            value = draw(st.sampled_from(item.code_values))
        answers.append(None if allow_missing and draw(st.integers(0, 9)) == 0 else value)
    return answers


@st.composite
def instrument_and_response(draw, ids):
    instrument = CATALOGUE.get(draw(st.sampled_from(ids)))
    return instrument, draw(response(instrument))


@settings(max_examples=300, deadline=None)
@given(instrument_and_response(ALL_INSTRUMENTS))
def test_every_score_lies_within_its_range(case):
    instrument, answers = case
    result = score_one(instrument, answers)
    for name, (low, high) in score_ranges(instrument).items():
        value = result["subscales"][name] if name in result["subscales"] else result[name]
        if value is not None:
            assert low - 1e-9 <= value <= high + 1e-9, (name, value)


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_raising_one_answer_never_lowers_a_sum_total(data):
    instrument = CATALOGUE.get(data.draw(st.sampled_from(SUM_INSTRUMENTS)))
    answers = data.draw(response(instrument, allow_missing=False))
    position = data.draw(st.integers(0, len(answers) - 1))
    higher = [c for c in instrument.items[position].code_values if c > answers[position]]
    if not higher:
        return
    raised = list(answers)
    raised[position] = data.draw(st.sampled_from(higher))
    before, after = score_one(instrument, answers), score_one(instrument, raised)
    assert after["total"] > before["total"]
    for name, value in before["subscales"].items():
        assert after["subscales"][name] >= value
    if "metric" in before:
        assert after["metric"] > before["metric"]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.integers(1, 5), min_size=5, max_size=5),
    st.integers(0, 4),
    st.sampled_from(eq5d_scoring.value_set_ids(CATALOGUE.get("eq5d5l"))),
)
def test_a_worse_eq5d_level_never_raises_the_index(levels, dimension, value_set):
    if levels[dimension] == 5:
        return
    worse = list(levels)
    worse[dimension] += 1
    eq5d = CATALOGUE.get("eq5d5l")
    better_index = score_one(eq5d, [*levels, 50], value_set=value_set)["index"]
    worse_index = score_one(eq5d, [*worse, 50], value_set=value_set)["index"]
    assert worse_index <= better_index


def djg_by_hand(answers):
    """The authors' rule written out plainly, item by item."""
    emotional_items, social_items = (0, 3, 5), (1, 2, 4)
    scores = [
        None if a is None else int(a in ((1, 2) if i in emotional_items else (2, 3)))
        for i, a in enumerate(answers)
    ]

    def subscale(items):
        values = [scores[i] for i in items]
        return None if None in values else sum(values)

    answered = [s for s in scores if s is not None]
    total = sum(answered) if len(answered) >= 5 else None
    return total, subscale(emotional_items), subscale(social_items)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.none(), st.sampled_from([1, 2, 3])), min_size=6, max_size=6))
def test_djg_missing_data_rule(answers):
    result = score_one(CATALOGUE.get("djg6"), answers)
    total, emotional, social = djg_by_hand(answers)
    assert result["total"] == total
    assert result["subscales"] == {"emotional": emotional, "social": social}
    missing = sum(a is None for a in answers)
    expected_outcome = (
        "no-missing" if missing == 0 else "scored-with-missing" if missing == 1 else "not-scored"
    )
    assert result["missing_rule"]["outcome"] == expected_outcome


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from([-2, -1, 0, 1, 2]), min_size=1, max_size=20))
def test_unweighted_gas_is_the_equal_weight_formula(goals):
    n = len(goals)
    expected = 50 + 10 * sum(goals) / math.sqrt(0.7 * n + 0.3 * n * n)
    assert math.isclose(score_one(CATALOGUE.get("gas"), goals)["t_score"], expected, rel_tol=1e-12)


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_gas_weights_keep_t_within_its_bounds(data):
    gas = CATALOGUE.get("gas")
    goals = data.draw(st.lists(st.sampled_from([-2, -1, 0, 1, 2]), min_size=1, max_size=20))
    weights = data.draw(st.lists(st.integers(0, 9), min_size=len(goals), max_size=len(goals)))
    t_score = score_one(gas, goals, weights=weights)["t_score"]
    if t_score is not None:
        low, high = score_ranges(gas)["t_score"]
        assert low - 1e-9 <= t_score <= high + 1e-9


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_complete_forms_only_for_sum_instruments(data):
    instrument = CATALOGUE.get(data.draw(st.sampled_from(SUM_INSTRUMENTS)))
    answers = data.draw(response(instrument, allow_missing=False))
    gaps = data.draw(st.sets(st.integers(0, len(answers) - 1), min_size=1))
    with_gaps = [None if i in gaps else a for i, a in enumerate(answers)]
    result = score_one(instrument, with_gaps)
    assert result["total"] is None
    assert result["missing"] == [instrument.items[i].id for i in sorted(gaps)]
    assert result["missing_rule"]["outcome"] == "not-scored"
    batch = score_batch(instrument, np.array([[np.nan if a is None else a for a in with_gaps]], dtype=float))
    assert np.isnan(batch.total[0])
