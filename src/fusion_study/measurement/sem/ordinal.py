"""Ordinal CFA/SEM: diagonally weighted least squares on polychoric correlations (lavaan's WLSMV).

Likert answers are treated as cut versions of normal latent responses ``y*``
(delta parameterisation, lavaan's default): ``var(y*) = 1``, thresholds free,
residual variances ``1 - diag(Λ Ψ Λᵀ)`` (not parameters). The structural
parameters minimise ``F = Σ_k w_k (r_k - σ_k(θ))²`` over the polychoric
correlations ``r`` with ``w = 1 / diag(Γ)`` (Γ = the asymptotic covariance of
the sample statistics, :class:`~fusion_study.measurement.sem.polychoric.OrdinalMoments`).
Because the thresholds are saturated they equal the sample thresholds and
decouple from the correlation part.

Standard errors: the robust sandwich ``(ΔᵀWΔ)⁻¹ ΔᵀWΓWΔ (ΔᵀWΔ)⁻¹ / N``; test
statistic: ``T = N·F`` and the mean-and-variance adjusted ("scaled-shifted",
Asparouhov & Muthén 2010) ``a·T + b`` that lavaan reports for ``WLSMV``.
Like lavaan, the robust standard errors and test statistics divide by ``N - 1``.

``fit_indices_``: ``chisq, df, pvalue`` (unscaled DWLS), ``chisq_scaled, pvalue_scaled,
chisq_scaling_factor, chisq_shift`` (scaled-shifted), ``cfi, tli, rmsea, rmsea_ci_lower,
rmsea_ci_upper`` (from the unscaled χ², as lavaan's ``cfi``/``rmsea``), ``cfi_scaled,
tli_scaled, rmsea_scaled`` (lavaan's ``*.scaled``), ``srmr`` (lavaan's default for
categorical data: residual correlations, diagonal counted), baseline χ² (plain and scaled),
``npar`` (thresholds included) and ``n``.

Validated against: R lavaan 0.6-14 ``cfa(..., ordered = TRUE)`` (default WLSMV, delta
parameterisation) on HolzingerSwineford1939 items cut into 3–5 categories (a correct and a
misspecified model; complete, listwise and pairwise-missing data) and on the simulated example
study's 5-factor customer survey (marker and ``std.lv`` identification): estimates, std.all,
thresholds and robust SEs to 2e-6 relative (lavaan's optimiser stops at ~1e-7), fit measures
to 1e-5 relative.

Not implemented (lavaan has them): the theta parameterisation, mixing continuous and ordinal
indicators, several groups, the "robust" CFI/TLI/RMSEA of Savalei (``cfi.robust``) and
DIFFTEST χ² differences.
"""

from __future__ import annotations

import types

import numpy as np
import pandas as pd
from scipy import stats

from fusion_study.measurement._data import item_frame, warn
from fusion_study.measurement.sem.estimation import RamModel
from fusion_study.measurement.sem.polychoric import OrdinalMoments
from fusion_study.measurement.sem.spec import build_spec
from fusion_study.measurement.sem.syntax import parse_model

__all__ = ["fit_ordinal", "ORDINAL_ESTIMATORS"]

ORDINAL_ESTIMATORS = ("WLSMV",)
_ORDINAL_MISSING = ("listwise", "pairwise")


def _ordinal_spec(model_obj, data):
    terms = parse_model(model_obj.model)
    spec = build_spec(terms, data.columns, n_groups=1, meanstructure=False, std_lv=model_obj.std_lv,
                      cfa=model_obj._cfa)
    if getattr(spec, "formulas", None):
        raise NotImplementedError("ordinal estimation: defined parameters (':=') and equality constraints ('==') "
                                  "are supported with estimator 'ML'/'MLR' only; remove them or use shared labels")
    indicators = {p.rhs for p in spec.params if p.op == "=~"}
    other = [v for v in spec.observed if v not in indicators]
    if other:
        raise NotImplementedError(f"ordinal estimation: observed variable(s) {other} are not factor indicators; "
                                  "only models whose observed variables are all ordinal indicators are supported")
    # delta parameterisation: residual variances of the latent responses are not parameters
    for p in spec.params:
        if p.op == "~~" and p.lhs == p.rhs and p.lhs in spec.observed:
            if p.user and (p.label or p.value is not None):
                raise NotImplementedError(f"ordinal estimation: the residual variance of {p.lhs!r} is fixed by "
                                          "the delta parameterisation; remove it from the model")
            p.free, p.value, p.label = False, 0.0, None
    labels: dict[str, int] = {}
    k = 0
    for p in spec.params:
        if not p.free:
            p.index = -1
        elif p.label is not None and p.label in labels:
            p.index = labels[p.label]
        else:
            p.index = k
            if p.label is not None:
                labels[p.label] = k
            k += 1
    spec.n_free, spec.labels = k, labels
    return spec


def _gauss_newton(model, theta, r, w, ii, jj, *, tol=1e-10, max_iter=500):
    def resid(th):
        sigma, _, dsig, _ = model.implied(th, 0, derivatives=True)
        return r - sigma[ii, jj], dsig[:, ii, jj].T

    e, delta = resid(theta)
    f = float(np.sum(w * e * e))
    for it in range(1, max_iter + 1):
        a = delta.T @ (w[:, None] * delta)
        g = delta.T @ (w * e)
        try:
            step = np.linalg.solve(a, g)
        except np.linalg.LinAlgError:
            step = np.linalg.lstsq(a, g, rcond=None)[0]
        lam = 1.0
        for _ in range(40):
            cand = theta + lam * step
            ec, dc = resid(cand)
            fc = float(np.sum(w * ec * ec))
            if np.isfinite(fc) and fc <= f + 1e-14 * max(f, 1e-300):
                break
            lam /= 2
        else:
            return theta, bool(np.max(np.abs(g)) < 1e-7), it
        theta, e, delta, f_old, f = cand, ec, dc, f, fc
        if np.max(np.abs(lam * step)) < tol or abs(f_old - f) < 1e-16:
            return theta, True, it
    return theta, False, max_iter


def fit_ordinal(model_obj, data: pd.DataFrame, codebook: pd.DataFrame | None = None):
    """Fit ``model_obj`` (an :class:`~fusion_study.measurement.SEM`/``CFA``) by WLSMV; sets its attributes."""
    from fusion_study.measurement.sem.model import NotConvergedError

    name = type(model_obj).__name__
    if model_obj.group is not None:
        raise NotImplementedError("ordinal estimation with group= (multi-group) is not implemented")
    if model_obj.missing not in _ORDINAL_MISSING:
        raise ValueError(f"missing={model_obj.missing!r} is not supported with ordered items; use one of "
                         f"{list(_ORDINAL_MISSING)} (full-information ML needs a different estimator)")
    spec = _ordinal_spec(model_obj, data)
    ordered = model_obj.ordered
    if ordered is not None and ordered is not True:
        ordered = [ordered] if isinstance(ordered, str) else list(ordered)
        cont = [v for v in spec.observed if v not in ordered]
        if cont:
            raise NotImplementedError(f"{name}: model variable(s) {cont} are not listed in ordered=; mixing "
                                      "continuous and ordinal indicators is not implemented (pass ordered=True)")
    frame = item_frame(data, spec.observed, codebook=codebook, what=f"{name} model variables")
    mom = OrdinalMoments(frame.to_numpy(dtype=float, na_value=np.nan), spec.observed,
                         missing=model_obj.missing, what=name)
    if mom.n_dropped:
        warn(f"{name}: {mom.n_dropped} respondents with missing answers were excluded "
             f"({'listwise deletion' if model_obj.missing == 'listwise' else 'no answer at all'})")
    n, p = mom.n, mom.p
    nt = len(mom.tau_flat)
    ii = np.array([i for i, _ in mom.pairs])
    jj = np.array([j for _, j in mom.pairs])
    r = mom.rho_flat
    g_rr = mom.gamma[nt:, nt:]
    w = 1.0 / np.diag(g_rr)
    model = RamModel(spec)
    fake = types.SimpleNamespace(cov=mom.rho, mean=np.zeros(p))
    theta0 = model_obj._start(spec, [fake])
    theta, ok, it = _gauss_newton(model, theta0, r, w, ii, jj, max_iter=model_obj.max_iter)
    if not ok:
        raise NotConvergedError(f"{name}: DWLS estimation did not converge after {it} iterations; check the model "
                                "is identified (enough indicators per factor) and the data fit it")
    sigma, _, dsig, _ = model.implied(theta, 0, derivatives=True)
    # residual variances of y* (fixed by the delta parameterisation), then the implied moments again
    resid_var = 1.0 - np.diag(sigma)
    for par in spec.params:
        if par.op == "~~" and par.lhs == par.rhs and par.lhs in spec.observed:
            par.value = float(resid_var[spec.observed.index(par.lhs)])
    model = RamModel(spec)
    delta = dsig[:, ii, jj].T
    info = delta.T @ (w[:, None] * delta)
    if spec.n_free > len(r) or np.linalg.matrix_rank(info) < spec.n_free:
        warn(f"{name}: the model is not identified ({spec.n_free} free parameters, {len(r)} polychoric "
             "correlations, or a rank-deficient information matrix); standard errors are NaN")
        vcov = np.full((spec.n_free, spec.n_free), np.nan)
    else:
        h = np.linalg.solve(info, delta.T * w)
        vcov = h @ g_rr @ h.T / (n - 1)
    model_obj.spec_, model_obj.groups_, model_obj._means = spec, [None], False
    model_obj._ram, model_obj.theta_, model_obj.n_ = model, theta, n
    model_obj.converged_, model_obj.n_iter_ = ok, it
    model_obj.vcov_ = vcov
    model_obj.moments_ = mom
    model_obj._data = [types.SimpleNamespace(cov=mom.rho, mean=np.zeros(p), n=n, p=p)]
    model_obj._tables(model, theta, None, False)
    # threshold rows after the loadings (lavaan's order)
    tse = np.sqrt(np.diag(mom.gamma)[:nt] / (n - 1))
    th = pd.DataFrame({"lhs": [a for a, _ in mom.threshold_names()], "op": "|",
                       "rhs": [b for _, b in mom.threshold_names()], "group": 1, "label": "", "free": True,
                       "est": mom.tau_flat, "se": tse, "std_all": mom.tau_flat, "z": mom.tau_flat / tse})
    th["pvalue"] = 2 * stats.norm.sf(np.abs(th["z"]))
    from fusion_study.measurement.sem.model import _wald_ci

    th = th.assign(**_wald_ci(th["est"].to_numpy(), tse, model_obj.alpha))
    pt = model_obj.params_
    n_load = int((pt["op"] == "=~").sum())
    model_obj.params_ = pd.concat([pt.iloc[:n_load], th[pt.columns], pt.iloc[n_load:]], ignore_index=True)
    model_obj.fit_indices_ = _fit_indices(mom, sigma[ii, jj], w, delta, spec.n_free, nt)
    return model_obj


def _scaled_shifted(t, df, ug):
    """Asparouhov–Muthén (2010) mean-and-variance adjustment: ``(a·T + b, 1/a, b)``."""
    tr1 = float(np.trace(ug))
    tr2 = float(np.sum(ug * ug.T))
    a = np.sqrt(df / tr2)
    b = df - a * tr1
    return a * t + b, 1.0 / a, b


def _fit_indices(mom, sig_hat, w, delta, npar, nt) -> pd.Series:
    from fusion_study.measurement.sem.model import _rmsea_ci

    n = mom.n
    r = mom.rho_flat
    g = mom.gamma[nt:, nt:]
    k = len(r)
    df = k - npar
    e = r - sig_hat
    chisq = (n - 1) * float(np.sum(w * e * e))
    if df > 0:
        wd = w[:, None] * delta
        u = np.diag(w) - wd @ np.linalg.pinv(delta.T @ wd) @ wd.T
        chisq_s, scale, shift = _scaled_shifted(chisq, df, u @ g)
    else:
        chisq_s, scale, shift = chisq, np.nan, np.nan
    # baseline: all correlations zero (thresholds free)
    chisq_b = (n - 1) * float(np.sum(w * r * r))
    df_b = k
    chisq_bs, scale_b, _ = _scaled_shifted(chisq_b, df_b, w[:, None] * g)

    def cfi(x, d, xb, db):
        den = max(x - d, xb - db, 0.0)
        return 1 - max(x - d, 0.0) / den if den > 0 else 1.0

    def tli(x, d, xb, db):
        return (xb / db - x / d) / (xb / db - 1) if d > 0 else np.nan

    def rmsea(x, d):
        return np.sqrt(max((x - d) / ((n - 1) * d), 0.0)) if d > 0 else np.nan

    p = mom.p
    srmr = np.sqrt(np.sum(e * e) / (p * (p + 1) / 2))
    out = {
        "chisq": chisq, "df": float(df), "pvalue": stats.chi2.sf(chisq, df) if df > 0 else np.nan,
        "chisq_scaled": chisq_s, "pvalue_scaled": stats.chi2.sf(chisq_s, df) if df > 0 else np.nan,
        "chisq_scaling_factor": scale, "chisq_shift": shift,
        "cfi": cfi(chisq, df, chisq_b, df_b), "tli": tli(chisq, df, chisq_b, df_b),
        "cfi_scaled": cfi(chisq_s, df, chisq_bs, df_b), "tli_scaled": tli(chisq_s, df, chisq_bs, df_b),
        "rmsea": rmsea(chisq, df),
        "rmsea_ci_lower": _rmsea_ci(chisq, df, n - 1, 0.95) if df > 0 else np.nan,
        "rmsea_ci_upper": _rmsea_ci(chisq, df, n - 1, 0.05) if df > 0 else np.nan,
        "rmsea_scaled": rmsea(chisq_s, df), "srmr": srmr,
        "baseline_chisq": chisq_b, "baseline_df": float(df_b), "baseline_chisq_scaled": chisq_bs,
        "baseline_chisq_scaling_factor": scale_b, "npar": float(npar + nt), "n": float(n),
    }
    return pd.Series(out, name="value")
