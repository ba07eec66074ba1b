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

__all__ = ["validity_report", "alternative_models", "ValidityReport"]

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

    Returns
    -------
    DataFrame ``model, n_factors, chisq, df, chisq_df, cfi, tli, rmsea, srmr, aic, bic,
    delta_chisq, delta_df, delta_p_value`` (differences against the hypothesised model).
    """
    from scipy import stats

    scales, codebook = resolve_scales(scales, codebook)
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


class ValidityReport(dict):
    """The tables of :func:`validity_report` (a dict of DataFrames) with Word and Excel export."""

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


def validity_report(data: pd.DataFrame, scales, *, codebook: pd.DataFrame | None = None,
                    missing: str = "listwise", ordered: bool = False) -> ValidityReport:
    """Reliability and validity tables for a set of scales, in the order reviewers expect.

    Returns
    -------
    dict of DataFrames:

    - ``reliability``: scale, n_items, n, alpha, alpha_std, omega_total, cr, ave, sqrt_ave
    - ``loadings``: factor, item, estimate, se, ci_lower, ci_upper (95% Wald), std_all
      (standardized CFA loadings)
    - ``kmo_bartlett``: per-item MSA, overall KMO and Bartlett's test
    - ``harman``: first-factor variance share (common-method bias)
    - ``cfa_fit``: hypothesised model against merged and one-factor alternatives
    - ``correlations``: mean, sd and scale-score correlations with sqrt(AVE) on the diagonal
    - ``fornell_larcker``: CFA factor correlations with sqrt(AVE) on the diagonal
    - ``htmt``: heterotrait–monotrait ratios (classic)

    ``missing="listwise"`` drops incomplete respondents (per scale for reliability, across
    all items for the CFA); ``"fiml"`` fits the CFA by full-information ML (reliability stays
    listwise per scale). ``ordered=True`` treats the items as ordinal (Likert): the CFA, and so
    the loadings, CR/AVE, Fornell–Larcker and HTMT (on polychoric correlations), come from
    WLSMV — the loadings of the latent responses, which the coarse answer categories do not
    attenuate; ``missing`` is then "listwise" or "pairwise".

    The result is a :class:`ValidityReport` (a dict): ``.to_docx(path, lang="zh")`` writes
    all tables as numbered Word three-line tables with Chinese or English titles, headers
    and notes; ``.to_xlsx(path)`` one sheet per table.
    """
    scales, codebook = resolve_scales(scales, codebook)
    items = [i for v in scales.values() for i in v]
    check_choice("missing", missing, ("listwise", "pairwise") if ordered else ("listwise", "fiml"))
    rel = reliability(data, scales, codebook=codebook)
    fit = CFA(scales, missing=missing, ordered=True if ordered else None).fit(data, codebook=codebook)
    val = fit.validity_.rename(columns={"factor": "scale"})
    rel = rel.merge(val.drop(columns="n_items"), on="scale", how="left")
    scores = score_scales(data, scales, codebook=codebook)
    corr = scores.corr()
    sq = val.set_index("scale")["sqrt_ave"]
    for s in corr.index:
        if s in sq.index:
            corr.loc[s, s] = sq[s]
    desc = pd.DataFrame({"mean": scores.mean(), "sd": scores.std()})
    corr_table = pd.concat([desc, corr], axis=1)
    corr_table.index.name = "scale"
    frame = item_frame(data, items, codebook=codebook)
    htmt_tab = fit.htmt_
    htmt_tab.index.name = "scale"
    return ValidityReport({
        "reliability": rel,
        "loadings": fit.loadings().drop(columns="group"),
        "kmo_bartlett": kmo_bartlett(frame, items),
        "harman": harman_single_factor(frame, items),
        "cfa_fit": alternative_models(data, scales, codebook=codebook, missing=missing, ordered=ordered),
        "correlations": corr_table.reset_index(),
        "fornell_larcker": fit.fornell_larcker_.rename_axis("scale").reset_index(),
        "htmt": htmt_tab.reset_index(),
    })
