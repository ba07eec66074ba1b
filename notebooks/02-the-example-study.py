# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 02 · The example study: P city (P市) and what we know about it
#
# Real survey data from tobacco bureaus is not public, so `fusion_study` ships a **simulated** study of a
# fictional "P city" (P市), built to look like the enterprise described in the seed articles: a city bureau
# (市局), its county/district bureaus (县区局), their party branches (党支部), party members (党员) and the
# licensed tobacco retailers (零售户) they serve.
#
# Because we drew the data ourselves, we know the **truth** — how much each intervention really raised
# retailer satisfaction (客户满意度), who adopted what and when, and which survey answers are junk. Every
# method in the toolkit is checked against this truth; this notebook introduces the study for policy staff.

# %%
from fusion_study.reporting.notebook import notebook_setup

rng = notebook_setup(seed=20240101)

# %%
import matplotlib.pyplot as plt
import pandas as pd

from fusion_study import example_study_path, load_study
from fusion_study.simulate import Truth
from fusion_study.simulate.plots import plot_rollout_calendar, plot_true_att

path = example_study_path()
study = load_study(path)
truth = Truth.load(path)
study.summary()[["table", "table_zh", "rows"]]

# %% [markdown]
# The study passes every validation rule (the same checks a real study goes through):

# %%
print(study.validate())

# %% [markdown]
# ## The organisation (组织架构)
#
# One city bureau, six county/district bureaus, and four party branches in each county — marketing (营销),
# monopoly enforcement (专卖), logistics (物流) and office (机关). Every retailer is served by one branch of
# its county; interventions roll out branch by branch.

# %%
units = study.units
units.groupby("level").size().rename("units").to_frame()

# %%
pd.crosstab(study.customers["segment"], study.customers["size_tier"], margins=True)

# %%
study.members.groupby(["role", "position"]).size().unstack(fill_value=0)

# %% [markdown]
# ## The rollout calendar (推进日历)
#
# The "1314" programme has six parts: the branch brand (支部品牌), three teams (宣传队, 先锋队, 云台创收队), the
# points platform (赛马积分平台) and the 急难愁盼 customer-problem mechanism. Branches start them at different
# quarters (a *staggered* rollout); nobody starts in the first two quarters, and some branches start nothing
# within the three years. Darker cells mean more parts running.

# %%
periods = sorted(study.customer_survey["wave"].unique())
ax = plot_rollout_calendar(study.interventions, periods=periods, units=units, lang="zh")
_ = ax.figure.tight_layout()

# %%
starts = study.interventions.pivot_table(
    index="intervention", columns="start_period", values="unit_id", aggfunc="count", fill_value=0
)
starts

# %% [markdown]
# **The catch.** Branches with stronger leadership started earlier — and their retailers were already more
# satisfied before anything started. Compare the satisfaction index (0–100; the average of the three
# satisfaction questions, each rescaled to 0–100) in the first two quarters, before any branch had started,
# between branches that would start early and those that started late or never:

# %%
survey = study.customer_survey[~study.customer_survey["response_id"].isin(truth.screening["response_id"])]
index = pd.concat(
    [100 * (survey[c] - 1) / (k - 1) for c, k in (("sat1", 10), ("sat2", 7), ("sat3", 7))], axis=1
).mean(axis=1)
first_wave = truth.adoption.groupby("unit_id")["programme_wave"].first()
branch = survey["customer_id"].map(study.customers.set_index("customer_id")["branch_id"])
cohort = pd.cut(
    branch.map(first_wave).replace(0, 99),
    [0, 6, 9, 99],
    labels=["early 早 (2022Q3–2023Q2)", "middle 中 (2023Q3–2024Q1)", "late or never 晚或未启动"],
).rename("start of the programme 启动时间")
before = survey["wave"].isin(periods[:2])
index[before].groupby(cohort[before], observed=True).mean().round(1).rename("index in 2022Q1–Q2").to_frame()

# %% [markdown]
# A naive "started vs not started" comparison would credit the programme with this head start. Methods that
# compare each branch with itself over time, against branches not yet treated (Callaway–Sant'Anna), remove it.
#
# ## What the truth says (真实效应)
#
# The true average effect on the treated (ATT) of each part, for the surveyed retailers of branches that
# adopted it, averaged over all quarters after adoption, on the satisfaction index (0–100) and on the latent
# scale (standard deviations of baseline satisfaction):

# %%
overall = truth.att[(truth.att["segment"] == "all") & truth.att["event_time"].isna()]
overall.set_index("intervention")[["att_index", "att_latent", "direct", "indirect", "ticket_channel", "n"]].round(3)

# %% [markdown]
# Effects **build up** over the quarters after a start and then level off; they are **larger for rural
# retailers** (农村) than for urban ones (城镇) or modern terminals (现代终端):

# %%
ax = plot_true_att(truth, interventions=("programme", "vanguard_team", "problem_mechanism"), lang="zh")
_ = ax.figure.tight_layout()

# %%
by_segment = truth.att[(truth.att["intervention"] == "programme") & truth.att["event_time"].isna()]
by_segment.set_index("segment")[["att_index", "att_latent", "n"]].round(3)

# %% [markdown]
# Only **distinctive** brands — local and mission-specific — move satisfaction; generic slogans
# ("党旗引领 护航发展") and copies of the provincial "星火" brand do not:

# %%
brands = study.brands.merge(truth.branches[["branch_id", "brand_type"]], on="branch_id")
brands[["branch_id", "brand_name", "slogan", "brand_type"]].head(8)

# %%
truth.brand_effects.round(3)

# %% [markdown]
# Part of each effect runs **through integration** — the four fusions (目标、成效、能力、服务融合) that staff
# report in their survey — and the 急难愁盼 mechanism also works by solving retailers' problems faster:

# %%
truth.indirect_share.round(3)

# %%
pd.DataFrame(
    {"before (days)": truth.tickets["median_days_before"], "after (days)": truth.tickets["median_days_after"]}
).round(1)

# %% [markdown]
# The other known quantities — the "two skins" alignment of party and business assessments, rater leniency
# in the 360 evaluations, and the junk answers planted in the surveys (speeders 速答, straight-liners 直线作答):

# %%
truth.summary().round(3)

# %% [markdown]
# ## Regenerating the study
#
# The example is regenerated with one command (`make example`), and any size or rate can be changed:
#
# ```
# fusion-study simulate --preset p_city --seed 20240101 --out data/example
# fusion-study simulate --preset p_city --seed 7 --set n_retailers=5000 --set effect_brand=0 --out my_study
# ```
#
# The same seed always gives byte-identical files; a different seed gives a new study drawn from the same truth.
