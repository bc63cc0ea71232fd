"""The simulated study: reproducible, balanced, scored by the measures engine, with realistic drop-out."""

from collections import Counter, defaultdict

import numpy as np
import pytest

from connecting_people.measures.definitions import load_shipped
from connecting_people.measures.scoring import score_one
from connecting_people.study.simulation import FOLLOW_UP, PRIMARY_MEASURE, simulate


@pytest.fixture(scope="module")
def study():
    return simulate(seed=11)


@pytest.fixture(scope="module")
def large():
    return simulate(sites=10, teams_per_site=4, participants_per_team=50, seed=5)


def test_same_seed_same_rows_and_another_seed_other_rows():
    first, second, other = simulate(seed=4), simulate(seed=4), simulate(seed=5)
    for name in ("teams", "participants", "scores", "answers", "service_use", "fidelity"):
        assert getattr(first, name) == getattr(second, name)
    assert first.truth == second.truth
    assert first.scores != other.scores


def test_teams_are_allocated_half_to_each_arm_within_every_site(study):
    by_site = defaultdict(Counter)
    for team in study.teams:
        by_site[team["site"]][team["arm"]] += 1
    assert len(by_site) == 5
    assert all(counts == {"intervention": 1, "control": 1} for counts in by_site.values())
    odd = simulate(sites=4, teams_per_site=3, participants_per_team=2, seed=1)
    arms = Counter(team["arm"] for team in odd.teams)
    assert arms == {"intervention": 6, "control": 6}  # the spare team alternates between arms by site
    for site in {team["site"] for team in odd.teams}:
        assert {team["arm"] for team in odd.teams if team["site"] == site} == {"intervention", "control"}


def test_study_has_the_size_asked_for_and_each_participant_one_team_and_arm(study):
    assert len(study.teams) == 10
    assert len(study.participants) == 160
    arm_of_team = {team["team"]: team["arm"] for team in study.teams}
    assert all(p["arm"] == arm_of_team[p["team"]] for p in study.participants)
    assert Counter(p["team"] for p in study.participants) == dict.fromkeys(arm_of_team, 16)


def test_scores_are_the_measures_engine_scores_of_the_answers(study):
    catalogue = load_shipped()
    score_names = {"resource_generator_example": "total", "swemwbs": "metric", "ucla3": "total"}
    score_names |= {"gas": "t_score", "eq5d5l": "index"}
    scores = {(s["participant"], s["timepoint"], s["measure"]): s["value"] for s in study.scores}
    checked = Counter()
    for row in study.answers[::7]:
        if row["instrument"] not in score_names:
            continue
        result = score_one(catalogue.get(row["instrument"]), row["answers"])
        name = score_names[row["instrument"]]
        expected = result["total"] if name == "total" else result[name]
        measure = f"{row['instrument']}.{name}"
        assert scores[(row["participant"], row["timepoint"], measure)] == pytest.approx(expected)
        checked[row["instrument"]] += 1
    assert set(checked) == set(score_names)


def test_scores_stay_within_each_measure_range(study):
    ranges = {
        PRIMARY_MEASURE: (0, 8),
        "swemwbs.metric": (7, 35),
        "ucla3.total": (3, 9),
        "gas.t_score": (0, 100),
        "eq5d5l.index": (-0.6, 1),
    }
    values = defaultdict(list)
    for row in study.scores:
        values[row["measure"]].append(row["value"])
    assert set(values) == set(ranges)
    for measure, (low, high) in ranges.items():
        array = np.array(values[measure])
        assert low <= array.min() and array.max() <= high, measure
    assert all(float(v).is_integer() for v in values[PRIMARY_MEASURE])
    assert {row["timepoint"] for row in study.scores if row["measure"] == "gas.t_score"} == {FOLLOW_UP}


def test_drop_out_is_about_fifteen_percent_and_depends_on_baseline(large):
    missing = {p["participant"] for p in large.participants if p["missing_reason"]}
    share = len(missing) / len(large.participants)
    assert 0.12 <= share <= 0.18
    assert large.truth["drop_out_observed"] == pytest.approx(share)
    assert Counter(p["missing_reason"] for p in large.participants if p["missing_reason"]).keys() == {
        "lost to follow-up",
        "withdrew",
    }
    baseline = {
        s["participant"]: s["value"]
        for s in large.scores
        if s["measure"] == PRIMARY_MEASURE and s["timepoint"] == "baseline"
    }
    dropped = np.mean([baseline[p] for p in missing])
    stayed = np.mean([v for p, v in baseline.items() if p not in missing])
    assert dropped < stayed  # fewer resources, more drop-out: missing at random given baseline
    followed = {s["participant"] for s in large.scores if s["timepoint"] == FOLLOW_UP}
    assert not (followed & missing)


def test_fidelity_is_higher_in_intervention_teams(large):
    arm = {team["team"]: team["arm"] for team in large.teams}
    scores = defaultdict(list)
    for row in large.fidelity:
        assert 0 <= row["score"] <= 64
        scores[arm[row["team"]]].append(row["score"])
    assert np.mean(scores["intervention"]) > np.mean(scores["control"]) + 10


def test_service_use_covers_every_service_of_the_unit_cost_table_with_its_price_year(study):
    services = {row["service"] for row in study.service_use}
    assert services <= set(study.unit_costs.costs)
    assert {"gp_appointment", "community_team", "emergency_department", "mental_health_inpatient"} <= services
    assert study.unit_costs.price_year == "2024/25" == study.truth["price_year"]
    assert all(isinstance(row["units"], int) and row["units"] >= 0 for row in study.service_use)


def test_the_effect_on_the_observed_score_is_close_to_the_effect_asked_for(large):
    assert large.truth["effect"] == 1.0
    assert 0.9 <= large.truth["realised_effect"] <= 1.0


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"sites": 0}, "sites"),
        ({"teams_per_site": 1}, "teams_per_site"),
        ({"participants_per_team": 0}, "participants_per_team"),
        ({"drop_out": 0.95}, "drop_out"),
    ],
)
def test_arguments_out_of_range_are_refused(arguments, message):
    with pytest.raises(ValueError, match=message):
        simulate(**arguments)
