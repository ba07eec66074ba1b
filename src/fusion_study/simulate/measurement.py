"""From latent constructs to Likert answers: loadings, thresholds, reverse items.

Each item ``j`` of construct ``C`` has a continuous response
``y*_j = loading_j * C + sqrt(1 - loading_j**2) * e_j`` (``e_j`` standard
normal, independent), cut into categories ``1..K`` at the thresholds of its
number of points ``K`` (:data:`THRESHOLDS`: normal quantiles of a target
answer distribution that leans positive, as satisfaction surveys do). A
reverse-coded item records ``K + 1 - category`` (the respondent agrees with a
negatively worded statement), so reverse-coding it back recovers the category.

The customer constructs derive from latent satisfaction ``S``:
``quality = 0.85 S + 0.53 e``, ``image = 0.65 S + 0.76 e``,
``dependency = 0.70 S + 0.71 e``, ``expectation = 0.40 u + 0.92 e`` (``u`` the
retailer's persistent effect); the staff constructs are the branch's fusion
``F_bdt`` plus ``0.5 v_p`` (the person) ``+ 0.55 e``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import ndtr, ndtri

from fusion_study.data.instruments import standard_codebook

__all__ = [
    "LOADINGS",
    "THRESHOLDS",
    "TARGET_SHARES",
    "CONSTRUCT_PATHS",
    "discretise",
    "expected_answer",
    "satisfaction_index",
    "loadings_frame",
    "thresholds_frame",
]

#: Loading of each item on its construct.
LOADINGS: dict[str, float] = {
    "exp1": 0.75, "exp2": 0.80, "exp3": 0.70,
    "qual1": 0.80, "qual2": 0.85, "qual3": 0.75, "qual4": 0.60,
    "img1": 0.75, "img2": 0.80, "img3": 0.70,
    "sat1": 0.85, "sat2": 0.85, "sat3": 0.80,
    "dep1": 0.80, "dep2": 0.75, "dep3": 0.60,
    "goal1": 0.80, "goal2": 0.75, "goal3": 0.70,
    "outc1": 0.80, "outc2": 0.80, "outc3": 0.70,
    "capa1": 0.80, "capa2": 0.75, "capa3": 0.55,
    "serv1": 0.80, "serv2": 0.80, "serv3": 0.75,
}  # fmt: skip

#: Target answer shares at construct value 0, by number of points.
TARGET_SHARES: dict[int, tuple[float, ...]] = {
    5: (0.04, 0.10, 0.26, 0.37, 0.23),
    7: (0.02, 0.04, 0.08, 0.20, 0.28, 0.24, 0.14),
    10: (0.01, 0.02, 0.03, 0.05, 0.09, 0.14, 0.19, 0.21, 0.15, 0.11),
}

#: Thresholds (K - 1 cut points on the y* scale) by number of points.
THRESHOLDS: dict[int, np.ndarray] = {k: ndtri(np.cumsum(v)[:-1]) for k, v in TARGET_SHARES.items()}

#: Structural coefficients of the customer constructs (see module docs).
CONSTRUCT_PATHS: dict[str, tuple[str, float]] = {
    "quality": ("satisfaction", 0.85),
    "image": ("satisfaction", 0.65),
    "dependency": ("satisfaction", 0.70),
    "expectation": ("retailer_effect", 0.40),
}


def discretise(ystar: np.ndarray, points: int) -> np.ndarray:
    """Category 1..points of each continuous response.

    >>> discretise(np.array([-5.0, 0.0, 5.0]), 5).tolist()
    [1, 4, 5]
    """
    return np.searchsorted(THRESHOLDS[points], ystar, side="right") + 1


def expected_answer(construct: np.ndarray, loading: float, points: int) -> np.ndarray:
    """``E[category | construct]`` before any reverse coding.

    ``E[x] = 1 + sum_k P(y* > tau_k) = 1 + sum_k Phi((loading * C - tau_k) / sqrt(1 - loading**2))``.
    """
    sd = np.sqrt(1.0 - loading**2)
    c = np.asarray(construct, dtype=float)[..., None]
    return 1.0 + ndtr((loading * c - THRESHOLDS[points]) / sd).sum(axis=-1)


_SAT_ITEMS = (("sat1", 10), ("sat2", 7), ("sat3", 7))


def satisfaction_index(S: np.ndarray) -> np.ndarray:
    """Expected observed satisfaction index (0-100) given latent satisfaction ``S``.

    The index is the mean over sat1–sat3 of ``100 * (x - min) / (max - min)``
    (ACSI-style rescaling of items with different numbers of points); this
    returns its expectation over item noise.

    >>> float(satisfaction_index(np.array([0.0]))[0].round(1))
    68.4
    """
    total = 0.0
    for item, points in _SAT_ITEMS:
        total = total + 100.0 * (expected_answer(S, LOADINGS[item], points) - 1.0) / (points - 1)
    return total / len(_SAT_ITEMS)


def loadings_frame() -> pd.DataFrame:
    """``item_id, instrument, scale, loading, points, reverse``: the true measurement model."""
    cb = standard_codebook()
    return pd.DataFrame(
        {
            "item_id": cb["item_id"].astype(str).to_numpy(),
            "instrument": cb["instrument"].astype(str).to_numpy(),
            "scale": cb["scale"].astype(str).to_numpy(),
            "loading": [LOADINGS[i] for i in cb["item_id"]],
            "points": cb["max"].astype(int).to_numpy(),
            "reverse": cb["reverse"].astype(bool).to_numpy(),
        }
    )


def thresholds_frame() -> pd.DataFrame:
    """``points, category, threshold``: y* above ``threshold`` means at least ``category``."""
    rows = [
        {"points": k, "category": c + 2, "threshold": float(t)}
        for k, th in THRESHOLDS.items()
        for c, t in enumerate(th)
    ]
    return pd.DataFrame(rows)
