"""Scale scores for later analyses: item means or regression factor scores."""

from __future__ import annotations

import numpy as np
import pandas as pd

from fusion_study.data.checks import check_choice
from fusion_study.measurement._data import item_frame, resolve_scales, warn

__all__ = ["score_scales", "satisfaction_score"]


def score_scales(data: pd.DataFrame, scales, *, method: str = "mean", min_items: int | float | None = None,
                 codebook: pd.DataFrame | None = None, percent: bool = False, quiet: bool = False) -> pd.DataFrame:
    """One score column per scale, indexed like ``data``.

    Parameters
    ----------
    method : {"mean", "factor"}
        ``mean``: mean of the answered items (reverse-coded items reversed first).
        ``factor``: regression (Thurstone) factor scores from a CFA with one factor
        per scale fitted by ML; respondents missing any item get NaN.
    min_items : minimum number (int) or share (float in (0, 1]) of answered items for a
        mean score; default: all items but one for scales of 3+ items, all items otherwise.
    percent : bool
        Mean scores only: rescale every item to 0–100 by its codebook range,
        ``100 (x − min) / (max − min)``, before averaging ("percent of maximum
        possible", POMP; Cohen et al. 1999), so items with 5-, 7- and 10-point
        answers weigh alike. Needs a codebook with ``min`` and ``max``.
    quiet : bool
        Do not warn about respondents scored missing for too few answers.

    Returns
    -------
    DataFrame with one column per scale.

    >>> df = pd.DataFrame({"a": [1, 2, None], "b": [3, 4, 5], "c": [5, None, None]})
    >>> score_scales(df, {"s": ["a", "b", "c"]}, quiet=True)["s"].tolist()
    [3.0, 3.0, nan]
    >>> cb = pd.DataFrame({"item_id": ["a", "b", "c"], "scale": "s", "min": 1, "max": [5, 5, 9],
    ...                    "reverse": False})
    >>> score_scales(df, cb, percent=True, min_items=1)["s"].round(1).tolist()
    [33.3, 50.0, 100.0]
    """
    check_choice("method", method, ("mean", "factor"))
    scales, codebook = resolve_scales(scales, codebook)
    if percent and (method != "mean" or codebook is None or not {"min", "max"} <= set(codebook.columns)):
        raise ValueError("percent=True rescales items by their codebook range: use method='mean' and pass "
                         "a codebook with min and max")
    out = pd.DataFrame(index=data.index)
    if method == "mean":
        for name, items in scales.items():
            frame = item_frame(data, items, codebook=codebook, what=f"scale {name!r}")
            if percent:
                bounds = codebook.set_index("item_id").reindex(items)[["min", "max"]].astype(float)
                if bounds.isna().any().any():
                    raise ValueError(f"scale {name!r}: the codebook gives no min/max for "
                                     f"{bounds.index[bounds.isna().any(axis=1)].tolist()}")
                lo, hi = bounds["min"].to_numpy(), bounds["max"].to_numpy()
                frame = 100.0 * (frame - lo) / (hi - lo)
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
            if short and not quiet:
                warn(f"scale {name!r}: {short} respondents answered fewer than {need} of {k} items; "
                     "their score is missing")
        return out
    from fusion_study.measurement.sem.model import CFA

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


def satisfaction_score(
    survey: pd.DataFrame, *, codebook: pd.DataFrame | None = None, items: list[str] | None = None, scale: str = "satisfaction"
) -> pd.Series:
    """Mean of the ``scale`` items, each rescaled ``(x − min) / (max − min) × 100`` using the codebook.

    Without a codebook, pass ``items``; they are averaged unscaled.

    >>> s = pd.DataFrame({"sat1": [10, 1], "sat2": [7, 4]})
    >>> cb = pd.DataFrame({"item_id": ["sat1", "sat2"], "scale": "satisfaction", "min": [1, 1], "max": [10, 7]})
    >>> satisfaction_score(s, codebook=cb).round(1).tolist()
    [100.0, 25.0]
    """
    if items is None:
        if codebook is None:
            raise ValueError(f"pass items= or a codebook with a {scale!r} scale")
        items = [i for i in codebook.loc[codebook["scale"] == scale, "item_id"] if i in survey.columns]
    if not items:
        raise ValueError(f"no {scale!r} items found in the survey columns {list(survey.columns)}")
    missing = [i for i in items if i not in survey.columns]
    if missing:
        raise ValueError(f"survey lacks item column(s) {missing}")
    X = survey[list(items)].apply(pd.to_numeric, errors="coerce").astype(float)
    rescale = codebook is not None and bool(
        codebook.set_index("item_id").reindex(items)[["min", "max"]].notna().all().all()
    )
    if rescale:
        cb = codebook[codebook["item_id"].isin(items)]
        if "reverse" not in cb.columns:
            cb = cb.assign(reverse=False)
        scores = score_scales(X, {scale: list(items)}, codebook=cb, percent=True, min_items=1, quiet=True)
    else:
        scores = score_scales(X, {scale: list(items)}, min_items=1, quiet=True)
    return scores[scale]
