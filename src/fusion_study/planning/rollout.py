"""A randomised staggered rollout of interventions over branches, and its separability check.

Waves are numbered ``0, 1, …, waves - 1``; wave 0 is the baseline, before anything starts. An
intervention that starts in a branch at wave ``s`` stays on from ``s`` onwards (absorbing, as in a
stepped-wedge design), so the branch is exposed at waves ``w >= s``.

* :func:`plan_rollout` — when each branch starts each intervention: the branches' order in the
  stagger and the order of the interventions within each branch are randomised, and no branch
  starts two interventions in the same wave;
* :func:`separability` — for any such schedule, whether each intervention's effect can be told
  apart from the others' and from the branch and wave effects.

>>> plan = plan_rollout(["B1", "B2", "B3", "B4"], interventions=["hotline", "visits"], waves=4, seed=1)
>>> sorted(plan.columns), len(plan)
(['intervention', 'start_wave', 'unit_id'], 8)
>>> separability(plan)["separable"].all()
np.True_
"""

from __future__ import annotations

import math
from typing import Iterable

import numpy as np
import pandas as pd

from fusion_study.data.checks import require_columns
from fusion_study.effects.identification import alone_switch_ons, collinearity

__all__ = ["plan_rollout", "separability"]

PLAN_COLUMNS = ("unit_id", "intervention", "start_wave")

#: Random draws :func:`plan_rollout` makes before it gives up on finding a separable schedule.
MAX_DRAWS = 200

def _branch_ids(units) -> list:
    """The branch ids of a units table (``level == "branch"``) or of a plain list of ids."""
    if isinstance(units, pd.DataFrame):
        require_columns(units, ["unit_id", "level"], what="plan_rollout", table="units")
        ids = units.loc[units["level"] == "branch", "unit_id"].tolist()
        if not ids:
            levels = sorted(map(str, units["level"].dropna().unique()))
            raise ValueError(f"plan_rollout: table 'units' has no unit with level 'branch' (党支部); levels present: {levels}")
    elif isinstance(units, (str, bytes)):
        raise ValueError(f"plan_rollout: units must be a units table or a list of branch ids, got the string {units!r}")
    else:
        ids = list(units)
    missing = [i for i, u in enumerate(ids) if u is None or (isinstance(u, float) and math.isnan(u))]
    if missing:
        raise ValueError(f"plan_rollout: branch id missing at position(s) {missing}")
    dup = sorted({str(u) for u in ids if ids.count(u) > 1})
    if dup:
        raise ValueError(f"plan_rollout: branch ids must be unique; repeated: {dup}")
    return ids


def _positive_int(name: str, value, *, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer, float)) or not float(value).is_integer():
        raise ValueError(f"{name} must be a whole number, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value!r}")
    return int(value)


def plan_rollout(units, *, interventions: Iterable[str], waves: int, max_new_per_wave: int | None = None,
                 seed: int | np.random.Generator | None = None) -> pd.DataFrame:
    """A randomised staggered schedule: the wave at which each branch starts each intervention.

    Parameters
    ----------
    units : DataFrame or list
        A units table like a study's ``units`` (columns ``unit_id``, ``level``; the units with
        ``level == "branch"`` are scheduled), or a plain list of branch ids.
    interventions : list of str
        The interventions to roll out (unique names; a single string is one intervention).
    waves : int
        Number of survey waves ``W``, including the baseline wave 0. Needs ``W >= K + 2`` for
        ``K`` interventions (see Notes).
    max_new_per_wave : int, optional
        The most (branch, intervention) starts in any one wave — e.g. how many branches the
        rollout team can train per wave. ``None``: no limit.
    seed : int, numpy Generator or None
        Randomness (one ``np.random.default_rng(seed)``); the same seed gives the same schedule.

    Returns
    -------
    pandas.DataFrame
        One row per branch and intervention (branches in the order given, interventions in the
        order given): ``unit_id``, ``intervention``, ``start_wave`` (an integer in ``1 … W-1``).
        ``attrs["waves"]`` holds ``W``.

    Raises
    ------
    ValueError
        Fewer than 2 branches; too few waves for the interventions; a ``max_new_per_wave`` too small
        for ``branches × interventions`` starts in ``W - 1`` waves (each message says how many
        waves, branches or starts per wave would do); no separable draw in ``MAX_DRAWS`` tries.

    Notes
    -----
    *Construction.* The branches are put in a random stagger order. Each branch gets an order of
    the interventions from a Latin square (rotations of one random permutation, assigned along the
    stagger order), so each intervention comes first, second, … in equally many branches (±1).
    The ``B·K`` starts — all branches' first starts in stagger order, then all second starts, … —
    fill the waves ``1 … W-1`` in turn, as evenly as possible (the waves that take one start more
    are drawn at random). A wave then holds at most ``ceil(B·K / (W-1)) <= B`` starts, so a
    branch's starts fall in strictly increasing, distinct waves and never exceed
    ``max_new_per_wave``.

    *Why W >= K + 2.* One baseline wave, plus ``K`` distinct waves per branch so that every start
    is a wave where one intervention switches on while the others do not change; plus at least one
    more, since with exactly ``K`` start waves every branch has the same number of interventions on
    at each wave and the total exposure is collinear with the wave effects.

    *Restricted randomisation.* A draw is kept only if :func:`separability` finds every
    intervention separable (with few branches an intervention can happen to start in the same
    wave in every branch, which the wave effects absorb); otherwise it is redrawn, up to
    ``MAX_DRAWS`` times, from the same generator.

    Examples
    --------
    >>> plan = plan_rollout(["B1", "B2", "B3"], interventions=["hotline"], waves=3, seed=7)
    >>> sorted(plan["start_wave"].unique().tolist())
    [1, 2]
    """
    ids = _branch_ids(units)
    if isinstance(interventions, str):
        interventions = [interventions]
    names = list(interventions)
    if not names:
        raise ValueError("plan_rollout: give at least one intervention")
    dup = sorted({str(x) for x in names if names.count(x) > 1})
    if dup:
        raise ValueError(f"plan_rollout: intervention names must be unique; repeated: {dup}")
    n_b, n_k = len(ids), len(names)
    if n_b < 2:
        raise ValueError(f"plan_rollout: a staggered rollout needs at least 2 branches (timing must differ "
                         f"between branches); got {n_b}")
    w = _positive_int("waves", waves, minimum=1)
    if w < n_k + 2:
        raise ValueError(
            f"plan_rollout: {n_k} intervention(s) need at least {n_k + 2} waves (a baseline wave, one start wave "
            f"per intervention so each switches on alone, and one more so that branches differ in how many "
            f"interventions are on); got waves={w}. Add waves or roll out fewer interventions.")
    t = w - 1
    n_starts = n_b * n_k
    per_wave = -(-n_starts // t)
    if max_new_per_wave is not None:
        cap = _positive_int("max_new_per_wave", max_new_per_wave)
        if cap < per_wave:
            need_w = -(-n_starts // cap) + 1
            raise ValueError(
                f"plan_rollout: {n_b} branches x {n_k} intervention(s) = {n_starts} starts do not fit in "
                f"{t} start waves with max_new_per_wave={cap}; allow at least {per_wave} starts per wave, "
                f"or plan at least {max(need_w, n_k + 2)} waves.")

    rng = np.random.default_rng(seed)
    for _ in range(MAX_DRAWS):
        plan = _draw(ids, names, t, rng)
        plan.attrs["waves"] = w
        if separability(plan, waves=w)["separable"].all():
            return plan
    raise ValueError(
        f"plan_rollout: no separable schedule of {n_k} intervention(s) over {n_b} branches and {w} waves in "
        f"{MAX_DRAWS} random draws (with few branches an intervention tends to start in the same wave "
        f"everywhere); add waves or branches.")


def _draw(ids: list, names: list, t: int, rng: np.random.Generator) -> pd.DataFrame:
    """One random schedule of ``len(names)`` starts per branch over start waves ``1 … t`` (see Notes)."""
    n_b, n_k = len(ids), len(names)
    n_starts = n_b * n_k
    stagger = rng.permutation(n_b)                    # stagger position p -> branch index
    base = rng.permutation(n_k)                       # Latin square: rotations of one random order
    q, r = divmod(n_starts, t)
    sizes = np.full(t, q, dtype=np.int64)
    sizes[np.sort(rng.choice(t, size=r, replace=False))] += 1
    ends = np.cumsum(sizes)                           # starts with index < ends[i] are in wave i + 1
    start = np.zeros((n_b, n_k), dtype=np.int64)
    for p, b in enumerate(stagger):
        order = np.roll(base, -(p % n_k))
        for k_pos, k in enumerate(order):
            start[b, k] = int(np.searchsorted(ends, k_pos * n_b + p, side="right")) + 1
    return pd.DataFrame({
        "unit_id": np.repeat(np.array(ids, dtype=object), n_k),
        "intervention": np.tile(np.array(names, dtype=object), n_b),
        "start_wave": start.reshape(-1),
    })


def _exposures(plan: pd.DataFrame, waves: int | None) -> tuple[list, list, np.ndarray, int]:
    """Branches, interventions, the start-wave matrix (NaN = never) and the number of waves."""
    require_columns(plan, PLAN_COLUMNS, what="separability", table="plan")
    keys = plan[["unit_id", "intervention"]]
    dup = keys.duplicated(keep=False)
    if dup.any():
        rows = plan.index[dup].tolist()[:10]
        raise ValueError(f"separability: a branch has two start waves for one intervention (plan rows {rows})")
    sw = pd.to_numeric(plan["start_wave"], errors="coerce")
    bad = plan["start_wave"].notna() & (sw.isna() | (sw % 1 != 0) | (sw < 0))
    if bad.any():
        row = plan.index[bad][0]
        value = plan.loc[row, "start_wave"]
        value = value.item() if isinstance(value, np.generic) else value
        raise ValueError(f"separability: plan row {row}, column 'start_wave' = {value!r} "
                         f"is not a wave number (a whole number >= 0, or missing for never)")
    if waves is None:
        waves = plan.attrs.get("waves")
    if waves is None:
        waves = int(sw.max()) + 1 if sw.notna().any() else 1
    w = _positive_int("waves", waves, minimum=2)
    late = sw > w - 1
    if late.any():
        row = plan.index[late][0]
        raise ValueError(f"separability: plan row {row}, 'start_wave' = {int(sw[row])} is after the last wave "
                         f"{w - 1} (waves={w})")
    units = list(pd.unique(plan["unit_id"]))
    names = list(pd.unique(plan["intervention"]))
    start = (
        pd.DataFrame({"unit_id": plan["unit_id"], "intervention": plan["intervention"], "s": sw})
        .pivot(index="unit_id", columns="intervention", values="s")
        .reindex(index=units, columns=names)
        .to_numpy(dtype=float)
    )
    return units, names, start, w


def separability(plan: pd.DataFrame, *, waves: int | None = None) -> pd.DataFrame:
    """Whether each intervention's effect is separable in a rollout schedule.

    Two criteria, per intervention:

    * **alone-switch-ons** — branch-waves where the intervention switches on while no other
      intervention changes in that branch (a wave ``w >= 1`` equal to its start wave and to no other
      intervention's start wave in the branch);
    * **the exposure design** — the panel regression ``y_bw = α_b + γ_w + Σ_k β_k D_bwk`` with
      branch and wave fixed effects, ``D_bwk = 1[w >= start_bk]``: the exposures after removing the
      two-way fixed effects (exact two-way demeaning of the balanced branch × wave panel), with
      columns scaled to unit length, must have full column rank.

    Parameters
    ----------
    plan : DataFrame
        Columns ``unit_id``, ``intervention``, ``start_wave`` (as from :func:`plan_rollout`); a
        missing start wave, or a missing (branch, intervention) row, means never started.
    waves : int, optional
        Number of waves ``W`` (waves ``0 … W-1``). Default: ``plan.attrs["waves"]``, else the latest
        start wave + 1.

    Returns
    -------
    pandas.DataFrame
        One row per intervention: ``intervention``; ``n_switch_on`` (branch-waves ``w >= 1`` where it
        switches on); ``n_separable`` (those where it switches on alone); ``condition_number`` (of the
        scaled, fixed-effects-adjusted exposure matrix, the same for every row; ``inf`` when
        singular); ``vif`` (variance inflation of ``β_k`` by the other interventions, 1 when
        uncorrelated; ``inf`` when ``β_k`` is not identified); both from
        :func:`fusion_study.effects.identification.collinearity`, the alone-switch-ons from
        :func:`~fusion_study.effects.identification.alone_switch_ons` (the core shared with
        :func:`fusion_study.effects.several_interventions`); ``separable`` (``n_separable > 0`` and a finite
        condition number).

    Examples
    --------
    >>> co_timed = pd.DataFrame({"unit_id": ["B1", "B1", "B2", "B2"], "intervention": ["a", "b", "a", "b"],
    ...                          "start_wave": [1, 1, 2, 2]})
    >>> separability(co_timed, waves=3)[["intervention", "n_separable", "separable"]]
      intervention  n_separable  separable
    0            a            0      False
    1            b            0      False
    """
    _units, names, start, w = _exposures(plan, waves)
    n_b, n_k = start.shape
    wave = np.arange(w, dtype=float)
    with np.errstate(invalid="ignore"):
        expo = (wave[None, :, None] >= start[:, None, :]).astype(float)   # branch x wave x intervention
    resid = expo - expo.mean(axis=1, keepdims=True) - expo.mean(axis=0, keepdims=True) + expo.mean(axis=(0, 1), keepdims=True)
    x = resid.reshape(n_b * w, n_k)
    cond, vif = collinearity(x)
    alone = alone_switch_ons(start, first=0, last=w - 1)
    on = (start >= 1) & np.isfinite(start)
    n_switch = on.sum(axis=0)
    return pd.DataFrame({
        "intervention": names,
        "n_switch_on": n_switch.astype(np.int64),
        "n_separable": alone,
        "condition_number": np.full(n_k, cond),
        "vif": np.asarray(vif, dtype=float),
        "separable": (alone > 0) & np.isfinite(cond),
    })
