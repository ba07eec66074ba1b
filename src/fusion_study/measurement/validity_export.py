"""Publication tables of a validity report: Word three-line tables (三线表) and Excel, zh or en.

:func:`validity_tables` turns the DataFrames of :func:`~.validity_tables.validity_report`
into :class:`~fusion_study.reporting.tables.FormattedTable` objects, numbered and titled
in the order reviewers expect (reliability and convergent validity, loadings, KMO and
Bartlett, Harman, CFA model comparison, correlations with √AVE, Fornell–Larcker, HTMT);
:func:`write_validity_report` writes them into one ``.docx`` and/or one ``.xlsx``.
Correlation-type matrices show the lower triangle, as in journal tables; empty cells are
blank, never "nan".
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from fusion_study.reporting.labels import check_lang, label
from fusion_study.reporting.tables import FormattedTable, format_table, to_docx_tables, to_xlsx_tables

__all__ = ["validity_tables", "write_validity_report", "TABLE_TITLES"]

#: table key -> (Chinese title, English title), in report order
TABLE_TITLES = {
    "reliability": ("信度与收敛效度", "Reliability and convergent validity"),
    "loadings": ("验证性因子分析标准化载荷", "Standardized CFA factor loadings"),
    "kmo_bartlett": ("KMO与Bartlett球形检验", "KMO measure and Bartlett's test of sphericity"),
    "harman": ("Harman单因素检验（共同方法偏差）", "Harman's single-factor test (common-method bias)"),
    "cfa_fit": ("验证性因子分析模型比较", "CFA fit of the hypothesised and alternative models"),
    "correlations": ("均值、标准差与相关系数（对角线为AVE平方根）",
                     "Means, SDs and correlations (square root of AVE on the diagonal)"),
    "fornell_larcker": ("Fornell–Larcker区分效度检验（对角线为AVE平方根）",
                        "Fornell–Larcker criterion (square root of AVE on the diagonal)"),
    "htmt": ("异质—单质比率（HTMT）", "Heterotrait–monotrait ratios (HTMT)"),
}

_HEADERS = {
    "scale": ("量表", "Scale"), "factor": ("因子", "Factor"), "item": ("题项", "Item"),
    "n_items": ("题项数", "Items"), "n": ("样本量", "N"), "alpha": ("Cronbach's α", "Cronbach's α"),
    "alpha_std": ("标准化α", "Standardized α"), "omega_total": ("McDonald's ω", "McDonald's ω"),
    "mean_r": ("平均题项间相关", "Mean inter-item r"), "cr": ("组合信度CR", "CR"), "ave": ("AVE", "AVE"),
    "sqrt_ave": ("AVE平方根", "√AVE"), "estimate": ("非标准化载荷", "Unstandardized loading"),
    "se": ("标准误", "SE"), "std_all": ("标准化载荷", "Standardized loading"),
    "statistic": ("指标", "Statistic"), "value": ("值", "Value"),
    "first_eigenvalue": ("第一因子特征值", "First eigenvalue"),
    "variance_share": ("第一因子方差解释率（%）", "Variance explained by the first factor (%)"),
    "model": ("模型", "Model"), "n_factors": ("因子数", "Factors"), "chisq": ("χ²", "χ²"), "df": ("df", "df"),
    "chisq_df": ("χ²/df", "χ²/df"), "cfi": ("CFI", "CFI"), "tli": ("TLI", "TLI"), "rmsea": ("RMSEA", "RMSEA"),
    "srmr": ("SRMR", "SRMR"), "aic": ("AIC", "AIC"), "bic": ("BIC", "BIC"), "delta_chisq": ("Δχ²", "Δχ²"),
    "delta_df": ("Δdf", "Δdf"), "delta_p_value": ("p(Δχ²)", "p(Δχ²)"), "mean": ("均值", "Mean"), "sd": ("标准差", "SD"),
}

_NOTES = {
    "reliability": ("α、ω与CR≥0.70、AVE≥0.50为可接受。",
                    "α, ω and CR ≥ 0.70 and AVE ≥ 0.50 are acceptable."),
    "loadings": ("标准误为空的载荷固定为1以设定因子尺度；标准化载荷≥0.50为可接受。",
                 "Loadings without an SE are fixed to 1 to set the factor's scale; standardized loadings ≥ 0.50 "
                 "are acceptable."),
    "kmo_bartlett": ("KMO≥0.70且Bartlett检验显著表明适合做因子分析；各题项MSA介于{lo:.3f}至{hi:.3f}。",
                     "KMO ≥ 0.70 and a significant Bartlett test mean the items suit factor analysis; item MSA "
                     "ranges from {lo:.3f} to {hi:.3f}."),
    "harman": ("第一个未旋转因子解释的方差{verdict_zh}。",
               "The first unrotated factor explains {verdict_en}."),
    "cfa_fit": ("Δχ²为相对于假设模型的差异；CFI、TLI≥0.90，RMSEA、SRMR≤0.08为可接受。",
                "Δχ² against the hypothesised model; CFI and TLI ≥ 0.90, RMSEA and SRMR ≤ 0.08 are acceptable."),
    "correlations": ("相关系数基于量表均分；对角线为AVE平方根，大于同行同列相关系数表明区分效度良好。",
                     "Correlations of scale mean scores; the diagonal is the square root of AVE, which should exceed "
                     "the correlations in its row and column."),
    "fornell_larcker": ("非对角线为验证性因子分析的因子相关。", "Off-diagonal: CFA factor correlations."),
    "htmt": ("HTMT<0.85表明区分效度良好。", "HTMT < 0.85 supports discriminant validity."),
}


def _lower_triangle(frame: pd.DataFrame, *, diagonal: bool = True) -> pd.DataFrame:
    """Blank the upper triangle of the scale-by-scale block (and the diagonal when not wanted)."""
    out = frame.copy()
    names = list(out["scale"])
    for i, s in enumerate(names):
        for j, t in enumerate(names):
            if t in out.columns and (j > i or (j == i and not diagonal)):
                out.loc[out.index[i], t] = np.nan
    return out


def _model_name(name: str, lang: str) -> str:
    if lang == "en":
        return re.sub(r"\(([^()+]+)\+([^()]+) merged\)",
                      lambda m: f"({label(m.group(1), 'en')} + {label(m.group(2), 'en')} merged)", name)
    m = re.fullmatch(r"(\d+)-factor \(hypothesised\)", name)
    if m:
        return f"{m.group(1)}因子模型（假设模型）"
    m = re.fullmatch(r"(\d+)-factor \(([^()+]+)\+([^()]+) merged\)", name)
    if m:
        return f"{m.group(1)}因子模型（{label(m.group(2), 'zh')}与{label(m.group(3), 'zh')}合并）"
    if name == "1-factor":
        return "单因子模型"
    return name


def _frames(report) -> dict[str, tuple[pd.DataFrame, dict, dict]]:
    """key -> (frame to show, decimals, extra format_table options)."""
    out = {}
    if "reliability" in report:
        rel = report["reliability"]
        cols = [c for c in ["scale", "n_items", "n", "alpha", "alpha_std", "omega_total", "cr", "ave", "sqrt_ave"]
                if c in rel.columns]
        out["reliability"] = (rel[cols], {c: 3 for c in cols[3:]}, {"n_column": "n"} if "n" in cols else {})
    if "loadings" in report:
        lo = report["loadings"][["factor", "item", "estimate", "se", "std_all"]].copy()
        lo["se"] = lo["se"].where(lo["se"] > 0)  # fixed marker loadings: no SE
        out["loadings"] = (lo, {"estimate": 3, "se": 3, "std_all": 3}, {"group_column": "factor"})
    if "kmo_bartlett" in report:
        kb = report["kmo_bartlett"]
        overall = kb[kb["item"] == "overall"].iloc[0]
        rows = pd.DataFrame({"statistic": ["KMO", "Bartlett χ²", "df", "p", "N"],
                             "value": [f"{overall['msa']:.3f}", f"{overall['bartlett_chi2']:.2f}",
                                       f"{overall['bartlett_df']:.0f}",
                                       "<.001" if overall["bartlett_p_value"] < 0.001 else f"{overall['bartlett_p_value']:.3f}",
                                       f"{overall['n']:.0f}"]})
        items = kb[kb["item"] != "overall"]["msa"]
        out["kmo_bartlett"] = (rows, {}, {"_fmt": {"lo": float(items.min()), "hi": float(items.max())}})
    if "harman" in report:
        h = report["harman"][["n_items", "n", "first_eigenvalue", "variance_share"]].copy()
        h["variance_share"] = 100 * h["variance_share"]
        above = bool(report["harman"]["variance_share"].iloc[0] >= 0.5)
        verdict = ({"verdict_zh": "超过50%，可能存在严重的共同方法偏差",
                    "verdict_en": "50% or more of the variance: common-method bias may be serious"} if above else
                   {"verdict_zh": "低于50%，表明不存在严重的共同方法偏差",
                    "verdict_en": "under 50% of the variance, suggesting no serious common-method bias"})
        out["harman"] = (h, {"first_eigenvalue": 3, "variance_share": 2}, {"_fmt": verdict})
    if "cfa_fit" in report:
        cf = report["cfa_fit"][["model", "chisq", "df", "chisq_df", "cfi", "tli", "rmsea", "srmr", "aic", "bic",
                                "delta_chisq", "delta_df", "delta_p_value"]].copy()
        base = cf.index[0]
        for c in ("delta_chisq", "delta_df", "delta_p_value"):
            cf.loc[base, c] = np.nan  # the hypothesised model is the reference row
        cf["df"] = cf["df"].round().astype("Int64")
        cf["delta_df"] = cf["delta_df"].round().astype("Int64")
        out["cfa_fit"] = (cf, {"chisq": 2, "chisq_df": 2, "cfi": 3, "tli": 3, "rmsea": 3, "srmr": 3, "aic": 1,
                               "bic": 1, "delta_chisq": 2}, {"p_column": "delta_p_value", "star_column": "delta_chisq"})
    for key, diag in (("correlations", True), ("fornell_larcker", True), ("htmt", False)):
        if key in report:
            fr = _lower_triangle(report[key], diagonal=diag)
            out[key] = (fr, {c: 3 for c in fr.columns if c != "scale"}, {})
    return out


def validity_tables(report, *, lang: str = "zh", title: str = "", start: int = 1) -> list[FormattedTable]:
    """The report's tables formatted for publication, numbered from ``start``, in report order.

    Parameters
    ----------
    report : dict of DataFrames
        The output of :func:`~.validity_tables.validity_report` (any subset of its tables).
    lang : {"zh", "en"}
        Captions, headers, notes, scale and model names in Chinese or English.
    title : str
        Prefix of every caption (e.g. the instrument: "零售客户满意度问卷").

    Returns
    -------
    list of FormattedTable, captions "表1 …" / "Table 1. …".
    """
    check_lang(lang)
    if not isinstance(report, dict):
        raise TypeError("validity_tables needs the dict returned by validity_report")
    unknown = sorted(set(report) - set(TABLE_TITLES))
    if unknown:
        raise ValueError(f"unknown validity table(s) {unknown}; known: {list(TABLE_TITLES)}")
    li = 0 if lang == "zh" else 1
    out = []
    for k, (key, (frame, dec, opts)) in enumerate(_frames(report).items()):
        frame = frame.copy()
        for c in ("scale", "factor"):
            if c in frame.columns:
                frame[c] = frame[c].map(lambda v: label(v, lang))
        if key == "cfa_fit":
            frame["model"] = frame["model"].map(lambda v: _model_name(v, lang))
        fmt = opts.pop("_fmt", {})
        note = _NOTES[key][li].format(**fmt)
        sep = "：" if lang == "zh" else ": "
        name = TABLE_TITLES[key][li]
        num = f"表{start + k} " if lang == "zh" else f"Table {start + k}. "
        caption = num + (f"{title}{sep}{name}" if title else name)
        headers = {c: _HEADERS[c][li] if c in _HEADERS else label(c, lang) for c in frame.columns}
        ft = format_table(frame, lang=lang, decimals=dec, caption=caption, notes=note, **opts)
        ft.headers = [headers[c] for c in frame.columns]
        out.append(ft)
    return out


def write_validity_report(report, path, *, lang: str = "zh", title: str = "",
                          formats=("docx", "xlsx")) -> list[Path]:
    """Write the report's tables to ``PATH.docx`` (one document) and/or ``PATH.xlsx`` (one sheet each).

    ``path`` may carry a suffix (it is replaced). Returns the written paths.
    """
    if isinstance(formats, str):
        formats = (formats,)
    bad = [f for f in formats if f not in ("docx", "xlsx")]
    if bad:
        raise ValueError(f"unknown format(s) {bad}; allowed: ['docx', 'xlsx']")
    tables = validity_tables(report, lang=lang, title=title)
    path = Path(path)
    out = []
    if "docx" in formats:
        doc_title = (title + ("：" if lang == "zh" else ": ") if title else "") + \
            ("信度与效度分析" if lang == "zh" else "Reliability and validity")
        out.append(to_docx_tables(tables, path.with_suffix(".docx"), lang=lang, title=doc_title))
    if "xlsx" in formats:
        keys = [k for k in TABLE_TITLES if k in report]
        out.append(to_xlsx_tables(tables, path.with_suffix(".xlsx"), lang=lang, sheet_names=keys))
    return out
