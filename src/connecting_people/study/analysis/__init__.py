"""Study analysis: pure functions over plain rows (no Django). The study app loads rows and calls `analyse`.

* ``analyse(participants=..., scores=..., service_use=..., fidelity=..., unit_costs=..., plan=...)``: the
  whole analysis as a JSON-ready dict (``results.py``).
* ``AnalysisPlan`` and ``Outcome``: what is analysed and how (``plan.py``).
* The parts, for callers that want one: ``outcome_effect`` (intention to treat, ``outcomes.py``),
  ``fidelity_outcome`` (``fidelity.py``), ``cost_effectiveness``, ``qalys``, ``participant_costs``, ``icer``
  (``economics.py``), ``study_data`` (rows checked into tables, ``data.py``).
* Errors: ``StudyDataError``, ``TooFewToAnalyse``, ``MissingUnitCost`` (``errors.py``).

Methods, result keys and refusal rules: docs/study-analysis.md.
"""

from .data import StudyData, study_data
from .economics import cost_effectiveness, icer, participant_costs, qalys
from .errors import MissingUnitCost, StudyDataError, TooFewToAnalyse
from .fidelity import fidelity_outcome
from .outcomes import outcome_effect
from .plan import PRIMARY, SECONDARY, AnalysisPlan, Outcome
from .results import SCHEMA, analyse

__all__ = [
    "PRIMARY",
    "SCHEMA",
    "SECONDARY",
    "AnalysisPlan",
    "MissingUnitCost",
    "Outcome",
    "StudyData",
    "StudyDataError",
    "TooFewToAnalyse",
    "analyse",
    "cost_effectiveness",
    "fidelity_outcome",
    "icer",
    "outcome_effect",
    "participant_costs",
    "qalys",
    "study_data",
]
