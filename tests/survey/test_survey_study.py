"""The survey domain layer, plot and report section (issue 15): on the bundled example and on hand-made studies."""

from __future__ import annotations

import warnings

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from vocabulary import assert_standard_columns

from fusion_study import Study, example_study_path, load_study
from fusion_study.ingest import screen_study
from fusion_study.measurement.scores import satisfaction_score
from fusion_study.reporting.report import render_report
from fusion_study.reporting.sections import SectionSkipped, discover_sections
from fusion_study.survey import (
    branch_means,
    plot_branch_caterpillar,
    rake,
    rank_intervals,
    study_satisfaction_by_branch,
    study_weighted_means,
    study_weights,
    survey_mean,
)
from fusion_study.survey.report import different_branches


@pytest.fixture(scope="module")
def example():
    return load_study(example_study_path())


@pytest.fixture(scope="module")
def by_branch(example):
    return study_satisfaction_by_branch(example, seed=7)


def _section():
    return [s for s in discover_sections() if s.key == "survey"]


def _hand_study(n_branches: int = 4, *, extra_response: bool = False) -> Study:
    """Eight customers in 2 counties x 2 segments and ``n_branches`` branches; 2 waves of answers."""
    customers = pd.DataFrame({
        "customer_id": [f"R{i}" for i in range(1, 9)],
        "county_id": ["K1"] * 6 + ["K2"] * 2,
        "branch_id": [f"B{i % n_branches + 1}" for i in range(8)],
        "segment": ["urban", "urban", "urban", "rural", "rural", "rural", "urban", "rural"],
    })
    ids = ["R1", "R2", "R4", "R7", "R8", "R3", "R5", "R6", "R7", "R8"]
    survey = pd.DataFrame({
        "customer_id": ids + (["R99"] if extra_response else []),
        "wave": ["2024Q1"] * 5 + ["2024Q2"] * 5 + (["2024Q2"] if extra_response else []),
        "sat1": [4, 5, 2, 3, 1, 5, 4, 3, 2, 4] + ([3] if extra_response else []),
        "sat2": [4, 4, 1, 2, 2, 5, 3, 3, 2, 5] + ([3] if extra_response else []),
    })
    survey["response_id"] = [f"S{i}" for i in range(len(survey))]
    codebook = pd.DataFrame({
        "item_id": ["sat1", "sat2"], "instrument": "customer_survey", "scale": "satisfaction",
        "text_zh": ["总体满意度", "服务满意度"], "text_en": ["overall", "service"], "reverse": False,
        "min": [1, 1], "max": [5, 5], "source_column": ["1", "2"],
        "options": ["1=非常不满意;2=不满意;3=一般;4=满意;5=非常满意"] * 2,
    })
    return Study({"customers": customers, "customer_survey": survey}, codebook)


# --- study_weights -------------------------------------------------------------------------------------------------
def test_weights_reproduce_customers_margins_on_example(example):
    w = study_weights(example)
    screened = screen_study(example)[0].customer_survey
    assert w.index.equals(screened.index)  # the screened responses, nothing else
    customers = example.customers
    for margin in ("county_id", "segment"):
        target = customers[margin].value_counts().sort_index()
        for wave, sub in w.groupby("wave"):
            got = sub.groupby(margin)["weight"].sum().sort_index()
            np.testing.assert_allclose(got.to_numpy(), target.to_numpy(), rtol=1e-8, err_msg=f"{wave} {margin}")
    diag = w.attrs["diagnostics"]
    assert diag["wave"].tolist() == sorted(w["wave"].unique())
    assert (diag["n"].to_numpy() == w.groupby("wave").size().to_numpy()).all()
    assert (diag["deff"] >= 1).all()
    # each response's county/branch comes from the customers table
    info = customers.set_index("customer_id")
    assert (w["branch_id"].to_numpy() == info.loc[w["customer_id"], "branch_id"].to_numpy()).all()


def test_weights_on_hand_study_match_rake_by_hand():
    study = _hand_study()
    w = study_weights(study)
    customers = study.customers
    for wave, sub in w.groupby("wave"):
        merged = sub[["customer_id"]].merge(customers, on="customer_id", how="left").set_index(sub.index)
        expected = rake(merged, customers, margins=["county_id", "segment"])
        np.testing.assert_allclose(sub["weight"].to_numpy(), expected.to_numpy(), rtol=1e-12)
        assert sub.groupby("county_id")["weight"].sum().round(8).to_dict() == {"K1": 6.0, "K2": 2.0}
        assert sub.groupby("segment")["weight"].sum().round(8).to_dict() == {"rural": 4.0, "urban": 4.0}
    # wave 2024Q1: R1, R2 (K1 urban), R4 (K1 rural), R7 (K2 urban), R8 (K2 rural). Raking converges to the
    # cell weights (K1 urban, K1 rural, K2 urban, K2 rural) = (a, 2a... ) solved by hand below.
    q1 = w[w["wave"] == "2024Q1"].set_index("customer_id")["weight"]
    # margins: 2a + b = 6 (K1), c + d = 2 (K2), 2a + c = 4 (urban), b + d = 4 (rural); IPF's limit keeps the
    # odds ratio of the start (all ones, cell counts 2,1,1,1): (2a)·d / (b·c) = 2·1/(1·1) = 2.
    a, b, c, d = q1["R1"], q1["R4"], q1["R7"], q1["R8"]
    assert q1["R1"] == pytest.approx(q1["R2"])
    assert 2 * a * d / (b * c) == pytest.approx(2.0, rel=1e-8)
    assert (2 * a + b, c + d, 2 * a + c, b + d) == pytest.approx((6, 2, 4, 4), rel=1e-8)


def test_weights_drop_absent_margin_with_note():
    w = study_weights(_hand_study(), margins=("county_id", "segment", "size_tier"))
    assert w.attrs["margins"] == ["county_id", "segment"]
    assert any("size_tier" in note for note in w.attrs["notes"])
    with pytest.raises(ValueError, match="none of the margins"):
        study_weights(_hand_study(), margins=("size_tier",))


def test_weights_unknown_customer_is_named():
    with pytest.raises(ValueError, match="R99"):
        study_weights(_hand_study(extra_response=True))


def test_weights_need_tables():
    from conftest import tiny_tables

    tables, cb = tiny_tables()
    del tables["customers"]
    with pytest.raises(ValueError, match="customers"):
        study_weights(Study(tables, cb))


# --- weighted means -------------------------------------------------------------------------------------------------
def test_weighted_means_equal_survey_mean_by_hand(example):
    out = study_weighted_means(example)
    assert_standard_columns(out, "study_weighted_means")
    assert out["weighting"].tolist() == ["weighted", "unweighted"]
    w = study_weights(example)
    w = w[w["wave"] == "2024Q4"]
    w = w.assign(satisfaction=satisfaction_score(w, codebook=example.codebook).to_numpy()).dropna(
        subset=["satisfaction"])
    wtd = out.iloc[0]
    assert wtd["estimate"] == pytest.approx(np.average(w["satisfaction"], weights=w["weight"]), rel=1e-12)
    assert out.iloc[1]["estimate"] == pytest.approx(w["satisfaction"].mean(), rel=1e-12)
    ref = survey_mean(w, "satisfaction", weights="weight", cluster="branch_id")
    assert wtd["se"] == pytest.approx(ref["se"].iloc[0], rel=1e-12)
    assert out.attrs["wave"] == "2024Q4" and out.attrs["diagnostics"]["wave"].tolist() == ["2024Q4"]


def test_weighted_means_by_wave_uses_every_wave(example):
    out = study_weighted_means(example, by="wave")
    assert out.attrs["wave"] is None
    assert out.groupby("weighting")["wave"].nunique().tolist() == [12, 12]


# --- branch estimates -----------------------------------------------------------------------------------------------
def test_by_branch_equals_branch_means_by_hand(example, by_branch):
    screened = screen_study(example)[0]
    d = screened.customer_survey.merge(screened.customers[["customer_id", "branch_id"]], on="customer_id")
    d["sat"] = satisfaction_score(d, codebook=screened.codebook).to_numpy()
    d = d[(d["wave"] == "2024Q4") & d["sat"].notna()]
    ref = branch_means(d, "sat").set_index("branch_id")
    got = by_branch.set_index("branch_id").loc[ref.index]
    for col in ("n", "raw_mean", "estimate", "se", "ci_lower", "ci_upper", "shrinkage"):
        np.testing.assert_allclose(got[col].to_numpy(dtype=float), ref[col].to_numpy(dtype=float), rtol=1e-10,
                                   err_msg=col)
    ranks = rank_intervals(branch_means(d, "sat"), seed=7).set_index("branch_id").loc[ref.index]
    np.testing.assert_allclose(got["prob_top"], ranks["prob_top"])
    assert (got["rank_ci_lower"].to_numpy() == ranks["ci_lower"].to_numpy()).all()
    raw = branch_means(d, "sat", method="raw").set_index("branch_id")
    np.testing.assert_allclose(got["raw_ci_upper"], raw.loc[ref.index, "ci_upper"], rtol=1e-12)
    assert by_branch.attrs["overall_mean"] == pytest.approx(ref.attrs["fixed_effects"]["Intercept"])
    assert by_branch["estimate"].is_monotonic_decreasing
    names = example.units.set_index("unit_id")["name"]
    assert (by_branch["branch_name"].to_numpy() == names.loc[by_branch["branch_id"]].to_numpy()).all()
    assert_standard_columns(by_branch, "study_satisfaction_by_branch")


def test_by_branch_wave_and_errors(example):
    first = study_satisfaction_by_branch(example, wave="2022Q1", method="raw", seed=1)
    assert first.attrs["wave"] == "2022Q1"
    np.testing.assert_allclose(first["estimate"], first["raw_mean"])
    with pytest.raises(ValueError, match="2030Q1"):
        study_satisfaction_by_branch(example, wave="2030Q1")
    with pytest.raises(ValueError, match="allowed|method"):
        study_satisfaction_by_branch(example, method="mean")


# --- figure ---------------------------------------------------------------------------------------------------------
def test_caterpillar_one_tick_per_branch(by_branch):
    ax = plot_branch_caterpillar(by_branch, lang="zh")
    try:
        ticks = [t.get_text() for t in ax.get_yticklabels()]
        k = len(by_branch)
        # sorted by the shrunken estimate, the highest at the top (last tick)
        assert ticks == by_branch["branch_name"].tolist()[::-1]
        shrunk, raw, overall = ax.lines[:3]
        assert len(shrunk.get_xdata()) == k and len(raw.get_xdata()) == k
        np.testing.assert_allclose(np.sort(shrunk.get_xdata()), np.sort(by_branch["estimate"]))
        assert overall.get_xdata()[0] == pytest.approx(by_branch.attrs["overall_mean"])
        assert "满意度" in ax.get_xlabel()
    finally:
        plt.close(ax.figure)


def test_caterpillar_sixty_branches_readable():
    rng = np.random.default_rng(3)
    k = 60
    n = rng.integers(1, 30, k)
    df = pd.DataFrame({"branch_id": np.repeat([f"B{i:03d}" for i in range(k)], n)})
    df["y"] = 70 + np.repeat(rng.normal(0, 8, k), n) + rng.normal(0, 12, len(df))
    est = branch_means(df, "y")
    ax = plot_branch_caterpillar(est, lang="en")
    try:
        assert len(ax.get_yticks()) == k
        assert ax.figure.get_figheight() >= 0.2 * k  # ~0.24 in per branch keeps tick labels apart
    finally:
        plt.close(ax.figure)


# --- report section -------------------------------------------------------------------------------------------------
def test_section_renders_on_example(example, tmp_path):
    res = render_report(example, tmp_path, sections=_section(), lang="en")
    assert res.failed == {} and res.skipped == {}
    assert res.figures == ["survey_branch_caterpillar"] and res.tables == ["survey_branches", "survey_planning"]
    html = res.path.read_text(encoding="utf-8")
    assert "design effect of weighting" in html
    above, below = different_branches(study_satisfaction_by_branch(example, seed=20240101))
    assert above and below  # the example's branches differ (simulated branch effects)
    assert all(name in html for name in above + below)


def test_section_skipped_without_customers(example, tmp_path):
    tables = {k: v for k, v in example.tables.items() if k != "customers"}
    res = render_report(Study(tables, example.codebook), tmp_path, sections=_section(), lang="en")
    assert res.failed == {}
    assert "customers" in res.skipped["survey"] and res.skipped["survey"].startswith("This section needs")


def test_section_skipped_with_two_branches():
    from fusion_study.reporting.sections import ReportContext

    sec = _section()[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(SectionSkipped) as info:
            list(sec.build(_hand_study(n_branches=2), ReportContext(lang="zh")))
    assert "2 个支部" in info.value.text("zh") and "at least 3" in info.value.text("en")
