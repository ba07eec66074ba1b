"""The two-skins test: correlations, bootstrap coverage, quadrants."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from fusion_study.index import IndexInputError, assessment_alignment


def bivariate(n, rho, seed, periods=("2024Q1",)):
    rng = np.random.default_rng(seed)
    xy = rng.multivariate_normal([0, 0], [[1, rho], [rho, 1]], size=n)
    rows = []
    for p in periods:
        for i in range(n):
            rows.append({"unit_id": f"B{i:03d}", "period": p, "metric": "party_assessment", "value": 80 + 5 * xy[i, 0]})
            rows.append({"unit_id": f"B{i:03d}", "period": p, "metric": "business_assessment", "value": 60 + 8 * xy[i, 1]})
            rows.append({"unit_id": f"B{i:03d}", "period": p, "metric": "sales", "value": 1.0})
    return pd.DataFrame(rows), xy


def test_point_estimates_match_scipy():
    kpis, xy = bivariate(60, 0.5, 1)
    res = assessment_alignment(kpis, n_boot=200, seed=1)
    est = res.correlations_.set_index("method")["estimate"]
    x, y = 80 + 5 * xy[:, 0], 60 + 8 * xy[:, 1]
    assert est["pearson"] == pytest.approx(stats.pearsonr(x, y)[0], abs=1e-12)
    assert est["spearman"] == pytest.approx(stats.spearmanr(x, y)[0], abs=1e-12)
    assert est["kendall"] == pytest.approx(stats.kendalltau(x, y)[0], abs=1e-12)
    assert (res.correlations_["n"] == 60).all()


def test_bootstrap_ci_covers_truth_in_most_replications():
    """Known correlation rho = 0.4: Pearson's population value is rho, Spearman's is
    (6/pi) asin(rho/2), Kendall's (2/pi) asin(rho). 95% percentile intervals should cover
    them in roughly 95% of 40 simulated studies (we require >= 34, i.e. 85%)."""
    rho = 0.4
    truth = {"pearson": rho, "spearman": 6 / np.pi * np.arcsin(rho / 2), "kendall": 2 / np.pi * np.arcsin(rho)}
    covered = {k: 0 for k in truth}
    for rep in range(40):
        kpis, _ = bivariate(120, rho, 100 + rep)
        c = assessment_alignment(kpis, n_boot=300, seed=rep).correlations_.set_index("method")
        for k, t in truth.items():
            covered[k] += c.loc[k, "ci_lower"] <= t <= c.loc[k, "ci_upper"]
    assert all(v >= 34 for v in covered.values()), covered


def test_same_seed_same_ci():
    kpis, _ = bivariate(50, 0.3, 2)
    a = assessment_alignment(kpis, n_boot=200, seed=5).correlations_
    b = assessment_alignment(kpis, n_boot=200, seed=5).correlations_
    pd.testing.assert_frame_equal(a, b)


def test_quadrants_median_split_and_labels():
    wide = pd.DataFrame({"unit_id": list("ABCD"), "party_assessment": [90, 90, 60, 60],
                         "business_assessment": [80, 50, 80, 50]})
    res = assessment_alignment(wide, n_boot=100, seed=0)
    q = res.points_.set_index("unit_id")["quadrant"].to_dict()
    assert q == {"A": "both_strong", "B": "party_only", "C": "business_only", "D": "both_weak"}
    assert res.points_.set_index("unit_id").loc["B", "quadrant_zh"] == "党建强、业务弱"
    assert res.quadrants_["n"].tolist() == [1, 1, 1, 1]
    res = assessment_alignment(wide, n_boot=100, seed=0, cut={"party": 50, "business": 50})
    assert (res.points_["quadrant"] == "both_strong").all()


def test_unit_period_points_with_cluster_bootstrap():
    kpis, _ = bivariate(30, 0.6, 4, periods=("2024Q1", "2024Q2"))
    res = assessment_alignment(kpis, by=("unit_id", "period"), n_boot=200, seed=1)
    assert res.correlations_.loc[0, "n"] == 60 and res.correlations_.loc[0, "n_clusters"] == 30


def test_errors_and_plot():
    import matplotlib.pyplot as plt

    kpis, _ = bivariate(20, 0.3, 3)
    with pytest.raises(IndexInputError, match="no KPI rows with metric 'party_score'"):
        assessment_alignment(kpis, party="party_score")
    with pytest.raises(ValueError, match="cut must be"):
        assessment_alignment(kpis, cut="mean")
    res = assessment_alignment(kpis, n_boot=100, seed=1)
    ax = res.plot(lang="zh")
    assert ax.get_xlabel() == "党建考核得分"
    assert {t.get_text() for t in ax.get_legend().get_texts()} <= {"党建业务双强", "党建强、业务弱", "业务强、党建弱", "党建业务双弱"}
    plt.close("all")


def test_vectorised_bootstrap_statistics_match_scipy_with_ties():
    from fusion_study.index.alignment import _boot_stats

    rng = np.random.default_rng(9)
    x = rng.integers(0, 5, size=(6, 25)).astype(float)  # many ties, as in resamples
    y = x + rng.integers(0, 3, size=(6, 25))
    got = _boot_stats(x, y)
    for b in range(6):
        assert got[b, 0] == pytest.approx(stats.pearsonr(x[b], y[b])[0], abs=1e-12)
        assert got[b, 1] == pytest.approx(stats.spearmanr(x[b], y[b])[0], abs=1e-12)
        assert got[b, 2] == pytest.approx(stats.kendalltau(x[b], y[b])[0], abs=1e-12)
