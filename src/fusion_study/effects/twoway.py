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
from scipy import sparse

from fusion_study.effects.identification import RANK_TOL

__all__ = ["TwoWayFE", "psd_pinv", "group_sums", "sum_matrix"]


def sum_matrix(rows: np.ndarray, cols: np.ndarray, weights: np.ndarray | None, shape: tuple[int, int]):
    """Sparse ``M`` with ``M[r, c] = Σ weights`` over the observations coded ``(rows, cols)`` (weights
    1 when ``None``): ``M @ V`` sums ``weights_i * V[cols_i]`` by ``rows_i``."""
    w = np.ones(len(rows)) if weights is None else weights
    return sparse.csr_array((w, (rows, cols)), shape=shape)


def group_sums(group: np.ndarray, values: np.ndarray, n_groups: int) -> np.ndarray:
    """Column sums of ``values`` (n x m) by ``group`` codes ``0 … n_groups-1`` (n_groups x m); a faster
    ``np.add.at`` (one ``bincount`` per column)."""
    if not values.shape[1]:
        return np.zeros((n_groups, 0))
    return np.column_stack([np.bincount(group, weights=values[:, j], minlength=n_groups)
                            for j in range(values.shape[1])])


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
        self.d, self.b, cc = self._sums(ui, ti, x)
        self.d_inv = np.divide(1.0, self.d, out=np.zeros_like(self.d), where=self.d > 0)
        self._factor(cc - self.b.T @ (self.b * self.d_inv[:, None]))

    def _sums(self, ui, ti, x) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Blocks of ``W'W`` over rows ``(ui, ti, x)``: unit counts ``D``, ``B`` (units x n_c), ``C``."""
        nt1 = self.nt - 1
        d = np.bincount(ui, minlength=self.nu).astype(float)
        b = np.zeros((self.nu, self.n_c))
        b[:, :nt1] = np.bincount(ui * self.nt + ti, minlength=self.nu * self.nt).reshape(self.nu, self.nt)[:, 1:]
        cc = np.zeros((self.n_c, self.n_c))
        cc[np.arange(nt1), np.arange(nt1)] = np.bincount(ti, minlength=self.nt)[1:]
        if self.p:
            b[:, nt1:] = group_sums(ui, x, self.nu)
            tx = group_sums(ti, x, self.nt)[1:]
            cc[:nt1, nt1:], cc[nt1:, :nt1], cc[nt1:, nt1:] = tx, tx.T, x.T @ x
        return d, b, cc

    def _factor(self, s: np.ndarray) -> None:
        """Pseudo-inverse and null space of the Schur complement ``s``."""
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
        d_drop, b_drop, cc_drop = self._sums(ui, self.ti[drop], self.x[drop])
        new.d = self.d - d_drop
        new.b = self.b - b_drop
        touched = np.unique(ui)
        gone = new.d[touched] <= 0
        new.d[touched[gone]] = 0.0
        new.b[touched[gone]] = 0.0
        b_old, b_new = self.b[touched], new.b[touched]
        inv_new = np.divide(1.0, new.d[touched], out=np.zeros(len(touched)), where=new.d[touched] > 0)
        s = (self.s - cc_drop + b_old.T @ (b_old / self.d[touched, None])
             - b_new.T @ (b_new * inv_new[:, None]))
        new.d_inv = np.divide(1.0, new.d, out=np.zeros_like(new.d), where=new.d > 0)
        new._factor(s)
        return new

    def centred(self, ui, ti, x) -> np.ndarray:
        """The period and covariate columns of rows ``(ui, ti, x)`` minus their unit's mean over the
        fitted rows (``C - B/d``): the fitted values of those rows are ``ȳ_u + centred @ c``."""
        return self._c_rows(ti, x) - (self.b * self.d_inv[:, None])[ui]

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

    def rhs(self, ui, ti, x, v: np.ndarray, pid: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """``W'v`` for rows ``(ui, ti, x)`` and weights ``v`` (n x m); with ``pid``, row ``i``'s weights
        are ``v[pid[i]]`` (``v``: one row per code, never repeated over the rows)."""
        if pid is None:
            b_u, b_t = group_sums(ui, v, self.nu), group_sums(ti, v, self.nt)
            b_x = x.T @ v if self.p else None
        else:
            n_pid = len(v)
            b_u = sum_matrix(ui, pid, None, (self.nu, n_pid)) @ v
            b_t = sum_matrix(ti, pid, None, (self.nt, n_pid)) @ v
            b_x = group_sums(pid, x, n_pid).T @ v if self.p else None
        b_c = b_t[1:] if b_x is None else np.vstack([b_t[1:], b_x])
        return b_u, b_c

    def weighted_fit_sums(self, a, c, ui, ti, x, group: np.ndarray, w: np.ndarray, n_groups: int) -> np.ndarray:
        """``Σ_{i in group} w_i * predict(a, c)_i`` for each group (n_groups x m), without the n x m fit."""
        nt1 = self.nt - 1
        out = sum_matrix(group, ui, w, (n_groups, self.nu)) @ a
        out += (sum_matrix(group, ti, w, (n_groups, self.nt)) @ np.vstack([np.zeros((1, c.shape[1])), c[:nt1]]))
        if self.p:
            out += group_sums(group, w[:, None] * x, n_groups) @ c[nt1:]
        return out

    def predict(self, a, c, ui, ti, x) -> np.ndarray:
        """Fitted values (n x m) of rows ``(ui, ti, x)`` for parameter columns ``(a, c)``."""
        nt1 = self.nt - 1
        out = a[ui] + np.vstack([np.zeros((1, c.shape[1])), c[:nt1]])[ti]
        if self.p:
            out += x @ c[nt1:]
        return out

    def imputable(self, ui, ti, x) -> np.ndarray:
        """Rows whose fit is the same under every solution (their unit has a row, and they are orthogonal
        to the design's null space)."""
        has_unit = self.d[ui] > 0
        if not self.null_c.size:
            return has_unit
        a0 = -(self.b @ self.null_c) * self.d_inv[:, None]
        off = np.abs(self.predict(a0, self.null_c, ui, ti, x)).max(axis=1)
        return has_unit & (off <= 1e-8 * (1 + np.abs(x).sum(axis=1) if self.p else 1.0))
