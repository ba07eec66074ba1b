"""Aggregating normalised indicators into one score: linear, geometric, TOPSIS.

``linear``
    s_i = sum_j w_j z_ij (fully compensatory).
``geometric``
    s_i = prod_j (f + (1 - f) z_ij)^{w_j} with the stated floor f = 0.01: values
    in [0, 1] are mapped to [0.01, 1] first so that a single zero does not
    force the score to zero (the JRC/OECD handbook requires strictly positive
    values for geometric aggregation). Needs values in [0, 1] (``minmax``,
    ``rank`` or ``target`` normalisation).
``topsis`` (Hwang & Yoon 1981)
    vector normalisation r_ij = x_ij / sqrt(sum_i x_ij^2); v_ij = w_j r_ij;
    positive ideal v+_j = max_i v_ij (min for cost-type), negative ideal
    v-_j = min_i v_ij (max for cost-type); D+_i, D-_i Euclidean distances;
    closeness coefficient C_i = D-_i / (D+_i + D-_i) in [0, 1].
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fusion_study.data.checks import check_choice
from fusion_study.index._validate import IndexInputError, as_matrix, cost_mask

__all__ = ["AGGREGATIONS", "GEOMETRIC_FLOOR", "aggregate_matrix", "contributions_matrix", "topsis"]

AGGREGATIONS = ("linear", "geometric", "topsis")
GEOMETRIC_FLOOR = 0.01


def _geometric_input(Z: np.ndarray) -> np.ndarray:
    if np.nanmin(Z) < -1e-12 or np.nanmax(Z) > 1 + 1e-12:
        raise IndexInputError(
            "geometric aggregation needs normalised values in [0, 1]; use 'minmax', 'rank' or 'target' "
            "normalisation (not 'zscore')"
        )
    return GEOMETRIC_FLOOR + (1.0 - GEOMETRIC_FLOOR) * Z


def _topsis_parts(X: np.ndarray, w: np.ndarray, cost: np.ndarray):
    norm = np.sqrt((X**2).sum(axis=0))
    norm = np.where(norm > 0, norm, 1.0)
    V = X / norm * w
    best = np.where(cost, V.min(axis=0), V.max(axis=0))
    worst = np.where(cost, V.max(axis=0), V.min(axis=0))
    return V, best, worst


def aggregate_matrix(Z, weights, *, method: str = "linear", cost=None) -> np.ndarray:
    """Scores of the rows of ``Z`` (units x indicators) under ``method``.

    ``cost`` (boolean per column) is only used by TOPSIS on raw data; normalised
    data are already benefit-oriented.
    """
    check_choice("aggregate", method, AGGREGATIONS)
    Z = np.asarray(Z, dtype=float)
    w = np.asarray(weights, dtype=float)
    if method == "linear":
        return Z @ w
    if method == "geometric":
        return np.exp(np.log(_geometric_input(Z)) @ w)
    cost = np.zeros(Z.shape[1], dtype=bool) if cost is None else np.asarray(cost, dtype=bool)
    V, best, worst = _topsis_parts(Z, w, cost)
    dp = np.sqrt(((V - best) ** 2).sum(axis=1))
    dm = np.sqrt(((V - worst) ** 2).sum(axis=1))
    tot = dp + dm
    return np.where(tot > 0, dm / np.where(tot > 0, tot, 1.0), 0.5)


def contributions_matrix(Z, weights, *, method: str = "linear") -> np.ndarray:
    """Each indicator's share of each row's score (rows sum to one).

    linear: w_j z_ij / s_i; geometric: share of the log-score,
    w_j ln z'_ij / ln s_i; TOPSIS: share of the squared distance to the
    negative ideal, (v_ij - v-_j)^2 / (D-_i)^2. Rows with a zero score get NaN.
    """
    check_choice("aggregate", method, AGGREGATIONS)
    Z = np.asarray(Z, dtype=float)
    w = np.asarray(weights, dtype=float)
    if method == "linear":
        parts = Z * w
    elif method == "geometric":
        parts = np.log(_geometric_input(Z)) * w
    else:
        V, _, worst = _topsis_parts(Z, w, np.zeros(Z.shape[1], dtype=bool))
        parts = (V - worst) ** 2
    tot = parts.sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(np.abs(tot) > 0, parts / np.where(np.abs(tot) > 0, tot, 1.0), np.nan)


def topsis(data: pd.DataFrame, weights, *, columns=None, direction=None) -> pd.DataFrame:
    """TOPSIS on a raw decision matrix (one row per alternative).

    Parameters
    ----------
    data : DataFrame
        Alternatives x criteria, raw values.
    weights : mapping or sequence
        Criterion weights (normalised to sum one).
    columns : list of str, optional
        Criteria columns (default: all numeric columns).
    direction : list or mapping, optional
        Cost-type criteria.

    Returns
    -------
    DataFrame
        Index of ``data``; columns ``d_plus`` (distance to the positive ideal),
        ``d_minus`` (to the negative ideal), ``closeness`` (C = D-/(D+ + D-)),
        ``rank`` (1 = best).

    Validated against: Hwang & Yoon (1981) fighter-aircraft example and the
    R MCDA package's documented example (ideal solutions), plus a base-R
    re-computation (``tests/reference/index/``), 1e-8.

    Examples
    --------
    >>> df = pd.DataFrame({"quality": [7.0, 9.0, 8.0], "cost": [3.0, 5.0, 4.0]})
    >>> topsis(df, [0.5, 0.5], direction=["cost"])["rank"].tolist()
    [1, 3, 2]
    """
    if columns is None:
        columns = [c for c in data.columns if pd.api.types.is_numeric_dtype(data[c])]
    X, names = as_matrix(data, columns)
    if np.isnan(X).any():
        raise IndexInputError("TOPSIS needs a complete decision matrix; found missing values")
    w = np.asarray(pd.Series(weights, index=names) if isinstance(weights, dict) else weights, dtype=float)
    if len(w) != len(names):
        raise IndexInputError(f"{len(w)} weights for {len(names)} criteria {names}")
    w = w / w.sum()
    cost = cost_mask(names, direction)
    V, best, worst = _topsis_parts(X, w, cost)
    dp = np.sqrt(((V - best) ** 2).sum(axis=1))
    dm = np.sqrt(((V - worst) ** 2).sum(axis=1))
    c = dm / (dp + dm)
    out = pd.DataFrame({"d_plus": dp, "d_minus": dm, "closeness": c}, index=data.index)
    out["rank"] = out["closeness"].rank(ascending=False, method="min").astype(int)
    return out
