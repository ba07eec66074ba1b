"""Two-group, two-period DiD estimators with their influence functions.

These are the building blocks of :func:`fusion_study.effects.staggered_did`:
each ATT(g, t) is one 2×2 comparison. The formulas follow Sant'Anna & Zhao
(2020, *J. Econometrics* 219(1)), in the forms R ``did`` 2.5 calls through
``DRDID``:

* panel data, ``method="dr"``: the doubly robust estimator with a logit
  propensity score and a linear outcome regression for the change in the
  outcome among controls (``drdid_panel``), with its influence function
  including the estimation effect of both nuisance models;
* panel data, ``"ipw"`` (normalised/Hájek IPW, ``std_ipw_did_panel``) and
  ``"reg"`` (outcome regression, ``reg_did_panel``);
* repeated cross-sections, ``method="dr"``: the *locally efficient* doubly
  robust estimator (eq. 3.4, ``drdid_rc``; not the non-locally-efficient
  ``drdid_rc1``) with four outcome regressions (controls and treated, pre and
  post) and its influence function — the exact linearisation of the
  estimator, including the estimation effects of the logit and of all four
  regressions (verified against the numerical derivative with respect to
  observation weights and against stacked estimating equations in base R,
  ``tests/reference/effects/drdid_rc_base.R``); ``"ipw"``
  (``std_ipw_did_rc``) and ``"reg"`` (``reg_did_rc``).

All functions take plain numpy arrays, return ``(att, influence)`` where
``influence`` has one entry per observation such that
``att - truth ≈ mean(influence)``; the variance of ``att`` is
``mean(influence**2) / n``. Sampling weights are normalised to mean one.
"""

from __future__ import annotations

import numpy as np

__all__ = ["did_panel", "did_rc", "EstimationError"]


class EstimationError(ValueError):
    """A 2×2 comparison cannot be estimated (empty group, separation, singular design)."""


_PS_CLIP = 1 - 1e-6


def _logit(D: np.ndarray, X: np.ndarray, w: np.ndarray, *, max_iter: int = 100) -> tuple[np.ndarray, np.ndarray]:
    """Weighted logistic regression by Newton–Raphson.

    Returns fitted probabilities and the linear representation
    ``score @ inv(Hessian / n)`` (one row per observation), as ``glm`` +
    ``vcov * n`` in R.
    """
    n, k = X.shape
    beta = np.zeros(k)
    p_bar = np.average(D, weights=w)
    if p_bar <= 0 or p_bar >= 1:
        raise EstimationError("propensity model: treated or comparison group is empty")
    beta[0] = np.log(p_bar / (1 - p_bar)) if np.allclose(X[:, 0], 1) else 0.0
    for _ in range(max_iter):
        eta = X @ beta
        p = 1.0 / (1.0 + np.exp(-eta))
        W = w * p * (1 - p)
        H = X.T @ (X * W[:, None])
        g = X.T @ (w * (D - p))
        try:
            step = np.linalg.solve(H, g)
        except np.linalg.LinAlgError as exc:
            raise EstimationError(
                "propensity model: perfect separation or collinear covariates — the information matrix "
                "became singular because a covariate (or combination) predicts treatment exactly for some "
                "units, or is constant/collinear; drop or coarsen that covariate"
            ) from exc
        beta = beta + step
        if np.max(np.abs(step)) < 1e-12 * (1 + np.max(np.abs(beta))):
            break
    eta = X @ beta
    p = 1.0 / (1.0 + np.exp(-eta))
    # Separation: the MLE does not exist and Newton drives the linear predictor of the
    # perfectly predicted units to +-infinity (about one unit per iteration). Judged on the
    # linear predictor, not the coefficients, so covariates on a small scale (large
    # coefficients, moderate eta) are not mistaken for separation.
    hi, lo = eta > 30, eta < -30
    if (hi.any() and (D[hi] == 1).all()) or (lo.any() and (D[lo] == 0).all()):
        raise EstimationError(
            "propensity model: perfect separation — the covariates predict treatment exactly; "
            "drop or coarsen the covariate that separates the groups"
        )
    W = w * p * (1 - p)
    H = X.T @ (X * W[:, None]) / n
    score = (w * (D - p))[:, None] * X
    lin = score @ np.linalg.inv(H)
    return np.minimum(p, _PS_CLIP), lin


def _ols(
    y: np.ndarray, X: np.ndarray, w: np.ndarray, sel: np.ndarray, who: str = "comparison units"
) -> tuple[np.ndarray, np.ndarray]:
    """Weighted OLS of y on X among ``sel``; returns fitted values for all rows and
    the asymptotic linear representation (rows outside ``sel`` are zero)."""
    n = X.shape[0]
    ws = w * sel
    XtX = X.T @ (X * ws[:, None])
    if np.linalg.matrix_rank(XtX) < X.shape[1]:
        raise EstimationError(
            f"outcome regression among {who}: {int(np.count_nonzero(sel))} observation(s) for "
            f"{X.shape[1]} coefficients, or a covariate is constant or collinear in that group; "
            "drop the covariate or use method='ipw'"
        )
    beta = np.linalg.solve(XtX, X.T @ (ws * y))
    fit = X @ beta
    lin = ((ws * (y - fit))[:, None] * X) @ np.linalg.inv(XtX / n)
    return fit, lin


def _check_groups(D: np.ndarray) -> None:
    if not D.any():
        raise EstimationError("no treated observations in this comparison")
    if D.all():
        raise EstimationError("no comparison observations in this comparison")


def did_panel(
    dy: np.ndarray, D: np.ndarray, X: np.ndarray | None, w: np.ndarray | None = None, *, method: str = "dr"
) -> tuple[float, np.ndarray]:
    """ATT from panel data: change in outcome ``dy`` and treatment indicator ``D``.

    ``X`` holds covariates *including* an intercept column (or ``None`` for
    none). Returns ``(att, influence)``.
    """
    n = dy.shape[0]
    D = D.astype(float)
    _check_groups(D > 0)
    w = np.ones(n) if w is None else w / w.mean()
    if X is None:
        # closed form: difference in mean changes (all three methods coincide)
        w1, w0 = w * D, w * (1 - D)
        m1, m0 = (w1 * dy).sum() / w1.sum(), (w0 * dy).sum() / w0.sum()
        inf = w1 * (dy - m1) / w1.mean() - w0 * (dy - m0) / w0.mean()
        return float(m1 - m0), inf
    if method == "reg":
        fit, lin_ols = _ols(dy, X, w, D == 0)
        w_t = w * D
        eta_t = (w_t * dy).mean() / w_t.mean()
        eta_c = (w_t * fit).mean() / w_t.mean()
        inf_t = (w_t * dy - w_t * eta_t) / w_t.mean()
        inf_c = (w_t * fit - w_t * eta_c + lin_ols @ (w_t[:, None] * X).mean(0)) / w_t.mean()
        return float(eta_t - eta_c), inf_t - inf_c
    ps, lin_ps = _logit(D, X, w)
    w_t = w * D
    w_c = w * ps * (1 - D) / (1 - ps)
    if method == "ipw":
        eta_t = (w_t * dy).mean() / w_t.mean()
        eta_c = (w_c * dy).mean() / w_c.mean()
        inf_t = (w_t * dy - w_t * eta_t) / w_t.mean()
        M2 = ((w_c * (dy - eta_c))[:, None] * X).mean(0)
        inf_c = (w_c * dy - w_c * eta_c + lin_ps @ M2) / w_c.mean()
        return float(eta_t - eta_c), inf_t - inf_c
    fit, lin_ols = _ols(dy, X, w, D == 0)
    r = dy - fit
    eta_t = (w_t * r).mean() / w_t.mean()
    eta_c = (w_c * r).mean() / w_c.mean()
    inf_t = (w_t * r - w_t * eta_t - lin_ols @ (w_t[:, None] * X).mean(0)) / w_t.mean()
    M2 = ((w_c * (r - eta_c))[:, None] * X).mean(0)
    M3 = (w_c[:, None] * X).mean(0)
    inf_c = (w_c * r - w_c * eta_c + lin_ps @ M2 - lin_ols @ M3) / w_c.mean()
    return float(eta_t - eta_c), inf_t - inf_c


def did_rc(
    y: np.ndarray,
    post: np.ndarray,
    D: np.ndarray,
    X: np.ndarray | None,
    w: np.ndarray | None = None,
    *,
    method: str = "dr",
) -> tuple[float, np.ndarray]:
    """ATT from repeated cross-sections: outcome ``y``, period indicator ``post``
    and group indicator ``D``; ``X`` with intercept or ``None``."""
    n = y.shape[0]
    D = D.astype(float)
    post = post.astype(float)
    for d in (0, 1):
        for p in (0, 1):
            if not ((D == d) & (post == p)).any():
                who = "treated" if d else "comparison"
                when = "post" if p else "base"
                raise EstimationError(f"empty cell: no {who} observations in the {when} period")
    w = np.ones(n) if w is None else w / w.mean()
    if X is None:
        X = np.ones((n, 1))
    if method == "dr":
        return _drdid_rc(y, post, D, X, w)
    if method == "reg":
        return _reg_rc(y, post, D, X, w)
    return _ipw_rc(y, post, D, X, w)


def _drdid_rc(y, post, D, X, w):
    ps, lin_ps = _logit(D, X, w) if X.shape[1] > 1 else _logit_const(D, X, w)
    c0 = (D == 0) & (post == 0)
    c1 = (D == 0) & (post == 1)
    t0 = (D == 1) & (post == 0)
    t1 = (D == 1) & (post == 1)
    f_c0, l_c0 = _ols(y, X, w, c0, "comparison units in the base period")
    f_c1, l_c1 = _ols(y, X, w, c1, "comparison units in the current period")
    f_t0, l_t0 = _ols(y, X, w, t0, "treated units in the base period")
    f_t1, l_t1 = _ols(y, X, w, t1, "treated units in the current period")
    f_c = post * f_c1 + (1 - post) * f_c0
    w_tpre = w * D * (1 - post)
    w_tpost = w * D * post
    w_cpre = w * ps * (1 - D) * (1 - post) / (1 - ps)
    w_cpost = w * ps * (1 - D) * post / (1 - ps)
    w_d = w * D
    w_dt1 = w * D * post
    w_dt0 = w * D * (1 - post)
    r = y - f_c

    def eta(wt, v):
        return wt * v / wt.mean()

    e_tpre, e_tpost = eta(w_tpre, r), eta(w_tpost, r)
    e_cpre, e_cpost = eta(w_cpre, r), eta(w_cpost, r)
    e_dpost = eta(w_d, f_t1 - f_c1)
    e_dt1post = eta(w_dt1, f_t1 - f_c1)
    e_dpre = eta(w_d, f_t0 - f_c0)
    e_dt0pre = eta(w_dt0, f_t0 - f_c0)
    a_tpre, a_tpost = e_tpre.mean(), e_tpost.mean()
    a_cpre, a_cpost = e_cpre.mean(), e_cpost.mean()
    a_dpost, a_dt1post = e_dpost.mean(), e_dt1post.mean()
    a_dpre, a_dt0pre = e_dpre.mean(), e_dt0pre.mean()
    att = (a_tpost - a_tpre) - (a_cpost - a_cpre) + (a_dpost - a_dt1post) - (a_dpre - a_dt0pre)

    inf_tpre = e_tpre - w_tpre * a_tpre / w_tpre.mean()
    inf_tpost = e_tpost - w_tpost * a_tpost / w_tpost.mean()
    M1_post = -((w_tpost * post)[:, None] * X).mean(0) / w_tpost.mean()
    M1_pre = ((w_tpre * (1 - post))[:, None] * X).mean(0) / w_tpre.mean()
    inf_t = inf_tpost - inf_tpre + l_c1 @ M1_post + l_c0 @ M1_pre

    inf_cpre = e_cpre - w_cpre * a_cpre / w_cpre.mean()
    inf_cpost = e_cpost - w_cpost * a_cpost / w_cpost.mean()
    M2_pre = ((w_cpre * (r - a_cpre))[:, None] * X).mean(0) / w_cpre.mean()
    M2_post = ((w_cpost * (r - a_cpost))[:, None] * X).mean(0) / w_cpost.mean()
    M3_post = -((w_cpost * post)[:, None] * X).mean(0) / w_cpost.mean()
    M3_pre = ((w_cpre * (1 - post))[:, None] * X).mean(0) / w_cpre.mean()
    inf_c = inf_cpost - inf_cpre + lin_ps @ (M2_post - M2_pre) + l_c1 @ M3_post + l_c0 @ M3_pre

    inf_eff = (e_dpost - w_d * a_dpost / w_d.mean() - (e_dt1post - w_dt1 * a_dt1post / w_dt1.mean())) - (
        e_dpre - w_d * a_dpre / w_d.mean() - (e_dt0pre - w_dt0 * a_dt0pre / w_dt0.mean())
    )
    mom_post = ((w_d / w_d.mean() - w_dt1 / w_dt1.mean())[:, None] * X).mean(0)
    mom_pre = ((w_d / w_d.mean() - w_dt0 / w_dt0.mean())[:, None] * X).mean(0)
    inf_or = (l_t1 - l_c1) @ mom_post - (l_t0 - l_c0) @ mom_pre
    return float(att), inf_t - inf_c + inf_eff + inf_or


def _logit_const(D, X, w):
    """Propensity score with an intercept only (closed form)."""
    n = D.shape[0]
    p = np.average(D, weights=w)
    ps = np.full(n, p)
    lin = (w * (D - p))[:, None] / (p * (1 - p))
    return np.minimum(ps, _PS_CLIP), lin


def _ipw_rc(y, post, D, X, w):
    """Normalised IPW for repeated cross-sections (``std_ipw_did_rc``)."""
    ps, lin_ps = _logit(D, X, w) if X.shape[1] > 1 else _logit_const(D, X, w)
    w_tpre = w * D * (1 - post)
    w_tpost = w * D * post
    w_cpre = w * ps * (1 - D) * (1 - post) / (1 - ps)
    w_cpost = w * ps * (1 - D) * post / (1 - ps)

    def eta(wt):
        return wt * y / wt.mean()

    e = [eta(v) for v in (w_tpre, w_tpost, w_cpre, w_cpost)]
    a = [v.mean() for v in e]
    att = (a[1] - a[0]) - (a[3] - a[2])
    inf_tpre = e[0] - w_tpre * a[0] / w_tpre.mean()
    inf_tpost = e[1] - w_tpost * a[1] / w_tpost.mean()
    inf_t = inf_tpost - inf_tpre
    inf_cpre = e[2] - w_cpre * a[2] / w_cpre.mean()
    inf_cpost = e[3] - w_cpost * a[3] / w_cpost.mean()
    M2_pre = ((w_cpre * (y - a[2]))[:, None] * X).mean(0) / w_cpre.mean()
    M2_post = ((w_cpost * (y - a[3]))[:, None] * X).mean(0) / w_cpost.mean()
    inf_c = inf_cpost - inf_cpre + lin_ps @ (M2_post - M2_pre)
    return float(att), inf_t - inf_c


def _reg_rc(y, post, D, X, w):
    """Outcome-regression DiD for repeated cross-sections (``reg_did_rc``)."""
    f_c0, l_c0 = _ols(y, X, w, (D == 0) & (post == 0), "comparison units in the base period")
    f_c1, l_c1 = _ols(y, X, w, (D == 0) & (post == 1), "comparison units in the current period")
    w_tpre = w * D * (1 - post)
    w_tpost = w * D * post
    w_d = w * D
    a_tpre = (w_tpre * y).mean() / w_tpre.mean()
    a_tpost = (w_tpost * y).mean() / w_tpost.mean()
    a_c = (w_d * (f_c1 - f_c0)).mean() / w_d.mean()
    att = a_tpost - a_tpre - a_c
    inf_t = (w_tpost * (y - a_tpost)) / w_tpost.mean() - (w_tpre * (y - a_tpre)) / w_tpre.mean()
    M1 = (w_d[:, None] * X).mean(0) / w_d.mean()
    inf_c = (w_d * (f_c1 - f_c0 - a_c)) / w_d.mean() + l_c1 @ M1 - l_c0 @ M1
    return float(att), inf_t - inf_c
