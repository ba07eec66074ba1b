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
# # 02 · The study and what we know about it (研究概况)
#
# This notebook introduces a study for policy staff: its tables, its organisation, its customers and, when
# there is one, the rollout of the interventions. It runs on the study named in the next cell.
#
# By default that is the **bundled example**: real survey data from tobacco bureaus is not public, so
# `fusion_study` ships a **simulated** study of a fictional "P city" (P市), built to look like the enterprise
# described in the seed articles: a city bureau (市局), its county/district bureaus (县区局), their party
# branches (党支部), party members (党员) and the licensed tobacco retailers (零售户) they serve. Because we
# drew the data ourselves, we know the **truth** (`truth.json`) — how much each intervention really raised
# retailer satisfaction (客户满意度), who adopted what and when, and which survey answers are junk. Every
# method in the toolkit is checked against this truth. A real study has no `truth.json`; the parts of this
# notebook that compare with the truth are then left out with one sentence.

# %% tags=["parameters"]
STUDY = None  # a study folder; None: the bundled example study
LANG = "zh"
SEED = 20240101
OUT = "out"  # this notebook's output folder

# %%
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from fusion_study import example_study_path, load_study
from fusion_study.reporting.labels import label, vocabulary_labels
from fusion_study.reporting.notebook import missing_sentence, notebook_setup
from fusion_study.simulate import Truth
from fusion_study.simulate.plots import plot_rollout_calendar, plot_true_att

rng = notebook_setup(seed=SEED, lang=LANG)
STUDY = str(example_study_path()) if STUDY is None else STUDY
study = load_study(STUDY)
truth = Truth.load(STUDY) if (Path(STUDY) / "truth.json").exists() else None
tables = study.summary()
if LANG == "zh":
    print(f"本研究共有 {len(tables)} 张数据表：" + "、".join(tables["table_zh"]) + "。"
          + ("这是模拟研究，真值见 truth.json。" if truth is not None else "本研究没有 truth.json（不是模拟数据），与真值对照的部分将跳过。"))
else:
    print(f"The study has {len(tables)} tables: " + ", ".join(tables["table"]) + ". "
          + ("It is simulated; its truth is in truth.json." if truth is not None
             else "It has no truth.json (not simulated), so the comparisons with the truth are skipped."))
tables[["table", "table_zh", "rows"]]

# %% [markdown]
# Every study goes through the same validation rules (required columns, identifiers that match across
# tables, answers within the codebook's range …); problems name the file, row, column and value:

# %%
print(study.validate())

# %% [markdown]
# ## The organisation (组织架构)
#
# A city bureau, its county/district bureaus and their party branches; every retailer is served by one
# branch of its county, and interventions roll out branch by branch.

# %%
reason = missing_sentence(study, {"units": ("unit_id", "level")}, what_zh="描述组织架构",
                          what_en="the organisation was not described", lang=LANG)
if reason:
    print(reason)
else:
    units = study.units
    levels = units["level"].value_counts().reindex(["city", "county", "branch"]).dropna().astype(int)
    names = vocabulary_labels(levels.index, "level", LANG)
    sep = "、" if LANG == "zh" else ", "
    print(("组织单位：" if LANG == "zh" else "Units: ")
          + sep.join(f"{n} 个{name}" if LANG == "zh" else f"{name} {n}" for n, name in zip(levels, names)))
    if "branch_kind" in units.columns and units["branch_kind"].notna().any():
        kinds = units.loc[units["level"] == "branch", "branch_kind"].value_counts()
        display(kinds.set_axis(vocabulary_labels(kinds.index, "branch_kind", LANG)).rename("branches").to_frame())

# %%
if "customers" in study:
    cols = [c for c in ("segment", "size_tier") if c in study.customers.columns and study.customers[c].notna().any()]
    if len(cols) == 2:
        display(pd.crosstab(study.customers["segment"], study.customers["size_tier"], margins=True))
    else:
        print(f"{len(study.customers)} customers" if LANG == "en" else f"共 {len(study.customers)} 个零售客户")
else:
    print(missing_sentence(study, {"customers": ()}, what_zh="描述零售客户", what_en="customers were not described",
                           lang=LANG))

# %%
reason = missing_sentence(study, {"members": ("role", "position")}, what_zh="描述党员队伍",
                          what_en="party members were not described", lang=LANG)
if reason:
    print(reason)
else:
    display(study.members.groupby(["role", "position"]).size().unstack(fill_value=0))

# %% [markdown]
# ## The surveys (问卷调查)
#
# How many responses each survey wave holds (before screening):

# %%
surveys = [t for t in ("customer_survey", "staff_survey") if t in study]
if surveys:
    waves = pd.concat({t: study.tables[t].groupby("wave").size() for t in surveys}, axis=1).fillna(0).astype(int)
    if LANG == "zh":
        print(f"共 {len(waves)} 期调查（{waves.index.min()}" + (f" 至 {waves.index.max()}" if len(waves) > 1 else "") + "）。")
    else:
        print(f"{len(waves)} survey wave(s): {waves.index.min()}" + (f" to {waves.index.max()}" if len(waves) > 1 else "")
              + ".")
    display(waves)
else:
    print("本研究没有问卷数据。" if LANG == "zh" else "The study has no survey data.")

# %% [markdown]
# ## The rollout calendar (推进日历)
#
# The "1314" programme has six parts: the branch brand (支部品牌), three teams (宣传队, 先锋队, 云台创收队), the
# points platform (赛马积分平台) and the 急难愁盼 customer-problem mechanism. Branches start them at different
# quarters (a *staggered* rollout), and some may start nothing within the study. Darker cells mean more parts
# running.

# %%
reason = missing_sentence(study, {"interventions": ("unit_id", "intervention", "start_period"),
                                  "customer_survey": ("wave",)},
                          what_zh="绘制推进日历", what_en="the rollout calendar was not drawn", lang=LANG)
if reason:
    print(reason)
else:
    periods = sorted(study.customer_survey["wave"].unique())
    iv = study.interventions
    first = iv.groupby("unit_id")["start_period"].min()
    n_branches = (study.units["level"] == "branch").sum() if "units" in study else first.size
    before = [p for p in periods if p < first.min()]
    if LANG == "zh":
        print(f"{iv['intervention'].nunique()} 项措施，{first.size} 个党支部启动过至少一项，"
              f"{n_branches - first.size} 个党支部在研究期内没有启动；最早的启动在 {first.min()}，"
              f"此前有 {len(before)} 期调查（启动前的基线）。")
    else:
        print(f"{iv['intervention'].nunique()} interventions; {first.size} branches started at least one, "
              f"{n_branches - first.size} branches started none; the first start is in {first.min()}, "
              f"after {len(before)} survey wave(s) of baseline.")
    ax = plot_rollout_calendar(iv, periods=periods, units=study.units if "units" in study else None, lang=LANG)
    _ = ax.figure.tight_layout()

# %%
if reason is None:
    display(study.interventions.pivot_table(index="intervention", columns="start_period", values="unit_id",
                                            aggfunc="count", fill_value=0))

# %% [markdown]
# ## What the truth says (真实效应)
#
# The rest of this notebook needs the simulator's truth (`truth.json`), so it only runs on a simulated study.
#
# **The catch.** In the simulation, branches with stronger leadership start earlier — and their retailers are
# already more satisfied before anything starts. Compare the satisfaction index (0–100; the average of the
# satisfaction questions, each rescaled to 0–100) in the quarters before any branch had started, between
# branches that would start early and those that started late or never:

# %%
if truth is None:
    print("本研究没有 truth.json（不是模拟数据），以下与真值对照的部分不适用。" if LANG == "zh" else
          "The study has no truth.json (it is not simulated), so the comparisons with the truth below do not apply.")
else:
    periods = sorted(study.customer_survey["wave"].unique())
    survey = study.customer_survey[~study.customer_survey["response_id"].isin(truth.screening["response_id"])]
    cb = study.codebook.set_index("item_id")
    sat_items = [i for i in cb.index[cb["scale"] == "satisfaction"] if i in survey.columns]
    index = pd.concat([100 * (survey[c] - cb.loc[c, "min"]) / (cb.loc[c, "max"] - cb.loc[c, "min"])
                       for c in sat_items], axis=1).mean(axis=1)
    first_wave = truth.adoption.groupby("unit_id")["programme_wave"].first()
    branch = survey["customer_id"].map(study.customers.set_index("customer_id")["branch_id"])
    min_start = int(truth.params["min_start_wave"])
    cohort = pd.cut(
        branch.map(first_wave).replace(0, 99),
        [0, min_start + 3, min_start + 6, 99],
        labels=["early 早", "middle 中", "late or never 晚或未启动"],
    ).rename("start of the programme 启动时间")
    before = survey["wave"].isin(periods[: min_start - 1])
    head_start = index[before].groupby(cohort[before], observed=True).mean()
    if LANG == "zh":
        print(f"启动前（{periods[0]} 至 {periods[min_start - 2]}），早启动支部的满意度指数为 {head_start.iloc[0]:.1f}，"
              f"晚启动或未启动的为 {head_start.iloc[-1]:.1f}：早启动者本来就高 {head_start.iloc[0] - head_start.iloc[-1]:.1f} 分。")
    else:
        print(f"Before any start ({periods[0]}–{periods[min_start - 2]}) the index was {head_start.iloc[0]:.1f} for early "
              f"starters and {head_start.iloc[-1]:.1f} for late or never: a head start of "
              f"{head_start.iloc[0] - head_start.iloc[-1]:.1f} points.")
    display(head_start.round(1).rename("index before any start").to_frame())

# %% [markdown]
# A naive "started vs not started" comparison would credit the programme with this head start. Methods that
# compare each branch with itself over time, against branches not yet treated (Callaway–Sant'Anna), remove it.
#
# The true average effect on the treated (ATT) of each part, for the surveyed retailers of branches that
# adopted it, averaged over all quarters after adoption, on the satisfaction index (0–100) and on the latent
# scale (standard deviations of baseline satisfaction):

# %%
if truth is not None:
    overall = truth.att[(truth.att["segment"] == "all") & truth.att["event_time"].isna()].set_index("intervention")
    top = overall["att_index"].drop(index="programme", errors="ignore").idxmax()
    if LANG == "zh":
        print(f"六项措施中真实效应最大的是{label(top, 'zh')}（{overall.loc[top, 'att_index']:.2f} 分）；"
              f"整体项目的真实效应为 {overall.loc['programme', 'att_index']:.2f} 分。")
    else:
        print(f"The largest true effect is {top}'s ({overall.loc[top, 'att_index']:.2f} points); "
              f"the programme's is {overall.loc['programme', 'att_index']:.2f} points.")
    display(overall[["att_index", "att_latent", "direct", "indirect", "ticket_channel", "n"]].round(3))

# %% [markdown]
# How the effects develop over the quarters after a start, and how they differ between retailer segments
# (城镇, 农村, 现代终端):

# %%
if truth is not None:
    ax = plot_true_att(truth, interventions=("programme", "vanguard_team", "problem_mechanism"), lang=LANG)
    _ = ax.figure.tight_layout()

# %%
if truth is not None:
    by_segment = truth.att[(truth.att["intervention"] == "programme") & truth.att["event_time"].isna()]
    by_segment = by_segment.set_index("segment")[["att_index", "att_latent", "n"]]
    segs = by_segment.drop(index="all", errors="ignore")["att_index"]
    names = dict(zip(segs.index, vocabulary_labels(segs.index, "segment", LANG)))
    if LANG == "zh":
        print(f"整体项目对{names[segs.idxmax()]}零售户的真实效应最大（{segs.max():.2f} 分），"
              f"对{names[segs.idxmin()]}最小（{segs.min():.2f} 分）。")
    else:
        print(f"The programme's true effect is largest for {names[segs.idxmax()]} retailers ({segs.max():.2f} "
              f"points) and smallest for {names[segs.idxmin()]} ({segs.min():.2f}).")
    display(by_segment.round(3))

# %% [markdown]
# The simulator gives brands one of three types — distinctive (local and mission-specific), generic slogans
# ("党旗引领 护航发展") and copies of the provincial "星火" brand — each with its own true effect:

# %%
if truth is not None and "brands" in study:
    brands = study.brands.merge(truth.branches[["branch_id", "brand_type"]], on="branch_id")
    display(brands[["branch_id", "brand_name", "slogan", "brand_type"]].head(8))

# %%
if truth is not None:
    be = truth.brand_effects.set_index("brand_type")["att_index"]
    moving = [t for t, v in be.items() if v != 0]
    print(("真实效应不为 0 的品牌类型：" if LANG == "zh" else "Brand types with a non-zero true effect: ")
          + (", ".join(moving) if moving else ("无" if LANG == "zh" else "none")))
    display(truth.brand_effects.round(3))

# %% [markdown]
# Part of each effect runs **through integration** — the four fusions (目标、成效、能力、服务融合) that staff
# report in their survey — and the 急难愁盼 mechanism also works by solving retailers' problems faster:

# %%
if truth is not None:
    display(truth.indirect_share.round(3))
    display(pd.DataFrame({"before (days)": truth.tickets["median_days_before"],
                          "after (days)": truth.tickets["median_days_after"]}).round(1))

# %% [markdown]
# The other known quantities — the "two skins" alignment of party and business assessments, rater leniency
# in the 360 evaluations, and the junk answers planted in the surveys (speeders 速答, straight-liners 直线作答):

# %%
if truth is not None:
    display(truth.summary().round(3))

# %% [markdown]
# ## Regenerating the example study
#
# The example is regenerated with one command (`make example`), and any size or rate can be changed:
#
# ```
# fusion-study simulate --preset p_city --seed 20240101 --out data/example
# fusion-study simulate --preset p_city --seed 7 --set n_retailers=5000 --set effect_brand=0 --out my_study
# ```
#
# The same seed always gives byte-identical files; a different seed gives a new study drawn from the same truth.
