"""The two regressions every outcome gets: a linear mixed model and cluster-robust least squares.

Inputs are numpy arrays: the outcome ``y`` (n,), the design ``X`` (n, p) with an intercept column first, and
``clusters`` (n,) of integer team codes. ``term`` is the column whose coefficient is wanted (the arm, or
fidelity). Each function returns a JSON-ready dict with the estimate, its standard error, interval and p.

Small numbers of teams: both use the t distribution rather than the normal. The mixed model uses
``teams − 2`` degrees of freedom (the "between-within" rule for a team-level term with an intercept); the
cluster-robust regression uses ``teams − 1`` (the usual rule, with statsmodels' small-sample correction of the
sandwich). With 100 teams both are within a hair of the normal; with 10 they widen the interval as they
should.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import statsmodels.api as sm
from scipy import stats
from statsmodels.regression.mixed_linear_model import MixedLM

OPTIMISERS = ("powell", "nm", "lbfgs")
MIXED_METHOD = (
    "Linear mixed model (statsmodels MixedLM, REML) with a random intercept for team; t-based interval and "
    "p with teams − 2 degrees of freedom."
)
ROBUST_METHOD = (
    "Ordinary least squares with cluster-robust (sandwich) standard errors by team, small-sample corrected; "
    "t-based interval and p with teams − 1 degrees of freedom."
)


def t_interval(estimate: float, se: float, df: float, confidence: float) -> tuple[float, float, float]:
    """(low, high, two-sided p) from an estimate, its standard error and degrees of freedom."""
    if not (math.isfinite(se) and se > 0):
        return math.nan, math.nan, math.nan
    quantile = stats.t.ppf(0.5 + confidence / 2, df)
    p = 2 * stats.t.sf(abs(estimate / se), df)
    return estimate - quantile * se, estimate + quantile * se, float(p)


def mixed_model(y: np.ndarray, X: np.ndarray, clusters: np.ndarray, *, term: int, confidence: float) -> dict:
    """Random-intercept model y = Xβ + u_team + e, fitted by REML. Returns the `term` coefficient.

    Keys: estimate, se, ci_low, ci_high, p, df, converged, team_variance, residual_variance, icc, method,
    notes (plain-English warnings: a between-team variance estimated at zero, a fit that did not converge).
    A fit that fails or does not converge gives None for the numbers and says why in notes.
    """
    teams = int(np.unique(clusters).size)
    df = teams - 2
    notes: list[str] = []
    fitted, messages, failure = _fit_mixed(y, X, clusters, term)
    if fitted is None:
        return _not_estimated(MIXED_METHOD, df, failure)
    team_variance = float(np.asarray(fitted.cov_re)[0, 0])
    residual_variance = float(fitted.scale)
    if any("boundary" in m for m in messages) or team_variance <= 1e-6 * residual_variance:
        notes.append(
            "The between-team variance was estimated at (or next to) zero: teams differed no more than chance "
            "would make them, and the model is close to ordinary regression."
        )
    estimate = float(fitted.fe_params[term])
    se = float(fitted.bse_fe[term])
    low, high, p = t_interval(estimate, se, df, confidence)
    total = team_variance + residual_variance
    return {
        "estimate": estimate,
        "se": se,
        "ci_low": low,
        "ci_high": high,
        "p": p,
        "df": df,
        "converged": True,
        "team_variance": team_variance,
        "residual_variance": residual_variance,
        "icc": team_variance / total if total > 0 else None,
        "method": MIXED_METHOD,
        "notes": notes,
    }


def _fit_mixed(y: np.ndarray, X: np.ndarray, clusters: np.ndarray, term: int):
    """Fit with each optimiser in turn until one converges to a usable answer.

    Powell first: the gradient methods (statsmodels' default) often stop short, or converge to nonsense,
    when the between-team variance is near zero, which is common with few teams. The fit has one free
    parameter (the team variance; fixed effects and scale are profiled out), so a derivative-free search is
    quick and lands on the REML optimum, boundary included.
    """
    failure = "The mixed model did not converge, so it gives no estimate: see the cluster-robust analysis."
    for method in OPTIMISERS:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                fitted = MixedLM(y, X, groups=clusters).fit(reml=True, method=method)
            except (np.linalg.LinAlgError, ValueError) as error:
                failure = f"The mixed model could not be fitted ({error})."
                continue
            se = float(fitted.bse_fe[term])
        messages = {str(w.message) for w in caught}
        if fitted.converged and math.isfinite(float(fitted.fe_params[term])) and math.isfinite(se) and se > 0:
            return fitted, messages, ""
    return None, set(), failure


def cluster_robust(
    y: np.ndarray, X: np.ndarray, clusters: np.ndarray, *, term: int, confidence: float
) -> dict:
    """OLS with a sandwich variance clustered by team. Returns the `term` coefficient (keys as mixed_model)."""
    teams = int(np.unique(clusters).size)
    df = teams - 1
    try:
        fitted = sm.OLS(y, X).fit(cov_type="cluster", cov_kwds={"groups": clusters})
    except (np.linalg.LinAlgError, ValueError) as error:
        return _not_estimated(ROBUST_METHOD, df, f"The regression could not be fitted ({error}).")
    estimate = float(fitted.params[term])
    se = float(fitted.bse[term])
    low, high, p = t_interval(estimate, se, df, confidence)
    return {
        "estimate": estimate,
        "se": se,
        "ci_low": low,
        "ci_high": high,
        "p": p,
        "df": df,
        "method": ROBUST_METHOD,
        "notes": [],
    }


def _not_estimated(method: str, df: int, note: str) -> dict:
    return {
        "estimate": None,
        "se": None,
        "ci_low": None,
        "ci_high": None,
        "p": None,
        "df": df,
        "converged": False,
        "method": method,
        "notes": [note],
    }
