"""The weighting switch flowing into the analyses (issue 15 parts 1, 4, 5): descriptives, index, planning, report.

Hand values: weights and weighted means computed by hand on tiny studies; the index on three branches by hand;
truth: raking a deliberately biased sample of the simulated example recovers the full sample's mean.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest
from _hand_studies import survey_study

from fusion_study import Study, example_study_path, load_study
from fusion_study.data.checks import critical_value
from fusion_study.index.study import FUSION_SCALES, study_index, study_indicators
from fusion_study.ingest import screen_study
from fusion_study.reporting.report import render_report
from fusion_study.reporting.sections import discover_sections
from fusion_study.survey import NoBranchVarianceWarning
from fusion_study.survey.report import planning_sentence
from fusion_study.survey.study import (
    check_weighting,
    study_descriptives,
    study_planning,
    study_satisfaction_by_branch,
    study_weights,
)


@pytest.fixture(scope="module")
def example():
    return screen_study(load_study(example_study_path()))[0]


def _tiny_customer_study() -> Study:
    """Six customers in two counties; one wave answered by R1, R2, R3 (K1) and R5 (K2)."""
    customers = pd.DataFrame({
        "customer_id": [f"R{i}" for i in range(1, 7)],
        "county_id": ["K1", "K1", "K1", "K1", "K2", "K2"],
        "branch_id": ["B1", "B1", "B2", "B2", "B3", "B3"],
        "segment": ["urban", "rural", "urban", "rural", "urban", "rural"],
    })
    survey = pd.DataFrame({
        "response_id": ["S1", "S2", "S3", "S4"], "customer_id": ["R1", "R2", "R3", "R5"],
        "wave": "2024Q1", "sat": [5, 4, 2, 1], "dep": [3, 3, 5, 2],
    })
    codebook = pd.DataFrame({
        "item_id": ["sat", "dep"], "instrument": "customer_survey", "scale": ["satisfaction", "dependency"],
        "text_zh": ["满意度", "依赖度"], "text_en": ["satisfaction", "dependency"], "reverse": False,
        "min": 1, "max": 5, "source_column": ["1", "2"], "options": "1=很低;5=很高",
    })
    return Study({"customers": customers, "customer_survey": survey}, codebook)


def test_check_weighting_lists_choices():
    assert check_weighting("rake") == "rake" and check_weighting(None) is None and check_weighting("none") is None
    with pytest.raises(ValueError, match="'rake' or None"):
        check_weighting("calibrate")


def test_weighted_mean_equals_hand_computation_one_margin():
    # raking to the county margin alone is post-stratification: weight = N_county / n_county
    # K1: 4 customers, 3 responses -> 4/3 each; K2: 2 customers, 1 response -> 2
    d = study_descriptives(_tiny_customer_study(), margins=("county_id",)).set_index("variable")
    w = np.array([4 / 3, 4 / 3, 4 / 3, 2.0])
    sat = (np.array([5, 4, 2, 1]) - 1) / 4 * 100
    dep = (np.array([3, 3, 5, 2]) - 1) / 4 * 100
    for name, y in (("satisfaction", sat), ("dependency", dep)):
        mean = (w * y).sum() / w.sum()
        assert d.loc[name, "estimate"] == pytest.approx(mean, abs=1e-10)
        assert d.loc[name, "sd"] == pytest.approx(math.sqrt((w * (y - mean) ** 2).sum() / w.sum()), abs=1e-10)
        assert d.loc[name, "n_eff"] == pytest.approx(w.sum() ** 2 / (w**2).sum(), abs=1e-10)
    assert d["weighting"].unique().tolist() == ["weighted"]
    u = study_descriptives(_tiny_customer_study(), weights=None).set_index("variable")
    assert u.loc["satisfaction", "estimate"] == pytest.approx(sat.mean(), abs=1e-10)
    assert u.loc["satisfaction", "sd"] == pytest.approx(sat.std(ddof=0), abs=1e-10)
    assert u["weighting"].unique().tolist() == ["unweighted"] and u.attrs["margins"] == []


def test_weighted_mean_two_margins_equals_sum_of_raked_weights():
    study = survey_study(("2024Q1", "2024Q2"), seed=4)
    d = study_descriptives(study, scales=("satisfaction",))
    w = study_weights(study)
    sat = (w["sat"] - 1) / 4 * 100
    for wave, g in w.groupby("wave"):
        hand = float((g["weight"] * sat[g.index]).sum() / g["weight"].sum())
        assert d.loc[d["wave"] == wave, "estimate"].item() == pytest.approx(hand, abs=1e-10)
    assert d["wave"].tolist() == ["2024Q1", "2024Q2"]
    assert d.attrs["notes"] == []  # satisfaction only was asked for
    with pytest.raises(ValueError, match="no customer_survey items of the scale"):
        study_descriptives(study, scales=("dependency",))


@pytest.mark.slow
def test_raking_recovers_population_mean_from_biased_sample(example):
    # the simulator samples retailers at random (sample_customer_survey); bias it by hand: drop 3 of 4 responses
    # from the three counties with the lowest satisfaction. The full random sample stands for the population.
    full = study_descriptives(example, weights=None, scales=("satisfaction",))
    sv = example.customer_survey
    county = example.customers.set_index("customer_id").loc[sv["customer_id"], "county_id"].to_numpy()
    drop = np.isin(county, ["K01", "K04", "K06"]) & (np.random.default_rng(3).random(len(sv)) < 0.75)
    tables = dict(example.tables)
    tables["customer_survey"] = sv[~drop]
    biased = Study(tables, example.codebook, name="biased")
    wtd = study_descriptives(biased, scales=("satisfaction",))
    unw = study_descriptives(biased, weights=None, scales=("satisfaction",))
    truth = full["estimate"].mean()  # mean over the 12 waves
    bias_unw = unw["estimate"].mean() - truth
    bias_wtd = wtd["estimate"].mean() - truth
    assert bias_unw > 2.0  # the over-sampled counties are the more satisfied ones
    assert abs(bias_wtd) < 1.5 and abs(bias_wtd) < abs(bias_unw) / 2
    # wave by wave the weighted means stay within their own 95% intervals of the full-sample means more often
    covered = ((wtd["ci_lower"] <= full["estimate"]) & (full["estimate"] <= wtd["ci_upper"])).mean()
    assert covered >= 0.9


def _staff_study(weights=(1, 3, 1, 1, 2, 1)) -> Study:
    """Three branches, two staff each, one wave; every item of a scale answered alike (capa3 is reversed)."""
    units = pd.DataFrame({"unit_id": ["C", "B1", "B2", "B3"], "name": ["市局", "一支部", "二支部", "三支部"],
                          "level": ["city", "branch", "branch", "branch"], "parent_id": [None, "C", "C", "C"]})
    rows = []
    for i, ((b, v), w) in enumerate(zip([("B1", 2), ("B1", 4), ("B2", 5), ("B2", 3), ("B3", 1), ("B3", 4)], weights)):
        r = {"response_id": f"S{i}", "staff_id": f"P{i}", "unit_id": b, "wave": "2024Q1", "weight": float(w)}
        for p in ("goal", "capa", "serv"):
            r |= {f"{p}{k}": v for k in (1, 2, 3)}
        r["capa3"] = 6 - v
        r |= {f"outc{k}": 6 - v for k in (1, 2, 3)}
        rows.append(r)
    return Study({"units": units, "staff_survey": pd.DataFrame(rows)})


def test_weighted_index_equals_hand_value():
    st = _staff_study()
    ind = study_indicators(st, kpi_metrics=[], screen=False, response_weights="weight").set_index("unit_id")
    # B1: (1·2 + 3·4) / 4 = 3.5; B2: (5 + 3) / 2 = 4; B3: (2·1 + 4) / 3 = 2; outcome = 6 - v likewise
    assert ind["goal"].to_dict() == pytest.approx({"B1": 3.5, "B2": 4.0, "B3": 2.0}, abs=1e-12)
    assert ind["outcome"].to_dict() == pytest.approx({"B1": 2.5, "B2": 2.0, "B3": 4.0}, abs=1e-12)
    assert ind["n_staff"].tolist() == [2, 2, 2]
    idx = study_index(st, indicators={s: [s] for s in FUSION_SCALES}, weights="equal", screen=False,
                      response_weights="weight")
    # min-max over the three branches, equal weights: goal/capability/service (0.75, 1, 0), outcome (0.25, 0, 1)
    got = idx.scores_.set_index("unit_id")["index"].to_dict()
    assert got == pytest.approx({"B1": (3 * 0.75 + 0.25) / 4, "B2": 0.75, "B3": 0.25}, abs=1e-12)
    plain = study_index(st, indicators={s: [s] for s in FUSION_SCALES}, weights="equal", screen=False)
    # unweighted: B1 3, B2 4, B3 2.5 -> (1/3, 1, 0) and outcome (2/3, 0, 1)
    assert plain.scores_.set_index("unit_id")["index"].to_dict() == pytest.approx(
        {"B1": (3 / 3 + 2 / 3) / 4, "B2": 0.75, "B3": 0.25}, abs=1e-12)


def test_equal_staff_weights_leave_index_unchanged_and_bad_weights_are_named():
    st = _staff_study(weights=(2, 2, 2, 2, 2, 2))
    a = study_indicators(st, kpi_metrics=[], screen=False, response_weights="weight")
    b = study_indicators(st, kpi_metrics=[], screen=False)
    pd.testing.assert_frame_equal(a, b)
    with pytest.raises(ValueError, match="not a column of staff_survey"):
        study_indicators(st, kpi_metrics=[], screen=False, response_weights="w")
    with pytest.raises(ValueError, match=r"1 response\(s\).*rows \[2\]"):
        study_indicators(_staff_study(weights=(1, 1, 0, 1, 1, 1)), kpi_metrics=[], screen=False,
                         response_weights="weight")


def test_planning_numbers_follow_the_closed_form(example):
    plan = study_planning(example, half_width=(2, 3, 5))
    by = study_satisfaction_by_branch(example)
    tau2, sigma2 = by.attrs["model"]["branch_variance"], by.attrs["model"]["residual_variance"]
    diag = study_weights(example).attrs["diagnostics"].set_index("wave").loc[plan.attrs["wave"]]
    z = critical_value(0.05)
    for h, need in zip(plan["half_width"], plan["responses_needed"]):
        exact = z**2 * sigma2 * diag["deff"] / h**2  # (1 - icc) · total variance = sigma2
        assert need == math.ceil(exact)
    assert plan["icc"].iloc[0] == pytest.approx(tau2 / (tau2 + sigma2), rel=1e-12)
    assert plan["current_per_branch"].iloc[0] == pytest.approx(by["n"].mean(), rel=1e-12)
    unweighted = study_planning(example, half_width=3, weights=None)
    assert unweighted["deff_weights"].item() == 1.0
    assert unweighted["responses_needed"].item() == math.ceil(z**2 * sigma2 / 9)
    text = planning_sentence(plan)
    need3 = int(plan.loc[plan["half_width"] == 3, "responses_needed"].item())
    assert f"半宽控制在±3分，每个支部每波需要约{need3}份有效问卷" in text.zh
    assert f"about {need3} valid responses per wave" in text.en


def _text(path) -> str:
    t = path.read_text(encoding="utf-8")
    t = re.sub(r"<style>.*?</style>", "", t, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", t))


def _sections(*keys):
    return [s for s in discover_sections() if s.key in keys]


def test_report_states_weighting_on_first_page_and_in_tables(tmp_path):
    study = survey_study(("2024Q1", "2024Q2"), seed=5)
    res = render_report(study, tmp_path / "w", sections=_sections("overview", "survey"), quick=True, progress=False)
    assert not res.failed
    text = _text(res.path)
    first = text[text.index("研究概况 本研究"):text.index("表1")]
    assert "描述统计与均值已加权" in first
    assert "各波次描述统计（加权）" in text and "计入加权设计效应" in text
    res = render_report(study, tmp_path / "u", sections=_sections("overview", "survey"), quick=True,
                        progress=False, weights=None, lang="en")
    text = _text(res.path)
    assert "Every result in this report is unweighted" in text[:text.index("Table 1")]
    assert "by wave (unweighted)" in text and "This report is unweighted by choice" in text


def _equal_branches() -> Study:
    """survey_study with satisfaction 1..5 twice in every branch: identical branch means, so REML puts τ² at 0."""
    study = survey_study(seed=1)
    survey = study.customer_survey.copy()
    branch_of = study.customers.set_index("customer_id")["branch_id"]
    order = survey.groupby(survey["customer_id"].map(branch_of).to_numpy()).cumcount()
    survey["sat"] = (order % 5 + 1).to_numpy()
    return Study({**study.tables, "customer_survey": survey}, codebook=study.codebook, name="hand")


def test_no_branch_variance_says_branches_cannot_be_ranked(tmp_path):
    study = _equal_branches()
    with pytest.warns(NoBranchVarianceWarning):
        table = study_satisfaction_by_branch(study)
    assert table.attrs["no_branch_variance"]
    assert table[["prob_top", "prob_bottom"]].isna().all().all()
    res = render_report(study, tmp_path / "r", sections=_sections("survey"), quick=True, progress=False)
    assert not res.failed
    text = _text(res.path)
    assert "无法给支部排名" in text
    assert "位列前3的概率" not in text  # no ~0.5 rank probabilities that say nothing


def test_one_wave_hand_study_without_intervention_cli_report(tmp_path, capsys):
    from fusion_study.cli.parser import main

    folder = survey_study(seed=2).save(tmp_path / "hand")
    status = main(["report", str(folder), "--out", str(tmp_path / "out")])
    html = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert status == 0, capsys.readouterr().err
    assert 'class="error"' not in html
    text = _text(tmp_path / "out" / "report.html")
    section = text[text.rindex("各支部客户满意度（小区域估计）"):]
    assert "加权（raking）后，平均满意度为" in section and "每个支部每波需要约" in section


@pytest.mark.slow
def test_notebook_10_runs_on_a_one_wave_hand_study(tmp_path):
    from pathlib import Path

    import nbformat

    from fusion_study.reporting.notebook import run_notebooks

    root = Path(__file__).resolve().parents[2]
    folder = survey_study(seed=2).save(tmp_path / "hand")
    res = run_notebooks(folder, tmp_path / "out", names=["10"], folder=root / "notebooks", timeout=600)
    assert (res["status"] == "ok").all(), res[["notebook", "error"]].to_string()
    nb = nbformat.read(res["notebook_path"].iloc[0], as_version=4)
    text = "\n".join(str(o.get("text", "")) + " ".join(map(str, o.get("data", {}).values()))
                     for c in nb.cells for o in c.get("outputs", []))
    assert "Traceback" not in text
    assert "每个支部每波需要约" in text and "加权（raking）后" in text


def test_plot_weighted_means_draws_both_lines_and_the_band():
    import matplotlib.pyplot as plt

    from fusion_study.survey import plot_weighted_means, study_weighted_means

    means = study_weighted_means(survey_study(("2024Q1", "2024Q2", "2024Q3"), seed=3), by="wave")
    ax = plot_weighted_means(means, lang="zh")
    try:
        weighted, unweighted = ax.lines
        np.testing.assert_allclose(weighted.get_ydata(), means.loc[means.weighting == "weighted", "estimate"])
        np.testing.assert_allclose(unweighted.get_ydata(), means.loc[means.weighting == "unweighted", "estimate"])
        assert [t.get_text() for t in ax.get_xticklabels()] == ["2024Q1", "2024Q2", "2024Q3"]
        assert [t.get_text() for t in ax.get_legend().get_texts()] == ["加权后", "加权均值的95%置信区间", "加权前"]
        assert len(ax.collections) == 1 and ax.get_ylabel() == "满意度得分（0–100）"
    finally:
        plt.close(ax.figure)


def test_cli_report_has_weights_switch():
    from fusion_study.cli.parser import build_parser

    assert build_parser().parse_args(["report", "s"]).weights == "rake"
    assert build_parser().parse_args(["report", "s", "--weights", "none"]).weights == "none"
    with pytest.raises(SystemExit):
        build_parser().parse_args(["report", "s", "--weights", "calib"])


def test_standard_errors_compare_fixed_calibrated_and_jackknife():
    from fusion_study.survey import rake, study_standard_errors, study_weighted_means, survey_mean

    study = survey_study(("2024Q1", "2024Q2"), seed=6)
    ses = study_standard_errors(study, wave="2024Q2").set_index("method")
    assert ses.index.tolist() == ["fixed_weights", "calibrated", "jackknife"]
    assert ses["estimate"].nunique() == 1
    # fixed weights: the weighted row of study_weighted_means (every response has a score, so the same weights)
    wm = study_weighted_means(study, wave="2024Q2").set_index("weighting").loc["weighted"]
    assert ses.loc["fixed_weights", "se"] == pytest.approx(wm["se"], rel=1e-10)
    assert ses.loc["fixed_weights", "estimate"] == pytest.approx(wm["estimate"], rel=1e-12)
    w = study_weights(study)
    d = w[w["wave"] == "2024Q2"].assign(satisfaction=lambda x: (x["sat"] - 1) / 4 * 100)
    raked = rake(d, study.customers, margins=["county_id", "segment"])
    jk = survey_mean(d, "satisfaction", weights=raked, cluster="branch_id", replicates="jk1")
    cal = survey_mean(d, "satisfaction", weights=raked, cluster="branch_id")
    assert ses.loc["jackknife", "se"] == pytest.approx(jk["se"].item(), rel=1e-10)
    assert ses.loc["calibrated", "se"] == pytest.approx(cal["se"].item(), rel=1e-10)
    assert ses.loc["calibrated", "se"] != pytest.approx(ses.loc["fixed_weights", "se"], rel=1e-6)
