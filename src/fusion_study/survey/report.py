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
    yield _weighting_text(study, wave)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", NoBranchVarianceWarning)
        table = study_satisfaction_by_branch(study, wave=wave, seed=ctx.seed)
    no_variance = any(issubclass(w.category, NoBranchVarianceWarning) for w in caught)
    top, bottom = table.attrs["top"], table.attrs["bottom"]
    shown = table[["branch_name", "n", "raw_mean", "estimate", "ci_lower", "ci_upper", "prob_top", "prob_bottom"]]
    yield Table(
        "survey_branches",
        shown.rename(columns={"estimate": "shrunken_estimate"}),
        caption_zh=f"各支部客户满意度（{wave}，0–100 分）：原始均值、收缩估计及其 95% 区间、位列前{top}/后{bottom}的概率",
        caption_en=f"Branch satisfaction ({wave}, 0–100): raw mean, shrunken estimate with 95% interval, "
                   f"P(top {top}), P(bottom {bottom})",
        notes_zh="收缩估计为随机截距模型（REML）的经验最佳线性无偏预测：答卷少的支部向总体均值收缩更多。名次概率由估计值及其标准误模拟得到。",
        notes_en="Shrunken estimates are empirical BLUPs of a random-intercept model (REML): branches with few "
                 "answers are pulled more towards the overall mean. Rank probabilities are simulated from the "
                 "estimates and their standard errors.",
        n_column="n",
        decimals={"raw_mean": 1, "shrunken_estimate": 1, "ci_lower": 1, "ci_upper": 1, "prob_top": 2,
                  "prob_bottom": 2},
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
    yield _different_text(table, no_variance)


def _weighting_text(study, wave: str) -> Text:
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


def different_branches(table: pd.DataFrame) -> tuple[list[str], list[str]]:
    """Branch names whose shrunken interval lies wholly above / below the overall mean."""
    overall = table.attrs["overall_mean"]
    above = table.loc[table["ci_lower"] > overall, "branch_name"].tolist()
    below = table.loc[table["ci_upper"] < overall, "branch_name"].tolist()
    return above, below


def _different_text(table: pd.DataFrame, no_variance: bool) -> Text:
    """Plain sentence: which branches really differ from the overall mean."""
    overall = table.attrs["overall_mean"]
    if no_variance:
        return Text(zh="支部之间的差异估计为零：各支部满意度的差别都在抽样误差范围内，不宜据此给支部排名。",
                    en="The estimated variation between branches is zero: the differences between branches are "
                       "within sampling error and do not support a ranking.")
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


from fusion_study.survey import report_themes  # noqa: E402,F401  (registers the themes section)
