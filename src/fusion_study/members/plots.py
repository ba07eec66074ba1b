"""Figures for :mod:`fusion_study.members`."""

from __future__ import annotations

import numpy as np
import pandas as pd

from fusion_study.data.checks import check_lang
from fusion_study.data.periods import period_number
from fusion_study.data.schema import vocabulary_label
from fusion_study.members.profiles import DIMENSIONS
from fusion_study.reporting.labels import label

__all__ = ['plot_member_radar', 'plot_member_trajectory']


def plot_member_radar(
    profiles: pd.DataFrame,
    members: pd.DataFrame,
    member_ids: list[str] | str,
    *,
    period: str,
    labels: dict[str, str] | None = None,
    lang: str = "zh",
    ax=None,
):
    """Radar (spider) chart of members' standardised points against their branch and the city mean.

    The city mean is 0 on every axis by construction (z-scores); the branch
    mean is drawn dashed for the first member's branch. Pass ``labels`` (e.g.
    pseudonyms ``{"M001": "党员甲"}``) to avoid showing member ids.
    """
    import matplotlib.pyplot as plt

    check_lang(lang)
    ids = [member_ids] if isinstance(member_ids, str) else list(member_ids)
    prof = profiles[profiles["period"] == period]
    if prof.empty:
        raise ValueError(f"no profiles for period {period!r}")
    zcols = [f"z_{d}" for d in DIMENSIONS if f"z_{d}" in prof.columns]
    angles = np.linspace(0, 2 * np.pi, len(zcols), endpoint=False)
    closed = np.r_[angles, angles[:1]]
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 5), subplot_kw={"projection": "polar"})
    m = prof.merge(members[["member_id", "branch_id"]], on="member_id", how="left")
    for mid in ids:
        row = m[m["member_id"] == mid]
        if row.empty:
            raise ValueError(f"member {mid!r} has no profile in period {period!r}")
        vals = row[zcols].to_numpy(dtype=float)[0]
        name = (labels or {}).get(mid, mid)
        ax.plot(closed, np.r_[vals, vals[:1]], marker="o", label=name)
        ax.fill(closed, np.r_[vals, vals[:1]], alpha=0.1)
    branch = m.loc[m["member_id"] == ids[0], "branch_id"].iloc[0]
    bvals = m.loc[m["branch_id"] == branch, zcols].mean().to_numpy(dtype=float)
    ax.plot(closed, np.r_[bvals, bvals[:1]], linestyle="--", color="grey", label=label("branch_mean", lang))
    ax.plot(closed, np.zeros_like(closed), linestyle=":", color="black", label=label("city_mean", lang))
    # z-scores are negative as often as positive: start the radius below the smallest
    # value so that the city mean (0) is a visible ring, not the centre point
    shown = np.concatenate([m.loc[m["member_id"].isin(ids), zcols].to_numpy(dtype=float).ravel(), bvals, [0.0]])
    ax.set_ylim(np.floor(np.nanmin(shown) * 2) / 2 - 0.5, np.ceil(np.nanmax(shown) * 2) / 2 + 0.25)
    ax.set_xticks(angles)
    ax.set_xticklabels([vocabulary_label("points_dimension", c[2:], lang) for c in zcols])
    ax.tick_params(axis="x", pad=14)  # keep dimension names clear of the outermost markers
    ax.set_rlabel_position(22.5)  # radial tick labels between the first two spokes
    ax.set_title(f"{label('points_portrait', lang)} {period}")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=2, frameon=False, fontsize=8)
    return ax


def plot_member_trajectory(
    profiles: pd.DataFrame,
    member_ids: list[str] | str,
    *,
    labels: dict[str, str] | None = None,
    lang: str = "zh",
    ax=None,
):
    """Composite points over quarters for one or several members, with the bootstrap interval as a band.

    Pass ``labels`` (pseudonyms) to avoid showing member ids.
    """
    import matplotlib.pyplot as plt

    check_lang(lang)
    ids = [member_ids] if isinstance(member_ids, str) else list(member_ids)
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 3.5))
    periods = sorted(profiles["period"].unique(), key=lambda p: period_number(p))
    pos = {p: i for i, p in enumerate(periods)}
    for mid in ids:
        sub = profiles[profiles["member_id"] == mid]
        if sub.empty:
            raise ValueError(f"member {mid!r} has no profile rows")
        sub = sub.assign(_x=sub["period"].map(pos)).sort_values("_x")
        (line,) = ax.plot(sub["_x"], sub["composite"], marker="o", label=(labels or {}).get(mid, mid))
        if sub["composite_ci_lower"].notna().any():
            ax.fill_between(sub["_x"], sub["composite_ci_lower"], sub["composite_ci_upper"], alpha=0.15,
                            color=line.get_color())
    ax.axhline(0, color="grey", linestyle=":", linewidth=1)
    ax.set_xticks(range(len(periods)))
    ax.set_xticklabels(periods, rotation=45, fontsize=8)
    ax.set_ylabel(label("composite_z", lang))
    ax.legend(frameon=False, fontsize=8)
    return ax

