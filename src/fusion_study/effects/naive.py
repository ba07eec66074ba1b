"""The estimators that mislead under staggered adoption — to show users what they do.

* :func:`twfe_event_study` — two-way fixed effects (unit and period), static
  (one ``post`` coefficient) or dynamic (leads and lags);
* :func:`bacon_decomposition` — Goodman-Bacon (2021): the static TWFE
  coefficient as a weighted average of all 2×2 comparisons, including the
  "forbidden" ones that use already-treated units as controls;
* :func:`naive_before_after` and :func:`naive_treated_vs_untreated` — the
  comparisons a report without a design would make.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from fusion_study.data.checks import check_alpha, require_columns
from fusion_study.effects.staggered import DiDSpecificationError, _add_inference, _numeric_times

__all__ = ["twfe_event_study", "bacon_decomposition", "naive_before_after", "naive_treated_vs_untreated"]


def _prep(data, outcome, unit, time, cohort, extra=()):
    cols = [outcome, unit, time, cohort, *[c for c in extra if c]]
    require_columns(data, cols, what="naive estimators")
    df = data[list(dict.fromkeys(cols))].copy()
    if df[[outcome, unit, time]].isna().any().any():
        raise DiDSpecificationError("missing outcome, unit or time values; drop or impute them first")
    t = _numeric_times(df[time], time)
    g = df[cohort]
    if not pd.api.types.is_numeric_dtype(g):
        gn = np.zeros(len(g))
        ok = g.notna() & (g.astype("string") != "0")
        if ok.any():
            gn[ok.to_numpy()] = _numeric_times(g[ok], cohort)
        g = gn
    else:
        g = g.to_numpy(dtype=float)
    g = np.where(np.isnan(g) | np.isinf(g), 0.0, g)
    return df, t, g


def _demean(a: np.ndarray, codes: np.ndarray, n_groups: int) -> np.ndarray:
    cnt = np.bincount(codes, minlength=n_groups)
    if a.ndim == 1:
        return a - (np.bincount(codes, weights=a, minlength=n_groups) / cnt)[codes]
    means = np.column_stack([np.bincount(codes, weights=a[:, j], minlength=n_groups) for j in range(a.shape[1])])
    return a - (means / cnt[:, None])[codes]


def twfe_event_study(
    data: pd.DataFrame,
    *,
    outcome: str,
    unit: str,
    time: str,
    cohort: str,
    cluster: str | None = None,
    dynamic: bool = False,
    reference: int = -1,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Two-way fixed-effects regression (unit and period effects), cluster-robust SEs.

    Static (``dynamic=False``): ``y ~ post | unit + time`` with post = treated
    and period ≥ cohort. Dynamic: one indicator per event time (period − cohort)
    except ``reference``; never-treated units have all indicators 0. Unit
    effects are absorbed by within-unit demeaning (Frisch–Waugh–Lovell; exact
    for unbalanced panels too); period effects are dummies.

    Standard errors are clustered on ``cluster`` (default: the unit) with the
    small-sample factor ``G/(G-1) · (N-1)/(N-K)``, K = non-absorbed regressors
    + 1 (the unit effects are nested in the clusters and count once, as R
    ``fixest``'s default).

    Returns
    -------
    DataFrame
        ``term`` (``"post"`` or ``"e=<k>"``), ``event_time`` (NaN for post),
        ``estimate``, ``se``, ``ci_lower``, ``ci_upper`` (normal, level
        ``1 - alpha``), ``p_value``, ``n``, ``n_clusters``.

    Validated against
    -----------------
    R ``fixest`` (``feols(lemp ~ post | countyreal + year, cluster=~countyreal)``)
    on ``mpdta``: −0.036549 (0.013265), to 1e-6.
    """
    import statsmodels.api as sm

    check_alpha(alpha)
    df, t, g = _prep(data, outcome, unit, time, cohort, (cluster,))
    ucode, uniq = pd.factorize(df[unit], sort=True)
    tlist = np.unique(t)
    tcode = np.searchsorted(tlist, t)
    cols, names, evt = [], [], []
    if dynamic:
        e = np.where(g > 0, t - g, np.nan)
        for k in np.unique(e[~np.isnan(e)]):
            if k == reference:
                continue
            cols.append((e == k).astype(float))
            names.append(f"e={int(k) if float(k).is_integer() else k}")
            evt.append(k)
    else:
        cols.append(((g > 0) & (t >= g)).astype(float))
        names.append("post")
        evt.append(np.nan)
    n_focus = len(cols)
    for j in range(1, len(tlist)):
        cols.append((tcode == j).astype(float))
    X = _demean(np.column_stack(cols), ucode, len(uniq))
    y = _demean(df[outcome].to_numpy(float), ucode, len(uniq))
    keep = np.abs(X).sum(0) > 1e-12
    if not keep[:n_focus].all():
        raise DiDSpecificationError(
            "a treatment indicator has no within-unit variation (every unit always or never treated)"
        )
    X = X[:, keep]
    cl = pd.factorize(df[cluster] if cluster else df[unit], sort=True)[0]
    G = cl.max() + 1
    if G < 2:
        raise DiDSpecificationError("a single cluster: cluster-robust standard errors need at least two")
    N, K = X.shape[0], X.shape[1] + 1
    fit = sm.OLS(y, X).fit(cov_type="cluster", cov_kwds={"groups": cl, "use_correction": False})
    factor = np.sqrt(G / (G - 1) * (N - 1) / (N - K))
    est = fit.params[:n_focus]
    se = fit.bse[:n_focus] * factor
    out = _add_inference(pd.DataFrame({"term": names, "event_time": evt, "estimate": est, "se": se}), alpha)
    return out.assign(n=N, n_clusters=G)


_BACON_TYPES = {
    "treated_vs_never": "treated vs never treated",
    "earlier_vs_later": "earlier vs later treated (clean)",
    "later_vs_earlier": "later vs earlier treated (forbidden: already-treated controls)",
}


def bacon_decomposition(data: pd.DataFrame, *, outcome: str, unit: str, time: str, cohort: str) -> pd.DataFrame:
    """Goodman-Bacon (2021) decomposition of the static TWFE coefficient.

    Engine: ``diff_diff.BaconDecomposition`` (exact weights) — it matches the
    reference numbers, so it is used as is. Requires a balanced panel.

    Returns
    -------
    DataFrame
        One row per 2×2 comparison: ``type`` (``treated_vs_never``,
        ``earlier_vs_later``, ``later_vs_earlier``), ``treated_group``,
        ``control_group`` (0 = never treated), ``estimate``, ``weight``;
        ``attrs["twfe"]`` holds the TWFE coefficient (= Σ weight × estimate).

    Validated against
    -----------------
    R ``bacondecomp`` weights on ``mpdta`` (shared reference README):
    earlier-vs-later 0.08330, later-vs-earlier 0.05392, treated-vs-never
    0.86277, to 1e-5.
    """
    from diff_diff import BaconDecomposition

    df, t, g = _prep(data, outcome, unit, time, cohort)
    df = df.assign(**{time: t, cohort: g})
    res = BaconDecomposition().fit(df, outcome=outcome, unit=unit, time=time, first_treat=cohort)
    raw = res.to_dataframe()
    out = pd.DataFrame(
        {
            "type": raw["comparison_type"].astype(str),
            "treated_group": raw["treated_group"],
            "control_group": raw["control_group"].replace("never_treated", 0),
            "estimate": raw["estimate"].astype(float),
            "weight": raw["weight"].astype(float),
        }
    )
    for c in ("treated_group", "control_group"):
        out[c] = pd.to_numeric(out[c])
        if np.allclose(out[c], out[c].round()):
            out[c] = out[c].round().astype(int)
    out.attrs["twfe"] = float(res.twfe_estimate)
    return out


def _difference_in_means(a: np.ndarray, b: np.ndarray, name: str, alpha: float) -> pd.DataFrame:
    est = a.mean() - b.mean()
    se = np.sqrt(a.var(ddof=1) / len(a) + b.var(ddof=1) / len(b))
    out = _add_inference(pd.DataFrame({"estimator": [name], "estimate": [est], "se": [se]}), alpha)
    return out.assign(n=len(a) + len(b))


def naive_before_after(
    data: pd.DataFrame, *, outcome: str, time: str, cohort: str, alpha: float = 0.05
) -> pd.DataFrame:
    """Mean outcome of treated units after minus before their treatment — ignores secular trends.

    Returns
    -------
    DataFrame (one row)
        ``estimator``, ``estimate``, ``se`` (Welch, observations independent),
        ``ci_lower``, ``ci_upper`` (normal, level ``1 - alpha``), ``p_value``, ``n``.
    """
    check_alpha(alpha)
    df, t, g = _prep(data, outcome, time, time, cohort)
    y = df[outcome].to_numpy(float)
    tr = g > 0
    a, b = y[tr & (t >= g)], y[tr & (t < g)]
    if len(a) < 2 or len(b) < 2:
        raise DiDSpecificationError("before/after comparison needs treated observations before and after treatment")
    return _difference_in_means(a, b, "naive_before_after", alpha)


def naive_treated_vs_untreated(
    data: pd.DataFrame, *, outcome: str, time: str, cohort: str, alpha: float = 0.05
) -> pd.DataFrame:
    """Mean outcome of treated observations minus never/not-yet-treated ones in the
    same periods after the first rollout — ignores selection into early adoption.

    Returns
    -------
    DataFrame (one row)
        The columns of :func:`naive_before_after`.
    """
    check_alpha(alpha)
    df, t, g = _prep(data, outcome, time, time, cohort)
    y = df[outcome].to_numpy(float)
    treated = (g > 0) & (t >= g)
    after = t >= g[g > 0].min() if (g > 0).any() else np.zeros(len(t), bool)
    a, b = y[treated], y[after & ~treated]
    if len(a) < 2 or len(b) < 2:
        raise DiDSpecificationError("treated-vs-untreated comparison needs treated and untreated observations")
    return _difference_in_means(a, b, "naive_treated_vs_untreated", alpha)
