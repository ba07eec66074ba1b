"""AIPW, mediation, E-values, p-value adjustment, HonestDiD."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from effects_helpers import mpdta
from fusion_study.effects import (
    OverlapWarning,
    adjust_pvalues,
    doubly_robust,
    e_value,
    honest_did,
    mediation,
    staggered_did,
    subgroup_effects,
)

REF = Path(__file__).parents[1] / "reference" / "effects"


def _obs_data(n=2000, seed=0, effect=1.0):
    rng = np.random.default_rng(seed)
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    ps = 1 / (1 + np.exp(-(0.8 * x1 - 0.5 * x2)))
    d = (rng.random(n) < ps).astype(int)
    y = 2 + x1 + 0.5 * x2 + effect * d + rng.normal(size=n)
    return pd.DataFrame({"x1": x1, "x2": x2, "d": d, "y": y, "seg": rng.choice(["urban", "rural"], n)})


def test_aipw_without_crossfit_matches_r_sandwich():
    """Estimates and SEs without cross-fitting against R (aipw_sandwich.R on aipw_data.csv): R's
    glm/lm nuisance fits and SEs from the ``sandwich`` package (HC0 on ``lm(phi ~ 1)`` for the ATE,
    on the just-identified ``AER::ivreg`` for the ATT ratio), not from our formula. Estimates 1e-9
    (two different logit solvers agree to ~1e-10), SEs 1e-8 relative."""
    ref = json.loads((REF / "aipw_sandwich.json").read_text())
    df = pd.read_csv(REF / "aipw_data.csv")
    assert len(df) == ref["n"]
    kw = dict(outcome="y", treatment="d", covariates=["x1", "x2"], n_folds=1, trim=0.0)
    ate = doubly_robust(df, **kw).result_.iloc[0]
    assert ate["estimate"] == pytest.approx(ref["ate"], abs=1e-9)
    assert ate["se"] == pytest.approx(ref["ate_se"], rel=1e-8)
    att = doubly_robust(df, estimand="att", **kw).result_.iloc[0]
    assert att["estimate"] == pytest.approx(ref["att"], abs=1e-9)
    assert att["se"] == pytest.approx(ref["att_se"], rel=1e-8)


def test_aipw_crossfit_recovers_truth_and_is_deterministic():
    df = _obs_data(seed=1)
    a = doubly_robust(df, outcome="y", treatment="d", covariates=["x1", "x2"], seed=7)
    b = doubly_robust(df, outcome="y", treatment="d", covariates=["x1", "x2"], seed=7)
    pd.testing.assert_frame_equal(a.to_frame(), b.to_frame())
    r = a.result_.iloc[0]
    assert abs(r["estimate"] - 1.0) < 3 * r["se"]
    bal = a.balance_
    assert (bal["smd_before"].abs() > 0.1).any()
    assert (bal["smd_after"].abs() < 0.1).all()
    ax = a.plot(lang="en")
    assert ax.get_xlabel().startswith("|standardized")
    import matplotlib.pyplot as plt

    plt.close("all")


def test_trimming_is_recorded_and_warned():
    df = _obs_data(seed=2)
    df["x1"] = df["x1"] * 4  # poor overlap
    with pytest.warns(OverlapWarning):
        res = doubly_robust(df, outcome="y", treatment="d", covariates=["x1", "x2"], trim=0.05, seed=1)
    assert res.overlap_["n_trimmed"] > 0
    assert res.result_["n_trimmed"].iloc[0] == res.overlap_["n_trimmed"]
    assert res.result_["n"].iloc[0] == len(df) - res.overlap_["n_trimmed"]


def test_aipw_errors():
    df = _obs_data(n=300)
    sep = df.assign(z=df["d"] * 10.0)
    with pytest.raises(ValueError, match="perfect separation"):
        doubly_robust(sep, outcome="y", treatment="d", covariates=["x1", "z"])
    sep2 = df.assign(z1=df["d"] + df["x1"] * 0.0 + 0.1 * df["x2"], z2=-df["x2"] * 0.1)
    with pytest.raises(ValueError, match="perfect separation"):
        doubly_robust(sep2, outcome="y", treatment="d", covariates=["z1", "z2"])
    with pytest.raises(ValueError, match="empty cell"):
        doubly_robust(df.assign(d=1), outcome="y", treatment="d", covariates=["x1"])
    with pytest.raises(ValueError, match="estimand='atc' is not supported; use one of"):
        doubly_robust(df, outcome="y", treatment="d", covariates=["x1"], estimand="atc")


def test_mediation_point_estimates_match_lavaan():
    ref = json.loads((REF / "mediation_padjust.json").read_text())
    df = pd.read_csv(REF / "mediation_data.csv")
    out = mediation(df, treatment="t", mediator="m", outcome="y", covariates=["x"], n_boot=300, seed=3)
    est = out.set_index("term")["estimate"]
    assert est["indirect"] == pytest.approx(ref["indirect"], rel=1e-6)
    assert est["direct"] == pytest.approx(ref["direct"], rel=1e-6)
    assert est["total"] == pytest.approx(ref["total"], rel=1e-6)
    assert est["proportion_mediated"] == pytest.approx(ref["indirect"] / ref["total"], rel=1e-6)
    ci = out.set_index("term")
    assert ci.loc["indirect", "ci_lower"] < ref["indirect"] < ci.loc["indirect", "ci_upper"]
    again = mediation(df, treatment="t", mediator="m", outcome="y", covariates=["x"], n_boot=300, seed=3)
    pd.testing.assert_frame_equal(out, again)
    clus = mediation(df.assign(c=np.arange(len(df)) % 40), treatment="t", mediator="m", outcome="y",
                     covariates=["x"], n_boot=100, seed=3, cluster="c")
    assert np.isfinite(clus["se"]).all()


def test_adjust_pvalues_match_r():
    """R ``p.adjust`` (mediation_padjust.R: ten p-values with ties after adjustment; p_adjust.R: an
    unsorted vector with a missing value, also worked out by hand in p_adjust.json)."""
    ref = json.loads((REF / "mediation_padjust.json").read_text())
    p = np.array(ref["p"])[::-1]  # order must not matter
    holm = adjust_pvalues(p, method="holm")
    assert list(holm.columns) == ["p_value", "p_adjusted"]
    np.testing.assert_allclose(holm["p_adjusted"], np.array(ref["holm"])[::-1], rtol=0, atol=1e-12)
    np.testing.assert_allclose(adjust_pvalues(p, method="bh")["p_adjusted"], np.array(ref["bh"])[::-1],
                               rtol=0, atol=1e-12)
    small = json.loads((REF / "p_adjust.json").read_text())
    pv = np.array(small["p"], dtype=float)  # null -> nan
    frame = pd.DataFrame({"term": list("abcdef"), "p_value": pv, "n": 10})
    for ours, key in (("holm", "holm"), ("bh", "bh")):
        out = adjust_pvalues(frame, method=ours)
        assert list(out.columns) == ["term", "p_value", "p_adjusted", "n"]  # inserted after p_value
        want = np.array(small[key], dtype=float)
        np.testing.assert_allclose(out["p_adjusted"], want, rtol=0, atol=1e-12, equal_nan=True)
        np.testing.assert_allclose(want, np.array(small["by_hand"][key], dtype=float), atol=1e-12,
                                   equal_nan=True)
    with pytest.raises(ValueError, match="p-values must lie in"):
        adjust_pvalues([0.2, 1.5])
    with pytest.raises(ValueError, match="use one of"):
        adjust_pvalues([0.2], method="bonferroni")


def test_e_values_published_example():
    out = e_value(3.9, 1.8, 8.7).iloc[0]
    assert out["e_value"] == pytest.approx(7.26, abs=0.005)
    assert out["e_value_ci"] == pytest.approx(3.0, abs=0.005)
    prot = e_value(0.5, 0.3, 0.8).iloc[0]  # protective: uses 1/RR
    assert prot["e_value"] == pytest.approx(2 + np.sqrt(2), abs=1e-12)
    assert e_value(1.2, 0.9, 1.5).iloc[0]["e_value_ci"] == 1.0
    smd = e_value(0.5, 0.2, 0.8, scale="smd", sd=1.0).iloc[0]
    assert smd["rr"] == pytest.approx(np.exp(0.455), rel=1e-12)


def test_subgroups_with_adjusted_p():
    df = _obs_data(n=1600, seed=4)
    out = subgroup_effects(df, by="seg", outcome="y", treatment="d", covariates=["x1", "x2"], seed=1)
    assert out["subgroup"].tolist() == ["rural", "urban"]
    assert (out["p_adjusted"] >= out["p_value"]).all()


def test_honest_did_on_mpdta():
    df = mpdta()
    res = staggered_did(df, outcome="lemp", unit="countyreal", time="year", cohort="first.treat",
                        control="never", base_period="universal")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        hd = honest_did(res, M=[0.5, 1.0])
    # diff-diff's native CallawaySantAnna + HonestDiD gives bounds [-0.1078, -0.0467] and
    # CI [-0.1469, -0.0075] at M = 0.5 (checked when this test was written)
    r = hd.iloc[0]
    assert r["lower_bound"] == pytest.approx(-0.1078, abs=1e-4)
    assert r["upper_bound"] == pytest.approx(-0.0467, abs=1e-4)
    assert r["ci_lower"] == pytest.approx(-0.1469, abs=1e-4) and r["ci_upper"] == pytest.approx(-0.0075, abs=1e-4)
    assert (hd["ci_upper"] - hd["ci_lower"]).is_monotonic_increasing
    # an event-time window: the unadjusted estimate is the mean of the post horizons kept (e = 0, 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        win = honest_did(res, M=0.5, min_e=-3, max_e=1).iloc[0]
    dyn = res.aggregate("dynamic").query("term == 'event_time'").set_index("value")["estimate"]
    assert win["estimate"] == pytest.approx(dyn.loc[[0, 1]].mean(), abs=1e-12)
    assert win["lower_bound"] <= win["estimate"] <= win["upper_bound"]
    with pytest.raises(ValueError, match="reference period"):
        honest_did(res, min_e=0)
    varying = staggered_did(df, outcome="lemp", unit="countyreal", time="year", cohort="first.treat")
    with pytest.raises(ValueError, match="universal"):
        honest_did(varying)
