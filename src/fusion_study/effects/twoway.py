"""OLS with unit and period fixed effects (and covariates) on many units, without a dense design.

:class:`TwoWayFE` solves the normal equations of ``y = α_unit + γ_period + x'δ`` by eliminating the
unit effects (their block is diagonal), so the cost grows with the number of rows and
``(periods + covariates)²``, not with ``units²``. It gives fitted values, the normal-equation solution
for any right-hand side (to build the weights of a linear estimator) and which new rows have a
unique fit. Used by :mod:`fusion_study.effects.several` (step 1 of the imputation estimator).

>>> import numpy as np
>>> fe = TwoWayFE(np.array([0, 0, 1, 1]), np.array([0, 1, 0, 1]), np.zeros((4, 0)), 2, 2)
>>> y = np.array([[1.0], [3.0], [2.0], [4.0]])
>>> fe.predict(*fe.solve(*fe.rhs(fe.ui, fe.ti, fe.x, y)), fe.ui, fe.ti, fe.x).ravel().round(6).tolist()
[1.0, 3.0, 2.0, 4.0]
"""

from __future__ import annotations

import numpy as np

from fusion_study.effects.identification import RANK_TOL

__all__ = ["TwoWayFE"]


class TwoWayFE:
    """OLS of ``y`` on unit and period fixed effects (+ covariates) by block elimination of the unit effects.

    ``ui`` / ``ti``: unit and period codes ``0 … n-1`` of the rows fitted on (period 0 is the
    reference), ``x``: their covariates (rows x p, possibly p = 0).

    Parameters: ``(α_u, γ_t for t >= 1, δ)``; the normal equations ``[[D, B], [B', C]]`` with ``D`` the
    diagonal of unit counts are solved through the Schur complement ``S = C - B'D⁻¹B`` (period and
    covariate block; a pseudo-inverse when singular, which gives the unique fit of every estimable row).
    """

    def __init__(self, ui, ti, x, n_units: int, n_periods: int) -> None:
        self.ui, self.ti, self.x = ui, ti, x
        self.nu, self.nt, self.p = n_units, n_periods, x.shape[1]
        self.n_c = (n_periods - 1) + self.p
        self.d = np.bincount(ui, minlength=n_units).astype(float)
        cu = self._c_rows(ti, x)                                  # n x n_c
        self.b = np.zeros((n_units, self.n_c))
        np.add.at(self.b, ui, cu)
        c = cu.T @ cu
        s = c - self.b.T @ (self.b / self.d[:, None])
        s = (s + s.T) / 2
        if self.n_c:
            vals, vecs = np.linalg.eigh(s)
            keep = vals > RANK_TOL * max(vals.max(), 1.0)
            self.s_inv = (vecs[:, keep] / vals[keep]) @ vecs[:, keep].T
            self.null_c = vecs[:, ~keep]
        else:
            self.s_inv = np.zeros((0, 0))
            self.null_c = np.zeros((0, 0))

    def _c_rows(self, ti, x) -> np.ndarray:
        m = np.zeros((len(ti), self.n_c))
        sel = ti > 0
        m[np.flatnonzero(sel), ti[sel] - 1] = 1.0
        if self.p:
            m[:, self.nt - 1:] = x
        return m

    def solve(self, b_u: np.ndarray, b_c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(α, c)`` solving the normal equations for right-hand sides ``(b_u, b_c)`` (columns: several)."""
        c = self.s_inv @ (b_c - self.b.T @ (b_u / self.d[:, None]))
        a = (b_u - self.b @ c) / self.d[:, None]
        return a, c

    def rhs(self, ui, ti, x, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``W'v`` for rows ``(ui, ti, x)`` and weights ``v`` (n x m)."""
        b_u = np.zeros((self.nu, v.shape[1]))
        np.add.at(b_u, ui, v)
        return b_u, self._c_rows(ti, x).T @ v

    def predict(self, a, c, ui, ti, x) -> np.ndarray:
        """Fitted values (n x m) of rows ``(ui, ti, x)`` for parameter columns ``(a, c)``."""
        return a[ui] + self._c_rows(ti, x) @ c

    def imputable(self, ui, ti, x) -> np.ndarray:
        """Rows whose fit is the same under every solution (orthogonal to the design's null space)."""
        if not self.null_c.size:
            return np.ones(len(ui), dtype=bool)
        a0 = -(self.b @ self.null_c) / self.d[:, None]
        off = np.abs(self.predict(a0, self.null_c, ui, ti, x)).max(axis=1)
        return off <= 1e-8 * (1 + np.abs(x).sum(axis=1) if self.p else 1.0)
