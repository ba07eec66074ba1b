"""Shared input checks for the index package (internal)."""

from __future__ import annotations

from typing import Mapping

import numpy as np
import pandas as pd

from fusion_study.data.checks import require_columns

__all__ = ["cost_mask", "as_matrix", "ConstantIndicatorWarning", "IndexInputError"]


class IndexInputError(ValueError):
    """The indicator data or an option cannot be used to build the index."""


class ConstantIndicatorWarning(UserWarning):
    """An indicator has the same value for every unit; it carries no information."""


_COST = {"cost", "-", "negative", "min", "逆向", "负向"}
_BENEFIT = {"benefit", "+", "positive", "max", "正向"}


def cost_mask(columns, direction) -> np.ndarray:
    """Boolean array: True where the indicator is cost-type (smaller is better).

    ``direction`` is None (all benefit-type), a list of cost-type column names,
    or a mapping column -> ``"benefit"``/``"cost"`` (also ``"+"``/``"-"``,
    ``1``/``-1``, ``"正向"``/``"逆向"``).
    """
    columns = list(columns)
    mask = np.zeros(len(columns), dtype=bool)
    if direction is None:
        return mask
    if isinstance(direction, Mapping):
        items = direction.items()
    else:
        items = [(c, "cost") for c in direction]
    for col, d in items:
        if col not in columns:
            raise IndexInputError(f"direction names {col!r}, which is not an indicator; indicators: {columns}")
        if d in (-1,) or (isinstance(d, str) and d.lower() in _COST):
            mask[columns.index(col)] = True
        elif d in (1,) or (isinstance(d, str) and d.lower() in _BENEFIT):
            mask[columns.index(col)] = False
        else:
            raise IndexInputError(
                f"direction of {col!r} must be 'benefit' (+, 1, 正向) or 'cost' (-, -1, 逆向), got {d!r}"
            )
    return mask


def as_matrix(data, columns=None) -> tuple[np.ndarray, list[str]]:
    """A float matrix and its column names from a DataFrame or array."""
    if isinstance(data, pd.DataFrame):
        cols = list(data.columns if columns is None else columns)
        require_columns(data, cols, what="indicator matrix")
        try:
            X = data[cols].to_numpy(dtype=float, na_value=np.nan)
        except (TypeError, ValueError) as exc:
            raise IndexInputError(f"indicator columns {cols} must be numeric: {exc}") from None
        return X, [str(c) for c in cols]
    X = np.asarray(data, dtype=float)
    if X.ndim != 2:
        raise IndexInputError(f"indicator data must be two-dimensional (units x indicators), got shape {X.shape}")
    return X, [f"x{j + 1}" for j in range(X.shape[1])] if columns is None else list(columns)
