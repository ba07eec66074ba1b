"""Are member points fair and valid? Tenure/position bias, and whether points predict retailer satisfaction.

Research question 6. Two checks:

* :func:`points_fairness` — member-level OLS of the mean composite (over the
  periods given) on tenure (years since joining the Party), position and party
  role, optionally controlling for an outside performance measure (e.g. the
  leniency-adjusted 360 score). Points that track tenure or position *beyond
  performance* suggest seniority, not work, drives the horse race. SEs clustered
  by branch.
* :func:`points_predict_satisfaction` — retailers nested in branches: a linear
  mixed model (statsmodels ``MixedLM``, random branch intercept) of each
  retailer's satisfaction in a wave on its serving branch's mean member
  composite in that period, with wave fixed effects.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.tools.sm_exceptions import ConvergenceWarning

from fusion_study.data.checks import check_alpha, critical_value, require_columns
from fusion_study.data.periods import period_number
from fusion_study.data.tidy import model_terms
from fusion_study.measurement.scores import satisfaction_score

__all__ = ["points_fairness", "points_predict_satisfaction"]


def points_fairness(
    profiles: pd.DataFrame,
    members: pd.DataFrame,
    *,
    performance: pd.Series | None = None,
    reference_year: int | None = None,
    cluster: str = "branch_id",
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Do points track tenure or position beyond performance?

    Parameters
    ----------
    profiles : output of :func:`member_profiles`.
    members : the ``members`` table (member_id, branch_id, role, position, joined_year).
    performance : optional Series indexed by member_id (e.g. mean adjusted 360 score),
        standardised and entered as a control.
    reference_year : tenure = reference_year − joined_year; default the last profile year.
    cluster : column of ``members`` the SEs are clustered by (default the party branch).
    alpha : 1 − confidence level.

    Returns
    -------
    One row per term (``tenure_10y`` per 10 years of Party membership, position
    and role contrasts against the most common category, ``performance_sd`` if
    given): ``term, estimate, se, ci_lower, ci_upper, p_value, n, n_clusters,
    n_excluded`` (members with points left out for an incomplete member record or
    missing performance); the outcome is the member's mean composite z-score. SEs
    clustered by ``cluster`` (statsmodels OLS ``cov_type="cluster"``).
    """
    import statsmodels.formula.api as smf

    check_alpha(alpha)
    need = list(dict.fromkeys(["member_id", cluster, "role", "position", "joined_year"]))
    require_columns(members, need, what="points_fairness", table="members")
    require_columns(profiles, ["member_id", "period", "composite"], what="points_fairness (member_profiles output)")
    m = profiles.groupby("member_id", observed=True)["composite"].mean().rename("composite").reset_index()
    d = m.merge(members[need], on="member_id", how="inner")
    if reference_year is None:
        reference_year = int(str(profiles["period"].max())[:4])
    d["tenure_10y"] = (reference_year - pd.to_numeric(d["joined_year"], errors="coerce")) / 10.0
    n_scored = len(m)
    d = d.dropna(subset=["composite", "tenure_10y", "position", "role"])
    for c in ("position", "role"):
        d[c] = d[c].astype(str)
    ref_pos = d["position"].value_counts().index[0]
    ref_role = d["role"].value_counts().index[0]
    formula = (
        f"composite ~ tenure_10y + C(position, Treatment(reference={ref_pos!r}))"
        f" + C(role, Treatment(reference={ref_role!r}))"
    )
    if performance is not None:
        perf = pd.to_numeric(d["member_id"].map(performance), errors="coerce")
        d["performance_sd"] = (perf - perf.mean()) / perf.std(ddof=1)
        d = d.dropna(subset=["performance_sd"])
        formula += " + performance_sd"
    if len(d) < 10:
        raise ValueError(f"points_fairness: only {len(d)} members with points and complete member records")
    groups = pd.factorize(d[cluster].astype(str))[0]
    fit = smf.ols(formula, data=d).fit(cov_type="cluster", cov_kwds={"groups": groups})
    names = [n for n in fit.params.index if n != "Intercept"]
    out = model_terms(fit, names, alpha=alpha).assign(n_clusters=int(groups.max() + 1))
    out["n_excluded"] = n_scored - len(d)
    out["term"] = (
        out["term"]
        .str.replace(r"C\(position, Treatment\(reference='[^']*'\)\)\[T\.(.*)\]", r"position: \1", regex=True)
        .str.replace(r"C\(role, Treatment\(reference='[^']*'\)\)\[T\.(.*)\]", r"role: \1", regex=True)
    )
    return out


def points_predict_satisfaction(
    profiles: pd.DataFrame,
    members: pd.DataFrame,
    survey: pd.DataFrame,
    customers: pd.DataFrame,
    *,
    codebook: pd.DataFrame | None = None,
    items: list[str] | None = None,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Multilevel check: do a branch's member points predict its retailers' satisfaction?

    Model (retailer response *j* in branch *b*, wave *w*)::

        sat_jbw = β0 + β · points_bw + γ_w + u_b + e_jbw,   u_b ~ N(0, τ²)

    ``points_bw`` is the branch's mean member composite in that quarter,
    standardised across branch-quarters (β = satisfaction points per SD).
    ``sat`` is the 0–100 satisfaction score (:func:`fusion_study.measurement.scores.satisfaction_score`).
    Fitted by REML with statsmodels ``MixedLM``; the SE is from
    ``(X' V⁻¹ X)⁻¹`` at the REML variance estimates, as lme4's ``vcov``.

    Validated against R lme4 1.1 ``lmer(sat ~ bps + factor(wave) + (1 | branch))``:
    coefficient and SE to 1e-5, variance components to 1e-4 relative.

    Returns
    -------
    One row: ``term`` (``branch_points_sd``), ``estimate, se, ci_lower, ci_upper``
    (normal, ``1 - alpha``), ``p_value, n, n_branches, branch_variance, residual_variance``.
    """
    import statsmodels.formula.api as smf

    z = critical_value(alpha)
    what = "points_predict_satisfaction"
    require_columns(survey, ["customer_id", "wave"], what=what, table="customer_survey")
    require_columns(customers, ["customer_id", "branch_id"], what=what, table="customers")
    require_columns(members, ["member_id", "branch_id"], what=what, table="members")
    s = survey[["customer_id", "wave"]].copy()
    s["sat"] = satisfaction_score(survey, codebook=codebook, items=items).to_numpy()
    s = s.merge(customers[["customer_id", "branch_id"]], on="customer_id", how="inner")
    bp = (
        profiles.merge(members[["member_id", "branch_id"]], on="member_id", how="inner")
        .groupby(["branch_id", "period"], observed=True)["composite"]
        .mean()
        .rename("branch_points")
        .reset_index()
    )
    bp["branch_points_sd"] = (bp["branch_points"] - bp["branch_points"].mean()) / bp["branch_points"].std(ddof=1)
    d = s.merge(bp, left_on=["branch_id", "wave"], right_on=["branch_id", "period"], how="inner").dropna(
        subset=["sat", "branch_points_sd"]
    )
    if d["branch_id"].nunique() < 5:
        raise ValueError(
            f"points_predict_satisfaction: only {d['branch_id'].nunique()} branches with both points and survey "
            "responses in the same quarter; need at least 5"
        )
    d["wave_fe"] = np.asarray(period_number(d["wave"].astype("string"))).astype(int).astype(str)
    d["branch_id"] = d["branch_id"].astype(str)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # statsmodels' retry chatter; convergence is checked below
        fit = smf.mixedlm("sat ~ branch_points_sd + C(wave_fe)", d, groups=d["branch_id"]).fit(reml=True, method=["powell", "lbfgs"])
    if not fit.converged:
        warnings.warn(
            "points_predict_satisfaction: the mixed model did not converge; treat the estimate with caution",
            ConvergenceWarning,
            stacklevel=2,
        )
    est = float(fit.fe_params["branch_points_sd"])
    tau2, sigma2 = float(fit.cov_re.iloc[0, 0]), float(fit.scale)
    # fixed-effect covariance (X' V^-1 X)^-1 at the REML variance estimates, as lme4's vcov()
    X = np.asarray(fit.model.exog, dtype=float)
    g = pd.factorize(d["branch_id"])[0]
    ng = np.bincount(g).astype(float)
    colsum = np.zeros((len(ng), X.shape[1]))
    np.add.at(colsum, g, X)
    w = tau2 / (sigma2 + ng * tau2)
    info = (X.T @ X - (colsum * w[:, None]).T @ colsum) / sigma2
    cov = np.linalg.inv(info)
    j = list(fit.model.exog_names).index("branch_points_sd")
    se = float(np.sqrt(cov[j, j]))
    return pd.DataFrame(
        {
            "term": ["branch_points_sd"],
            "estimate": [est],
            "se": [se],
            "ci_lower": [est - z * se],
            "ci_upper": [est + z * se],
            "p_value": [2 * stats.norm.sf(abs(est / se))],
            "n": [int(fit.nobs)],
            "n_branches": [d["branch_id"].nunique()],
            "branch_variance": [float(fit.cov_re.iloc[0, 0])],
            "residual_variance": [float(fit.scale)],
        }
    )
