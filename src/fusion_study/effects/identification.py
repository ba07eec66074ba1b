"""Whether several interventions' effects can be told apart: the shared core.

Two questions decide whether the effect of one intervention can be separated from the others'
(used by :func:`fusion_study.planning.rollout.separability` for a planned schedule and by
:func:`fusion_study.effects.several.several_interventions` for observed data):

* :func:`alone_switch_ons` — in how many units does the intervention switch on in a period where
  no other intervention changes (the variation that separates it);
* :func:`collinearity` — how much the overlap with the other interventions' exposures inflates the
  variance of each coefficient (or of given linear combinations), and the condition number.

>>> import numpy as np
>>> alone_switch_ons(np.array([[1.0, 2.0], [2.0, 2.0]]), first=0, last=3).tolist()
[1, 1]
>>> cond, vif = collinearity(np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]))
>>> round(cond, 6), vif.round(6).tolist()
(1.732051, [1.333333, 1.333333])
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["alone_switch_ons", "collinearity", "RANK_TOL"]

#: Singular values below this share of the largest count as zero (rank deficiency).
RANK_TOL = 1e-10


def alone_switch_ons(start: np.ndarray, *, first, last) -> np.ndarray:
    """Per intervention, the number of units where it switches on while no other one does.

    Parameters
    ----------
    start : ndarray, shape (units, interventions)
        The first exposed period of each unit and intervention; ``NaN`` = never.
    first, last : number or ndarray of shape (units,)
        Each unit's first and last observed period. A switch-on counts only inside the window,
        ``first < start <= last`` (a period before it to compare with, and one at or after it).

    Returns
    -------
    ndarray of int, shape (interventions,)
        Units where the intervention switches on in a period that is no other intervention's
        first exposed period in that unit.
    """
    start = np.asarray(start, dtype=float)
    first = np.broadcast_to(np.asarray(first, dtype=float), start.shape[:1])[:, None]
    last = np.broadcast_to(np.asarray(last, dtype=float), start.shape[:1])[:, None]
    with np.errstate(invalid="ignore"):
        on = np.isfinite(start) & (start > first) & (start <= last)
    out = np.zeros(start.shape[1], dtype=np.int64)
    for k in range(start.shape[1]):
        others = np.delete(start, k, axis=1)
        clash = (others == start[:, [k]]).any(axis=1)
        out[k] = int((on[:, k] & ~clash).sum())
    return out


def collinearity(x: np.ndarray, contrasts: np.ndarray | None = None) -> tuple[float, np.ndarray]:
    """Condition number of ``x`` (unit-length columns) and variance inflation factors.

    Parameters
    ----------
    x : ndarray, shape (n, p)
        A design (already adjusted for whatever is partialled out, e.g. fixed effects).
    contrasts : ndarray, shape (m, p), optional
        Linear combinations ``c'β`` to report the inflation of; default the ``p`` columns.

    Returns
    -------
    condition_number : float
        Largest over smallest singular value of ``x`` with unit-length columns; ``inf`` when
        ``x`` has a zero column or is rank deficient (singular value below ``RANK_TOL`` times
        the largest).
    vif : ndarray, shape (m,)
        ``c'(X'X)^+ c / c' diag(X'X)^{-1} c``: the variance of ``c'β̂`` relative to what it would be
        if the columns were orthogonal (for a column: the usual VIF of unit-length columns, 1
        when uncorrelated with the others). ``inf`` for a combination that is not estimable
        (not in the row space of ``x``) or that involves a zero column.
    """
    x = np.asarray(x, dtype=float)
    p = x.shape[1]
    c = np.eye(p) if contrasts is None else np.atleast_2d(np.asarray(contrasts, dtype=float))
    norms = np.sqrt((x * x).sum(axis=0))
    zero = norms <= RANK_TOL * max(1.0, float(norms.max(initial=0.0)))
    vif = np.full(len(c), math.inf)
    if p == 0:
        return math.inf, vif
    safe = np.where(zero, 1.0, norms)
    xs = x / safe
    _, sv, vt = np.linalg.svd(xs, full_matrices=False)
    keep = sv > RANK_TOL * sv[0] if sv[0] > 0 else np.zeros_like(sv, dtype=bool)
    cond = float(sv[0] / sv[-1]) if keep.all() and not zero.any() else math.inf
    # (Xs'Xs)^+ from the SVD; a contrast in scaled coordinates is c / norms
    v = vt[keep].T
    inv = (v / sv[keep] ** 2) @ v.T
    null = vt[~keep].T  # basis of the null space of the scaled design (with zero columns)
    for i, ci in enumerate(c):
        if np.any(ci[zero] != 0):
            continue
        cs = np.where(zero, 0.0, ci / safe)
        scale = float(np.sqrt(cs @ cs))
        if scale == 0:
            continue
        if null.size and np.abs(cs @ null).max() > 1e-8 * scale:
            continue
        vif[i] = float(cs @ inv @ cs) / float(cs @ cs)
    return cond, vif
