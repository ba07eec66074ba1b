"""Figures for :mod:`fusion_study.planning`: the rollout calendar and the power per intervention."""

from __future__ import annotations

import numpy as np
import pandas as pd

from fusion_study.data.checks import check_lang, require_columns
from fusion_study.planning.rollout import _exposures
from fusion_study.reporting.labels import label
from fusion_study.reporting.style import HOUSE_PALETTE

__all__ = ["plot_rollout_calendar", "plot_power"]

_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")


def plot_rollout_calendar(plan: pd.DataFrame, *, waves: int | None = None, branch_labels: dict | None = None,
                          lang: str = "zh", ax=None):
    """The rollout calendar: branches × waves, shaded by how many interventions are on, starts marked.

    Parameters
    ----------
    plan : DataFrame
        ``unit_id``, ``intervention``, ``start_wave`` (as from
        :func:`~fusion_study.planning.rollout.plan_rollout`).
    waves : int, optional
        Number of waves; default ``plan.attrs["waves"]``.
    branch_labels : dict, optional
        ``{unit_id: display name}`` for the rows (default: the ids).
    lang : {"zh", "en"}
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
        Rows are branches (plan order, top to bottom), columns waves ``0 … W-1``; the shade of a
        cell is the number of interventions on; one marker per intervention at its start wave.
    """
    import matplotlib.pyplot as plt
    from matplotlib.colors import BoundaryNorm, ListedColormap

    check_lang(lang)
    units, names, start, w = _exposures(plan, waves)
    n_b, n_k = start.shape
    with np.errstate(invalid="ignore"):
        on = (np.arange(w)[None, :, None] >= start[:, None, :]).sum(axis=2)
    if ax is None:
        _, ax = plt.subplots(figsize=(min(2.0 + 0.55 * w, 12.0), min(1.5 + 0.28 * n_b, 14.0)))
    greys = plt.get_cmap("Greys")(np.linspace(0.0, 0.45, n_k + 1))
    cmap = ListedColormap(greys)
    norm = BoundaryNorm(np.arange(-0.5, n_k + 1.0), cmap.N)
    image = ax.imshow(on, aspect="auto", cmap=cmap, norm=norm, interpolation="nearest")
    ax.grid(False)
    offsets = np.linspace(-0.28, 0.28, n_k) if n_k > 1 else np.zeros(1)
    for j, k in enumerate(names):
        rows = np.flatnonzero(~np.isnan(start[:, j]))
        ax.scatter(start[rows, j] + offsets[j], rows, s=48, marker=_MARKERS[j % len(_MARKERS)],
                   color=HOUSE_PALETTE[j % len(HOUSE_PALETTE)], edgecolor="white", linewidth=0.5,
                   label=label(k, lang), zorder=3)
    ax.set_xticks(range(w))
    ax.set_xlim(-0.5, w - 0.5)
    ax.set_yticks(range(n_b))
    ax.set_yticklabels([str((branch_labels or {}).get(u, u)) for u in units])
    ax.set_xlabel(label("wave_number", lang))
    ax.set_ylabel(label("branch", lang))
    ax.set_title(label("rollout_calendar", lang))
    bar = ax.figure.colorbar(image, ax=ax, ticks=range(n_k + 1), fraction=0.04, pad=0.02)
    bar.set_label(label("n_interventions_on", lang))
    ax.legend(title=label("intervention_start", lang), loc="upper left", bbox_to_anchor=(1.12, 1.0),
              frameon=False, fontsize="small")
    return ax


def plot_power(power: pd.DataFrame, *, x: str = "effect_size", target: float | None = 0.8, lang: str = "zh",
               ax=None):
    """Power per intervention against effect size (or responses per branch), with Monte Carlo error bars.

    Parameters
    ----------
    power : DataFrame
        Rows of :func:`~fusion_study.planning.power.rollout_power` (several runs concatenated):
        ``intervention``, ``power``, ``mcse_power`` and the ``x`` column.
    x : {"effect_size", "responses_per_branch"}
        The horizontal axis.
    target : float or None, default 0.8
        A dashed line at this power (``None``: none).
    lang : {"zh", "en"}
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
        One line per intervention, error bars ±2 Monte Carlo SE, y axis 0–1.
    """
    import matplotlib.pyplot as plt

    from fusion_study.data.checks import check_choice

    check_lang(lang)
    check_choice("x", x, ("effect_size", "responses_per_branch"))
    require_columns(power, ["intervention", "power", "mcse_power", x], what="plot_power", table="power")
    if ax is None:
        _, ax = plt.subplots(figsize=(6.4, 4.0))
    for j, (k, g) in enumerate(power.groupby("intervention", sort=False)):
        g = g.sort_values(x)
        ax.errorbar(g[x], g["power"], yerr=2 * g["mcse_power"], marker=_MARKERS[j % len(_MARKERS)],
                    color=HOUSE_PALETTE[j % len(HOUSE_PALETTE)], capsize=3, label=label(k, lang))
    if target is not None:
        ax.axhline(target, color="0.4", linestyle="--", linewidth=1)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel(label("effect_size_sd" if x == "effect_size" else "responses_per_branch_wave", lang))
    ax.set_ylabel(label("power", lang))
    ax.set_title(label("power_title", lang))
    ax.legend(frameon=False, fontsize="small")
    return ax
