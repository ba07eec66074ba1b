"""Figures for :mod:`fusion_study.brands`."""

from __future__ import annotations

import numpy as np
import pandas as pd

from fusion_study.brands.distinctiveness import brand_similarity_matrix
from fusion_study.brands.moderation import _CSDID, _TWFE
from fusion_study.data.checks import check_lang, require_columns
from fusion_study.reporting.labels import label

__all__ = ["plot_brand_similarity", "plot_brand_moderation"]


def plot_brand_similarity(
    brands: pd.DataFrame,
    *,
    flags: pd.DataFrame | None = None,
    reference: tuple[str, ...] = ("星火",),
    max_brands: int = 40,
    lang: str = "zh",
    ax=None,
):
    """Heat-map of brand-to-brand text similarity; tick labels are brand names (with the flag if given).

    Brands are ordered by flag then name so copied and generic clusters show as
    bright blocks; at most ``max_brands`` (the first ones in that order) are drawn.
    """
    import matplotlib.pyplot as plt

    check_lang(lang)
    b = brands.copy()
    if flags is not None:
        b = b.merge(flags[["branch_id", "flag"]], on="branch_id", how="left")
        b["_o"] = b["flag"].map({f: i for i, f in enumerate(("copied", "generic", "distinctive"))})
        b = b.sort_values(["_o", "brand_name"], kind="stable")
    b = b.head(max_brands)
    S = brand_similarity_matrix(b, reference=reference)
    if ax is None:
        size = max(4.0, 0.22 * len(S) + 2)
        _, ax = plt.subplots(figsize=(size + 1, size))
    im = ax.imshow(S.to_numpy(), vmin=0, vmax=1, cmap="viridis")
    ax.grid(False)  # the house style's grid would cut every cell in half
    def tag(f):
        return label(f"brand_flag_{f}", lang)

    lab = [
        f"{n}（{tag(f)}）" if lang == "zh" and isinstance(f, str) else (f"{n} ({tag(f)})" if isinstance(f, str) else n)
        for n, f in zip(b["brand_name"], b["flag"] if "flag" in b else [None] * len(b))
    ] + [f"[{r}]" for r in reference]
    ax.set_xticks(range(len(lab)))
    ax.set_yticks(range(len(lab)))
    ax.set_xticklabels(lab, rotation=90, fontsize=7)
    ax.set_yticklabels(lab, fontsize=7)
    ax.figure.colorbar(im, ax=ax, fraction=0.04, label=label("brand_similarity_cosine", lang))
    ax.set_title(label("brand_similarity_title", lang))
    return ax


def plot_brand_moderation(table: pd.DataFrame, *, lang: str = "zh", ax=None):
    """Forest plot of :func:`brand_type_moderation` rows (type ATTs grey, contrasts red, legend), 0 marked.

    Several methods in one table (concatenated outputs) are drawn as separate
    rows labelled by method.
    """
    import matplotlib.pyplot as plt

    check_lang(lang)
    if lang == "zh":
        from fusion_study.reporting.fonts import ensure_cjk_font

        ensure_cjk_font()
    need = ["label_zh", "label_en", "kind", "estimate", "ci_lower", "ci_upper", "method"]
    require_columns(table, need, what="plot_brand_moderation (pass brand_type_moderation output)")
    t = table.iloc[::-1]
    lab = (t["label_zh"] if lang == "zh" else t["label_en"]).tolist()
    if t["method"].nunique() > 1:
        short = {_CSDID: "CS-DiD", _TWFE: label("twfe_short", lang)}
        lab = [f"{x}（{short.get(m, m)}）" if lang == "zh" else f"{x} ({short.get(m, m)})"
               for x, m in zip(lab, t["method"])]
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 0.45 * len(t) + 1.4))
    yy = np.arange(len(t))
    est, lo, hi = (t[c].to_numpy(float) for c in ("estimate", "ci_lower", "ci_upper"))
    con = (t["kind"] == "contrast").to_numpy()
    legend = (label("brand_type_att", lang), label("brand_contrast", lang))
    for mask, color, name in ((~con, "#999999", legend[0]), (con, "#C44E52", legend[1])):
        if mask.any():
            ax.errorbar(est[mask], yy[mask], xerr=[est[mask] - lo[mask], hi[mask] - est[mask]], fmt="o",
                        color=color, ecolor=color, capsize=3, label=name)
    ax.axvline(0, color="0.4", lw=0.8)
    ax.set_yticks(yy)
    ax.set_yticklabels(lab)
    ax.legend(loc="best", fontsize=8)
    ax.set_xlabel(label("brand_effect_axis", lang))
    ax.set_title(label("brand_effect_title", lang))
    return ax
