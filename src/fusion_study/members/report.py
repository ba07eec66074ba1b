"""Report section: member points portrait, 360 evaluations and fairness (branch aggregates only)."""

from __future__ import annotations

import warnings

import matplotlib.pyplot as plt

import pandas as pd

from fusion_study.reporting.labels import label
from fusion_study.reporting.sections import Figure, Table, Text, register_section

_DIMENSIONS = ("model_role", "education", "self_improvement", "duty")


def _four_strong_frame(fs: pd.DataFrame, study, lang: str) -> pd.DataFrame:
    """The branch portrait with labelled columns (dimension names from the catalogue) and branch names."""
    names = dict(zip(study.units["unit_id"].astype(str), study.units["name"].astype(str))) if "units" in study else {}
    yes, no = ("是", "否") if lang == "zh" else ("yes", "no")
    out = pd.DataFrame({"branch": [names.get(str(b), str(b)) for b in fs["branch_id"]],
                        "n_members": fs["n_members"].to_numpy()})
    suffix = "（平均标准分）" if lang == "zh" else " (mean z)"
    for d in _DIMENSIONS:
        if f"mean_z_{d}" in fs.columns:
            out[label(d, lang) + suffix] = fs[f"mean_z_{d}"].to_numpy(float)
    for c in ("composite_mean", "composite_se", "n_strong_dimensions"):
        out[c] = fs[c].to_numpy()
    out["four_strong"] = [yes if bool(v) else no for v in fs["four_strong"]]
    return out


def _term_label(term: str, lang: str) -> str:
    """``"position: delivery"`` -> ``"岗位：送货员"``; other terms through the catalogue.

    The value is looked up in its own vocabulary first (``office`` is a position
    and a branch kind, so the bare value has no label).

    >>> _term_label("position: office", "zh"), _term_label("role: secretary", "en")
    ('岗位：机关人员', 'party role: branch secretary')
    """
    if ": " in term:
        var, value = term.split(": ", 1)
        vocabulary = {"role": "member_role"}.get(var, var)
        text = label(f"{vocabulary}.{value}", lang, default=label(value, lang))
        return f"{label(var, lang)}：{text}" if lang == "zh" else f"{label(var, lang)}: {text}"
    return label(term, lang)


@register_section("members", order=60, title_zh="党员积分画像与三亮三比三评", title_en="Member points and 360 evaluations",
                  needs={"members": ("member_id", "branch_id"),
                         "member_points": ("member_id", "period", "dimension", "points")},
                  what_zh="分析党员积分", what_en="member points were not analysed")
def build(study, ctx):
    from fusion_study.members.plots import plot_member_radar
    from fusion_study.members.study import (
        study_four_strong,
        study_member_profiles,
        study_points_fairness,
        study_rater_agreement,
        study_rater_leniency,
    )

    prof = study_member_profiles(study, n_boot=50 if ctx.quick else 200, seed=ctx.seed)
    last = prof["period"].max()
    fs = study_four_strong(study, profiles=prof)
    fs_last = fs[fs["period"] == last].drop(columns=["period"])
    width = (prof.loc[prof["period"] == last, "rank_ci_upper"] - prof.loc[prof["period"] == last, "rank_ci_lower"]).median()
    yield Text(
        zh=(
            f"积分按季度、分维度标准化后取平均得到综合分。{last} 季度综合分名次的 95% 自助法区间中位宽度为 "
            f"{width:.0f} 名：相邻名次通常无法区分，积分排名宜分档使用而非逐名排序。"
            "下表只报告支部汇总；“四强支部”指四个维度的支部平均标准分均高于全市党员平均。"
        ),
        en=(
            f"Points are standardised by quarter and dimension and averaged into a composite. In {last} the median "
            f"width of the 95% bootstrap interval of a member's rank is {width:.0f} places: neighbouring ranks cannot "
            "be told apart, so the horse race should report bands, not exact ranks. Only branch aggregates are shown; a "
            "'four-strong' branch has a mean z-score above the city member average on all four dimensions."
        ),
    )
    lang = ctx.lang
    portrait = _four_strong_frame(fs_last, study, lang)
    yield Table(
        "members_four_strong",
        portrait,
        caption_zh=f"支部积分画像与四强支部（{last}）",
        caption_en=f"Branch points portrait and four-strong branches ({last})",
        n_column="n_members",
        decimals={c: 2 for c in portrait.columns if c not in ("branch", "n_members", "n_strong_dimensions", "four_strong")},
    )
    # a pseudonymised example: the median member of the largest branch
    members = study.members
    big = members["branch_id"].value_counts().index[0]
    cand = prof[(prof["period"] == last) & prof["member_id"].isin(members.loc[members["branch_id"] == big, "member_id"])]
    if len(cand) >= 2:
        cand = cand.sort_values("composite")
        ex = [cand["member_id"].iloc[len(cand) // 2], cand["member_id"].iloc[-1]]
        names = {"zh": ["党员甲", "党员乙"], "en": ["member A", "member B"]}[ctx.lang]
        fig, ax = plt.subplots(figsize=(5.5, 5), subplot_kw={"projection": "polar"})
        plot_member_radar(prof, members, ex, period=last, labels=dict(zip(ex, names)), lang=ctx.lang, ax=ax)
        yield Figure("members_radar", fig, caption_zh="积分画像示例（化名）", caption_en="Points portrait, pseudonymised example")
    if "evaluations" in study:
        ra = study_rater_agreement(study)
        ra = ra[ra["type"].isin(["ICC1", "ICC3", "ICC1k", "ICC3k"])]
        ra = ra[["dimension", "type", "estimate", "ci_lower", "ci_upper", "n_subjects", "rwg_mean"]].rename(
            columns={"dimension": "evaluation_dimension", "type": "icc_type"})
        ra["evaluation_dimension"] = [label(v, lang) for v in ra["evaluation_dimension"]]
        yield Table(
            "members_icc",
            ra,
            caption_zh="评价主体间一致性（估计值为 ICC，按 psych::ICC 口径；rwg 以均匀分布为零假设，A=101）",
            caption_en="Agreement between rater types (estimate = ICC as psych::ICC; rwg with a uniform null, A = 101)",
            decimals={"estimate": 3, "ci_lower": 3, "ci_upper": 3, "rwg_mean": 3},
        )
        lz = study_rater_leniency(study).to_frame()
        lz["rater_type"] = [label(v, lang) for v in lz["rater_type"]]
        yield Table(
            "members_leniency",
            lz,
            caption_zh="评价主体宽严度（相对三类主体平均，分）",
            caption_en="Rater-type leniency relative to the average rater type (points)",
            decimals={"estimate": 2, "se": 2, "ci_lower": 2, "ci_upper": 2, "p_value": 3},
            p_column="p_value",
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            fr = study_points_fairness(study, profiles=prof)
        except ValueError as err:  # too few members with complete records
            yield Text(zh="具备完整积分、党龄和岗位记录的党员太少，未进行积分公平性检验。",
                       en=f"Fairness check not run: {err}")
        else:
            fr = fr.assign(term=[_term_label(t, lang) for t in fr["term"]])
            with_360 = "evaluations" in study
            yield Table(
                "members_fairness",
                fr,
                caption_zh=("控制360评价（已校正宽严度）后，" if with_360 else "")
                + "积分是否随党龄、岗位变化（按支部聚类稳健标准误）",
                caption_en="Do points track tenure or position"
                + (" beyond the leniency-adjusted 360 score" if with_360 else "") + "? (SEs clustered by branch)",
                decimals={"estimate": 3, "se": 3, "ci_lower": 3, "ci_upper": 3, "p_value": 3},
                p_column="p_value",
            )
