"""Figures for :mod:`fusion_study.participation`."""

from __future__ import annotations

import numpy as np
import pandas as pd

from fusion_study.data.checks import check_choice, check_lang
from fusion_study.participation.calendar import VALUES
from fusion_study.reporting.labels import label

__all__ = ['plot_participation_calendar']


def plot_participation_calendar(
    participation: pd.DataFrame,
    *,
    value: str = "heat",
    branch: str | None = None,
    branch_labels: dict[str, str] | None = None,
    lang: str = "zh",
    ax=None,
):
    """Calendar heat-map of weekly participation.

    With ``branch`` given: rows are years and columns ISO weeks 1–53 (a calendar of
    that branch). Without: rows are branches and columns are weeks in time order.
    ``value`` is one of ``heat`` (activities per member), ``participation_rate``,
    ``n_activities``.
    """
    import matplotlib.pyplot as plt

    check_choice("value", value, VALUES)
    check_lang(lang)
    p = participation
    colour_label = label(value, lang)
    if branch is not None:
        p = p[p["branch_id"] == branch]
        if p.empty:
            raise ValueError(f"no participation rows for branch {branch!r}")
        grid = p.pivot_table(index="year", columns="week_of_year", values=value, aggfunc="sum").reindex(
            columns=range(1, 54)
        )
        ylabels = [str(y) for y in grid.index]
        xlabel = label("iso_week", lang)
        title = (branch_labels or {}).get(branch, branch)
    else:
        grid = p.pivot_table(index="branch_id", columns="week", values=value, aggfunc="sum")
        ylabels = [(branch_labels or {}).get(b, b) for b in grid.index]
        xlabel = label("week", lang)
        title = label("weekly_activity_by_branch", lang)
    if ax is None:
        _, ax = plt.subplots(figsize=(10, max(2.0, 0.25 * len(grid) + 1.2)))
    im = ax.imshow(np.ma.masked_invalid(grid.to_numpy(dtype=float)), aspect="auto", cmap="YlOrRd", interpolation="nearest")
    ax.grid(False)  # grid lines would cross the cells
    ax.set_yticks(range(len(ylabels)))
    ax.set_yticklabels(ylabels, fontsize=7)
    if branch is None:
        cols = list(grid.columns)
        step = max(1, len(cols) // 12)
        ax.set_xticks(range(0, len(cols), step))
        ax.set_xticklabels([pd.Timestamp(c).strftime("%Y-%m") for c in cols[::step]], rotation=45, fontsize=7)
    else:
        ax.set_xticks(range(0, 53, 4))
        ax.set_xticklabels([str(w) for w in range(1, 54, 4)], fontsize=7)
    ax.set_xlabel(xlabel)
    ax.set_title(title)
    ax.figure.colorbar(im, ax=ax, fraction=0.03, label=colour_label)
    return ax

