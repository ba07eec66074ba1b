"""One bilingual label catalogue for every figure and table.

Labels come from four places, looked up in this order:

1. the glossary of domain and statistical terms below (党业融合, 两张皮, ATT, n …);
2. the scale labels of the standard instruments (:data:`fusion_study.data.instruments.SCALE_LABELS`);
3. the schema: table names and column descriptions (``text_zh`` / ``text_en``);
4. vocabulary values (:data:`fusion_study.data.schema.VOCABULARIES`), as ``"vocabulary.value"``
   (always unambiguous) or as the bare value when only one vocabulary has it.

Codebook items (``text_zh`` / ``text_en``) are looked up with ``codebook=``.
A key the catalogue does not know is returned unchanged, so a figure never fails
on a label; :func:`catalogue` lists every known key.

>>> label("integration", "zh"), label("two_skins", "en")
('党业融合', "'two skins' (party and business work run separately)")
>>> label("segment.rural", "zh"), label("urgent", "en"), label("satisfaction", "zh")
('农村', 'urgent', '客户满意度')
"""

from __future__ import annotations

from functools import lru_cache

import pandas as pd

from fusion_study.data.instruments import SCALE_LABELS
from fusion_study.data.schema import TABLES, VOCABULARIES

__all__ = ["GLOSSARY", "label", "labels", "vocabulary_labels", "catalogue", "check_lang"]

#: Domain and statistical terms: key -> (Chinese, English).
GLOSSARY: dict[str, tuple[str, str]] = {
    # the field
    "integration": ("党业融合", "party-business integration"),
    "party_building": ("党建", "party building"),
    "two_skins": ("两张皮", "'two skins' (party and business work run separately)"),
    "four_fusions": ("四个融合", "the four fusions"),
    "urgent_difficult": ("急难愁盼", "customer-problem mechanism (urgent, difficult, worry, expectation)"),
    "spark": ("星火", "Spark"),
    "branch": ("党支部", "party branch"),
    "county": ("县区局", "county/district bureau"),
    "city": ("市局", "city bureau"),
    "retailer": ("零售客户", "retailer"),
    "retailers": ("零售客户", "retailers"),
    "member": ("党员", "party member"),
    "wave": ("调查波次", "survey wave"),
    "quarter": ("季度", "quarter"),
    "unit": ("单位", "unit"),
    "unit_name": ("单位名称", "unit"),
    "intervention": ("干预措施", "intervention"),
    "rollout": ("实施进度", "rollout"),
    "n_units": ("实施单位数", "units"),
    "start_wave": ("启动季度", "start quarter"),
    "not_yet_treated": ("尚未实施", "not yet started"),
    "never_treated": ("未实施", "never started"),
    "treated": ("已实施", "started"),
    "integration_index": ("党业融合指数", "integration index"),
    "responses": ("有效答卷", "responses"),
    "response_rate": ("应答率", "response rate"),
    "sample_profile": ("样本构成", "sample profile"),
    "ledger": ("筛查记录", "screening ledger"),
    "rule": ("规则", "rule"),
    "action": ("处理", "action"),
    "excluded": ("剔除", "excluded"),
    "flagged": ("标记", "flagged"),
    "table": ("数据表", "table"),
    "variable": ("变量", "variable"),
    "category": ("类别", "category"),
    "total": ("合计", "total"),
    "other": ("其他", "other"),
    # statistics
    "n": ("样本量", "N"),
    "n_rows": ("行数", "rows"),
    "share": ("占比（%）", "share (%)"),
    "percent": ("百分比", "percent"),
    "mean": ("均值", "mean"),
    "sd": ("标准差", "SD"),
    "se": ("标准误", "SE"),
    "median": ("中位数", "median"),
    "min": ("最小值", "min"),
    "max": ("最大值", "max"),
    "estimate": ("估计值", "estimate"),
    "coef": ("系数", "coefficient"),
    "t": ("t值", "t"),
    "z": ("z值", "z"),
    "p": ("p值", "p"),
    "p_value": ("p值", "p"),
    "att": ("平均处理效应（ATT）", "average treatment effect on the treated (ATT)"),
    "did": ("双重差分", "difference-in-differences"),
    "event_time": ("相对实施时间（季度）", "quarters since start"),
    "alpha": ("克朗巴哈α系数", "Cronbach's alpha"),
    "cr": ("组合信度（CR）", "composite reliability (CR)"),
    "ave": ("平均方差抽取量（AVE）", "average variance extracted (AVE)"),
    "loading": ("因子载荷", "factor loading"),
    "kmo": ("KMO值", "KMO"),
    # report furniture
    "note": ("注", "Note"),
    "source": ("资料来源", "Source"),
    "contents": ("目录", "Contents"),
    "report_title": ("党业融合研究报告", "Party-business integration study report"),
    "section_failed": ("本节生成失败", "This section could not be built"),
    "suppressed_note": (
        "“—”表示该格样本量少于{k}人，按小单元格保护规则不予公布。",
        "— suppressed: fewer than {k} respondents (small-cell protection).",
    ),
    "stars_note": ("* p<.05，** p<.01，*** p<.001。", "* p<.05, ** p<.01, *** p<.001."),
    # the standard columns of tidy outputs (one vocabulary across the package)
    "ci_lower": ("置信区间下限", "CI lower"),
    "ci_upper": ("置信区间上限", "CI upper"),
    "p_adjusted": ("校正p值", "Adjusted p"),
    # --- effects (effects/) ---
    "programme": ("整体项目（首个干预）", "whole programme (first adoption)"),
    "event_time_periods": ("相对处理时点（期）", "Periods relative to treatment"),
    "att_axis": ("平均处理效应 ATT", "Average treatment effect (ATT)"),
    "pre_treatment": ("处理前", "pre-treatment"),
    "post_treatment": ("处理后", "post-treatment"),
    "smd_abs": ("标准化均值差 |SMD|", "|standardized mean difference|"),
    "unweighted": ("加权前", "unweighted"),
    "weighted": ("加权后", "weighted"),
    "covariate": ("协变量", "covariate"),
    "coefficient_ci": ("系数及置信区间", "coefficient and confidence interval"),
    "satisfaction_change": ("满意度指数变化（0–100 分）", "Change in satisfaction index (0–100)"),
    "cs_did": ("交错双重差分", "CS-DiD"),
    "twfe_branch_wave": ("双向固定效应", "TWFE (branch + wave)"),
    "before_after": ("前后对比", "before/after"),
    "treated_vs_untreated": ("处理组对未处理组", "treated vs untreated"),
    # the effect table of the report (effects/report.py)
    "estimand": ("估计量", "estimand"),
    "estimator": ("估计方法", "estimator"),
    "att_simple": ("平均处理效应（按批次加权）", "ATT (simple)"),
    "att_dynamic": ("平均处理效应（推行后各期平均）", "ATT (event-time average)"),
    "att_naive": ("朴素估计", "naive estimate"),
    "cs_did_rc_dr": ("交错双重差分", "CS-DiD (RC, DR)"),
    "pretrend_p": ("事前趋势检验p值", "pre-trend test p"),
    # per-intervention effects net of the others (effects.several via effects/study.py)
    "att_net": ("扣除其他干预后的平均处理效应", "ATT net of other interventions"),
    "imputation_several": ("插补法（多项干预）", "imputation (several interventions)"),
    "net_of_others": ("扣除其他干预", "net of others"),
    "identification": ("识别诊断", "identification"),
    "n_switch_alone": ("单独启动该项干预的支部数", "branches starting it alone"),
    "n_exposed_alone": ("只受该项干预影响的观测数", "observations exposed to it alone"),
    "vif": ("方差膨胀因子", "variance inflation factor"),
    "condition_number": ("条件数", "condition number"),
    "identified": ("能否单独识别", "identified"),
    "true_value": ("模拟真值", "true value"),
    # --- members, brands, problems, participation ---
    # brand types (brands.distinctiveness FLAGS): full names and the short tags of the heat-map
    "brand_distinctive": ("特色品牌", "distinctive brand"),
    "brand_generic": ("空泛品牌", "generic brand"),
    "brand_copied": ("照搬品牌", "copied brand"),
    "brand_flag_distinctive": ("特色", "distinctive"),
    "brand_flag_generic": ("空泛", "generic"),
    "brand_flag_copied": ("照搬", "copied"),
    "brand_type_att": ("分类型（含同期干预）", "by type (incl. co-timed interventions)"),
    "brand_contrast": ("类型之差", "contrast"),
    "brand_type_or_contrast": ("品牌类型或比较", "brand type or contrast"),
    "estimate_of": ("估计", "estimate of"),
    "n_branches": ("支部数", "branches"),
    "twfe_short": ("双向固定效应", "TWFE"),
    "brand_similarity_cosine": ("文本相似度（余弦）", "text similarity (cosine)"),
    "brand_similarity_title": ("支部品牌文本相似度", "Brand text similarity"),
    "brand_effect_axis": ("满意度指数变化（0–100 分）", "Change in satisfaction index (0–100)"),
    "brand_effect_title": ("品牌类型与品牌效应", "Brand effect by brand type"),
    # problems: resolution_effect exclusion reasons (problems.resolution.EXCLUSION_REASONS)
    "unknown_customer": ("客户不在客户表", "customer not in the customers table"),
    "no_next_wave_in_study": ("无下一季度调查", "no next survey wave in the study"),
    "two_or_more_tickets": ("同季度两个及以上问题", "two or more tickets in the quarter"),
    "no_survey_answer_next_wave": ("下一季度未受访", "no survey answer next wave"),
    "no_survey_answer_this_wave": ("本季度未受访", "no survey answer this wave"),
    # problems: resolution curves
    "before_launch": ("机制启动前", "before launch"),
    "after_launch": ("机制启动后", "after launch"),
    "days_since_opened": ("登记后天数", "days since opened"),
    "share_unresolved": ("尚未解决的比例", "share still unresolved"),
    "hazard_ratio": ("风险比", "hazard ratio"),
    "log_hr": ("对数风险比", "log hazard ratio"),
    # the brands, problems and participation sections of the report
    "brand_flag": ("判定", "flag"),
    "nearest_branch": ("最相似的支部", "most similar branch"),
    "max_similarity": ("最高文本相似度", "highest text similarity"),
    "genericness": ("套话比例", "stock-phrase share"),
    "launch_phase": ("机制启动前后", "before/after launch"),
    "n_tickets": ("问题数", "tickets"),
    "n_resolved": ("已解决数", "resolved"),
    "resolution_rate_pct": ("解决率（%）", "resolution rate (%)"),
    "share_open_pct": ("未办结占比（%）", "share open (%)"),
    "median_days": ("解决天数中位数", "median days to resolution"),
    "median_ci_lower": ("中位数95%区间下限", "median 95% CI lower"),
    "median_ci_upper": ("中位数95%区间上限", "median 95% CI upper"),
    "naive_se": ("未聚类标准误", "unclustered SE"),
    "n_event": ("解决事件数", "resolutions"),
    "resolution_aipw": ("双重稳健估计（AIPW）", "doubly robust (AIPW)"),
    "resolution_naive": ("未调整差值", "unadjusted difference"),
    "ate": ("平均处理效应（ATE）", "average treatment effect (ATE)"),
    "difference in means": ("均值之差", "difference in means"),
    "n_treated": ("及时解决的问题数", "resolved in time"),
    "n_trimmed": ("倾向值截尾剔除数", "trimmed (extreme propensity)"),
    "n_weeks": ("周数", "weeks"),
    "mean_participation_pct": ("平均周参与率（%）", "mean weekly participation (%)"),
    "mean_heat": ("平均活跃度（人均活动次数/周）", "mean heat (activities per member per week)"),
    # members
    "branch_mean": ("本支部平均", "branch mean"),
    "city_mean": ("全市平均", "city mean"),
    "points_portrait": ("积分画像（标准分）", "points portrait (z-scores)"),
    "composite_z": ("综合标准分", "composite (z)"),
    "leniency_axis": ("宽严度（相对平均评价主体，分）", "leniency vs. average rater type (points)"),
    # the members section of the report (members/report.py)
    "n_members": ("党员数", "members"),
    "composite_mean": ("综合标准分均值", "composite (mean z)"),
    "composite_se": ("综合标准分标准误", "composite SE"),
    "n_strong_dimensions": ("高于全市平均的维度数", "dimensions above the city mean"),
    "four_strong": ("四强支部", "four-strong branch"),
    "evaluation_dimension": ("评价维度", "evaluation dimension"),
    "icc_type": ("ICC 类型", "ICC type"),
    "n_subjects": ("被评党员数", "members rated"),
    "rwg_mean": ("平均 rwg", "mean rwg"),
    "n_ratings": ("评价次数", "ratings"),
    "tenure_10y": ("党龄（每10年）", "tenure (per 10 years)"),
    "performance_sd": ("360评价（每标准差）", "360 score (per SD)"),
    # participation (participation.calendar VALUES)
    "heat": ("活跃度（人均活动次数/周）", "heat (activities per member per week)"),
    "participation_rate": ("参与率（本周有活动的党员占比）", "participation rate (share of members active)"),
    "n_activities": ("活动次数", "activities"),
    "iso_week": ("周（ISO）", "ISO week"),
    "week": ("周", "week"),
    "weekly_activity_by_branch": ("各支部每周活跃情况", "weekly activity by branch"),
    # --- measurement and index ---
    # dimensions and indicators of the integration index (the four fusion scales are SCALE_LABELS)
    "party": ("党建工作成效", "party-work effectiveness"),
    "business": ("业务促进", "business promotion"),
    "index": ("党业融合指数", "integration index"),
    "complaints": ("投诉量", "complaints"),
    "complaints_per_retailer": ("户均投诉", "complaints per retailer"),
    "non_tobacco_revenue": ("非烟收入", "non-tobacco revenue"),
    "non_tobacco_revenue_per_retailer": ("户均非烟收入", "non-tobacco revenue per retailer"),
    "sales": ("卷烟销量", "tobacco sales"),
    "sales_per_retailer": ("户均卷烟销量", "tobacco sales per retailer"),
    "party_assessment": ("党建考核", "party-building assessment"),
    "business_assessment": ("业务考核", "business assessment"),
    # scales a user's own questionnaire often has (measurement/validity_*.py show them by these names)
    "overall_satisfaction": ("总体满意度", "overall satisfaction"),
    "loyalty": ("客户忠诚度", "customer loyalty"),
    "recommend": ("推荐意愿", "willingness to recommend"),
    "single_item": ("单题项测量", "single-item measure"),
    "two_item_scale": ("双题项量表", "two-item scale"),
    "spearman_brown": ("Spearman–Brown系数", "Spearman–Brown coefficient"),
    # quadrants of the two-skins test (index/alignment.py)
    "both_strong": ("党建业务双强", "strong in both"),
    "party_only": ("党建强、业务弱", "party only"),
    "business_only": ("业务强、党建弱", "business only"),
    "both_weak": ("党建业务双弱", "weak in both"),
    # the index section of the report (index/report.py)
    "index_dimension": ("指数维度", "dimension"),
    "indicator": ("指标", "indicator"),
    "direction": ("方向", "direction"),
    "benefit": ("正向", "benefit"),
    "cost": ("逆向", "cost"),
    "weight": ("权重", "weight"),
    "weight_in_dimension": ("维度内权重", "weight within dimension"),
    "uncertainty_source": ("不确定性来源", "source of uncertainty"),
    "first_order": ("一阶敏感性指数", "first-order sensitivity"),
    "normalise": ("标准化方法", "normalisation"),
    "weights": ("赋权方法", "weighting"),
    "aggregate": ("加总方法", "aggregation"),
    "weights_perturbation_and_interactions": ("权重扰动及交互作用", "weight perturbation and interactions"),
    "coupling_level": ("耦合协调等级", "coupling coordination level"),
    "n_branch_waves": ("支部×波次数", "branch-waves"),
    "quadrant": ("象限", "quadrant"),
    # --- reports and notebooks ---
    # columns shared by several report tables
    "rank": ("名次", "rank"),
    "method": ("方法", "method"),
    "term": ("变量", "term"),
    "n_clusters": ("支部数（聚类）", "branches (clusters)"),
    "n_excluded": ("排除数", "excluded"),
    "pearson": ("Pearson 相关", "Pearson"),
    "spearman": ("Spearman 相关", "Spearman"),
    "kendall": ("Kendall τ 相关", "Kendall's τ"),
    # screening and validation rules of the ledger (ingest.screening.RULES, data.validation)
    "screening:missing_respondent": ("筛查：缺少受访者编号", "screening: respondent id missing"),
    "screening:invalid_date": ("筛查：日期无效", "screening: invalid date"),
    "screening:unknown_option": ("筛查：选项不在码本中", "screening: answer not among the options"),
    "screening:out_of_range": ("筛查：超出取值范围", "screening: answer out of range"),
    "screening:speeder": ("筛查：答题过快", "screening: speeder"),
    "screening:straight_liner": ("筛查：直线作答", "screening: straight-liner"),
    "screening:duplicate": ("筛查：重复提交", "screening: duplicate submission"),
    # --- survey inference (survey/) ---
    "branch_name": ("党支部", "branch"),
    "raw_mean": ("原始均值", "raw mean"),
    "raw_interval": ("原始均值及95%区间", "raw mean and 95% interval"),
    "shrunken_estimate": ("收缩估计", "shrunken estimate"),
    "shrunken_interval": ("收缩估计及95%区间", "shrunken estimate and 95% interval"),
    "shrunken_ci": ("收缩估计95%区间", "95% interval of the shrunken estimate"),
    "overall_mean": ("总体均值", "overall mean"),
    "satisfaction_score_100": ("满意度得分（0–100）", "satisfaction score (0–100)"),
    "prob_top": ("位列前3的概率", "P(top 3)"),
    "prob_bottom": ("位列后3的概率", "P(bottom 3)"),
    "median_rank": ("名次中位数", "median rank"),
    "rank_interval": ("名次95%区间", "95% rank interval"),
    "shrinkage": ("收缩系数", "shrinkage"),
    "weighting": ("加权", "weighting"),
    "deff": ("设计效应", "design effect"),
    "n_eff": ("有效样本量", "effective sample size"),
    # --- planning the next rollout (planning/, fusion-study plan) ---
    "wave_number": ("波次（0 = 基线）", "wave (0 = baseline)"),
    "rollout_calendar": ("推广日程：各支部各波次上线的措施数", "rollout calendar: interventions on per branch and wave"),
    "n_interventions_on": ("已上线措施数", "interventions on"),
    "intervention_start": ("措施上线", "intervention starts"),
    "effect_size_sd": ("效应量（标准差单位）", "effect size (standard deviations)"),
    "responses_per_branch_wave": ("每支部每波次应答数", "responses per branch and wave"),
    "power": ("检验效能", "power"),
    "power_title": ("检验效能：置信区间不含0的模拟研究比例", "power: share of simulated studies whose CI excludes 0"),
    "effect_size": ("标准化效应量", "standardised effect size"),
    "plan_start_wave": ("启动波次", "start wave"),
    "share_exposed_used": ("可用于估计的已实施支部-波次比例", "share of exposed branch-waves used"),
    "truth": ("真实效应", "true effect"),
    "n_estimated": ("得到估计的模拟次数", "replications estimated"),
    "n_refused": ("无法识别的模拟次数", "replications not identified"),
    "n_failed": ("出错的模拟次数", "replications failed"),
    "mcse_power": ("效能的蒙特卡洛标准误", "Monte Carlo SE of power"),
    "mean_estimate": ("估计值均值", "mean estimate"),
    "bias": ("偏差", "bias"),
    "mean_se": ("标准误均值", "mean SE"),
    "sd_estimate": ("估计值标准差", "SD of estimates"),
    "coverage": ("置信区间覆盖率", "CI coverage"),
    "mean_ci_width": ("置信区间平均宽度", "mean CI width"),
    "reps": ("模拟次数", "replications"),
    "icc": ("组内相关系数（ICC）", "intraclass correlation (ICC)"),
    "responses_per_branch": ("每支部每波次应答数", "responses per branch and wave"),
    "n_switch_on": ("上线次数", "switch-ons"),
    "n_separable": ("单独上线次数", "switch-ons alone"),
    "separable": ("效果可分离", "separable"),
    "target": ("估计目标", "target"),
    "planned_half_width": ("计划样本下的区间半宽", "half-width with the planned sample"),
    "half_width": ("目标95%置信区间半宽", "target 95% CI half-width"),
    "responses_needed": ("所需每支部每波次应答数", "responses needed per branch and wave"),
    "design_effect": ("设计效应", "design effect"),
    "current_per_branch": ("目前每支部平均问卷数", "current responses per branch"),
    "deff_weights": ("加权设计效应", "design effect of weighting"),
    "weighted_ci": ("加权均值的95%置信区间", "95% CI of the weighted mean"),
    # --- review fixes ---
    "response_rate_pct": ("应答率（%）", "response rate (%)"),
    "tickets_without_opened_date": ("无登记日期的问题", "tickets without an opened date"),
    "none_excluded": ("无", "none"),
    # --- themes in open answers (survey/themes.py) ---
    "theme": ("主题", "theme"),
    "theme_label": ("主题（关键词）", "theme (top words)"),
    "top_words": ("代表词", "top words"),
    "theme_share": ("主题占比", "share of answers with a theme"),
    "suggestion": ("意见和建议", "comments and suggestions"),
    "themes_excluded": ("无主题的答复", "answers without a theme"),
}

# the one language check, re-exported here where the labels are
from fusion_study.data.checks import check_lang  # noqa: E402


@lru_cache(maxsize=1)
def _catalogue_dict() -> dict[str, tuple[str, str, str]]:
    """key -> (zh, en, kind); earlier sources win."""
    out: dict[str, tuple[str, str, str]] = {}

    def add(key: str, zh: str, en: str, kind: str) -> None:
        out.setdefault(key, (zh, en, kind))

    for key, (zh, en) in GLOSSARY.items():
        add(key, zh, en, "glossary")
    for key, (zh, en) in SCALE_LABELS.items():
        add(key, zh, en, "scale")
    for tname, table in TABLES.items():
        add(tname, table.text_zh, table.text_en, "table")
        for col in table.columns:
            add(col.name, col.text_zh, col.text_en, "column")
            add(f"{tname}.{col.name}", col.text_zh, col.text_en, "column")
    owners: dict[str, list[str]] = {}
    for vocab, values in VOCABULARIES.items():
        add(vocab, *GLOSSARY.get(vocab, (vocab, vocab)), "vocabulary")
        for value, (zh, en) in values.items():
            add(f"{vocab}.{value}", zh, en, "value")
            owners.setdefault(value, []).append(vocab)
    for value, vocabs in owners.items():
        labels_ = {VOCABULARIES[v][value] for v in vocabs}
        if len(labels_) == 1:  # the bare value is unambiguous
            zh, en = next(iter(labels_))
            add(value, zh, en, "value")
    return out


def label(key, lang: str = "zh", *, codebook: pd.DataFrame | None = None, default: str | None = None) -> str:
    """The ``lang`` label of ``key`` (see the module docstring for where labels come from).

    Parameters
    ----------
    key : str
        A glossary term, scale, table or column name, ``"vocabulary.value"``, a
        vocabulary value, or (with ``codebook``) an item id.
    lang : {"zh", "en"}
    codebook : DataFrame, optional
        A study codebook; its ``text_zh`` / ``text_en`` label items by ``item_id``.
    default : str, optional
        Returned for an unknown key (default: the key itself).
    """
    check_lang(lang)
    key = str(key)
    if codebook is not None and "item_id" in codebook.columns:
        hit = codebook.loc[codebook["item_id"].astype(str) == key]
        if len(hit):
            row = hit.iloc[0]
            zh = row.get("text_zh")
            en = row.get("text_en")
            text = zh if lang == "zh" else en
            if text is None or pd.isna(text) or not str(text):
                text = zh if not pd.isna(zh) else key
            return str(text)
    found = _catalogue_dict().get(key)
    if found is None:
        return key if default is None else default
    return found[0] if lang == "zh" else found[1]


def labels(keys, lang: str = "zh", **kwargs) -> list[str]:
    """:func:`label` for each key."""
    return [label(k, lang, **kwargs) for k in keys]


def vocabulary_labels(values, vocabulary: str, lang: str = "zh") -> pd.Series:
    """Map values of one vocabulary to their labels (unknown values pass through).

    >>> vocabulary_labels(["urban", "rural", "x"], "segment", "zh").tolist()
    ['城镇', '农村', 'x']
    """
    check_lang(lang)
    if vocabulary not in VOCABULARIES:
        raise ValueError(f"unknown vocabulary {vocabulary!r}; known: {sorted(VOCABULARIES)}")
    idx = 0 if lang == "zh" else 1
    mapping = {value: pair[idx] for value, pair in VOCABULARIES[vocabulary].items()}
    s = pd.Series(list(values), dtype="object")
    return s.map(lambda v: mapping.get(v, v))


def catalogue() -> pd.DataFrame:
    """Every key the catalogue knows: columns ``key, kind, zh, en``."""
    rows = [{"key": k, "kind": kind, "zh": zh, "en": en} for k, (zh, en, kind) in _catalogue_dict().items()]
    return pd.DataFrame(rows, columns=["key", "kind", "zh", "en"])
