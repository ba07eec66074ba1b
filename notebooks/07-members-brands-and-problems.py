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
# # 07 · 党员、品牌、急难愁盼与平台参与 — Members, brands, the problem mechanism and participation
#
# This notebook answers three of the study's research questions:
#
# * **Q4 — 急难愁盼机制 (the customer-problem mechanism):** are retailers' problems resolved faster
#   after the mechanism is launched, and does a problem resolved in time raise satisfaction?
# * **Q6 — 党员积分 (member points) and 三亮三比三评 (360 evaluations):** do raters agree, are some rater
#   types more lenient, are points fair, and do they track service outcomes?
# * **Q3 — 一支部一品牌 (branch brands):** which brands are distinctive, generic or copied, and does it matter?
#
# By default it runs on the bundled example study (a simulated "P city" whose true effects are known,
# so we can check that the methods find them); set `STUDY` to your own study folder to run it on yours.
# Each part needs its own tables (tickets, members and points, evaluations, brands, activities); a part
# your study cannot support says so in one sentence and is skipped.
#
# Member-level results are for internal use; anything shared outside the branch uses branch
# aggregates and pseudonyms (党员甲, 党员乙), as here.

# %% tags=["parameters"]
STUDY = None  # a study folder; None = the bundled example study
LANG = "zh"  # language of the sentences and figures: "zh" or "en"
SEED = 20240101
OUT = "out"  # where the result tables are written

# %%
import json
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import display

from fusion_study import load_study, screen_study
from fusion_study.brands import brand_moderation_frame, brand_type_moderation, plot_brand_moderation
from fusion_study.brands import plot_brand_similarity, study_brand_distinctiveness
from fusion_study.data.paths import example_study_path
from fusion_study.members import (
    plot_member_radar,
    plot_member_trajectory,
    study_four_strong,
    study_member_profiles,
    study_points_fairness,
    study_points_satisfaction,
    study_rater_agreement,
    study_rater_leniency,
)
from fusion_study.participation import plot_participation_calendar, study_participation
from fusion_study.problems import (
    launch_hazard_ratio,
    plot_resolution_curves,
    study_next_wave_satisfaction,
    study_resolution_effect,
    study_ticket_durations,
    ticket_summary,
)
from fusion_study.reporting.notebook import notebook_setup
from fusion_study.reporting.plain import (
    describe_brand_moderation,
    describe_effect,
    describe_hazard_ratio,
    explain_warnings,
    skip_sentence,
)

rng = notebook_setup(seed=SEED, lang=LANG)
folder = Path(STUDY) if STUDY else example_study_path()
raw = load_study(folder)
has_truth = (folder / "truth.json").exists()  # only simulated studies know their true effects
truth = json.loads((folder / "truth.json").read_text(encoding="utf-8")) if has_truth else None
pseudonyms = {"zh": [f"党员{c}" for c in "甲乙丙丁戊己庚辛"], "en": [f"member {c}" for c in "ABCDEFGH"]}[LANG]
raw

# %% [markdown]
# **Screening, once (问卷筛查).** Speeders, straight-liners, duplicate submissions and out-of-range answers
# are screened out of both surveys in one step, and every analysis below uses the same screened study.
# Nothing is dropped silently: the ledger lists each excluded response with its reason.

# %%
study, screening = screen_study(raw)
print(screening.balance(study.tables).to_string(index=False))
screening.summary()

# %% [markdown]
# ## 1. 急难愁盼：问题解决得更快了吗？ Are problems resolved faster?
#
# Each ticket in the problem and rectification list (问题及整改清单) has an opening date and, once
# handled, a closing date. Time to resolution is **survival data**: a ticket still open when the data
# were extracted (未办结) has an unknown, longer time — it is *censored*, not dropped. A ticket closed
# as unresolved (办结未解决) is censored at its closing date. Medians come from the Kaplan–Meier
# curve, with 95% intervals computed exactly as R's `survfit` does by default (log scale).

# %%
skip_tickets = skip_sentence(study, {"tickets": ()}, what_zh="分析问题解决情况",
                             what_en="problem resolution was not analysed", lang=LANG)
tickets, launched = None, False
if skip_tickets:
    print(skip_tickets)
else:
    tickets = study_ticket_durations(study)  # the mechanism's launch quarters come from the interventions table
    launched = "after_launch" in tickets and tickets["after_launch"].nunique() == 2
    by = ("category", "after_launch") if "after_launch" in tickets else ("category",)
    display(ticket_summary(tickets, by=by).round(3))

# %%
# NBVAL_IGNORE_OUTPUT
# (figure only: nbval never compares images)
if tickets is not None:
    fig, axes = plt.subplots(1, 2 if launched else 1, figsize=(11 if launched else 6, 4), squeeze=False)
    _ = plot_resolution_curves(tickets, by="category", max_days=120, lang=LANG, ax=axes[0, 0])
    if launched:
        _ = plot_resolution_curves(tickets, by="after_launch", max_days=120, lang=LANG, ax=axes[0, 1])

# %% [markdown]
# The Cox model compares the *rate* at which tickets get resolved after the launch with before
# (hazard ratio, HR > 1 = faster), adjusting for the category and allowing tickets of the same
# branch to be correlated (branch-clustered standard errors). In the table `estimate` is the HR and
# `ci_lower`–`ci_upper` its 95% interval. For a simulated study the true HR is shown for comparison.

# %%
if tickets is None:
    pass  # said above: no tickets table
elif not launched:
    print({"zh": "本研究没有记录急难愁盼机制（interventions 表中的 problem_mechanism）在问题登记期间的启动，"
                 "无法比较启动前后的解决速度。",
           "en": "The study records no launch of the problem mechanism (problem_mechanism in the interventions "
                 "table) while tickets were raised, so resolution before and after cannot be compared."}[LANG])
else:
    with explain_warnings(LANG):
        hr = launch_hazard_ratio(tickets)
    display(hr[["term", "estimate", "ci_lower", "ci_upper", "p_value", "n_clusters"]].round(3))
    print(describe_hazard_ratio(hr.iloc[0], LANG))
    if has_truth:
        print({"zh": "模拟数据的真实风险比：", "en": "true HR (simulated):"}[LANG], truth["tickets"]["hazard_ratio"])

# %% [markdown]
# **Does a problem resolved in time raise next-quarter satisfaction?** For each retailer surveyed in
# two consecutive quarters, next-quarter satisfaction (0–100) is regressed on this quarter's
# satisfaction, the number of problems raised this quarter and how many of them were resolved before
# the next quarter began. This is an association (branches that resolve quickly may serve better in
# other ways too), not a causal estimate.

# %%
skip_next = skip_tickets or skip_sentence(
    study, {"customer_survey": (), "customers": ()}, what_zh="分析问题解决与满意度的关系",
    what_en="resolution and satisfaction were not related", lang=LANG)
if skip_next:
    print("" if skip_next == skip_tickets else skip_next, end="")  # the missing tickets were said above
else:
    try:
        with explain_warnings(LANG):
            display(study_next_wave_satisfaction(study).round(3))
    except ValueError as exc:  # e.g. one survey wave only: nobody is surveyed in two consecutive quarters
        print({"zh": f"无法估计：{exc}", "en": f"Not estimated: {exc}"}[LANG])

# %% [markdown]
# **The same question as a causal estimate (因果估计).** Tickets are resolved faster once a branch has
# launched the mechanism, and stronger branches launch earlier and also have more satisfied retailers,
# so "resolved" retailers would look happier even if resolving changed nothing. `study_resolution_effect`
# compares retailers who raised exactly one problem in a quarter and were surveyed in that quarter and
# the next: resolved in time or not, adjusting (doubly robust AIPW, 双重稳健估计) for this quarter's
# satisfaction, the problem's category, how late in the quarter it was raised, whether the mechanism was
# running, segment, size and wave. The estimate is the gain in next-quarter satisfaction (0–100 points)
# from having the problem resolved in time; the naive row is the raw difference, for contrast. The
# note lists every retailer-quarter left out and why; propensity scores too extreme to compare are
# trimmed (counted in `n_trimmed`, and said below the table).

# %%
resolution = None
if not skip_next:
    try:
        with explain_warnings(LANG):
            resolution = study_resolution_effect(study, seed=SEED)
    except ValueError as exc:  # too few comparable retailer-quarters
        print({"zh": f"无法估计问题及时解决的效应：{exc}", "en": f"The effect of timely resolution was not estimated: {exc}"}[LANG])
if resolution is not None:
    print(resolution.loc[0, "note"])
    display(resolution[["method", "estimand", "estimate", "se", "ci_lower", "ci_upper", "n", "n_treated",
                        "n_trimmed"]].round(3))
    print(describe_effect(resolution.iloc[0], LANG, what={"zh": "问题及时解决", "en": "A problem resolved in time"}[LANG]))
    if has_truth:
        print({"zh": "模拟数据的真实效应（指数分）：", "en": "true effect (index points, simulated):"}[LANG],
              round(truth["tickets"]["resolution_effect_index"], 2))

# %% [markdown]
# How to read it: a few hundred comparable retailer-quarters cannot pin the effect down — the adjusted
# interval is wide, while the raw difference looks larger and more certain than it should. In the
# Monte Carlo study on simulated studies four times the example's size (200 replications,
# `benchmarks/results/validate_resolution_effect_200/`) the adjusted estimate is unbiased and its 95 %
# interval covers the truth about 97 % of the time; the raw difference overstates the effect and covers
# the truth far less often.

# %% [markdown]
# ## 2. 党员积分画像：排名有多可靠？ How reliable is the points league table?
#
# Points are standardised within each quarter and dimension (先锋模范, 教育管理, 自我提升, 履职尽责) and
# averaged into a composite. The bootstrap redraws each member's four dimension scores to show how
# much the rank depends on them: a member ranked 7th is rarely distinguishable from the 8th.

# %%
skip_members = skip_sentence(study, {"members": (), "member_points": ()}, what_zh="分析党员积分",
                             what_en="member points were not analysed", lang=LANG)
profiles = None
if skip_members:
    print(skip_members)
else:
    with explain_warnings(LANG):
        profiles = study_member_profiles(study, n_boot=200, seed=rng)
    last = profiles["period"].max()
    table = profiles[profiles["period"] == last].head(8).copy()
    table["member"] = pseudonyms[: len(table)]
    display(table[["member", "composite", "rank", "rank_ci_lower", "rank_ci_upper", "percentile_ci_lower",
                   "percentile_ci_upper"]].round(2))

# %%
if profiles is not None:
    four = study_four_strong(study, profiles=profiles)
    display(four[four["period"] == last].drop(columns="period").round(2))

# %%
# NBVAL_IGNORE_OUTPUT
# (figure only: nbval never compares images)
pair = []
if profiles is not None:
    example = profiles[profiles["period"] == last].sort_values("composite")["member_id"]
    pair = [example.iloc[len(example) // 2], example.iloc[-1]] if len(example) >= 2 else []
if pair:
    fig, ax = plt.subplots(figsize=(5.5, 5.5), subplot_kw={"projection": "polar"})
    _ = plot_member_radar(profiles, study.members, pair, period=last, labels=dict(zip(pair, pseudonyms)),
                          lang=LANG, ax=ax)

# %% [markdown]
# The same two members over time (综合分轨迹): the band is the bootstrap interval of the composite.

# %%
# NBVAL_IGNORE_OUTPUT
# (figure only: nbval never compares images)
if pair:
    _ = plot_member_trajectory(profiles, pair, labels=dict(zip(pair, pseudonyms)), lang=LANG)

# %% [markdown]
# ## 3. 三亮三比三评：评价主体一致吗？ Do customers, peers and leaders agree?
#
# ICC1 asks whether raters give the *same* scores (leniency counts against them); ICC3 whether they
# *rank* members alike (`estimate` is the ICC). rwg measures agreement about each member against random answering on the
# 0–100 scale (A = 101 options).

# %%
skip_eval = skip_sentence(study, {"evaluations": ()}, what_zh="分析三亮三比三评",
                          what_en="the 360 evaluations were not analysed", lang=LANG)
if skip_eval:
    print(skip_eval)
else:
    with explain_warnings(LANG):
        agreement = study_rater_agreement(study)
    display(agreement[agreement["type"].isin(["ICC1", "ICC3", "ICC1k", "ICC3k"])][
        ["dimension", "type", "estimate", "ci_lower", "ci_upper", "rwg_mean"]
    ].round(3))

# %% [markdown]
# Leniency (宽严度) of each rater type, relative to the average rater type, with member × dimension
# fixed effects. For a simulated study the true leniencies, centred the same way, are shown beside them.

# %%
if not skip_eval:
    with explain_warnings(LANG):
        leniency = study_rater_leniency(study).to_frame()
    if has_truth:
        true_len = truth["rater_leniency"]
        centre = sum(true_len.values()) / len(true_len)
        leniency["truth_centred"] = leniency["rater_type"].map(lambda t: true_len[t] - centre)
    display(leniency.round(3))

# %% [markdown]
# **Fairness and validity.** Do points follow seniority (党龄) or position rather than work? Do
# branches whose members score higher also have more satisfied retailers (retailers nested in
# branches, mixed model)?
#
# "Beyond performance": the leniency-adjusted 360 score of each member (mean over raters and
# dimensions) enters as a control when the study has 360 evaluations, so the tenure and position rows
# show what points reward *besides* how customers, peers and leaders rate the member's work.

# %%
if profiles is None:
    print(skip_members)
else:
    try:
        with explain_warnings(LANG):
            display(study_points_fairness(study, profiles=profiles).round(3))
    except ValueError as exc:  # too few members with complete records
        print({"zh": f"公平性检验未能进行：{exc}", "en": f"Fairness check not run: {exc}"}[LANG])

# %%
# NBVAL_IGNORE_OUTPUT
skip_ps = skip_members or skip_sentence(study, {"customer_survey": (), "customers": ()},
                                        what_zh="比较积分与满意度", what_en="points and satisfaction were not compared",
                                        lang=LANG)
if skip_ps:
    print("" if skip_ps == skip_members else skip_ps, end="")  # the missing member tables were said above
else:
    try:
        with explain_warnings(LANG):
            display(study_points_satisfaction(study, profiles=profiles).round(3))
    except ValueError as exc:
        print({"zh": f"未能比较积分与满意度：{exc}", "en": f"Points and satisfaction not compared: {exc}"}[LANG])

# %% [markdown]
# ## 4. 支部品牌：特色、空泛还是照搬？ Distinctive, generic or copied?
#
# Brand texts are compared character by character (no word segmentation needed): similarity to every
# other brand, reuse of the provincial "星火" (Spark) name, and the share of the text made of stock
# party-building phrases (the documented list bundled with the package).

# %%
skip_brands = skip_sentence(study, {"brands": ()}, what_zh="评估支部品牌特色性",
                            what_en="brand distinctiveness was not assessed", lang=LANG)
flags = None
if skip_brands:
    print(skip_brands)
else:
    with explain_warnings(LANG):
        flags = study_brand_distinctiveness(study)
    display(flags[["branch_id", "brand_name", "slogan", "max_similarity", "genericness", "flag"]].round(2))

# %%
if flags is not None and has_truth:
    true_type = dict(zip(truth["branches"]["data"]["branch_id"], truth["branches"]["data"]["brand_type"]))
    agree = (flags["flag"] == flags["branch_id"].map(true_type)).mean()
    print({"zh": f"与模拟数据的真实品牌类型一致的比例：{agree:.0%}",
           "en": f"share of brands flagged as their true (simulated) type: {agree:.0%}"}[LANG])

# %%
# NBVAL_IGNORE_OUTPUT
# (figure only: nbval never compares images)
if flags is not None and len(flags) >= 2:
    fig, ax = plt.subplots(figsize=(9, 8))
    _ = plot_brand_similarity(study.brands, flags=flags, lang=LANG, ax=ax)

# %% [markdown]
# ### Does a distinctive brand raise satisfaction more than a generic or copied one? 品牌类型与效果
#
# We compare each branch's retailers before and after the branch launched its brand, against branches
# that had not launched one yet (staggered difference-in-differences, 交错双重差分, Callaway–Sant'Anna),
# separately for distinctive, generic and copied brands, and then the **differences between types**.
#
# How to read the table:
#
# * The rows for one brand type (`type ATT`) are **not** the brand's own effect. A branch launches its
#   brand together with its three teams, the points platform and the problem mechanism (within a few
#   quarters), so "after the brand launch" also means "after those started". That is why even generic
#   brands can show a positive change.
# * The **contrasts** (distinctive − generic, distinctive − copied) are the answer: the other work is
#   launched around the brand in the same way whatever the brand type, so it cancels out. generic −
#   copied is a check: neither kind is expected to work, so it should be near zero.
# * p-values of the contrasts are adjusted for testing three of them (Holm, `p_adjusted`).

# %%
skip_mod = skip_brands or skip_sentence(
    study, {"interventions": (), "customer_survey": (), "customers": ()}, what_zh="比较品牌类型的效果",
    what_en="brand types were not compared", lang=LANG)
moderation = naive = None
if skip_mod:
    print("" if skip_mod == skip_brands else skip_mod, end="")  # the missing brands were said above
else:
    try:
        with explain_warnings(LANG):
            brand_frame = brand_moderation_frame(study, flags=flags)
            moderation = brand_type_moderation(brand_frame)
            naive = brand_type_moderation(brand_frame, method="twfe")
    except ValueError as exc:  # no brand launches in the interventions table, fewer than two brand types, ...
        print({"zh": f"未能比较品牌类型的效果：{exc}", "en": f"Brand types were not compared: {exc}"}[LANG])
if moderation is not None:
    display(moderation[["term", "kind", "estimate", "se", "ci_lower", "ci_upper", "p_adjusted",
                        "n_branches"]].round(2))
    for sentence in describe_brand_moderation(moderation, LANG):
        print("•", sentence)

# %% [markdown]
# The naive two-way fixed-effects regression (branch and wave effects, 双向固定效应) for comparison —
# it mixes early and late launches in a way that can bias it when effects build up over time:

# %%
if naive is not None:
    display(naive[["term", "kind", "estimate", "se", "ci_lower", "ci_upper", "p_adjusted"]].round(2))

# %%
# NBVAL_IGNORE_OUTPUT
# (figure only: nbval never compares images)
if moderation is not None:
    fig, ax = plt.subplots(figsize=(8, 6))
    _ = plot_brand_moderation(pd.concat([moderation, naive], ignore_index=True), lang=LANG, ax=ax)
    fig.tight_layout()

# %% [markdown]
# **What a city-sized study can and cannot tell us.** A city has a few dozen branches, and only some
# launch a brand within the survey period, so each brand type has only a handful of branches. The
# sentences above say how many: with fewer than ten branches per type the comparison is
# *underpowered* — the confidence intervals span several index points either way, and clustered
# standard errors from so few branches are themselves unreliable. So the honest reading for policy
# staff of an interval that includes zero is "not enough branches to tell", not "brand type does not
# matter". Even in a simulated city with 96 branches, 200 repetitions found a 2-point difference only
# about one time in five, although the 95% interval of the contrast covered the true difference in
# most of them (see `benchmarks/results/validate_brand_moderation_200/`). A province-wide analysis, or
# a longer survey series, is what this question needs. For a simulated study, the true effects:

# %%
if moderation is not None and has_truth:
    display(pd.DataFrame(truth["brand_effects"]["data"])[["brand_type", "att_index"]].round(2))

# %% [markdown]
# ## 5. 平台参与度 Participation
#
# Weekly participation rate (share of a branch's members who logged an activity) and heat
# (activities per member per week), from the team activity log.

# %%
# NBVAL_IGNORE_OUTPUT
# (figure only: nbval never compares images)
skip_part = skip_sentence(study, {"members": (), "activities": ("member_id",)}, what_zh="计算平台参与度",
                          what_en="platform participation was not computed", lang=LANG)
if skip_part:
    print(skip_part)
else:
    with explain_warnings(LANG):
        participation = study_participation(study)
    fig, ax = plt.subplots(figsize=(10, 6))
    _ = plot_participation_calendar(participation, value="heat", lang=LANG, ax=ax)
