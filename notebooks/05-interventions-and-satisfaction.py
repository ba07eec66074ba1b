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
# # 05 · 干预措施与客户满意度（Interventions and retailer satisfaction）
#
# **研究问题**：品牌、三支团队、赛马积分平台和急难愁盼机制，是否提高了零售户的满意度和依存度？提高了多少？
#
# The question the toolkit exists for. The recommended analysis is **staggered
# difference-in-differences** (交错双重差分, Callaway–Sant'Anna): each group of branches that adopted in
# the same quarter is compared with branches that had not adopted yet, which removes both the common
# trend and the fact that stronger branches adopted first.
#
# By default the notebook runs on the bundled example study (simulated "P city" data, so the true
# effects are known and we can check the answer). To run it on your own study, set `STUDY` below to
# your study folder, or run `fusion-study notebooks STUDY --out DIR --only 05`. Every sentence of
# conclusions is computed from the results; steps your study cannot support say why and are skipped.

# %% tags=["parameters"]
STUDY = None  # a study folder; None = the bundled example study
LANG = "zh"  # language of the sentences and figures: "zh" or "en"
SEED = 20240101
OUT = "out"  # where the result tables are written

# %%
from pathlib import Path

import pandas as pd
from IPython.display import display

from fusion_study import load_study, screen_study
from fusion_study.data.paths import example_study_path
from fusion_study.effects import (
    DiDSpecificationError,
    adjust_pvalues,
    adoption_cohorts,
    evaluate_interventions,
    exposures,
    plot_intervention_effects,
    staggered_did,
)
from fusion_study.reporting.labels import label
from fusion_study.reporting.notebook import notebook_setup
from fusion_study.reporting.plain import (
    describe_cotiming,
    describe_effect,
    describe_frame,
    describe_net_effects,
    describe_truth,
    effects_skip_sentence,
    explain_warnings,
    skip_sentence,
    summarise_effects,
)

rng = notebook_setup(seed=SEED, lang=LANG)
folder = Path(STUDY) if STUDY else example_study_path()
out = Path(OUT)
study, screening = screen_study(load_study(folder))
has_truth = (folder / "truth.json").exists()  # only simulated studies know their true effects
no_frame = skip_sentence(study, {"customer_survey": (), "customers": (), "units": ()},
                         what_zh="整理分析数据", what_en="no analysis frame was built", lang=LANG)
frame = None
if no_frame:
    print(no_frame)
else:
    with explain_warnings(LANG):
        frame = exposures(study)
    print(describe_frame(frame, LANG))
    shown = [c for c in ("satisfaction", "dependency") if c in frame]
    shown += ["contacts_vanguard_team"] * ("activities" in study) + ["tickets_opened"] * ("tickets" in study)
    display(frame[shown].describe().round(2))
skip = effects_skip_sentence(study, frame, lang=LANG) if frame is not None else no_frame

# %% [markdown]
# ## 1. 效应总表（The effect table）
# 满意度指数 0–100 分。每项干预先是一行"扣除其他干预后的效应"（ATT net of other interventions，见第 2 节；
# 推行时间无法把它与其他干预分开时不给数值），然后是交错双重差分的"ATT (simple)"（推行后的平均效应，含同期
# 推行的其他干预，仅供对照）和一行推行前检验（pre-trend test）；最后几行是朴素估计，供对照。

# %%
table = models = None
if skip:
    print(skip)
else:
    with explain_warnings(LANG):
        table, models = evaluate_interventions(study, return_models=True)
    out.mkdir(parents=True, exist_ok=True)
    table.to_csv(out / "effects_satisfaction.csv", index=False, encoding="utf-8-sig")
    display(table[[f"label_{LANG}", "estimand", "estimator", "estimate", "se", "ci_lower", "ci_upper",
                   "p_value"]].round(2))

# %%
if table is not None:
    ax = plot_intervention_effects(table, lang=LANG)
    _ = ax.set_title({"zh": "各项干预对满意度的平均效应（95% 置信区间）",
                      "en": "Average effect of each intervention on satisfaction (95% CI)"}[LANG])

# %% [markdown]
# **怎么读**：红点是交错双重差分估计，灰点是朴素估计。"前后对比"把满意度的共同上升趋势算成干预效果，
# "干预/未干预对比"把先行支部本来较高的满意度算成干预效果；双向固定效应（TWFE）在效应逐季增强时把已推行支部
# 当作对照，可能偏低。
#
# 各项干预若在同一支部内几乎同时推行，单项干预的估计就包含了同期其他干预的影响，其"推行前"时期往往已是
# 其他干预的"推行后"时期，推行前检验因此常被拒绝——这时**"整体项目"一行最可靠**。下面的句子由本研究的
# 结果生成：效应的方向与证据强弱按置信区间判断，推行前检验、聚类数和同期推行情况紧随其后。

# %%
if table is not None:
    for sentence in summarise_effects(table, models, LANG, n_clusters=frame["branch_id"].nunique()):
        print("•", sentence)
    print("•", describe_cotiming(adoption_cohorts(study), LANG))

# %% [markdown]
# 与模拟数据的真值对照（只有模拟研究的文件夹里有 `truth.json`；你自己的研究没有真值，这一步会跳过）：

# %%
if table is not None and has_truth:
    from fusion_study.simulate import Truth

    truth = Truth.load(folder / "truth.json").overall_att()
    est = table[table["estimand"] == "ATT (simple)"].set_index("intervention")[["estimate", "ci_lower", "ci_upper"]]
    display(est.join(truth.set_index("intervention")["att_index"].rename("truth")).round(2))
    print(describe_truth(est.loc["programme"], truth.set_index("intervention").loc["programme", "att_index"], LANG))
elif table is not None:
    print({"zh": "本研究文件夹中没有 truth.json（真实研究没有已知真值），跳过与真值的对照。",
           "en": "The study folder has no truth.json (a real study has no known truth); no comparison with it."}[LANG])

# %% [markdown]
# ## 2. 每项干预本身的效应（Each intervention's own effect, net of the others）
#
# 上表中单项干预的交错双重差分，把同一支部前后几个季度推行的其他干预也算了进去。**插补法**（imputation,
# Borusyak–Jaravel–Spiess）把六项干预同时放进一个模型：先只用尚未推行任何干预的答卷估计支部效应和季度效应，
# 推算每份已推行答卷"如果没有干预"的满意度，再把差值分给当时已推行的各项干预。这只有在推行时间把各项干预
# 错开时才行得通，所以先看**识别诊断**：单独启动某项干预的支部数（那个季度没有其他干预同时启动）、方差膨胀
# 因子（VIF，越大说明它与其他干预的推行时间越重叠；大于 10 或无法区分时不给数值，只说明原因）。
#
# The imputation estimator puts every intervention in one model; it can only separate them when the rollout
# staggers them. The identification diagnostics say whether it does; a refused intervention gets a sentence,
# not a number.

# %%
ident = None
if table is not None and "several" in models:
    ident = models["several"].identification_
    cols = {"intervention": label("intervention", LANG), "n_switch_alone": label("n_switch_alone", LANG),
            "n_exposed_alone": label("n_exposed_alone", LANG), "vif": label("vif", LANG),
            "identified": label("identified", LANG)}
    yes_no = {"zh": {True: "是", False: "否"}, "en": {True: "yes", False: "no"}}[LANG]
    display(ident.assign(intervention=[label(i, LANG) for i in ident["intervention"]],
                         identified=ident["identified"].astype(bool).map(yes_no))[list(cols)]
            .rename(columns=cols).round(1))
    true_att = None
    if has_truth:
        from fusion_study.simulate import Truth

        true_att = Truth.load(folder / "truth.json").overall_att().set_index("intervention")["att_index"]
        net = table[table["estimand"] == "ATT net of other interventions"].set_index("intervention")
        display(net[["estimate", "ci_lower", "ci_upper"]].join(true_att.rename("truth")).round(2))
    for sentence in describe_net_effects(table, ident, LANG, truth=true_att):
        print("•", sentence)
elif table is not None:
    print({"zh": "本研究只有一项干预，无需扣除其他干预。",
           "en": "The study has a single intervention: there is nothing to net out."}[LANG])

# %% [markdown]
# **如果推行时间错开会怎样？** 示例研究（P 市）里各项干预都在支部首次推行后 0–3 个季度内陆续启动，
# 上面的诊断因此最多只能分开少数几项（单独启动它们的支部只有三四个，置信区间很宽）。下面用同一模拟器、同样的支部强弱与"强支部先推行"，只把每项干预的启动
# 季度改为各自独立抽取（`rollout_lags="independent"`），看同样的分析能否找回每项干预的真实效应。
# 只在使用示例研究时运行。
#
# What if the rollout had staggered the interventions? On the example only the interventions a few branches
# started alone are separated, with wide intervals. The same simulator with each intervention's start
# drawn on its own (strength confounding unchanged); run only on the bundled example.

# %%
if STUDY is None and table is not None:
    from fusion_study.simulate import simulate_study

    sim, sim_truth = simulate_study("p_city", seed=SEED, rollout_lags="independent")
    with explain_warnings(LANG):
        sim_table, sim_models = evaluate_interventions(sim, naive=False, return_models=True)
    sim_true = sim_truth.overall_att().set_index("intervention")["att_index"]
    sim_ident = sim_models["several"].identification_.set_index("intervention")
    sim_net = sim_table[sim_table["estimand"] == "ATT net of other interventions"].set_index("intervention")
    display(sim_net[["estimate", "ci_lower", "ci_upper"]].join(sim_true.rename("truth"))
            .join(sim_ident[["n_switch_alone", "vif"]])
            .assign(identified=sim_ident["identified"].astype(bool).map(yes_no)).round(2))
    for sentence in describe_net_effects(sim_table, sim_ident.reset_index(), LANG, truth=sim_true):
        print("•", sentence)

# %% [markdown]
# ## 3. 依存度（Dependency / loyalty）

# %%
skip_dep = skip or effects_skip_sentence(study, frame, outcome="dependency", lang=LANG)
if skip_dep:
    print(skip_dep)
else:
    with explain_warnings(LANG):
        dep = evaluate_interventions(study, outcome="dependency", naive=False, several=False)
    display(dep[dep["estimand"] == "ATT (simple)"][[f"label_{LANG}", "estimate", "se", "ci_lower", "ci_upper"]].round(2))
    prog = dep[(dep["intervention"] == "programme") & (dep["estimand"] == "ATT (simple)")].iloc[0]
    print(describe_effect(prog, LANG, outcome="dependency"))

# %% [markdown]
# ## 4. 对哪些零售户效果更大？（Heterogeneity by segment, Holm-adjusted）
# 按城镇、农村、现代终端分别估计整体项目的效应；多重比较用 Holm 方法校正 p 值（`p_adjusted`）。
# 分组样本较小，区间较宽；一个分组的推行批次或对照太少时，该组不估计并说明原因。

# %%
if skip:
    print(skip)
elif frame["segment"].nunique() < 2:
    print({"zh": "客户表没有区分两类及以上的零售户类型（segment），不做分组比较。",
           "en": "The customers table does not distinguish two or more segments; no comparison by segment."}[LANG])
else:
    rows, labels = [], []
    with explain_warnings(LANG):
        for segment, part in frame.dropna(subset=["satisfaction", "branch_id"]).groupby("segment"):
            try:
                res = staggered_did(part, outcome="satisfaction", unit="response_id", time="period",
                                    cohort="cohort_programme", panel=False, cluster="branch_id")
            except DiDSpecificationError as exc:
                print({"zh": f"{label(f'segment.{segment}', LANG)}：无法估计（{exc}）。",
                       "en": f"{label(f'segment.{segment}', LANG)}: not estimable ({exc})."}[LANG])
                continue
            rows.append(res.aggregate("simple").iloc[0][["estimate", "se", "ci_lower", "ci_upper", "p_value"]])
            labels.append(segment)
    if rows:
        by_segment = adjust_pvalues(pd.DataFrame(rows, index=labels), method="holm")  # adds p_adjusted (Holm)
        display(by_segment.round(3))
        for segment, row in by_segment.iterrows():
            print("•", describe_effect(row, LANG, what=label(f"segment.{segment}", LANG)))

# %% [markdown]
# ## 给政策部门的简要结论（Plain-language summary）
#
# 上面第 1、2 节的句子就是结论：整体项目的效应有多大、证据有多强，推行前检验是否支持平行趋势，
# 支部数是否足以让置信区间可信。读的时候记住三点：
#
# * 分析前已按问卷筛查规则剔除了答题过快、连续同一答案等无效问卷（记录在台账中）；
# * 朴素估计（前后对比、干预/未干预对比）把共同趋势和"强支部先推行"都算成了效果，不能用来评价干预；
# * 单项干预的效应只有在推行时间把各项干预错开时才能单独估计（第 2 节的识别诊断）；同时推行时只能评价
#   整体项目，要归因于某一项措施，需要错开推行时间（例如用 `plan_rollout` 制定推行计划）或随机试点。
