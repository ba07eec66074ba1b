"""Report section: platform participation and activity heat by branch and week."""

from __future__ import annotations

import matplotlib.pyplot as plt

from fusion_study.reporting.sections import Figure, Table, Text, register_section


@register_section("participation", order=63, title_zh="平台参与度与活跃度", title_en="Platform participation",
                  needs={"members": ("member_id", "branch_id"), "activities": ("member_id", "date")}, what_zh="计算平台参与度",
                  what_en="platform participation was not computed")
def build(study, ctx):
    from fusion_study.participation.plots import plot_participation_calendar
    from fusion_study.participation.study import study_participation

    p = study_participation(study)
    tab = (
        p.groupby("branch_id", observed=True)
        .agg(n_members=("n_members", "first"), weeks=("week", "size"), mean_participation=("participation_rate", "mean"), mean_heat=("heat", "mean"))
        .reset_index()
    )
    yield Text(
        zh="参与率为每周有活动记录的党员占支部党员的比例；活跃度为每周人均活动次数（以支部党员总数为分母）。",
        en="Participation rate: share of the branch's members with at least one activity in the week; heat: activities per member per week (all members in the denominator).",
    )
    names = dict(zip(study.units["unit_id"].astype(str), study.units["name"].astype(str))) if "units" in study else {}
    shown = tab.assign(branch_id=[names.get(str(b), str(b)) for b in tab["branch_id"]],
                       mean_participation=100.0 * tab["mean_participation"])
    shown = shown.rename(columns={"branch_id": "branch", "weeks": "n_weeks", "mean_participation": "mean_participation_pct"})
    yield Table(
        "participation_by_branch",
        shown,
        caption_zh="各支部平均周参与率与活跃度",
        caption_en="Mean weekly participation and heat by branch",
        n_column="n_members",
        decimals={"mean_participation_pct": 1, "mean_heat": 3},
    )
    fig, ax = plt.subplots(figsize=(10, max(3.0, 0.25 * tab.shape[0] + 1.5)))
    plot_participation_calendar(p, value="heat", lang=ctx.lang, ax=ax)
    fig.tight_layout()
    yield Figure("participation_calendar", fig, caption_zh="各支部每周活跃度日历热力图", caption_en="Weekly activity heat by branch")
