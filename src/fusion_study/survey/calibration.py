"""What a set of calibrated weights was calibrated to, and the residuals their SEs need.

Weights from :func:`~fusion_study.survey.weights.rake` or
:func:`~fusion_study.survey.weights.poststratify` reproduce known population counts.
Treating them as fixed overstates the SE of a mean whenever the variable is related to
the margins: part of its variation is already known from the population. The
linearised variance of a calibrated estimator uses, in place of the variable, its
residual from the calibration margins (Deville & Särndal 1992; R ``survey``):

* post-stratification — the residual from the weighted mean of the post-stratum
  (R ``postStratify``);
* raking — the residual from an additive fit of the margins, obtained as R
  ``survey`` 4.1 does for a ``rake()`` design: ten back-fitting sweeps that remove,
  margin by margin, the (unweighted) mean of the weighted-score ratio within each
  level.

:class:`Calibration` is attached to the weights Series as ``attrs["calibration"]``;
:func:`~fusion_study.survey.design.survey_mean` picks it up (``calibration="auto"``)
after checking that the weights still reproduce the population counts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse

__all__ = ["Calibration"]

METHODS = ("rake", "poststratify")
RAKE_SWEEPS = 10  # R survey 4.1 svyrecvar: for (iterations in 1:10) over the raking margins
CHECK_RTOL = 1e-6


@dataclass(frozen=True, eq=False)
class Cells:
    """The cells of a cross-classification: the sorted values of each column and the observed combinations.

    Rows are encoded without building object tuples (fast for millions of rows): each
    column's value becomes its position among the sorted ``uniques``, the positions are
    combined into one integer ``key``, and a cell is the position of its key in ``keys``.
    """

    columns: tuple
    uniques: tuple
    keys: np.ndarray

    @classmethod
    def of(cls, frame: pd.DataFrame, columns) -> tuple["Cells", np.ndarray]:
        """The cells observed in ``frame`` (sorted like the tuples of their values) and each row's cell code."""
        parts, uniques = [], []
        for c in columns:
            codes, uniq = pd.factorize(frame[c], sort=True)
            parts.append(codes)
            uniques.append(pd.Index(uniq))
        key = _combine(parts, [len(u) for u in uniques])
        codes, keys = pd.factorize(key, sort=True)
        return cls(tuple(columns), tuple(uniques), np.asarray(keys, dtype=np.int64)), codes

    def __len__(self) -> int:
        return len(self.keys)

    def encode(self, frame: pd.DataFrame) -> np.ndarray:
        """Each row's cell code; -1 for a value (combination) that is not a cell."""
        parts = [u.get_indexer(frame[c]) for c, u in zip(self.columns, self.uniques)]
        key = _combine(parts, [len(u) for u in self.uniques])
        pos = np.searchsorted(self.keys, key)
        found = (key >= 0) & (pos < len(self.keys))
        found[found] = self.keys[pos[found]] == key[found]
        return np.where(found, pos, -1)

    def labels(self, which=None) -> list:
        """The cells as values (one column) or tuples of values."""
        keys = self.keys if which is None else self.keys[which]
        digits, rest = [], keys.copy()
        for u in reversed(self.uniques):
            digits.append(np.asarray(u, dtype=object)[rest % len(u)])
            rest = rest // len(u)
        cols = digits[::-1]
        return list(cols[0]) if len(cols) == 1 else list(zip(*cols))


def _combine(parts, sizes) -> np.ndarray:
    key = np.zeros(len(parts[0]), dtype=np.int64)
    bad = np.zeros(len(parts[0]), dtype=bool)
    for p, size in zip(parts, sizes):
        bad |= p < 0
        key = key * size + p
    key[bad] = -1
    return key


@dataclass(frozen=True, eq=False)
class Calibration:
    """The population counts a set of weights was calibrated to.

    Attributes
    ----------
    method : {"rake", "poststratify"}
        How the weights were made.
    margins : tuple of tuple of str
        The columns of each margin: one column per margin for raking, the joint
        cells of all ``by`` columns (one margin) for post-stratification.
    levels : tuple of Cells
        The population levels (cells) of each margin.
    totals : tuple of ndarray
        The population count of each level.
    """

    method: str
    margins: tuple
    levels: tuple
    totals: tuple

    def __repr__(self) -> str:
        return f"Calibration(method={self.method!r}, margins={[list(m) for m in self.margins]})"

    def codes(self, data: pd.DataFrame, *, what: str) -> list[np.ndarray]:
        """The level code of every row of ``data`` in each margin (error on a column or value not known)."""
        out = []
        for cols, levels in zip(self.margins, self.levels):
            absent = [c for c in cols if c not in data.columns]
            if absent:
                raise ValueError(f"{what}: the weights are calibrated ({self.method}) on {list(cols)}, but the data "
                                 f"has no column {absent}; add them, or pass calibration=None to treat the weights "
                                 "as fixed")
            c = levels.encode(data)
            if (c < 0).any():
                raise ValueError(f"{what}: {int((c < 0).sum())} row(s) of the data have a value of {list(cols)} "
                                 f"that is not a calibration level (index {list(data.index[c < 0][:10])})")
            out.append(c)
        return out

    def check(self, w: np.ndarray, codes: list[np.ndarray], *, what: str) -> None:
        """Raise unless the weights reproduce every population count (to ``CHECK_RTOL``)."""
        for cols, total, c in zip(self.margins, self.totals, codes):
            got = np.bincount(c, weights=w, minlength=len(total))
            gap = np.max(np.abs(got / total - 1.0))
            if not gap <= CHECK_RTOL:
                raise ValueError(
                    f"{what}: the weights no longer reproduce the population counts of {list(cols)} they were "
                    f"calibrated to (largest relative gap {gap:.3g}): were the weights changed or the data "
                    "subset after calibration? Estimate domains with by=, or pass calibration=None to treat "
                    "the weights as fixed")

    def adjustments(self, e: np.ndarray, col: np.ndarray, n_col: int, w: np.ndarray,
                    codes: list[np.ndarray]) -> list[np.ndarray]:
        """What the calibration removes from the linearised scores, per margin level.

        Row ``i`` carries the score ratio ``e[i, k]`` (score / weight) in column ``col[i, k]``
        of ``n_col`` (one column per domain and level; zero elsewhere). Removing the
        margins from the ratios ``r`` — weighted post-stratum means (post-stratification),
        or ten back-fitting sweeps of unweighted level means over the margins (raking, as
        R survey 4.1) — changes them by ``−Σ_m a_m[level_m(i)]``; the sweeps run on the
        level sums (``L × n_col``) through the margins' cross-tabulations, never on the
        rows. Returns the ``a_m`` (``L_m × n_col`` each); the scores drop by ``w_i Σ_m a_m[level_m(i)]``.
        """
        flat_col, flat_e = col.ravel(), e.ravel()
        rows = np.repeat(np.arange(len(w)), col.shape[1])
        if self.method == "poststratify":
            (c,) = codes
            s_w = _table(c[rows], flat_col, (w[rows] * flat_e), len(self.totals[0]), n_col)
            return [s_w / np.bincount(c, weights=w)[:, None]]
        n_lev = [len(t) for t in self.totals]
        sums = [_table(c[rows], flat_col, flat_e, L, n_col) for c, L in zip(codes, n_lev)]
        cross = [[_table(a, b, None, La, Lb) for b, Lb in zip(codes, n_lev)] for a, La in zip(codes, n_lev)]
        adjust = [np.zeros((L, n_col)) for L in n_lev]
        for _ in range(RAKE_SWEEPS):
            for m in range(len(codes)):
                current = sums[m] - sum(cross[m][j] @ adjust[j] for j in range(len(codes)))
                adjust[m] += current / np.diag(cross[m][m])[:, None]
        return adjust

    def recalibrate(self, weights: np.ndarray, codes: list[np.ndarray], *, tol: float = 1e-10,
                    max_iter: int = 200) -> np.ndarray:
        """Calibrate every column of ``weights`` (n × R replicate weights) to the same population counts."""
        W = np.array(weights, dtype=float, copy=True)
        ind = [sparse.csr_matrix((np.ones(len(c)), (c, np.arange(len(c)))), shape=(len(t), len(c)))
               for c, t in zip(codes, self.totals)]
        for _ in range(max_iter):
            for c, t, m in zip(codes, self.totals, ind):
                sums = m @ W
                W *= np.divide(t[:, None], sums, out=np.ones_like(sums), where=sums > 0)[c]
            if self.method == "poststratify":
                break
            gap = max(np.max(np.abs(m @ W / t[:, None] - 1.0)) for t, m in zip(self.totals, ind))
            if gap < tol:
                break
        return W


def _table(a: np.ndarray, b: np.ndarray, weights, n_a: int, n_b: int) -> np.ndarray:
    """Dense ``n_a × n_b`` table of the (weighted) counts of the pairs ``(a_i, b_i)``."""
    return np.bincount(a * n_b + b, weights=weights, minlength=n_a * n_b).reshape(n_a, n_b).astype(float)


def sparse_sum(codes: np.ndarray, x: np.ndarray, n: int, *, weights=None) -> np.ndarray:
    """Sums of the rows of ``x`` (n_rows × k, times ``weights``) within each of the ``n`` codes."""
    m = sparse.csr_matrix((np.ones(len(codes)) if weights is None else weights, (codes, np.arange(len(codes)))),
                          shape=(n, len(codes)))
    return np.asarray(m @ x)


def make_calibration(method: str, margins, cells) -> Calibration:
    """A :class:`Calibration` from the ``(codes, target, levels)`` of each margin."""
    return Calibration(method=method, margins=tuple(tuple(m) for m in margins),
                       levels=tuple(lv for _, _, lv in cells), totals=tuple(t for _, t, _ in cells))
