"""Monte Carlo rank uncertainty: determinism, dominance, sensitivity shares."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fusion_study.index import IntegrationIndex, index_uncertainty, plot_rank_intervals
from fusion_study.index.uncertainty import _min_ranks


def data(n_units=15, periods=("2024Q1", "2024Q2", "2024Q3"), seed=3):
    rng = np.random.default_rng(seed)
    rows = []
    for p in periods:
        for u in range(n_units):
            rows.append({"unit_id": f"B{u:02d}", "period": p, **{f"x{j}": rng.normal() for j in range(5)},
                         "cost": rng.normal()})
    df = pd.DataFrame(rows)
    # B00 dominates every indicator in every period (cost-type: smallest)
    for j in range(5):
        df.loc[df["unit_id"] == "B00", f"x{j}"] = 10.0
    df.loc[df["unit_id"] == "B00", "cost"] = -10.0
    return df


IDX = IntegrationIndex({"a": ["x0", "x1", "x2"], "b": ["x3", "x4", "cost"]}, direction=["cost"])


def test_same_seed_same_output_and_dominant_unit_interval():
    df = data()
    r1 = index_uncertainty(IDX, df, n_draws=400, seed=7)
    r2 = index_uncertainty(IDX, df, n_draws=400, seed=7)
    pd.testing.assert_frame_equal(r1.ranks_, r2.ranks_)
    pd.testing.assert_frame_equal(r1.sensitivity_, r2.sensitivity_)
    dom = r1.ranks_[r1.ranks_["unit_id"] == "B00"]
    assert (dom["rank_p05"] == 1).all() and (dom["rank_p95"] == 1).all() and (dom["median_rank"] == 1).all()
    assert (dom["mean_rank"] == 1).all()
    r3 = index_uncertainty(IDX, df, n_draws=400, seed=8)
    assert not r1.ranks_["mean_rank"].equals(r3.ranks_["mean_rank"])
    # every combination drawn is valid and all three factors vary
    assert not ((r1.draws_["normalise"] == "zscore") & r1.draws_["weights"].isin(["entropy", "cv"])).any()
    assert r1.draws_.nunique().to_dict() == {"normalise": 3, "weights": 5, "aggregate": 3}


def test_interval_ordering_and_shape():
    res = index_uncertainty(IDX, data(), n_draws=300, seed=1)
    r = res.ranks_
    assert len(r) == 45 and (r["n_units"] == 15).all()
    assert (r["rank_p05"] <= r["median_rank"]).all() and (r["median_rank"] <= r["rank_p95"]).all()
    assert r["rank_p05"].min() >= 1 and r["rank_p95"].max() <= 15
    s = res.sensitivity_
    assert s["factor"].tolist() == ["normalise", "weights", "aggregate", "weights_perturbation_and_interactions"]
    assert ((s["first_order"] >= 0) & (s["first_order"] <= 1)).all()
    assert s["first_order"].sum() == pytest.approx(1.0, abs=1e-9) or s["first_order"].iloc[:3].sum() > 1


def test_fixed_choices_explain_nothing_and_no_perturbation_means_no_spread():
    idx = IntegrationIndex(IDX.indicators, weights="equal", direction=["cost"])
    res = index_uncertainty(idx, data(), n_draws=50, seed=1, normalisations=("minmax",), weightings=("equal",),
                            aggregations=("linear",), concentration=None)
    r = res.ranks_
    assert (r["rank_p05"] == r["rank_p95"]).all()
    assert (r["median_rank"] == r["rank"]).all()
    s = res.sensitivity_.set_index("factor")["first_order"]
    assert s[["normalise", "weights", "aggregate"]].abs().max() < 1e-12


def test_sensitivity_detects_the_choice_that_matters():
    """x conflicts with two near-copies y, z: equal weights favour y/z's order, CRITIC (which
    down-weights redundant indicators) favours x's, so the weighting choice dominates."""
    rng = np.random.default_rng(0)
    n = 40
    a = rng.normal(size=n)
    df = pd.DataFrame({"unit_id": [f"u{i}" for i in range(n)], "period": "2024Q1",
                       "x": a, "y": -a + 0.05 * rng.normal(size=n), "z": -a + 0.05 * rng.normal(size=n)})
    idx = IntegrationIndex(["x", "y", "z"], weights="equal")
    res = index_uncertainty(idx, df, n_draws=600, seed=2, normalisations=("minmax", "rank"),
                            weightings=("equal", "critic"), aggregations=("linear",), concentration=None)
    s = res.sensitivity_.set_index("factor")["first_order"]
    assert s["weights"] > s["normalise"]


def test_min_ranks_ties():
    S = np.array([[[3.0, 1.0, 3.0, 2.0]]])
    assert _min_ranks(S).tolist() == [[[1, 4, 1, 3]]]


def test_rank_interval_figure():
    import matplotlib.pyplot as plt

    res = index_uncertainty(IDX, data(), n_draws=100, seed=1)
    ax = res.plot(lang="en")
    assert ax.get_xlabel() == "rank (1 = best)" and "2024Q3" in ax.get_title()
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[int(np.argmax(ax.get_yticks()))] == "B00"  # best at the top
    ax = plot_rank_intervals(res.ranks_, period="2024Q1", lang="zh", top=5)
    assert ax.get_xlabel() == "排名（1 = 最好）" and len(ax.get_yticks()) == 5
    plt.close("all")


def test_bad_options():
    with pytest.raises(ValueError, match="normalisations must be one of"):
        index_uncertainty(IDX, data(), n_draws=10, normalisations=("log",))
    with pytest.raises(ValueError, match="no valid combination"):
        index_uncertainty(IDX, data(), n_draws=10, normalisations=("zscore",), weightings=("entropy",))
    with pytest.raises(ValueError, match="n_draws"):
        index_uncertainty(IDX, data(), n_draws=0)


def test_unbalanced_panel_ranks_within_available_units():
    df = data()
    df = df[~((df["unit_id"] == "B03") & (df["period"] == "2024Q2"))]
    res = index_uncertainty(IDX, df, n_draws=200, seed=4)
    r = res.ranks_
    q2 = r[r["period"] == "2024Q2"]
    assert len(q2) == 14 and (q2["n_units"] == 14).all() and q2["rank_p95"].max() <= 14
    assert (r[r["period"] == "2024Q1"]["n_units"] == 15).all()
