"""Fay–Herriot area-level model: branch estimates that borrow strength from branch auxiliaries.

A branch's direct survey estimate ``y_i`` (e.g. its weighted mean satisfaction from
:func:`~fusion_study.survey.design.survey_mean` with ``by="branch_id"``) is noisy when
few retailers answered. With its sampling variance ``ψ_i`` (taken as known: the
squared design-based SE) and branch-level auxiliaries ``x_i`` (county, size...)::

    y_i = θ_i + e_i,   θ_i = x_i' β + u_i,   e_i ~ N(0, ψ_i),   u_i ~ N(0, σ²_u)

The EBLUP of the true branch mean ``θ_i`` is the precision-weighted compromise::

    θ̂_i = γ_i y_i + (1 − γ_i) x_i' β̂,   γ_i = σ̂²_u / (σ̂²_u + ψ_i)

with ``β̂`` the GLS fit at ``σ̂²_u``, estimated by REML, ML (Fisher scoring) or the
Fay–Herriot (1979) moment equation ``Σ (y_i − x_i'β̃)² / (σ²_u + ψ_i) = m − p``,
truncated at 0. Its MSE (Prasad & Rao 1990; Datta & Lahiri 2000; Datta, Rao &
Smith 2005) is::

    MSE_i = g1_i + g2_i + 2 g3_i  [− b(σ̂²_u) (ψ_i / (σ̂²_u + ψ_i))² for ML and FH]
    g1_i = γ_i ψ_i,   g2_i = (1 − γ_i)² x_i' (X' V⁻¹ X)⁻¹ x_i,
    g3_i = ψ_i² / (σ̂²_u + ψ_i)³ · V̄(σ̂²_u),

``V̄`` the asymptotic variance of ``σ̂²_u`` (``2 / Σ (σ²_u + ψ_i)⁻²`` for REML/ML,
``2m / (Σ (σ²_u + ψ_i)⁻¹)²`` for FH) and ``b`` its first-order bias (0 for REML).
Intervals are ``θ̂_i ± z_{1−α/2} √MSE_i``.

Treating ``ψ_i`` as known is the model's main assumption: a branch with very few
answers has a poorly estimated ``ψ_i`` (and a branch whose answers are all equal has
``ψ_i = 0``, which is refused); pool or smooth the variances first in that case.
"""

from __future__ import annotations

import warnings
from typing import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from fusion_study.data.checks import check_alpha, check_choice, critical_value, require_columns
from fusion_study.survey.small_area import NoBranchVarianceWarning

__all__ = ["FayHerriot"]

METHODS = ("REML", "ML", "FH")


def _design_matrix(data: pd.DataFrame, covariates: list[str], *, what: str) -> tuple[np.ndarray, list[str]]:
    cols, names = [np.ones(len(data))], ["Intercept"]
    for c in covariates:
        col = data[c]
        if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
            cols.append(col.to_numpy(dtype=float))
            names.append(c)
            continue
        levels = sorted(pd.unique(col.astype(object)), key=str)
        if len(levels) < 2:
            raise ValueError(f"{what}: covariate {c!r} has a single value {levels}; it cannot be estimated")
        for lv in levels[1:]:  # the first (sorted) level is the reference
            cols.append((col.astype(object) == lv).to_numpy(dtype=float))
            names.append(f"{c}[{lv}]")
    X = np.column_stack(cols)
    if np.linalg.matrix_rank(X) < X.shape[1]:
        raise ValueError(f"{what}: the covariates {covariates} are collinear across the areas "
                         f"(design columns {names}); drop or merge some")
    return X, names


class FayHerriot:
    """Fay–Herriot EBLUP of area (branch) means from direct estimates and their SEs.

    Parameters
    ----------
    y : str
        Column of the direct estimates (default ``"estimate"``, as ``survey_mean`` returns).
    se : str
        Column of their standard errors (``ψ_i = se²``, taken as known).
    area : str, optional
        Column naming the areas (e.g. ``"branch_id"``); the index when omitted.
    covariates : str or sequence of str, optional
        Area-level auxiliaries; numeric columns enter as they are, others as
        indicators of every level but the first (sorted). An intercept is always fitted.
    method : {"REML", "ML", "FH"}
        Estimator of ``σ²_u`` (see the module notes).
    alpha : float
        Significance level of the intervals.

    Attributes
    ----------
    sigma2_u_ : float
        Estimated between-area variance (0 when truncated).
    coef_ : DataFrame
        ``term, estimate, se, ci_lower, ci_upper, p_value`` of ``β̂`` (GLS, normal theory).
    n_areas_, n_iter_ : int
    converged_ : bool

    Notes
    -----
    Validated against R sae 1.3 (``eblupFH``, ``mseFH``; precision 1e-12) on its
    ``milk`` data (Arora & Lahiri 1997; REML, ML, FH) and on branch estimates of the
    bundled example study: σ²_u, β, EBLUPs and MSEs to 1e-6 relative
    (tests/reference/survey/make_fay_herriot_reference.R).

    >>> import pandas as pd
    >>> d = pd.DataFrame({"branch": list("abcdef"), "estimate": [70., 74., 65., 80., 72., 69.],
    ...                   "se": [2., 4., 3., 5., 1.5, 2.5]})
    >>> fh = FayHerriot(area="branch").fit(d)
    >>> fh.to_frame()[["area", "direct", "estimate", "shrinkage"]].round(3)
      area  direct  estimate  shrinkage
    0    a    70.0    70.421      0.389
    1    b    74.0    71.144      0.137
    2    c    65.0    69.433      0.221
    3    d    80.0    71.551      0.093
    4    e    72.0    71.385      0.531
    5    f    69.0    70.200      0.290
    >>> round(fh.sigma2_u_, 4)
    2.5495
    """

    def __init__(self, *, y: str = "estimate", se: str = "se", area: str | None = None,
                 covariates: str | Sequence[str] | None = None, method: str = "REML", alpha: float = 0.05):
        self.y = y
        self.se = se
        self.area = area
        self.covariates = covariates
        self.method = method
        self.alpha = alpha

    def __repr__(self) -> str:
        return (f"FayHerriot(y={self.y!r}, se={self.se!r}, area={self.area!r}, covariates={self.covariates!r}, "
                f"method={self.method!r}, alpha={self.alpha!r})")

    # ------------------------------------------------------------------------------------------------
    def fit(self, data: pd.DataFrame, *, max_iter: int = 100, tol: float = 1e-12) -> "FayHerriot":
        what = "FayHerriot"
        method = check_choice("method", self.method, METHODS)
        self._z = critical_value(check_alpha(self.alpha))
        if not isinstance(data, pd.DataFrame):
            raise TypeError(f"{what}: data must be a DataFrame, got {type(data).__name__}")
        covariates = ([] if self.covariates is None else
                      [self.covariates] if isinstance(self.covariates, str) else list(self.covariates))
        cols = [self.y, self.se, *covariates] + ([self.area] if self.area is not None else [])
        require_columns(data, cols, what=what)
        for c in cols:
            miss = data[c].isna().to_numpy()
            if miss.any():
                raise ValueError(f"{what}: column {c!r} is missing in {int(miss.sum())} area row(s) "
                                 f"(index {list(data.index[miss][:10])}); fill or drop them explicitly first")
        y = pd.to_numeric(data[self.y], errors="coerce").to_numpy(dtype=float)
        se = pd.to_numeric(data[self.se], errors="coerce").to_numpy(dtype=float)
        bad = ~(np.isfinite(se) & (se > 0))
        if bad.any() or not np.isfinite(y).all():
            raise ValueError(f"{what}: every area needs a finite direct estimate {self.y!r} and a positive SE "
                             f"{self.se!r}; {int(bad.sum())} area row(s) have SE <= 0 or not a number "
                             f"(index {list(data.index[bad][:10])}): pool or smooth their sampling variances")
        X, names = _design_matrix(data, covariates, what=what)
        m, p = X.shape
        if m <= p + 1:
            raise ValueError(f"{what}: {m} areas for {p} fixed effects and σ²_u; need at least {p + 2} areas")
        psi = se**2
        A, n_iter, converged = self._estimate(method, y, X, psi, max_iter, tol)
        if not converged:
            warnings.warn(f"{what}: the {method} estimate of σ²_u did not converge in {max_iter} iterations",
                          RuntimeWarning, stacklevel=2)
        if A == 0.0:
            warnings.warn(f"{what}: the {method} estimate of the between-area variance σ²_u is 0: every area gets "
                          "its synthetic (regression) estimate", NoBranchVarianceWarning, stacklevel=2)
        vi = 1.0 / (A + psi)
        Q = np.linalg.inv((X * vi[:, None]).T @ X)
        beta = Q @ (X * vi[:, None]).T @ y
        synth = X @ beta
        gamma = A * vi
        est = synth + gamma * (y - synth)
        g1 = gamma * psi
        g2 = (1.0 - gamma) ** 2 * np.einsum("ij,jk,ik->i", X, Q, X)
        if method == "FH":
            s1, s2 = vi.sum(), (vi**2).sum()
            var_a = 2.0 * m / s1**2
            bias = 2.0 * (m * s2 - s1**2) / s1**3
        else:
            var_a = 2.0 / (vi**2).sum()
            bias = 0.0 if method == "REML" else -np.trace(Q @ ((X * (vi**2)[:, None]).T @ X)) / (vi**2).sum()
        g3 = (1.0 - gamma) ** 2 * var_a * vi
        mse = g1 + g2 + 2.0 * g3 - bias * (1.0 - gamma) ** 2
        bse = np.sqrt(np.diag(Q))
        zval = beta / bse
        self.coef_ = pd.DataFrame({"term": names, "estimate": beta, "se": bse, "ci_lower": beta - self._z * bse,
                                   "ci_upper": beta + self._z * bse, "p_value": 2.0 * stats.norm.sf(np.abs(zval))})
        self.sigma2_u_ = float(A)
        self.sigma2_u_se_ = float(np.sqrt(var_a))
        self.n_areas_, self.n_iter_, self.converged_, self.method_ = m, n_iter, converged, method
        area = data[self.area].to_numpy() if self.area is not None else data.index.to_numpy()
        root = np.sqrt(mse)
        self._areas = pd.DataFrame({
            "area": area, "direct": y, "direct_se": se, "estimate": est, "se": root,
            "ci_lower": est - self._z * root, "ci_upper": est + self._z * root, "synthetic": synth,
            "shrinkage": gamma, "g1": g1, "g2": g2, "g3": g3, "mse": mse,
        })
        return self

    @staticmethod
    def _estimate(method, y, X, psi, max_iter, tol):
        """Fisher scoring for σ²_u from the median sampling variance, clipped at 0 (as R sae, but tighter)."""
        A = float(np.median(psi))
        m, p = X.shape
        for it in range(1, max_iter + 1):
            vi = 1.0 / (A + psi)
            XtVi = (X * vi[:, None]).T
            Q = np.linalg.inv(XtVi @ X)
            r = y - X @ (Q @ XtVi @ y)
            Py = vi * r  # P y = V⁻¹ (y − X β̃)
            if method == "FH":
                score, info = float(np.sum(r**2 * vi) - (m - p)), float(vi.sum())
            elif method == "ML":
                score, info = float(-0.5 * vi.sum() + 0.5 * Py @ Py), float(0.5 * np.sum(vi**2))
            else:
                P = np.diag(vi) - XtVi.T @ Q @ XtVi
                score, info = float(-0.5 * np.trace(P) + 0.5 * Py @ Py), float(0.5 * np.sum(P * P))
            new = max(A + score / info, 0.0)
            if abs(new - A) <= tol * max(A, 1e-300) or new == A == 0.0:
                return new, it, True
            A = new
        return A, max_iter, False

    # ------------------------------------------------------------------------------------------------
    def _check_fitted(self):
        if not hasattr(self, "sigma2_u_"):
            raise RuntimeError("FayHerriot: call fit(data) first")

    def to_frame(self) -> pd.DataFrame:
        """One row per area.

        Returns
        -------
        DataFrame
            ``area``, ``direct`` and ``direct_se`` (the input), ``estimate`` (EBLUP),
            ``se`` (``√MSE``), ``ci_lower``, ``ci_upper``, ``synthetic`` (``x_i' β̂``),
            ``shrinkage`` (``γ_i``, the weight on the direct estimate), ``g1``, ``g2``,
            ``g3`` and ``mse`` (see the module notes).
        """
        self._check_fitted()
        return self._areas.copy()

    def summary(self) -> pd.DataFrame:
        """The fixed effects and ``σ²_u`` (its SE from the asymptotic variance ``V̄``): ``term, estimate, se, ci_lower,
        ci_upper, p_value`` (no interval or p-value for ``σ²_u``)."""
        self._check_fitted()
        s2 = pd.DataFrame({"term": ["sigma2_u"], "estimate": [self.sigma2_u_], "se": [self.sigma2_u_se_],
                           "ci_lower": [np.nan], "ci_upper": [np.nan], "p_value": [np.nan]})
        return pd.concat([self.coef_, s2], ignore_index=True)

    def __str__(self) -> str:
        if not hasattr(self, "sigma2_u_"):
            return repr(self)
        return (f"Fay–Herriot EBLUP ({self.method_}), {self.n_areas_} areas, σ²_u = {self.sigma2_u_:.6g}\n"
                + self.summary().to_string(index=False))
