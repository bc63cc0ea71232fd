"""The study analysis recovers a known effect, refuses what it cannot estimate, and gives the same numbers
for the same data and seed. Pure: no database."""

import json
import random
import subprocess
import sys

import numpy as np
import pytest
import statsmodels.api as sm

from connecting_people.measures.definitions import load_shipped
from connecting_people.study.analysis import (
    AnalysisPlan,
    MissingUnitCost,
    Outcome,
    StudyDataError,
    TooFewToAnalyse,
    analyse,
    icer,
    outcome_effect,
    participant_costs,
    qalys,
    study_data,
)
from connecting_people.study.analysis.economics import bootstrap_counts, weighted_coefficients
from connecting_people.study.simulation import simulate

QUICK = AnalysisPlan(bootstrap_replicates=200)  # where the number of replicates does not matter
COVERAGE_SEEDS = range(30)
EFFECT = 1.0


@pytest.fixture(scope="module")
def catalogue():
    return load_shipped()  # loaded once: the coverage tests simulate many studies


@pytest.fixture(scope="module")
def study():
    return simulate(seed=7, effect=EFFECT)


@pytest.fixture(scope="module")
def result(study):
    return analyse(**study.analysis_rows(), plan=QUICK)


# --------------------------------------------------------------------------------------- effect recovery


def test_the_primary_interval_covers_the_true_effect_in_the_large_majority_of_seeds(catalogue):
    """30 simulated studies (5 sites × 2 teams × 16 participants, 15% drop-out) with a known effect of 1 point."""
    plan = AnalysisPlan()
    estimates, covered = [], 0
    for seed in COVERAGE_SEEDS:
        study = simulate(seed=seed, effect=EFFECT, catalogue=catalogue)
        data = study_data(participants=study.participants, scores=study.scores, plan=plan)
        primary = outcome_effect(data, plan.primary, plan, role="primary")
        estimates.append(primary["estimate"])
        covered += primary["ci_low"] <= EFFECT <= primary["ci_high"]
    coverage = covered / len(COVERAGE_SEEDS)
    print(
        f"\n95% interval covered the true effect in {covered} of {len(COVERAGE_SEEDS)} seeds ({coverage:.0%})"
    )
    assert coverage >= 0.8, f"covered in only {covered} of {len(COVERAGE_SEEDS)} seeds"
    # Unbiased on average: the standard error of this mean is about 0.25 / √30 ≈ 0.05.
    assert np.mean(estimates) == pytest.approx(EFFECT, abs=0.15)


def test_with_no_effect_the_estimate_is_near_zero_and_the_interval_usually_covers_it(catalogue):
    plan = AnalysisPlan()
    covered = 0
    for seed in range(10):
        study = simulate(seed=100 + seed, effect=0.0, catalogue=catalogue)
        data = study_data(participants=study.participants, scores=study.scores, plan=plan)
        primary = outcome_effect(data, plan.primary, plan, role="primary")
        covered += primary["ci_low"] <= 0 <= primary["ci_high"]
    assert covered >= 8


def test_primary_result_has_estimate_interval_p_and_numbers_per_arm(result, study):
    primary = result["primary"]
    assert primary["measure"] == study.truth["primary_measure"]
    for key in ("estimate", "ci_low", "ci_high", "se", "p", "n", "method"):
        assert primary[key] is not None, key
    assert primary["ci_low"] < primary["estimate"] < primary["ci_high"]
    assert primary["n"]["intervention"] + primary["n"]["control"] == sum(
        primary["missing"]["analysed"].values()
    )
    assert primary["teams"] == {"intervention": 5, "control": 5}
    assert primary["adjusted_for_baseline"] is True
    assert "random intercept for team" in primary["method"]
    assert 0 <= primary["p"] <= 1


def test_sensitivity_analysis_runs_and_agrees_with_the_mixed_model(result):
    primary = result["primary"]
    sensitivity = primary["sensitivity"]
    assert "cluster-robust" in sensitivity["method"]
    assert sensitivity["df"] == 9  # 10 teams − 1
    assert sensitivity["ci_low"] < sensitivity["estimate"] < sensitivity["ci_high"]
    assert sensitivity["estimate"] == pytest.approx(primary["estimate"], abs=0.2)


def test_every_secondary_outcome_is_analysed_and_goal_attainment_says_it_has_no_baseline(result):
    secondary = result["secondary"]
    assert list(secondary) == ["swemwbs.metric", "ucla3.total", "gas.t_score"]
    for measure in ("swemwbs.metric", "ucla3.total"):
        assert secondary[measure]["adjusted_for_baseline"] is True
        assert secondary[measure]["sensitivity"]["estimate"] is not None
    gas = secondary["gas.t_score"]
    assert gas["adjusted_for_baseline"] is False
    assert gas["adjustment"] == "not adjusted for baseline: there are no baseline values of this measure"
    assert gas["descriptives"]["baseline"]["intervention"]["n"] == 0
    assert gas["estimate"] is not None


def test_fidelity_is_associated_with_outcome_when_the_effect_grows_with_fidelity():
    # 20 intervention teams; each team's effect is 2 × fidelity / 40, i.e. 0.05 points per fidelity point.
    study = simulate(sites=10, teams_per_site=4, participants_per_team=30, seed=3, effect=2.0)
    fidelity = analyse(**study.analysis_rows(), plan=QUICK)["fidelity"]
    continuous = fidelity["continuous"]
    assert continuous["ci_low"] <= 0.05 <= continuous["ci_high"]
    assert continuous["estimate"] > 0
    assert fidelity["high_low"]["estimate"] > 0
    assert fidelity["threshold_rule"] == "the median of the teams' fidelity scores"
    assert len(fidelity["teams"]) == 20
    assert {team["group"] for team in fidelity["teams"]} == {"high", "low"}
    assert all(
        team["score"] >= fidelity["threshold"] for team in fidelity["teams"] if team["group"] == "high"
    )


def test_fidelity_over_all_participants_with_a_stated_threshold(study):
    plan = AnalysisPlan(bootstrap_replicates=200, fidelity_population="all", fidelity_threshold=30)
    fidelity = analyse(**study.analysis_rows(), plan=plan)["fidelity"]
    assert fidelity["threshold"] == 30
    assert fidelity["threshold_rule"] == "set in the analysis plan"
    assert len(fidelity["teams"]) == 10
    assert fidelity["high_low"]["teams"] == {
        "high": 5,
        "low": 5,
    }  # control teams score about 20, intervention 40


# ------------------------------------------------------------------------------------------ determinism


def test_same_data_and_seed_give_identical_json_whatever_the_row_order(study, result):
    again = analyse(**study.analysis_rows(), plan=QUICK)
    assert json.dumps(again, allow_nan=False) == json.dumps(result, allow_nan=False)
    shuffle = random.Random(3)
    rows = {
        key: shuffle.sample(value, len(value)) if isinstance(value, list) else value
        for key, value in study.analysis_rows().items()
    }
    assert json.dumps(analyse(**rows, plan=QUICK)) == json.dumps(result)


def test_another_bootstrap_seed_changes_only_the_bootstrap(study, result):
    other = analyse(**study.analysis_rows(), plan=AnalysisPlan(bootstrap_replicates=200, seed=99))
    assert other["primary"] == result["primary"]
    assert other["cost_effectiveness"]["incremental_cost"] == result["cost_effectiveness"]["incremental_cost"]
    assert (
        other["cost_effectiveness"]["incremental_cost_ci"]
        != result["cost_effectiveness"]["incremental_cost_ci"]
    )


# -------------------------------------------------------------------------------------------- refusals


def test_one_team_per_arm_is_refused_with_a_clear_message():
    study = simulate(sites=1, teams_per_site=2, participants_per_team=40, seed=1)
    with pytest.raises(
        TooFewToAnalyse, match=r"needs at least 2 teams and 10 participants .* has 1 team and"
    ):
        analyse(**study.analysis_rows(), plan=QUICK)


def test_too_few_participants_per_arm_is_refused():
    study = simulate(sites=2, teams_per_site=2, participants_per_team=3, seed=1)
    with pytest.raises(TooFewToAnalyse, match="Too few to analyse primary outcome"):
        analyse(**study.analysis_rows(), plan=QUICK)


def test_a_secondary_outcome_without_data_is_refused_in_its_place_and_listed(study):
    rows = study.analysis_rows()
    rows["scores"] = [row for row in rows["scores"] if row["measure"] != "ucla3.total"]
    result = analyse(**rows, plan=QUICK)
    refused = result["secondary"]["ucla3.total"]["refused"]
    assert refused.startswith("Too few to analyse secondary outcome Loneliness")
    assert refused in result["refusals"]
    assert result["secondary"]["swemwbs.metric"]["estimate"] is not None


def test_a_unit_cost_table_missing_a_service_is_refused_naming_the_service(study):
    table = {
        "id": "partial",
        "price_year": "2024/25",
        "currency": "GBP",
        "costs": {
            service: entry.cost
            for service, entry in study.unit_costs.costs.items()
            if service != "day_centre"
        },
    }
    with pytest.raises(MissingUnitCost, match="'partial' has no unit cost for day_centre") as raised:
        analyse(**{**study.analysis_rows(), "unit_costs": table}, plan=QUICK)
    assert raised.value.services == ["day_centre"]


def test_a_unit_cost_table_without_a_price_year_is_refused(study):
    table = {"id": "no-year", "costs": {s: e.cost for s, e in study.unit_costs.costs.items()}}
    with pytest.raises(StudyDataError, match="price year"):
        analyse(**{**study.analysis_rows(), "unit_costs": table}, plan=QUICK)


def test_a_team_in_two_arms_is_refused(study):
    participants = [dict(p) for p in study.participants]
    participants[0]["arm"] = "control" if participants[0]["arm"] == "intervention" else "intervention"
    with pytest.raises(
        StudyDataError, match=f"Team '{participants[0]['team']}' has participants in both arms"
    ):
        analyse(**{**study.analysis_rows(), "participants": participants}, plan=QUICK)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda rows: rows["participants"][0].update(arm="placebo"), "Unknown arm 'placebo'"),
        (lambda rows: rows["scores"].append(dict(rows["scores"][0])), "given twice"),
        (
            lambda rows: rows["scores"].append({**rows["scores"][0], "participant": "nobody"}),
            "not in the participant rows",
        ),
        (lambda rows: rows["scores"].append({**rows["scores"][0], "value": "high"}), "not a number"),
        (lambda rows: rows["service_use"].append({**rows["service_use"][0], "units": -1}), "negative units"),
        (lambda rows: rows["participants"].append(dict(rows["participants"][0])), "appear more than once"),
    ],
)
def test_rows_that_cannot_be_analysed_are_refused_with_a_message(study, change, message):
    rows = {
        key: [dict(row) for row in value] if isinstance(value, list) else value
        for key, value in study.analysis_rows().items()
    }
    change(rows)
    with pytest.raises(StudyDataError, match=message):
        analyse(**rows, plan=QUICK)


def test_fidelity_with_too_few_teams_is_refused_part_by_part_and_keeps_its_team_table():
    study = simulate(sites=2, teams_per_site=2, participants_per_team=20, seed=2)
    result = analyse(**study.analysis_rows(), plan=QUICK)
    fidelity = result["fidelity"]
    assert fidelity["continuous"]["refused"].startswith("Too few to relate fidelity as a number")
    assert "high has 1 team" in fidelity["high_low"]["refused"]
    assert len(fidelity["teams"]) == 2
    assert fidelity["continuous"]["refused"] in result["refusals"]
    assert result["primary"]["estimate"] is not None  # two teams per arm: the primary is still estimated


def test_no_service_use_or_unit_costs_means_no_cost_effectiveness_and_says_so(study):
    rows = study.analysis_rows()
    without_use = analyse(**{**rows, "service_use": []}, plan=QUICK)
    assert without_use["cost_effectiveness"] == {
        "refused": "No service-use rows were given, so costs and cost-effectiveness are not analysed."
    }
    without_costs = analyse(**{**rows, "unit_costs": None}, plan=QUICK)
    assert without_costs["cost_effectiveness"]["refused"].startswith("No unit-cost table")
    assert without_costs["primary"] == without_use["primary"]


def test_plan_refuses_one_team_per_arm_as_a_minimum():
    with pytest.raises(ValueError, match="min_teams_per_arm"):
        AnalysisPlan(min_teams_per_arm=1)


# -------------------------------------------------------------------------------------------- missing


def test_missing_data_are_counted_by_arm_and_reason_and_add_up(result, study):
    missing = result["missing"]
    assert "Complete-case" in missing["method"]
    assert missing["randomised"] == {"intervention": 80, "control": 80}
    dropped = sum(1 for p in study.participants if p["missing_reason"])
    assert sum(missing["not_followed_up"].values()) == dropped
    assert sum(missing["not_followed_up_reasons"].values()) == dropped
    assert set(missing["analyses"]) >= {
        "primary",
        "secondary: swemwbs.metric",
        "cost_effectiveness",
        "fidelity",
    }
    for name, block in missing["analyses"].items():
        for arm in ("intervention", "control"):
            excluded = sum(reason[arm] for reason in block["excluded"].values())
            assert block["randomised"][arm] == block["analysed"][arm] + excluded, (name, arm)
    assert result["primary"]["missing"]["follow_up_reasons"].keys() <= {"lost to follow-up", "withdrew"}


# ----------------------------------------------------------------------------------- cost-effectiveness


def test_trapezoid_qalys_by_hand():
    # 0.5 at baseline, 0.7 at 182 days: (0.5 + 0.7) / 2 × 182 / 365.25 = 0.6 × 0.498288... = 0.298973...
    assert qalys([0.5], [0.7], [182])[0] == pytest.approx(0.6 * 182 / 365.25)
    assert qalys([0.5], [0.7], [182])[0] == pytest.approx(0.2989733059548255)
    assert qalys([1.0, -0.2], [1.0, 0.2], [365.25, 100]).tolist() == pytest.approx([1.0, 0.0])


def test_participant_costs_by_hand_and_unanswered_service_means_no_cost():
    import pandas as pd

    use = pd.DataFrame(
        {"gp_appointment": [3, 1], "community_team": [2, np.nan], "mental_health_inpatient": [1, 0]},
        index=["a", "b"],
    )
    costs = {"gp_appointment": 40.0, "community_team": 100.0, "mental_health_inpatient": 500.0}
    result = participant_costs(use, costs)
    assert result["a"] == 3 * 40 + 2 * 100 + 1 * 500 == 820
    assert np.isnan(result["b"])


def _hand_study():
    """Two teams per arm, 6 participants per team. Every intervention participant gains 0.2 of utility
    and uses 3 more GP appointments, 2 more team contacts and 1 more night in hospital than at baseline;
    control participants are unchanged. Baselines differ between people but identically in both arms."""
    participants, scores, service_use = [], [], []
    for arm in ("intervention", "control"):
        for t in range(2):
            team = f"{arm}-{t}"
            for i in range(6):
                person = f"{team}-{i}"
                participants.append({"participant": person, "team": team, "arm": arm, "site": f"s{t}"})
                u0 = 0.4 + 0.1 * (i % 3)
                gp0 = i % 4
                gain = arm == "intervention"
                scores += [
                    {
                        "participant": person,
                        "timepoint": "baseline",
                        "day": 0,
                        "measure": "eq5d5l.index",
                        "value": u0,
                    },
                    {
                        "participant": person,
                        "timepoint": "6 months",
                        "day": 182,
                        "measure": "eq5d5l.index",
                        "value": u0 + 0.2 * gain,
                    },
                    {"participant": person, "timepoint": "baseline", "measure": "rg.total", "value": i},
                    {
                        "participant": person,
                        "timepoint": "6 months",
                        "measure": "rg.total",
                        "value": (7 * i + 3 * t) % 9,
                    },
                ]
                for timepoint, extra in (("baseline", 0), ("6 months", int(gain))):
                    service_use += [
                        {
                            "participant": person,
                            "timepoint": timepoint,
                            "service": "gp_appointment",
                            "units": gp0 + 3 * extra,
                        },
                        {
                            "participant": person,
                            "timepoint": timepoint,
                            "service": "community_team",
                            "units": 1 + 2 * extra,
                        },
                        {
                            "participant": person,
                            "timepoint": timepoint,
                            "service": "mental_health_inpatient",
                            "units": extra,
                        },
                    ]
    table = {
        "id": "hand",
        "price_year": "2024/25",
        "currency": "GBP",
        "costs": {
            "gp_appointment": {"unit": "appointment", "cost": 40.0},
            "community_team": 100,
            "mental_health_inpatient": 500,
        },
    }
    plan = AnalysisPlan(
        primary=Outcome("rg.total", "resources"),
        secondary=(),
        min_participants_per_arm=10,
        bootstrap_replicates=500,
    )
    return {
        "participants": participants,
        "scores": scores,
        "service_use": service_use,
        "unit_costs": table,
    }, plan


def test_hand_checked_cost_effectiveness():
    rows, plan = _hand_study()
    economic = analyse(**rows, plan=plan)["cost_effectiveness"]
    # Cost: 3 × £40 + 2 × £100 + 1 × £500 = £820 more per intervention participant.
    assert economic["incremental_cost"] == pytest.approx(820)
    # QALYs: the utility gain 0.2 rises linearly over 182 days: area 0.2 / 2 × 182 / 365.25 = 0.0498289...
    assert economic["incremental_qaly"] == pytest.approx(0.1 * 182 / 365.25)
    # ICER = 820 / 0.0498289 = 820 × 365.25 / 18.2 = £16,456.32 per QALY gained.
    assert economic["icer"] == pytest.approx(820 * 365.25 / 18.2)
    assert economic["icer"] == pytest.approx(16456.318681, abs=1e-4)
    assert economic["interpretation"] == "cost per QALY gained"
    assert economic["quadrant"] == "north-east"
    assert economic["price_year"] == "2024/25"
    # Every team has the same differences, so every bootstrap replicate does too.
    assert economic["incremental_cost_ci"] == pytest.approx([820, 820])
    assert economic["plane"]["quadrants"]["north-east"] == 1.0
    ceac = {point["willingness_to_pay"]: point["probability"] for point in economic["ceac"]}
    assert ceac[16_000] == 0.0 and ceac[17_000] == 1.0
    assert economic["net_monetary_benefit"][0]["estimate"] == pytest.approx(20_000 * 0.1 * 182 / 365.25 - 820)
    assert economic["qaly_days"] == {"measured": 24, "nominal": 0, "nominal_days": 182}


def test_qalys_use_the_nominal_interval_when_a_date_is_missing_and_say_how_often():
    rows, plan = _hand_study()
    for row in rows["scores"]:
        if (
            row["measure"] == "eq5d5l.index"
            and row["timepoint"] == "6 months"
            and row["participant"].endswith("-0")
        ):
            del row["day"]
    economic = analyse(**rows, plan=plan)["cost_effectiveness"]
    assert economic["qaly_days"] == {"measured": 20, "nominal": 4, "nominal_days": 182}
    assert economic["incremental_qaly"] == pytest.approx(0.1 * 182 / 365.25)


@pytest.mark.parametrize(
    ("cost", "qaly", "interpretation", "has_ratio"),
    [
        (500.0, 0.05, "cost per QALY gained", True),
        (-500.0, 0.05, "intervention dominates", False),
        (500.0, -0.05, "intervention is dominated", False),
        (-500.0, -0.05, "saving per QALY lost", True),
        (500.0, 0.0001, "no QALY difference", False),
    ],
)
def test_icer_is_given_only_where_it_means_something(cost, qaly, interpretation, has_ratio):
    answer = icer(cost, qaly, negligible=0.0005, currency="GBP")
    assert answer["interpretation"] == interpretation
    assert (answer["icer"] == pytest.approx(cost / qaly)) if has_ratio else answer["icer"] is None
    assert answer["statement"]


def test_the_vectorised_bootstrap_equals_refitting_on_the_resampled_rows():
    rng = np.random.default_rng(0)
    clusters = np.repeat(np.arange(6), 5)
    X = np.column_stack([np.ones(30), (clusters % 2).astype(float), rng.normal(size=30)])
    y = X @ [1.0, 0.5, 2.0] + rng.normal(size=30)
    counts = bootstrap_counts(np.arange(6) % 2, 3, np.random.default_rng(1))
    assert counts[:, ::2].sum(axis=1).tolist() == [3, 3, 3] and counts[:, 1::2].sum(axis=1).tolist() == [
        3,
        3,
        3,
    ]
    fast = weighted_coefficients(X, y, clusters, counts, term=1)
    for replicate in range(3):
        rows = np.concatenate(
            [np.tile(np.flatnonzero(clusters == k), int(counts[replicate, k])) for k in range(6)]
        )
        assert fast[replicate] == pytest.approx(sm.OLS(y[rows], X[rows]).fit().params[1])


def test_full_analysis_with_two_thousand_replicates_on_a_small_study(study):
    result = analyse(**study.analysis_rows())  # the default plan: 2,000 replicates
    economic = result["cost_effectiveness"]
    assert economic["bootstrap_replicates"] == 2000
    assert len(economic["plane"]["points"]) == 2000
    assert sum(economic["plane"]["quadrants"].values()) == pytest.approx(1.0)
    assert [p["willingness_to_pay"] for p in economic["ceac"]] == [float(x) for x in range(0, 50_001, 1_000)]
    assert all(0 <= p["probability"] <= 1 for p in economic["ceac"])
    low, high = economic["incremental_cost_ci"]
    assert low <= economic["incremental_cost"] <= high
    assert economic["price_year"] == "2024/25" and economic["illustrative_costs"] is True
    json.dumps(result, allow_nan=False)  # JSON-ready: no NaN, no numpy types
    assert set(result) >= {"primary", "secondary", "fidelity", "cost_effectiveness", "missing", "methods"}
    assert {
        "primary",
        "sensitivity",
        "secondary",
        "fidelity",
        "costs",
        "qalys",
        "icer",
        "bootstrap",
        "ceac",
    } <= set(result["methods"])
    assert "2,000" in result["methods"]["bootstrap"] and "2024/25" in result["methods"]["costs"]


def test_the_analysis_and_simulation_import_nothing_from_django():
    code = (
        "import sys; import connecting_people.study.analysis, connecting_people.study.simulation; "
        "print(sorted(m for m in sys.modules if m == 'django' or m.startswith('django.')))"
    )
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert output.strip() == "[]"
