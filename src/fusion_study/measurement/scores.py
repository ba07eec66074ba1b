"""Scale scores for later analyses: item means or regression factor scores."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._data import check_choice, item_frame, resolve_scales, warn

__all__ = ["score_scales"]


def score_scales(data: pd.DataFrame, scales, *, method: str = "mean", min_items: int | float | None = None,
                 codebook: pd.DataFrame | None = None) -> pd.DataFrame:
    """One score column per scale, indexed like ``data``.

    Parameters
    ----------
    method : {"mean", "factor"}
        ``mean``: mean of the answered items (reverse-coded items reversed first).
        ``factor``: regression (Thurstone) factor scores from a CFA with one factor
        per scale fitted by ML; respondents missing any item get NaN.
    min_items : minimum number (int) or share (float in (0, 1]) of answered items for a
        mean score; default: all items but one for scales of 3+ items, all items otherwise.

    Returns
    -------
    DataFrame with one column per scale.

    >>> df = pd.DataFrame({"a": [1, 2, None], "b": [3, 4, 5], "c": [5, None, None]})
    >>> score_scales(df, {"s": ["a", "b", "c"]})["s"].tolist()
    [3.0, 3.0, nan]
    """
    check_choice("method", method, ("mean", "factor"))
    scales, codebook = resolve_scales(scales, codebook)
    out = pd.DataFrame(index=data.index)
    if method == "mean":
        for name, items in scales.items():
            frame = item_frame(data, items, codebook=codebook, what=f"scale {name!r}")
            k = len(items)
            if min_items is None:
                need = k - 1 if k >= 3 else k
            elif isinstance(min_items, float) and 0 < min_items <= 1:
                need = int(np.ceil(min_items * k))
            else:
                need = int(min_items)
            answered = frame.notna().sum(axis=1)
            out[name] = frame.mean(axis=1).where(answered >= need)
            short = int((answered < need).sum())
            if short:
                warn(f"scale {name!r}: {short} respondents answered fewer than {need} of {k} items; "
                     "their score is missing")
        return out
    from .sem import CFA

    fit = CFA(scales).fit(data, codebook=codebook)
    spec = fit.spec_
    a, s, m, sall = fit._implied[0]
    p = len(spec.observed)
    lv = [spec.variables.index(v) for v in spec.latent]
    sigma = sall[:p, :p]
    cov_fx = sall[np.ix_(lv, range(p))]
    weights = np.linalg.solve(sigma, cov_fx.T)  # p x m
    x = item_frame(data, spec.observed, codebook=codebook, what="factor scores").to_numpy(dtype=float,
                                                                                           na_value=np.nan)
    mean = fit._data[0].mean
    scores = (x - mean) @ weights
    return pd.DataFrame(scores, index=data.index, columns=spec.latent)
