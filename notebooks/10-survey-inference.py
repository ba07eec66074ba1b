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
# # 10 · 调查推断：加权、各支部满意度与调查规划（Survey inference: weights, branch satisfaction, planning）
#
# **给谁看**：负责满意度调查的政策与考核人员。
#
# **三个问题**：(1) 答卷的构成和全体零售客户一样吗？不一样时，加权（raking）会不会改变满意度的结论？
# (2) 哪些支部的满意度**真的**高于或低于全市平均，哪些只是答卷少造成的偶然差别？
# (3) 要把每个支部的满意度估计得足够准，每波需要多少份问卷？
#
# (1) Does the sample look like all retailers, and does weighting change the picture? (2) Which branches
# really differ from the average, and which only look different because they have few answers? (3) How many
# responses per branch does a given precision need?
#
# By default the notebook runs on the bundled example study (simulated "P city"). To run it on your own study,
# set `STUDY` to your study folder. Every sentence of conclusions is computed from the results.

# %% tags=["parameters"]
STUDY = None  # a study folder; None = the bundled example study
LANG = "zh"  # language of the sentences and figures: "zh" or "en"
SEED = 20240101
OUT = "out"  # where the result tables are written

# %%
from pathlib import Path

import matplotlib.pyplot as plt
from IPython.display import display

from fusion_study import load_study, screen_study
from fusion_study.data.checks import critical_value
from fusion_study.data.paths import example_study_path
from fusion_study.reporting.labels import vocabulary_labels
from fusion_study.reporting.notebook import notebook_setup
from fusion_study.reporting.plain import explain_warnings, skip_sentence
from fusion_study.survey import (
    plot_branch_caterpillar,
    plot_weighted_means,
    study_descriptives,
    study_planning,
    study_satisfaction_by_branch,
    study_standard_errors,
    study_weighted_means,
    study_weights,
)
from fusion_study.survey.plots import caterpillar_height, plot_theme_heatmap
from fusion_study.survey.report import describe_branches, describe_weights, planning_sentence, weighting_text
from fusion_study.survey.study import latest_wave
from fusion_study.survey.study_fh import study_branch_fay_herriot
from fusion_study.survey.study_themes import study_text_columns, study_themes

rng = notebook_setup(seed=SEED, lang=LANG)
folder = Path(STUDY) if STUDY else example_study_path()
out = Path(OUT)
study, screening = screen_study(load_study(folder))
skip = skip_sentence(study, {"customer_survey": ("customer_id", "wave"), "customers": ("customer_id", "branch_id")},
                     what_zh="做调查推断", what_en="no survey inference was made", lang=LANG)
print(skip or {"zh": f"零售客户 {len(study.customers)} 户，筛查后有效答卷 {len(study.customer_survey)} 份。",
               "en": f"{len(study.customers)} retailers, {len(study.customer_survey)} screened responses."}[LANG])

# %% [markdown]
# ## 1. 权重及其诊断（The weights and their diagnostics）
#
# 问卷星链接通过微信群推送，有的县区、有的客户类型答得多，有的答得少。零售客户表列出了**全体**零售客户，
# 所以我们知道总体的县区和客户类型构成。raking 给每份答卷一个权重，使加权后的县区分布和客户类型分布都与总体
# 一致；每一波单独加权。权重越不均匀，"设计效应"越大，有效样本量越小——这是加权的代价。
#
# Raking gives each response a weight so that the weighted county and segment mix equals that of all
# retailers (the customers table); each wave separately. The more unequal the weights, the larger the design
# effect and the smaller the effective sample size: the price of weighting.

# %%
weights = None
if not skip:
    with explain_warnings(LANG):
        weights = study_weights(study)
    diag = weights.attrs["diagnostics"]
    display(diag.round(3))
    print(describe_weights(diag, LANG))

# %% [markdown]
# ## 2. 加权与未加权的满意度（Weighted against unweighted satisfaction）
#
# 下图是每一波的平均满意度（0–100 分）：蓝线加权、红虚线未加权，蓝色带是加权均值的 95% 置信区间
# （按支部聚类：同一支部的客户答卷并不独立）。两条线靠得很近，说明样本构成的偏差不影响结论；
# 分得很开时，应以加权结果为准。

# %%
means = None
if weights is not None:
    means = study_weighted_means(study, by="wave")
    fig, ax = plt.subplots(figsize=(7.5, 3.6))
    _ = plot_weighted_means(means, lang=LANG, ax=ax)
    fig.tight_layout()

# %%
if means is not None:
    wave = latest_wave(weights["wave"])
    print(weighting_text(study, wave).text(LANG))
    desc = study_descriptives(study)
    out.mkdir(parents=True, exist_ok=True)
    desc.to_csv(out / "survey_descriptives.csv", index=False, encoding="utf-8-sig")
    display(desc[desc["wave"] == wave].round(2))

# %% [markdown]
# ## 3. 各支部的满意度：哪些支部真的不同（Which branches really differ）
#
# 答卷少的支部，原始均值忽高忽低。小区域估计（随机截距模型的收缩估计）把每个支部的均值向全市均值
# "拉回"一部分：答卷越少拉得越多。图中空心圆是原始均值，实心点是收缩估计，横线是 95% 区间，
# 红色虚线是全市均值。**只有区间整体在虚线一侧的支部，才能说它真的高于或低于平均。**
#
# Hollow circles: raw branch means; filled dots: shrunken (small-area) estimates with 95% intervals;
# dashed line: the overall mean. Only a branch whose whole interval lies on one side of the line really
# differs from the average.

# %%
by_branch = None
if not skip:
    with explain_warnings(LANG):
        by_branch = study_satisfaction_by_branch(study, seed=SEED)
    fig, ax = plt.subplots(figsize=(6.5, caterpillar_height(len(by_branch))))
    _ = plot_branch_caterpillar(by_branch, lang=LANG, ax=ax)
    fig.tight_layout()

# %%
if by_branch is not None:
    print(describe_branches(by_branch, LANG))
    cols = ["branch_name", "n", "raw_mean", "estimate", "shrinkage", "rank_ci_lower", "rank_ci_upper", "prob_top",
            "prob_bottom"]
    display(by_branch[cols].round(2))

# %% [markdown]
# **怎么读名次**：`rank_ci_lower`–`rank_ci_upper` 是名次的 95% 区间。区间很宽（例如第 3 到第 15 名）的支部，
# 不宜公布精确名次；`prob_top` / `prob_bottom` 是位列前 3 / 后 3 的概率。支部间差异估计为零时，
# 这两列留空：此时任何排名都只是抽样误差。

# %% [markdown]
# ## 4. 调查规划：每个支部需要多少份问卷（Survey planning）
#
# 目标是让每个支部满意度的 95% 置信区间半宽不超过 ±2、±3 或 ±5 分。所需问卷数取决于支部内客户满意度
# 的离散程度（σ）、支部间差异所占的比例（ICC）和加权的设计效应，都来自最近一波的答卷。
#
# The responses each branch needs per wave for a ±2, ±3 or ±5 point 95% CI of its own mean, from the
# latest wave's within-branch spread, ICC and design effect of weighting.

# %%
plan = None
if by_branch is not None:
    plan = study_planning(study, half_width=(2, 3, 5))
    display(plan.round(3))
    print(planning_sentence(plan).text(LANG))

# %% [markdown]
# **说明**：这里的问卷数针对支部自身的直接均值；收缩估计借用了其他支部的信息，区间更窄，
# 但也更依赖模型。问卷数超过一个支部服务的零售客户数时，只能放宽精度目标，或把相邻几波的答卷合并估计。

# %% [markdown]
# ## 5. 标准误怎么算：权重固定、校准、刀切（Which standard error?）
#
# 同一个加权均值，标准误有三种算法：把权重当作固定值；考虑到权重是按总体校准（raking）得来的
# （与 R `survey` 包的 `svymean` 相同，通常更小）；逐个删去一个支部重算的刀切法（jackknife）。
# 三者相差不大时，结论不依赖算法；校准标准误明显更小，说明县区和客户类型本身就解释了一部分满意度差异。
#
# The same weighted mean with three standard errors: weights taken as fixed, calibration-aware (as R
# `svymean` on a raked design) and the delete-one-branch jackknife.

# %%
if by_branch is not None:
    with explain_warnings(LANG):
        ses = study_standard_errors(study)
    display(ses.round(3))
    se = ses.set_index("method")["se"]
    print({"zh": f"{ses.attrs['wave']}：权重固定时标准误 {se['fixed_weights']:.2f} 分，考虑校准后 {se['calibrated']:.2f} 分，"
                 f"刀切法 {se['jackknife']:.2f} 分。",
           "en": f"{ses.attrs['wave']}: SE {se['fixed_weights']:.2f} with the weights taken as fixed, "
                 f"{se['calibrated']:.2f} calibration-aware, {se['jackknife']:.2f} by the jackknife."}[LANG])

# %% [markdown]
# ## 6. 另一种小区域估计：Fay–Herriot 模型（Fay–Herriot branch estimates）
#
# 第 3 节的收缩估计用的是每份答卷（单元层模型）。Fay–Herriot 模型只用每个支部的**加权直接估计**及其标准误，
# 再借助支部层面的辅助信息（所属县区）把答卷少的支部向同县区的预测值收缩。两种方法结论一致时更可信。
#
# The area-level alternative: each branch's weighted direct estimate and its standard error, combined with
# branch auxiliaries (the county). Agreement with section 3 makes the branch picture more credible.

# %%
fh = None
if by_branch is not None:
    with explain_warnings(LANG):
        fh = study_branch_fay_herriot(study)
    shown = fh[["branch_id", "n", "direct", "direct_se", "estimate", "se", "shrinkage"]]
    display(shown.round(2))
    width_direct = 2 * critical_value(fh.attrs["alpha"]) * fh["design_se"].mean()
    width_fh = (fh["ci_upper"] - fh["ci_lower"]).mean()
    print({"zh": f"支部直接估计的95%区间平均宽 {width_direct:.1f} 分，Fay–Herriot 估计平均宽 {width_fh:.1f} 分。",
           "en": f"The branches' direct 95% intervals are {width_direct:.1f} points wide on average, the "
                 f"Fay–Herriot intervals {width_fh:.1f}."}[LANG])

# %% [markdown]
# ## 7. 开放题答案的主题（Themes of the open answers）
#
# 问卷的开放题（"您对我们的服务有什么意见和建议？"）先分词，再用非负矩阵分解（NMF）归纳成若干主题；
# 每个主题由最有代表性的几个词命名。热力图是每个支部的答案中各主题所占的比例：颜色越深，
# 该支部的客户越常提到这个主题。
#
# Open answers are segmented into words and grouped into themes (NMF); the heat map shows each theme's share
# of a branch's answers.

# %%
themes = None
if not skip and study_text_columns(study):
    with explain_warnings(LANG):
        themes = study_themes(study, seed=SEED)
    display(themes.themes_[["theme", "label", "n", "share"]].round(3))
    n_rows = themes.by_branch_["branch_id"].nunique()
    fig, ax = plt.subplots(figsize=(1.2 + 1.05 * len(themes.themes_), caterpillar_height(n_rows)))
    _ = plot_theme_heatmap(themes.by_branch_, lang=LANG, ax=ax)
    fig.tight_layout()
elif not skip:
    print({"zh": "本研究的满意度问卷没有开放题（自由文本列），跳过主题分析。",
           "en": "The retailer survey has no open (free-text) question; no themes."}[LANG])

# %%
if themes is not None and len(themes.ticket_link_):
    link = themes.ticket_link_
    strong = link[link["p_adjusted"] < 0.05].sort_values("estimate", ascending=False)
    strong = strong.assign(category=vocabulary_labels(strong["category"], "ticket_category", LANG).to_numpy())
    display(strong[["label", "category", "estimate", "ci_lower", "ci_upper", "p_adjusted"]].round(3))
    n_pos = int((strong["estimate"] > 0).sum())
    print({"zh": f"{len(strong)} 对“主题—问题类别”在支部之间显著相关（Holm 校正后 p<0.05），其中 {n_pos} 对为正相关："
                 "客户常提某主题的支部，相应类别的急难愁盼问题也登记得多。",
           "en": f"{len(strong)} theme–ticket-category pairs are correlated across branches (Holm-adjusted p<0.05), "
                 f"{n_pos} of them positively: branches whose customers raise the theme more also log more tickets "
                 "of that category."}[LANG])
