"""Plain-language sentences (reporting.plain): numbers, direction and strength come from the results."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from conftest import tiny_tables

from fusion_study import Study
from fusion_study.reporting import plain


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ((8.0, 5.0, 11.0), "strong"),  # near end 5 >= 8 / 2
        ((8.0, 1.0, 15.0), "clear"),
        ((-8.0, -15.0, -1.0), "clear"),
        ((-8.0, -11.0, -5.0), "strong"),
        ((2.0, -1.0, 5.0), "unclear"),
        ((0.0, 0.0, 1.0), "unclear"),  # a bound at zero does not exclude it
        ((5.0, 5.0, 5.0), "degenerate"),  # SE 0: no uncertainty measured, no conclusion
        ((np.nan, 0.0, 1.0), "none"),
    ],
)
def test_evidence_is_read_from_the_interval(row, expected):
    assert plain.evidence(*row) == expected


def test_describe_effect_fills_in_the_numbers_and_the_direction():
    up = plain.describe_effect({"estimate": 3.04, "ci_lower": 0.54, "ci_upper": 5.56, "label_zh": "支部品牌"}, "zh")
    assert up.startswith("支部品牌：客户满意度平均提高 3.0 分（95% 置信区间 0.5 至 5.6）")
    assert "有明确证据" in up
    down = plain.describe_effect(pd.Series({"estimate": -4.0, "ci_lower": -6.0, "ci_upper": -2.0,
                                            "intervention": "brand"}), "en", outcome="dependency")
    assert down.startswith("branch brand: customer dependency fell by 4.0 points")
    assert "strong evidence of a decrease" in down
    nothing = plain.describe_effect({"estimate": 1.0, "ci_lower": -2.0, "ci_upper": 4.0}, "en", what="X")
    assert "cannot tell the direction" in nothing and "rose" in nothing
    zero_se = plain.describe_effect({"estimate": 5.0, "ci_lower": 5.0, "ci_upper": 5.0, "p_adjusted": 0.0}, "en",
                                    what="urban")
    assert "cannot support a conclusion" in zero_se and "evidence" not in zero_se


def test_describe_effect_states_the_level_and_a_lost_significance_after_adjustment():
    row = {"estimate": 2.0, "ci_lower": 0.2, "ci_upper": 3.8, "p_adjusted": 0.09}
    s = plain.describe_effect(row, "en", what="Rural", alpha=0.1)
    assert "(90% CI 0.2 to 3.8)" in s
    assert "no longer significant" not in s  # 0.09 < alpha = 0.1
    s = plain.describe_effect(row, "en", what="Rural")
    assert "no longer significant" in s and "p = 0.090" in s
    assert "未能估计" in plain.describe_effect({"estimate": np.nan, "ci_lower": np.nan, "ci_upper": np.nan}, "zh",
                                               what="品牌")


def test_describe_pretrend_reads_the_p_value():
    assert "平行趋势假设可疑" in plain.describe_pretrend(0.01, "zh")
    assert "p < 0.001" in plain.describe_pretrend(1e-6, "en")
    assert "consistent with parallel trends" in plain.describe_pretrend(0.2, "en")
    assert "in doubt" in plain.describe_pretrend(0.08, "en", alpha=0.1)
    assert "no periods before" in plain.describe_pretrend(None, "en")


def test_describe_few_clusters_uses_the_threshold_and_counts_single_branch_cells():
    assert "enough" in plain.describe_few_clusters(30, "en")
    few = plain.describe_few_clusters(24, "en", single=55, cells=99)
    assert "only 24 branches" in few and "55 of 99 comparisons" in few
    assert "少于 30 个" in plain.describe_few_clusters(12, "zh")
    assert "enough" in plain.describe_few_clusters(12, "en", threshold=10)


def test_describe_cotiming_from_adoption_quarters():
    close = pd.DataFrame({"branch_id": ["B1", "B2", "B3"], "cohort_a": [5, 6, 0], "cohort_b": [6, 6, 0],
                          "cohort_programme": [5, 6, 0]})
    s = plain.describe_cotiming(close, "en")
    assert "Of 2 branches" in s and "2 (100%)" in s and "whole-programme row" in s
    spread = close.assign(cohort_b=[15, 16, 0])
    assert "well spread" in plain.describe_cotiming(spread, "en")
    single = close.drop(columns="cohort_b")
    assert "No branch started more than one" in plain.describe_cotiming(single, "en")


def test_describe_warnings_gives_one_sentence_per_distinct_warning():
    from fusion_study.effects import FewClustersWarning, OverlapWarning

    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        warnings.warn("3 cells", FewClustersWarning)
        warnings.warn("7 cells", FewClustersWarning)
        warnings.warn("2 of 10 trimmed", OverlapWarning)
        warnings.warn("old name", DeprecationWarning)
        warnings.warn("12 responses name an unknown customer_id", UserWarning)
    s = plain.describe_warnings(rec, "zh")
    assert len(s) == 3
    assert s[0].startswith("部分比较的处理组或对照组只有一个支部") and "倾向得分" in s[1]
    assert s[2] == "提示：12 responses name an unknown customer_id。"


def test_explain_warnings_prints_sentences_and_does_not_leak(capsys):
    from fusion_study.effects import FewClustersWarning

    with warnings.catch_warnings(record=True) as outer:
        warnings.simplefilter("always")
        with plain.explain_warnings("en") as rec:
            warnings.warn("x", FewClustersWarning)
    assert len(rec) == 1 and outer == []
    assert capsys.readouterr().out.strip().startswith("⚠ Some comparisons have treated or comparison units")


def _survey_only() -> Study:
    tables, codebook = tiny_tables()
    return Study({k: tables[k] for k in ("units", "customers", "customer_survey")}, codebook=codebook, name="hand")


def test_skip_sentence_matches_the_report_and_says_step():
    study = _survey_only()
    s = plain.skip_sentence(study, {"interventions": ()}, what_zh="估计干预效应",
                            what_en="intervention effects were not estimated", lang="zh")
    assert s == "本步需要干预措施表 interventions，本研究未提供，因此未估计干预效应。"
    assert plain.skip_sentence(study, {"customer_survey": ("sat1",)}, what_zh="x", what_en="y") is None


def _with_interventions(starts: dict[str, str], waves: list[str]) -> Study:
    tables, codebook = tiny_tables()
    sv = tables["customer_survey"]
    rows = []
    for w in waves:
        rows.append(sv.assign(wave=w, response_id=sv["response_id"] + w))
    tables["customer_survey"] = pd.concat(rows, ignore_index=True)
    codebook = codebook.assign(scale="satisfaction")
    tables["interventions"] = pd.DataFrame({"unit_id": list(starts), "intervention": "brand",
                                            "start_period": list(starts.values())})
    return Study(tables, codebook=codebook, name="hand")


def test_effects_skip_sentence_checks_the_conditions_in_order():
    assert "interventions" in plain.effects_skip_sentence(_survey_only(), lang="en")
    # the tiny survey has two waves: give it a launch between them and a comparison branch
    ok = _with_interventions({"B1": "2024Q2"}, ["2024Q1", "2024Q2"])
    assert plain.effects_skip_sentence(ok, lang="en") is None
    one_wave = _with_interventions({"B1": "2024Q2"}, ["2024Q1"])
    assert "single survey wave (2024Q1)" in plain.effects_skip_sentence(one_wave, lang="en")
    before = _with_interventions({"B1": "2022Q1"}, ["2024Q1", "2024Q2"])
    assert "No branch started" in plain.effects_skip_sentence(before, lang="en")
    everyone = _with_interventions({"C": "2024Q2"}, ["2024Q1", "2024Q2"])
    assert "same time" in plain.effects_skip_sentence(everyone, lang="en")
    assert "dependency" in plain.effects_skip_sentence(ok, outcome="dependency", lang="en")


def test_describe_frame_naive_and_truth():
    table = pd.DataFrame({
        "intervention": ["programme", "programme", "programme"],
        "estimand": ["ATT (simple)", "ATT (naive)", "ATT (naive)"],
        "estimator": ["CS-DiD (RC, DR)", "before/after", "TWFE (branch + wave)"],
        "estimate": [7.8, 13.2, 5.0],
    })
    s = plain.describe_naive(table, "en")
    assert "before/after 13.2" in s and "two-way fixed effects (TWFE) 5.0" in s and "gives 7.8" in s
    assert plain.describe_naive(table[table["estimand"] != "ATT (naive)"], "en") is None
    assert "不在" in plain.describe_truth({"ci_lower": 5.0, "ci_upper": 10.6}, 4.0, "zh")
    assert "inside" in plain.describe_truth({"ci_lower": 5.0, "ci_upper": 10.6}, 6.3, "en")


def test_summarise_effects_puts_the_programme_first_with_its_pre_trend_and_clusters():
    table = pd.DataFrame({
        "intervention": ["brand", "brand", "programme", "programme"],
        "label_en": ["branch brand", "branch brand", "whole programme", "whole programme"],
        "estimand": ["ATT (simple)", "pre-trend test", "ATT (simple)", "pre-trend test"],
        "estimator": ["CS-DiD (RC, DR)", "Wald chi2(3)", "CS-DiD (RC, DR)", "Wald chi2(3)"],
        "estimate": [3.0, 9.0, 7.8, 2.0], "ci_lower": [0.5, np.nan, 5.0, np.nan],
        "ci_upper": [5.5, np.nan, 10.6, np.nan], "p_value": [0.02, 0.004, 0.0, 0.6], "note": ["", "", "", ""],
    })
    s = plain.summarise_effects(table, None, "en", n_clusters=24)
    assert len(s) == 2
    assert s[0].startswith("whole programme: customer satisfaction rose by 7.8") and "p = 0.600" in s[0]
    assert "only 24 branches" in s[0]
    assert s[1].startswith("branch brand") and "in doubt" in s[1]


def test_describe_bacon_honest_hazard_and_brand_moderation():
    b = pd.DataFrame({"type": ["treated_vs_never", "later_vs_earlier", "earlier_vs_later"],
                      "estimate": [6.0, -1.0, 4.0], "weight": [0.5, 0.2, 0.3]})
    assert plain.describe_bacon(b, "zh").startswith("TWFE 系数有 20% 的权重")
    assert "No part" in plain.describe_bacon(b[b["type"] != "later_vs_earlier"], "en")
    h = pd.DataFrame({"M": [1.0, 0.0, 0.5], "ci_lower": [-1.0, 2.0, 0.1], "ci_upper": [9.0, 8.0, 8.5]})
    assert "up to M = 0.5" in plain.describe_honest(h, "en")
    assert "every M tried" in plain.describe_honest(h.assign(ci_lower=1.0), "en")
    assert "no clear effect" in plain.describe_honest(h.assign(ci_lower=-1.0), "en")
    assert "smallest M" in plain.describe_honest(h[h["M"] > 0].assign(ci_lower=-1.0), "en")
    assert "includes 1" in plain.describe_hazard_ratio({"estimate": 1.1, "ci_lower": 0.9, "ci_upper": 1.3}, "en")
    assert "更慢" in plain.describe_hazard_ratio({"estimate": 0.7, "ci_lower": 0.6, "ci_upper": 0.8}, "zh")
    mod = pd.DataFrame({
        "term": ["distinctive", "generic", "distinctive_minus_generic"],
        "kind": ["type ATT", "type ATT", "contrast"],
        "label_en": ["distinctive brand", "generic brand", "distinctive − generic"],
        "estimate": [4.0, 1.0, 3.0], "ci_lower": [1.0, -1.0, -1.0], "ci_upper": [7.0, 3.0, 7.0],
        "p_adjusted": [np.nan, np.nan, 0.2], "n_branches": [12, 4, 16],
    })
    s = plain.describe_brand_moderation(mod, "en")
    assert s[0].startswith("distinctive − generic") and "cannot tell" in s[0]
    assert "distinctive brand 12, generic brand 4" in s[1] and "underpowered" in s[1]


def test_describe_net_effects_refused_get_the_reason_not_a_number():
    table = pd.DataFrame({
        "intervention": ["brand", "brand", "cloud_team", "programme"],
        "label_zh": ["支部品牌", "支部品牌", "星火云台创收队", "整体项目"],
        "label_en": ["branch brand", "branch brand", "cloud revenue team", "whole programme"],
        "estimand": ["ATT net of other interventions", "ATT (simple)", "ATT net of other interventions",
                     "ATT (simple)"],
        "estimator": ["imputation (several interventions)", "CS-DiD (RC, DR)", "imputation (several interventions)",
                      "CS-DiD (RC, DR)"],
        "estimate": [-1.0, 4.0, np.nan, 7.0], "ci_lower": [-3.0, 1.0, np.nan, 5.0],
        "ci_upper": [1.0, 7.0, np.nan, 9.0], "p_value": [0.3, 0.01, np.nan, 0.0], "note": "",
    })
    ident = pd.DataFrame({"intervention": ["brand", "cloud_team"], "identified": [True, False],
                          "reason_zh": ["可以单独估计：支部品牌在 4 个支部中单独上线。", "星火云台创收队与支部品牌同时上线。"],
                          "reason_en": ["Separable: the branch brand switched on alone in 4 branch(es).",
                                        "The cloud revenue team started with the branch brand in every branch."]})
    zh = plain.describe_net_effects(table, ident, "zh", truth=pd.Series({"brand": 2.0, "cloud_team": 1.0}))
    assert len(zh) == 2
    assert zh[0].startswith("支部品牌（扣除其他干预）") and "区间包含 0" in zh[0] and "单独上线" in zh[0]
    assert "真值为 2.0" in zh[0] and "不在置信区间" in zh[0]  # 2.0 lies outside (-3.0, 1.0)
    assert zh[1] == "星火云台创收队：不给出估计。星火云台创收队与支部品牌同时上线。"  # no number, no truth
    en = plain.describe_net_effects(table, ident, "en")
    assert en[1].startswith("cloud revenue team: no estimate.") and not any(ch.isdigit() for ch in en[1])
    # the CS-DiD sentence of a single intervention is marked as a contrast once net effects exist
    s = plain.summarise_effects(table, None, "en")
    assert s[0].startswith("whole programme:")
    assert s[1].startswith("branch brand (CS-DiD, includes the co-timed interventions)")
