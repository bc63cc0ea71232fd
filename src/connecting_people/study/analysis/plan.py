"""What the analysis does: the outcomes, timepoints and settings, with the project's defaults.

The defaults name the measures the way the study app and the simulation name them: ``"<instrument id>.<score>"``
(``resource_generator_example.total``, ``swemwbs.metric``, ``ucla3.total``, ``gas.t_score``,
``eq5d5l.index``). A study that uses other instruments (the validated Resource Generator-UK, say) passes a plan
of its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Outcome:
    """One outcome measure.

    measure: the measure key in the score rows.
    label: how it is named in results and reports.
    higher_is_better: for wording only (loneliness: False).
    adjust_for_baseline: None (default) adjusts when the data hold baseline values for this measure and says
    so when they do not (goal attainment is only rated at follow-up); True insists; False never adjusts.
    """

    measure: str
    label: str
    higher_is_better: bool = True
    adjust_for_baseline: bool | None = None


PRIMARY = Outcome("resource_generator_example.total", "Access to social capital (resource generator total)")
SECONDARY = (
    Outcome("swemwbs.metric", "Mental well-being (SWEMWBS metric score)"),
    Outcome("ucla3.total", "Loneliness (UCLA 3-item total, higher is lonelier)", higher_is_better=False),
    Outcome("gas.t_score", "Goal attainment (GAS T-score)"),
)


@dataclass(frozen=True)
class AnalysisPlan:
    """Settings of one analysis. Same data, same plan (seed included): same numbers.

    baseline, follow_up: the timepoint labels in the score and service-use rows.
    follow_up_days: the nominal days from baseline to follow-up, used for QALYs only when a participant's
    EQ-5D-5L rows carry no day (each such use is counted in the results).
    utility: the measure holding the EQ-5D-5L index.
    fidelity_population: "intervention" (participants of intervention teams) or "all" (every participant,
    with the control teams' fidelity as recorded).
    fidelity_threshold: the fidelity score at or above which a team counts as high fidelity; None = the
    median of the teams' scores in the fidelity population.
    min_teams_per_arm, min_participants_per_arm: below these (in the data an estimate would use) the
    analysis refuses with TooFewToAnalyse. At least 2 teams per arm are always needed: with one, the team
    and the arm cannot be told apart.
    intervention_cost: cost per intervention participant of delivering the intervention (training, time),
    in the unit-cost table's currency and price year, added to their follow-up costs.
    qaly_difference_negligible: an incremental QALY smaller than this (in absolute value) gives no ICER.
    bootstrap_replicates, seed: the cost-effectiveness bootstrap.
    willingness_to_pay: the acceptability curve's thresholds, per QALY.
    confidence: of every interval.
    """

    primary: Outcome = PRIMARY
    secondary: tuple[Outcome, ...] = SECONDARY
    baseline: str = "baseline"
    follow_up: str = "6 months"
    follow_up_days: int = 182
    utility: str = "eq5d5l.index"
    fidelity_population: str = "intervention"
    fidelity_threshold: float | None = None
    min_teams_per_arm: int = 2
    min_participants_per_arm: int = 10
    intervention_cost: float = 0.0
    qaly_difference_negligible: float = 0.0005
    bootstrap_replicates: int = 2000
    seed: int = 2026
    willingness_to_pay: tuple[float, ...] = field(default=tuple(float(x) for x in range(0, 50_001, 1_000)))
    confidence: float = 0.95

    def __post_init__(self) -> None:
        if self.min_teams_per_arm < 2:
            raise ValueError("min_teams_per_arm must be 2 or more: one team per arm confounds team with arm")
        if self.min_participants_per_arm < 2:
            raise ValueError("min_participants_per_arm must be 2 or more")
        if self.fidelity_population not in ("intervention", "all"):
            raise ValueError('fidelity_population must be "intervention" or "all"')
        if self.bootstrap_replicates < 100:
            raise ValueError("bootstrap_replicates must be 100 or more")
        if not 0.5 < self.confidence < 1:
            raise ValueError("confidence must be between 0.5 and 1 (0.95 for 95% intervals)")
        if self.follow_up_days < 1:
            raise ValueError("follow_up_days must be 1 or more")
        if not self.willingness_to_pay or any(w < 0 for w in self.willingness_to_pay):
            raise ValueError("willingness_to_pay must list thresholds of 0 or more")
        measures = [self.primary.measure, *(o.measure for o in self.secondary)]
        if len(set(measures)) != len(measures):
            raise ValueError("each outcome measure may appear only once in the plan")

    def outcomes(self) -> tuple[Outcome, ...]:
        return (self.primary, *self.secondary)
