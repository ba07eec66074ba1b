"""A retailer's satisfaction score from the survey items (0–100), for the members/brands/problems analyses.

Deliberately simple: each satisfaction item is rescaled by its codebook range to
0–100 (reverse-coded items reversed) and the available items are averaged — the
POMP mean of :func:`fusion_study.measurement.score_scales`. The measurement module's latent
scores are the better choice where a measurement model has been validated.
"""

from __future__ import annotations

import pandas as pd

__all__ = ["satisfaction_score"]


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
    from .measurement import score_scales

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
