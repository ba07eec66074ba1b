"""Figures for :mod:`fusion_study.survey`."""

from __future__ import annotations

import numpy as np
import pandas as pd

from fusion_study.data.checks import check_lang, require_columns
from fusion_study.reporting.labels import label

__all__ = ["plot_branch_caterpillar", "caterpillar_height", "plot_weighted_means", "plot_theme_heatmap"]

#: vertical offset of the raw and shrunken rows of one branch (in branch rows)
_OFFSET = 0.17


def caterpillar_height(n_branches: int) -> float:
    """Figure height (inches) that keeps ``n_branches`` tick labels apart (about 0.24 in per branch)."""
    return float(max(3.5, 1.4 + 0.24 * n_branches))


def plot_branch_caterpillar(table: pd.DataFrame, *, lang: str = "zh", ax=None):
    """Raw and shrunken branch means with their intervals, branches sorted by the shrunken estimate.

    One row per branch (highest shrunken estimate at the top): the shrunken
    estimate with its interval (filled dot, dark line) and, just above it, the raw
    mean with its interval (open circle, light line; no line for a branch with a
    single response). A dashed vertical line marks the overall mean
    (``table.attrs["overall_mean"]``; the mean of the raw means when absent).

    Parameters
    ----------
    table : DataFrame
        Output of :func:`~fusion_study.survey.study.study_satisfaction_by_branch`:
        ``branch_id``, ``raw_mean``, ``estimate``, ``ci_lower``, ``ci_upper`` and
        optionally ``branch_name`` (tick labels), ``raw_ci_lower``, ``raw_ci_upper``.
    lang : {"zh", "en"}
    ax : matplotlib Axes, optional
        Drawn on a new figure sized by :func:`caterpillar_height` when omitted.

    Returns
    -------
    Axes
        Its lines: the shrunken markers (one per branch), the raw markers (one per
        branch) and the overall-mean line, in that order (``ax.lines``).
    """
    import matplotlib.pyplot as plt

    check_lang(lang)
    require_columns(table, ["branch_id", "raw_mean", "estimate", "ci_lower", "ci_upper"], what="plot_branch_caterpillar",
                    table="branch estimates")
    if len(table) == 0:
        raise ValueError("plot_branch_caterpillar: the table has no branches")
    d = table.sort_values(["estimate", "branch_id"], ascending=[True, False], kind="stable").reset_index(drop=True)
    k = len(d)
    if ax is None:
        _, ax = plt.subplots(figsize=(6.5, caterpillar_height(k)))
    y = np.arange(k, dtype=float)
    names = d["branch_name"] if "branch_name" in d.columns else d["branch_id"]
    est = d["estimate"].to_numpy(dtype=float)
    ax.hlines(y - _OFFSET, d["ci_lower"], d["ci_upper"], color="#1f4e79", linewidth=1.6, zorder=2)
    ax.plot(est, y - _OFFSET, "o", color="#1f4e79", markersize=4.5, zorder=3,
            label=label("shrunken_interval", lang))
    raw = d["raw_mean"].to_numpy(dtype=float)
    if {"raw_ci_lower", "raw_ci_upper"} <= set(d.columns):
        ok = d["raw_ci_lower"].notna() & d["raw_ci_upper"].notna()
        ax.hlines(y[ok] + _OFFSET, d.loc[ok, "raw_ci_lower"], d.loc[ok, "raw_ci_upper"], color="#9aa5b1",
                  linewidth=1.0, zorder=1)
    ax.plot(raw, y + _OFFSET, "o", markerfacecolor="white", markeredgecolor="#6b7785", markersize=4.0, zorder=3,
            label=label("raw_interval", lang))
    overall = table.attrs.get("overall_mean", float(np.nanmean(raw)))
    ax.axvline(overall, color="#b03a2e", linestyle="--", linewidth=1.0, zorder=0,
               label=f"{label('overall_mean', lang)} {overall:.1f}")
    ax.set_yticks(y)
    ax.set_yticklabels([str(n) for n in names], fontsize=8 if k > 30 else 9)
    ax.set_ylim(-0.7, k - 0.3)
    ax.set_xlabel(label("satisfaction_score_100", lang))
    ax.set_ylabel("")
    ax.grid(axis="y", visible=False)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.7 / caterpillar_height(k)), ncol=3, frameon=False,
              fontsize=8)
    return ax


def plot_weighted_means(table: pd.DataFrame, *, lang: str = "zh", ax=None):
    """Weighted and unweighted mean satisfaction per wave, the weighted one with its interval band.

    Parameters
    ----------
    table : DataFrame
        Output of :func:`~fusion_study.survey.study.study_weighted_means` with ``by="wave"``:
        ``weighting``, ``wave``, ``estimate``, ``ci_lower``, ``ci_upper``.
    lang : {"zh", "en"}
    ax : matplotlib Axes, optional

    Returns
    -------
    Axes
        Its lines: the weighted means, then the unweighted means (``ax.lines``); one band
        (``ax.collections``) for the weighted interval.
    """
    import matplotlib.pyplot as plt

    check_lang(lang)
    require_columns(table, ["weighting", "wave", "estimate", "ci_lower", "ci_upper"], what="plot_weighted_means",
                    table="weighted means")
    if ax is None:
        _, ax = plt.subplots(figsize=(7.0, 3.6))
    waves = list(dict.fromkeys(table["wave"].astype(str)))
    x = np.arange(len(waves))
    for name, style in (("weighted", dict(color="#1f4e79", marker="o", linestyle="-")),
                        ("unweighted", dict(color="#b03a2e", marker="s", linestyle="--", markerfacecolor="white"))):
        d = table[table["weighting"] == name].set_index(table.loc[table["weighting"] == name, "wave"].astype(str))
        d = d.reindex(waves)
        ax.plot(x, d["estimate"].to_numpy(float), label=label(name, lang), markersize=4, linewidth=1.4, **style)
        if name == "weighted":
            ax.fill_between(x, d["ci_lower"].to_numpy(float), d["ci_upper"].to_numpy(float), color="#1f4e79",
                            alpha=0.15, linewidth=0, label=label("weighted_ci", lang))
    ax.set_xticks(x)
    ax.set_xticklabels(waves, rotation=60, ha="right")
    ax.set_xlabel(label("wave", lang))
    ax.set_ylabel(label("satisfaction_score_100", lang))
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False, fontsize=8)
    return ax


def plot_theme_heatmap(table: pd.DataFrame, *, lang: str = "zh", ax=None):
    """Theme × branch heat map: each theme's share of a branch's answers that have a theme.

    Parameters
    ----------
    table : DataFrame
        :attr:`~fusion_study.survey.study_themes.StudyThemes.by_branch_`: ``branch_id``,
        ``theme``, ``label``, ``share`` and optionally ``branch_name`` (row labels).
    lang : {"zh", "en"}
    ax : matplotlib Axes, optional

    Returns
    -------
    Axes
        One image (``ax.images[0]``, branches as rows in ``branch_id`` order, themes as
        columns in ``theme`` order), each cell annotated with its share in per cent;
        column tick labels are the theme labels (top words).
    """
    import matplotlib.pyplot as plt

    check_lang(lang)
    require_columns(table, ["branch_id", "theme", "label", "share"], what="plot_theme_heatmap",
                    table="themes by branch")
    if len(table) == 0:
        raise ValueError("plot_theme_heatmap: the table has no rows")
    wide = table.pivot(index="branch_id", columns="theme", values="share").sort_index()
    themes = wide.columns.tolist()
    labels = table.drop_duplicates("theme").set_index("theme")["label"].reindex(themes)
    names = (table.drop_duplicates("branch_id").set_index("branch_id")["branch_name"].reindex(wide.index)
             if "branch_name" in table.columns else pd.Series(wide.index, index=wide.index))
    k, m = wide.shape
    if ax is None:
        _, ax = plt.subplots(figsize=(1.2 + 1.05 * m, caterpillar_height(k)))
    values = wide.to_numpy(dtype=float)
    image = ax.imshow(values, aspect="auto", cmap="Blues", vmin=0, vmax=max(float(np.nanmax(values)), 1e-9))
    for i in range(k):
        for j in range(m):
            v = values[i, j]
            if np.isfinite(v):
                ax.text(j, i, f"{100 * v:.0f}", ha="center", va="center", fontsize=7,
                        color="white" if v > 0.6 * np.nanmax(values) else "#222222")
    ax.set_xticks(np.arange(m))
    ax.set_xticklabels([f"{t}\n{lab.replace('/', chr(10))}" for t, lab in zip(themes, labels)], fontsize=8)
    ax.xaxis.tick_top()
    ax.set_yticks(np.arange(k))
    ax.set_yticklabels([str(n) for n in names], fontsize=8 if k > 30 else 9)
    ax.set_xlabel(label("theme_label", lang))
    ax.set_ylabel(label("branch_name", lang))
    ax.grid(False)
    bar = ax.figure.colorbar(image, ax=ax, fraction=0.04, pad=0.02)
    bar.set_label(label("theme_share", lang) + " (%)" if lang == "en" else label("theme_share", lang) + "（%）")
    bar.ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{100 * v:.0f}"))
    return ax
