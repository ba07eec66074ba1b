"""Report section: intervention effects on retailer satisfaction (order 50).

The section needs interventions, a retailer survey with its customers and units,
and a codebook with satisfaction items. It is skipped, with one sentence, when
the survey has a single wave, when fewer than two branches answered, or when no
branch starts an intervention inside the survey window (every branch always or
never treated: nothing varies within a unit). The interpretation next to the
estimates — pre-trend tests, branches per adoption cohort, co-timing of the
interventions — is computed from the fitted models and the adoption calendar.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from fusion_study.data.periods import period_from_number, period_number
from fusion_study.effects.study import SEVERAL_ESTIMAND
from fusion_study.reporting.labels import label
from fusion_study.reporting.sections import Figure, SectionSkipped, Table, Text, register_section

#: evaluate_interventions' estimand and estimator names -> catalogue keys
_ESTIMANDS = {"ATT (simple)": "att_simple", "ATT (event-time average)": "att_dynamic", "ATT (naive)": "att_naive",
             "ATT net of other interventions": "att_net"}
_ESTIMATORS = {"CS-DiD (RC, DR)": "cs_did_rc_dr", "TWFE (branch + wave)": "twfe_branch_wave",
               "before/after": "before_after", "treated vs untreated": "treated_vs_untreated",
               "imputation (several interventions)": "imputation_several"}
#: a cohort resting on fewer branches than this is flagged
_FEW_BRANCHES = 2
#: fewer clustered branches than this: cluster-robust SEs are unreliable
_FEW_CLUSTERS = 20


def _t(lang: str, zh: str, en: str) -> str:
    return zh if lang == "zh" else en


def _fmt_p(p: float) -> str:
    return "p<0.001" if p < 0.001 else f"p={p:.2f}" if p >= 0.01 else f"p={p:.3f}"


def _window(study) -> tuple[int, int, list[str]]:
    waves = sorted(set(study.customer_survey["wave"].dropna().astype(str)), key=period_number)
    nums = [period_number(w) for w in waves]
    return (min(nums), max(nums), waves) if nums else (0, -1, waves)


def _check_design(study):
    """Raise :class:`SectionSkipped` for studies that cannot support the DiD; return (waves, cohorts, branches)."""
    from fusion_study.effects.study import adoption_cohorts

    what_zh, what_en = "因此未估计干预效应", "so intervention effects were not estimated"
    cb = getattr(study, "codebook", None)
    items = set()
    if cb is not None and {"item_id", "instrument", "scale"} <= set(cb.columns):
        sat = cb[(cb["instrument"] == "customer_survey") & (cb["scale"] == "satisfaction")]
        items = set(sat["item_id"].astype(str)) & set(study.customer_survey.columns)
    if not items:
        raise SectionSkipped(
            zh=f"本节需要码本中属于客户满意度量表（scale = satisfaction）且出现在问卷中的题目，本研究未提供，{what_zh}。",
            en=f"This section needs survey items of the satisfaction scale (scale = satisfaction in the codebook), "
               f"which this study does not provide, {what_en}.",
        )
    first, last, waves = _window(study)
    if len(waves) < 2:
        one = waves[0] if waves else "—"
        raise SectionSkipped(
            zh=f"本研究只有一期客户调查（{one}），无法比较干预推行前后满意度的变化，{what_zh}；"
               "至少需要推行前后各一期调查。",
            en=f"This study has a single survey wave ({one}): satisfaction cannot be compared before and after an "
               f"intervention, {what_en}. At least one wave before and one after a rollout are needed.",
        )
    answered = study.customer_survey[["customer_id"]].merge(study.customers[["customer_id", "branch_id"]],
                                                             on="customer_id", how="inner")
    branches = sorted(set(answered["branch_id"].dropna().astype(str)))
    if len(branches) < 2:
        raise SectionSkipped(
            zh=f"调查答卷只来自{len(branches)}个支部：推行与尚未推行的支部无法相互比较，{what_zh}。",
            en=f"Survey answers come from {len(branches)} branch(es) only: adopting and not-yet-adopting branches "
               f"cannot be compared, {what_en}.",
        )
    coh = adoption_cohorts(study)
    coh = coh[coh["branch_id"].astype(str).isin(branches)]
    g = coh["cohort_programme"]
    inside = g[(g > first) & (g <= last)]
    if inside.empty:
        span = f"{waves[0]}–{waves[-1]}"
        raise SectionSkipped(
            zh=f"调查期（{span}）内没有支部开始推行干预措施：每个支部在各期调查中要么一直已推行、要么一直未推行，"
               f"推行前后无法比较，{what_zh}。",
            en=f"No branch starts an intervention within the survey window ({span}): every branch is either always "
               f"or never treated across the waves, so nothing can be compared before and after, {what_en}.",
        )
    return waves, coh, branches


@register_section("effects", order=50, title_zh="干预措施对客户满意度的影响", title_en="Intervention effects on satisfaction",
                  needs={"interventions": ("unit_id", "intervention", "start_period"),
                         "customer_survey": ("response_id", "customer_id", "wave"),
                         "customers": ("customer_id", "branch_id"),
                         "units": ("unit_id", "level", "parent_id")},
                  what_zh="估计干预效应", what_en="intervention effects were not estimated")
def build(study, ctx):
    """Effects net of the other interventions with their identification, the CS-DiD table (naive estimators
    beside it), its interpretation, the event study."""
    import matplotlib.pyplot as plt

    from fusion_study.effects.plots import plot_event_study, plot_intervention_effects
    from fusion_study.effects.staggered import DiDSpecificationError
    from fusion_study.effects.study import evaluate_interventions

    lang = ctx.lang
    waves, coh, branches = _check_design(study)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            table, models = evaluate_interventions(study, return_models=True)
    except DiDSpecificationError as exc:
        raise SectionSkipped(
            zh="现有调查与干预数据不足以进行交错双重差分估计（例如干预指示变量在支部内没有变化），因此未估计干预效应。",
            en=f"The survey and intervention data cannot support the staggered DiD ({exc}), "
               "so intervention effects were not estimated.",
        ) from exc
    cs = table[table["estimator"] == "CS-DiD (RC, DR)"]
    if cs["estimate"].notna().sum() == 0:
        raise SectionSkipped(
            zh="没有一项干预能在调查期内估计（推行批次在调查各期缺少答卷或对照支部），因此未估计干预效应。",
            en="No intervention could be estimated within the survey window (its cohorts lack responses or "
               "comparison branches), so intervention effects were not estimated.",
        )
    several = table["intervention"].nunique() > 1
    net_zh = net_en = ""
    if "several" in models:
        net_zh = ("第一张表给出每项干预扣除其他干预后的效应（插补法，各项干预同时放入同一模型）及其能否单独识别；"
                  "第二张表")
        net_en = ("The first table gives each intervention's effect net of the others (imputation, every "
                  "intervention in one model) and whether it can be identified on its own; the second table")
    yield Text(
        zh=(
            "各项干预按支部分批推行（交错推行），且先推行的多为基础较强的支部，简单的前后对比或"
            "干预/未干预对比会把支部差异和共同趋势误当作干预效果。" + (net_zh or "下表") + "采用 Callaway–Sant'Anna "
            "交错双重差分（问卷各期视为重复截面，以尚未推行的支部为对照，标准误按支部聚类），"
            "并列出朴素估计以供对照。"
        ),
        en=(
            "Interventions were rolled out branch by branch (staggered), stronger branches first, so naive "
            "before/after or treated/untreated comparisons mistake branch differences and the common trend for "
            "effects. " + (net_en or "The table") + " uses Callaway–Sant'Anna staggered DiD (survey waves as "
            "repeated cross-sections, not-yet-treated branches as comparisons, SEs clustered by branch) with the "
            "naive estimates beside it."
        ),
    )
    if "several" in models:
        net, net_zh, net_en = _net_frame(table, models["several"].identification_, lang)
        yield Table(
            "effects_net_table",
            net,
            caption_zh="各项干预扣除其他干预后的平均处理效应及识别诊断（满意度指数，0–100）",
            caption_en="Each intervention's effect net of the others, with its identification diagnostics "
                       "(satisfaction index, 0–100)",
            notes_zh=net_zh,
            notes_en=net_en,
            decimals={"estimate": 2, "se": 2, "ci_lower": 2, "ci_upper": 2},
            p_column="p_value",
        )
        yield Text(**_identification_sentences(models["several"].identification_))
    show, notes_zh, notes_en = _effects_frame(table, study, ctx)
    yield Table(
        "effects_table",
        show,
        caption_zh="干预措施对满意度指数（0–100）的平均处理效应",
        caption_en="Average effects of the interventions on the satisfaction index (0–100)",
        notes_zh=notes_zh,
        notes_en=notes_en,
        decimals={"estimate": 2, "se": 2, "ci_lower": 2, "ci_upper": 2, "pretrend_p": 3},
        p_column="p_value",
    )
    yield Text(**_interpretation(table, models, coh, waves, several))
    n_net = int(((table["estimand"] == SEVERAL_ESTIMAND) & table["estimate"].notna()).sum())
    fig, ax = plt.subplots(figsize=(7.5, max(3.0, 0.45 * (len(show) + n_net) + 1.2)))
    plot_intervention_effects(table, lang=lang, ax=ax)
    fig.tight_layout()
    yield Figure("effects_forest", fig, caption_zh="各项干预的效应估计与朴素估计对比",
                 caption_en="Effect estimates by intervention, with the naive estimates")
    if "programme" in models:
        fig2, ax2 = plt.subplots(figsize=(7, 4))
        plot_event_study(models["programme"].aggregate("dynamic"), lang=lang, ax=ax2)
        fig2.tight_layout()
        yield Figure("effects_event_study", fig2, caption_zh="整体项目的事件研究（相对首次推行的季度）",
                     caption_en="Event study of the whole programme (quarters since first adoption)")


def _effects_frame(table: pd.DataFrame, study, ctx) -> tuple[pd.DataFrame, str, str]:
    """The displayed effect table (labelled values, pre-trend p beside each CS-DiD row) and its notes."""
    lang = ctx.lang
    pre = table[table["estimand"] == "pre-trend test"].set_index("intervention")["p_value"]
    rows = table[(table["estimand"] != "pre-trend test") & (table["estimand"] != SEVERAL_ESTIMAND)
                 & table["estimate"].notna()].copy()
    show = pd.DataFrame({
        "intervention": rows[f"label_{lang}"].to_numpy(),
        "estimand": [label(_ESTIMANDS.get(e, e), lang) for e in rows["estimand"]],
        "estimator": [label(_ESTIMATORS.get(e, e), lang) for e in rows["estimator"]],
        "estimate": rows["estimate"].to_numpy(float), "se": rows["se"].to_numpy(float),
        "ci_lower": rows["ci_lower"].to_numpy(float), "ci_upper": rows["ci_upper"].to_numpy(float),
        "p_value": rows["p_value"].to_numpy(float),
        "pretrend_p": [pre.get(i, np.nan) if e == "CS-DiD (RC, DR)" else np.nan
                       for i, e in zip(rows["intervention"], rows["estimator"])],
        "n": rows["n"].to_numpy(int),
    })
    zh = ["CS-DiD：交错双重差分（重复截面、双重稳健）；95% 置信区间；事前趋势检验p值：推行前各期效应均为零的 Wald 检验。"]
    en = ["CS-DiD: staggered difference-in-differences (repeated cross-sections, doubly robust); 95% CIs; "
          "pre-trend p: Wald test that every pre-treatment event-time effect is zero."]
    if (rows["estimand"] == "ATT (naive)").any():
        zh.append("朴素估计仅供对照：双向固定效应在交错推行且效应随时间增长时有偏，前后对比忽略共同趋势，"
                  "处理组对未处理组忽略先推行支部基础更强；后两者的标准误未按支部聚类。")
        en.append("Naive estimates for contrast only: TWFE is biased under staggered adoption with growing effects, "
                  "before/after ignores the common trend, treated vs untreated ignores that early adopters are "
                  "stronger; the last two SEs ignore clustering.")
    ledger = ctx.extra.get("screening_ledger")
    screened = len(ledger.excluded_rows("customer_survey")) if ledger is not None else 0
    if screened:
        zh.append(f"问卷筛查剔除的 {screened} 份答卷（速答、直线作答、重复提交等）未纳入估计。")
        en.append(f"{screened} responses excluded by screening (speeders, straight-liners, duplicates) are left out.")
    lost = table.loc[table["estimate"].isna() & ~table["estimand"].isin(["pre-trend test", SEVERAL_ESTIMAND]),
                     f"label_{lang}"]
    if len(lost):
        zh.append("无法估计（推行批次在调查各期缺少答卷或对照支部）：" + "、".join(lost) + "。")
        en.append("Not estimable (cohorts without responses or comparison branches in the window): "
                  + ", ".join(lost) + ".")
    return show, " ".join(zh), " ".join(en)


def _interpretation(table: pd.DataFrame, models: dict, coh: pd.DataFrame, waves: list[str], several: bool) -> dict:
    """The sentences that qualify the estimates: pre-trends, branches per cohort, co-timing (zh and en)."""
    zh, en = [], []
    pre = table[(table["estimand"] == "pre-trend test") & table["p_value"].notna()]
    bad = pre[pre["p_value"] < 0.05]
    good = pre[pre["p_value"] >= 0.05]
    if len(bad):
        which_zh = "、".join(f"{n}（{_fmt_p(p)}）" for n, p in zip(bad["label_zh"], bad["p_value"]))
        which_en = ", ".join(f"{n} ({_fmt_p(p)})" for n, p in zip(bad["label_en"], bad["p_value"]))
        zh.append(f"事前趋势检验发现推行前各期已有差异：{which_zh}。下表这些估计可能有偏，应谨慎解读。")
        en.append(f"The pre-trend test finds differences before the rollout: {which_en}. These estimates may be "
                  "biased; interpret them with caution.")
    if len(good):
        which_zh = "、".join(f"{n}（{_fmt_p(p)}）" for n, p in zip(good["label_zh"], good["p_value"]))
        which_en = ", ".join(f"{n} ({_fmt_p(p)})" for n, p in zip(good["label_en"], good["p_value"]))
        zh.append(f"未发现推行前差异：{which_zh}，平行趋势假设未被数据否定。")
        en.append(f"No pre-rollout differences found: {which_en}; the data do not reject parallel trends.")
    untested = table[(table["estimand"] == "pre-trend test") & table["p_value"].isna()]
    if len(untested):
        zh.append("、".join(untested["label_zh"]) + "：推行前的调查期数不足，无法检验事前趋势。")
        en.append(", ".join(untested["label_en"]) + ": too few waves before the rollout to test pre-trends.")
    zh.append("\n\n")
    en.append("\n\n")
    # branches per adoption cohort (of the whole programme, inside the survey window)
    first, last = period_number(waves[0]), period_number(waves[-1])
    g = coh["cohort_programme"]
    inside = g[(g > first) & (g <= last)].value_counts().sort_index()
    n_branches = len(coh)
    per = "、".join(f"{period_from_number(int(c))} {n} 个" for c, n in inside.items())
    per_en = ", ".join(f"{period_from_number(int(c))}: {n}" for c, n in inside.items())
    zh.append(f"整体项目在调查期内按首次推行季度分为 {len(inside)} 批（{per}），共 {n_branches} 个支部参与比较。")
    en.append(f"Within the survey window the programme was adopted in {len(inside)} cohort(s) by first-adoption "
              f"quarter ({per_en} branches); {n_branches} branches enter the comparison.")
    thin = inside[inside < _FEW_BRANCHES]
    prog = models.get("programme")
    cells = (len(prog.few_clusters_), len(prog.att_gt_)) if prog is not None else (0, 0)
    if len(thin) or cells[0]:
        zh.append(f"其中 {len(thin)} 批只有 1 个支部"
                  + (f"，整体项目的 {cells[1]} 个分批分期效应中有 {cells[0]} 个的推行组或对照组只来自一个支部" if cells[0] else "")
                  + "：这些估计只依赖单个支部，按支部聚类的标准误可能偏小，置信区间应视为偏窄。")
        en.append(f"{len(thin)} cohort(s) hold a single branch"
                  + (f"; {cells[0]} of the programme's {cells[1]} group-time effects rest on one treated or "
                     "comparison branch" if cells[0] else "")
                  + ": these estimates depend on a single branch, their clustered SEs may be too small and the "
                    "intervals too narrow.")
    if n_branches < _FEW_CLUSTERS:
        zh.append(f"参与比较的支部只有 {n_branches} 个（少于 {_FEW_CLUSTERS} 个），按支部聚类的标准误在支部较少时不够可靠，"
                  "p 值宜保守看待。")
        en.append(f"Only {n_branches} branches are compared (fewer than {_FEW_CLUSTERS}); branch-clustered SEs are "
                  "unreliable with few clusters, so read the p-values conservatively.")
    zh.append("\n\n")
    en.append("\n\n")
    if several:
        cols = [c for c in coh.columns if c.startswith("cohort_") and c != "cohort_programme"]
        starts = coh[cols].where(coh[cols] > 0)
        multi = starts.notna().sum(axis=1) >= 2
        if multi.any():
            spread = (starts.max(axis=1) - starts.min(axis=1))[multi]
            same = int((spread == 0).sum())
            zh.append(f"{int(multi.sum())} 个支部推行了两项及以上干预，同一支部各项干预的启动时间相差 "
                      f"{int(spread.min())}–{int(spread.max())} 个季度（{same} 个支部同季度启动）："
                      "本表中单项干预的交错双重差分估计包含同期其他干预的影响，仅供对照，不能归于该项干预本身；"
                      "各项干预本身的效应见上表（扣除其他干预后的估计）；“整体项目”一行（以支部首次推行为准）识别最清楚。")
            en.append(f"{int(multi.sum())} branches adopted two or more interventions, started "
                      f"{int(spread.min())}–{int(spread.max())} quarters apart ({same} in the same quarter): each "
                      "single-intervention CS-DiD estimate in this table includes the co-timed others and is shown "
                      "for contrast only, not as that intervention's own effect (which is in the table of effects "
                      "net of the others above); the whole-programme row (first adoption) is the cleanly identified one.")
    return {"zh": "".join(zh).strip(), "en": " ".join(en).replace(" \n\n ", "\n\n").strip()}


def _fmt_vif(v: float) -> str:
    """A variance inflation factor for display: one decimal, ``∞`` when the intervention cannot be separated."""
    return f"{v:.1f}" if np.isfinite(v) else "∞"


def _net_frame(table: pd.DataFrame, ident: pd.DataFrame, lang: str) -> tuple[pd.DataFrame, str, str]:
    """The per-intervention table of effects net of the others, with identification columns; refused: no number."""
    rows = table[table["estimand"] == SEVERAL_ESTIMAND]
    idf = ident.assign(intervention=ident["intervention"].astype(str)).set_index("intervention")
    yes, no = _t(lang, "是", "yes"), _t(lang, "否", "no")
    show = pd.DataFrame({
        "intervention": rows[f"label_{lang}"].to_numpy(),
        "estimate": rows["estimate"].to_numpy(float), "se": rows["se"].to_numpy(float),
        "ci_lower": rows["ci_lower"].to_numpy(float), "ci_upper": rows["ci_upper"].to_numpy(float),
        "p_value": rows["p_value"].to_numpy(float),
        "n_switch_alone": [int(idf.loc[i, "n_switch_alone"]) for i in rows["intervention"]],
        "vif": [_fmt_vif(float(idf.loc[i, "vif"])) for i in rows["intervention"]],
        "identified": [yes if bool(idf.loc[i, "identified"]) else no for i in rows["intervention"]],
    })
    zh = ("插补法：用尚未受任何干预影响的答卷估计支部效应和季度效应，再把各项干预同时放入同一模型，"
          "得到每项干预扣除其他干预后的平均处理效应；标准误按支部聚类，95% 置信区间。"
          "单独启动该项干预的支部数：该项干预启动的季度没有其他干预同时启动的支部；方差膨胀因子越大，"
          "该项干预与其他干预的推行时间越重叠，估计越不精确（∞ = 无法区分）。无法单独识别的干预不给出数值。")
    en = ("Imputation: branch and quarter effects are estimated on the responses not yet exposed to any "
          "intervention, then every intervention enters one model, giving each one's ATT net of the others; "
          "SEs clustered by branch, 95% CIs. Branches starting it alone: branches where no other intervention "
          "starts in the same quarter; the larger the variance inflation factor, the more its timing overlaps "
          "the others' and the less precise the estimate (∞ = cannot be told apart). Interventions that "
          "cannot be identified on their own get no number.")
    return show, zh, en


def _identification_sentences(ident: pd.DataFrame) -> dict:
    """Whether the rollout separates the interventions, then each one's verdict and reason (zh and en)."""
    ok = ident["identified"].astype(bool).to_numpy()
    if ok.all():
        zh = ["推行时间足以把各项干预的效应相互区分开。"]
        en = ["The rollout separates every intervention's effect from the others'."]
    elif ok.any():
        zh = [f"推行时间只能把 {int(ok.sum())} 项干预的效应与其他干预分开，{int((~ok).sum())} 项不能（上表不给数值）。"]
        en = [f"The rollout separates {int(ok.sum())} intervention(s) from the others; {int((~ok).sum())} cannot "
              "be told apart (no number in the table above)."]
    else:
        zh = ["推行时间无法把任何一项干预的效应与其他干预分开（上表不给数值），只有“整体项目”的效应可以估计。"]
        en = ["The rollout does not separate any intervention's effect from the others' (no numbers in the table "
              "above); only the whole programme's effect can be estimated."]
    for r_zh, r_en in zip(ident["reason_zh"], ident["reason_en"]):
        zh.append(str(r_zh) if str(r_zh).endswith("。") else f"{r_zh}。")
        en.append(str(r_en) if str(r_en).endswith(".") else f"{r_en}.")
    return {"zh": "".join(zh), "en": " ".join(en)}
