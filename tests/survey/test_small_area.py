"""Branch (small-area) means and rank intervals: R lme4 reference, simulated truth, closed forms, bad input.

Reference numbers: tests/reference/survey/small_area_lme4.R (writes small_area_data.csv and small_area_lme4.csv).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm, rankdata
from vocabulary import assert_standard_columns

from fusion_study.data.checks import MissingColumnsError
from fusion_study.survey.small_area import (
    DroppedRowsWarning,
    NoBranchVarianceWarning,
    branch_means,
    rank_intervals,
)

REF = Path(__file__).parents[1] / "reference" / "survey"
COLUMNS = ["branch_id", "n", "raw_mean", "estimate", "se", "ci_lower", "ci_upper", "shrinkage"]


@pytest.fixture(scope="module")
def ref_data():
    return pd.read_csv(REF / "small_area_data.csv")


@pytest.fixture(scope="module")
def lme4():
    return pd.read_csv(REF / "small_area_lme4.csv")


# --- R lme4 reference -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("model, covariates", [("intercept", None), ("tenure", ["tenure"])])
def test_blup_matches_lme4(ref_data, lme4, model, covariates):
    r = lme4[lme4.model == model].reset_index(drop=True)
    est = branch_means(ref_data, "satisfaction", covariates=covariates)
    assert list(est.columns) == COLUMNS
    assert est.branch_id.tolist() == r.branch_id.tolist()
    assert est.n.tolist() == r.n.tolist()
    assert 1 in est.n.tolist()  # the single-response branch is estimated
    rtol = 1e-5
    np.testing.assert_allclose(est.attrs["branch_variance"], r.branch_variance[0], rtol=rtol)
    np.testing.assert_allclose(est.attrs["residual_variance"], r.residual_variance[0], rtol=rtol)
    np.testing.assert_allclose(est.attrs["fixed_effects"]["Intercept"], r.fixef_intercept[0], rtol=rtol)
    if covariates:
        np.testing.assert_allclose(est.attrs["fixed_effects"]["tenure"], r.fixef_slope[0], rtol=rtol)
    # fixef + ranef: the shrunken branch means, and the BLUPs themselves
    np.testing.assert_allclose(est.estimate, r.blup, rtol=rtol)
    np.testing.assert_allclose(est.estimate - r.fixed_part, r.ranef, rtol=rtol, atol=1e-6)
    # g1 = (1 - shrinkage) * tau2 is lme4's conditional variance (postVar)
    np.testing.assert_allclose((1 - est.shrinkage) * est.attrs["branch_variance"], r.post_var, rtol=rtol)
    # g1 + g2 against the inverse of Henderson's mixed-model equations; g3 against explicit matrices in R
    terms = est.attrs["mse_terms"]
    np.testing.assert_allclose(terms.g1 + terms.g2, r.mse_henderson, rtol=rtol)
    np.testing.assert_allclose(terms.g3, r.g3, rtol=1e-5)
    np.testing.assert_allclose(est.se**2, r.mse_henderson + 2 * r.g3, rtol=rtol)
    old = branch_means(ref_data, "satisfaction", covariates=covariates, mse="g1g2")
    np.testing.assert_allclose(old.se**2, r.mse_henderson, rtol=rtol)
    assert (est.se**2 > r.post_var).all()  # the fixed-part uncertainty is included
    z = norm.ppf(0.975)
    np.testing.assert_allclose(est.ci_upper - est.ci_lower, 2 * z * est.se, rtol=1e-12)


def test_shrinkage_is_weight_on_own_mean(ref_data):
    est = branch_means(ref_data, "satisfaction")
    tau2, mu = est.attrs["branch_variance"], est.attrs["fixed_effects"]["Intercept"]
    np.testing.assert_allclose(est.estimate, est.shrinkage * est.raw_mean + (1 - est.shrinkage) * mu, rtol=1e-12)
    np.testing.assert_allclose(est.shrinkage, tau2 / (tau2 + est.attrs["residual_variance"] / est.n), rtol=1e-12)
    # larger branches keep more of their own mean
    order = np.argsort(est.n.to_numpy())
    assert np.all(np.diff(est.shrinkage.to_numpy()[order]) >= 0)


def test_raw_means(ref_data):
    est = branch_means(ref_data, "satisfaction", method="raw", alpha=0.1)
    g = ref_data.groupby("branch_id")["satisfaction"]
    np.testing.assert_allclose(est.raw_mean, g.mean().to_numpy(), rtol=1e-12)
    np.testing.assert_allclose(est.estimate, est.raw_mean, rtol=0)
    np.testing.assert_allclose(est.se, (g.std(ddof=1) / np.sqrt(g.size())).to_numpy(), rtol=1e-12)
    assert (est.shrinkage == 1).all()
    single = est.n == 1
    assert single.sum() == 1 and est.loc[single, "se"].isna().all()
    ok = ~single
    np.testing.assert_allclose((est.ci_upper - est.estimate)[ok], norm.ppf(0.95) * est.se[ok], rtol=1e-12)


# --- simulated truth --------------------------------------------------------------------------------------------------

def _simulate(seed, k=30, tau=4.0, sigma=12.0):
    rng = np.random.default_rng(seed)
    n = rng.integers(10, 41, k)
    theta = 72.0 + rng.normal(0.0, tau, k)
    ids = np.array([f"B{i:02d}" for i in range(k)])
    data = pd.DataFrame({"branch_id": np.repeat(ids, n), "sat": np.repeat(theta, n) + rng.normal(0.0, sigma, n.sum())})
    return data, pd.Series(theta, index=ids)


def test_simulated_truth_coverage_and_mse():
    # 100 seeds x 30 branches of 10-40 answers (tau = 4, sigma = 12 on a 0-100 score); measured when written:
    # coverage 0.943, MSE 4.56 (shrunken) vs 6.53 (raw); true rank inside the rank interval 0.98 (first 30 seeds)
    covered, se_blup, se_raw, n_cells = 0, 0.0, 0.0, 0
    rank_covered, rank_cells = 0, 0
    for seed in range(100):
        data, theta = _simulate(seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NoBranchVarianceWarning)
            est = branch_means(data, "sat")
        raw = branch_means(data, "sat", method="raw")
        truth = theta.loc[est.branch_id].to_numpy()
        covered += int(((est.ci_lower <= truth) & (truth <= est.ci_upper)).sum())
        se_blup += float(((est.estimate - truth) ** 2).sum())
        se_raw += float(((raw.estimate - truth) ** 2).sum())
        n_cells += len(est)
        if seed < 30:
            ranks = rank_intervals(est, n_draws=1000, seed=seed)
            true_rank = rankdata(-theta.loc[ranks.branch_id].to_numpy(), method="min")
            rank_covered += int(((ranks.ci_lower <= true_rank) & (true_rank <= ranks.ci_upper)).sum())
            rank_cells += len(ranks)
    assert covered / n_cells >= 0.9
    assert se_blup < se_raw
    assert rank_covered / rank_cells >= 0.9


def test_simulated_covariate_improves_on_raw():
    rng = np.random.default_rng(7)
    k = 25
    n = rng.integers(10, 41, k)
    ids = np.repeat([f"B{i:02d}" for i in range(k)], n)
    x = rng.normal(0, 1, n.sum()) + np.repeat(rng.normal(0, 1, k), n)
    theta_u = rng.normal(0, 3, k)
    yv = 70 + 5 * x + np.repeat(theta_u, n) + rng.normal(0, 12, n.sum())
    data = pd.DataFrame({"branch_id": ids, "x": x, "sat": yv})
    est = branch_means(data, "sat", covariates="x")
    xbar = data.groupby("branch_id")["x"].mean().to_numpy()
    truth = 70 + 5 * xbar + theta_u
    raw = branch_means(data, "sat", method="raw")
    assert np.mean((est.estimate - truth) ** 2) < np.mean((raw.estimate - truth) ** 2)
    assert abs(est.attrs["fixed_effects"]["x"] - 5) < 4 * est.attrs["fixed_se"]["x"]


# --- edge cases and bad input ---------------------------------------------------------------------------------------

def test_no_between_branch_variance_gives_pooled_mean():
    # every branch has exactly the same mean: REML puts tau2 on the boundary 0
    base = np.array([60.0, 70.0, 80.0, 65.0, 75.0])
    data = pd.DataFrame({"branch_id": np.repeat(list("ABCDEF"), 5), "sat": np.tile(base, 6)})
    data.loc[data.branch_id == "F", "sat"] = np.array([50.0, 90.0, 70.0, 70.0, 70.0])
    with pytest.warns(NoBranchVarianceWarning, match="pooled mean"):
        est = branch_means(data, "sat")
    assert est.attrs["branch_variance"] == 0.0
    assert (est.shrinkage == 0).all()
    np.testing.assert_allclose(est.estimate, data.sat.mean(), rtol=1e-12)
    pooled_se = data.sat.std(ddof=1) / np.sqrt(len(data))
    with pytest.warns(NoBranchVarianceWarning):
        fixed = branch_means(data, "sat", mse="g1g2")
    np.testing.assert_allclose(fixed.se, pooled_se, rtol=1e-10)
    # at the boundary the uncertainty of the estimated tau2 still widens the intervals (g3 > 0)
    g3 = est.attrs["mse_terms"].g3.to_numpy()
    assert (g3 > 0).all()
    np.testing.assert_allclose(est.se**2, pooled_se**2 + 2 * g3, rtol=1e-10)


def test_single_response_branch_is_fine():
    data, _ = _simulate(3, k=8)
    data = pd.concat([data, pd.DataFrame({"branch_id": ["Z"], "sat": [95.0]})], ignore_index=True)
    est = branch_means(data, "sat")
    z = est.set_index("branch_id").loc["Z"]
    assert z.n == 1 and 0 < z.shrinkage < 0.5 and np.isfinite(z.se)
    assert est.attrs["fixed_effects"]["Intercept"] < z.estimate < 95.0


def test_missing_rows_are_counted():
    data, _ = _simulate(4, k=6)
    data.loc[[0, 5], "sat"] = np.nan
    with pytest.warns(DroppedRowsWarning, match="left out 2 of"):
        est = branch_means(data, "sat")
    assert est.attrs["n_dropped"] == 2 and est.n.sum() == len(data) - 2


def test_vocabulary_and_ranks_vocabulary(ref_data):
    for method in ("blup", "raw"):
        est = branch_means(ref_data, "satisfaction", method=method)
        assert_standard_columns(est, f"branch_means(method={method!r})")
    assert_standard_columns(rank_intervals(branch_means(ref_data, "satisfaction"), n_draws=200, seed=0), "rank_intervals")


def test_bad_input(ref_data):
    with pytest.raises(MissingColumnsError, match=r"branch_means: the data lacks column\(s\) \['nope'\]"):
        branch_means(ref_data, "nope")
    with pytest.raises(MissingColumnsError, match="store"):
        branch_means(ref_data, "satisfaction", by="store")
    with pytest.raises(MissingColumnsError, match="age"):
        branch_means(ref_data, "satisfaction", covariates=["age"])
    with pytest.raises(ValueError, match=r"method='bayes' is not supported; use one of \['blup', 'raw'\]"):
        branch_means(ref_data, "satisfaction", method="bayes")
    with pytest.raises(ValueError, match="alpha"):
        branch_means(ref_data, "satisfaction", alpha=1.5)
    with pytest.raises(ValueError, match="'branch_id' must be numeric"):
        branch_means(ref_data, "branch_id", by="tenure")
    with pytest.raises(ValueError, match="at least 2 groups"):
        branch_means(ref_data.assign(branch_id="B01"), "satisfaction")
    with pytest.raises(ValueError, match="only to method='blup'"):
        branch_means(ref_data, "satisfaction", method="raw", covariates=["tenure"])
    with pytest.raises(ValueError, match="must be different columns"):
        branch_means(ref_data, "satisfaction", covariates=["satisfaction"])
    with pytest.raises(ValueError, match="constant or collinear"):
        branch_means(ref_data.assign(c=1.0), "satisfaction", covariates=["c"])


# --- rank intervals -----------------------------------------------------------------------------------------------------

def test_rank_intervals_deterministic_and_consistent(ref_data):
    est = branch_means(ref_data, "satisfaction")
    a = rank_intervals(est, n_draws=2000, top=3, bottom=2, seed=11)
    b = rank_intervals(est, n_draws=2000, top=3, bottom=2, seed=11)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(rank_intervals(est, n_draws=2000, top=3, bottom=2, seed=12))
    assert list(a.columns) == ["branch_id", "estimate", "se", "rank", "median_rank", "ci_lower", "ci_upper",
                               "prob_top", "prob_bottom"]
    assert a["rank"].tolist() == sorted(a["rank"])
    assert (a.ci_lower <= a.median_rank).all() and (a.median_rank <= a.ci_upper).all()
    assert a.ci_lower.min() == 1 and a.ci_upper.max() <= len(est)
    # exactly `top` branches are in the top-k in every draw (continuous draws: no ties)
    np.testing.assert_allclose(a.prob_top.sum(), 3, rtol=1e-12)
    np.testing.assert_allclose(a.prob_bottom.sum(), 2, rtol=1e-12)
    # the noisy single-response branch has the widest rank interval of those with a similar estimate
    width = (a.ci_upper - a.ci_lower).set_axis(a.branch_id)
    assert width["B07"] >= width.median()


def test_rank_intervals_two_branches_closed_form():
    est = pd.DataFrame({"branch_id": ["A", "B"], "estimate": [71.0, 70.0], "se": [1.5, 2.0]})
    r = rank_intervals(est, n_draws=40000, top=1, bottom=1, seed=5).set_index("branch_id")
    p = norm.cdf(1.0 / np.hypot(1.5, 2.0))
    mc = np.sqrt(p * (1 - p) / 40000)
    assert abs(r.loc["A", "prob_top"] - p) < 4 * mc
    np.testing.assert_allclose(r.loc["A", "prob_top"] + r.loc["B", "prob_top"], 1.0, rtol=1e-12)
    np.testing.assert_allclose(r.loc["A", "prob_bottom"], 1 - r.loc["A", "prob_top"], rtol=1e-12)
    assert r.loc["A", "median_rank"] == 1 and r.loc["B", "median_rank"] == 2
    assert (r.ci_lower == 1).all() and (r.ci_upper == 2).all()


def test_rank_intervals_exchangeable_branches():
    k = 10
    est = pd.DataFrame({"branch_id": [f"B{i}" for i in range(k)], "estimate": np.full(k, 70.0), "se": np.ones(k)})
    r = rank_intervals(est, n_draws=20000, top=3, bottom=3, seed=2)
    mc = np.sqrt(0.3 * 0.7 / 20000)
    assert np.all(np.abs(r.prob_top - 0.3) < 4.5 * mc)
    assert np.all(np.abs(r.prob_bottom - 0.3) < 4.5 * mc)
    assert (r.ci_lower == 1).all() and (r.ci_upper == k).all()


def test_rank_intervals_bad_input():
    est = pd.DataFrame({"branch_id": ["A", "B", "C"], "estimate": [1.0, 2.0, 3.0], "se": [1.0, np.nan, 1.0]})
    with pytest.raises(ValueError, match=r"branches \['B'\] have a missing"):
        rank_intervals(est)
    with pytest.raises(MissingColumnsError, match="se"):
        rank_intervals(est.drop(columns="se"))
    ok = est.assign(se=1.0)
    with pytest.raises(ValueError, match="must not exceed the 3 branches"):
        rank_intervals(ok, top=4)
    with pytest.raises(ValueError, match="n_draws must be a positive integer"):
        rank_intervals(ok, n_draws=0)
    with pytest.raises(ValueError, match="duplicated"):
        rank_intervals(pd.concat([ok, ok.iloc[:1]]))
    with pytest.raises(ValueError, match="at least 2 branches"):
        rank_intervals(ok.iloc[:1])
