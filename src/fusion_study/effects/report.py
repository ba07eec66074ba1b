"""Report section: intervention effects on retailer satisfaction (order 50)."""

from __future__ import annotations

import warnings

from fusion_study.reporting.sections import Figure, Table, Text, register_section


@register_section("effects", order=50, title_zh="干预措施对客户满意度的影响", title_en="Intervention effects on satisfaction",
                  needs={"interventions": (), "customer_survey": ()}, what_zh="估计干预效应",
                  what_en="intervention effects were not estimated")
def build(study, ctx):
    """Effect table (CS-DiD per intervention, naive estimators beside it) and the programme event study."""
    import matplotlib.pyplot as plt

    from fusion_study.effects.plots import plot_event_study, plot_intervention_effects
    from fusion_study.effects.study import evaluate_interventions

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table, models = evaluate_interventions(study, return_models=True)
    yield Text(
        zh=(
            "各项干预按支部分批推行（交错推行），且先推行的多为基础较强的支部，简单的前后对比或"
            "干预/未干预对比会把支部差异和共同趋势误当作干预效果。下表采用 Callaway–Sant'Anna "
            "交错双重差分（问卷各期视为重复截面，以尚未推行的支部为对照，标准误按支部聚类），"
            "并列出朴素估计以供对照。各项干预推行时间相近，单项估计包含同期其他干预的影响；"
            "“整体项目”一行（以支部首次推行为准）识别最清楚。"
        ),
        en=(
            "Interventions were rolled out branch by branch (staggered), stronger branches first, so naive "
            "before/after or treated/untreated comparisons mistake branch differences and the common trend for "
            "effects. The table uses Callaway–Sant'Anna staggered DiD (survey waves as repeated cross-sections, "
            "not-yet-treated branches as comparisons, SEs clustered by branch) with the naive estimates beside it. "
            "The interventions start close together, so each single-intervention estimate includes the others; "
            "the whole-programme row (first adoption) is the cleanly identified one."
        ),
    )
    cols = ["label_zh" if ctx.lang == "zh" else "label_en", "estimand", "estimator", "estimate", "se",
            "ci_lower", "ci_upper", "p_value", "n", "note"]
    yield Table(
        "effects_table",
        table[cols].rename(columns={"label_zh": "intervention", "label_en": "intervention"}),
        caption_zh="表：干预措施对满意度指数（0–100）的平均处理效应",
        caption_en="Table: average effects of the interventions on the satisfaction index (0–100)",
        notes_zh="CS-DiD：交错双重差分（双重稳健）；TWFE：双向固定效应；95% 置信区间。",
        notes_en="CS-DiD: staggered difference-in-differences (doubly robust); TWFE: two-way fixed effects; 95% CIs.",
        decimals={"estimate": 2, "se": 2, "ci_lower": 2, "ci_upper": 2, "p_value": 3},
    )
    fig, ax = plt.subplots(figsize=(7.5, 6))
    plot_intervention_effects(table, lang=ctx.lang, ax=ax)
    fig.tight_layout()
    yield Figure("effects_forest", fig, caption_zh="图：各项干预的效应估计与朴素估计对比",
                 caption_en="Figure: effect estimates by intervention, with the naive estimates")
    if "programme" in models:
        fig2, ax2 = plt.subplots(figsize=(7, 4))
        plot_event_study(models["programme"].aggregate("dynamic"), lang=ctx.lang, ax=ax2)
        fig2.tight_layout()
        yield Figure("effects_event_study", fig2, caption_zh="图：整体项目的事件研究（相对首次推行的季度）",
                     caption_en="Figure: event study of the whole programme (quarters since first adoption)")
