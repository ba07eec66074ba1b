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
    assert (dom["ci_lower"] == 1).all() and (dom["ci_upper"] == 1).all() and (dom["median_rank"] == 1).all()
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
    assert (r["ci_lower"] <= r["median_rank"]).all() and (r["median_rank"] <= r["ci_upper"]).all()
    assert r["ci_lower"].min() >= 1 and r["ci_upper"].max() <= 15
    s = res.sensitivity_
    assert s["factor"].tolist() == ["normalise", "weights", "aggregate", "weights_perturbation_and_interactions"]


def _reference_by_refitting(df, draws, alpha):
    """An independent computation: refit IntegrationIndex with each draw's choices (no weight perturbation),
    then numpy's inverted-CDF quantiles of the ranks and the variance decomposition with pandas."""
    ranks = {}
    for combo in draws.drop_duplicates().itertuples(index=False):
        idx = IntegrationIndex(IDX.indicators, normalise=combo.normalise, weights=combo.weights,
                               aggregate=combo.aggregate, direction=["cost"]).fit(df)
        ranks[tuple(combo)] = idx.scores_["rank"].to_numpy()
    r = np.stack([ranks[tuple(c)] for c in draws.itertuples(index=False)])  # draws x unit-periods
    out = {"median_rank": np.quantile(r, 0.5, axis=0, method="inverted_cdf"),
           "ci_lower": np.quantile(r, alpha / 2, axis=0, method="inverted_cdf"),
           "ci_upper": np.quantile(r, 1 - alpha / 2, axis=0, method="inverted_cdf"),
           "mean_rank": r.mean(axis=0)}
    frame = pd.DataFrame(r)
    total = frame.var(ddof=0).sum()
    shares = {}
    for f in ("normalise", "weights", "aggregate"):
        by = frame.groupby(draws[f].to_numpy())
        share_of_draws = by.size() / len(frame)
        between = (by.mean() - frame.mean()).pow(2).mul(share_of_draws, axis=0).sum().sum()
        shares[f] = between / total
    return out, shares


@pytest.mark.parametrize("alpha", [0.05, 0.10])
def test_ranks_and_sensitivity_equal_an_independent_recomputation(alpha):
    df = data(n_units=8, periods=("2024Q1", "2024Q2"), seed=11)
    # rank normalisation is left out: with 8 units it makes exact ties of the index, which the two
    # computations (one matrix product here, IntegrationIndex's aggregation there) may break differently
    res = index_uncertainty(IDX, df, n_draws=240, seed=5, concentration=None, alpha=alpha,
                            normalisations=("minmax", "zscore"))
    assert res.draws_.nunique().to_dict() == {"normalise": 2, "weights": 5, "aggregate": 3}
    ref, shares = _reference_by_refitting(df, res.draws_, alpha)
    for col, values in ref.items():
        np.testing.assert_allclose(res.ranks_[col].to_numpy(), values, rtol=0, atol=1e-9, err_msg=col)
    s = res.sensitivity_.set_index("factor")["first_order"]
    for f, value in shares.items():
        assert s[f] == pytest.approx(value, rel=1e-9, abs=1e-12), f
    assert s["weights_perturbation_and_interactions"] == pytest.approx(max(1 - sum(shares.values()), 0), abs=1e-9)
    assert res.alpha_ == alpha and res.ranks_.attrs["alpha"] == alpha


def test_alpha_sets_the_rank_quantiles():
    """The same draws (same seed): alpha=0.10 takes the 5%/95% quantiles, inside the 2.5%/97.5% ones."""
    df = data()
    r95 = index_uncertainty(IDX, df, n_draws=400, seed=3).ranks_
    r90 = index_uncertainty(IDX, df, n_draws=400, seed=3, alpha=0.10).ranks_
    pd.testing.assert_series_equal(r95["median_rank"], r90["median_rank"])
    assert (r90["ci_lower"] >= r95["ci_lower"]).all() and (r90["ci_upper"] <= r95["ci_upper"]).all()
    assert ((r90["ci_lower"] > r95["ci_lower"]) | (r90["ci_upper"] < r95["ci_upper"])).any()
    with pytest.raises(ValueError, match="alpha"):
        index_uncertainty(IDX, df, n_draws=10, alpha=0)


def test_fixed_choices_explain_nothing_and_no_perturbation_means_no_spread():
    idx = IntegrationIndex(IDX.indicators, weights="equal", direction=["cost"])
    res = index_uncertainty(idx, data(), n_draws=50, seed=1, normalisations=("minmax",), weightings=("equal",),
                            aggregations=("linear",), concentration=None)
    r = res.ranks_
    assert (r["ci_lower"] == r["ci_upper"]).all()
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
    assert "95% rank interval" in [t.get_text() for t in ax.get_legend().get_texts()]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[int(np.argmax(ax.get_yticks()))] == "B00"  # best at the top
    ax = plot_rank_intervals(res.ranks_, period="2024Q1", lang="zh", top=5, alpha=0.1)
    assert ax.get_xlabel() == "排名（1 = 最好）" and len(ax.get_yticks()) == 5
    assert "90% 排名区间" in [t.get_text() for t in ax.get_legend().get_texts()]
    plt.close("all")


def test_bad_options():
    with pytest.raises(ValueError, match="normalisations='log' is not supported; use one of"):
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
    assert len(q2) == 14 and (q2["n_units"] == 14).all() and q2["ci_upper"].max() <= 14
    assert (r[r["period"] == "2024Q1"]["n_units"] == 15).all()
