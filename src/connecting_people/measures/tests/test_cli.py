"""The `instruments` and `score` commands: JSON keys, scores against hand-computed values, bad input (exit 2,
nothing on stdout), and CSV streaming with rejected rows reported by line and row number."""

import csv
import io
import json
import math
import os
import subprocess
import sys

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

SWEMWBS_IDS = ["optimistic", "useful", "relaxed", "problems", "thinking", "close", "decisions"]
EQ5D_IDS = ["mobility", "self_care", "usual_activities", "pain_discomfort", "anxiety_depression", "vas"]
DOCUMENTED_KEYS = ["instrument", "version", "total", "subscales", "band"]


def run(*args, **options):
    """call_command with captured output: returns (stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


def fails(*args, **options):
    """call_command that must fail with exit code 2: returns (stdout, stderr, message)."""
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError) as caught:
        call_command(*args, stdout=out, stderr=err, **options)
    assert caught.value.returncode == 2
    return out.getvalue(), err.getvalue(), str(caught.value)


def score(instrument, answers, **options):
    out, _ = run("score", instrument, answers=answers, **options)
    assert out.count("\n") == 1  # one JSON object on one line
    return json.loads(out)


# ------------------------------------------------------------------------------------------------ instruments


def test_instruments_lists_ids_versions_and_titles():
    out, _ = run("instruments")
    lines = out.splitlines()
    assert lines[0].split() == ["id", "version", "title"]
    rows = {line.split()[0]: line.split()[1] for line in lines[1:]}
    for instrument_id in ("swemwbs", "wemwbs", "ucla3", "ons_loneliness", "djg6", "lsns6", "qpr15", "eq5d5l"):
        assert rows[instrument_id] == "1"
    assert "Short Warwick-Edinburgh Mental Wellbeing Scale" in out
    listing = json.loads(run("instruments", json=True)[0])
    assert {"id": "gas", "version": "1"}.items() <= next(i for i in listing if i["id"] == "gas").items()


def test_instrument_json_has_items_in_order_with_allowed_codes():
    definition = json.loads(run("instruments", "swemwbs", json=True)[0])
    assert definition["id"] == "swemwbs" and definition["version"] == "1"
    assert [item["id"] for item in definition["items"]] == SWEMWBS_IDS
    for item in definition["items"]:
        assert [code["code"] for code in item["codes"]] == [1, 2, 3, 4, 5]
    eq5d = json.loads(run("instruments", "eq5d5l", json=True)[0])
    assert [item["id"] for item in eq5d["items"]] == EQ5D_IDS
    assert eq5d["items"][-1]["range"] == {"min": 0, "max": 100, "whole_numbers": True, "unit": "points"}


def test_unknown_instrument_is_refused_with_nothing_on_stdout():
    out, _, message = fails("instruments", "nosuch", json=True)
    assert out == ""
    assert "unknown instrument 'nosuch'" in message and "swemwbs" in message  # names the known ones


# ------------------------------------------------------------------------------------------------ score --answers


def test_score_json_has_the_documented_keys_first():
    swemwbs = score("swemwbs", "3,4,2,5,1,3,4")
    assert list(swemwbs)[:5] == DOCUMENTED_KEYS
    assert "metric" in swemwbs and not {"index", "value_set", "t_score"} & set(swemwbs)
    eq5d = score("eq5d5l", "1,1,1,1,1,80")
    assert list(eq5d)[:5] == DOCUMENTED_KEYS
    assert {"index", "value_set"} <= set(eq5d) and not {"metric", "t_score"} & set(eq5d)
    gas = score("gas", "0,1")
    assert list(gas)[:5] == DOCUMENTED_KEYS
    assert "t_score" in gas and not {"metric", "index", "value_set"} & set(gas)
    # The missing-data facts come with every result.
    assert swemwbs["missing"] == [] and swemwbs["missing_rule"]["outcome"] == "no-missing"


@pytest.mark.parametrize(
    ("answers", "total", "metric"),
    [
        ("1,1,1,1,1,1,1", 7, 7.00),
        ("1,2,3,4,5,1,2", 18, 17.43),  # Stewart-Brown et al. 2009 conversion table: raw 18 -> 17.43
        ("3,4,2,5,1,3,4", 22, 19.98),
        ("5,5,5,5,4,5,5", 34, 32.55),
        ("5,5,5,5,5,5,5", 35, 35.00),
    ],
)
def test_swemwbs_metric_score(answers, total, metric):
    result = score("swemwbs", answers)
    assert result == result | {"instrument": "swemwbs", "version": "1", "total": total, "metric": metric}
    assert result["subscales"] == {} and result["band"] is None


def test_an_empty_position_is_a_missing_answer():
    result = score("swemwbs", "1,,3,4,5,1,2")
    assert result["total"] is None and result["metric"] is None
    assert result["missing"] == ["useful"]
    assert result["missing_rule"]["outcome"] == "not-scored"


# Hand-computed: crosswalk rows of van Hout et al. 2012; additive sets as 1 - sum of the published decrements.
@pytest.mark.parametrize(
    ("state", "value_set", "index"),
    [
        ("11111", "vanhout2012-uk", 1.0),
        ("12345", "vanhout2012-uk", 0.063),
        ("21341", "vanhout2012-uk", 0.491),
        ("55555", "vanhout2012-uk", -0.594),
        ("11111", "devlin2018-england", 1.0),
        ("12345", "devlin2018-england", 1 - (0.050 + 0.063 + 0.276 + 0.289)),  # 0.322
        ("21341", "devlin2018-england", 1 - (0.058 + 0.063 + 0.276)),  # 0.603
        ("55555", "devlin2018-england", 1 - (0.274 + 0.203 + 0.184 + 0.335 + 0.289)),  # -0.285
        ("12345", "rowen2026-uk", 1 - (0.038 + 0.086 + 0.371 + 0.391)),  # 0.114
        ("21341", "rowen2026-uk", 1 - (0.032 + 0.086 + 0.371)),  # 0.511
        ("55555", "rowen2026-uk", 1 - (0.279 + 0.206 + 0.212 + 0.479 + 0.391)),  # -0.567
    ],
)
def test_eq5d5l_index_under_each_value_set(state, value_set, index):
    result = score("eq5d5l", ",".join([*state, "70"]), value_set=value_set)
    assert result["index"] == pytest.approx(index, abs=1e-12)
    assert result["value_set"] == value_set
    assert result["state"] == state and result["vas"] == 70
    assert result["total"] is None


def test_eq5d5l_value_set_defaults_to_the_deployment_setting(settings):
    assert score("eq5d5l", "1,2,3,4,5,50")["value_set"] == "vanhout2012-uk"
    settings.CONNECTING_PEOPLE_EQ5D_VALUE_SET = "devlin2018-england"
    result = score("eq5d5l", "1,2,3,4,5,50")
    assert result["value_set"] == "devlin2018-england"
    assert result["index"] == pytest.approx(0.322, abs=1e-12)


# T = 50 + 10 Σwx / sqrt((1 - ρ) Σw² + ρ (Σw)²), ρ = 0.3 (Kiresuk & Sherman 1968), worked by hand:
@pytest.mark.parametrize(
    ("answers", "weights", "t_score"),
    [
        ("0", None, 50.0),
        ("2,1,-1", None, 50 + 10 * 2 / math.sqrt(0.7 * 3 + 0.3 * 9)),  # 59.1287
        ("-2,1,0", None, 50 + 10 * -1 / math.sqrt(0.7 * 3 + 0.3 * 9)),  # 45.4356
        ("2,,-1", None, 50 + 10 * 1 / math.sqrt(0.7 * 2 + 0.3 * 4)),  # missing goal left out: 56.2017
        ("2,1,-1", "3,2,1", 50 + 10 * 7 / math.sqrt(0.7 * 14 + 0.3 * 36)),  # 65.4228
        ("2,1,-1", "1,1,1", 50 + 10 * 2 / math.sqrt(0.7 * 3 + 0.3 * 9)),  # equal weights = unweighted
        ("-2,1,0", "1,2,3", 50.0),  # -2 + 2 + 0 = 0
    ],
)
def test_gas_t_score(answers, weights, t_score):
    result = score("gas", answers, **({"weights": weights} if weights else {}))
    assert result["t_score"] == pytest.approx(t_score, rel=1e-12)
    assert round(result["t_score"], 4) == round(t_score, 4)


def test_gas_t_score_literal_values():
    assert score("gas", "2,1,-1")["t_score"] == pytest.approx(59.12870929, abs=1e-8)
    assert score("gas", "2,1,-1", weights="3,2,1")["t_score"] == pytest.approx(65.42284272, abs=1e-8)


def test_invalid_code_exits_2_naming_item_value_and_allowed_values():
    out, err, message = fails("score", "swemwbs", answers="1,2,3,4,7,1,2")
    assert out == ""
    assert "thinking" in message and "'7'" in message and "1, 2, 3, 4 or 5" in message
    out, _, message = fails("score", "eq5d5l", answers="1,1,1,1,1,101")
    assert out == "" and "vas" in message and "101" in message and "from 0 to 100" in message
    out, _, message = fails("score", "swemwbs", answers="1,2,x,4,5,1,2")
    assert out == "" and "relaxed" in message and "'x'" in message


@pytest.mark.parametrize("answers", ["1,2,3", "1,2,3,4,5,1,2,3", ""])
def test_wrong_number_of_answers_exits_2(answers):
    out, _, message = fails("score", "swemwbs", answers=answers)
    assert out == ""
    assert "expected 7, one per item in order: optimistic, useful" in message


def test_unknown_instrument_value_set_or_option_exits_2():
    out, _, message = fails("score", "nosuch", answers="1")
    assert out == "" and "unknown instrument 'nosuch'" in message
    out, _, message = fails("score", "eq5d5l", answers="1,1,1,1,1,50", value_set="nosuch")
    assert out == "" and "unknown value set 'nosuch'" in message and "devlin2018-england" in message
    out, _, message = fails("score", "swemwbs", answers="1,1,1,1,1,1,1", value_set="vanhout2012-uk")
    assert out == "" and "value_set" in message
    out, _, message = fails("score", "gas", answers="1,2", weights="1,2,3")
    assert out == "" and "weights" in message
    out, _, message = fails("score", "gas", answers="1,2", weights="1,x")
    assert out == "" and "'x'" in message
    out, _, message = fails("score", "gas", answers="1,2", weights="1,-1")
    assert out == "" and "weight" in message


# ------------------------------------------------------------------------------------------------ score --csv


def write(tmp_path, text, name="answers.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8", newline="")
    return str(path)


def read_csv(text):
    return list(csv.DictReader(io.StringIO(text)))


def test_csv_happy_path_passes_columns_through_and_adds_scores(tmp_path):
    path = write(
        tmp_path,
        "person,optimistic,useful,relaxed,problems,thinking,close,decisions,note\n"
        "p1,1,2,3,4,5,1,2,first\n"
        'p2,5,5,5,5,5,5,5,"says ""fine"", thanks"\n'
        "p3,1,,3,4,5,1,2,missing one\n",
    )
    out, err = run("score", "swemwbs", csv=path)
    assert err == ""
    rows = read_csv(out)
    assert list(rows[0]) == [
        "person",
        *SWEMWBS_IDS,
        "note",
        "total",
        "metric",
        "missing",
        "missing_outcome",
    ]
    assert [(r["person"], r["total"], r["metric"], r["missing_outcome"]) for r in rows] == [
        ("p1", "18", "17.43", "no-missing"),
        ("p2", "35", "35.0", "no-missing"),
        ("p3", "", "", "not-scored"),
    ]
    assert rows[1]["note"] == 'says "fine", thanks'
    assert rows[2]["missing"] == "useful"


def test_csv_eq5d5l_and_gas_columns(tmp_path):
    path = write(tmp_path, ",".join(EQ5D_IDS) + "\n1,2,3,4,5,50\n2,1,3,4,1,\n")
    rows = read_csv(run("score", "eq5d5l", csv=path, value_set="devlin2018-england")[0])
    assert list(rows[0]) == [*EQ5D_IDS, "index", "state", "value_set", "missing", "missing_outcome"]
    assert [(r["index"], r["state"], r["value_set"]) for r in rows] == [
        ("0.322", "12345", "devlin2018-england"),
        ("0.603", "21341", "devlin2018-england"),
    ]
    assert rows[1]["missing"] == "vas" and rows[1]["missing_outcome"] == "scored-with-missing"

    path = write(tmp_path, "goal1,goal2,goal3\n2,1,-1\n2,,-1\n,,\n", name="goals.csv")
    rows = read_csv(run("score", "gas", csv=path)[0])
    assert list(rows[0]) == ["goal1", "goal2", "goal3", "t_score", "missing", "missing_outcome"]
    assert float(rows[0]["t_score"]) == pytest.approx(59.12870929175277)
    assert float(rows[1]["t_score"]) == pytest.approx(56.20173672946042)
    assert rows[2]["t_score"] == "" and rows[2]["missing"] == "goal1 goal2 goal3"
    rows = read_csv(run("score", "gas", csv=path, weights="3,2,1")[0])
    assert float(rows[0]["t_score"]) == pytest.approx(65.42284272337311)


def test_csv_from_standard_input_with_crlf_line_endings():
    text = "optimistic,useful,relaxed,problems,thinking,close,decisions\r\n1,2,3,4,5,1,2\r\n3,4,2,5,1,3,4\r\n"
    out, _ = run("score", "swemwbs", csv="-", stdin=io.StringIO(text, newline=""))
    assert [r["metric"] for r in read_csv(out)] == ["17.43", "19.98"]


@pytest.mark.parametrize("chunk_rows", [50_000, 2])  # one chunk, and rows spread over several chunks
def test_csv_malformed_rows_are_reported_by_number_and_the_rest_scored(tmp_path, chunk_rows):
    path = write(
        tmp_path,
        "person,optimistic,useful,relaxed,problems,thinking,close,decisions\n"  # line 1: header
        "a,1,2,3,4,5,1,2\n"  # line 2, row 1
        "b,1,2,3,4,9,1,2\n"  # line 3, row 2: code out of range
        "c,1,2,three,4,5,1,2\n"  # line 4, row 3: not a number
        "d,1,2,3,4\n"  # line 5, row 4: too few fields
        "\n"  # line 6: empty, skipped
        "e,5,5,5,5,5,5,5\n"  # line 7, row 5
        "f,1,2,3,4,5,1,2,extra\n"  # line 8, row 6: too many fields
        '"g\nh",1,1,1,1,1,1,1\n'  # lines 9-10, row 7: a quoted field over two lines
        "i,1,2,3,4,2.5,1,2\n",  # line 11, row 8: not a whole number
    )
    out = io.StringIO()
    err = io.StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("score", "swemwbs", csv=path, chunk_rows=chunk_rows, stdout=out, stderr=err)
    assert caught.value.returncode == 2
    assert str(caught.value) == "swemwbs: 5 of 8 rows rejected (lines 3, 4, 5, 8, 11); 3 rows scored"
    assert err.getvalue().splitlines() == [
        "line 3 (row 2): item thinking: '9' is not an allowed answer (allowed: 1, 2, 3, 4 or 5)",
        "line 4 (row 3): item relaxed: 'three' is not an allowed answer (allowed: 1, 2, 3, 4 or 5)",
        "line 5 (row 4): 5 fields; expected 8, one per header column",
        "line 8 (row 6): 9 fields; expected 8, one per header column",
        "line 11 (row 8): item thinking: '2.5' is not an allowed answer (allowed: 1, 2, 3, 4 or 5)",
    ]
    rows = read_csv(out.getvalue())
    assert [(r["person"], r["total"]) for r in rows] == [("a", "18"), ("e", "35"), ("g\nh", "7")]


def test_csv_quotes_that_are_not_valid_csv_reject_their_row(tmp_path):
    path = write(
        tmp_path,
        "person,optimistic,useful,relaxed,problems,thinking,close,decisions,note\n"
        'a,1,2,3,4,5,1,2,5" tall\n'  # a quote inside an unquoted field is an ordinary character
        'b,1,2,3,4,5,1,2,"x"y\n'  # text after a closing quote: not valid CSV
        'c,1,2,3,4,5,1,2,"ok"\n'
        'd,1,2,3,4,5,1,2,"never closed\n'  # a quote that never closes runs to the end of the file
        "e,1,2,3,4,5,1,2,swallowed\n",
    )
    out, err, message = fails("score", "swemwbs", csv=path)
    assert err.splitlines() == [
        "line 3 (row 2): not valid CSV (',' expected after '\"')",
        "line 5 (row 4): not valid CSV (unexpected end of data)",
    ]
    assert message == "swemwbs: 2 of 4 rows rejected (lines 3, 5); 2 rows scored"
    assert [(r["person"], r["note"]) for r in read_csv(out)] == [("a", '5" tall'), ("c", "ok")]


def test_csv_missing_item_column_exits_2_with_nothing_on_stdout(tmp_path):
    path = write(tmp_path, "optimistic,useful,relaxed\n1,2,3\n")
    out, _, message = fails("score", "swemwbs", csv=path)
    assert out == ""
    assert "missing columns problems, thinking, close, decisions" in message
    out, _, message = fails("score", "swemwbs", csv=write(tmp_path, "", name="empty.csv"))
    assert out == "" and "empty" in message
    out, _, message = fails("score", "swemwbs", csv=str(tmp_path / "absent.csv"))
    assert out == "" and "cannot read" in message
    clash = write(tmp_path, ",".join([*SWEMWBS_IDS, "total"]) + "\n1,1,1,1,1,1,1,7\n", name="clash.csv")
    out, _, message = fails("score", "swemwbs", csv=clash)
    assert out == "" and "'total'" in message


def test_csv_header_only_writes_the_header():
    out, _ = run("score", "ucla3", csv="-", stdin=io.StringIO("companionship,left_out,isolated\n"))
    assert out == "companionship,left_out,isolated,total,band,missing,missing_outcome\n"


# ------------------------------------------------------------------------------------------------ the real CLI


def test_connecting_people_cli_end_to_end():
    env = os.environ | {"CONNECTING_PEOPLE_ENV": "test"}
    command = [sys.executable, "-m", "connecting_people.cli", "score"]
    good = subprocess.run(
        [*command, "gas", "--answers", "-2,1,0"], capture_output=True, text=True, env=env, timeout=120
    )
    assert good.returncode == 0, good.stderr
    assert json.loads(good.stdout)["t_score"] == pytest.approx(50 - 10 / math.sqrt(4.8))
    bad = subprocess.run(
        [*command, "swemwbs", "--answers", "1,2,3,4,7,1,2"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert bad.returncode == 2
    assert bad.stdout == ""
    assert "thinking" in bad.stderr and "'7'" in bad.stderr and "1, 2, 3, 4 or 5" in bad.stderr
