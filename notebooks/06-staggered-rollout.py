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
# This notebook shows (1) what a naive analysis reports, (2) why TWFE is pulled away from the
# average effect (Goodman-Bacon decomposition), (3) the Callaway–Sant'Anna event study that
# fusion_study recommends, with its pre-trend test, and (4) how robust the conclusion is if parallel
# trends fail a little (HonestDiD). By default it runs on the bundled example study (simulated "P city"
# data with a known truth); set `STUDY` to your own study folder to run it on yours. The sentences
# under each result are computed from it.

# %% tags=["parameters"]
STUDY = None  # a study folder; None = the bundled example study
LANG = "zh"  # language of the sentences and figures: "zh" or "en"
SEED = 20240101
OUT = "out"  # where the result tables are written

# %%
from pathlib import Path

import numpy as np
from IPython.display import display

from fusion_study import load_study, screen_study
from fusion_study.data.paths import example_study_path
from fusion_study.effects import (
    bacon_decomposition,
    exposures,
    honest_did,
    naive_before_after,
    naive_treated_vs_untreated,
    staggered_did,
    twfe_event_study,
)
from fusion_study.reporting.notebook import notebook_setup
from fusion_study.reporting.plain import (
    describe_bacon,
    describe_effect,
    describe_few_clusters,
    describe_frame,
    describe_honest,
    describe_pretrend,
    describe_truth,
    effects_skip_sentence,
    explain_warnings,
    skip_sentence,
)

rng = notebook_setup(seed=SEED, lang=LANG)
folder = Path(STUDY) if STUDY else example_study_path()
out = Path(OUT)
study, screening = screen_study(load_study(folder))
has_truth = (folder / "truth.json").exists()  # only simulated studies know their true effects
skip = skip_sentence(study, {"customer_survey": (), "customers": (), "units": ()},
                     what_zh="整理分析数据", what_en="no analysis frame was built", lang=LANG)
frame = None
if not skip:
    with explain_warnings(LANG):
        frame = exposures(study)
    frame = frame.dropna(subset=["satisfaction"]) if "satisfaction" in frame else frame
    skip = effects_skip_sentence(study, frame, lang=LANG)
if skip:
    print(skip)
else:
    print(describe_frame(frame, LANG))
true_att = None
if has_truth and not skip:
    from fusion_study.simulate import Truth

    true_att = Truth.load(folder / "truth.json").overall_att().set_index("intervention").loc["programme", "att_index"]
    print({"zh": f"模拟数据中整体项目的真实效应：{true_att:.2f} 分", "en": f"true programme ATT (simulated): {true_att:.2f}"}[LANG])

# %% [markdown]
# ## 1. 朴素估计（What a naive analysis reports）
# 满意度指数为 0–100 分。"前后对比"把共同趋势算作效果；"干预/未干预对比"把先行支部本来就更好的满意度算作效果；
# TWFE 则把已推行支部当作对照组使用。

# %%
kw = dict(outcome="satisfaction", time="period", cohort="cohort_programme")
naive = {}
if skip:
    print(skip)
else:
    with explain_warnings(LANG):
        naive = {
            "before/after 前后对比": naive_before_after(frame, **kw)["estimate"].iloc[0],
            "treated vs untreated 干预/未干预": naive_treated_vs_untreated(frame, **kw)["estimate"].iloc[0],
            "TWFE 双向固定效应": twfe_event_study(frame, unit="branch_id", cluster="branch_id", **kw)["estimate"].iloc[0],
        }
    for name, value in naive.items():
        print(f"{name:34s} {value:6.2f}" + (f"   (truth {true_att:.2f})" if true_att is not None else ""))

# %% [markdown]
# ## 2. TWFE 的构成：Goodman-Bacon 分解
# TWFE 系数是所有 2×2 比较的加权平均，其中"后推行 vs 先推行"的比较把已受干预的支部当作对照——效果还在增长时，
# 这些比较会把估计拉低（甚至变号）。分解用支部 × 季度的平均满意度（平衡面板：每期都有答卷的支部）。

# %%
if skip:
    print(skip)
else:
    panel = frame.groupby(["branch_id", "period"], as_index=False).agg(
        satisfaction=("satisfaction", "mean"), cohort_programme=("cohort_programme", "first")
    )
    panel = panel[panel.groupby("branch_id")["period"].transform("size") == panel["period"].nunique()]
    if panel["cohort_programme"].nunique() < 2:
        print({"zh": "每期都有答卷的支部不足以构成两个推行批次（或推行/未推行两组），无法做 Goodman-Bacon 分解。",
               "en": "Too few branches answered in every wave to form two adoption groups; no Goodman-Bacon "
                     "decomposition."}[LANG])
    else:
        with explain_warnings(LANG):
            bacon = bacon_decomposition(panel, outcome="satisfaction", unit="branch_id", time="period",
                                        cohort="cohort_programme")
        summary = bacon.assign(contrib=bacon["weight"] * bacon["estimate"]).groupby("type")[["weight", "contrib"]].sum()
        display(summary.round(3))
        print(describe_bacon(bacon, LANG))

# %% [markdown]
# ## 3. 推荐方法：Callaway–Sant'Anna 事件研究
# 每个推行批次只与**尚未推行**的支部比较；问卷各期是不同的零售户样本（重复截面），标准误按支部聚类。

# %%
cs = None
if skip:
    print(skip)
else:
    with explain_warnings(LANG):
        cs = staggered_did(frame, unit="response_id", panel=False, cluster="branch_id", **kw)
    out.mkdir(parents=True, exist_ok=True)
    cs.summary().to_csv(out / "event_study_programme.csv", index=False, encoding="utf-8-sig")
    display(cs.summary()[["aggregation", "estimate", "se", "ci_lower", "ci_upper"]].round(2))
    overall = cs.aggregate("simple").iloc[0]
    print(describe_effect(overall, LANG, what={"zh": "整体项目", "en": "The whole programme"}[LANG]))
    print(describe_few_clusters(frame["branch_id"].nunique(), LANG, single=len(cs.few_clusters_),
                                cells=len(cs.att_gt_)))
    if true_att is not None:
        print(describe_truth(overall, true_att, LANG))

# %%
if cs is not None:
    ax = cs.plot(lang=LANG)
    _ = ax.set_title({"zh": "整体项目事件研究（相对首次推行的季度）",
                      "en": "Event study of the whole programme (quarters since first adoption)"}[LANG])

# %% [markdown]
# 推行前各期（负的事件时间）的效应应接近 0：这是平行趋势的检验。推行批次多于支部数时，
# 我们检验按事件时间汇总的推行前效应（自由度更少、更可靠）。

# %%
if cs is not None:
    pretrend = cs.pretrend_test(over="event_time")
    display(pretrend.round(3))
    print(describe_pretrend(pretrend["p_value"].iloc[0], LANG))

# %% [markdown]
# ## 4. 稳健性：如果平行趋势略有偏离（HonestDiD）
# 相对幅度限制 M：推行后趋势偏离不超过推行前最大偏离的 M 倍。M 越大，区间越宽；
# 区间不含 0 的最大 M 即"临界值"。这里取推行前后各 4 个季度；问卷样本较小时推行前的估计波动较大，
# 即使 M 较小区间也会很快变宽——这提醒我们：结论依赖平行趋势假设。

# %%
if cs is None:
    print(skip)
else:
    try:
        with explain_warnings(LANG):
            cs_u = staggered_did(frame, unit="response_id", panel=False, cluster="branch_id", base_period="universal",
                                 **kw)
            honest = honest_did(cs_u, M=[0.0, 0.25, 0.5, 1.0], min_e=-4, max_e=4)
    except (ValueError, np.linalg.LinAlgError) as exc:  # e.g. too few pre-adoption quarters in the window
        print({"zh": f"无法做 HonestDiD 敏感性分析：{exc}", "en": f"No HonestDiD sensitivity analysis: {exc}"}[LANG])
    else:
        display(honest.round(2))
        print(describe_honest(honest, LANG))

# %% [markdown]
# **两点提醒（what the Monte Carlo study taught us, notebook 08）**
#
# * 平行趋势与量纲有关：满意度指数是 0–100 的有界量表。潜在满意度的共同上升趋势，
#   在指数上对基线高的（较强）支部显得略小，于是"平行趋势"在指数上只是近似成立。
#   在模拟研究中这使交错双重差分略有低估（没有共同趋势时偏差为 0）；
#   HonestDiD 的 M 正是用来衡量这类偏离的。(Parallel trends are scale-dependent: on a bounded
#   index a common latent trend becomes slightly different trends for strong and weak branches.)
# * 支部数少时区间偏窄：很多推行批次只有 1–2 个支部时，按支部聚类的标准误偏小，
#   覆盖率低于 95%；支部多的验证设计覆盖率达到 0.95。上面关于聚类数的句子说明了本研究的情况；
#   见 `benchmarks/results/validate_estimators_1000/` 与 notebook 08。

# %% [markdown]
# **结论（for policy staff）**：朴素方法（前后对比、干预/未干预对比）把共同趋势和"强支部先推行"算成效果，
# TWFE 因为把先推行支部当对照而可能偏低；交错双重差分只做干净的比较。第 1 节与第 3 节的数字
# 给出了本研究中它们相差多少，第 3、4 节的句子说明结论在多大程度上依赖平行趋势与支部数。

# %%
if cs is not None and naive:
    ref = cs.aggregate("simple").iloc[0]["estimate"]
    for name, value in naive.items():
        print({"zh": f"{name}：{value:.1f} 分，比交错双重差分（{ref:.1f} 分）{'高' if value > ref else '低'} {abs(value - ref):.1f} 分",
               "en": f"{name}: {value:.1f}, {abs(value - ref):.1f} {'above' if value > ref else 'below'} the staggered DiD ({ref:.1f})"}[LANG])
