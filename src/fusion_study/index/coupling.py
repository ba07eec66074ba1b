"""Coupling coordination (耦合协调度) between two subsystems, e.g. party work and business.

For subsystem scores U1, U2 in [0, 1] (one pair per unit):

* coupling degree  C = sqrt(U1 · U2) / ((U1 + U2) / 2)   — the **corrected**
  two-system formula, i.e. C = [U1·U2 / ((U1+U2)/2)^2]^(1/2), equivalently
  2·sqrt(U1·U2)/(U1+U2): the ratio of geometric to arithmetic mean, in [0, 1],
  equal to 1 exactly when U1 = U2;
* coordination index  T = w U1 + (1 - w) U2 (``weight`` w = 0.5 by default);
* coupling coordination degree  D = sqrt(C · T).

The widely copied variant C = [U1·U2 / (U1+U2)^2]^(1/k) (the "/2" inside the
square dropped — one of the "writing errors" catalogued by Wang Shujia, Kong
Wei, Ren Liang, Zhi Dandan & Dai Binting, 2021, "Research on misuses and
modification of coupling coordination degree model in China", *Journal of
Natural Resources* 36(3): 793–810, doi:10.31497/zrzyxb.20210319) has maximum
0.5 for k = 2, so its C and D cannot reach the upper bands and compress all
units into "imbalance" categories. :func:`coupling_degree` offers it only as
``formula="erroneous"`` for comparison with published results.

Level bands for D (the common 10-band scale, intervals closed on the left):
[0, .1) 极度失调 extreme imbalance; [.1, .2) 严重失调 severe imbalance;
[.2, .3) 中度失调 moderate imbalance; [.3, .4) 轻度失调 mild imbalance;
[.4, .5) 濒临失调 verge of imbalance; [.5, .6) 勉强协调 barely coordinated;
[.6, .7) 初级协调 primary coordination; [.7, .8) 中级协调 intermediate
coordination; [.8, .9) 良好协调 good coordination; [.9, 1] 优质协调 high-quality
coordination.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from fusion_study.data.checks import check_choice
from fusion_study.index._validate import IndexInputError

__all__ = ["COUPLING_LEVELS", "coupling_degree", "coupling_coordination", "coupling_level"]

COUPLING_LEVELS = [
    ("极度失调", "extreme imbalance"),
    ("严重失调", "severe imbalance"),
    ("中度失调", "moderate imbalance"),
    ("轻度失调", "mild imbalance"),
    ("濒临失调", "verge of imbalance"),
    ("勉强协调", "barely coordinated"),
    ("初级协调", "primary coordination"),
    ("中级协调", "intermediate coordination"),
    ("良好协调", "good coordination"),
    ("优质协调", "high-quality coordination"),
]


def _check_unit_interval(u, name):
    u = np.asarray(u, dtype=float)
    if np.isnan(u).any():
        raise IndexInputError(f"{name} has missing values; coupling coordination needs both subsystem scores")
    if np.any(u < 0) or np.any(u > 1):
        raise IndexInputError(
            f"{name} must be scores in [0, 1] (normalise the subsystem indices first); "
            f"got range [{u.min():.4g}, {u.max():.4g}]"
        )
    return u


def coupling_degree(u1, u2, *, formula: str = "corrected", k: float = 2.0) -> np.ndarray:
    """Coupling degree C of two subsystems.

    ``formula="corrected"``: C = sqrt(U1·U2) / ((U1+U2)/2), range [0, 1].
    ``formula="erroneous"``: C = [U1·U2 / (U1+U2)^2]^(1/k), the mis-copied
    variant (maximum 0.5 when k = 2) — for reproducing and diagnosing papers only.
    C is 0 when both scores are 0.

    >>> coupling_degree([0.6, 0.2], [0.6, 0.8]).round(4).tolist()
    [1.0, 0.8]
    >>> coupling_degree([0.6], [0.6], formula="erroneous").round(4).tolist()
    [0.5]
    """
    check_choice("formula", formula, ("corrected", "erroneous"))
    u1 = _check_unit_interval(u1, "subsystem_a")
    u2 = _check_unit_interval(u2, "subsystem_b")
    s = u1 + u2
    safe = np.where(s > 0, s, 1.0)
    if formula == "corrected":
        c = np.sqrt(u1 * u2) / (safe / 2.0)
    else:
        c = (u1 * u2 / safe**2) ** (1.0 / k)
    return np.where(s > 0, c, 0.0)


def coupling_level(d) -> np.ndarray:
    """Band number 1–10 of coupling coordination degrees ``d`` (see module docstring)."""
    d = np.asarray(d, dtype=float)
    return np.clip(np.floor(d * 10 + 1e-12).astype(int), 0, 9) + 1


def coupling_coordination(subsystem_a, subsystem_b, *, weight: float = 0.5, index=None,
                          alpha: float | None = None) -> pd.DataFrame:
    """Coupling coordination of two subsystems (corrected formula).

    Parameters
    ----------
    subsystem_a, subsystem_b : array-like or Series
        Subsystem scores U1 (e.g. the party-work sub-index) and U2 (business)
        in [0, 1], one per unit.
    weight : float
        Weight w of subsystem a in T = w U1 + (1 - w) U2.
    index : Index, optional
        Row labels (default: ``subsystem_a``'s index if it is a Series).
    alpha : float, optional
        Deprecated name of ``weight`` (``alpha`` is the significance level everywhere else).

    Returns
    -------
    DataFrame
        Columns ``u1, u2, C, T, D, level`` (1–10), ``level_zh``, ``level_en``.

    Validated against: hand computation (``tests/test_index_coupling.py``, 1e-12).

    Examples
    --------
    >>> coupling_coordination([0.8, 0.2], [0.8, 0.8])[["C", "T", "D", "level_en"]].round(3)
         C    T      D             level_en
    0  1.0  0.8  0.894    good coordination
    1  0.8  0.5  0.632  primary coordination
    """
    if alpha is not None:
        warnings.warn("coupling_coordination(alpha=) is deprecated; use weight= (the weight of subsystem a)",
                      DeprecationWarning, stacklevel=2)
        weight = alpha
    if not 0.0 <= weight <= 1.0:
        raise ValueError(f"weight must be in [0, 1], got {weight}")
    if index is None and isinstance(subsystem_a, pd.Series):
        index = subsystem_a.index
    u1 = _check_unit_interval(subsystem_a, "subsystem_a")
    u2 = _check_unit_interval(subsystem_b, "subsystem_b")
    if u1.shape != u2.shape:
        raise IndexInputError(f"the two subsystems have different lengths ({u1.size} and {u2.size})")
    c = coupling_degree(u1, u2)
    t = weight * u1 + (1.0 - weight) * u2
    d = np.sqrt(c * t)
    level = coupling_level(d)
    out = pd.DataFrame({"u1": u1, "u2": u2, "C": c, "T": t, "D": d, "level": level}, index=index)
    out["level_zh"] = [COUPLING_LEVELS[k - 1][0] for k in level]
    out["level_en"] = [COUPLING_LEVELS[k - 1][1] for k in level]
    return out
