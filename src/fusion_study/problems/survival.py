"""Generic right-censored survival statistics: Kaplan–Meier with R-style bands and medians, clustered Cox.

These functions take a plain DataFrame and column names; :mod:`fusion_study.problems.tickets`
turns the 急难愁盼 ticket table into such a frame.

Conventions follow R ``survival`` (Therneau) so results can be compared number for
number:

* survival probabilities (product limit) and Greenwood standard errors are
  computed directly, vectorised over event times; they equal statsmodels
  ``SurvfuncRight``'s ``surv_prob`` and ``surv_prob_se`` (tested). The pointwise
  confidence band uses R's ``conf.type``
  transforms — ``"log"`` (R's default: ``exp(log S ± z·se(log S))``), ``"log-log"``
  and ``"plain"``. statsmodels' own quantile CI defaults to a cloglog transform,
  which is R's ``"log-log"``, *not* R's default — so we compute bands explicitly.
* the median (and any quantile) is the first event time at which the curve drops
  to or below ``p``; when the curve sits exactly on ``p`` over a flat stretch the
  midpoint of that stretch is reported (as R ``quantile.survfit``). The CI of the
  median is read off the pointwise band the same way (lower limit where the lower
  band reaches p, upper limit where the upper band does); an unreached limit is ``NaN``.
* Cox regression uses statsmodels ``PHReg`` with Breslow ties (R ``ties="breslow"``);
  the cluster-robust variance is the grouped sandwich without small-sample factor,
  as R ``coxph(... + cluster(g))``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["kaplan_meier", "km_quantile", "cox_clustered", "CONF_TYPES"]

#: pointwise CI transforms, named as R survfit's ``conf.type``
CONF_TYPES = ("log", "log-log", "plain")

_EPS = 1e-9


def _check_columns(data: pd.DataFrame, columns: list[str], what: str) -> None:
    missing = [c for c in columns if c not in data.columns]
    if missing:
        raise ValueError(f"{what}: column(s) {missing} not found; the data has {list(data.columns)}")


def _prepare(data: pd.DataFrame, time: str, event: str, what: str) -> tuple[np.ndarray, np.ndarray]:
    _check_columns(data, [time, event], what)
    t = pd.to_numeric(data[time], errors="coerce").to_numpy(dtype=float)
    e = pd.to_numeric(data[event], errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(t) | ~np.isfinite(e)
    if bad.any():
        row = data.index[np.flatnonzero(bad)[0]]
        raise ValueError(f"{what}: {int(bad.sum())} row(s) with missing {time!r} or {event!r} (first at row {row!r})")
    if (t < 0).any():
        row = data.index[np.flatnonzero(t < 0)[0]]
        raise ValueError(f"{what}: negative {time!r} at row {row!r}; times must be >= 0")
    if not np.isin(e, (0, 1)).all():
        raise ValueError(f"{what}: {event!r} must be 0 (censored) or 1 (event)")
    return t, e


def _km_one(t: np.ndarray, e: np.ndarray, conf_type: str, alpha: float) -> pd.DataFrame:
    """Kaplan–Meier at the distinct event times of one group (Greenwood variance)."""
    times, n_event = np.unique(t[e == 1], return_counts=True)
    n_event = n_event.astype(float)
    n_risk = (len(t) - np.searchsorted(np.sort(t), times, side="left")).astype(float)
    surv = np.cumprod(1.0 - n_event / n_risk)
    with np.errstate(divide="ignore", invalid="ignore"):
        # Greenwood: var(log S) = sum d / (n (n - d)); R's survfit std.err of the cumulative hazard
        gw = np.cumsum(n_event / (n_risk * (n_risk - n_event)))
        se_log = np.sqrt(gw)
        std_err = surv * se_log
        z = stats.norm.ppf(1 - alpha / 2)
        if conf_type == "log":
            lower = surv * np.exp(-z * se_log)
            upper = np.minimum(surv * np.exp(z * se_log), 1.0)
        elif conf_type == "log-log":
            # R: se(log(-log S)) = se(log S) / |log S|
            xx = np.log(-np.log(surv))
            sel = se_log / np.abs(np.log(surv))
            lower = np.exp(-np.exp(xx - z * sel))
            upper = np.exp(-np.exp(xx + z * sel))
            lower, upper = np.minimum(lower, upper), np.maximum(lower, upper)
        else:  # plain
            lower = np.maximum(surv - z * std_err, 0.0)
            upper = np.minimum(surv + z * std_err, 1.0)
    zero = surv <= 0
    lower = np.where(zero, np.nan, lower)
    upper = np.where(zero, np.nan, upper)
    return pd.DataFrame(
        {
            "time": times,
            "n_risk": n_risk.astype(int),
            "n_event": n_event.astype(int),
            "surv": surv,
            "std_err": std_err,
            "lower": lower,
            "upper": upper,
        }
    )


def _groups(data: pd.DataFrame, by: str | list[str] | None):
    if by is None:
        yield (), data
        return
    cols = [by] if isinstance(by, str) else list(by)
    _check_columns(data, cols, "grouping")
    for key, sub in data.groupby(cols, sort=True, observed=True, dropna=False):
        yield (key if isinstance(key, tuple) else (key,)), sub


def kaplan_meier(
    data: pd.DataFrame,
    *,
    time: str = "time",
    event: str = "event",
    by: str | list[str] | None = None,
    conf_type: str = "log",
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Kaplan–Meier survival curve(s) at each distinct event time.

    Parameters
    ----------
    data : one row per subject.
    time, event : duration column (>= 0) and event indicator (1 event, 0 censored).
    by : optional grouping column(s); one curve per group.
    conf_type : pointwise CI transform, one of ``"log"`` (R default), ``"log-log"``, ``"plain"``.
    alpha : 1 − confidence level.

    Returns
    -------
    DataFrame with the grouping columns, then ``time, n_risk, n_event, surv,
    std_err`` (Greenwood SE of S), ``lower, upper``.

    Validated against R survival 3.5 ``summary(survfit(..., conf.type=...))`` on
    ``veteran`` and a tied clustered dataset, all three conf types, to 1e-6 relative.

    Examples
    --------
    >>> d = pd.DataFrame({"time": [1, 2, 2, 3, 5], "event": [1, 1, 0, 1, 0]})
    >>> kaplan_meier(d)[["time", "n_risk", "surv"]].round(3).to_dict("list")
    {'time': [1.0, 2.0, 3.0], 'n_risk': [5, 4, 2], 'surv': [0.8, 0.6, 0.3]}
    """
    if conf_type not in CONF_TYPES:
        raise ValueError(f"conf_type must be one of {CONF_TYPES}, got {conf_type!r}")
    cols = [] if by is None else ([by] if isinstance(by, str) else list(by))
    out = []
    for key, sub in _groups(data, by):
        t, e = _prepare(sub, time, event, "kaplan_meier")
        km = _km_one(t, e, conf_type, alpha)
        for c, k in zip(cols, key):
            km.insert(cols.index(c), c, k)
        out.append(km)
    res = pd.concat(out, ignore_index=True) if out else pd.DataFrame()
    return res


def _first_below(times: np.ndarray, curve: np.ndarray, p: float, t_max: float) -> float:
    """R-style quantile of a step curve: first time the curve is <= p; midpoint on an exact flat.

    A flat stretch exactly at ``p`` ends at the next drop below ``p`` or, if there
    is none, at the end of follow-up ``t_max`` (the last observed time).
    """
    below = np.flatnonzero(curve <= p + _EPS)
    if below.size == 0:
        return np.nan
    i = below[0]
    if abs(curve[i] - p) < _EPS:
        strictly = np.flatnonzero(curve < p - _EPS)
        end = times[strictly[0]] if strictly.size else t_max
        return float((times[i] + end) / 2)
    return float(times[i])


def km_quantile(
    data: pd.DataFrame,
    *,
    time: str = "time",
    event: str = "event",
    by: str | list[str] | None = None,
    p: float = 0.5,
    conf_type: str = "log",
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Kaplan–Meier quantile (default the median survival time) with its confidence interval.

    The quantile is the first time the curve falls to ``1 - p`` or below (R's
    convention, including the midpoint rule on exact flats); its CI is read off
    the pointwise ``conf_type`` band (Brookmeyer–Crowley style test inversion as in
    R ``quantile.survfit``). Limits never reached are ``NaN`` (R ``NA``).

    Returns
    -------
    DataFrame with the grouping columns, then ``n, n_event, quantile, lower, upper``.

    Validated against R survival 3.5 ``quantile(survfit(..., conf.type=...), 0.5)``
    (``"log"``, ``"log-log"``, ``"plain"``), exact.

    Examples
    --------
    >>> d = pd.DataFrame({"time": [1, 2, 3, 4, 5, 6], "event": [1, 1, 1, 1, 1, 1]})
    >>> float(km_quantile(d)["quantile"].iloc[0])
    3.5
    """
    if not 0 < p < 1:
        raise ValueError(f"p must be strictly between 0 and 1, got {p!r}")
    if conf_type not in CONF_TYPES:
        raise ValueError(f"conf_type must be one of {CONF_TYPES}, got {conf_type!r}")
    cols = [] if by is None else ([by] if isinstance(by, str) else list(by))
    rows = []
    target = 1.0 - p
    for key, sub in _groups(data, by):
        t, e = _prepare(sub, time, event, "km_quantile")
        km = _km_one(t, e, conf_type, alpha)
        tt = km["time"].to_numpy()
        row = dict(zip(cols, key))
        row.update(
            n=len(t),
            n_event=int(e.sum()),
            quantile=_first_below(tt, km["surv"].to_numpy(), target, t.max()),
            lower=_first_below(tt, np.nan_to_num(km["lower"].to_numpy(), nan=0.0), target, t.max()),
            upper=_first_below(tt, np.nan_to_num(km["upper"].to_numpy(), nan=0.0), target, t.max()),
        )
        rows.append(row)
    return pd.DataFrame(rows, columns=[*cols, "n", "n_event", "quantile", "lower", "upper"])


def cox_clustered(
    data: pd.DataFrame,
    *,
    time: str = "time",
    event: str = "event",
    covariates: list[str],
    cluster: str | None = None,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Cox proportional-hazards regression (Breslow ties) with cluster-robust standard errors.

    Parameters
    ----------
    data : one row per subject; covariates numeric (dummy-code categories first).
    covariates : columns entering the linear predictor.
    cluster : column identifying clusters (e.g. the party branch); ``None`` gives model-based SEs.

    Returns
    -------
    One row per covariate: ``term, coef, se, naive_se, z, p, hr, hr_lower, hr_upper,
    n, n_event, n_clusters``. ``se`` is the robust (sandwich) SE when ``cluster``
    is given, else equal to ``naive_se``.

    Validated against R survival 3.5 ``coxph(Surv(time, status) ~ x + cluster(g),
    ties = "breslow")``: coefficients, robust and naive SEs to 1e-6 relative.
    """
    from statsmodels.duration.hazard_regression import PHReg

    if not covariates:
        raise ValueError("cox_clustered: give at least one covariate")
    _check_columns(data, list(covariates) + ([cluster] if cluster else []), "cox_clustered")
    t, e = _prepare(data, time, event, "cox_clustered")
    X = data[list(covariates)].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    if not np.isfinite(X).all():
        raise ValueError(f"cox_clustered: covariates {list(covariates)} must be numeric and non-missing")
    model = PHReg(t, X, status=e, ties="breslow")
    fit = model.fit()
    naive_se = np.asarray(fit.bse, dtype=float)
    params = np.asarray(fit.params, dtype=float)
    n_clusters = np.nan
    se = naive_se
    if cluster is not None:
        g = data[cluster].astype("string").to_numpy()
        # grouped sandwich  V = I^-1 (sum_g U_g U_g') I^-1 with score residuals (R's dfbeta form)
        resid = np.asarray(fit.score_residuals, dtype=float)
        resid = np.nan_to_num(resid)
        codes, uniq = pd.factorize(g)
        ug = np.zeros((len(uniq), X.shape[1]))
        np.add.at(ug, codes, resid)
        inv_info = np.asarray(fit.cov_params(), dtype=float)
        vr = inv_info @ (ug.T @ ug) @ inv_info
        se = np.sqrt(np.diag(vr))
        n_clusters = len(uniq)
    z = params / se
    q = stats.norm.ppf(1 - alpha / 2)
    return pd.DataFrame(
        {
            "term": list(covariates),
            "coef": params,
            "se": se,
            "naive_se": naive_se,
            "z": z,
            "p": 2 * stats.norm.sf(np.abs(z)),
            "hr": np.exp(params),
            "hr_lower": np.exp(params - q * se),
            "hr_upper": np.exp(params + q * se),
            "n": len(t),
            "n_event": int(e.sum()),
            "n_clusters": n_clusters,
        }
    )
