"""Report section: the integration index, its uncertainty, coupling and the two-skins test.

Needs the staff survey (and the units). Without the business KPIs (``kpis`` with
complaints and non-tobacco revenue, and ``customers`` to count retailers) the
index is built from the four fusion dimensions alone and the coupling of party
and business work is left out, each said in one sentence; without the party and
business assessments the two-skins test is left out likewise.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd

from fusion_study.index.study import (
    DEFAULT_INDICATORS,
    FUSION_SCALES,
    STAFF_WEIGHT_COLUMN,
    study_alignment,
    study_coupling,
    study_index,
)
from fusion_study.index.uncertainty import index_uncertainty
from fusion_study.reporting.labels import label
from fusion_study.reporting.sections import Figure, SectionSkipped, Table, Text, register_section

_ASSESSMENTS = {"party_assessment", "business_assessment"}


def _has_business_kpis(study) -> bool:
    if "kpis" not in study or "customers" not in study or "metric" not in study.kpis.columns:
        return False
    metrics = set(study.kpis["metric"].astype(str))
    wanted = {m.removesuffix("_per_retailer") for m in DEFAULT_INDICATORS["business"]}
    return wanted <= metrics


def staff_weighted(study, weights) -> bool:
    """Whether the index weights the staff responses: weighting on and a ``weight`` column in ``staff_survey``."""
    return bool(weights) and "staff_survey" in study and STAFF_WEIGHT_COLUMN in study.staff_survey.columns


def _labelled(values, lang: str) -> list[str]:
    return [label(v, lang) for v in values]


@register_section("index", order=40, title_zh="党业融合指数", title_en="Integration index",
                  needs={"staff_survey": ("unit_id", "wave"), "units": ("unit_id", "level")},
                  what_zh="计算党业融合指数", what_en="the integration index was not computed")
def build(study, ctx):
    """Index table (latest wave), weights, rank intervals, coupling levels, alignment."""
    lang = ctx.lang
    business = _has_business_kpis(study)
    indicators = None if business else {s: [s] for s in FUSION_SCALES}
    weighted = staff_weighted(study, ctx.weights)
    try:
        idx = study_index(study, indicators=indicators, response_weights=STAFF_WEIGHT_COLUMN if weighted else None)
    except ValueError as exc:
        raise SectionSkipped(
            zh="员工调查中没有足够的支部和波次具备四个融合维度的得分（码本中需有 goal、outcome、capability、service "
               "量表的题目），因此未计算党业融合指数。",
            en=f"Too few branch-waves of the staff survey have scores on the four fusion scales ({exc}), "
               "so the integration index was not computed.",
        ) from exc
    scores = idx.scores_
    last = sorted(scores["period"].astype(str).unique())[-1]
    n_units, n_waves = scores["unit_id"].nunique(), scores["period"].nunique()
    yield Text(
        zh=("党业融合指数由员工调查的目标、成效、能力、服务四个融合维度"
            + ("和业务指标" if business else "") + "构成，"
            "指标经极差标准化后按熵权法赋权、线性加总（0–1，越高越好）。"
            f"共 {n_units} 个支部、{n_waves} 个波次。"
            + ("" if business else "本研究未提供业务考核指标（kpis 表中的投诉量、非烟收入及零售客户表），"
               "指数只含四个融合维度，也未分析党建与业务的耦合协调。")),
        en=("The integration index combines the staff survey's goal, outcome, capability and service fusion scales"
            + (" with business KPIs" if business else "") + ": min-max normalised, entropy-weighted, linearly "
            f"aggregated (0–1, higher is better). {n_units} branches, {n_waves} waves."
            + ("" if business else " The study provides no business KPIs (complaints and non-tobacco revenue in "
               "the kpis table, and the customers table), so the index holds the four fusion dimensions only and "
               "the coupling of party and business work is not analysed.")),
    )
    latest = scores[scores["period"].astype(str) == last].sort_values("rank").drop(columns="period")
    names = dict(zip(study.units["unit_id"].astype(str), study.units["name"].astype(str)))
    latest = latest.assign(unit_id=[names.get(str(u), str(u)) for u in latest["unit_id"]]).rename(
        columns={"unit_id": "branch"})
    dec = {c: 3 for c in latest.columns if c not in ("branch", "rank")}
    yield Table("index_scores", latest.reset_index(drop=True),
                caption_zh=f"党业融合指数（{last}；员工答卷{'按 weight 列加权' if weighted else '未加权'}）",
                caption_en=f"Integration index ({last}; staff responses {'weighted by the weight column' if weighted else 'unweighted'})",
                decimals=dec,
                notes_zh="名次为同一波次内的名次（1 = 最高）。" + (
                    "各支部的融合维度得分为员工答卷按 weight 列（分析人员提供的权重）的加权均值。" if weighted else
                    "各支部的融合维度得分为员工答卷的简单均值（研究中没有员工总体名册，无法加权）。"),
                notes_en="Rank: within the wave (1 = highest). " + (
                    "Each branch's fusion scores are the staff responses' means weighted by the weight column "
                    "(analyst-supplied weights)." if weighted else
                    "Each branch's fusion scores are plain means of its staff responses (the study has no staff "
                    "population to weight to)."))
    w = idx.weights_
    weights = pd.DataFrame({
        "index_dimension": _labelled(w["dimension"], lang), "indicator": _labelled(w["indicator"], lang),
        "direction": _labelled(w["direction"], lang), "weight": w["weight"].to_numpy(float),
        "weight_in_dimension": w["weight_in_dimension"].to_numpy(float),
    })
    yield Table("index_weights", weights, caption_zh="指标权重（熵权法）", caption_en="Indicator weights (entropy)",
                decimals={"weight": 3, "weight_in_dimension": 3})
    n_draws = 200 if ctx.quick else 2000
    unc = index_uncertainty(idx, idx.data_, n_draws=n_draws, seed=ctx.seed)
    sens = unc.sensitivity_
    yield Table("index_sensitivity",
                pd.DataFrame({"uncertainty_source": _labelled(sens["factor"], lang),
                              "first_order": sens["first_order"].to_numpy(float)}),
                caption_zh="排名方差来源（一阶敏感性指数）",
                caption_en="Sources of rank variance (first-order sensitivity)", decimals={"first_order": 3})
    fig, ax = plt.subplots(figsize=(7, 6))
    unc.plot(ax=ax, period=last, lang=lang)
    yield Figure("index_rank_intervals", fig, caption_zh="排名中位数与95%排名区间（方法与权重不确定性）",
                 caption_en="Median rank and 95% rank interval (method and weight uncertainty)")
    if business:
        cc = study_coupling(study)
        counts = cc.groupby(["level", f"level_{lang}"]).size().rename("n").reset_index()
        counts = counts.drop(columns="level").rename(columns={f"level_{lang}": "coupling_level", "n": "n_branch_waves"})
        yield Table("index_coupling_levels", counts, caption_zh="党建与业务耦合协调等级分布",
                    caption_en="Coupling coordination levels of party and business work")
    if "kpis" in study and _ASSESSMENTS <= set(study.kpis["metric"].astype(str)):
        yield from _alignment(study, ctx)
    else:
        yield Text(zh="本研究的考核指标表（kpis）没有党建考核与业务考核得分，未进行“两张皮”检验。",
                   en="The kpis table holds no party and business assessment scores, so the two-skins test "
                      "was not run.")


def _alignment(study, ctx):
    lang = ctx.lang
    al = study_alignment(study, n_boot=500 if ctx.quick else 2000, seed=ctx.seed)
    r = al.correlations_.set_index("method").loc["spearman"]
    yield Text(
        zh=(f"“两张皮”检验：党建考核与业务考核的 Spearman 相关为 {r['estimate']:.2f}"
            f"（95% 自助法区间 {r['ci_lower']:.2f}–{r['ci_upper']:.2f}）。"),
        en=(f"Two-skins test: Spearman correlation of party and business assessments {r['estimate']:.2f} "
            f"(95% percentile bootstrap interval {r['ci_lower']:.2f} to {r['ci_upper']:.2f})."),
    )
    cor = al.correlations_.copy()
    cor["method"] = _labelled(cor["method"], lang)
    yield Table("index_alignment", cor, caption_zh="党建考核与业务考核的相关",
                caption_en="Correlation of party and business assessments",
                decimals={"estimate": 3, "ci_lower": 3, "ci_upper": 3}, p_column="p_value")
    q = al.quadrants_
    quad = pd.DataFrame({"quadrant": q[f"quadrant_{lang}"].to_numpy(), "n": q["n"].to_numpy(int),
                         "share": 100.0 * q["share"].to_numpy(float)})
    yield Table("index_quadrants", quad, caption_zh="支部四象限分布", caption_en="Branches by quadrant",
                n_column="n", decimals={"share": 1})
    fig, ax = plt.subplots(figsize=(6, 5.5))
    al.plot(ax=ax, lang=lang)
    yield Figure("index_alignment_scatter", fig, caption_zh="党建考核与业务考核散点（虚线为中位数）",
                 caption_en="Party vs business assessment (dashed lines: medians)")
