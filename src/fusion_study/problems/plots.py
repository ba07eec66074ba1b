"""Figures for :mod:`fusion_study.problems`."""

from __future__ import annotations

import numpy as np
import pandas as pd
from fusion_study.data.schema import vocabulary_label
from fusion_study.problems.tickets import resolution_curves

__all__ = ['plot_resolution_curves']


def plot_resolution_curves(
    durations: pd.DataFrame,
    *,
    by: str = "category",
    conf_type: str = "log",
    max_days: float | None = None,
    lang: str = "zh",
    ax=None,
):
    """Step plot of the share of tickets still unresolved against days since opening, one line per group.

    ``by`` is ``"category"`` (急/难/愁/盼) or ``"after_launch"`` (before/after the mechanism).
    """
    import matplotlib.pyplot as plt

    if lang not in ("zh", "en"):
        raise ValueError(f"lang must be 'zh' or 'en', got {lang!r}")
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4))
    km = resolution_curves(durations, by=by, conf_type=conf_type)
    for key, sub in km.groupby(by, sort=True):
        if by == "category":
            label = vocabulary_label("ticket_category", str(key), lang)
        elif by == "after_launch":
            label = {0: ("机制启动前", "before launch"), 1: ("机制启动后", "after launch")}[int(key)][lang == "en"]
        else:
            label = str(key)
        x = np.r_[0.0, sub["time"].to_numpy()]
        y = np.r_[1.0, sub["surv"].to_numpy()]
        (line,) = ax.step(x, y, where="post", label=label)
        lo = np.r_[1.0, sub["lower"].to_numpy()]
        hi = np.r_[1.0, sub["upper"].to_numpy()]
        ax.fill_between(x, lo, hi, step="post", alpha=0.15, color=line.get_color())
    ax.set_ylim(0, 1.02)
    if max_days is not None:
        ax.set_xlim(0, max_days)
    ax.set_xlabel("登记后天数" if lang == "zh" else "days since opened")
    ax.set_ylabel("尚未解决的比例" if lang == "zh" else "share still unresolved")
    ax.legend(title=None, frameon=False)
    return ax

