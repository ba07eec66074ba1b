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

__all__ = ["TwoWayFE", "psd_pinv"]


def psd_pinv(s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pseudo-inverse and null-space basis of a symmetric positive semi-definite matrix (eigenvalues at or
    below ``RANK_TOL`` times the largest, or times 1 when that is smaller, count as zero)."""
    if not len(s):
        return np.zeros((0, 0)), np.zeros((0, 0))
    vals, vecs = np.linalg.eigh(s)
    keep = vals > RANK_TOL * max(vals.max(), 1.0)
    return (vecs[:, keep] / vals[keep]) @ vecs[:, keep].T, vecs[:, ~keep]


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
        self._factor(cu.T @ cu - self.b.T @ (self.b / self.d[:, None]))

    def _factor(self, s: np.ndarray) -> None:
        """Pseudo-inverse and null space of the Schur complement ``s``; ``1/d`` (0 for units with no row)."""
        self.d_inv = np.divide(1.0, self.d, out=np.zeros_like(self.d), where=self.d > 0)
        self.s = (s + s.T) / 2
        self.s_inv, self.null_c = psd_pinv(self.s)

    def without(self, drop: np.ndarray) -> "TwoWayFE":
        """The same model fitted without the rows ``drop`` (boolean over the fitted rows).

        Exact and cheap: the rows' sums are subtracted from the normal equations (the Schur
        complement changes only through the units they touch); a unit left with no row gets no
        effect, and rows of it are not :meth:`imputable`.
        """
        new = object.__new__(TwoWayFE)
        new.ui, new.ti, new.x = self.ui[~drop], self.ti[~drop], self.x[~drop]
        new.nu, new.nt, new.p, new.n_c = self.nu, self.nt, self.p, self.n_c
        ui = self.ui[drop]
        cu = self._c_rows(self.ti[drop], self.x[drop])
        new.d = self.d - np.bincount(ui, minlength=self.nu)
        b_drop = np.zeros_like(self.b)
        np.add.at(b_drop, ui, cu)
        new.b = self.b - b_drop
        touched = np.unique(ui)
        gone = new.d[touched] <= 0
        new.d[touched[gone]] = 0.0
        new.b[touched[gone]] = 0.0
        b_old, b_new = self.b[touched], new.b[touched]
        inv_new = np.divide(1.0, new.d[touched], out=np.zeros(len(touched)), where=new.d[touched] > 0)
        s = (self.s - cu.T @ cu + b_old.T @ (b_old / self.d[touched, None])
             - b_new.T @ (b_new * inv_new[:, None]))
        new._factor(s)
        return new

    def centred(self, ui, ti, x) -> np.ndarray:
        """The period and covariate columns of rows ``(ui, ti, x)`` minus their unit's mean over the
        fitted rows (``C - B/d``): the fitted values of those rows are ``ȳ_u + centred @ c``."""
        return self._c_rows(ti, x) - self.b[ui] * self.d_inv[ui, None]

    def _c_rows(self, ti, x) -> np.ndarray:
        m = np.zeros((len(ti), self.n_c))
        sel = ti > 0
        m[np.flatnonzero(sel), ti[sel] - 1] = 1.0
        if self.p:
            m[:, self.nt - 1:] = x
        return m

    def solve(self, b_u: np.ndarray, b_c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(α, c)`` solving the normal equations for right-hand sides ``(b_u, b_c)`` (columns: several)."""
        c = self.s_inv @ (b_c - self.b.T @ (b_u * self.d_inv[:, None]))
        a = (b_u - self.b @ c) * self.d_inv[:, None]
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
        """Rows whose fit is the same under every solution (their unit has a row, and they are orthogonal
        to the design's null space)."""
        has_unit = self.d[ui] > 0
        if not self.null_c.size:
            return has_unit
        a0 = -(self.b @ self.null_c) * self.d_inv[:, None]
        off = np.abs(self.predict(a0, self.null_c, ui, ti, x)).max(axis=1)
        return has_unit & (off <= 1e-8 * (1 + np.abs(x).sum(axis=1) if self.p else 1.0))
