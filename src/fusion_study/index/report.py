"""Report section: the integration index, its uncertainty, coupling and the two-skins test."""

from __future__ import annotations

import matplotlib.pyplot as plt

from fusion_study.reporting.sections import Figure, Table, Text, register_section
from fusion_study.index.study import study_alignment, study_coupling, study_index
from fusion_study.index.uncertainty import index_uncertainty


@register_section("index", order=40, title_zh="党业融合指数", title_en="Integration index",
                  needs={"staff_survey": ()}, what_zh="计算党业融合指数", what_en="the integration index was not computed")
def build(study, ctx):
    """Index table (latest wave), weights, rank intervals, coupling levels, alignment."""
    if "staff_survey" not in study:
        yield Text(zh="本研究没有员工党业融合调查数据，无法计算党业融合指数。",
                   en="This study has no staff integration survey, so the integration index cannot be computed.")
        return
    idx = study_index(study)
    scores = idx.scores_
    last = sorted(scores["period"].astype(str).unique())[-1]
    yield Text(
        zh=("党业融合指数由员工调查的目标、成效、能力、服务四个融合维度和业务指标构成，"
            "指标经极差标准化后按熵权法赋权、线性加总（0–1，越高越好）。"
            f"共 {scores['unit_id'].nunique()} 个支部、{scores['period'].nunique()} 个波次。"),
        en=("The integration index combines the staff survey's goal, outcome, capability and service fusion "
            "scales with business KPIs: min-max normalised, entropy-weighted, linearly aggregated (0–1, higher is "
            f"better). {scores['unit_id'].nunique()} branches, {scores['period'].nunique()} waves."),
    )
    latest = scores[scores["period"].astype(str) == last].sort_values("rank")
    dec = {c: 3 for c in latest.columns if c not in ("unit_id", "period", "rank")}
    yield Table("index_scores", latest.reset_index(drop=True), caption_zh=f"党业融合指数（{last}）",
                caption_en=f"Integration index ({last})", decimals=dec,
                notes_zh="rank：同一波次内的名次（1 = 最高）。", notes_en="rank: within the wave (1 = highest).")
    yield Table("index_weights", idx.weights_, caption_zh="指标权重（熵权法）", caption_en="Indicator weights (entropy)",
                decimals={"weight": 3, "weight_in_dimension": 3})
    n_draws = 200 if ctx.quick else 2000
    unc = index_uncertainty(idx, idx.data_, n_draws=n_draws, seed=ctx.seed)
    yield Table("index_sensitivity", unc.sensitivity_, caption_zh="排名方差来源（一阶敏感性指数）",
                caption_en="Sources of rank variance (first-order sensitivity)", decimals={"first_order": 3})
    fig, ax = plt.subplots(figsize=(7, 6))
    unc.plot(ax=ax, period=last, lang=ctx.lang)
    yield Figure("index_rank_intervals", fig, caption_zh="排名中位数与95%排名区间（方法与权重不确定性）",
                 caption_en="Median rank and 95% rank interval (method and weight uncertainty)")
    cc = study_coupling(study)
    counts = cc.groupby(["level", "level_zh", "level_en"]).size().rename("n").reset_index()
    yield Table("index_coupling_levels", counts, caption_zh="党建与业务耦合协调等级分布",
                caption_en="Coupling coordination levels of party and business work", n_column="n")
    if "kpis" in study and {"party_assessment", "business_assessment"} <= set(study.kpis["metric"].astype(str)):
        al = study_alignment(study, n_boot=500 if ctx.quick else 2000, seed=ctx.seed)
        r = al.correlations_.set_index("method").loc["spearman"]
        yield Text(
            zh=(f"“两张皮”检验：党建考核与业务考核的 Spearman 相关为 {r['estimate']:.2f}"
                f"（95% 自助法区间 {r['ci_lower']:.2f}–{r['ci_upper']:.2f}）。"),
            en=(f"Two-skins test: Spearman correlation of party and business assessments {r['estimate']:.2f} "
                f"(95% percentile bootstrap interval {r['ci_lower']:.2f} to {r['ci_upper']:.2f})."),
        )
        yield Table("index_alignment", al.correlations_, caption_zh="党建考核与业务考核的相关",
                    caption_en="Correlation of party and business assessments",
                    decimals={"estimate": 3, "ci_lower": 3, "ci_upper": 3}, p_column="p_value")
        yield Table("index_quadrants", al.quadrants_, caption_zh="支部四象限分布", caption_en="Branches by quadrant",
                    n_column="n", decimals={"share": 3})
        fig, ax = plt.subplots(figsize=(6, 5.5))
        al.plot(ax=ax, lang=ctx.lang)
        yield Figure("index_alignment_scatter", fig, caption_zh="党建考核与业务考核散点（虚线为中位数）",
                     caption_en="Party vs business assessment (dashed lines: medians)")
