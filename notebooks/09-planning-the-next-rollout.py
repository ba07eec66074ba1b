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
# # 09 · 规划下一轮推广（Planning the next rollout）
#
# 前面的笔记本评估的是**已经发生**的推广：各支部自己决定何时推行，基础好的支部先推行，几项措施又几乎同时上线，
# 所以很难把每项措施的效果分开。下一轮推广可以**事先设计**：由我们随机安排每个支部在哪个波次启动哪项措施，
# 并在启动前就回答三个问题：
#
# 1. **能不能分开？** 每项措施的效果能否与其他措施、与支部差异和季度变化区分开（可分离性）；
# 2. **能不能看出来？** 如果某项措施真的把满意度提高了一定幅度，调查数据有多大把握发现它（检验效能）；
# 3. **要问多少人？** 每个支部每波次需要多少份问卷（样本量）。
#
# This notebook plans a randomised, staggered rollout for the study's branches, checks that each
# intervention's effect is separable, estimates by simulation the power of the several-interventions
# estimator for a few effect sizes and survey sizes, and sizes the survey. By default it uses the branches
# and the survey of the bundled example study; set `STUDY` to your own study folder. The same plan is
# made on the command line with `fusion-study plan STUDY --out plan/`.

# %% tags=["parameters"]
STUDY = None  # a study folder; None = the bundled example study
LANG = "zh"  # language of the sentences and figures: "zh" or "en"
SEED = 20240101
OUT = "out"  # where the plan and its tables are written

# %%
from pathlib import Path

import pandas as pd
from IPython.display import display

from fusion_study import load_study
from fusion_study.data.paths import example_study_path
from fusion_study.data.study import write_frame
from fusion_study.planning import plan_rollout, rollout_power, separability, survey_precision
from fusion_study.planning.plain import describe_plan
from fusion_study.planning.plots import plot_power, plot_rollout_calendar
from fusion_study.planning.study import study_icc
from fusion_study.reporting.notebook import notebook_setup

rng = notebook_setup(seed=SEED, lang=LANG)
folder = Path(STUDY) if STUDY else example_study_path()
out = Path(OUT)
study = load_study(folder)
branches = study.units.loc[study.units["level"] == "branch", "unit_id"].tolist()
print({"zh": f"{len(branches)} 个支部", "en": f"{len(branches)} branches"}[LANG])

# %% [markdown]
# ## 1. 满意度在支部之间差多少（How much do branches differ?）
#
# 规划需要两个数：满意度的**标准差**（把效应换算成分数）和**组内相关系数（ICC）**——满意度差异中有多大比例
# 来自支部之间。这里用本研究推广**之前**的问卷来估计（每个季度先减去当季均值，免得把季度变化算作支部内差异）。
#
# Effect sizes below are in standard deviations (SD) of one retailer's satisfaction score; the line
# says how many points of the 0–100 scale one SD is in this study.

# %%
icc_row = study_icc(study).iloc[0]
icc, sd_points = float(icc_row["estimate"]), float(icc_row["sd"])
display(icc_row[["estimate", "ci_lower", "ci_upper", "sd", "n_clusters", "n_obs"]].to_frame("value").T.round(3))
print({"zh": f"组内相关系数 ICC ≈ {icc:.2f}（95%区间 {icc_row['ci_lower']:.2f}–{icc_row['ci_upper']:.2f}）；"
             f"1 个标准差 ≈ {sd_points:.1f} 分，0.2 个标准差 ≈ {0.2 * sd_points:.1f} 分。",
       "en": f"ICC ≈ {icc:.2f} (95% CI {icc_row['ci_lower']:.2f}–{icc_row['ci_upper']:.2f}); "
             f"1 SD ≈ {sd_points:.1f} points, so 0.2 SD ≈ {0.2 * sd_points:.1f} points."}[LANG])

# %% [markdown]
# ## 2. 随机安排推广日程（A randomised rollout schedule）
#
# 三项措施：支部品牌、星火服务先锋队、急难愁盼机制；8 个波次（波次 0 是基线，所有措施都还没上线）；
# 推广团队每个波次最多培训 12 个"支部 × 措施"。支部的先后顺序和每个支部内措施的顺序都是随机的，
# 同一支部不会在同一波次启动两项措施。
#
# Three interventions over 8 waves (wave 0 is the baseline), at most 12 (branch, intervention) starts per
# wave; the branches' order and each branch's order of interventions are random.

# %%
interventions = ["brand", "vanguard_team", "problem_mechanism"]
waves, max_new = 8, 12
plan_all = plan_rollout(branches, interventions=interventions, waves=waves, max_new_per_wave=max_new, seed=SEED)
display(plan_all.pivot(index="unit_id", columns="intervention", values="start_wave")[interventions].head(6))

# %% [markdown]
# ## 3. 检验效能（Would we see an effect if there is one?）
#
# 对一个日程，我们模拟许多个"下一轮调查"：每个支部每波次若干份问卷，支部间差异符合上面的 ICC，每项措施有给定的
# 真实效应；每个模拟研究都用多项措施估计量（`several_interventions`，插补法）估计每项措施的净效应。
# **检验效能**是 95% 置信区间不含 0 的模拟研究所占比例；通常要求至少 80%。这里每种情形只模拟 30 次，
# 正式规划请用 `fusion-study plan --reps 200` 或更多。
#
# 插补法只拿"还没有任何措施上线"的支部-波次作对照。上面的日程里，几个波次之后每个支部都已经上线了某项措施，
# 后面的波次就没有对照、只能舍弃（`share_exposed_used` 是还能用上的已上线支部-波次的比例）。
# 于是我们再做一个日程：随机留出 4 个支部在计划期内**暂不启动**（等计划结束后再推广），作为对照组。
#
# For a schedule we simulate many next-round surveys and estimate each intervention's net effect with
# the several-interventions (imputation) estimator; power is the share of simulated studies whose 95% CI
# excludes 0. The imputation estimator compares only with branch-waves exposed to nothing, so once every
# branch runs something the later waves are lost (`share_exposed_used`). A second schedule holds 4
# branches back until after the plan (a wait-list comparison group).

# %%
REPS = 30
plan_held = plan_rollout(branches, interventions=interventions, waves=waves, max_new_per_wave=max_new, hold_out=4,
                         seed=SEED)
compare = pd.concat([
    rollout_power(p, effect_sizes=0.2, icc=icc, responses_per_branch=12, reps=REPS, seed=SEED).assign(hold_out=h)
    for h, p in ((0, plan_all), (4, plan_held))], ignore_index=True)
display(compare[["hold_out", "intervention", "power", "mcse_power", "mean_ci_width", "coverage",
                 "share_exposed_used"]].round(3))

# %% [markdown]
# 留出 4 个支部后，所有已上线的支部-波次都能用上，置信区间明显变窄。下面采用这个日程：灰度是已上线的措施数，
# 符号标出每项措施的启动波次；4 个暂不启动的对照支部整行空白、没有符号。
#
# With the wait-list group every exposed branch-wave is used and the intervals are clearly narrower; we
# keep that schedule. Its calendar: the shade is the number of interventions on, markers are starts; the 4 wait-list
# branches are the blank rows.

# %%
plan = plan_held
ax = plot_rollout_calendar(plan, lang=LANG)

# %% [markdown]
# ## 4. 可分离性（Can the effects be told apart?）
#
# 每项措施都要有一些"支部-波次"是**单独上线**的（同一支部同一波次没有别的措施变化），而且扣除支部和波次的
# 固定效应后，各措施的上线时间不能互相重合（条件数有限；方差膨胀因子 VIF 越接近 1 越好）。

# %%
sep = separability(plan)
display(sep.round(3))
print(describe_plan(plan, sep, lang=LANG)[1])

# %% [markdown]
# ## 5. 效应多大、问卷多少才看得出来（Power by effect size and by survey size）
#
# Power per intervention for effect sizes 0.1–0.4 SD at 12 responses per branch and wave, then for
# 6–48 responses at 0.2 SD (error bars: ±2 Monte Carlo SE).

# %%
by_effect = pd.concat([rollout_power(plan, effect_sizes=d, icc=icc, responses_per_branch=12, reps=REPS, seed=SEED)
                       for d in (0.1, 0.2, 0.3, 0.4)], ignore_index=True)
display(by_effect[["intervention", "effect_size", "power", "mcse_power", "mean_ci_width", "coverage"]].round(3))
ax = plot_power(by_effect, x="effect_size", lang=LANG)

# %%
by_size = pd.concat([rollout_power(plan, effect_sizes=0.2, icc=icc, responses_per_branch=m, reps=REPS, seed=SEED)
                     for m in (6, 12, 24, 48)], ignore_index=True)
display(by_size[["intervention", "responses_per_branch", "power", "mcse_power", "mean_ci_width"]].round(3))
ax = plot_power(by_size, x="responses_per_branch", lang=LANG)

# %% [markdown]
# 读法：效能随效应量和每支部问卷数上升。每支部问卷数翻一番，置信区间宽度约缩小到原来的 0.71 倍（1/√2）：
# 支部固定效应消去了支部之间的固定差异，剩下的主要是支部内的随机误差。真实调查中还有"某支部某季度整体偏高或偏低"
# 的波动，这里没有模拟，所以增加问卷的好处会比表中小一些；增加支部、波次和对照支部同样重要。
#
# Reading: power rises with the effect size and with responses per branch; doubling the responses
# shrinks the CI width by about 1/√2, because the branch fixed effects remove the persistent differences
# between branches and what remains is within-branch noise. Real surveys also have branch-by-quarter
# shocks, which this simulation leaves out, so more responses help somewhat less than shown here; more
# branches, waves and wait-list branches matter as much.

# %% [markdown]
# ## 6. 每支部要问多少人（Survey size per branch and wave）
#
# 单个支部的满意度均值：支部之间的差异不是抽样误差，只有支部内差异起作用；全市均值（所有支部都调查）同理。
# 表中是计划样本下的 95% 区间半宽（标准差单位），以及达到目标半宽所需的每支部每波次问卷数。

# %%
survey = survey_precision(len(branches), icc=icc, responses_per_branch=12, half_widths=[0.1, 0.2, 0.3])
display(survey[["target", "design_effect", "planned_half_width", "half_width", "responses_needed"]].round(3))

# %% [markdown]
# ## 7. 小结与输出（Summary and files）

# %%
power = by_effect[by_effect["effect_size"] == 0.2].reset_index(drop=True)
for line in describe_plan(plan, sep, power, survey, max_new_per_wave=max_new, lang=LANG):
    print(line)
out.mkdir(parents=True, exist_ok=True)
written = []
for name, table in {"plan": plan, "separability": sep, "power": pd.concat([by_effect, by_size]),
                    "survey": survey}.items():
    write_frame(table, out / f"{name}.csv")
    written.append(f"{name}.csv")
print(written)  # the folder may also hold other notebooks' tables
