"""Publication tables of a validity report: Word three-line tables (三线表) and Excel, zh or en.

:func:`validity_tables` turns the DataFrames of :func:`~.validity_tables.validity_report`
into :class:`~fusion_study.reporting.tables.FormattedTable` objects, numbered and titled
in the order reviewers expect (reliability and convergent validity, loadings, KMO and
Bartlett, Harman, CFA model comparison, correlations with √AVE, Fornell–Larcker, HTMT);
:func:`write_validity_report` writes them into one ``.docx`` and/or one ``.xlsx``.
Correlation-type matrices show the lower triangle, as in journal tables; empty cells are
blank, never "nan". :func:`validity_notes` writes the notes under each table: the
criterion, what was done with one-item measures and two-item scales, why CFA-based tables
are missing, and the verdict on every poor value.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from fusion_study.reporting.labels import check_lang, label
from fusion_study.reporting.tables import FormattedTable, format_table, to_docx_tables, to_xlsx_tables

__all__ = ["validity_tables", "validity_notes", "validity_parts", "write_validity_report", "TABLE_TITLES"]

#: table key -> (Chinese title, English title), in report order
TABLE_TITLES = {
    "reliability": ("信度与收敛效度", "Reliability and convergent validity"),
    "single_items": ("单题项测量的描述统计", "Single-item measures: descriptive statistics"),
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
#: the correlation table's title when no scale has an AVE (no CFA)
_CORRELATIONS_PLAIN = ("均值、标准差与相关系数", "Means, SDs and correlations")

_HEADERS = {
    "scale": ("量表", "Scale"), "factor": ("因子", "Factor"), "item": ("题项", "Item"),
    "n_items": ("题项数", "Items"), "n": ("样本量", "N"), "alpha": ("Cronbach's α", "Cronbach's α"),
    "alpha_std": ("标准化α", "Standardized α"), "spearman_brown": ("Spearman–Brown系数", "Spearman–Brown"),
    "omega_total": ("McDonald's ω", "McDonald's ω"),
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
    "min": ("最小值", "Min"), "max": ("最大值", "Max"),
}

_NOTES = {
    "reliability": ("α、ω与CR≥0.70、AVE≥0.50为可接受。",
                    "α, ω and CR ≥ 0.70 and AVE ≥ 0.50 are acceptable."),
    "reliability_no_cfa": ("α与ω≥0.70为可接受。", "α and ω ≥ 0.70 are acceptable."),
    "two_item": ("双题项量表（{names}）的信度以Spearman–Brown系数为准（Eisinga, te Grotenhuis & Pelzer, 2013），"
                 "α仅供参考。",
                 "For the two-item scale(s) {names} the reliability is the Spearman–Brown coefficient (Eisinga, "
                 "te Grotenhuis & Pelzer, 2013); α is shown for reference only."),
    "two_item_cfa": ("双题项量表（{names}）只在含两个及以上因子的模型中估计，单独的双题项单因子模型不可识别。",
                     "The two-item scale(s) {names} are estimated only within the model of two or more factors; "
                     "a stand-alone one-factor model of two items is not identified."),
    "single_items": ("{names}为单题项测量，作为观测变量报告（描述统计及与各量表得分的相关），不进入验证性因子分析、"
                     "KMO与Bartlett检验、Harman检验、Fornell–Larcker检验与HTMT。",
                     "{names}: single-item measure(s), reported as observed variables (descriptives and correlations "
                     "with the scale scores) and left out of the CFA, KMO and Bartlett's test, Harman's test, the "
                     "Fornell–Larcker criterion and HTMT."),
    "not_identified": ("没有量表能进入验证性因子分析（单题项测量不进入因子模型；双题项量表只能与其他因子一起估计，"
                       "单独的双题项单因子模型不可识别），因此未报告组合信度、AVE、因子载荷、KMO与Bartlett检验、"
                       "Harman检验、模型比较、Fornell–Larcker检验与HTMT。",
                       "No scale can enter a CFA (single-item measures never do; a two-item scale only together "
                       "with another factor, since a one-factor model of two items is not identified), so CR, "
                       "AVE, loadings, KMO and Bartlett's test, Harman's test, the model comparison, the "
                       "Fornell–Larcker criterion and HTMT are not reported."),
    "not_converged": ("假设的验证性因子分析模型未收敛，因此未报告组合信度、AVE、因子载荷、KMO与Bartlett检验、Harman检验、"
                      "模型比较、Fornell–Larcker检验与HTMT。",
                      "The hypothesised CFA did not converge, so CR, AVE, loadings, KMO and Bartlett's test, "
                      "Harman's test, the model comparison, the Fornell–Larcker criterion and HTMT are not reported."),
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
    "correlations": ("相关系数基于量表均分（单题项测量为其得分）；对角线为AVE平方根，大于同行同列相关系数表明区分效度良好。",
                     "Correlations of scale mean scores (a single-item measure's answer); the diagonal is the "
                     "square root of AVE, which should exceed the correlations in its row and column."),
    "correlations_plain": ("相关系数基于量表均分（单题项测量为其得分）。",
                           "Correlations of scale mean scores (a single-item measure's answer)."),
    "no_ave": ("{names}不在验证性因子分析中，没有AVE，对角线空缺。",
               "{names}: not in the CFA, so no AVE; the diagonal is blank."),
    "fornell_larcker": ("非对角线为验证性因子分析的因子相关。", "Off-diagonal: CFA factor correlations."),
    "htmt": ("HTMT<0.85表明区分效度良好。", "HTMT < 0.85 supports discriminant validity."),
}

#: (statistic, header shown, threshold, "low" = a value below it is poor / "high" = above it)
_CRITERIA = {
    "reliability": [("spearman_brown", "Spearman–Brown", 0.70, "low"), ("alpha", "α", 0.70, "low"),
                    ("omega_total", "ω", 0.70, "low"), ("cr", "CR", 0.70, "low"), ("ave", "AVE", 0.50, "low")],
    "cfa_fit": [("cfi", "CFI", 0.90, "low"), ("tli", "TLI", 0.90, "low"), ("rmsea", "RMSEA", 0.08, "high"),
                ("srmr", "SRMR", 0.08, "high")],
}


def _verdict(what: str, value: float, threshold: float, side: str, lang: str) -> str:
    """"α=0.52，低于0.70的常用标准" / "α = 0.52, below the usual 0.70" (3 decimals when 2 would show the threshold)."""
    shown = f"{value:.2f}" if f"{value:.2f}" != f"{threshold:.2f}" else f"{value:.3f}"
    if lang == "zh":
        return f"{what}={shown}，{'低于' if side == 'low' else '高于'}{threshold:.2f}的常用标准"
    return f"{what} = {shown}, {'below' if side == 'low' else 'above'} the usual {threshold:.2f}"


def _names(keys, lang: str) -> str:
    return ("、" if lang == "zh" else ", ").join(label(k, lang) for k in keys)


def _poor(value, threshold: float, side: str) -> bool:
    return bool(pd.notna(value) and (value < threshold if side == "low" else value > threshold))


def _reliability_verdicts(rel: pd.DataFrame, lang: str, min_cell: int) -> list[str]:
    out = []
    for _, row in rel.iterrows():
        if row["n"] < min_cell:
            continue  # its numbers are suppressed in the table; the note must not give them away
        parts = []
        for col, what, thr, side in _CRITERIA["reliability"]:
            if col == "alpha" and row["n_items"] == 2 and pd.notna(row.get("spearman_brown")):
                continue  # a two-item scale is judged by its Spearman–Brown coefficient
            if col in ("cr", "ave") and col in rel.columns and pd.notna(row[col]) and row[col] > 1:
                parts.append(f"{what}={row[col]:.2f}，大于1，不可解释（因子模型的解不合理）" if lang == "zh" else
                             f"{what} = {row[col]:.2f}, above 1: not interpretable (improper factor solution)")
            elif col in rel.columns and _poor(row[col], thr, side):
                parts.append(_verdict(what, float(row[col]), thr, side, lang))
                if col in ("alpha", "spearman_brown") and row[col] < 0:
                    parts[-1] += "，为负值，可能有反向计分题未在码本中标记" if lang == "zh" else \
                        ", negative: an item may be reverse-coded without being marked in the codebook"
        if parts:
            if lang == "zh":
                out.append(f"{label(row['scale'], lang)}：{'；'.join(parts)}。")
            else:
                out.append(f"{label(row['scale'], lang)}: {'; '.join(parts)}.")
    return out


def _pair_verdicts(frame: pd.DataFrame, lang: str, *, key: str) -> list[str]:
    """HTMT ≥ 0.85, or a factor correlation above either factor's √AVE (Fornell–Larcker)."""
    m = frame.set_index("scale")
    names = [s for s in m.index if s in m.columns]
    out = []
    for i, a in enumerate(names):
        for b in names[:i]:
            v = float(m.loc[a, b])
            if key == "htmt" and v >= 0.85:
                if lang == "zh":
                    out.append(f"{label(a, lang)}与{label(b, lang)}的HTMT={v:.2f}，不低于0.85的常用标准，区分效度不足。")
                else:
                    out.append(f"{label(a, lang)} and {label(b, lang)}: HTMT = {v:.2f}, not below the usual 0.85; "
                               "discriminant validity is not supported.")
            if key == "fornell_larcker" and abs(v) > min(float(m.loc[a, a]), float(m.loc[b, b])):
                if lang == "zh":
                    out.append(f"{label(a, lang)}与{label(b, lang)}的因子相关（{v:.2f}）高于其中一个因子的AVE平方根，"
                               "区分效度不足。")
                else:
                    out.append(f"{label(a, lang)} and {label(b, lang)}: the factor correlation ({v:.2f}) exceeds the "
                               "square root of AVE of one of them; discriminant validity is not supported.")
    return out


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


def _optional(frame: pd.DataFrame, cols: list[str], optional: tuple[str, ...]) -> list[str]:
    """``cols`` present in ``frame``, without the optional ones that are empty throughout."""
    return [c for c in cols if c in frame.columns and not (c in optional and frame[c].isna().all())]


def _frames(report) -> dict[str, tuple[pd.DataFrame, dict, dict]]:
    """key -> (frame to show, decimals, extra format_table options), in report order."""
    out = {}
    if "reliability" in report:
        rel = report["reliability"]
        cols = _optional(rel, ["scale", "n_items", "n", "spearman_brown", "alpha", "alpha_std", "omega_total", "cr",
                               "ave", "sqrt_ave"], ("spearman_brown", "omega_total", "cr", "ave", "sqrt_ave"))
        out["reliability"] = (rel[cols], {c: 3 for c in cols[3:]}, {"n_column": "n"} if "n" in cols else {})
    if "single_items" in report:
        si = report["single_items"][["scale", "n", "mean", "sd", "min", "max"]]
        out["single_items"] = (si, {"mean": 3, "sd": 3, "min": 0, "max": 0}, {"n_column": "n"})
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
    return {k: out[k] for k in TABLE_TITLES if k in out}


def _diagonal(frame: pd.DataFrame) -> pd.Series:
    m = frame.set_index("scale")
    return pd.Series({s: m.loc[s, s] if s in m.columns else np.nan for s in m.index}, dtype=float)


def validity_notes(report, *, lang: str = "zh", min_cell: int = 5) -> dict[str, list[str]]:
    """The notes under each table of a validity report, each once, under the table it qualifies.

    The criterion of every table; what was done with one-item measures (under the
    single-item table) and two-item scales (under the reliability and loadings tables);
    why the CFA-based tables are missing when they are (under the first table); and the
    verdict on every poor value ("α=0.52，低于0.70的常用标准") — except for scales answered by
    fewer than ``min_cell`` respondents, whose numbers the tables suppress.

    Returns
    -------
    dict ``{table key: [note, ...]}`` for the tables in ``report``.
    """
    check_lang(lang)
    li = 0 if lang == "zh" else 1
    info = getattr(report, "info", {}) or {}
    frames = _frames(report)
    notes: dict[str, list[str]] = {k: [] for k in frames}
    for key, (frame, _, opts) in frames.items():
        if key == "reliability":
            has_cfa = any(c in frame.columns for c in ("cr", "ave"))
            notes[key].append(_NOTES["reliability" if has_cfa else "reliability_no_cfa"][li])
            two = report[key].loc[report[key]["n_items"] == 2, "scale"].tolist()
            if two:
                notes[key].append(_NOTES["two_item"][li].format(names=_names(two, lang)))
            notes[key] += _reliability_verdicts(report[key], lang, min_cell)
        elif key == "single_items":
            notes[key].append(_NOTES["single_items"][li].format(names=_names(report[key]["scale"], lang)))
        elif key == "loadings":
            notes[key].append(_NOTES["loadings"][li])
            two = [f for f, part in report[key].groupby("factor", sort=False) if len(part) == 2]
            if two:
                notes[key].append(_NOTES["two_item_cfa"][li].format(names=_names(two, lang)))
            for _, row in report[key].iterrows():
                v = float(row["std_all"])
                if abs(v) > 1:
                    notes[key].append(
                        f"题项{row['item']}的标准化载荷={v:.2f}，绝对值大于1（Heywood情形，残差方差为负），该模型的解不合理。"
                        if lang == "zh" else
                        f"Item {row['item']}: standardized loading = {v:.2f}, above 1 in absolute value (a Heywood "
                        "case: negative residual variance); the solution is improper.")
                elif abs(v) < 0.50:
                    what = f"题项{row['item']}的标准化载荷" if lang == "zh" else f"Item {row['item']}: standardized loading"
                    notes[key].append(_verdict(what, v, 0.50, "low", lang) + ("。" if lang == "zh" else "."))
        elif key == "kmo_bartlett":
            notes[key].append(_NOTES[key][li].format(**opts["_fmt"]))
            kmo = float(report[key].loc[report[key]["item"] == "overall", "msa"].iloc[0])
            if kmo < 0.70:
                notes[key].append(_verdict("KMO", kmo, 0.70, "low", lang) + ("。" if lang == "zh" else "."))
        elif key == "harman":
            notes[key].append(_NOTES[key][li].format(**opts["_fmt"]))
        elif key == "cfa_fit":
            notes[key].append(_NOTES[key][li])
            hyp = report[key].iloc[0]
            parts = [_verdict(what, float(hyp[col]), thr, side, lang) for col, what, thr, side in _CRITERIA["cfa_fit"]
                     if _poor(hyp[col], thr, side)]
            if parts:
                notes[key].append(("假设模型：" + "；".join(parts) + "。") if lang == "zh" else
                                  ("Hypothesised model: " + "; ".join(parts) + "."))
        elif key == "correlations":
            diag = _diagonal(report[key])
            if diag.notna().any():
                notes[key].append(_NOTES["correlations"][li])
                if diag.isna().any():
                    notes[key].append(_NOTES["no_ave"][li].format(names=_names(diag.index[diag.isna()], lang)))
            else:
                notes[key].append(_NOTES["correlations_plain"][li])
        elif key in ("fornell_larcker", "htmt"):
            notes[key].append(_NOTES[key][li])
            notes[key] += _pair_verdicts(report[key], lang, key=key)
    why = info.get("cfa")
    if why in ("not_identified", "not_converged") and notes:
        anchor = [k for k in ("reliability", "single_items", "correlations") if k in notes] or list(notes)
        first = anchor[0]
        notes[first].append(_NOTES[why][li])
    return notes


def _title(key: str, report, lang: str) -> str:
    li = 0 if lang == "zh" else 1
    if key == "correlations" and not _diagonal(report[key]).notna().any():
        return _CORRELATIONS_PLAIN[li]
    return TABLE_TITLES[key][li]


def validity_parts(report, *, lang: str = "zh", min_cell: int = 5) -> list[dict]:
    """Each table of the report ready to format: labelled values, display headers, decimals, notes.

    Returns
    -------
    list of dicts ``key, title, frame`` (scale, factor and model names labelled in ``lang``),
    ``headers`` (column -> display header), ``decimals``, ``options`` (for
    :func:`~fusion_study.reporting.tables.format_table`) and ``notes`` (list of str), in report order.
    """
    check_lang(lang)
    if not isinstance(report, dict):
        raise TypeError("validity_tables needs the dict returned by validity_report")
    unknown = sorted(set(report) - set(TABLE_TITLES))
    if unknown:
        raise ValueError(f"unknown validity table(s) {unknown}; known: {list(TABLE_TITLES)}")
    li = 0 if lang == "zh" else 1
    notes = validity_notes(report, lang=lang, min_cell=min_cell)
    out = []
    for key, (frame, dec, opts) in _frames(report).items():
        frame = frame.copy()
        for c in ("scale", "factor"):
            if c in frame.columns:
                frame[c] = frame[c].map(lambda v: label(v, lang))
        if key == "cfa_fit":
            frame["model"] = frame["model"].map(lambda v: _model_name(v, lang))
        opts = {k: v for k, v in opts.items() if k != "_fmt"}
        headers = {c: _HEADERS[c][li] if c in _HEADERS else label(c, lang) for c in frame.columns}
        out.append({"key": key, "title": _title(key, report, lang), "frame": frame, "headers": headers,
                    "decimals": dec, "options": opts, "notes": notes[key]})
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
    list of FormattedTable, captions "表1 …" / "Table 1. …"; the notes of
    :func:`validity_notes` under each table.
    """
    out = []
    sep = "：" if lang == "zh" else ": "
    joiner = "" if lang == "zh" else " "
    for k, part in enumerate(validity_parts(report, lang=lang)):
        name = part["title"]
        num = f"表{start + k} " if lang == "zh" else f"Table {start + k}. "
        caption = num + (f"{title}{sep}{name}" if title else name)
        ft = format_table(part["frame"], lang=lang, decimals=part["decimals"], caption=caption,
                          notes=joiner.join(part["notes"]), **part["options"])
        ft.headers = [part["headers"][c] for c in part["frame"].columns]
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
