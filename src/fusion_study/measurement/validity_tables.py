"""The validity tables reviewers expect, in their order, as a dict of DataFrames."""

from __future__ import annotations

import numpy as np
import pandas as pd

from fusion_study.data.checks import check_choice
from fusion_study.measurement._data import item_frame, resolve_scales, warn
from fusion_study.measurement.factor import harman_single_factor, kmo_bartlett
from fusion_study.measurement.reliability import reliability
from fusion_study.measurement.scores import score_scales
from fusion_study.measurement.sem.model import CFA, NotConvergedError

__all__ = ["validity_report", "alternative_models", "cfa_scales", "ValidityReport", "CFA_TABLES"]

_FIT = ["chisq", "df", "cfi", "tli", "rmsea", "srmr", "aic", "bic"]
#: with ordered=True the table shows the WLSMV (scaled-shifted) statistics under the same names
_FIT_ORDINAL = {"chisq": "chisq_scaled", "df": "df", "cfi": "cfi_scaled", "tli": "tli_scaled",
                "rmsea": "rmsea_scaled", "srmr": "srmr"}


def alternative_models(data: pd.DataFrame, scales, *, codebook: pd.DataFrame | None = None,
                       merge: list[tuple[str, str]] | None = None, missing: str = "listwise",
                       ordered: bool = False) -> pd.DataFrame:
    """Fit of the hypothesised CFA against a one-factor model and merged-factor models.

    ``merge`` lists the pairs of scales to merge (default: the most highly
    correlated pair in the hypothesised model); ``missing`` is "listwise" or "fiml".
    ``ordered=True`` fits ordinal CFAs (WLSMV): chisq, cfi, tli and rmsea are then the
    scaled(-shifted) versions, aic/bic are missing, and ``delta_p_value`` is missing because the
    difference of two scaled-shifted statistics is not χ²-distributed (that needs a DIFFTEST).

    One-item measures are left out (see :func:`cfa_scales`).

    Returns
    -------
    DataFrame ``model, n_factors, chisq, df, chisq_df, cfi, tli, rmsea, srmr, aic, bic,
    delta_chisq, delta_df, delta_p_value`` (differences against the hypothesised model).
    """
    from scipy import stats

    scales, codebook = resolve_scales(scales, codebook)
    left_out = [k for k in scales if k not in cfa_scales(scales)]
    scales = cfa_scales(scales)
    if not scales:
        raise ValueError(f"no scale can enter a CFA ({left_out}): one-item measures never do, and a two-item "
                         "scale only beside another factor")
    if left_out:
        warn(f"left out of the CFA (one-item measures): {left_out}")
    models = {f"{len(scales)}-factor (hypothesised)": scales}
    ordered = True if ordered else None
    base = CFA(scales, missing=missing, ordered=ordered).fit(data, codebook=codebook)
    if merge is None and len(scales) > 2:
        fc = base.factor_correlations_.abs().to_numpy().copy()
        np.fill_diagonal(fc, 0)
        i, j = np.unravel_index(np.argmax(fc), fc.shape)
        names = list(base.factor_correlations_.index)
        merge = [(names[i], names[j])]
    for a, b in merge or []:
        merged = {k: v for k, v in scales.items() if k not in (a, b)}
        merged[f"{a}_{b}"] = scales[a] + scales[b]
        models[f"{len(merged)}-factor ({a}+{b} merged)"] = merged
    if len(scales) > 1:
        models["1-factor"] = {"common": [i for v in scales.values() for i in v]}
    rows = []
    ref = base.fit_indices_
    for name, sc in models.items():
        try:
            fit = base if sc is scales else CFA(sc, missing=missing, ordered=ordered).fit(data, codebook=codebook)
        except NotConvergedError:
            warn(f"alternative model {name} did not converge; left out")
            continue
        fi = fit.fit_indices_
        names = {k: _FIT_ORDINAL.get(k, "") if ordered else k for k in _FIT}
        row = {"model": name, "n_factors": len(sc), **{k: float(fi.get(v, np.nan)) for k, v in names.items()}}
        row["chisq_df"] = row["chisq"] / row["df"] if row["df"] > 0 else np.nan
        row["delta_chisq"] = row["chisq"] - ref[names["chisq"]]
        row["delta_df"] = row["df"] - ref["df"]
        row["delta_p_value"] = (float(stats.chi2.sf(row["delta_chisq"], row["delta_df"]))
                          if row["delta_df"] > 0 and not ordered else np.nan)
        rows.append(row)
    return pd.DataFrame(rows)[["model", "n_factors", "chisq", "df", "chisq_df", "cfi", "tli", "rmsea", "srmr",
                               "aic", "bic", "delta_chisq", "delta_df", "delta_p_value"]]


#: the tables that come from the hypothesised CFA (or the item pool of its scales)
CFA_TABLES = ("loadings", "kmo_bartlett", "harman", "cfa_fit", "fornell_larcker", "htmt")


class ValidityReport(dict):
    """The tables of :func:`validity_report` (a dict of DataFrames) with Word and Excel export.

    ``info`` says how each scale was treated: ``single_items`` (one-item measures, reported as
    observed variables), ``two_item`` (two-item scales, Spearman–Brown reliability),
    ``cfa_scales`` (the scales of the hypothesised CFA) and ``cfa`` — ``"fitted"``,
    ``"not_identified"`` (no scale can enter a CFA) or ``"not_converged"``. The export
    writes the notes about them from it.
    """

    def __init__(self, tables=(), *, info: dict | None = None):
        super().__init__(tables)
        self.info = dict(info or {})

    def tables(self, *, lang: str = "zh", title: str = ""):
        """The tables formatted for publication (see :func:`.validity_export.validity_tables`)."""
        from fusion_study.measurement.validity_export import validity_tables

        return validity_tables(self, lang=lang, title=title)

    def to_docx(self, path, *, lang: str = "zh", title: str = ""):
        """One Word document with every table as a numbered three-line table (三线表); returns the path."""
        from fusion_study.measurement.validity_export import write_validity_report

        return write_validity_report(self, path, lang=lang, title=title, formats="docx")[0]

    def to_xlsx(self, path, *, lang: str = "zh", title: str = ""):
        """One Excel workbook, a sheet per table (numbers kept as numbers); returns the path."""
        from fusion_study.measurement.validity_export import write_validity_report

        return write_validity_report(self, path, lang=lang, title=title, formats="xlsx")[0]


def cfa_scales(scales: dict[str, list[str]]) -> dict[str, list[str]]:
    """The scales that can enter a hypothesised CFA (empty when none can).

    One-item measures never do. A two-item factor is identified only together with at
    least one other factor (a one-factor two-item CFA has more parameters than moments),
    so the CFA needs two or more scales of 2+ items, or one scale of 3+ items.

    >>> cfa_scales({"a": ["a1", "a2"], "sat": ["sat"]})
    {}
    >>> cfa_scales({"a": ["a1", "a2"], "b": ["b1", "b2", "b3"], "sat": ["sat"]})
    {'a': ['a1', 'a2'], 'b': ['b1', 'b2', 'b3']}
    """
    multi = {k: v for k, v in scales.items() if len(v) >= 2}
    if len(multi) >= 2 or (len(multi) == 1 and len(next(iter(multi.values()))) >= 3):
        return multi
    return {}


def _single_items(data, single: dict[str, list[str]], codebook) -> pd.DataFrame:
    rows = []
    for name, (item,) in single.items():
        x = item_frame(data, [item], codebook=codebook, what=f"single-item measure {name!r}")[item]
        rows.append({"scale": name, "item": item, "n": int(x.notna().sum()), "mean": x.mean(), "sd": x.std(),
                     "min": x.min(), "max": x.max()})
    return pd.DataFrame(rows, columns=["scale", "item", "n", "mean", "sd", "min", "max"])


def validity_report(data: pd.DataFrame, scales, *, codebook: pd.DataFrame | None = None,
                    missing: str = "listwise", ordered: bool = False) -> ValidityReport:
    """Reliability and validity tables for a set of scales, in the order reviewers expect.

    Questionnaires as they are: a **one-item measure** (e.g. 总体满意度) is reported as an
    observed variable — its descriptives and its correlations with the scale scores — and
    left out of every factor model (CFA, KMO/Bartlett, Harman, Fornell–Larcker, HTMT). A
    **two-item scale** gets the Spearman–Brown coefficient as its reliability (Eisinga, te
    Grotenhuis & Pelzer 2013) and enters the CFA only beside at least one other factor (a
    one-factor two-item CFA is not identified). When no scale can enter a CFA, or the CFA
    does not converge, the CFA-based tables are left out and the rest is reported; poor
    reliability or fit is reported with its verdict (the export's notes), never refused.

    Returns
    -------
    :class:`ValidityReport`, a dict of DataFrames (only the tables the scales support):

    - ``reliability`` (scales of 2+ items): scale, n_items, n, alpha, alpha_std,
      spearman_brown (two-item scales), omega_total (3+ items), mean_r, cr, ave, sqrt_ave
      (from the CFA; NaN when the scale is not in one)
    - ``single_items`` (one-item measures): scale, item, n, mean, sd, min, max
    - ``loadings``: factor, item, estimate, se, ci_lower, ci_upper (95% Wald), std_all
      (standardized CFA loadings)
    - ``kmo_bartlett``: per-item MSA, overall KMO and Bartlett's test (items of the CFA scales)
    - ``harman``: first-factor variance share (common-method bias)
    - ``cfa_fit``: hypothesised model against merged and one-factor alternatives
    - ``correlations``: scale, mean, sd and correlations of the scale scores (item means;
      a one-item measure's answer), with sqrt(AVE) on the diagonal where there is one
      (blank otherwise)
    - ``fornell_larcker``: CFA factor correlations with sqrt(AVE) on the diagonal
    - ``htmt``: heterotrait–monotrait ratios (classic)

    ``missing="listwise"`` drops incomplete respondents (per scale for reliability, across
    all items for the CFA); ``"fiml"`` fits the CFA by full-information ML (reliability stays
    listwise per scale). ``ordered=True`` treats the items as ordinal (Likert): the CFA, and so
    the loadings, CR/AVE, Fornell–Larcker and HTMT (on polychoric correlations), come from
    WLSMV — the loadings of the latent responses, which the coarse answer categories do not
    attenuate; ``missing`` is then "listwise" or "pairwise".

    ``.to_docx(path, lang="zh")`` writes all tables as numbered Word three-line tables with
    Chinese or English titles, headers and notes; ``.to_xlsx(path)`` one sheet per table.
    """
    scales, codebook = resolve_scales(scales, codebook)
    check_choice("missing", missing, ("listwise", "pairwise") if ordered else ("listwise", "fiml"))
    single = {k: v for k, v in scales.items() if len(v) == 1}
    multi = {k: v for k, v in scales.items() if len(v) >= 2}
    in_cfa = cfa_scales(scales)
    info = {"single_items": list(single), "two_item": [k for k, v in multi.items() if len(v) == 2],
            "cfa_scales": list(in_cfa), "cfa": "fitted" if in_cfa else "not_identified"}
    fit = None
    if in_cfa:
        try:
            fit = CFA(in_cfa, missing=missing, ordered=True if ordered else None).fit(data, codebook=codebook)
        except NotConvergedError as exc:
            warn(f"the hypothesised CFA did not converge ({exc}); the CFA-based tables are left out")
            info["cfa"] = "not_converged"
    out = {}
    sq = pd.Series(dtype=float)
    if multi:
        rel = reliability(data, multi, codebook=codebook)
        if fit is not None:
            val = fit.validity_.rename(columns={"factor": "scale"}).drop(columns="n_items")
            sq = val.set_index("scale")["sqrt_ave"]
        else:
            val = pd.DataFrame(columns=["scale", "cr", "ave", "sqrt_ave"])
        rel = rel.merge(val, on="scale", how="left")
        for c in ("cr", "ave", "sqrt_ave"):
            rel[c] = rel[c].astype(float)
        out["reliability"] = rel
    if single:
        out["single_items"] = _single_items(data, single, codebook)
    if fit is not None:
        items = [i for v in in_cfa.values() for i in v]
        frame = item_frame(data, items, codebook=codebook)
        out["loadings"] = fit.loadings().drop(columns="group")
        out["kmo_bartlett"] = kmo_bartlett(frame, items)
        out["harman"] = harman_single_factor(frame, items)
        out["cfa_fit"] = alternative_models(data, in_cfa, codebook=codebook, missing=missing, ordered=ordered)
    if multi or len(single) > 1:
        scores = score_scales(data, scales, codebook=codebook)
        corr = scores.corr()
        for s in corr.index:
            corr.loc[s, s] = sq.get(s, np.nan)
        desc = pd.DataFrame({"mean": scores.mean(), "sd": scores.std()})
        corr_table = pd.concat([desc, corr], axis=1)
        corr_table.index.name = "scale"
        out["correlations"] = corr_table.reset_index()
    if fit is not None:
        out["fornell_larcker"] = fit.fornell_larcker_.rename_axis("scale").reset_index()
        htmt_tab = fit.htmt_
        htmt_tab.index.name = "scale"
        out["htmt"] = htmt_tab.reset_index()
    return ValidityReport(out, info=info)
