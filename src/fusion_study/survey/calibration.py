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
class Calibration:
    """The population counts a set of weights was calibrated to.

    Attributes
    ----------
    method : {"rake", "poststratify"}
        How the weights were made.
    margins : tuple of tuple of str
        The columns of each margin: one column per margin for raking, the joint
        cells of all ``by`` columns (one margin) for post-stratification.
    levels : tuple of pandas.MultiIndex
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
            keys = pd.MultiIndex.from_frame(data[list(cols)].astype(object))
            c = levels.get_indexer(keys)
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

    def residuals(self, scores: np.ndarray, w: np.ndarray, codes: list[np.ndarray]) -> np.ndarray:
        """The linearised scores (n × k, weighted) with the calibration margins removed."""
        x = np.array(scores, dtype=float, copy=True)
        if self.method == "poststratify":
            (c,) = codes
            x -= w[:, None] * (_cell_sums(x, c) / np.bincount(c, weights=w)[:, None])[c]
            return x
        counts = [np.bincount(c).astype(float) for c in codes]
        for _ in range(RAKE_SWEEPS):
            for c, n in zip(codes, counts):
                x -= w[:, None] * (_cell_sums(x / w[:, None], c) / n[:, None])[c]
        return x

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


def _cell_sums(x: np.ndarray, codes: np.ndarray) -> np.ndarray:
    k = int(codes.max()) + 1
    return np.column_stack([np.bincount(codes, weights=x[:, j], minlength=k) for j in range(x.shape[1])])


def make_calibration(method: str, margins, cells) -> Calibration:
    """A :class:`Calibration` from the ``(codes, target, levels)`` of each margin."""
    return Calibration(method=method, margins=tuple(tuple(m) for m in margins),
                       levels=tuple(lv for _, _, lv in cells), totals=tuple(t for _, t, _ in cells))
