"""Input checks shared by the measurement functions: scales, item frames, covariance."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from fusion_study.data import codebook as _codebook
from fusion_study.data.checks import require_columns

__all__ = ["MeasurementWarning", "resolve_scales", "item_frame", "covariance"]


class MeasurementWarning(UserWarning):
    """A measurement result that is computable but should be read with care."""


def resolve_scales(scales, codebook: pd.DataFrame | None = None) -> tuple[dict[str, list[str]], pd.DataFrame | None]:
    """Normalise ``scales`` to ``{scale: [items]}`` and return the codebook used for reverse coding.

    ``scales`` is a mapping of scale name to item columns, a list of items (one
    scale named ``"scale"``) or a codebook DataFrame (columns ``item_id, scale``
    and, for reverse coding, ``min, max, reverse``).
    """
    if isinstance(scales, pd.DataFrame):
        if codebook is None and {"reverse", "min", "max"} <= set(scales.columns):
            codebook = scales
        scales = _codebook.scales(scales)
    elif isinstance(scales, (list, tuple)):
        scales = {"scale": list(scales)}
    elif not isinstance(scales, dict):
        raise TypeError("scales must be a dict {scale: [item, ...]}, a list of items or a codebook DataFrame")
    out = {str(k): [str(i) for i in v] for k, v in scales.items()}
    for name, items in out.items():
        if len(items) == 0:
            raise ValueError(f"scale {name!r} has no items")
        if len(set(items)) != len(items):
            raise ValueError(f"scale {name!r} lists an item twice: {items}")
    return out, codebook


def item_frame(data: pd.DataFrame, items: list[str], *, codebook: pd.DataFrame | None = None,
               what: str = "items") -> pd.DataFrame:
    """The item columns as float, reverse-coded from ``codebook`` when given; clear errors for bad columns."""
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data must be a pandas DataFrame, got {type(data).__name__}")
    require_columns(data, items, what=what)
    frame = data[items]
    if codebook is not None:
        frame = _codebook.reverse_code(frame, codebook)
    try:
        frame = frame.astype("float64")
    except (TypeError, ValueError) as exc:
        bad = [c for c in items if not pd.api.types.is_numeric_dtype(data[c])]
        raise TypeError(f"{what}: column(s) {bad} are not numeric item responses") from exc
    return frame


def listwise(frame: pd.DataFrame, what: str) -> np.ndarray:
    """Rows complete on every column, as a float array; error when too few remain."""
    x = frame.to_numpy(dtype=float, na_value=np.nan)
    ok = ~np.isnan(x).any(axis=1)
    if not ok.all():
        x = x[ok]
    if x.shape[0] < 2:
        raise ValueError(f"{what}: fewer than 2 complete responses (n={x.shape[0]})")
    return x


def covariance(x: np.ndarray, *, ddof: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Means and covariance of the rows of ``x`` in one pass over the data."""
    n = x.shape[0]
    mean = x.mean(axis=0)
    xc = x - mean
    cov = xc.T @ xc / (n - ddof)
    return mean, cov


def check_variances(cov: np.ndarray, names: list[str], what: str) -> None:
    """Raise when an item has zero variance (it cannot be correlated or factored)."""
    var = np.diag(cov)
    zero = [names[i] for i in np.flatnonzero(~(var > 1e-12 * max(1.0, float(np.max(np.abs(var))))))]
    if zero:
        raise ValueError(f"{what}: item(s) {zero} have zero variance (every respondent gave the same answer); "
                         "drop them before computing reliability or factor models")


def cov_to_cor(cov: np.ndarray) -> np.ndarray:
    sd = np.sqrt(np.diag(cov))
    r = cov / np.outer(sd, sd)
    np.fill_diagonal(r, 1.0)
    return r


def renamed_attribute(old: str, new: str) -> property:
    """A read-only property ``old`` that returns attribute ``new`` with a :class:`DeprecationWarning`."""

    def get(self):
        warnings.warn(f"{type(self).__name__}.{old} is deprecated; use .{new} (fitted attributes end in '_')",
                      DeprecationWarning, stacklevel=2)
        return getattr(self, new)

    return property(get, doc=f"Deprecated alias of ``{new}``.")


def warn(message: str) -> None:
    warnings.warn(message, MeasurementWarning, stacklevel=3)
