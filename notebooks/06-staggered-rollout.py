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
# # 06 · 交错推行：为什么双向固定效应会误导（Staggered rollout: why TWFE misleads）
#
# 星火品牌服务模式的各项干预（团队、平台、机制、品牌）是**按支部分批推行**的：基础较强的支部先推行，
# 而且效果在推行后逐季增强。这正是简单的"前后对比"和常用的**双向固定效应（TWFE）**回归会出错的情形。
#
# This notebook uses the bundled example study (simulated "P city" data with a known truth) to show
# (1) what a naive analysis reports, (2) why TWFE is pulled away from the truth (Goodman-Bacon
# decomposition), (3) the Callaway–Sant'Anna event study that fusion_study recommends, with its
# pre-trend test, and (4) how robust the conclusion is if parallel trends fail a little (HonestDiD).

# %%
from fusion_study.reporting.notebook import notebook_setup

rng = notebook_setup(seed=20240101)

# %%
import warnings

from fusion_study import load_study
from fusion_study.effects import (
    bacon_decomposition,
    honest_did,
    naive_before_after,
    naive_treated_vs_untreated,
    staggered_did,
    twfe_event_study,
)
from fusion_study.effects.study import exposures
from fusion_study.data.paths import example_study_path
from fusion_study.simulate import Truth

warnings.simplefilter("ignore")
study = load_study(example_study_path())
truth = Truth.load(example_study_path() / "truth.json")
frame = exposures(study).dropna(subset=["satisfaction"])
true_att = truth.overall_att().set_index("intervention").loc["programme", "att_index"]
print(f"responses: {len(frame)}, branches: {frame['branch_id'].nunique()}, true programme ATT: {true_att:.2f}")

# %% [markdown]
# ## 1. 朴素估计（What a naive analysis reports）
# 满意度指数为 0–100 分。"前后对比"把共同趋势算作效果；"干预/未干预对比"把先行支部本来就更好的满意度算作效果；
# TWFE 则把已推行支部当作对照组使用。

# %%
kw = dict(outcome="satisfaction", time="period", cohort="cohort_programme")
naive = {
    "before/after 前后对比": naive_before_after(frame, **kw)["estimate"].iloc[0],
    "treated vs untreated 干预/未干预": naive_treated_vs_untreated(frame, **kw)["estimate"].iloc[0],
    "TWFE 双向固定效应": twfe_event_study(frame, unit="branch_id", cluster="branch_id", **kw)["estimate"].iloc[0],
}
for name, value in naive.items():
    print(f"{name:34s} {value:6.2f}   (truth {true_att:.2f})")

# %% [markdown]
# ## 2. TWFE 的构成：Goodman-Bacon 分解
# TWFE 系数是所有 2×2 比较的加权平均，其中"后推行 vs 先推行"的比较把已受干预的支部当作对照——效果还在增长时，
# 这些比较会把估计拉低（甚至变号）。分解用支部 × 季度的平均满意度（平衡面板）。

# %%
panel = frame.groupby(["branch_id", "period"], as_index=False).agg(
    satisfaction=("satisfaction", "mean"), cohort_programme=("cohort_programme", "first")
)
panel = panel[panel.groupby("branch_id")["period"].transform("size") == panel["period"].nunique()]
bacon = bacon_decomposition(panel, outcome="satisfaction", unit="branch_id", time="period", cohort="cohort_programme")
summary = bacon.assign(contrib=bacon["weight"] * bacon["estimate"]).groupby("type")[["weight", "contrib"]].sum()
summary.round(3)

# %% [markdown]
# ## 3. 推荐方法：Callaway–Sant'Anna 事件研究
# 每个推行批次只与**尚未推行**的支部比较；问卷各期是不同的零售户样本（重复截面），标准误按支部聚类。

# %%
cs = staggered_did(frame, unit="response_id", panel=False, cluster="branch_id", **kw)
cs.summary()[["aggregation", "estimate", "se", "ci_lower", "ci_upper"]].round(2)

# %%
ax = cs.plot(lang="zh")
_ = ax.set_title("整体项目事件研究（相对首次推行的季度）")

# %% [markdown]
# 推行前各期（负的事件时间）的效应应接近 0：这是平行趋势的检验。由于批次多于支部数，
# 我们检验按事件时间汇总的推行前效应（自由度更少、更可靠）。

# %%
cs.pretrend_test(over="event_time").round(3)

# %% [markdown]
# ## 4. 稳健性：如果平行趋势略有偏离（HonestDiD）
# 相对幅度限制 M：推行后趋势偏离不超过推行前最大偏离的 M 倍。M 越大，区间越宽；
# 区间不含 0 的最大 M 即"临界值"。这里取推行前后各 4 个季度；问卷样本较小，推行前的估计波动较大，
# 所以即使 M 较小区间也会很快变宽——这提醒我们：结论依赖平行趋势假设。

# %%
cs_u = staggered_did(frame, unit="response_id", panel=False, cluster="branch_id", base_period="universal", **kw)
honest_did(cs_u, M=[0.0, 0.25, 0.5, 1.0], min_e=-4, max_e=4).round(2)

# %% [markdown]
# **两点提醒（what the Monte Carlo study taught us）**
#
# * 平行趋势与量纲有关：满意度指数是 0–100 的有界量表。潜在满意度的共同上升趋势，
#   在指数上对基线高的（较强）支部显得略小，于是"平行趋势"在指数上只是近似成立。
#   在模拟研究中这使交错双重差分平均低估约 0.2 个标准误（没有共同趋势时偏差为 0）；
#   HonestDiD 的 M 正是用来衡量这类偏离的。(Parallel trends are scale-dependent: on a bounded
#   index a common latent trend becomes slightly different trends for strong and weak branches.)
# * 支部数少时区间偏窄：P 市只有 24 个支部，很多推行批次只有 1–2 个支部，按支部聚类的标准误
#   因此偏小（模拟中覆盖率约 0.88–0.92，目标 0.95）。96 个支部的验证设计覆盖率为 0.95。
#   见 `benchmarks/results/validate_estimators_1000/` 与 notebook 08。

# %% [markdown]
# **结论（for policy staff）**：朴素方法把满意度的提升高估了一倍以上（前后对比、干预/未干预对比），
# 而 TWFE 因为把先推行支部当对照而低估。交错双重差分的估计与已知真值一致，其置信区间覆盖真值。
