"""Figures for introducing a (simulated) study: the rollout calendar and the true effects."""

from __future__ import annotations

from fusion_study.data.checks import check_lang

import numpy as np
import pandas as pd

from fusion_study.data.periods import period_number, period_range
from fusion_study.data.schema import vocabulary_label

__all__ = ["plot_rollout_calendar", "plot_true_att", "rollout_matrix"]

_LABELS = {
    "zh": {
        "x": "季度",
        "y": "党支部",
        "count": "已启动的措施数",
        "event": "启动后季度数",
        "index": "满意度指数变化（0–100分）",
        "latent": "潜在满意度变化（标准差）",
        "title_cal": "干预措施推进日历（按首次启动排序）",
        "title_att": "真实处理效应（ATT）随启动时间的变化",
        "never": "（窗口内未启动）",
        "programme": "整体项目",
    },
    "en": {
        "x": "quarter",
        "y": "party branch",
        "count": "interventions started",
        "event": "quarters since start",
        "index": "change in satisfaction index (0–100)",
        "latent": "change in latent satisfaction (SD)",
        "title_cal": "Rollout calendar (branches ordered by first start)",
        "title_att": "True ATT by time since adoption",
        "never": " (never in window)",
        "programme": "whole programme",
    },
}


def _use_cjk(fig) -> None:
    """Let every text of ``fig`` fall back to a CJK font, leaving the global style alone."""
    from matplotlib.text import Text

    from fusion_study.reporting.fonts import cjk_font_family

    family = cjk_font_family()
    for text in fig.findobj(Text):
        current = text.get_fontfamily()
        if family not in current:
            text.set_fontfamily([family, *current])


def _check_lang(lang: str) -> dict:
    return _LABELS[check_lang(lang)]


def rollout_matrix(interventions: pd.DataFrame, periods: list[str], units: list[str] | None = None) -> pd.DataFrame:
    """Number of interventions started by each unit (rows) by each period (columns).

    Rows are ordered by first start (never-adopting units last); ``units``
    adds units without any intervention.

    >>> iv = pd.DataFrame({"unit_id": ["B1", "B1", "B2"], "intervention": ["brand", "cloud_team", "brand"],
    ...                    "start_period": ["2024Q2", "2024Q3", "2024Q3"]})
    >>> rollout_matrix(iv, ["2024Q1", "2024Q2", "2024Q3"], units=["B1", "B2", "B3"]).to_numpy().tolist()
    [[0, 1, 2], [0, 0, 1], [0, 0, 0]]
    """
    missing = {"unit_id", "intervention", "start_period"} - set(interventions.columns)
    if missing:
        raise ValueError(f"the interventions table lacks column(s) {sorted(missing)}")
    start = period_number(interventions["start_period"].astype("string")).to_numpy(dtype=float)
    nums = np.array([period_number(p) for p in periods], dtype=float)
    ids = list(pd.unique(interventions["unit_id"]))
    if units is not None:
        ids = list(units) + [u for u in ids if u not in set(units)]
    counts = pd.DataFrame(0, index=pd.Index(ids, name="unit_id"), columns=pd.Index(periods, name="period"))
    unit_codes = pd.Index(ids).get_indexer(interventions["unit_id"])
    for j, n in enumerate(nums):
        started = start <= n
        counts.iloc[:, j] = np.bincount(unit_codes[started], minlength=len(ids))
    first = interventions.assign(_n=start).groupby("unit_id")["_n"].min().reindex(ids).fillna(np.inf)
    order = np.lexsort((np.arange(len(ids)), first.to_numpy()))
    return counts.iloc[order]


def plot_rollout_calendar(
    interventions: pd.DataFrame,
    *,
    periods: list[str] | None = None,
    units: pd.DataFrame | None = None,
    lang: str = "zh",
    ax=None,
):
    """Heat map of the staggered rollout: branches × quarters, shaded by interventions started.

    Parameters
    ----------
    interventions : the study's interventions table (``unit_id, intervention, start_period``).
    periods : the quarters to show (default: first to last start).
    units : the study's units table; its branches label the rows (name) and
        branches that never adopt are shown as empty rows.
    lang : ``"zh"`` or ``"en"``.
    ax : matplotlib Axes to draw on (a new figure if None).

    Returns
    -------
    matplotlib Axes
    """
    import matplotlib.pyplot as plt

    text = _check_lang(lang)
    if periods is None:
        nums = period_number(interventions["start_period"].astype("string"))
        first = f"{int(nums.min()) // 4}Q{int(nums.min()) % 4 + 1}"
        periods = period_range(first, int(nums.max() - nums.min()) + 1)
    names = None
    unit_ids = None
    if units is not None:
        branches = units[units["level"] == "branch"]
        unit_ids = branches["unit_id"].tolist()
        names = dict(zip(branches["unit_id"], branches["name"]))
    m = rollout_matrix(interventions, list(periods), unit_ids)
    if ax is None:
        _, ax = plt.subplots(figsize=(8, max(3.0, 0.24 * len(m) + 1.2)))
    n_max = int(interventions["intervention"].nunique()) or 1
    image = ax.imshow(m.to_numpy(), aspect="auto", cmap="YlGnBu", vmin=0, vmax=n_max, interpolation="nearest")
    ax.grid(False)  # grid lines would cross the cells
    labels = []
    for uid, row in m.iterrows():
        label = names.get(uid, uid) if names else uid
        labels.append(f"{label}{text['never']}" if row.max() == 0 else label)
    ax.set_yticks(range(len(m)))
    ax.set_yticklabels(labels, fontsize=7)
    ax.set_xticks(range(len(periods)))
    ax.set_xticklabels(periods, rotation=60, fontsize=8)
    ax.set_xlabel(text["x"])
    ax.set_ylabel(text["y"])
    ax.set_title(text["title_cal"])
    bar = ax.figure.colorbar(image, ax=ax, fraction=0.04, pad=0.02, ticks=range(n_max + 1))
    bar.set_label(text["count"])
    _use_cjk(ax.figure)
    return ax


def plot_true_att(
    truth,
    *,
    interventions=("programme",),
    scale: str = "index",
    segment: str = "all",
    lang: str = "zh",
    ax=None,
):
    """The true ATT by event time for some interventions (lines), from :class:`Truth`.

    Parameters
    ----------
    truth : :class:`~fusion_study.simulate.Truth`.
    interventions : names in ``truth.att`` (the six interventions and ``"programme"``).
    scale : ``"index"`` (0–100 satisfaction index) or ``"latent"`` (SD units).
    segment : ``"all"`` or one retailer segment.
    lang : ``"zh"`` or ``"en"``.
    ax : matplotlib Axes to draw on (a new figure if None).

    Returns
    -------
    matplotlib Axes
    """
    import matplotlib.pyplot as plt

    text = _check_lang(lang)
    if scale not in ("index", "latent"):
        raise ValueError(f"scale must be 'index' or 'latent', got {scale!r}")
    a = truth.att
    known = sorted(set(a["intervention"]))
    unknown = [i for i in interventions if i not in known]
    if unknown:
        raise ValueError(f"unknown intervention(s) {unknown}; the truth has: {', '.join(known)}")
    if segment not in set(a["segment"]):
        raise ValueError(f"segment must be one of {sorted(set(a['segment']))}, got {segment!r}")
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4))
    col = "att_index" if scale == "index" else "att_latent"
    for name in interventions:
        part = a[(a["intervention"] == name) & (a["segment"] == segment) & a["event_time"].notna()]
        label = text["programme"] if name == "programme" else vocabulary_label("intervention", name, lang)
        ax.plot(part["event_time"].astype(int), part[col], marker="o", label=label)
    ax.axhline(0, color="0.6", lw=0.8)
    ax.set_xlabel(text["event"])
    ax.set_ylabel(text[scale])
    ax.set_title(text["title_att"])
    ax.legend(fontsize=8)
    _use_cjk(ax.figure)
    return ax
