"""A simulated cluster-randomised study with a known effect, for showing that the analysis recovers it.

Pure: no Django. ``simulate()`` builds a study shaped like the Connecting People implementation study (sites,
each with teams allocated to intervention or control within the site; participants interviewed at baseline and
six months) and returns plain rows, the same shape of rows the study app will load from its database and pass
to ``connecting_people.study.analysis.analyse``.

How the data are made (every number below is on the scale of the measure named):

* **Allocation.** Within each site the teams are shuffled (seeded) and half go to each arm; with an odd
  number of teams per site the spare team goes to alternate arms from site to site, so the arms stay balanced.
* **Primary outcome**: the resource generator total (access to social capital), 0 to the number of items (the
  shipped ``resource_generator_example`` has 8). A latent score = mean + site effect + team effect + person
  variation, rounded and kept within the scale. At six months: a little general gain, regression to the mean,
  a new site and team effect, person noise, and in intervention teams the effect
  ``effect × team fidelity / 40``: ``effect`` is the gain (in score points) at the average fidelity of an
  intervention team (40 of 64), so the effect is known and grows with fidelity.
  ``truth["realised_effect"]`` is the average change in the observed (rounded, bounded) score had every
  participant gained ``effect`` points: a little under ``effect`` when the scale's floor or ceiling cuts it.
* **Secondary outcomes** share a person-level factor with the primary: SWEMWBS (7 items, metric score),
  UCLA 3-item loneliness (total 3-9), goal attainment (GAS T-score, one to five goals, six months only) and
  EQ-5D-5L (five levels and the VAS; index under the value set asked for). ``secondary_effect`` moves each of
  them in the better direction by that many standard deviations of its latent score (default 0: the published
  study found no difference).
* **Service use** (CSRI-style, the items of ``csri_example``, recall period three months) at both timepoints:
  over-dispersed counts (gamma-Poisson) whose rates rise as health falls; nights in hospital are mostly zero.
  ``cost_effect`` scales the six-month rates in intervention teams (-0.1 = 10% less use). The rows are units
  of service; the analysis costs them from a unit-cost table (``unit_costs``: the shipped illustrative table,
  price year 2024/25, invented figures).
* **Fidelity**: one practice fidelity total per team on the 0-64 scale of ``cp_practice_fidelity``, rated at
  six months: about 40 (SD 6) in intervention teams and about 20 (SD 6) in control teams.
* **Drop-out**: about ``drop_out`` (default 15%) of participants have no six-month interview, missing at random
  given the baseline primary score (people with fewer resources drop out more often: log-odds −0.5 per SD).
  Their reason is "lost to follow-up" or (one in four) "withdrew". Of the interviews that happen, each
  instrument other than the primary is missing now and then (``instrument_missing``, default 2%).

Answers are generated item by item and scored with the measures engine (``score_batch``), so the scores in
``scores`` are exactly what the product would compute from the answers in ``answers``.

Same arguments and seed, same rows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from connecting_people.measures.definitions import DATA_DIR, Catalogue, Instrument, load_shipped
from connecting_people.measures.scoring import score_batch
from connecting_people.measures.scoring.csri_cost import UnitCostTable, load_unit_costs

BASELINE = "baseline"
FOLLOW_UP = "6 months"
FOLLOW_UP_DAYS = 182
ARMS = ("intervention", "control")

PRIMARY_INSTRUMENT = "resource_generator_example"
SWEMWBS, UCLA3, GAS, EQ5D, CSRI = "swemwbs", "ucla3", "gas", "eq5d5l", "csri_example"
FIDELITY_SCALE = "cp_practice_fidelity"
FIDELITY_MAXIMUM = 64
FIDELITY_MEAN = {"intervention": 40.0, "control": 20.0}
FIDELITY_SD = 6.0
UNIT_COSTS_FILE = "unit_costs_illustrative.yaml"

# Measure keys in `scores` rows: "<instrument id>.<score>", the names the analysis plan uses.
PRIMARY_MEASURE = f"{PRIMARY_INSTRUMENT}.total"
MEASURES = {
    PRIMARY_INSTRUMENT: "total",
    SWEMWBS: "metric",
    UCLA3: "total",
    GAS: "t_score",
    EQ5D: "index",
}

# Service use over a three-month recall period: mean units for a person of average health, and the gamma
# shape of the person-to-person variation (smaller = more over-dispersed). Hospital nights are handled apart.
SERVICE_RATES = {
    "gp_appointment": (2.0, 1.5),
    "practice_nurse": (0.6, 0.8),
    "emergency_department": (0.25, 0.4),
    "community_team": (6.0, 2.0),
    "talking_therapy": (1.0, 0.5),
    "social_worker": (0.8, 0.5),
    "day_centre": (1.5, 0.3),
    "peer_support": (0.8, 0.3),
}
INPATIENT = "mental_health_inpatient"
ADMISSION_PROBABILITY = 0.05  # in three months, for a person of average health
MEAN_NIGHTS = 20.0


@dataclass(frozen=True)
class SimulatedStudy:
    """A simulated study as plain rows (JSON-ready dicts), with the truth it was made from.

    parameters:   the arguments of `simulate`.
    truth:        the effect asked for and the one realised on the observed score, variances, drop-out.
    teams:        {team, site, arm}, allocation within site.
    participants: {participant, site, team, arm, missing_reason}; missing_reason is None when the six-month
                  interview happened, else "lost to follow-up" or "withdrew".
    scores:       {participant, timepoint, day, measure, value}; day = days since the participant's baseline.
    answers:      {participant, timepoint, day, instrument, version, answers}: item answers in definition
                  order (for GAS, one code per goal), from which `scores` were computed.
    service_use:  {participant, timepoint, service, units}, one row per service of the CSRI.
    fidelity:     {team, scale, timepoint, score}, one practice fidelity total per team.
    unit_costs:   the unit-cost table the services are to be costed with (illustrative, price year 2024/25).
    """

    parameters: dict[str, Any]
    truth: dict[str, Any]
    teams: list[dict[str, Any]]
    participants: list[dict[str, Any]]
    scores: list[dict[str, Any]]
    answers: list[dict[str, Any]]
    service_use: list[dict[str, Any]]
    fidelity: list[dict[str, Any]]
    unit_costs: UnitCostTable = field(repr=False)

    def analysis_rows(self) -> dict[str, Any]:
        """The keyword arguments `analysis.analyse` takes for this study's data."""
        return {
            "participants": self.participants,
            "scores": self.scores,
            "service_use": self.service_use,
            "fidelity": self.fidelity,
            "unit_costs": self.unit_costs,
        }


def simulate(
    *,
    sites: int = 5,
    teams_per_site: int = 2,
    participants_per_team: int = 16,
    effect: float = 1.0,
    seed: int = 1,
    secondary_effect: float = 0.0,
    cost_effect: float = 0.0,
    drop_out: float = 0.15,
    instrument_missing: float = 0.02,
    value_set: str | None = None,
    catalogue: Catalogue | None = None,
    unit_costs: UnitCostTable | None = None,
) -> SimulatedStudy:
    """Simulate a cluster-randomised study with a known effect on the primary outcome.

    sites, teams_per_site, participants_per_team: the study's size (at least 1 site, 2 teams per site so both
    arms exist in every site, 1 participant per team).
    effect: the intervention's effect on the six-month resource generator total, in score points, at the
    average fidelity of an intervention team (see the module docstring).
    seed: the whole study follows from it (allocation included).
    secondary_effect: effect on every secondary outcome, in standard deviations of its latent score.
    cost_effect: relative change of six-month service use in intervention teams (e.g. -0.1).
    drop_out: expected share of participants without a six-month interview (0 to 0.9).
    instrument_missing: chance that one instrument other than the primary is missing from an interview.
    value_set: EQ-5D-5L value set for the index (default: the definition's default, vanhout2012-uk).
    catalogue: the instrument definitions to use (default: the shipped ones); the primary instrument is
    ``resource_generator_example``.
    unit_costs: the unit-cost table returned with the study (default: the shipped illustrative table).

    Raises ValueError for an argument out of range.
    """
    _check_arguments(sites, teams_per_site, participants_per_team, drop_out, instrument_missing)
    catalogue = catalogue or load_shipped()
    unit_costs = unit_costs or load_unit_costs(DATA_DIR / UNIT_COSTS_FILE)
    rng = np.random.default_rng(seed)

    # Sites, teams and allocation ---------------------------------------------------------------------------
    site_ids = [f"S{s + 1:02d}" for s in range(sites)]
    team_site: list[str] = []
    team_arm: list[str] = []
    spare = int(rng.integers(2))  # which arm the first site's spare team (odd teams per site) goes to
    for s, site in enumerate(site_ids):
        arms = [ARMS[i % 2] for i in range(teams_per_site - teams_per_site % 2)]
        if teams_per_site % 2:
            arms.append(ARMS[(spare + s) % 2])
        team_site += [site] * teams_per_site
        team_arm += [arms[i] for i in rng.permutation(teams_per_site)]
    n_teams = len(team_site)
    team_ids = [f"{site}-T{i % teams_per_site + 1:02d}" for i, site in enumerate(team_site)]
    intervention_team = np.array([arm == "intervention" for arm in team_arm])
    fidelity = np.where(
        intervention_team,
        rng.normal(FIDELITY_MEAN["intervention"], FIDELITY_SD, n_teams),
        rng.normal(FIDELITY_MEAN["control"], FIDELITY_SD, n_teams),
    )
    fidelity = np.clip(np.rint(fidelity), 0, FIDELITY_MAXIMUM)

    # Participants -------------------------------------------------------------------------------------------
    n = n_teams * participants_per_team
    team = np.repeat(np.arange(n_teams), participants_per_team)
    site = np.repeat(np.arange(sites), teams_per_site * participants_per_team)
    treated = intervention_team[team]
    common = rng.normal(size=n)  # one person-level factor behind all the outcomes

    def cluster_effects(sd: float) -> np.ndarray:
        """Site plus team effects for each participant, the site part a third of the variance."""
        return (
            (rng.normal(0, sd * math.sqrt(1 / 3), sites)[site])
            + rng.normal(0, sd * math.sqrt(2 / 3), n_teams)[team]
        )

    # Primary: resource generator total, scaled to the instrument's item count (8 in the shipped example).
    primary = catalogue.get(PRIMARY_INSTRUMENT)
    n_items = len(primary.items)
    unit = n_items / 8
    middle = 0.44 * n_items
    baseline_latent = (
        middle + cluster_effects(0.3 * unit) + 1.5 * unit * (0.6 * common + 0.8 * rng.normal(size=n))
    )
    team_effect = np.where(intervention_team, effect * fidelity / FIDELITY_MEAN["intervention"], 0.0)
    follow_up_without = (
        middle
        + 0.3 * unit
        + 0.6 * (baseline_latent - middle)
        + cluster_effects(0.3 * unit)
        + 1.1 * unit * rng.normal(size=n)
    )
    follow_up_with = follow_up_without + team_effect[team]
    primary_baseline = _bounded(baseline_latent, 0, n_items)
    primary_follow_up = np.where(
        treated, _bounded(follow_up_with, 0, n_items), _bounded(follow_up_without, 0, n_items)
    )
    # The effect on the observed (rounded, bounded) score: the average change if every participant gained
    # `effect` points (less than `effect` only where the scale's floor or ceiling cuts it short).
    realised = float(
        np.mean(_bounded(follow_up_without + effect, 0, n_items) - _bounded(follow_up_without, 0, n_items))
    )

    # Drop-out: missing at random given the observed baseline primary score.
    z = (primary_baseline - primary_baseline.mean()) / (primary_baseline.std() or 1.0)
    intercept = _logit_intercept(z, slope=-0.5, target=drop_out)
    dropped = rng.random(n) < _expit(intercept - 0.5 * z)
    withdrew = dropped & (rng.random(n) < 0.25)
    missing_reason = np.where(withdrew, "withdrew", np.where(dropped, "lost to follow-up", ""))
    follow_up_day = FOLLOW_UP_DAYS + rng.integers(-14, 29, size=n)

    # Secondary latent scores (standard deviation 1), better = higher for well-being, goals and health.
    def latent_pair(weight: float) -> tuple[np.ndarray, np.ndarray]:
        before = weight * common + math.sqrt(1 - weight**2) * rng.normal(size=n) + cluster_effects(0.25)
        after = 0.6 * before + 0.8 * rng.normal(size=n) + cluster_effects(0.25) + secondary_effect * treated
        return before, after

    wellbeing = latent_pair(0.6)
    loneliness = latent_pair(0.5)  # higher = less lonely here; reversed into answers below
    health = latent_pair(0.5)
    goals_latent = 0.4 * common + cluster_effects(0.3) + rng.normal(size=n) * 0.9 + secondary_effect * treated

    participant_ids = [f"{team_ids[t]}-P{i % participants_per_team + 1:03d}" for i, t in enumerate(team)]
    attended = {BASELINE: np.ones(n, dtype=bool), FOLLOW_UP: ~dropped}
    days = {BASELINE: np.zeros(n, dtype=np.int64), FOLLOW_UP: follow_up_day}

    scores: list[dict[str, Any]] = []
    answers: list[dict[str, Any]] = []

    def record(
        instrument: Instrument, timepoint: str, items: np.ndarray, present: np.ndarray, **options: Any
    ) -> None:
        rows = np.flatnonzero(present)
        result = score_batch(instrument, items[rows], validate=False, **options)
        score_name = MEASURES[instrument.id]
        values = result.total if score_name == "total" else result.derived[score_name]
        measure = f"{instrument.id}.{score_name}"
        for position, i in enumerate(rows.tolist()):
            value = values[position]
            scores.append(
                {
                    "participant": participant_ids[i],
                    "timepoint": timepoint,
                    "day": int(days[timepoint][i]),
                    "measure": measure,
                    "value": None if math.isnan(value) else float(value),
                }
            )
            row = items[i]
            answers.append(
                {
                    "participant": participant_ids[i],
                    "timepoint": timepoint,
                    "day": int(days[timepoint][i]),
                    "instrument": instrument.id,
                    "version": instrument.version,
                    "answers": [int(a) for a in row[~np.isnan(row)]]
                    if instrument.repeat
                    else [int(a) for a in row],
                }
            )

    def present(timepoint: str) -> np.ndarray:
        return attended[timepoint] & (rng.random(n) >= instrument_missing)

    for timepoint, stage in ((BASELINE, 0), (FOLLOW_UP, 1)):
        record(
            primary,
            timepoint,
            _resource_answers(primary, (primary_baseline, primary_follow_up)[stage], rng),
            attended[timepoint],
        )
        record(
            catalogue.get(SWEMWBS),
            timepoint,
            _likert(wellbeing[stage], 7, 1, 5, 2.7, 0.85, rng),
            present(timepoint),
        )
        record(
            catalogue.get(UCLA3),
            timepoint,
            _likert(-loneliness[stage], 3, 1, 3, 2.0, 0.6, rng),
            present(timepoint),
        )
        eq5d = catalogue.get(EQ5D)
        record(eq5d, timepoint, _eq5d_answers(health[stage], rng), present(timepoint), value_set=value_set)
    gas = catalogue.get(GAS)
    record(gas, FOLLOW_UP, _goal_answers(gas, goals_latent, rng), present(FOLLOW_UP))

    # Service use ------------------------------------------------------------------------------------------
    csri = catalogue.get(CSRI)
    service_use: list[dict[str, Any]] = []
    for timepoint, stage in ((BASELINE, 0), (FOLLOW_UP, 1)):
        multiplier = np.exp(-0.35 * health[stage] + rng.normal(0, 0.3, n))
        if stage:
            multiplier = multiplier * np.where(treated, 1 + cost_effect, 1.0)
        units = _service_units(csri, multiplier, rng)
        has = present(timepoint)
        for i in np.flatnonzero(has).tolist():
            for service, count in zip(csri.item_ids, units[i].tolist(), strict=True):
                service_use.append(
                    {
                        "participant": participant_ids[i],
                        "timepoint": timepoint,
                        "service": service,
                        "units": int(count),
                    }
                )
            answers.append(
                {
                    "participant": participant_ids[i],
                    "timepoint": timepoint,
                    "day": int(days[timepoint][i]),
                    "instrument": csri.id,
                    "version": csri.version,
                    "answers": [int(u) for u in units[i]],
                }
            )

    teams = [{"team": team_ids[t], "site": team_site[t], "arm": team_arm[t]} for t in range(n_teams)]
    participants = [
        {
            "participant": participant_ids[i],
            "site": site_ids[site[i]],
            "team": team_ids[team[i]],
            "arm": team_arm[team[i]],
            "missing_reason": missing_reason[i] or None,
        }
        for i in range(n)
    ]
    fidelity_rows = [
        {"team": team_ids[t], "scale": FIDELITY_SCALE, "timepoint": FOLLOW_UP, "score": float(fidelity[t])}
        for t in range(n_teams)
    ]
    parameters = {
        "sites": sites,
        "teams_per_site": teams_per_site,
        "participants_per_team": participants_per_team,
        "effect": effect,
        "seed": seed,
        "secondary_effect": secondary_effect,
        "cost_effect": cost_effect,
        "drop_out": drop_out,
        "instrument_missing": instrument_missing,
        "value_set": value_set,
    }
    truth = {
        "primary_measure": PRIMARY_MEASURE,
        "effect": effect,
        "realised_effect": realised,
        "effect_note": (
            "effect: gain in the six-month score at the average intervention fidelity (40 of 64); each "
            "intervention team's effect is effect × its fidelity / 40. realised_effect: the average change in "
            "the observed (rounded, bounded) score had every participant gained effect points."
        ),
        "primary_items": n_items,
        "drop_out_expected": drop_out,
        "drop_out_observed": float(dropped.mean()),
        "baseline": BASELINE,
        "follow_up": FOLLOW_UP,
        "unit_costs": unit_costs.id,
        "price_year": unit_costs.price_year,
    }
    return SimulatedStudy(
        parameters=parameters,
        truth=truth,
        teams=teams,
        participants=participants,
        scores=scores,
        answers=answers,
        service_use=service_use,
        fidelity=fidelity_rows,
        unit_costs=unit_costs,
    )


# ------------------------------------------------------------------------------------------------- helpers


def _check_arguments(sites: int, teams_per_site: int, per_team: int, drop_out: float, missing: float) -> None:
    if not isinstance(sites, int) or sites < 1:
        raise ValueError("sites must be a whole number, 1 or more")
    if not isinstance(teams_per_site, int) or teams_per_site < 2:
        raise ValueError("teams_per_site must be a whole number, 2 or more (one team per arm in every site)")
    if not isinstance(per_team, int) or per_team < 1:
        raise ValueError("participants_per_team must be a whole number, 1 or more")
    if not 0 <= drop_out <= 0.9:
        raise ValueError("drop_out must be between 0 and 0.9")
    if not 0 <= missing <= 0.5:
        raise ValueError("instrument_missing must be between 0 and 0.5")


def _bounded(latent: np.ndarray, low: int, high: int) -> np.ndarray:
    return np.clip(np.rint(latent), low, high)


def _expit(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


def _logit_intercept(z: np.ndarray, *, slope: float, target: float) -> float:
    """The intercept that makes the mean drop-out probability equal the target (bisection)."""
    if target <= 0:
        return -np.inf
    low, high = -30.0, 30.0
    for _ in range(100):
        middle = (low + high) / 2
        if np.mean(_expit(middle + slope * z)) < target:
            low = middle
        else:
            high = middle
    return (low + high) / 2


def _likert(
    latent: np.ndarray, items: int, low: int, high: int, centre: float, loading: float, rng
) -> np.ndarray:
    """Item codes from a latent score: centre + loading × latent + item noise, rounded into [low, high]."""
    raw = centre + loading * latent[:, None] + rng.normal(0, 0.7, (latent.size, items))
    return np.clip(np.rint(raw), low, high).astype(np.float64)


def _resource_answers(instrument: Instrument, totals: np.ndarray, rng) -> np.ndarray:
    """Answers whose count of items with access equals `totals`: random items, random source codes."""
    sources = instrument.scoring.parameters["sources"]
    access = sorted({code for codes in sources.values() for code in codes})
    no_one = [code for code in instrument.items[0].code_values if code not in access]
    n, k = totals.size, len(instrument.items)
    order = np.argsort(rng.random((n, k)), axis=1)
    ranks = np.argsort(order, axis=1)
    reached = ranks < totals[:, None]
    codes = np.array(access, dtype=np.float64)[rng.integers(len(access), size=(n, k))]
    return np.where(reached, codes, float(no_one[0]))


def _eq5d_answers(health: np.ndarray, rng) -> np.ndarray:
    """EQ-5D-5L levels (mobility, self-care, usual activities, pain, anxiety/depression) and the VAS."""
    typical = np.array([1.6, 1.3, 2.1, 2.0, 2.6])  # anxiety and low mood are the commonest problems here
    levels = np.clip(np.rint(typical - 0.8 * health[:, None] + rng.normal(0, 0.7, (health.size, 5))), 1, 5)
    vas = np.clip(np.rint(60 + 15 * health + rng.normal(0, 10, health.size)), 0, 100)
    return np.column_stack([levels, vas]).astype(np.float64)


def _goal_answers(instrument: Instrument, latent: np.ndarray, rng) -> np.ndarray:
    """One to five goals each, scored −2 … +2 around the person's latent attainment; padded with NaN."""
    n, width = latent.size, min(5, instrument.repeat.maximum)
    goals = rng.integers(1, width + 1, size=n)
    scores = np.clip(np.rint(0.1 + 0.8 * latent[:, None] + rng.normal(0, 0.8, (n, width))), -2, 2)
    scores[np.arange(width)[None, :] >= goals[:, None]] = np.nan
    return scores


def _service_units(instrument: Instrument, multiplier: np.ndarray, rng) -> np.ndarray:
    """Units of each CSRI service in three months, in the instrument's item order, within each item's range."""
    n = multiplier.size
    columns = []
    for item in instrument.items:
        if item.id == INPATIENT:
            admitted = rng.random(n) < np.minimum(ADMISSION_PROBABILITY * multiplier, 0.9)
            nights = 1 + rng.poisson(rng.gamma(1.0, MEAN_NIGHTS, n))
            units = np.where(admitted, nights, 0)
        else:
            mean, shape = SERVICE_RATES.get(item.id, (0.5, 0.5))
            units = rng.poisson(rng.gamma(shape, mean * multiplier / shape))
        columns.append(np.minimum(units, item.range.maximum))
    return np.column_stack(columns).astype(np.int64)
