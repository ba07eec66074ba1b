"""Report section: branch satisfaction as small-area estimates, with the survey weighting checked."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from fusion_study.reporting.sections import Figure, SectionSkipped, Table, Text, register_section

#: fewest branches with answers for the section to be worth showing
MIN_BRANCHES = 3


@register_section(
    "survey", order=45, title_zh="各支部客户满意度（小区域估计）", title_en="Branch satisfaction (small-area estimates)",
    needs={"customer_survey": ("customer_id",), "customers": ("customer_id", "branch_id")},
    what_zh="估计各支部的客户满意度", what_en="branch satisfaction was not estimated",
)
def build(study, ctx):
    import matplotlib.pyplot as plt

    from fusion_study.survey.plots import caterpillar_height, plot_branch_caterpillar
    from fusion_study.survey.small_area import NoBranchVarianceWarning
    from fusion_study.survey.study import _responses, _scored, latest_wave, study_satisfaction_by_branch

    lang = ctx.lang
    resp, _ = _responses(study, what="survey report")
    wave = latest_wave(resp["wave"])
    try:
        scored, _ = _scored(resp[resp["wave"].astype(str) == wave], study.codebook, what="survey report")
    except ValueError as err:
        raise SectionSkipped(zh="码本中没有可计分的满意度题项，因此未估计各支部的客户满意度。",
                             en=f"Branch satisfaction was not estimated: {err}") from None
    k = scored["branch_id"].nunique()
    if k < MIN_BRANCHES:
        raise SectionSkipped(
            zh=f"最近一期调查（{wave}）只有 {k} 个支部有满意度答卷，少于 {MIN_BRANCHES} 个，无法比较各支部。",
            en=f"Only {k} branch(es) have satisfaction answers in the latest wave ({wave}); at least "
               f"{MIN_BRANCHES} are needed to compare branches.",
        )
    yield weighting_text(study, wave, ctx.weights)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", NoBranchVarianceWarning)
        table = study_satisfaction_by_branch(study, wave=wave, seed=ctx.seed)
    no_variance = table.attrs["no_branch_variance"] or any(
        issubclass(w.category, NoBranchVarianceWarning) for w in caught)
    top, bottom = table.attrs["top"], table.attrs["bottom"]
    cols = ["branch_name", "n", "raw_mean", "estimate", "ci_lower", "ci_upper"]
    unweighted_zh = "各支部均值未加权（支部内答卷同等计权；权重只校正县区和客户类型的总体构成）。"
    unweighted_en = ("Branch means are unweighted (responses within a branch count equally; the weights only "
                     "correct the county and segment mix).")
    if no_variance:
        caption_zh = (f"各支部客户满意度（{wave}，0–100 分）：原始均值、收缩估计及其 95% 区间"
                      "（支部间差异估计为零，无法给支部排名，因此不列名次概率）")
        caption_en = (f"Branch satisfaction ({wave}, 0–100): raw mean, shrunken estimate with 95% interval "
                      "(the estimated variation between branches is zero, so branches cannot be ranked and no "
                      "rank probabilities are shown)")
        notes_zh = "收缩估计为随机截距模型（REML）的经验最佳线性无偏预测；支部间方差估计为零，所有支部的收缩估计都等于总体均值。"
        notes_en = ("Shrunken estimates are empirical BLUPs of a random-intercept model (REML); the between-branch "
                    "variance is estimated as zero, so every branch's shrunken estimate equals the overall mean.")
    else:
        cols += ["prob_top", "prob_bottom"]
        caption_zh = (f"各支部客户满意度（{wave}，0–100 分）：原始均值、收缩估计及其 95% 区间、"
                      f"位列前{top}/后{bottom}的概率")
        caption_en = (f"Branch satisfaction ({wave}, 0–100): raw mean, shrunken estimate with 95% interval, "
                      f"P(top {top}), P(bottom {bottom})")
        notes_zh = ("收缩估计为随机截距模型（REML）的经验最佳线性无偏预测：答卷少的支部向总体均值收缩更多。"
                    "名次概率由估计值及其标准误模拟得到。")
        notes_en = ("Shrunken estimates are empirical BLUPs of a random-intercept model (REML): branches with few "
                    "answers are pulled more towards the overall mean. Rank probabilities are simulated from the "
                    "estimates and their standard errors.")
    yield Table(
        "survey_branches",
        table[cols].rename(columns={"estimate": "shrunken_estimate"}),
        caption_zh=caption_zh, caption_en=caption_en,
        notes_zh=notes_zh + unweighted_zh, notes_en=notes_en + " " + unweighted_en,
        n_column="n",
        decimals={c: d for c, d in (("raw_mean", 1), ("shrunken_estimate", 1), ("ci_lower", 1), ("ci_upper", 1),
                                    ("prob_top", 2), ("prob_bottom", 2)) if c in cols or c == "shrunken_estimate"},
    )
    small = table["n"] < ctx.min_cell
    fig_table = table.copy()
    fig_table.loc[small, ["raw_mean", "raw_ci_lower", "raw_ci_upper"]] = np.nan
    fig, ax = plt.subplots(figsize=(6.5, caterpillar_height(len(table))))
    plot_branch_caterpillar(fig_table, lang=lang, ax=ax)
    fig.tight_layout()
    yield Figure(
        "survey_branch_caterpillar", fig,
        caption_zh=f"各支部满意度的原始均值与收缩估计（{wave}；虚线为总体均值"
                   + (f"；答卷少于 {ctx.min_cell} 份的支部不显示原始均值" if small.any() else "") + "）",
        caption_en=f"Raw and shrunken branch satisfaction ({wave}; dashed line: overall mean"
                   + (f"; raw means of branches with fewer than {ctx.min_cell} answers not shown" if small.any()
                      else "") + ")",
    )
    yield different_text(table, no_variance)
    yield from _planning_blocks(study, wave, ctx.weights)


def weighting_text(study, wave: str, weights: str | None = "rake") -> Text:
    """One sentence: the weighted and unweighted mean, the design effect and the effective n."""
    from fusion_study.survey.study import study_weighted_means

    try:
        means = study_weighted_means(study, wave=wave)
    except ValueError as err:
        return Text(zh=f"未能按客户总体的县区和客户类型分布对答卷加权（{err}），以下结果未加权。",
                    en=f"The responses could not be weighted to the customers' county and segment distribution "
                       f"({err}); the results below are unweighted.")
    m = means.set_index("weighting")
    wtd, unw = m.loc["weighted"], m.loc["unweighted"]
    diag = means.attrs["diagnostics"].iloc[0]
    if weights is None:
        return Text(
            zh=(f"本报告按设置不加权：{wave} 的 {int(diag['n'])} 份答卷平均满意度为 {unw['estimate']:.1f} 分"
                f"（95%置信区间 {unw['ci_lower']:.1f}–{unw['ci_upper']:.1f}，按支部聚类）；若按客户总体的县区和客户类型"
                f"分布加权则为 {wtd['estimate']:.1f} 分。"),
            en=(f"This report is unweighted by choice: the {int(diag['n'])} responses of {wave} give a mean "
                f"satisfaction of {unw['estimate']:.1f} (95% CI {unw['ci_lower']:.1f}–{unw['ci_upper']:.1f}, "
                f"branch-clustered); weighted to the customers' county and segment distribution it would be "
                f"{wtd['estimate']:.1f}."),
        )
    diff = wtd["estimate"] - unw["estimate"]
    changes = abs(diff) > max(wtd["se"], unw["se"])
    verdict_zh = "加权改变了总体判断，应以加权结果为准" if changes else "加权后的均值与未加权均值相差不到一个标准误，加权不改变总体判断"
    verdict_en = ("weighting changes the picture; rely on the weighted figure" if changes else
                  "the two differ by less than one standard error, so weighting does not change the picture")
    return Text(
        zh=(f"按客户总体的县区和客户类型分布对 {wave} 的 {int(diag['n'])} 份答卷加权（raking）后，平均满意度为 "
            f"{wtd['estimate']:.1f} 分（95%置信区间 {wtd['ci_lower']:.1f}–{wtd['ci_upper']:.1f}，按支部聚类），未加权为 "
            f"{unw['estimate']:.1f} 分；加权的设计效应为 {diag['deff']:.2f}，有效样本量约 {diag['n_eff']:.0f}；"
            f"{verdict_zh}。"),
        en=(f"Weighted (raked) to the customers' county and segment distribution, the {int(diag['n'])} responses of "
            f"{wave} give a mean satisfaction of {wtd['estimate']:.1f} (95% CI {wtd['ci_lower']:.1f}–"
            f"{wtd['ci_upper']:.1f}, branch-clustered) against {unw['estimate']:.1f} unweighted; the design effect of "
            f"weighting is {diag['deff']:.2f} (effective sample size about {diag['n_eff']:.0f}); {verdict_en}."),
    )


#: the half-width (0–100 points) the plain planning sentence is about
PLAN_HALF_WIDTH = 3.0


def planning_sentence(plan: pd.DataFrame, *, half_width: float = PLAN_HALF_WIDTH) -> Text:
    """Plain sentence: the responses per branch and wave a ``±half_width`` interval of a branch's mean needs."""
    row = plan.loc[plan["half_width"] == half_width].iloc[0]
    need, now = int(row["responses_needed"]), float(row["current_per_branch"])
    current = plan.attrs["current_half_width"]
    enough = need <= now
    size = plan.attrs.get("retailers_per_branch")
    beyond = size is not None and need > size
    beyond_zh = (f"这超过了一个支部平均服务的零售客户数（约{size:.0f}户），即使全部调查也达不到，只能放宽目标或合并多波答卷。"
                 if beyond else "")
    beyond_en = (f" That is more than the retailers a branch serves on average (about {size:.0f}): even a full census "
                 "of a branch would not reach it, so widen the target or pool waves." if beyond else "")
    return Text(
        zh=(f"要把每个支部满意度的95%置信区间半宽控制在±{half_width:g}分，每个支部每波需要约{need}份有效问卷；"
            f"目前平均每个支部{now:.0f}份，半宽约±{current:.1f}分"
            + ("，已经够用。" if enough else "，需要增加问卷。") + beyond_zh
            + f"（依据 {plan.attrs['wave']} 的答卷：支部间差异占满意度方差的 {row['icc']:.0%}（ICC），"
            f"加权设计效应 {row['deff_weights']:.2f}。）"),
        en=(f"To keep the 95% CI of each branch's satisfaction within ±{half_width:g} points, each branch needs "
            f"about {need} valid responses per wave; at present a branch has {now:.0f} on average, a half-width of "
            f"about ±{current:.1f}" + (", which is enough." if enough else ", so more responses are needed.")
            + beyond_en
            + f" (From the answers of {plan.attrs['wave']}: the branches account for {row['icc']:.0%} of the "
            f"variance of satisfaction (ICC); design effect of weighting {row['deff_weights']:.2f}.)"),
    )


def _planning_blocks(study, wave: str, weights: str | None):
    """The planning table and its plain sentence (nothing when the study cannot support them)."""
    from fusion_study.survey.study import study_planning

    try:
        plan = study_planning(study, wave=wave, weights=weights)
    except ValueError:
        try:
            plan = study_planning(study, wave=wave, weights=None)
        except ValueError:
            return
    yield planning_sentence(plan)
    shown = plan[["half_width", "responses_needed", "current_per_branch", "icc", "deff_weights"]]
    weighted = plan.attrs["weighting"] == "weighted"
    yield Table(
        "survey_planning", shown,
        caption_zh=f"调查规划：各支部满意度95%置信区间达到目标半宽所需的每支部每波有效问卷数（依据 {wave}，"
                   + ("计入加权设计效应）" if weighted else "未加权）"),
        caption_en=f"Survey planning: responses per branch and wave for a target half-width of the 95% CI of a "
                   f"branch's satisfaction (from {wave}; " + ("with the design effect of weighting)" if weighted
                                                              else "unweighted)"),
        notes_zh="所需问卷数 = z²·(1−ICC)·σ²·加权设计效应 / 半宽²（向上取整），σ² 与 ICC 取自随机截距模型；针对支部自身的直接均值，收缩估计的区间更窄。",
        notes_en="Responses = z²·(1−ICC)·σ²·deff_weights / half-width² (rounded up), with σ² and the ICC from the "
                 "random-intercept fit; for a branch's own direct mean (the shrunken estimate's interval is "
                 "narrower).",
        decimals={"half_width": 0, "current_per_branch": 1, "icc": 3, "deff_weights": 2},
    )


def different_branches(table: pd.DataFrame) -> tuple[list[str], list[str]]:
    """Branch names whose shrunken interval lies wholly above / below the overall mean."""
    overall = table.attrs["overall_mean"]
    above = table.loc[table["ci_lower"] > overall, "branch_name"].tolist()
    below = table.loc[table["ci_upper"] < overall, "branch_name"].tolist()
    return above, below


def different_text(table: pd.DataFrame, no_variance: bool) -> Text:
    """Plain sentence: which branches really differ from the overall mean."""
    overall = table.attrs["overall_mean"]
    if no_variance:
        return Text(zh="支部之间的差异估计为零：各支部满意度的差别都在抽样误差范围内，无法给支部排名，"
                       "也无法说哪个支部位列前几名或后几名。",
                    en="The estimated variation between branches is zero: the differences between branches are "
                       "within sampling error, so the branches cannot be ranked and none can be called a top or "
                       "bottom branch.")
    above, below = different_branches(table)
    if not above and not below:
        return Text(zh=f"没有哪个支部的 95% 区间排除总体均值（{overall:.1f} 分）：各支部的差别都可能只是抽样误差。",
                    en=f"No branch's 95% interval excludes the overall mean ({overall:.1f}): the differences "
                       "between branches may all be sampling error.")
    zh, en = [], []
    if above:
        zh.append(f"明显高于总体均值的有 {'、'.join(above)}")
        en.append(f"clearly above it: {', '.join(above)}")
    if below:
        zh.append(f"明显低于总体均值的有 {'、'.join(below)}")
        en.append(f"clearly below it: {', '.join(below)}")
    rest = len(table) - len(above) - len(below)
    return Text(
        zh=(f"以 95% 区间是否排除总体均值（{overall:.1f} 分）为准，{'；'.join(zh)}；其余 {rest} 个支部与总体均值的差别"
            "都可能只是抽样误差。"),
        en=(f"Judged by whether the 95% interval excludes the overall mean ({overall:.1f}), {'; '.join(en)}; the "
            f"other {rest} branch(es) may differ from it only by sampling error."),
    )


def weighting_statement(study, weights: str | None) -> Text:
    """First-page sentence: whether the report's customer-survey results are weighted, and what is not."""
    from fusion_study.survey.study import study_weights

    from fusion_study.index.report import staff_weighted

    if staff_weighted(study, weights):
        rest_zh = "党业融合指数的员工答卷按员工调查的 weight 列加权；量表信度和干预效果估计不加权。"
        rest_en = ("The integration index weights the staff responses by the staff survey's weight column; "
                   "reliability and the intervention effects are unweighted.")
    else:
        rest_zh = "量表信度、党业融合指数（员工调查没有员工总体名册可供加权）和干预效果估计不加权。"
        rest_en = ("Reliability, the integration index (the staff survey has no staff population to weight to) and "
                   "the intervention effects are unweighted.")
    if weights is None:
        return Text(zh="本报告所有结果均未加权：每份答卷同等计权。" + rest_zh,
                    en="Every result in this report is unweighted: each response counts equally. " + rest_en)
    try:
        study_weights(study)
    except ValueError as err:
        return Text(zh=f"未能按零售客户总体对满意度调查加权（{err}），本报告所有结果均未加权。",
                    en=f"The retailer survey could not be weighted to the customers table ({err}); every result in "
                       "this report is unweighted.")
    return Text(
        zh="本报告中客户满意度和依存度的描述统计与均值已加权：每一波答卷按零售客户总体（零售客户表）的县区和客户类型分布"
           "做了 raking 加权，使样本构成与总体一致。" + rest_zh,
        en="The descriptive statistics and means of retailer satisfaction and dependency in this report are "
           "weighted: each wave's responses are raked to the county and segment distribution of all retailers "
           "(the customers table), so the sample mix matches the population. " + rest_en,
    )


def descriptives_blocks(study, weights: str | None, lang: str = "zh"):
    """The overview's table of satisfaction and dependency per wave (weighted or not), as report blocks."""
    from fusion_study.reporting.labels import label
    from fusion_study.survey.study import study_descriptives

    try:
        d = study_descriptives(study, weights=weights)
    except ValueError:
        if weights is None:
            return
        try:
            d = study_descriptives(study, weights=None)
        except ValueError:
            return
    weighted = d.attrs["weighting"] == "weighted"
    shown = d.assign(variable=[label(v, lang) for v in d["variable"]])
    tag_zh, tag_en = ("加权", "weighted") if weighted else ("未加权", "unweighted")
    cols = ["variable", "wave", "n", "estimate", "sd", "ci_lower", "ci_upper"]
    yield Table(
        "overview_descriptives", shown[cols].rename(columns={"estimate": "mean"}),
        caption_zh=f"客户满意度与依存度（0–100 分）各波次描述统计（{tag_zh}）",
        caption_en=f"Retailer satisfaction and dependency (0–100) by wave ({tag_en})",
        notes_zh=("均值、标准差和95%置信区间按零售客户总体的县区和客户类型分布加权（raking）；置信区间按支部聚类。"
                  if weighted else "未加权：每份答卷同等计权；置信区间按支部聚类。"),
        notes_en=("Means, SDs and 95% CIs are weighted (raked) to the retailers' county and segment distribution; "
                  "CIs are branch-clustered." if weighted else
                  "Unweighted: each response counts equally; CIs are branch-clustered."),
        n_column="n", decimals={"mean": 1, "sd": 1, "ci_lower": 1, "ci_upper": 1}, group_column="variable",
    )


def describe_weights(diagnostics: pd.DataFrame, lang: str = "zh") -> str:
    """Plain sentence on the weights of all waves: spread, design effect and the effective sample lost.

    ``diagnostics``: ``study_weights(study).attrs["diagnostics"]`` (one row per wave).

    >>> d = pd.DataFrame({"wave": ["2024Q1", "2024Q2"], "n": [100, 120], "min": [0.5, 0.6], "max": [2.0, 1.8],
    ...                   "max_min_ratio": [4.0, 3.0], "deff": [1.10, 1.05], "n_eff": [90.9, 114.3]})
    >>> describe_weights(d, "en")
    'Over 2 waves the largest weight is 3.0–4.0 times the smallest; the design effect of weighting is 1.05–1.10, so weighting costs about 7% of the effective sample size (it makes the sample mix match the population at that price).'
    """
    lo_r, hi_r = diagnostics["max_min_ratio"].min(), diagnostics["max_min_ratio"].max()
    lo_d, hi_d = diagnostics["deff"].min(), diagnostics["deff"].max()
    lost = 1.0 - diagnostics["n_eff"].sum() / diagnostics["n"].sum()
    k = len(diagnostics)
    if lang == "zh":
        return (f"{k} 个波次中，最大权重是最小权重的 {lo_r:.1f}–{hi_r:.1f} 倍；加权的设计效应为 {lo_d:.2f}–{hi_d:.2f}，"
                f"即加权使有效样本量减少约 {lost:.0%}（以此为代价让样本构成与总体一致）。")
    return (f"Over {k} waves the largest weight is {lo_r:.1f}–{hi_r:.1f} times the smallest; the design effect of "
            f"weighting is {lo_d:.2f}–{hi_d:.2f}, so weighting costs about {lost:.0%} of the effective sample size "
            "(it makes the sample mix match the population at that price).")


def describe_branches(table: pd.DataFrame, lang: str = "zh") -> str:
    """Plain sentence: which branches really differ from the overall mean (``study_satisfaction_by_branch`` output)."""
    return different_text(table, bool(table.attrs.get("no_branch_variance", False))).text(lang)


from fusion_study.survey import report_themes  # noqa: E402,F401  (registers the themes section)
