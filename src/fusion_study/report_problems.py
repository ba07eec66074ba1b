"""Report section: the 急难愁盼 customer-problem mechanism."""

from __future__ import annotations

import matplotlib.pyplot as plt

from .reporting.sections import Figure, Table, Text, register_section


@register_section("problems", order=62, title_zh="急难愁盼问题解决机制", title_en="The customer-problem mechanism")
def build(study, ctx):
    from .problems import (
        branch_launch_periods,
        launch_hazard_ratio,
        plot_resolution_curves,
        ticket_durations,
        ticket_summary,
    )

    if "tickets" not in study or study.tickets.empty:
        yield Text(zh="本研究没有问题清单数据，略去本节。", en="No problem tickets in this study; section skipped.")
        return
    launches = None
    if "interventions" in study and "units" in study:
        launches = branch_launch_periods(study.units, study.interventions, "problem_mechanism")
        if launches.isna().all():
            launches = None
    d = ticket_durations(study.tickets, study_end=study.meta.get("study_end"), launches=launches)
    by = ("category", "after_launch") if launches is not None else ("category",)
    summ = ticket_summary(d, by=by)
    yield Text(
        zh="解决时间按生存数据处理：未办结问题在数据截止日删失，办结未解决的问题在办结日删失；中位天数为 Kaplan–Meier 估计，95% 区间采用 R survfit 默认的 log 变换。",
        en="Time to resolution is treated as survival data: open tickets are censored at the data cut-off, tickets closed unresolved at their closing date; medians are Kaplan–Meier with 95% CIs on R survfit's default log scale.",
    )
    yield Table(
        "problems_summary",
        summ,
        caption_zh="问题数量、解决率与解决天数中位数",
        caption_en="Ticket volume, resolution rate and median days to resolution",
        n_column="n_tickets",
        decimals={"resolution_rate": 3, "share_open": 3},
    )
    fig, ax = plt.subplots(figsize=(6, 4))
    plot_resolution_curves(d, by="category", lang=ctx.lang, ax=ax, max_days=120)
    yield Figure("problems_km_category", fig, caption_zh="按问题类别的未解决比例曲线", caption_en="Share unresolved by category")
    if launches is not None and d["after_launch"].nunique() == 2:
        hr = launch_hazard_ratio(d)
        h = hr.iloc[0]
        yield Text(
            zh=f"机制启动后问题解决的风险比 HR = {h['hr']:.2f}（95% CI {h['hr_lower']:.2f}–{h['hr_upper']:.2f}，按支部聚类稳健标准误，控制问题类别）。",
            en=f"Hazard ratio of resolution after launch HR = {h['hr']:.2f} (95% CI {h['hr_lower']:.2f}–{h['hr_upper']:.2f}; branch-clustered SEs; adjusted for category).",
        )
        yield Table(
            "problems_cox",
            hr,
            caption_zh="Cox 回归：机制启动与问题解决速度",
            caption_en="Cox regression: mechanism launch and speed of resolution",
            decimals={c: 3 for c in ("coef", "se", "naive_se", "z", "p", "hr", "hr_lower", "hr_upper")},
            p_column="p",
        )
        fig, ax = plt.subplots(figsize=(6, 4))
        plot_resolution_curves(d, by="after_launch", lang=ctx.lang, ax=ax, max_days=120)
        yield Figure("problems_km_launch", fig, caption_zh="机制启动前后的未解决比例曲线", caption_en="Share unresolved before and after launch")
