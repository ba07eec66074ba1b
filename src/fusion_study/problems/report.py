"""Report section: the 急难愁盼 customer-problem mechanism."""

from __future__ import annotations

import matplotlib.pyplot as plt

from fusion_study.data.schema import VOCABULARIES
from fusion_study.reporting.labels import label
from fusion_study.reporting.sections import Figure, Table, Text, register_section


@register_section("problems", order=62, title_zh="急难愁盼问题解决机制", title_en="The customer-problem mechanism",
                  needs={"tickets": ("ticket_id", "branch_id", "category", "opened", "closed", "status")}, what_zh="分析问题解决情况", what_en="problem resolution was not analysed")
def build(study, ctx):
    from fusion_study.problems.plots import plot_resolution_curves
    from fusion_study.problems.study import study_launches, study_ticket_durations
    from fusion_study.problems.tickets import launch_hazard_ratio, ticket_summary

    launches = study_launches(study)
    d = study_ticket_durations(study, launches=launches)
    by = ("category", "after_launch") if launches is not None else ("category",)
    summ = ticket_summary(d, by=by)
    yield Text(
        zh="解决时间按生存数据处理：未办结问题在数据截止日删失，办结未解决的问题在办结日删失；中位天数为 Kaplan–Meier 估计，95% 区间采用 R survfit 默认的 log 变换。",
        en="Time to resolution is treated as survival data: open tickets are censored at the data cut-off, tickets closed unresolved at their closing date; medians are Kaplan–Meier with 95% CIs on R survfit's default log scale.",
    )
    lang = ctx.lang
    yield Table(
        "problems_summary",
        _summary_frame(summ, lang),
        caption_zh="问题数量、解决率与解决天数中位数",
        caption_en="Ticket volume, resolution rate and median days to resolution",
        n_column="n_tickets",
        decimals={"resolution_rate_pct": 1, "share_open_pct": 1},
    )
    fig, ax = plt.subplots(figsize=(6, 4))
    plot_resolution_curves(d, by="category", lang=ctx.lang, ax=ax, max_days=120)
    yield Figure("problems_km_category", fig, caption_zh="按问题类别的未解决比例曲线", caption_en="Share unresolved by category")
    if launches is not None and d["after_launch"].nunique() == 2:
        hr = launch_hazard_ratio(d)
        h = hr.iloc[0]
        yield Text(
            zh=f"机制启动后问题解决的风险比 HR = {h['estimate']:.2f}（95% CI {h['ci_lower']:.2f}–{h['ci_upper']:.2f}，按支部聚类稳健标准误，控制问题类别）。",
            en=f"Hazard ratio of resolution after launch HR = {h['estimate']:.2f} (95% CI {h['ci_lower']:.2f}–{h['ci_upper']:.2f}; branch-clustered SEs; adjusted for category).",
        )
        yield Table(
            "problems_cox",
            hr.assign(term=[_term_label(t, lang) for t in hr["term"]]),
            caption_zh="Cox 回归：机制启动与问题解决速度（估计值为风险比 HR）",
            caption_en="Cox regression: mechanism launch and speed of resolution (estimate = hazard ratio)",
            decimals={c: 3 for c in ("estimate", "ci_lower", "ci_upper", "log_hr", "se", "naive_se", "z", "p_value")},
            p_column="p_value",
        )
        fig, ax = plt.subplots(figsize=(6, 4))
        plot_resolution_curves(d, by="after_launch", lang=ctx.lang, ax=ax, max_days=120)
        yield Figure("problems_km_launch", fig, caption_zh="机制启动前后的未解决比例曲线", caption_en="Share unresolved before and after launch")
    yield from _resolution_blocks(study, ctx)


def _summary_frame(summ, lang: str):
    """Ticket summary with labelled categories, before/after launch in words and rates in percent."""
    order = {c: i for i, c in enumerate(VOCABULARIES["ticket_category"])}  # 急、难、愁、盼, not alphabetical
    out = summ.sort_values("category", key=lambda s: s.map(order), kind="stable").reset_index(drop=True)
    out["category"] = [label(f"ticket_category.{c}", lang, default=label(c, lang)) for c in out["category"]]
    if "after_launch" in out.columns:
        out["after_launch"] = [label("after_launch" if v else "before_launch", lang) for v in out["after_launch"]]
        out = out.rename(columns={"after_launch": "launch_phase"})
    for c in ("resolution_rate", "share_open"):
        out[c] = 100.0 * out[c]
    return out.rename(columns={"resolution_rate": "resolution_rate_pct", "share_open": "share_open_pct"})


def _term_label(term: str, lang: str) -> str:
    """Cox terms: ``after_launch`` and ``category_<value>`` in words."""
    if term.startswith("category_"):
        raw = term[len("category_"):]
        value = label(f"ticket_category.{raw}", lang, default=label(raw, lang))
        return f"{label('category', lang)}：{value}" if lang == "zh" else f"{label('category', lang)}: {value}"
    return label(term, lang)


def _resolution_blocks(study, ctx):
    """AIPW effect of resolving a (single) ticket in time on next-wave satisfaction, with the naive contrast."""
    import warnings

    from fusion_study.problems.study import study_resolution_effect

    if "customer_survey" not in study or "customers" not in study:
        return
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # trimmed propensity scores are reported in n_trimmed
            res = study_resolution_effect(study, seed=ctx.seed)
    except ValueError as err:
        yield Text(zh="恰有一个问题且前后两个季度均受访的零售户太少，未估计问题及时解决对下一季度满意度的效应。",
                   en=f"The effect of timely resolution could not be estimated: {err}")
        return
    a = res.iloc[0]
    ex = res.attrs["exclusions"]
    excluded = {lg: ("，" if lg == "zh" else ", ").join(
        f"{label(k, lg)} {v}" for k, v in ex.items() if k != "candidates" and v) or label("none_excluded", lg)
        for lg in ("zh", "en")}
    # resolution_effect says in its note when no mechanism launches were given (the path is then confounded)
    unadjusted = "no mechanism launches given" in str(a["note"])
    yield Text(
        zh=(
            f"问题及时解决（下一季度开始前办结解决）对下一季度满意度的效应估计为 {a['estimate']:.1f} 分"
            f"（0–100 分，95% CI {a['ci_lower']:.1f} 至 {a['ci_upper']:.1f}；双重稳健 AIPW，"
            "比较本季度恰有一个问题且两季度均受访的零售户，控制本季度满意度、问题类别、登记时点、机制是否启动、客户类型、规模与季度）。"
            f"有问题的零售户季度共 {ex['candidates']} 个，排除：{excluded['zh']}。"
            + ("未提供机制启动时间，机制启动的影响未加控制（估计可能有混杂）。" if unadjusted else "")
        ),
        en=(
            f"Estimated effect of a problem resolved in time (before the next quarter began) on next-quarter "
            f"satisfaction: {a['estimate']:.1f} points (0–100; 95% CI {a['ci_lower']:.1f} to {a['ci_upper']:.1f}; doubly robust AIPW "
            "among retailers with exactly one problem in the quarter surveyed in both quarters, adjusting for this "
            "quarter's satisfaction, category, when in the quarter it was raised, mechanism status, segment, size "
            f"and wave). {ex['candidates']} retailer-quarters with a ticket; excluded: {excluded['en']}."
            + (" No mechanism launches were given: the mechanism path is not adjusted for (confounded)."
               if unadjusted else "")
        ),
    )
    yield Table(
        "problems_resolution_effect",
        res.drop(columns="note").assign(method=[label(f"resolution_{m}", ctx.lang) for m in res["method"]],
                                        estimand=[label(e, ctx.lang) for e in res["estimand"]]),
        caption_zh="问题及时解决对下一季度满意度的效应（AIPW 与未调整差值）",
        caption_en="Effect of timely resolution on next-quarter satisfaction (AIPW and the unadjusted difference)",
        n_column="n",
        decimals={c: 3 for c in ("estimate", "se", "ci_lower", "ci_upper", "p_value")},
        p_column="p_value",
    )
