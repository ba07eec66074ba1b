"""Plain-language sentences from results, for notebooks and reports (zh / en).

Every sentence is computed from the numbers it describes, so it stays true on
any study: the direction and the strength of the evidence come from the
confidence interval, a pre-trend test is read from its p-value, and a
warning raised by an estimator becomes one sentence a policy reader can act on.

* :func:`describe_effect` — "the programme raised satisfaction by 8.1 points (95% CI 5.0 to 11.2) …";
* :func:`describe_pretrend` — what a pre-trend test says about parallel trends;
* :func:`describe_few_clusters` — whether the clustered standard errors can be trusted;
* :func:`describe_cotiming` — how close together the interventions started in each branch;
* :func:`describe_warnings` / :func:`explain_warnings` — one sentence per distinct warning;
* :func:`skip_sentence`, :func:`effects_skip_sentence` — why a step cannot run on this study;
* :func:`describe_frame`, :func:`describe_naive`, :func:`describe_truth`, :func:`summarise_effects` —
  the data analysed, the naive estimates, the simulator's truth, and the effect table in sentences;
* :func:`describe_bacon`, :func:`describe_honest` — the TWFE decomposition and the HonestDiD sensitivity;
* :func:`describe_hazard_ratio`, :func:`describe_brand_moderation` — problem resolution speed, brand types.

>>> describe_effect({"estimate": 8.1, "ci_lower": 5.0, "ci_upper": 11.2}, "en", what="The programme")
'The programme: customer satisfaction rose by 8.1 points on average (95% CI 5.0 to 11.2). The interval lies well above zero: strong evidence of an increase.'
>>> describe_pretrend(0.41, "en")
'Pre-trend test: no difference before the start was detected (p = 0.410). This is consistent with parallel trends, though it cannot prove them.'
"""

from __future__ import annotations

import contextlib
import math
import warnings
from collections.abc import Mapping

import numpy as np
import pandas as pd

from fusion_study.data.checks import check_alpha, check_lang

__all__ = [
    "evidence",
    "describe_effect",
    "describe_pretrend",
    "describe_few_clusters",
    "describe_cotiming",
    "describe_warnings",
    "explain_warnings",
    "skip_sentence",
    "effects_skip_sentence",
    "describe_frame",
    "describe_naive",
    "describe_truth",
    "summarise_effects",
    "describe_net_effects",
    "describe_bacon",
    "describe_honest",
    "describe_hazard_ratio",
    "describe_brand_moderation",
    "FEW_CLUSTERS",
]

#: fewer clusters than this and cluster-robust standard errors tend to be too small
#: (Cameron & Miller 2015; the Monte Carlo study: 24 branches cover ~0.90, 96 branches 0.95)
FEW_CLUSTERS = 30


def _get(row, key, default=np.nan):
    if isinstance(row, Mapping):
        return row.get(key, default)
    if isinstance(row, pd.Series):
        return row.get(key, default)
    return getattr(row, key, default)


def _num(value) -> float:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return float("nan")
    return out


def _fmt(x: float, decimals: int) -> str:
    return f"{x:.{decimals}f}"


def _p(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def evidence(estimate, ci_lower, ci_upper) -> str:
    """Strength of evidence read from an interval: ``"strong"``, ``"clear"``, ``"unclear"``, ``"degenerate"`` or ``"none"``.

    ``"none"``: no estimate; ``"degenerate"``: an interval of width zero (the
    standard error is 0, e.g. one branch on each side: the uncertainty cannot
    be measured); ``"unclear"``: the interval includes zero;
    ``"clear"``: it excludes zero; ``"strong"``: it excludes zero and its end
    nearest to zero is at least half the estimate away from zero (the
    estimate is about four standard errors or more from zero).

    >>> evidence(8, 5, 11), evidence(8, 1, 15), evidence(2, -1, 5), evidence(5, 5, 5), evidence(float("nan"), 0, 1)
    ('strong', 'clear', 'unclear', 'degenerate', 'none')
    """
    est, lo, hi = _num(estimate), _num(ci_lower), _num(ci_upper)
    if not (math.isfinite(est) and math.isfinite(lo) and math.isfinite(hi)):
        return "none"
    if hi - lo <= 1e-12 * max(1.0, abs(est)):
        return "degenerate"
    if lo <= 0 <= hi:
        return "unclear"
    near = lo if est > 0 else hi
    return "strong" if abs(near) >= abs(est) / 2 else "clear"


def describe_effect(row, lang: str = "zh", *, what: str | None = None, outcome: str = "satisfaction",
                    unit: str | None = None, decimals: int = 1, alpha: float = 0.05) -> str:
    """One sentence on an effect estimate: size, interval, direction and strength of evidence.

    Parameters
    ----------
    row : Series or mapping
        With ``estimate``, ``ci_lower``, ``ci_upper``; optional ``p_adjusted``
        (mentioned when present), ``label_zh``/``label_en`` or ``intervention``
        (the subject when ``what`` is not given).
    lang : {"zh", "en"}
    what : str, optional
        The subject of the sentence (default: the row's label).
    outcome : str
        The outcome, as a label key (``"satisfaction"``, ``"dependency"``) or text.
    unit : str, optional
        Unit of the estimate (default 分 / points).
    decimals : int
        Decimals of the numbers shown.
    alpha : float
        The interval's level is ``1 - alpha`` (stated in the sentence).

    >>> describe_effect({"estimate": -0.4, "ci_lower": -2.0, "ci_upper": 1.2, "label_zh": "品牌"}, "zh")
    '品牌：客户满意度平均降低 0.4 分（95% 置信区间 -2.0 至 1.2）。区间包含 0：数据不足以判断效应的方向。'
    """
    from fusion_study.reporting.labels import label

    check_lang(lang)
    check_alpha(alpha)
    est, lo, hi = (_num(_get(row, k)) for k in ("estimate", "ci_lower", "ci_upper"))
    if what is None:
        what = _get(row, f"label_{lang}", None)
        if what is None or (isinstance(what, float) and math.isnan(what)):
            iv = _get(row, "intervention", None)
            what = label(iv, lang) if isinstance(iv, str) else ("效应" if lang == "zh" else "The effect")
    out_label = label(outcome, lang)
    unit = unit if unit is not None else ("分" if lang == "zh" else "points")
    level = f"{100 * (1 - alpha):g}%"
    strength = evidence(est, lo, hi)
    if strength == "none":
        return (f"{what}：未能估计{out_label}的效应。" if lang == "zh"
                else f"{what}: the effect on {out_label} could not be estimated.")
    up = est >= 0
    size = _fmt(abs(est), decimals)
    ci = f"{_fmt(lo, decimals)} 至 {_fmt(hi, decimals)}" if lang == "zh" else f"{_fmt(lo, decimals)} to {_fmt(hi, decimals)}"
    if lang == "zh":
        head = f"{what}：{out_label}平均{'提高' if up else '降低'} {size} {unit}（{level} 置信区间 {ci}）。"
        tail = {
            "strong": f"区间完全在 0 {'以上' if up else '以下'}且离 0 较远：{'提高' if up else '降低'}的证据很强。",
            "clear": f"区间完全在 0 {'以上' if up else '以下'}：有明确证据表明{out_label}{'提高' if up else '降低'}了。",
            "unclear": "区间包含 0：数据不足以判断效应的方向。",
            "degenerate": "标准误为 0（比较的支部太少，无法衡量不确定性）：这个数字不能作为结论。",
        }[strength]
    else:
        head = (f"{what}: {out_label} {'rose' if up else 'fell'} by {size} {unit} on average "
                f"({level} CI {ci}).")
        tail = {
            "strong": f"The interval lies well {'above' if up else 'below'} zero: strong evidence of "
                      f"{'an increase' if up else 'a decrease'}.",
            "clear": f"The interval lies entirely {'above' if up else 'below'} zero: clear evidence of "
                     f"{'an increase' if up else 'a decrease'}.",
            "unclear": "The interval includes zero: the data cannot tell the direction of the effect.",
            "degenerate": "Its standard error is 0 (too few branches compared to measure the uncertainty): the "
                          "number cannot support a conclusion.",
        }[strength]
    p_adj = _num(_get(row, "p_adjusted"))
    if math.isfinite(p_adj) and strength != "degenerate":
        if strength != "unclear" and p_adj >= alpha:
            tail += (f"但多重比较校正后（{_p(p_adj)}）不再显著。" if lang == "zh"
                     else f" After adjusting for multiple comparisons ({_p(p_adj)}) it is no longer significant.")
        else:
            tail += (f"（多重比较校正后 {_p(p_adj)}）" if lang == "zh"
                     else f" (adjusted for multiple comparisons: {_p(p_adj)}.)")
    return head + tail if lang == "zh" else f"{head} {tail}"


def describe_pretrend(p_value, lang: str = "zh", *, alpha: float = 0.05) -> str:
    """One sentence reading a pre-trend test (H0: no effect before the start).

    >>> describe_pretrend(0.003, "zh")
    '推行前检验：推行前各期已有差异（p = 0.003），平行趋势假设可疑，上面的效应估计应谨慎解读。'
    >>> describe_pretrend(float("nan"), "en")
    'Pre-trend test: there are no periods before the start to test parallel trends on.'
    """
    check_lang(lang)
    check_alpha(alpha)
    p = _num(p_value)
    if not math.isfinite(p):
        return ("推行前检验：没有推行前的时期，无法检验平行趋势。" if lang == "zh"
                else "Pre-trend test: there are no periods before the start to test parallel trends on.")
    if p < alpha:
        return (f"推行前检验：推行前各期已有差异（{_p(p)}），平行趋势假设可疑，上面的效应估计应谨慎解读。" if lang == "zh"
                else f"Pre-trend test: there were differences already before the start ({_p(p)}), so parallel "
                     "trends are in doubt and the effects above should be read with caution.")
    return (f"推行前检验：未发现推行前的差异（{_p(p)}），与平行趋势一致（但不能证明平行趋势成立）。" if lang == "zh"
            else f"Pre-trend test: no difference before the start was detected ({_p(p)}). This is consistent with "
                 "parallel trends, though it cannot prove them.")


def describe_few_clusters(n, lang: str = "zh", *, single: int = 0, cells: int | None = None,
                          threshold: int = FEW_CLUSTERS, cluster: str | None = None) -> str:
    """Can the clustered standard errors be trusted? One sentence.

    Parameters
    ----------
    n : int
        Number of clusters (branches) the standard errors are clustered by.
    single : int
        Number of comparisons (ATT(g, t) cells) whose treated or comparison
        group comes from a single cluster (``StaggeredDiD.few_clusters_``).
    cells : int, optional
        Number of comparisons in all (for "3 of 40").
    threshold : int
        Fewer clusters than this are "few".
    cluster : str, optional
        What a cluster is (default 支部 / branches).

    >>> describe_few_clusters(96, "en")
    'Standard errors are clustered by 96 branches, enough for the intervals to be trusted.'
    >>> describe_few_clusters(24, "zh", single=5, cells=40)
    '标准误按 24 个支部聚类，支部较少（少于 30 个），置信区间可能偏窄、显著性偏乐观。40 个比较中有 5 个的处理组或对照组只有一个支部，这些比较的标准误不可靠。'
    """
    check_lang(lang)
    n = int(n)
    what = cluster or ("支部" if lang == "zh" else "branches")
    if lang == "zh":
        if n >= threshold:
            s = f"标准误按 {n} 个{what}聚类，数量足够，置信区间可信。"
        else:
            s = f"标准误按 {n} 个{what}聚类，{what}较少（少于 {threshold} 个），置信区间可能偏窄、显著性偏乐观。"
        if single:
            of = f"{cells} 个比较中有 {single} 个" if cells else f"有 {single} 个比较"
            s += f"{of}的处理组或对照组只有一个{what}，这些比较的标准误不可靠。"
        return s
    if n >= threshold:
        s = f"Standard errors are clustered by {n} {what}, enough for the intervals to be trusted."
    else:
        s = (f"Standard errors are clustered by only {n} {what} (fewer than {threshold}), so the intervals may be "
             "too narrow and significance too optimistic.")
    if single:
        of = f"{single} of {cells} comparisons" if cells else f"{single} comparisons"
        s += f" In {of} the treated or comparison group comes from a single one, so their standard errors are unreliable."
    return s


def describe_cotiming(cohorts: pd.DataFrame, lang: str = "zh", *, within: int = 4) -> str:
    """How close together the interventions started in each branch, and what that means for single estimates.

    Parameters
    ----------
    cohorts : DataFrame
        One row per branch with ``cohort_<intervention>`` columns (start
        period number, 0 = never) — :func:`fusion_study.effects.adoption_cohorts`;
        ``cohort_programme`` is ignored.
    within : int
        Interventions starting within this many quarters of a branch's first
        are "close together".

    >>> coh = pd.DataFrame({"cohort_a": [5, 6, 0], "cohort_b": [5, 8, 0], "cohort_programme": [5, 6, 0]})
    >>> describe_cotiming(coh, "en")
    'Of 2 branches that started more than one intervention, 2 (100%) started all of them within 4 quarters (median gap between the first and the last: 1 quarter(s)), so the estimate for one intervention also carries the effects of the others started by then; the whole-programme row is the cleanly identified one.'
    """
    check_lang(lang)
    cols = [c for c in cohorts.columns if c.startswith("cohort_") and c != "cohort_programme"]
    starts = cohorts[cols].replace(0, np.nan) if cols else pd.DataFrame()
    several = starts[starts.notna().sum(axis=1) >= 2] if cols else starts
    if len(cols) < 2 or several.empty:
        return ("各支部最多只推行了一项干预，不存在同期推行的问题。" if lang == "zh"
                else "No branch started more than one intervention, so no estimate mixes co-timed interventions.")
    spread = several.max(axis=1) - several.min(axis=1)
    close = int((spread <= within).sum())
    share = close / len(several)
    med = float(spread.median())
    if lang == "zh":
        s = (f"推行了两项及以上干预的 {len(several)} 个支部中，{close} 个（{share:.0%}）在 {within} 个季度内推行了全部干预"
             f"（首末两项相隔的中位数 {med:g} 个季度）")
        if share >= 0.5:
            return s + "，因此单项干预的估计包含同期其他干预的影响；“整体项目”一行识别最清楚。"
        return s + "；推行时间错开较多，单项干预的估计受同期干预的影响较小，但仍应与“整体项目”一行对照阅读。"
    s = (f"Of {len(several)} branches that started more than one intervention, {close} ({share:.0%}) started all of "
         f"them within {within} quarters (median gap between the first and the last: {med:g} quarter(s))")
    if share >= 0.5:
        return s + (", so the estimate for one intervention also carries the effects of the others started by then; "
                    "the whole-programme row is the cleanly identified one.")
    return s + ("; the starts are well spread, so single-intervention estimates mix in less of the others, but read "
                "them beside the whole-programme row.")


def _warning_sentence(category: type, message: str, lang: str) -> tuple[str, str]:
    """(dedup key, sentence) for one warning."""
    name = category.__name__
    known = {
        "FewClustersWarning": (
            "部分比较的处理组或对照组只有一个支部：这些比较的聚类标准误不可靠，置信区间可能偏窄。",
            "Some comparisons have treated or comparison units from a single branch: their clustered standard "
            "errors are unreliable and the intervals may be too narrow.",
        ),
        "EmptyCellWarning": (
            "部分推行批次在某些调查期没有答卷，这些比较无法估计，已从汇总中略去。",
            "Some adoption cohorts have no responses in some survey waves; those comparisons cannot be estimated "
            "and are left out of the summaries.",
        ),
        "OverlapWarning": (
            "部分观测的倾向得分过于极端（比较的两组重叠不足），已被截除；结果只代表重叠范围内的对象。",
            "Some observations had extreme propensity scores (poor overlap between the groups compared) and were "
            "trimmed; the result describes only the overlapping part.",
        ),
        "UnbalancedPanelWarning": (
            "面板不平衡（部分单位某些期缺失），已改用重复截面估计。",
            "The panel is unbalanced (some units miss some periods); the repeated cross-section estimator is used.",
        ),
        "ConvergenceWarning": (
            "某个模型的迭代未完全收敛，相应结果应谨慎解读。",
            "A model did not fully converge; read its results with caution.",
        ),
        "MeasurementWarning": (
            "测量模型给出提示：" + message,
            "The measurement model notes: " + message,
        ),
    }
    if name in known:
        zh, en = known[name]
        key = name if name != "MeasurementWarning" else message
        return key, zh if lang == "zh" else en
    text = message.strip().rstrip(".")
    return message, (f"提示：{text}。" if lang == "zh" else f"Note: {text}.")


def describe_warnings(records, lang: str = "zh") -> list[str]:
    """One plain sentence per distinct warning in ``records`` (``warnings.catch_warnings(record=True)``).

    Warnings the reader must see — few clusters, empty cells, poor overlap,
    non-convergence — get a fixed sentence (counted once however often they
    were raised); any other warning is passed on as "提示：…" / "Note: …".

    >>> import warnings
    >>> from fusion_study.effects import FewClustersWarning
    >>> with warnings.catch_warnings(record=True) as rec:
    ...     warnings.simplefilter("always")
    ...     warnings.warn("3 cells", FewClustersWarning)
    ...     warnings.warn("5 cells", FewClustersWarning)
    >>> len(describe_warnings(rec, "en"))
    1
    """
    check_lang(lang)
    seen: dict[str, str] = {}
    for w in records:
        category = getattr(w, "category", UserWarning)
        if issubclass(category, (DeprecationWarning, FutureWarning, PendingDeprecationWarning)):
            continue
        key, sentence = _warning_sentence(category, str(getattr(w, "message", w)), lang)
        seen.setdefault(key, sentence)
    return list(seen.values())


@contextlib.contextmanager
def explain_warnings(lang: str = "zh", *, file=None):
    """Context manager: record the warnings raised inside and print one plain sentence per distinct one.

    Use it around an analysis step in a notebook instead of silencing warnings::

        with explain_warnings(LANG):
            table = evaluate_interventions(study)

    Yields the list of recorded warnings.
    """
    check_lang(lang)
    with warnings.catch_warnings(record=True) as records:
        warnings.simplefilter("always")
        warnings.filterwarnings("ignore", category=DeprecationWarning)
        warnings.filterwarnings("ignore", category=FutureWarning)
        yield records
    for sentence in describe_warnings(records, lang):
        print(("⚠ " + sentence), file=file)


def skip_sentence(study, needs: dict, *, what_zh: str, what_en: str, lang: str = "zh") -> str | None:
    """Why a step cannot run on ``study`` (tables or columns it lacks), or ``None`` when it can.

    ``needs`` maps table -> required columns (``()``: any), as a report section's
    ``needs``; the sentence is the report's ("本节需要干预措施表 interventions，本研究未提供，因此未估计干预效应。"),
    with 本步 / "This step" for 本节 / "This section".
    """
    from fusion_study.reporting.sections import Section

    check_lang(lang)
    reason = Section("step", 0, "", "", lambda s, c: (), dict(needs), what_zh, what_en).skip_reason(study)
    if reason is None:
        return None
    text = reason.text(lang)
    return text.replace("本节", "本步", 1) if lang == "zh" else text.replace("This section", "This step", 1)


def effects_skip_sentence(study, frame: pd.DataFrame | None = None, *, outcome: str = "satisfaction",
                          cohort: str = "cohort_programme", lang: str = "zh") -> str | None:
    """Why intervention effects cannot be estimated on ``study``, or ``None`` when they can be tried.

    Checked in order: the tables (``interventions``, ``customer_survey``,
    ``customers``, ``units``); the outcome score (a ``satisfaction`` /
    ``dependency`` scale in the codebook); at least two survey waves; some
    branch starting within the surveyed quarters after the first one (so
    that there is a before and an after); a comparison group (branches not
    yet or never started). ``frame`` is :func:`fusion_study.effects.exposures`
    of the study (built here when not given).
    """
    from fusion_study.reporting.labels import label

    check_lang(lang)
    zh = lang == "zh"
    what_zh, what_en = "估计干预效应", "intervention effects were not estimated"
    missing = skip_sentence(study, {"interventions": (), "customer_survey": (), "customers": (), "units": ()},
                            what_zh=what_zh, what_en=what_en, lang=lang)
    if missing:
        return missing
    if frame is None:
        from fusion_study.effects.study import exposures

        frame = exposures(study)
    if outcome not in frame.columns or frame[outcome].notna().sum() == 0:
        return (f"码本中没有{label(outcome, 'zh')}量表（scale = {outcome}）的题目，无法计算该指数，因此未{what_zh}。" if zh
                else f"The codebook has no items of the {outcome} scale, so the index cannot be scored and {what_en}.")
    periods = frame.loc[frame[outcome].notna(), "period"]
    if periods.nunique() < 2:
        return (f"本研究只有一期调查（{frame['wave'].iloc[0]}），无法比较推行前后的变化，因此未{what_zh}。" if zh
                else f"The study has a single survey wave ({frame['wave'].iloc[0]}), so there is no before and "
                     f"after to compare and {what_en}.")
    if cohort not in frame.columns:
        return None
    first, last = periods.min(), periods.max()
    g = frame.loc[frame[outcome].notna(), cohort]
    inside = g[(g > first) & (g <= last)]
    if inside.empty:
        return ("没有支部在调查期间内开始推行干预（推行时间与调查时间没有重叠），无法比较推行前后，因此未"
                f"{what_zh}。" if zh
                else "No branch started an intervention between the first and the last survey wave, so there is no "
                     f"before and after within the survey and {what_en}.")
    if not ((g == 0) | (g > inside.min())).any():
        return ("所有支部同时开始推行，没有尚未推行的支部可作对照，因此未" + what_zh + "。" if zh
                else f"Every branch started at the same time, leaving no not-yet-started branches to compare with, "
                     f"so {what_en}.")
    return None


def describe_frame(frame: pd.DataFrame, lang: str = "zh") -> str:
    """The survey responses analysed, in one sentence (from :func:`fusion_study.effects.exposures`).

    >>> f = pd.DataFrame({"wave": ["2024Q1", "2024Q2"], "branch_id": ["B1", "B2"]})
    >>> f.attrs["n_screened_out"] = 3
    >>> describe_frame(f, "en")
    'Analysed: 2 retailer survey responses from 2 waves (2024Q1–2024Q2) and 2 branches; 3 responses were screened out (speeders, straight-liners, duplicates; listed in the ledger).'
    """
    check_lang(lang)
    n, waves = len(frame), frame["wave"].dropna().astype(str)
    nw, nb = waves.nunique(), frame["branch_id"].nunique()
    span = f"{waves.min()}–{waves.max()}" if nw > 1 else (waves.iloc[0] if nw else "")
    out = int(frame.attrs.get("n_screened_out", 0) or 0)
    if lang == "zh":
        s = f"分析对象：{n} 份零售户问卷（{nw} 期调查，{span}），来自 {nb} 个支部"
        return s + (f"；筛查剔除了 {out} 份无效问卷（答题过快、连续同一答案、重复提交，记录在筛查台账中）。" if out
                    else "；筛查没有剔除问卷。")
    s = f"Analysed: {n} retailer survey responses from {nw} waves ({span}) and {nb} branches"
    return s + (f"; {out} responses were screened out (speeders, straight-liners, duplicates; listed in the ledger)."
                if out else "; screening excluded no response.")


def describe_naive(table: pd.DataFrame, lang: str = "zh", *, decimals: int = 1) -> str | None:
    """Compare the naive estimates of :func:`~fusion_study.effects.evaluate_interventions` with the recommended one.

    ``None`` when the table has no naive rows or no programme estimate.
    """
    check_lang(lang)
    prog = table[(table["intervention"] == "programme") & (table["estimand"] == "ATT (simple)")]
    naive = table[table["estimand"] == "ATT (naive)"].dropna(subset=["estimate"])
    if prog.empty or naive.empty or not np.isfinite(_num(prog["estimate"].iloc[0])):
        return None
    ref = float(prog["estimate"].iloc[0])
    names = {"TWFE (branch + wave)": ("双向固定效应（TWFE）", "two-way fixed effects (TWFE)"),
             "before/after": ("前后对比", "before/after"),
             "treated vs untreated": ("干预/未干预对比", "treated vs untreated")}
    parts = []
    for est, name in zip(naive["estimate"], naive["estimator"]):
        zh, en = names.get(name, (name, name))
        parts.append(f"{zh} {est:.{decimals}f} 分" if lang == "zh" else f"{en} {est:.{decimals}f}")
    if lang == "zh":
        return (f"作为对照，朴素方法给出：{'，'.join(parts)}；推荐的交错双重差分为 {ref:.{decimals}f} 分。"
                "朴素估计与之相差越大，说明共同趋势或“强支部先推行”被误算成效果的部分越多。")
    return (f"For contrast, the naive methods give: {', '.join(parts)} points; the recommended staggered DiD gives "
            f"{ref:.{decimals}f}. The further a naive estimate is from it, the more of the common trend or of "
            "'stronger branches went first' it mistakes for an effect.")


def describe_truth(row, truth: float, lang: str = "zh", *, decimals: int = 1) -> str:
    """Does the interval cover the simulator's true value? (only for studies with a ``truth.json``)

    >>> describe_truth({"estimate": 8.0, "ci_lower": 5.0, "ci_upper": 11.0}, 6.2, "en")
    'The simulated true value is 6.2, inside the 95% interval (5.0 to 11.0).'
    """
    check_lang(lang)
    lo, hi, t = _num(_get(row, "ci_lower")), _num(_get(row, "ci_upper")), _num(truth)
    inside = lo <= t <= hi
    if lang == "zh":
        return (f"模拟数据的真值为 {t:.{decimals}f} 分，{'落在' if inside else '不在'}置信区间"
                f"（{lo:.{decimals}f} 至 {hi:.{decimals}f}）{'之内' if inside else '之内，估计偏离了真值'}。")
    return (f"The simulated true value is {t:.{decimals}f}, {'inside' if inside else 'outside'} the 95% interval "
            f"({lo:.{decimals}f} to {hi:.{decimals}f}).")


def summarise_effects(table: pd.DataFrame, models: dict | None = None, lang: str = "zh", *,
                      n_clusters: int | None = None, outcome: str = "satisfaction") -> list[str]:
    """The effect table of :func:`~fusion_study.effects.evaluate_interventions` in plain sentences.

    The whole programme first (effect, its pre-trend test, the few-cluster
    reading when ``n_clusters`` is given), then each single intervention
    (effect and pre-trend test in one line; when the table has effects net of the other
    interventions, these CS-DiD sentences are marked as including the co-timed interventions —
    the net effects are described by :func:`describe_net_effects`), then the naive contrast.
    ``models`` (``return_models=True``) adds how many comparisons rest on one branch.
    """
    check_lang(lang)
    from fusion_study.reporting.labels import label

    models = models or {}
    out = []
    has_net = bool((table["estimand"] == "ATT net of other interventions").any())
    order = ["programme"] + [i for i in dict.fromkeys(table["intervention"]) if i != "programme"]
    for name in order:
        part = table[table["intervention"] == name]
        simple = part[part["estimand"] == "ATT (simple)"]
        if simple.empty:
            continue
        row = simple.iloc[0]
        what = None
        if name != "programme" and has_net:  # the CS-DiD row of a single intervention: a contrast only
            what = label(name, lang) + ("（交错双重差分，含同期推行的其他干预）" if lang == "zh"
                                        else " (CS-DiD, includes the co-timed interventions)")
        s = describe_effect(row, lang, what=what, outcome=outcome)
        note = str(row.get("note", "") or "")
        if note.startswith("not estimable"):
            s += (f"（原因：{note}）" if lang == "zh" else f" ({note})")
        pt = part[part["estimand"] == "pre-trend test"]
        if len(pt):
            s += ("" if lang == "zh" else " ") + describe_pretrend(pt["p_value"].iloc[0], lang)
        if name == "programme" and n_clusters is not None:
            m = models.get(name)
            single = len(m.few_clusters_) if m is not None else 0
            cells = len(m.att_gt_) if m is not None else None
            s += ("" if lang == "zh" else " ") + describe_few_clusters(n_clusters, lang, single=single, cells=cells)
        out.append(s)
    naive = describe_naive(table, lang)
    if naive:
        out.append(naive)
    return out


def describe_net_effects(table: pd.DataFrame, identification: pd.DataFrame, lang: str = "zh", *,
                         truth: dict | pd.Series | None = None, outcome: str = "satisfaction") -> list[str]:
    """Each intervention's effect net of the others in one sentence, or why it gets no number.

    ``table``: :func:`~fusion_study.effects.evaluate_interventions` (its rows with estimand
    ``"ATT net of other interventions"``); ``identification``: the several-interventions
    identification table (:func:`~fusion_study.effects.study.intervention_identification`, or
    ``models["several"].identification_``). An identified intervention gets the effect sentence of
    :func:`describe_effect`, then the identification reason; a refused one only the reason (no
    number). With ``truth`` (intervention -> true ATT, simulated studies only) the sentence of
    :func:`describe_truth` follows each estimate.

    >>> t = pd.DataFrame({"intervention": ["brand", "cloud_team"], "estimand": "ATT net of other interventions",
    ...                   "estimate": [2.0, np.nan], "ci_lower": [0.5, np.nan], "ci_upper": [3.5, np.nan]})
    >>> i = pd.DataFrame({"intervention": ["brand", "cloud_team"], "identified": [True, False],
    ...                   "reason_en": ["Separable: the branch brand switched on alone in 5 branch(es).",
    ...                                 "The cloud revenue team started with the brand in every branch."],
    ...                   "reason_zh": ["可以单独估计。", "无法分开。"]})
    >>> for s in describe_net_effects(t, i, "en", truth={"brand": 1.8}):
    ...     print(s)
    branch brand (net of other interventions): customer satisfaction rose by 2.0 points on average (95% CI 0.5 to 3.5). The interval lies entirely above zero: clear evidence of an increase. Separable: the branch brand switched on alone in 5 branch(es). The simulated true value is 1.8, inside the 95% interval (0.5 to 3.5).
    cloud revenue team: no estimate. The cloud revenue team started with the brand in every branch.
    """
    from fusion_study.reporting.labels import label

    check_lang(lang)
    rows = table[table["estimand"] == "ATT net of other interventions"].set_index("intervention")
    ident = identification.assign(intervention=identification["intervention"].astype(str)).set_index("intervention")
    out = []
    for name, idr in ident.iterrows():
        reason = str(idr[f"reason_{lang}"])
        name_l = label(name, lang)
        if not bool(idr["identified"]) or name not in rows.index or not np.isfinite(_num(rows.loc[name, "estimate"])):
            out.append(f"{name_l}：不给出估计。{reason}" if lang == "zh" else f"{name_l}: no estimate. {reason}")
            continue
        row = rows.loc[name]
        what = f"{name_l}（扣除其他干预）" if lang == "zh" else f"{name_l} (net of other interventions)"
        s = describe_effect(row, lang, what=what, outcome=outcome) + ("" if lang == "zh" else " ") + reason
        if truth is not None and name in truth:
            s += ("" if lang == "zh" else " ") + describe_truth(row, float(truth[name]), lang)
        out.append(s)
    return out


def describe_bacon(bacon: pd.DataFrame, lang: str = "zh") -> str:
    """What the Goodman-Bacon decomposition says: the weight on comparisons that use already-treated controls.

    >>> b = pd.DataFrame({"type": ["treated_vs_never", "later_vs_earlier"], "estimate": [6.0, -2.0],
    ...                   "weight": [0.7, 0.3]})
    >>> describe_bacon(b, "en")
    "30% of the TWFE coefficient's weight is on comparisons that use already-treated branches as controls (their average estimate -2.0 against 6.0 for the other comparisons); when effects grow after adoption these comparisons pull TWFE down, so it cannot be read as the average effect."
    """
    check_lang(lang)
    bad = bacon["type"] == "later_vs_earlier"
    w_bad = float(bacon.loc[bad, "weight"].sum())
    w_ok = float(bacon.loc[~bad, "weight"].sum())
    est_bad = float((bacon.loc[bad, "weight"] * bacon.loc[bad, "estimate"]).sum() / w_bad) if w_bad > 0 else np.nan
    est_ok = float((bacon.loc[~bad, "weight"] * bacon.loc[~bad, "estimate"]).sum() / w_ok) if w_ok > 0 else np.nan
    if w_bad <= 0:
        return ("TWFE 系数中没有以已推行支部作对照的比较，分解不显示偏误来源。" if lang == "zh"
                else "No part of the TWFE coefficient uses already-treated branches as controls.")
    if lang == "zh":
        return (f"TWFE 系数有 {w_bad:.0%} 的权重来自以已推行支部作对照的比较（这些比较的平均估计为 {est_bad:.1f}，"
                f"其余比较为 {est_ok:.1f}）；效果在推行后逐季增强时，这些比较会把 TWFE 拉低，因此它不能当作平均效应来读。")
    return (f"{w_bad:.0%} of the TWFE coefficient's weight is on comparisons that use already-treated branches as "
            f"controls (their average estimate {est_bad:.1f} against {est_ok:.1f} for the other comparisons); when "
            "effects grow after adoption these comparisons pull TWFE down, so it cannot be read as the average effect.")


def describe_honest(honest: pd.DataFrame, lang: str = "zh") -> str:
    """The HonestDiD breakdown: the largest M whose robust interval still excludes zero.

    >>> h = pd.DataFrame({"M": [0.0, 0.5, 1.0], "ci_lower": [2.0, 0.4, -1.0], "ci_upper": [9.0, 11.0, 13.0]})
    >>> describe_honest(h, "en")
    'The robust interval excludes zero up to M = 0.5 (of those tried): the conclusion survives post-adoption departures from parallel trends up to 0.5 times the largest pre-adoption departure.'
    """
    check_lang(lang)
    h = honest.sort_values("M")
    excludes = ((h["ci_lower"] > 0) | (h["ci_upper"] < 0)).to_numpy()
    if not excludes[0] and float(h["M"].iloc[0]) == 0.0:
        return ("即使平行趋势严格成立（M = 0），稳健区间也包含 0：本来就没有明确的效应可供检验稳健性。" if lang == "zh"
                else "Even with parallel trends holding exactly (M = 0) the robust interval includes zero: there is "
                     "no clear effect whose robustness could be checked.")
    if not excludes[0]:
        return ("即使取所试最小的 M，稳健区间也包含 0：结论依赖平行趋势严格成立。" if lang == "zh"
                else "Even at the smallest M tried the robust interval includes zero: the conclusion rests on "
                     "parallel trends holding exactly.")
    n_ok = len(excludes) if excludes.all() else int(np.argmin(excludes))
    m = float(h["M"].iloc[n_ok - 1])
    if m == float(h["M"].iloc[-1]):
        return (f"直到所试的最大 M = {m:g}，稳健区间都不含 0：即使推行后趋势偏离达到推行前最大偏离的 {m:g} 倍，结论仍成立。"
                if lang == "zh" else
                f"The robust interval excludes zero for every M tried, up to M = {m:g}: the conclusion survives "
                f"post-adoption departures from parallel trends up to {m:g} times the largest pre-adoption departure.")
    return (f"稳健区间在 M ≤ {m:g} 时不含 0（所试的 M 中）：推行后趋势偏离不超过推行前最大偏离的 {m:g} 倍时，结论成立；"
            "偏离更大时就不能排除零效应。" if lang == "zh" else
            f"The robust interval excludes zero up to M = {m:g} (of those tried): the conclusion survives "
            f"post-adoption departures from parallel trends up to {m:g} times the largest pre-adoption departure.")


def describe_hazard_ratio(row, lang: str = "zh", *, decimals: int = 2) -> str:
    """One sentence on a hazard ratio of resolution (HR > 1: problems resolved faster), read from its interval.

    >>> describe_hazard_ratio({"estimate": 1.4, "ci_lower": 1.2, "ci_upper": 1.6}, "en")
    'After the launch, problems were resolved 1.40 times as fast as before (hazard ratio, 95% CI 1.20 to 1.60): the interval lies entirely above 1, clear evidence of faster resolution.'
    """
    check_lang(lang)
    hr, lo, hi = (_num(_get(row, k)) for k in ("estimate", "ci_lower", "ci_upper"))
    if not all(math.isfinite(v) for v in (hr, lo, hi)):
        return "未能估计机制启动前后的解决速度之比。" if lang == "zh" else "The hazard ratio could not be estimated."
    d = decimals
    if lo > 1 or hi < 1:
        faster = lo > 1
        if lang == "zh":
            return (f"机制启动后，问题解决的速度是启动前的 {hr:.{d}f} 倍（风险比，95% 置信区间 {lo:.{d}f} 至 {hi:.{d}f}）："
                    f"区间完全在 1 {'以上' if faster else '以下'}，有明确证据表明解决得更{'快' if faster else '慢'}了。")
        return (f"After the launch, problems were resolved {hr:.{d}f} times as fast as before (hazard ratio, 95% CI "
                f"{lo:.{d}f} to {hi:.{d}f}): the interval lies entirely {'above' if faster else 'below'} 1, clear "
                f"evidence of {'faster' if faster else 'slower'} resolution.")
    if lang == "zh":
        return (f"机制启动前后问题解决速度之比为 {hr:.{d}f}（风险比，95% 置信区间 {lo:.{d}f} 至 {hi:.{d}f}）：区间包含 1，"
                "数据不足以判断解决是否变快。")
    return (f"The ratio of resolution speed after vs before the launch is {hr:.{d}f} (hazard ratio, 95% CI {lo:.{d}f} "
            f"to {hi:.{d}f}): the interval includes 1, so the data cannot tell whether resolution got faster.")


def describe_brand_moderation(moderation: pd.DataFrame, lang: str = "zh", *, min_branches: int | None = None) -> list[str]:
    """Sentences on :func:`~fusion_study.brands.brand_type_moderation`: each contrast, then whether there are enough branches.

    The contrasts (distinctive − generic, …) are the answer (co-timed work cancels
    out); a type with fewer than ``min_branches`` branches (default
    ``brands.moderation.MIN_BRANCHES_PER_TYPE``) makes the comparison underpowered.
    """
    from fusion_study.brands.moderation import MIN_BRANCHES_PER_TYPE

    check_lang(lang)
    min_branches = MIN_BRANCHES_PER_TYPE if min_branches is None else min_branches
    out = []
    for _, row in moderation[moderation["kind"] == "contrast"].iterrows():
        out.append(describe_effect(row, lang, what=str(row.get(f"label_{lang}", row["term"]))))
    types = moderation[moderation["kind"] == "type ATT"]
    if len(types):
        counts = dict(zip(types[f"label_{lang}"].astype(str), types["n_branches"].astype(int)))
        few = {k: v for k, v in counts.items() if v < min_branches}
        listing = ("、" if lang == "zh" else ", ").join(f"{k} {v}" for k, v in counts.items())
        if few:
            out.append(
                f"各类型推行了品牌的支部数：{listing}。少于 {min_branches} 个支部的类型，比较的检验力不足，"
                "聚类标准误本身也不可靠：区间包含 0 应读作“支部太少，无法判断”，而不是“品牌类型无关紧要”。"
                if lang == "zh" else
                f"Branches that launched a brand, by type: {listing}. With fewer than {min_branches} branches of a type "
                "the comparison is underpowered and its clustered standard errors are themselves unreliable: an "
                "interval that includes zero means 'too few branches to tell', not 'brand type does not matter'.")
        else:
            out.append(f"各类型推行了品牌的支部数：{listing}，每类至少 {min_branches} 个。" if lang == "zh"
                       else f"Branches that launched a brand, by type: {listing} (at least {min_branches} each).")
    return out
