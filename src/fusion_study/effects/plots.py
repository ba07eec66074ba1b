"""Figures for intervention effects (event studies, love plots).

Every function draws on ``ax`` (or a new one) and returns the Axes; labels in
Chinese (``lang="zh"``) or English (``lang="en"``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fusion_study.data.checks import check_lang
from fusion_study.reporting.fonts import ensure_cjk_font
from fusion_study.reporting.labels import label

__all__ = ["plot_event_study", "plot_love", "plot_intervention_effects", "ensure_cjk_font"]


def _labels(lang: str) -> dict:
    """The figure labels in ``lang`` (from the one catalogue, :mod:`fusion_study.reporting.labels`)."""
    check_lang(lang)
    if lang == "zh":
        ensure_cjk_font()
    keys = {"event": "event_time_periods", "att": "att_axis", "pre": "pre_treatment", "post": "post_treatment",
            "smd": "smd_abs", "before": "unweighted", "after": "weighted", "covariate": "covariate",
            "outcome_change": "satisfaction_change"}
    return {k: label(v, lang) for k, v in keys.items()}


#: estimator names in :func:`~fusion_study.effects.study.evaluate_interventions` -> catalogue keys
_ESTIMATOR_KEYS = {"TWFE (branch + wave)": "twfe_branch_wave", "before/after": "before_after",
                   "treated vs untreated": "treated_vs_untreated"}


def plot_event_study(data: pd.DataFrame, *, lang: str = "zh", ax=None, title: str | None = None):
    """Event-study plot from a dynamic aggregation frame.

    ``data`` has the columns of ``StaggeredDiD.aggregate("dynamic")`` (rows with
    ``term == "event_time"`` are drawn) or any frame with ``value``/``event_time``,
    ``estimate``, ``ci_lower``, ``ci_upper``.
    """
    import matplotlib.pyplot as plt

    lab = _labels(lang)
    if ax is None:
        _, ax = plt.subplots(figsize=(6.4, 4))
    d = data
    if "term" in d.columns:
        d = d[d["term"] == "event_time"]
    e = (d["value"] if "value" in d.columns else d["event_time"]).to_numpy(float)
    att = d["estimate"].to_numpy(float)
    lo = d["ci_lower"].to_numpy(float)
    hi = d["ci_upper"].to_numpy(float)
    for mask, color, name in ((e < 0, "#4C72B0", lab["pre"]), (e >= 0, "#C44E52", lab["post"])):
        if mask.any():
            ax.errorbar(e[mask], att[mask], yerr=[att[mask] - lo[mask], hi[mask] - att[mask]],
                        fmt="o", color=color, capsize=3, label=name)
    ax.axhline(0, color="0.4", lw=0.8)
    ax.axvline(-0.5, color="0.6", lw=0.8, ls="--")
    ax.set_xlabel(lab["event"])
    ax.set_ylabel(lab["att"])
    if len(e):
        ax.set_xticks(np.unique(e))
    if title:
        ax.set_title(title)
    ax.legend(frameon=False)
    return ax


def plot_love(balance: pd.DataFrame, *, lang: str = "zh", ax=None, threshold: float = 0.1):
    """Love plot: |SMD| per covariate before and after weighting.

    ``balance`` has columns ``covariate``, ``smd_before``, ``smd_after``.
    """
    import matplotlib.pyplot as plt

    lab = _labels(lang)
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 0.4 * len(balance) + 1.5))
    yy = np.arange(len(balance))
    ax.scatter(balance["smd_before"].abs(), yy, marker="o", color="#C44E52", label=lab["before"])
    ax.scatter(balance["smd_after"].abs(), yy, marker="s", color="#4C72B0", label=lab["after"])
    ax.axvline(threshold, color="0.5", ls="--", lw=0.8)
    ax.set_yticks(yy)
    ax.set_yticklabels(balance["covariate"])
    ax.set_xlabel(lab["smd"])
    ax.legend(frameon=False)
    return ax


def plot_intervention_effects(table: pd.DataFrame, *, lang: str = "zh", ax=None, estimand: str = "ATT (simple)"):
    """Forest plot of :func:`evaluate_interventions` rows for one estimand (plus naive rows).

    The per-intervention effects net of the others (estimand ``"ATT net of other
    interventions"``, when the table has them) are drawn in blue beside each
    intervention's CS-DiD row, labelled "net of others"; refused interventions have no point.
    """
    import matplotlib.pyplot as plt

    from fusion_study.effects.study import SEVERAL_ESTIMAND

    lab = _labels(lang)
    keep = table["estimand"].isin([estimand, "ATT (naive)", SEVERAL_ESTIMAND])
    t = table[keep].dropna(subset=["estimate"])
    t = t.iloc[::-1]
    rows = t["label_zh"] if lang == "zh" else t["label_en"]
    fmt = "{}（{}）" if lang == "zh" else "{} ({})"
    names = [a if e == "CS-DiD (RC, DR)" else fmt.format(a, label("net_of_others", lang)) if m == SEVERAL_ESTIMAND
             else fmt.format(a, label(_ESTIMATOR_KEYS.get(e, e), lang))
             for a, e, m in zip(rows, t["estimator"], t["estimand"])]
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 0.45 * len(t) + 1.2))
    yy = np.arange(len(t))
    naive_rows = (t["estimand"] == "ATT (naive)").to_numpy()
    net_rows = (t["estimand"] == SEVERAL_ESTIMAND).to_numpy()
    est, lo, hi = (t[c].to_numpy(float) for c in ("estimate", "ci_lower", "ci_upper"))
    for mask, color in ((naive_rows, "#999999"), (net_rows, "#4C72B0"), (~naive_rows & ~net_rows, "#C44E52")):
        if mask.any():
            ax.errorbar(est[mask], yy[mask], xerr=[est[mask] - lo[mask], hi[mask] - est[mask]], fmt="o",
                        color=color, ecolor=color, capsize=3)
    ax.axvline(0, color="0.4", lw=0.8)
    ax.set_yticks(yy)
    ax.set_yticklabels(names)
    ax.set_xlabel(lab["outcome_change"])
    return ax

