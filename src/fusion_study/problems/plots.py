"""Figures for :mod:`fusion_study.problems`."""

from __future__ import annotations

import numpy as np
import pandas as pd

from fusion_study.data.checks import check_lang
from fusion_study.data.schema import vocabulary_label
from fusion_study.problems.tickets import resolution_curves
from fusion_study.reporting.labels import label

__all__ = ['plot_resolution_curves']


def plot_resolution_curves(
    durations: pd.DataFrame,
    *,
    by: str = "category",
    conf_type: str = "log",
    max_days: float | None = None,
    alpha: float = 0.05,
    lang: str = "zh",
    ax=None,
):
    """Step plot of the share of tickets still unresolved against days since opening, one line per group.

    ``by`` is ``"category"`` (急/难/愁/盼) or ``"after_launch"`` (before/after the mechanism);
    the band is the pointwise ``1 - alpha`` Kaplan–Meier band.
    """
    import matplotlib.pyplot as plt

    check_lang(lang)
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4))
    km = resolution_curves(durations, by=by, conf_type=conf_type, alpha=alpha)
    for key, sub in km.groupby(by, sort=True):
        if by == "category":
            name = vocabulary_label("ticket_category", str(key), lang)
        elif by == "after_launch":
            name = label("after_launch" if int(key) else "before_launch", lang)
        else:
            name = str(key)
        x = np.r_[0.0, sub["time"].to_numpy()]
        y = np.r_[1.0, sub["estimate"].to_numpy()]
        (line,) = ax.step(x, y, where="post", label=name)
        lo = np.r_[1.0, sub["ci_lower"].to_numpy()]
        hi = np.r_[1.0, sub["ci_upper"].to_numpy()]
        ax.fill_between(x, lo, hi, step="post", alpha=0.15, color=line.get_color())
    ax.set_ylim(0, 1.02)
    if max_days is not None:
        ax.set_xlim(0, max_days)
    ax.set_xlabel(label("days_since_opened", lang))
    ax.set_ylabel(label("share_unresolved", lang))
    ax.legend(title=None, frameon=False)
    return ax

