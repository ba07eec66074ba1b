"""Figures of the integration index (Chinese or English labels; never shown or saved here)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from fusion_study.data.checks import check_alpha, check_lang, require_columns
from fusion_study.reporting.labels import label

__all__ = ["plot_index_bars", "plot_rank_intervals", "plot_weights", "plot_alignment", "plot_coupling"]


def _ax(ax, size=(7, 5)):
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=size)
    return ax


def _pick_period(df, period_column, period):
    if period_column is None or period_column not in df.columns:
        return df, None
    if period is None:
        period = sorted(df[period_column].astype(str).unique())[-1]
    sub = df[df[period_column].astype(str) == str(period)]
    if sub.empty:
        raise ValueError(f"no rows for period {period!r}; periods: {sorted(df[period_column].astype(str).unique())}")
    return sub, period


def plot_index_bars(index, *, period=None, lang: str = "zh", ax=None, top: int | None = 30):
    """Horizontal bars of a fitted :class:`IntegrationIndex`'s scores for one period."""
    check_lang(lang)
    ids = index.id_columns_
    df, period = _pick_period(index.scores_, ids[-1] if len(ids) > 1 else None, period)
    df = df.sort_values(["index", ids[0]], ascending=[False, True])
    if top:
        df = df.head(top)
    ax = _ax(ax, (7, max(3, 0.25 * len(df) + 1)))
    y = np.arange(len(df))[::-1]
    ax.barh(y, df["index"], color="#b22222")
    ax.set_yticks(y, df[ids[0]].astype(str))
    ax.set_xlabel("党业融合指数" if lang == "zh" else "integration index")
    title = ("党业融合指数" if lang == "zh" else "Integration index") + (f"（{period}）" if lang == "zh" and period else f" ({period})" if period else "")
    ax.set_title(title)
    return ax


def plot_rank_intervals(ranks: pd.DataFrame, *, period=None, lang: str = "zh", ax=None, top: int | None = 30,
                        unit: str = "unit_id", period_column: str | None = "period", alpha: float | None = None):
    """Median rank and rank interval (``ci_lower``–``ci_upper``) per unit, best at the top.

    ``ranks`` is :attr:`IndexUncertainty.ranks_ <fusion_study.index.uncertainty.IndexUncertainty>`;
    ``alpha`` (default: ``ranks.attrs["alpha"]``, else 0.05) only labels the interval's coverage.
    """
    check_lang(lang)
    require_columns(ranks, [unit, "median_rank", "ci_lower", "ci_upper", "rank"], what="plot_rank_intervals")
    alpha = check_alpha(ranks.attrs.get("alpha", 0.05) if alpha is None else alpha)
    df, period = _pick_period(ranks, period_column, period)
    df = df.sort_values(["median_rank", "rank", unit])
    if top:
        df = df.head(top)
    ax = _ax(ax, (7, max(3, 0.25 * len(df) + 1)))
    y = np.arange(len(df))[::-1]
    pct = f"{100 * (1 - alpha):g}%"
    ax.hlines(y, df["ci_lower"], df["ci_upper"], color="#4c72b0", lw=3, alpha=0.6,
              label=f"{pct} 排名区间" if lang == "zh" else f"{pct} rank interval")
    ax.plot(df["median_rank"], y, "o", color="#4c72b0", label="排名中位数" if lang == "zh" else "median rank")
    ax.plot(df["rank"], y, "x", color="#b22222", label="基准方案排名" if lang == "zh" else "rank (chosen method)")
    ax.set_yticks(y, df[unit].astype(str))
    ax.set_xlabel("排名（1 = 最好）" if lang == "zh" else "rank (1 = best)")
    ttl = "排名的不确定性" if lang == "zh" else "Rank uncertainty"
    ax.set_title(f"{ttl}（{period}）" if lang == "zh" and period else f"{ttl} ({period})" if period else ttl)
    ax.set_xlim(0.5, max(float(df["ci_upper"].max()), float(df["rank"].max())) + 0.5)
    # below the axes: the best units sit top left and the worst bottom right, so inside it would cover them
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=3, fontsize=8, frameon=False)
    return ax


def plot_weights(weights: pd.DataFrame, *, lang: str = "zh", ax=None):
    """Grouped bars: indicators (rows) x weighting methods (columns of ``weights``)."""
    from fusion_study.index.composite import dimension_label

    check_lang(lang)
    ax = _ax(ax, (9, 4.5))
    n, k = weights.shape
    x = np.arange(n)
    width = 0.8 / k
    for i, col in enumerate(weights.columns):
        ax.bar(x + (i - (k - 1) / 2) * width, weights[col].to_numpy(), width, label=str(col))
    ax.set_xticks(x, [dimension_label(str(i), lang) for i in weights.index], rotation=20, ha="right")
    ax.set_ylabel("权重" if lang == "zh" else "weight")
    ax.set_title("不同赋权方法的指标权重" if lang == "zh" else "Indicator weights by method")
    top = float(np.nanmax(weights.to_numpy())) if weights.size else 1.0
    ax.set_ylim(0, top * 1.35)  # head-room for the legend inside the axes
    ax.legend(fontsize=8, loc="upper center", ncol=min(k, 4))
    return ax


_QUAD_COLORS = {"both_strong": "#2ca02c", "party_only": "#d62728", "business_only": "#1f77b4", "both_weak": "#7f7f7f"}


def plot_alignment(points: pd.DataFrame, *, party_cut: float, business_cut: float, lang: str = "zh", ax=None,
                   labels: dict | None = None):
    """Scatter of party vs business assessment with quadrant cuts (the 两张皮 test)."""
    check_lang(lang)
    ax = _ax(ax, (6, 5.5))
    for quad, sub in points.groupby("quadrant", sort=True):
        lab = labels.get(quad, quad) if labels else label(quad, lang)
        ax.scatter(sub["party"], sub["business"], s=25, alpha=0.8, color=_QUAD_COLORS.get(quad, "k"), label=lab)
    ax.axvline(party_cut, color="k", lw=0.8, ls="--")
    ax.axhline(business_cut, color="k", lw=0.8, ls="--")
    ax.set_xlabel("党建考核得分" if lang == "zh" else "party-building assessment")
    ax.set_ylabel("业务考核得分" if lang == "zh" else "business assessment")
    ax.set_title("党建考核与业务考核（“两张皮”检验）" if lang == "zh" else "Party vs business assessment (\"two skins\" test)")
    ax.legend(fontsize=8, loc="best")
    return ax


def plot_coupling(coupling: pd.DataFrame, *, lang: str = "zh", ax=None):
    """Scatter of U1 vs U2 coloured by coupling coordination degree D, with D contours."""
    check_lang(lang)
    ax = _ax(ax, (6, 5.5))
    g = np.linspace(0.001, 1, 200)
    u1, u2 = np.meshgrid(g, g)
    c = np.sqrt(u1 * u2) / ((u1 + u2) / 2)
    d = np.sqrt(c * (u1 + u2) / 2)
    cs = ax.contour(u1, u2, d, levels=np.arange(0.1, 1.0, 0.1), colors="0.7", linewidths=0.6)
    ax.clabel(cs, fmt="%.1f", fontsize=7)
    sc = ax.scatter(coupling["u1"], coupling["u2"], c=coupling["D"], cmap="viridis", vmin=0, vmax=1, s=25)
    ax.figure.colorbar(sc, ax=ax, label="耦合协调度 D" if lang == "zh" else "coupling coordination D")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("党建子系统 U1" if lang == "zh" else "party subsystem U1")
    ax.set_ylabel("业务子系统 U2" if lang == "zh" else "business subsystem U2")
    ax.set_title("党建与业务的耦合协调" if lang == "zh" else "Coupling coordination of party and business work")
    return ax
