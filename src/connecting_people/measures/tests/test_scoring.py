"""Scoring results a caller relies on: totals, subscales, bands, missing-data outcomes, answer errors."""

import json

import numpy as np
import pytest

from connecting_people.measures import scoring
from connecting_people.measures.answers import check_answers, invalid_cells
from connecting_people.measures.errors import AnswerError, ScoringOptionError
from connecting_people.measures.scoring import score_batch, score_one, score_ranges


def test_swemwbs_result_is_json_ready_with_metric(catalogue):
    result = score_one(catalogue.get("swemwbs"), [3, 4, 2, 5, 1, 3, 4])
    assert json.loads(json.dumps(result)) == result
    assert result["instrument"] == "swemwbs" and result["version"] == "1"
    assert result["total"] == 22 and result["metric"] == 19.98
    assert result["band"] is None  # no official bands exist, and none are invented
    assert result["subscales"] == {}
    assert result["missing"] == []
    assert result["missing_rule"]["outcome"] == "no-missing"


def test_swemwbs_with_a_missing_item_is_not_scored_and_says_why(catalogue):
    result = score_one(catalogue.get("swemwbs"), [3, 4, None, 5, 1, 3, 4])
    assert result["total"] is None and result["metric"] is None
    assert result["missing"] == ["relaxed"]
    assert result["missing_rule"]["rule"] == "complete"
    assert result["missing_rule"]["source"] == "project"
    assert result["missing_rule"]["outcome"] == "not-scored"


def test_djg_counts_and_bands(catalogue):
    djg = catalogue.get("djg6")
    # emptiness yes(1), rely_on no(1), trust more or less(1), miss_people no(0), close yes(0), rejected more or less(1)
    result = score_one(djg, [1, 3, 2, 3, 1, 2])
    assert result["subscales"] == {"emotional": 2, "social": 2}
    assert result["total"] == 4
    assert result["band"] == "moderately lonely"
    assert result["subscale_bands"] == {"emotional": "emotionally lonely", "social": "socially lonely"}
    assert score_one(djg, [3, 1, 1, 3, 1, 3])["band"] == "not lonely"
    assert score_one(djg, [1, 3, 3, 1, 3, 1])["band"] == "severely lonely"


def test_djg_one_missing_item_counts_over_the_rest_two_missing_do_not(catalogue):
    djg = catalogue.get("djg6")
    one = score_one(djg, [1, 3, 2, 3, None, 2])
    assert one["total"] == 4 and one["subscales"] == {"emotional": 2, "social": None}
    assert one["missing_rule"]["outcome"] == "scored-with-missing"
    assert one["missing_rule"]["source"] == "published"
    two = score_one(djg, [1, None, 2, 3, None, 2])
    assert two["total"] is None and two["band"] is None
    assert two["subscales"] == {"emotional": 2, "social": None}
    assert two["missing_rule"]["outcome"] == "not-scored"


def test_lsns6_subscales_and_official_cut_off(catalogue):
    lsns = catalogue.get("lsns6")
    result = score_one(lsns, [1, 2, 1, 3, 2, 2])
    assert result["subscales"] == {"family": 4, "friends": 7}
    assert result["total"] == 11 and result["band"] == "at risk of social isolation"
    assert score_one(lsns, [2, 2, 1, 3, 2, 2])["band"] == "not at risk by this cut-off"
    assert lsns.bands_for("total").status == "official"


def test_ucla3_conventional_split(catalogue):
    ucla = catalogue.get("ucla3")
    assert score_one(ucla, [1, 2, 2])["band"] == "less lonely (3-5)"
    assert score_one(ucla, [2, 2, 2])["band"] == "more lonely (6-9)"
    assert ucla.bands_for("total").status == "conventional"


def test_ons_question_is_reported_as_a_category_not_summed(catalogue):
    result = score_one(catalogue.get("ons_loneliness"), [1])
    assert result["band"] == "often or always" and result["total"] is None
    assert score_one(catalogue.get("ons_loneliness"), [None])["band"] is None


def test_eq5d_vas_missing_still_gives_index_and_dimension_missing_does_not(catalogue):
    eq5d = catalogue.get("eq5d5l")
    no_vas = score_one(eq5d, [1, 1, 1, 1, 3, None])
    assert no_vas["index"] == 0.848 and no_vas["state"] == "11113" and no_vas["vas"] is None
    assert no_vas["missing_rule"]["outcome"] == "scored-with-missing"
    no_dimension = score_one(eq5d, [1, None, 1, 1, 3, 70])
    assert no_dimension["index"] is None and no_dimension["state"] is None and no_dimension["vas"] == 70
    assert no_dimension["value_set"] == "vanhout2012-uk"


def test_unknown_value_set_is_refused(catalogue):
    with pytest.raises(ScoringOptionError, match="unknown value set 'nice2030'.*vanhout2012-uk"):
        score_one(catalogue.get("eq5d5l"), [1, 1, 1, 1, 1, 90], value_set="nice2030")


def test_option_for_another_scoring_type_is_refused(catalogue):
    with pytest.raises(ScoringOptionError, match="does not take option 'value_set'"):
        score_one(catalogue.get("swemwbs"), [1] * 7, value_set="vanhout2012-uk")


def test_resource_generator_counts_by_subscale_and_by_source(catalogue):
    generator = catalogue.get("resource_generator_example")
    # lift: family; borrow: no one; forms: friend; local_info: family+friend; cooking: acquaintance;
    # phone_help: family+acquaintance; listen: friend+acquaintance; pets_plants: all three
    result = score_one(generator, [1, 0, 2, 3, 4, 5, 6, 7])
    assert result["total"] == 7
    assert result["subscales"] == {"getting_about": 1, "know_how": 2, "skills": 2, "backing": 2}
    assert result["access_via_family"] == 4
    assert result["access_via_friend"] == 4
    assert result["access_via_acquaintance"] == 4
    assert generator.illustrative


def test_service_use_is_costed_from_the_unit_cost_table(catalogue, tmp_path):
    csri = catalogue.get("csri_example")
    # 2 GP × 40 + 1 nurse × 15 = 95; 3 CMHT × 100 = 300; 1 social worker × 60 + 4 peer × 10 = 100
    result = score_one(csri, [2, 1, 0, 0, 3, 0, 1, 0, 4])
    assert result["total"] == 495.0
    assert result["subscales"] == {
        "primary_care": 95.0,
        "hospital": 0.0,
        "community_mental_health": 300.0,
        "social_and_community": 100.0,
    }
    assert result["unit_costs"] == "illustrative-2024-25" and result["price_year"] == "2024/25"
    assert result["illustrative_costs"] is True

    own = tmp_path / "costs.yaml"
    own.write_text(
        "id: test-costs\ntitle: test\nillustrative: true\nprice_year: '2030/31'\ncurrency: GBP\nsource: test\n"
        "costs:\n" + "".join(f"  {service}: {{unit: contact, cost: 1.1}}\n" for service in csri.item_ids)
    )
    # 13 units × 1.10 = 14.30, to the penny despite binary fractions
    assert score_one(csri, [2, 1, 0, 0, 3, 0, 1, 2, 4], unit_costs=own)["total"] == 14.3
    with pytest.raises(ScoringOptionError, match="no cost for"):
        own.write_text(own.read_text().replace("  peer_support: {unit: contact, cost: 1.1}\n", ""))
        score_one(csri, [0] * 9, unit_costs=own)


# ----------------------------------------------------------------------------------------- answer errors


def test_out_of_range_code_names_item_value_and_allowed(catalogue):
    with pytest.raises(AnswerError) as error:
        check_answers(catalogue.get("swemwbs"), [1, 2, 3, 4, 5, 6, 1])
    assert (error.value.item_id, error.value.value, error.value.allowed) == ("close", 6, "1, 2, 3, 4 or 5")
    assert str(error.value) == "item close: 6 is not an allowed answer (allowed: 1, 2, 3, 4 or 5)"


def test_wrong_number_of_answers_is_refused(catalogue):
    with pytest.raises(AnswerError) as error:
        check_answers(catalogue.get("swemwbs"), [1, 2, 3, 4, 5, 4])
    assert error.value.item_id == "answers"
    assert str(error.value) == (
        "answers: 6 given; expected 7, one per item in order: "
        "optimistic, useful, relaxed, problems, thinking, close, decisions"
    )


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        (
            [1, 1, 1, 1, 1, 101],
            "item vas: 101 is not an allowed answer (allowed: a whole number from 0 to 100)",
        ),
        ([1, 1, 1, 1, 1, 50.5], "item vas: 50.5 is not an allowed answer"),
        (
            [1, 1, "x", 1, 1, 50],
            "item usual_activities: 'x' is not an allowed answer (allowed: 1, 2, 3, 4 or 5)",
        ),
        ([1, 1, 1, 1, 0, 50], "item anxiety_depression: 0 is not an allowed answer"),
        ([1, 1, 1, True, 1, 50], "item pain_discomfort: True is not an allowed answer"),
        ([1, 1, 1, 1, "nan", 50], "item anxiety_depression: 'nan' is not an allowed answer"),
    ],
)
def test_bad_answers_are_named(catalogue, answers, message):
    with pytest.raises(AnswerError, match=message.replace("(", r"\(").replace(")", r"\)")):
        score_one(catalogue.get("eq5d5l"), answers)


def test_answers_may_be_text_or_a_mapping_by_item_id(catalogue):
    eq5d = catalogue.get("eq5d5l")
    assert check_answers(eq5d, ["1", " 2 ", "", "3", "4", "55"]) == [1, 2, None, 3, 4, 55]
    assert check_answers(eq5d, {"mobility": 2, "vas": 40}) == [2, None, None, None, None, 40]
    with pytest.raises(AnswerError, match="unknown item 'walking'"):
        check_answers(eq5d, {"walking": 2})


def test_batch_error_gives_the_row(catalogue):
    answers = np.full((5, 7), 3.0)
    answers[3, 2] = 9
    with pytest.raises(AnswerError) as error:
        score_batch(catalogue.get("swemwbs"), answers)
    assert (error.value.row, error.value.item_id, error.value.value) == (3, "relaxed", 9)
    assert str(error.value).startswith("row 3, item relaxed: 9 is not an allowed answer")


def test_batch_error_row_counts_across_blocks(catalogue, monkeypatch):
    monkeypatch.setattr(scoring, "BLOCK_ROWS", 4)
    answers = np.full((10, 7), 3.0)
    answers[9, 0] = 2.5
    with pytest.raises(AnswerError) as error:
        score_batch(catalogue.get("swemwbs"), answers)
    assert error.value.row == 9


def test_invalid_cells_marks_bad_answers_only(catalogue):
    answers = np.array([[1, 2, np.nan, 1, 1, 100], [0, 2, 3, 4, 5, -1], [1, 1, 1, 1, 1, np.inf]])
    expected = np.zeros(answers.shape, dtype=bool)
    expected[1, 0] = expected[1, 5] = expected[2, 5] = True
    np.testing.assert_array_equal(invalid_cells(catalogue.get("eq5d5l"), answers), expected)


def test_wrong_column_count_in_a_batch_is_refused(catalogue):
    with pytest.raises(AnswerError, match="answers: 6 given"):
        score_batch(catalogue.get("swemwbs"), np.ones((3, 6)))


def test_batch_of_non_numbers_is_refused_and_none_is_missing(catalogue):
    with pytest.raises(AnswerError, match="answers: values that are not numbers given"):
        score_batch(catalogue.get("ucla3"), [[1, "often", 2]])
    assert score_batch(catalogue.get("ucla3"), [[1, None, 2]]).missing.tolist() == [[False, True, False]]


def test_empty_batch_scores_to_empty_arrays(catalogue):
    result = score_batch(catalogue.get("swemwbs"), np.empty((0, 7)))
    assert len(result) == 0 and result.total.shape == (0,) and result.derived["metric"].shape == (0,)


# ----------------------------------------------------------------------------------------- batch = one by one

OPTIONS = {"eq5d5l": {"value_set": "devlin2018-england"}}


def random_answers(instrument, rng, rows, columns=None):
    columns = columns or len(instrument.items)
    out = np.empty((rows, columns))
    for j in range(columns):
        item = instrument.answer_item(j)
        if item.range is not None:
            out[:, j] = rng.integers(int(item.range.minimum), int(item.range.maximum) + 1, rows)
        else:
            out[:, j] = rng.choice(item.code_values, rows)
    out[rng.random(out.shape) < 0.08] = np.nan
    return out


@pytest.mark.parametrize(
    "instrument_id",
    [
        "swemwbs",
        "wemwbs",
        "ucla3",
        "ons_loneliness",
        "djg6",
        "lsns6",
        "qpr15",
        "eq5d5l",
        "gas",
        "resource_generator_example",
        "csri_example",
    ],
)
def test_batch_result_equals_score_one_row_by_row(catalogue, monkeypatch, instrument_id):
    monkeypatch.setattr(scoring, "BLOCK_ROWS", 16)  # several blocks, so the joining of blocks is checked too
    instrument = catalogue.get(instrument_id)
    rng = np.random.default_rng(sum(map(ord, instrument_id)))
    answers = random_answers(instrument, rng, 60, 4 if instrument.repeat else None)
    options = dict(OPTIONS.get(instrument_id, {}))
    if instrument_id == "gas":
        options["weights"] = rng.integers(0, 10, answers.shape).astype(float)
    batch = score_batch(instrument, answers, **options)
    assert len(batch) == 60
    for i, row in enumerate(answers):
        row_options = {**options, "weights": options["weights"][i]} if "weights" in options else options
        one = score_one(instrument, [None if np.isnan(v) else v for v in row], **row_options)
        assert batch.row(i) == one, f"row {i}"
    assert set(batch.outcome_names()) <= {"no-missing", "scored-with-missing", "not-scored"}


def test_score_ranges_for_charts(catalogue):
    assert score_ranges(catalogue.get("swemwbs")) == {"total": (7, 35), "metric": (7.0, 35.0)}
    assert score_ranges(catalogue.get("lsns6")) == {"total": (0, 30), "family": (0, 15), "friends": (0, 15)}
    assert score_ranges(catalogue.get("eq5d5l")) == {"index": (-0.594, 1.0), "vas": (0.0, 100.0)}
    assert score_ranges(catalogue.get("eq5d5l"), value_set="rowen2026-uk")["index"] == (-0.567, 1.0)
