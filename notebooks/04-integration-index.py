# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 党业融合指数与“两张皮”检验 — The integration index and the "two skins" test
#
# This notebook builds the **integration index (党业融合指数)** for every party branch (党支部) and
# survey wave of a study (by default the bundled example: a simulated P-city tobacco bureau), and asks four
# questions policy staff keep asking:
#
# 1. Which branches integrate party work and business work best, and how sure can we be of their ranks?
# 2. Does the answer depend on the weighting method (熵权法, CRITIC, AHP …) a paper happens to choose?
# 3. Are party-building and business developing in step (耦合协调度, coupling coordination)?
# 4. Do party-building assessments agree with business assessments, or are they "two skins" (两张皮)?
#
# The index needs the staff survey (员工党业融合调查); the business KPIs, the coupling and the two-skins test
# need the KPI table (考核指标). A study without them gets one sentence per step instead. When the study is
# simulated (it has a `truth.json`), the last section compares the results with the truth.

# %% tags=["parameters"]
STUDY = None  # a study folder; None: the bundled example study
LANG = "zh"
SEED = 20240101
OUT = "out"  # this notebook's output folder

# %%
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from fusion_study import example_study_path, load_study
from fusion_study.index import CombinedWeights, ahp_weights, coupling_degree, index_uncertainty, plot_weights
from fusion_study.index.plots import plot_coupling
from fusion_study.index.study import DEFAULT_INDICATORS, study_alignment, study_coupling, study_index, study_indicators
from fusion_study.reporting.notebook import describe_estimate, missing_sentence, notebook_setup, plain_warnings
from fusion_study.simulate import Truth

rng = notebook_setup(seed=SEED, lang=LANG)
# Chinese figure fonts come from the house style (notebook_setup); this keeps the stored outputs identical
# on a machine where no CJK font is installed yet.
warnings.filterwarnings("ignore", message="Glyph .* missing from font")
STUDY = str(example_study_path()) if STUDY is None else STUDY
study = load_study(STUDY)
truth = Truth.load(STUDY) if (Path(STUDY) / "truth.json").exists() else None
index_reason = missing_sentence(study, {"staff_survey": ("unit_id", "wave")}, what_zh="计算党业融合指数",
                                what_en="the integration index was not computed", lang=LANG)
kpi_reason = missing_sentence(study, {"kpis": ("unit_id", "period", "metric", "value"), "customers": ("branch_id",)},
                              what_zh="计入业务考核指标", what_en="business KPIs were not used", lang=LANG)
for reason in (index_reason, kpi_reason):
    if reason:
        print(reason)
# the default dimensions; without KPIs the index has the four fusion dimensions only
indicators = {k: v for k, v in DEFAULT_INDICATORS.items() if k != "business" or kpi_reason is None}

# %% [markdown]
# ## 1. The indicators (指标)
#
# One row per branch and wave. The four **fusion scales** come from the staff survey (员工党业融合调查):
# goal 目标融合, outcome 成效融合, capability 能力融合, service 服务融合 — each staff member's mean over the
# scale's items (reverse-worded items reversed first), averaged over the branch's respondents; answers that
# fail the survey screening (e.g. "speeders" who took under 30% of the median time) are left out first and
# listed in the index's ledger. Two **business KPIs** are divided by the number of retailers the branch
# serves, so that big branches do not look better just for being big: complaints per retailer (fewer is
# better) and non-tobacco revenue per retailer (万元).

# %%
if index_reason is None:
    with plain_warnings(lang=LANG):
        kpis = [c for k, cols in indicators.items() if k == "business" for c in cols]
        table = study_indicators(study, kpi_metrics=kpis)
    display(table.head(6).round(3))

# %% [markdown]
# ## 2. The index (党业融合指数)
#
# Steps (following the JRC/OECD *Handbook on Constructing Composite Indicators*): put every indicator on a
# 0–1 scale (极差标准化, min-max; for complaints, 1 = fewest), weight the indicators by the **entropy
# method** (熵权法: indicators that separate branches more get more weight), and add up. The index runs from
# 0 to 1; rank 1 is the best branch in the wave. Each fusion dimension also gets its own sub-index.

# %%
idx = None
if index_reason is None:
    with plain_warnings(lang=LANG):
        idx = study_index(study, indicators=indicators)
    print(idx.ledger_.summary())
    last = idx.scores_["period"].max()
    latest = idx.scores_[idx.scores_["period"] == last].sort_values("rank")
    best, worst = latest.iloc[0], latest.iloc[-1]
    if LANG == "zh":
        print(f"{last} 共有 {len(latest)} 个党支部进入指数；最高的是 {best['unit_id']}（{best['index']:.2f}），"
              f"最低的是 {worst['unit_id']}（{worst['index']:.2f}）。")
    else:
        print(f"In {last}, {len(latest)} branches have an index; the highest is {best['unit_id']} "
              f"({best['index']:.2f}), the lowest {worst['unit_id']} ({worst['index']:.2f}).")
    display(latest.head(10).round(3))

# %%
if idx is not None:
    display(idx.summary().round(3))

# %%
if idx is not None:
    ax = idx.plot(lang=LANG, top=24)

# %% [markdown]
# ## 3. Does the weighting method matter? (赋权方法比较)
#
# Published evaluations pick one method, often without saying why. Here are the weights each method gives,
# side by side — and an **AHP** (层次分析法) example in which experts judged the first indicator (goal
# fusion) twice as important as each of the others. AHP is only usable when the expert judgements are
# consistent (consistency ratio CR < 0.1); fusion_study refuses inconsistent matrices unless told otherwise.

# %%
if idx is not None:
    cols = idx.columns
    with plain_warnings(lang=LANG):
        weights = pd.DataFrame(
            {m: study_index(study, indicators=indicators, weights=m).weights_.set_index("indicator")["weight"]
             for m in ["equal", "entropy", "critic", "cv", "pca"]}
        ).reindex(cols)
        judgements = [[1 if i == j else 2 if i == 0 else 1 / 2 if j == 0 else 1 for j in range(len(cols))]
                      for i in range(len(cols))]
        ahp = ahp_weights(judgements, labels=cols)
        print(ahp)
        weights["ahp"] = ahp.weights_
        weights["ahp×entropy"] = study_index(
            study, indicators=indicators, weights=CombinedWeights(ahp, "entropy")).weights_.set_index(
            "indicator")["weight"]
    spread = weights.max(axis=1) - weights.min(axis=1)
    if LANG == "zh":
        print(f"不同方法给同一指标的权重差别最大的是 {spread.idxmax()}（{weights.loc[spread.idxmax()].min():.2f} 至 "
              f"{weights.loc[spread.idxmax()].max():.2f}）；熵权法给权重最大的指标是 {weights['entropy'].idxmax()}。")
    else:
        print(f"The methods disagree most on {spread.idxmax()} ({weights.loc[spread.idxmax()].min():.2f} to "
              f"{weights.loc[spread.idxmax()].max():.2f}); entropy weights {weights['entropy'].idxmax()} most.")
    display(weights.round(3))

# %%
if idx is not None:
    ax = plot_weights(weights, lang=LANG)

# %% [markdown]
# ## 4. How sure are the ranks? (排名的不确定性)
#
# We rebuild the index thousands of times, each time with a different but defensible choice of
# normalisation (min-max, z-score, rank), weighting (equal, entropy, CRITIC, CV, PCA) and aggregation
# (linear, geometric, TOPSIS), and with the weights jiggled a little. Each branch gets a **median rank** and a
# **95% rank interval**: if the interval is wide, the branch's position depends on method choices, and a
# league table should not single it out.

# %%
if idx is not None:
    with plain_warnings(lang=LANG):
        unc = index_uncertainty(idx, idx.data_, n_draws=2000, seed=rng)
    ranks = unc.ranks_[unc.ranks_["period"] == last].sort_values("median_rank")
    width = ranks["ci_upper"] - ranks["ci_lower"]
    first = ranks.iloc[0]
    if LANG == "zh":
        interval = f"第 {first['ci_lower']} 名" if first["ci_lower"] == first["ci_upper"] else (
            f"第 {first['ci_lower']} 至 {first['ci_upper']} 名")
        print(f"{last}：排名中位数第一的 {first['unit_id']} 的 95% 排名区间为{interval}；"
              f"各支部排名区间的宽度中位数为 {width.median():.0f} 名（共 {len(ranks)} 个支部）。")
    else:
        print(f"{last}: {first['unit_id']}, first by median rank, has a 95% rank interval of {first['ci_lower']} to "
              f"{first['ci_upper']}; the median interval spans {width.median():.0f} ranks ({len(ranks)} branches).")
    display(ranks.head(10).round(3))

# %% [markdown]
# Which choice moves the ranks most? The first-order sensitivity index is the share of rank variance each
# choice explains on its own; the last line is what the random weight changes and the combinations add.

# %%
if idx is not None:
    sens = unc.sensitivity_.set_index("factor")["first_order"]
    main = sens.drop(index="weights_perturbation_and_interactions", errors="ignore")
    print((f"单独影响最大的选择是 {main.idxmax()}（解释排名方差的 {main.max():.0%}）。" if LANG == "zh" else
           f"The choice that matters most on its own is {main.idxmax()} ({main.max():.0%} of the rank variance)."))
    display(unc.sensitivity_.round(3))

# %%
if idx is not None:
    fig, ax = plt.subplots(figsize=(7, 7))
    _ = unc.plot(ax=ax, period=last, lang=LANG, top=24)

# %% [markdown]
# ## 5. Coupling coordination (耦合协调度)
#
# Two subsystems per branch and wave: party work (the four fusion scales, U1) and business (the two KPIs,
# U2). The coupling degree C is 1 when both are equally developed; the coordination degree D combines
# balance with level and is read on the usual ten bands from 极度失调 (extreme imbalance) to 优质协调
# (high-quality coordination).
#
# A warning about the literature: many papers copy the coupling formula with a missing "/2", which caps C at
# 0.5 and pushes every unit into the imbalance bands (Wang Shujia et al., 2021, *Journal of Natural
# Resources* 36(3)). fusion_study uses the corrected formula; the cell below shows the difference for two
# perfectly balanced subsystems.

# %%
print("corrected C:", coupling_degree([0.7], [0.7]).round(3), " mis-copied C:",
      coupling_degree([0.7], [0.7], formula="erroneous").round(3))
if idx is None or kpi_reason:
    print("耦合协调度需要员工问卷和业务考核指标，本研究缺少其一，因此未计算。" if LANG == "zh" else
          "Coupling coordination needs both the staff survey and the business KPIs; this study lacks one, "
          "so it was not computed.")
    cc = None
else:
    with plain_warnings(lang=LANG):
        cc = study_coupling(study)
    bands = cc[cc["period"] == last].groupby(["level", "level_zh", "level_en"]).size().rename("branches").reset_index()
    top_band = bands.loc[bands["branches"].idxmax()]
    print((f"{last}：最多的支部处于“{top_band['level_zh']}”（{top_band['branches']} 个）。" if LANG == "zh" else
           f"{last}: most branches are '{top_band['level_en']}' ({top_band['branches']})."))
    display(bands)

# %%
if cc is not None:
    ax = plot_coupling(cc[cc["period"] == last], lang=LANG)

# %% [markdown]
# ## 6. The "two skins" test (两张皮检验)
#
# If party-building assessment (党建考核) and business assessment (业务考核) reflect one integrated
# performance, the two scores of the same assessment round should rise and fall together. We report three
# correlations with 95% bootstrap intervals (branches resampled, percentile method), and sort branches into
# four quadrants split at the medians.

# %%
al = None
metrics = set(study.kpis["metric"]) if "kpis" in study else set()
if not {"party_assessment", "business_assessment"} <= metrics:
    print("两张皮检验需要考核指标表 kpis 中的 party_assessment 和 business_assessment，本研究未提供，因此未检验。"
          if LANG == "zh" else "The two-skins test needs party_assessment and business_assessment in the kpis "
          "table, which this study does not provide, so it was not run.")
else:
    with plain_warnings(lang=LANG):
        al = study_alignment(study, seed=rng)
    pearson = al.correlations_.set_index("method").loc["pearson"]
    print(("党建考核与业务考核的相关系数（Pearson）" if LANG == "zh" else "The Pearson correlation of the two assessments ")
          + describe_estimate(pearson["estimate"], pearson["ci_lower"], pearson["ci_upper"], decimals=2,
                              change=False, lang=LANG))
    display(al.correlations_.round(3))

# %%
if al is not None:
    q = al.quadrants_.set_index("quadrant")
    apart = q.loc[["party_only", "business_only"], "share"].sum()
    print((f"{apart:.0%} 的支部-季度落在“党建强、业务弱”或“业务强、党建弱”象限。" if LANG == "zh" else
           f"{apart:.0%} of branch-quarters are strong on only one side (party only or business only)."))
    display(al.quadrants_.round(3))

# %%
if al is not None:
    ax = al.plot(lang=LANG)

# %% [markdown]
# ## 7. Checking against the truth (与模拟真值对照)
#
# A simulated study knows each branch's true integration level and the true correlation of the two
# assessments. The index's branch ranking should agree closely with the true fusion level (rank
# correlation ≥ 0.9 is the project's target, tested in `tests/test_index_truth.py`), and the true alignment
# should lie inside the interval above.

# %%
if truth is None:
    print("本研究没有 truth.json（不是模拟数据），不做与真值的对照。" if LANG == "zh" else
          "The study has no truth.json (it is not simulated), so there is no truth to compare with.")
else:
    if idx is not None:
        true_level = truth.fusion.groupby("branch_id")["fusion"].mean()
        estimated = idx.scores_.groupby("unit_id")["index"].mean()
        rho = estimated.corr(true_level.reindex(estimated.index), method="spearman")
        print(f"各支部平均指数与真实融合水平的秩相关为 {rho:.2f}（目标 ≥ 0.9）。" if LANG == "zh" else
              f"Rank correlation of the branches' mean index with their true fusion level: {rho:.2f} (target ≥ 0.9).")
if truth is not None and al is not None:
    inside = pearson["ci_lower"] <= truth.alignment <= pearson["ci_upper"]
    if LANG == "zh":
        print(f"真实相关系数为 {truth.alignment:.2f}，估计为 {pearson['estimate']:.2f}（95%置信区间 "
              f"{pearson['ci_lower']:.2f} 至 {pearson['ci_upper']:.2f}），区间{'覆盖' if inside else '没有覆盖'}真值。")
    else:
        print(f"True alignment {truth.alignment:.2f}; estimated {pearson['estimate']:.2f} (95% CI "
              f"{pearson['ci_lower']:.2f} to {pearson['ci_upper']:.2f}), which {'covers' if inside else 'misses'} the truth.")

# %% [markdown]
# **For policy staff.** The index is a summary, not a verdict: read a branch's rank together with its
# interval, and compare weighting methods before publishing a league table. A weak correlation between party
# and business assessments, with many branches in the "party only" and "business only" quadrants, is the
# quantitative sign of "two skins".
