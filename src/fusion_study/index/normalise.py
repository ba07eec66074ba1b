"""Normalising indicators onto a common, benefit-oriented scale.

Every method returns values where **larger is better**; cost-type indicators
(``direction``) are flipped. Statistics (min, max, mean, sd, ranks) are taken
over all rows given — for a panel of units x periods that is the pooled panel,
so an index value means the same in every period (JRC/OECD Handbook on
Constructing Composite Indicators, 2008, section 5).

============  ==================================================================
method        formula (benefit-type; cost-type in brackets)
============  ==================================================================
``minmax``    (x - min) / (max - min)            [(max - x) / (max - min)]
``zscore``    (x - mean) / sd (ddof=1)           [(mean - x) / sd]
``rank``      (rank(x) - 1) / (n - 1), average ranks for ties, in [0, 1]
``target``    1 - |x - t| / max_i |x_i - t|, distance to a target/reference t;
              t defaults to the best observed value (max, or min for cost-type),
              which makes it equal to ``minmax``. A user target (e.g. a KPI plan
              value) makes over- and under-shooting count alike.
============  ==================================================================

A constant indicator (max = min) cannot be normalised: it gets a
:class:`ConstantIndicatorWarning` and the neutral value (0.5 for ``minmax``,
``rank`` and ``target``; 0 for ``zscore``). Missing values stay missing.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy.stats import rankdata

from fusion_study.data.checks import check_choice
from fusion_study.index._validate import ConstantIndicatorWarning, as_matrix, cost_mask

__all__ = ["NORMALISATIONS", "normalise", "normalise_matrix"]

NORMALISATIONS = ("minmax", "zscore", "rank", "target")


def normalise_matrix(X, *, method="minmax", cost=None, target=None, names=None, stacklevel=2) -> np.ndarray:
    """Normalise the columns of a float matrix (rows = units; NaN allowed).

    ``cost`` is a boolean array (True = cost-type); ``target`` an array of
    targets for ``method="target"`` (NaN entries use the best observed value).
    """
    check_choice("method", method, NORMALISATIONS)
    X = np.asarray(X, dtype=float)
    n, m = X.shape
    cost = np.zeros(m, dtype=bool) if cost is None else np.asarray(cost, dtype=bool)
    names = names or [f"x{j + 1}" for j in range(m)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        lo, hi = np.nanmin(X, axis=0), np.nanmax(X, axis=0)
    const = ~(hi > lo)
    if const.any():
        warnings.warn(
            f"indicator(s) {[names[j] for j in np.flatnonzero(const)]} are constant (or all missing); "
            "they carry no information and get the neutral normalised value",
            ConstantIndicatorWarning,
            stacklevel=stacklevel + 1,
        )
    rng_ = np.where(const, 1.0, hi - lo)
    if method == "minmax":
        Z = (X - lo) / rng_
        Z = np.where(cost, 1.0 - Z, Z)
        neutral = 0.5
    elif method == "zscore":
        mean = np.nanmean(X, axis=0) if n else np.zeros(m)
        sd = np.nanstd(X, axis=0, ddof=1) if n > 1 else np.ones(m)
        sd = np.where(const | ~(sd > 0), 1.0, sd)
        Z = (X - mean) / sd
        Z = np.where(cost, -Z, Z)
        neutral = 0.0
    elif method == "rank":
        Z = np.full_like(X, np.nan)
        for j in range(m):
            ok = ~np.isnan(X[:, j])
            k = ok.sum()
            if k > 1:
                r = rankdata(-X[ok, j] if cost[j] else X[ok, j])
                Z[ok, j] = (r - 1.0) / (k - 1.0)
        neutral = 0.5
    else:  # target
        t = np.where(cost, lo, hi)
        if target is not None:
            target = np.asarray(target, dtype=float)
            t = np.where(np.isnan(target), t, target)
        dist = np.abs(X - t)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            dmax = np.nanmax(dist, axis=0)
        dmax = np.where(~(dmax > 0), 1.0, dmax)
        Z = 1.0 - dist / dmax
        neutral = 0.5
    Z[:, const] = np.where(np.isnan(X[:, const]), np.nan, neutral)
    return Z


def normalise(data: pd.DataFrame, *, columns=None, method: str = "minmax", direction=None, target=None) -> pd.DataFrame:
    """Normalise indicator columns of ``data``; other columns are returned unchanged.

    Parameters
    ----------
    data : DataFrame
        One row per unit (or unit x period).
    columns : list of str, optional
        The indicator columns (default: all numeric columns).
    method : {"minmax", "zscore", "rank", "target"}
        See the module docstring for the formulas.
    direction : list or mapping, optional
        Cost-type indicators: a list of names, or ``{column: "cost"|"benefit"}``.
    target : mapping, optional
        ``{column: target value}`` for ``method="target"``.

    Returns
    -------
    DataFrame
        ``data`` with the indicator columns replaced by normalised values
        (larger = better).

    Validated against: hand-computed values in ``tests/test_index_weights.py`` (``test_normalise_methods_by_hand``) (exact, 1e-12).

    Examples
    --------
    >>> df = pd.DataFrame({"sales": [10.0, 20.0, 30.0], "complaints": [5.0, 1.0, 3.0]})
    >>> normalise(df, direction=["complaints"]).round(2).to_dict("list")
    {'sales': [0.0, 0.5, 1.0], 'complaints': [0.0, 1.0, 0.5]}
    """
    if columns is None:
        columns = [c for c in data.columns if pd.api.types.is_numeric_dtype(data[c])]
    X, names = as_matrix(data, columns)
    cost = cost_mask(names, direction)
    tvec = None
    if target is not None:
        unknown = sorted(set(target) - set(names))
        if unknown:
            raise ValueError(f"target names {unknown}, which are not indicators; indicators: {names}")
        tvec = np.array([target.get(c, np.nan) for c in names], dtype=float)
    Z = normalise_matrix(X, method=method, cost=cost, target=tvec, names=names, stacklevel=2)
    out = data.copy()
    for j, c in enumerate(columns):
        out[c] = Z[:, j]
    return out
