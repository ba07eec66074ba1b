"""Indicator weights: equal, entropy (熵权法), CRITIC, coefficient of variation, PCA, AHP, combined.

Objective methods take the *normalised* indicator matrix (rows = units,
larger = better) and return weights summing to one:

``equal``
    1/m.
``entropy`` (熵权法, Shannon entropy weight)
    p_ij = (z_ij + shift) / sum_i (z_ij + shift); e_j = -(1/ln n) sum_i p_ij ln p_ij
    with the limit convention **0 · ln 0 = 0** (so zeros from min-max
    normalisation never break the logarithm and no arbitrary constant is added
    by default); d_j = 1 - e_j; w_j = d_j / sum d. ``shift`` (default 0)
    reproduces papers that add a constant such as 0.0001 before taking logs.
    Needs non-negative values (use ``minmax``, ``rank`` or ``target``
    normalisation, not ``zscore``).
``critic`` (Diakoulaki, Mavrotas & Papayannakis 1995)
    C_j = s_j · sum_k (1 - r_jk) with s_j the standard deviation and r the
    Pearson correlation matrix; w_j = C_j / sum C.
``cv`` (coefficient of variation, 变异系数法)
    v_j = s_j / |mean_j|; w_j = v_j / sum v.
``pca``
    Eigen-decomposition of the correlation matrix; components with eigenvalue
    >= 1 are kept (Kaiser; at least the first); w_j ∝ sum_k (λ_k / sum λ_kept) · |a_jk|
    with a_jk the unit-length eigenvector coefficients, then normalised to sum one.

Degenerate input: a **constant indicator** carries no information, so its
entropy/CRITIC/CV/PCA weight is set to **zero** with a
:class:`ConstantIndicatorWarning` (the method's formula would divide by zero or
give e_j = 1); if every indicator is constant a ``ValueError`` is raised.

Subjective weights come from :func:`ahp_weights` (Saaty's eigenvector method,
consistency ratio CR = CI / RI with CI = (λmax - n)/(n - 1) and Saaty's random
index table); :func:`combine_weights` combines subjective and objective weights,
either **multiplicatively** (w_j = s_j o_j / sum s o, 乘法合成归一化) or
**linearly** (w_j = λ s_j + (1 - λ) o_j, with the stated λ).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Mapping

import numpy as np
import pandas as pd

from fusion_study.data.checks import check_choice
from fusion_study.index._validate import ConstantIndicatorWarning, IndexInputError, as_matrix
from fusion_study.measurement._data import renamed_attribute

__all__ = [
    "WEIGHT_METHODS",
    "SAATY_RI",
    "AHPResult",
    "InconsistentJudgementsError",
    "InconsistentJudgementsWarning",
    "CombinedWeights",
    "objective_weights",
    "entropy_weights",
    "critic_weights",
    "cv_weights",
    "pca_weights",
    "ahp_weights",
    "combine_weights",
]

WEIGHT_METHODS = ("equal", "entropy", "critic", "cv", "pca")

#: Saaty's random consistency index RI(n) (Saaty 1980, The Analytic Hierarchy
#: Process, table 1.7 extended to n = 15 as in Saaty 1990/2008).
SAATY_RI = {1: 0.0, 2: 0.0, 3: 0.58, 4: 0.90, 5: 1.12, 6: 1.24, 7: 1.32, 8: 1.41, 9: 1.45, 10: 1.49,
            11: 1.51, 12: 1.48, 13: 1.56, 14: 1.57, 15: 1.59}


class InconsistentJudgementsError(ValueError):
    """An AHP comparison matrix's consistency ratio is at or above the threshold."""


class InconsistentJudgementsWarning(UserWarning):
    """An AHP comparison matrix's consistency ratio is at or above the threshold."""


def _constant_columns(Z: np.ndarray) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return ~(np.nanmax(Z, axis=0) > np.nanmin(Z, axis=0))


def _finish(raw: np.ndarray, const: np.ndarray, names, method: str, stacklevel: int) -> np.ndarray:
    if const.all():
        raise ValueError(f"every indicator is constant; {method} weights are undefined (indicators: {list(names)})")
    if const.any():
        warnings.warn(
            f"indicator(s) {[names[j] for j in np.flatnonzero(const)]} are constant; "
            f"their {method} weight is undefined and set to 0",
            ConstantIndicatorWarning,
            stacklevel=stacklevel + 1,
        )
    raw = np.where(const, 0.0, raw)
    return raw / raw.sum()


def _series(w, names):
    return pd.Series(w, index=pd.Index(names, name="indicator"), name="weight")


def entropy_weights(data, *, shift: float = 0.0, stacklevel: int = 2):
    """Entropy weights (熵权法) of the columns of a non-negative matrix or DataFrame.

    Returns a Series (DataFrame input) or array of weights summing to one.

    Validated against: base R re-computation (``tests/reference/index/index_reference.R``,
    1e-10) and the published worked example in ``tests/test_index_weights.py``.

    >>> entropy_weights(np.array([[1.0, 0.0], [0.0, 0.5], [0.5, 1.0]])).round(4)
    array([0.5, 0.5])
    """
    Z, names = as_matrix(data)
    if np.nanmin(Z) < 0:
        raise IndexInputError(
            "entropy weights need non-negative values; normalise with 'minmax', 'rank' or 'target' "
            "(not 'zscore') first"
        )
    const = _constant_columns(Z)
    Zs = Z + shift
    ok = ~np.isnan(Zs)
    n = ok.sum(axis=0)
    tot = np.nansum(Zs, axis=0)
    tot = np.where(tot > 0, tot, 1.0)
    P = np.where(ok, Zs, 0.0) / tot
    with np.errstate(divide="ignore", invalid="ignore"):
        plogp = np.where(P > 0, P * np.log(np.where(P > 0, P, 1.0)), 0.0)
    k = np.where(n > 1, 1.0 / np.log(np.maximum(n, 2)), 0.0)
    e = -k * plogp.sum(axis=0)
    w = _finish(1.0 - e, const, names, "entropy", stacklevel)
    return _series(w, names) if isinstance(data, pd.DataFrame) else w


def critic_weights(data, *, stacklevel: int = 2):
    """CRITIC weights (Diakoulaki et al. 1995): contrast (sd) times conflict (sum of 1 - r).

    Validated against: base R re-computation (``tests/reference/index/``, 1e-10).

    >>> critic_weights(np.array([[0.0, 1.0], [0.5, 0.0], [1.0, 0.5]])).round(4)
    array([0.5, 0.5])
    """
    Z, names = as_matrix(data)
    const = _constant_columns(Z)
    Zc = Z[:, ~const]
    sd = np.full(Z.shape[1], 0.0)
    raw = np.zeros(Z.shape[1])
    if Zc.shape[1]:
        df = pd.DataFrame(Zc)
        s = df.std(ddof=1).to_numpy()
        R = df.corr().to_numpy() if Zc.shape[1] > 1 else np.ones((1, 1))
        sd[~const] = s
        raw[~const] = s * (1.0 - R).sum(axis=1)
    w = _finish(raw, const, names, "CRITIC", stacklevel)
    return _series(w, names) if isinstance(data, pd.DataFrame) else w


def cv_weights(data, *, stacklevel: int = 2):
    """Coefficient-of-variation weights (变异系数法): sd / |mean|, normalised.

    Validated against: base R re-computation (``tests/reference/index/``, 1e-10).

    >>> cv_weights(np.array([[1.0, 2.0], [3.0, 2.5], [5.0, 3.0]])).round(4)
    array([0.8, 0.2])
    """
    Z, names = as_matrix(data)
    const = _constant_columns(Z)
    mean = np.abs(np.nanmean(Z, axis=0))
    if np.any((mean == 0) & ~const):
        bad = [names[j] for j in np.flatnonzero((mean == 0) & ~const)]
        raise IndexInputError(f"coefficient of variation undefined for indicator(s) {bad} with mean 0")
    sd = np.nanstd(Z, axis=0, ddof=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        raw = np.where(const, 0.0, sd / np.where(mean == 0, 1.0, mean))
    w = _finish(raw, const, names, "coefficient-of-variation", stacklevel)
    return _series(w, names) if isinstance(data, pd.DataFrame) else w


def pca_weights(data, *, stacklevel: int = 2):
    """PCA weights: |eigenvector coefficients| of the Kaiser-retained components, variance-weighted.

    The sign of an eigenvector is arbitrary; absolute values make the weights
    well defined. See the module docstring for the formula.

    Validated against: base R ``eigen(cor(Z))`` (``tests/reference/index/``, 1e-10).
    """
    Z, names = as_matrix(data)
    const = _constant_columns(Z)
    raw = np.zeros(Z.shape[1])
    Zc = Z[:, ~const]
    if Zc.shape[1] == 1:
        raw[~const] = 1.0
    elif Zc.shape[1] > 1:
        R = pd.DataFrame(Zc).corr().to_numpy()
        lam, vec = np.linalg.eigh(R)
        order = np.argsort(lam)[::-1]
        lam, vec = lam[order], vec[:, order]
        keep = lam >= 1.0
        keep[0] = True
        share = lam[keep] / lam[keep].sum()
        raw[~const] = np.abs(vec[:, keep]) @ share
    w = _finish(raw, const, names, "PCA", stacklevel)
    return _series(w, names) if isinstance(data, pd.DataFrame) else w


_OBJECTIVE = {
    "entropy": entropy_weights,
    "critic": critic_weights,
    "cv": cv_weights,
    "pca": pca_weights,
}


def objective_weights(data, method: str = "entropy", *, stacklevel: int = 2):
    """Weights by one of :data:`WEIGHT_METHODS` (``equal`` or an objective method)."""
    check_choice("weights", method, WEIGHT_METHODS)
    if method == "equal":
        Z, names = as_matrix(data)
        w = np.full(Z.shape[1], 1.0 / Z.shape[1])
        return _series(w, names) if isinstance(data, pd.DataFrame) else w
    return _OBJECTIVE[method](data, stacklevel=stacklevel + 1)


@dataclass(frozen=True)
class AHPResult:
    """Result of :func:`ahp_weights`: eigenvector weights and Saaty's consistency figures.

    Attributes
    ----------
    weights_ : Series (``indicator`` -> weight, summing to one)
    lambda_max_, ci_, ri_, cr_ : float
        Principal eigenvalue, consistency index, Saaty's random index and consistency ratio.
    threshold : float
        The acceptable consistency ratio used (an option, so no trailing ``_``).
    consistent_ : bool
        ``cr_ < threshold``.

    The names without the trailing ``_`` (``weights``, ``cr`` …) are deprecated aliases.
    """

    weights_: pd.Series
    lambda_max_: float
    ci_: float
    ri_: float
    cr_: float
    threshold: float

    weights = renamed_attribute("weights", "weights_")
    lambda_max = renamed_attribute("lambda_max", "lambda_max_")
    ci = renamed_attribute("ci", "ci_")
    ri = renamed_attribute("ri", "ri_")
    cr = renamed_attribute("cr", "cr_")
    consistent = renamed_attribute("consistent", "consistent_")

    @property
    def consistent_(self) -> bool:
        """True when CR < threshold (Saaty's 0.1 rule); matrices of size <= 2 always are."""
        return self.cr_ < self.threshold

    def to_frame(self) -> pd.DataFrame:
        """Columns ``indicator, weight``, with λmax, CI, RI, CR in ``attrs``."""
        df = self.weights_.rename("weight").reset_index()
        df.attrs.update(lambda_max=self.lambda_max_, ci=self.ci_, ri=self.ri_, cr=self.cr_)
        return df

    def summary(self) -> pd.DataFrame:
        """One row per consistency figure: ``statistic`` (``lambda_max, ci, ri, cr, threshold,
        consistent``) and ``value``; ``str(result)`` prints the weights and these as text."""
        return pd.DataFrame({"statistic": ["lambda_max", "ci", "ri", "cr", "threshold", "consistent"],
                             "value": [self.lambda_max_, self.ci_, self.ri_, self.cr_, self.threshold,
                                       self.consistent_]})

    def __str__(self) -> str:
        flag = "acceptable" if self.consistent_ else "NOT acceptable"
        return (f"AHP weights { {k: round(float(v), 4) for k, v in self.weights_.items()} }; "
                f"lambda_max={self.lambda_max_:.4f}, CI={self.ci_:.4f}, RI={self.ri_:.2f}, CR={self.cr_:.4f} "
                f"({flag}, threshold {self.threshold})")

    def __repr__(self) -> str:
        return f"AHPResult(n={len(self.weights_)}, lambda_max={self.lambda_max_:.4f}, CR={self.cr_:.4f})"


def ahp_weights(matrix, *, labels=None, on_inconsistent: str = "error", threshold: float = 0.1,
                tol: float = 0.01) -> AHPResult:
    """AHP weights from a pairwise comparison matrix (Saaty's principal eigenvector).

    Parameters
    ----------
    matrix : array-like or DataFrame (n x n)
        ``a_ij`` = how many times more important indicator i is than j (1–9
        scale); must be positive with ``a_ii = 1`` and ``a_ji = 1 / a_ij``
        (within relative tolerance ``tol``, so 0.333 for 1/3 is accepted).
    labels : list of str, optional
        Indicator names (default: the DataFrame's index, or c1, c2, ...).
    on_inconsistent : {"error", "warn", "ignore"}
        What to do when CR >= ``threshold``: raise
        :class:`InconsistentJudgementsError` (default), warn with
        :class:`InconsistentJudgementsWarning`, or accept silently.
    threshold : float
        Saaty's acceptable consistency ratio (0.1).

    Returns
    -------
    AHPResult
        ``weights_`` (Series summing to one), ``lambda_max_``, ``ci_`` =
        (λmax - n)/(n - 1), ``ri_`` (Saaty's random index for n, :data:`SAATY_RI`),
        ``cr_`` = CI/RI (0 when n <= 2).

    Validated against: Saaty (1980) worked examples and base R ``eigen()``
    (``tests/reference/index/``), 1e-8.

    >>> res = ahp_weights([[1, 3], [1/3, 1]], labels=["party", "business"])
    >>> res.weights_.round(3).tolist(), res.cr_
    ([0.75, 0.25], 0.0)
    """
    check_choice("on_inconsistent", on_inconsistent, ("error", "warn", "ignore"))
    if isinstance(matrix, pd.DataFrame):
        labels = labels or [str(i) for i in matrix.index]
    A = np.asarray(matrix, dtype=float)
    if A.ndim != 2 or A.shape[0] != A.shape[1]:
        raise IndexInputError(f"an AHP comparison matrix must be square, got shape {A.shape}")
    n = A.shape[0]
    labels = list(labels) if labels is not None else [f"c{i + 1}" for i in range(n)]
    if len(labels) != n:
        raise IndexInputError(f"{len(labels)} labels for a {n} x {n} comparison matrix")
    if n > max(SAATY_RI):
        raise IndexInputError(f"Saaty's random index table covers n <= {max(SAATY_RI)}; got n = {n}")
    if not np.all(np.isfinite(A)) or np.any(A <= 0):
        raise IndexInputError("AHP comparison values must be positive numbers (Saaty's 1/9 … 9 scale)")
    if not np.allclose(np.diag(A), 1.0):
        raise IndexInputError(f"the diagonal of an AHP matrix must be 1 (an item compared with itself); got {np.diag(A)}")
    prod = A * A.T
    bad = np.argwhere(np.triu(np.abs(prod - 1.0) > tol, 1))
    if len(bad):
        i, j = bad[0]
        raise IndexInputError(
            f"the AHP matrix is not reciprocal: a[{labels[i]}, {labels[j]}] = {A[i, j]:g} but "
            f"a[{labels[j]}, {labels[i]}] = {A[j, i]:g} (should be {1 / A[i, j]:g}); "
            f"{len(bad)} pair(s) break a_ji = 1/a_ij"
        )
    vals, vecs = np.linalg.eig(A)
    k = int(np.argmax(vals.real))
    lam = float(vals[k].real)
    v = np.abs(vecs[:, k].real)
    w = v / v.sum()
    ri = SAATY_RI[n]
    ci = (lam - n) / (n - 1) if n > 1 else 0.0
    cr = ci / ri if ri > 0 else 0.0
    res = AHPResult(_series(w, labels), lam, ci, ri, cr, threshold)
    if not res.consistent_:
        msg = (f"AHP judgements are inconsistent: CR = {cr:.3f} >= {threshold} (lambda_max = {lam:.3f}, "
               f"n = {n}); revise the pairwise comparisons")
        if on_inconsistent == "error":
            raise InconsistentJudgementsError(msg)
        if on_inconsistent == "warn":
            warnings.warn(msg, InconsistentJudgementsWarning, stacklevel=2)
    return res


def combine_weights(subjective, objective, *, rule: str = "multiplicative", lam: float = 0.5) -> pd.Series:
    """Combine subjective (e.g. AHP) and objective (e.g. entropy) weights.

    ``rule="multiplicative"``: w_j = s_j o_j / sum_k s_k o_k.
    ``rule="linear"``: w_j = lam · s_j + (1 - lam) · o_j (``lam`` in [0, 1]
    is the share given to the subjective weights).

    Validated against: hand computation (``tests/test_index_weights.py``, exact).

    >>> combine_weights(pd.Series({"a": 0.5, "b": 0.5}), pd.Series({"a": 0.8, "b": 0.2})).round(2).tolist()
    [0.8, 0.2]
    >>> combine_weights(pd.Series({"a": 0.5, "b": 0.5}), pd.Series({"a": 0.8, "b": 0.2}), rule="linear").tolist()
    [0.65, 0.35]
    """
    check_choice("rule", rule, ("multiplicative", "linear"))
    s = pd.Series(subjective, dtype=float)
    o = pd.Series(objective, dtype=float)
    if set(s.index) != set(o.index):
        raise IndexInputError(f"subjective and objective weights name different indicators: {sorted(s.index)} vs {sorted(o.index)}")
    o = o.reindex(s.index)
    s, o = s / s.sum(), o / o.sum()
    if rule == "multiplicative":
        w = s * o
        if w.sum() <= 0:
            raise ValueError("multiplicative combination is undefined: the products of the weights sum to 0")
        w = w / w.sum()
    else:
        if not 0.0 <= lam <= 1.0:
            raise ValueError(f"lam must be in [0, 1], got {lam}")
        w = lam * s + (1.0 - lam) * o
    w.index.name = "indicator"
    return w.rename("weight")


@dataclass(frozen=True)
class CombinedWeights:
    """Weight specification for :class:`IntegrationIndex`: subjective x objective.

    ``subjective`` is a mapping of indicator weights or an :class:`AHPResult`;
    ``objective`` a method in :data:`WEIGHT_METHODS`; ``rule`` and ``lam`` as in
    :func:`combine_weights`.
    """

    subjective: Mapping | AHPResult
    objective: str = "entropy"
    rule: str = "multiplicative"
    lam: float = 0.5

    def resolve(self, Z, names, *, stacklevel: int = 2) -> pd.Series:
        sub = self.subjective.weights_ if isinstance(self.subjective, AHPResult) else pd.Series(self.subjective)
        obj = objective_weights(pd.DataFrame(Z, columns=names), self.objective, stacklevel=stacklevel + 1)
        return combine_weights(sub, obj, rule=self.rule, lam=self.lam).reindex(names)
