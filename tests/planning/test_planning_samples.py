"""Closed-form survey planning (:mod:`fusion_study.planning.samples`).

Power and group sizes against R pwr 1.3.0 (``tests/reference/planning/pwr_reference.R``); the
design effect, responses per branch and the cluster MDE against hand computations of the
published formulas, written out here with literal z-values.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from scipy import stats
from vocabulary import assert_standard_columns

from fusion_study.planning import design_effect, mde_cluster, power_two_means, responses_per_branch

REF = json.loads((Path(__file__).parents[1] / "reference" / "planning" / "pwr_reference.json").read_text())

Z975 = 1.959963984540054   # z_{0.975}
Z95 = 1.6448536269514722   # z_{0.95}
Z80 = 0.8416212335729143   # z_{0.80}


# --- design effect -------------------------------------------------------------------------------

def test_design_effect_kish_hand_numbers():
    assert design_effect(0.05, 20) == pytest.approx(1.95, abs=1e-12)
    assert design_effect(0.05, 20, cv_weights=0.5) == pytest.approx(1.95 * 1.25, abs=1e-12)
    assert design_effect(0.3, 1) == pytest.approx(1.0, abs=1e-12)          # one response per cluster
    assert design_effect(1.0, 11, cv_weights=0.2) == pytest.approx(11 * 1.04, abs=1e-12)


@pytest.mark.parametrize("kw, match", [
    ({"icc": 1.2, "m": 10}, "icc must be <= 1"),
    ({"icc": -0.1, "m": 10}, "icc must be >= 0"),
    ({"icc": 0.1, "m": 0.5}, "m must be >= 1"),
    ({"icc": 0.1, "m": 10, "cv_weights": -1}, "cv_weights must be >= 0"),
    ({"icc": "high", "m": 10}, "icc must be a number"),
])
def test_design_effect_bad_input(kw, match):
    with pytest.raises(ValueError, match=match):
        design_effect(**kw)


# --- responses per branch ------------------------------------------------------------------------

def test_branch_mean_uses_within_branch_variance():
    # n = z²(1-ρ)σ²·deff_w / h², sd 0.8, icc 0.1, h 0.05, deff_w 1.2
    exact = Z975 ** 2 * 0.9 * 0.64 * 1.2 / 0.05 ** 2
    assert exact == pytest.approx(1062.0865, abs=1e-4)
    assert responses_per_branch(0.05, sd=0.8, icc=0.1, deff_weights=1.2) == math.ceil(exact) == 1063
    # icc = 0 is the plain z²σ²/h² (the conservative size)
    assert responses_per_branch(0.1, sd=1.0, icc=0.0) == math.ceil(Z975 ** 2 / 0.01) == 385
    # alpha 0.10 uses z_{0.95}
    assert responses_per_branch(0.1, sd=1.0, icc=0.0, alpha=0.10) == math.ceil(Z95 ** 2 / 0.01) == 271


def test_overall_mean_hand_number_and_it_reaches_the_target():
    sd, rho, h, k = 1.0, 0.05, 0.1, 40
    a = Z975 ** 2 * sd ** 2 / h ** 2
    exact = (1 - rho) / (k / a - rho)
    assert exact == pytest.approx(17.5513, abs=1e-4)
    m = responses_per_branch(h, sd=sd, icc=rho, n_branches=k)
    assert m == 18

    def half_width(m):
        return Z975 * math.sqrt(sd ** 2 * design_effect(rho, m) / (k * m))

    assert half_width(m) <= h < half_width(m - 1)


def test_overall_mean_too_few_branches_says_how_many():
    # ρA = 0.05 · 384.146 = 19.2: 19 branches can never reach ±0.1, 20 can
    with pytest.raises(ValueError, match=r"at least 20 branches"):
        responses_per_branch(0.1, sd=1.0, icc=0.05, n_branches=19)
    m = responses_per_branch(0.1, sd=1.0, icc=0.05, n_branches=20)
    assert m > 100   # possible, but expensive, just above the limit


@pytest.mark.parametrize("kw, match", [
    ({"half_width": 0, "sd": 1, "icc": 0.1}, "half_width must be > 0"),
    ({"half_width": 0.1, "sd": -1, "icc": 0.1}, "sd must be > 0"),
    ({"half_width": 0.1, "sd": 1, "icc": 1.0}, "icc must be < 1"),
    ({"half_width": 0.1, "sd": 1, "icc": 0.1, "n_branches": 2.5}, "n_branches must be a positive whole"),
    ({"half_width": 0.1, "sd": 1, "icc": 0.1, "alpha": 5}, "alpha must be in"),
    ({"half_width": 0.1, "sd": 1, "icc": 0.1, "deff_weights": 0.5}, "deff_weights must be >= 1"),
])
def test_responses_per_branch_bad_input(kw, match):
    with pytest.raises(ValueError, match=match):
        responses_per_branch(**kw)


# --- power of two means: R pwr parity --------------------------------------------------------------

@pytest.mark.parametrize("method, key", [("t", "t"), ("normal", "normal")])
def test_power_matches_pwr(method, key):
    ref = REF["power"]
    for d, n, alpha, expected in zip(ref["d"], ref["n"], ref["alpha"], ref[key]):
        # effect and sd given in raw units: d = effect / sd
        got = power_two_means(d * 2.5, sd=2.5, n_per_group=n, alpha=alpha, method=method)
        assert float(got.loc[0, "power"]) == pytest.approx(expected, abs=1e-6), (d, n, alpha)


@pytest.mark.parametrize("method, key", [("t", "t"), ("normal", "normal")])
def test_group_size_matches_pwr(method, key):
    ref = REF["n"]
    for d, pw, alpha, tight, default in zip(ref["d"], ref["power"], ref["alpha"], ref[f"{key}_tight"],
                                            ref[f"{key}_default"]):
        got = float(power_two_means(d, sd=1.0, power=pw, alpha=alpha, method=method).loc[0, "n_per_group"])
        assert got == pytest.approx(tight, abs=1e-6), (d, pw, alpha)
        # pwr's own answer carries uniroot's default tolerance (about 1e-4)
        assert got == pytest.approx(default, abs=1e-3)


def test_group_size_round_trip_and_closed_form():
    res = power_two_means(-0.3, sd=1.5, power=0.85, alpha=0.05, method="normal")
    n = float(res.loc[0, "n_per_group"])
    assert float(res.loc[0, "d"]) == pytest.approx(0.2, abs=1e-12)
    assert float(power_two_means(-0.3, sd=1.5, n_per_group=n, method="normal").loc[0, "power"]) == pytest.approx(0.85, abs=1e-9)
    # the familiar closed form drops the far tail (power a little understated): slightly larger, and close
    closed = 2 * (Z975 + stats.norm.ppf(0.85)) ** 2 / 0.2 ** 2
    assert n < closed < n + 1e-3
    # the t test needs more than the z test
    n_t = float(power_two_means(-0.3, sd=1.5, power=0.85).loc[0, "n_per_group"])
    assert n < n_t < n + 2


def test_power_two_means_output_columns():
    res = power_two_means(0.5, sd=1.0, n_per_group=30)
    assert list(res.columns) == ["mean_difference", "sd", "d", "n_per_group", "power", "alpha", "method"]
    assert_standard_columns(res, "power_two_means")


@pytest.mark.parametrize("kw, match", [
    ({"n_per_group": 10, "power": 0.8}, "exactly one of"),
    ({}, "exactly one of"),
    ({"n_per_group": 10, "method": "z"}, r"method='z' is not supported; use one of \['t', 'normal'\]"),
    ({"n_per_group": 1}, "n_per_group must be > 1"),
    ({"power": 0.01}, "power must be > 0.05"),
])
def test_power_two_means_bad_input(kw, match):
    with pytest.raises(ValueError, match=match):
        power_two_means(0.5, sd=1.0, **kw)


def test_power_two_means_zero_effect_and_huge_effect():
    with pytest.raises(ValueError, match="non-zero"):
        power_two_means(0.0, sd=1.0, n_per_group=20)
    with pytest.raises(ValueError, match="2 per group already"):
        power_two_means(50.0, sd=1.0, power=0.8)


# --- minimum detectable effect of a cluster design ------------------------------------------------

def test_mde_cluster_bloom_hand_numbers():
    # Bloom (1995): MDE = (z_{1-α/2} + z_{power}) σ sqrt(ρ/(P(1-P)J) + (1-ρ)/(P(1-P)Jm))
    res = mde_cluster(40, 20, icc=0.05, sd=2.0)
    se = 2.0 * math.sqrt(0.05 / (0.25 * 40) + 0.95 / (0.25 * 40 * 20))
    assert float(res.loc[0, "se"]) == pytest.approx(se, abs=1e-12)
    assert float(res.loc[0, "multiplier"]) == pytest.approx(Z975 + Z80, abs=1e-12)
    assert float(res.loc[0, "mde"]) == pytest.approx((Z975 + Z80) * se, abs=1e-12)
    assert float(res.loc[0, "mde"]) == pytest.approx(0.553268, abs=1e-6)
    assert float(res.loc[0, "mde_sd"]) == pytest.approx(0.276634, abs=1e-6)
    assert float(res.loc[0, "design_effect"]) == pytest.approx(1.95, abs=1e-12)
    # unequal allocation, alpha 0.10, power 0.9
    res = mde_cluster(30, 12, icc=0.1, sd=1.0, alpha=0.10, power=0.9, treated_share=0.3)
    se = math.sqrt(0.1 / (0.21 * 30) + 0.9 / (0.21 * 30 * 12))
    assert float(res.loc[0, "mde"]) == pytest.approx((Z95 + 1.2815515655446004) * se, abs=1e-12)


def test_mde_cluster_is_the_effect_with_the_stated_power():
    res = mde_cluster(24, 15, icc=0.08, sd=1.3, power=0.8)
    mde, se = float(res.loc[0, "mde"]), float(res.loc[0, "se"])
    # normal approximation without the far tail: Φ(MDE/se - z) = power
    assert stats.norm.cdf(mde / se - Z975) == pytest.approx(0.8, abs=1e-12)
    # the same se from the design effect: sqrt(σ² deff / (P(1-P) J m))
    assert se == pytest.approx(math.sqrt(1.3 ** 2 * design_effect(0.08, 15) / (0.25 * 24 * 15)), abs=1e-12)


def test_mde_cluster_without_clustering_is_the_two_sample_case():
    # icc 0 and m 1: J/2 independent responses per arm; the z-test power at the MDE (both tails) ≈ 0.8
    res = mde_cluster(200, 1, icc=0.0, sd=1.0)
    d = float(res.loc[0, "mde_sd"])
    power = float(power_two_means(d, sd=1.0, n_per_group=100, method="normal").loc[0, "power"])
    assert power == pytest.approx(0.8, abs=1e-6)


def test_mde_cluster_output_and_errors():
    res = mde_cluster(10, 5, icc=0.1, sd=1.0)
    assert_standard_columns(res, "mde_cluster")
    assert set(res.columns) >= {"se", "mde", "mde_sd", "design_effect", "multiplier"}
    assert np.isfinite(res.select_dtypes("number").to_numpy()).all()
    with pytest.raises(ValueError, match="n_clusters must be a whole number of clusters >= 2"):
        mde_cluster(1, 5, icc=0.1, sd=1.0)
    with pytest.raises(ValueError, match="treated_share must be < 1"):
        mde_cluster(10, 5, icc=0.1, sd=1.0, treated_share=1.0)
    with pytest.raises(ValueError, match="power must be < 1"):
        mde_cluster(10, 5, icc=0.1, sd=1.0, power=1.0)
