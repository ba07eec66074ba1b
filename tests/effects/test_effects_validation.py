"""What the Monte Carlo validation relies on: the clustered SEs of staggered_did against
statsmodels, why few units per cohort undercover, the validation preset, chunked runs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from fusion_study.effects import staggered_did
from fusion_study.simulate.presets import PRESETS, SimulationConfig, make_config


def _two_by_two_rc(seed=0, n_clusters=12, per_cell=15):
    """Repeated cross-sections, 2 periods; clusters 0..5 treated in period 2; a cluster shock."""
    rng = np.random.default_rng(seed)
    rows = []
    for c in range(n_clusters):
        shock = rng.normal(scale=0.7, size=2)
        for t in (1, 2):
            y = 1.0 + 0.3 * t + shock[t - 1] + (0.5 if (c < n_clusters // 2 and t == 2) else 0.0)
            for _ in range(per_cell + int(rng.integers(0, 5))):
                rows.append((c, t, 2 if c < n_clusters // 2 else 0, y + rng.normal()))
    df = pd.DataFrame(rows, columns=["cl", "t", "g", "y"])
    df["id"] = np.arange(len(df))
    df["D"] = (df["g"] > 0).astype(float)
    df["post"] = (df["t"] == 2).astype(float)
    return df


def _ols_cluster_se(formula, df, term, groups):
    """statsmodels' cluster-robust SE without its small-sample factor (G/(G-1) * (N-1)/(N-K))."""
    fit = smf.ols(formula, df).fit(cov_type="cluster", cov_kwds={"groups": groups, "use_correction": False})
    return fit.params[term], fit.bse[term]


def test_rc_clustered_se_equals_statsmodels_cluster_robust_ols():
    """2x2 repeated cross-sections: ATT and clustered SE = the saturated OLS interaction and its
    cluster-robust SE (statsmodels 0.14, CR0) times sqrt(G/(G-1)); unclustered = HC0. Tolerance 1e-10."""
    df = _two_by_two_rc()
    G = df["cl"].nunique()
    b, se_cr0 = _ols_cluster_se("y ~ D * post", df, "D:post", df["cl"])
    res = staggered_did(df, outcome="y", unit="id", time="t", cohort="g", panel=False, cluster="cl")
    a = res.aggregate("simple").iloc[0]
    np.testing.assert_allclose(a["estimate"], b, rtol=1e-10)
    np.testing.assert_allclose(a["se"], se_cr0 * np.sqrt(G / (G - 1)), rtol=1e-10)
    fit = smf.ols("y ~ D * post", df).fit(cov_type="HC0")
    res0 = staggered_did(df, outcome="y", unit="id", time="t", cohort="g", panel=False)
    np.testing.assert_allclose(res0.aggregate("simple")["se"].iloc[0], fit.bse["D:post"], rtol=1e-10)
    # the cluster shock is real: ignoring it understates the SE here
    assert a["se"] > res0.aggregate("simple")["se"].iloc[0]


def test_panel_clustered_se_equals_statsmodels_on_the_change():
    """2x2 panel: ATT = OLS of the change on treatment; clustered SE = CR0 * sqrt(G/(G-1))."""
    rng = np.random.default_rng(3)
    n = 80
    cl = np.repeat(np.arange(16), n // 16)
    g = np.where(cl < 7, 2, 0)
    shock = rng.normal(scale=0.5, size=16)[cl]
    y1 = rng.normal(size=n) + shock
    y2 = y1 + 0.2 + 0.4 * (g > 0) + shock + rng.normal(size=n)
    long = pd.DataFrame({"id": np.tile(np.arange(n), 2), "t": np.repeat([1, 2], n), "g": np.tile(g, 2),
                         "cl": np.tile(cl, 2), "y": np.concatenate([y1, y2])})
    wide = pd.DataFrame({"dy": y2 - y1, "D": (g > 0).astype(float), "cl": cl})
    b, se_cr0 = _ols_cluster_se("dy ~ D", wide, "D", wide["cl"])
    res = staggered_did(long, outcome="y", unit="id", time="t", cohort="g", cluster="cl")
    a = res.aggregate("simple").iloc[0]
    np.testing.assert_allclose(a["estimate"], b, rtol=1e-10)
    np.testing.assert_allclose(a["se"], se_cr0 * np.sqrt(16 / 15), rtol=1e-10)


def test_single_treated_unit_contributes_no_variance():
    """Why p_city undercovers: with one unit in a cohort, the influence-function (or cluster-robust)
    variance has no treated-side term at all -- only the comparison units' spread enters, whatever the
    treated unit's own noise. The validation preset has several branches per cohort."""
    rng = np.random.default_rng(5)
    n = 30
    g = np.r_[2, np.zeros(n - 1, int)]
    dy = rng.normal(size=n)
    long = pd.DataFrame({"id": np.tile(np.arange(n), 2), "t": np.repeat([1, 2], n), "g": np.tile(g, 2),
                         "y": np.concatenate([np.zeros(n), dy])})
    se = staggered_did(long, outcome="y", unit="id", time="t", cohort="g").aggregate("simple")["se"].iloc[0]
    d0 = dy[1:]
    np.testing.assert_allclose(se, np.sqrt(((d0 - d0.mean()) ** 2).sum() / (n - 1) ** 2), rtol=1e-10)
    # its true sampling variance includes Var(dy_treated) = 1 on top: the SE is far too small
    assert se < 0.25


def test_validation_preset_is_p_city_with_more_branches():
    assert PRESETS["p_city"] == {}
    assert make_config("p_city") == SimulationConfig()  # p_city's defaults untouched
    v, p = make_config("validation"), make_config("p_city")
    assert v.n_counties * v.branches_per_county == 96
    # same retailers per branch and responses per branch and wave as p_city
    assert v.n_retailers / (v.n_counties * v.branches_per_county) == p.n_retailers / (
        p.n_counties * p.branches_per_county)
    assert v.survey_per_wave / v.n_counties == p.survey_per_wave / p.n_counties
    diff = {k for k, val in v.to_dict().items() if val != p.to_dict()[k]}
    assert diff == {"n_counties", "n_retailers", "survey_per_wave"}  # sizes only: same process


def test_run_validation_in_chunks_equals_one_run(monkeypatch):
    """Replication r always uses seed + r, so chunks (--first) concatenate to one run."""
    from fusion_study.effects import montecarlo

    def fake(r, *, seed, preset, n_boot):
        return pd.DataFrame({"replication": [r], "estimator": ["x"], "estimate": [float(seed + r)], "se": [1.0],
                             "truth": [0.0], "ci_lower": [0.0], "ci_upper": [0.0], "covered": [1.0]})

    monkeypatch.setattr(montecarlo, "one_replication", fake)
    whole = montecarlo.run_validation(5, seed=10)
    parts = pd.concat([montecarlo.run_validation(2, seed=10), montecarlo.run_validation(3, seed=10, first=2)],
                      ignore_index=True)
    pd.testing.assert_frame_equal(whole, parts)
    assert whole["estimate"].tolist() == [10.0, 11.0, 12.0, 13.0, 14.0]
    with pytest.raises(ValueError, match="first"):
        montecarlo.run_validation(1, first=-1)


def test_run_validation_passes_simulator_overrides(monkeypatch):
    """--set NAME=VALUE reaches simulate_study; a wrong name fails before any replication runs."""
    from fusion_study.effects import montecarlo

    seen = []

    def fake(r, *, seed, preset, n_boot, overrides=None):
        seen.append(overrides)
        return pd.DataFrame({"replication": [r], "estimator": ["x"], "estimate": [0.0], "se": [1.0],
                             "truth": [0.0], "ci_lower": [0.0], "ci_upper": [0.0], "covered": [1.0]})

    monkeypatch.setattr(montecarlo, "one_replication", fake)
    montecarlo.run_validation(2, preset="validation", overrides={"sat_trend": 0.0})
    assert seen == [{"sat_trend": 0.0}, {"sat_trend": 0.0}]
    with pytest.raises(ValueError, match="unknown simulation setting"):
        montecarlo.run_validation(1, overrides={"sat_trnd": 0.0})


def test_run_validation_passes_the_estimator_set(monkeypatch):
    """--estimators several reaches every replication; an unknown set fails before any work."""
    from fusion_study.effects import montecarlo

    seen = []

    def fake(r, *, seed, preset, n_boot, estimators="effects"):
        seen.append(estimators)
        return pd.DataFrame({"replication": [r], "estimator": ["x"], "estimate": [0.0], "se": [1.0],
                             "truth": [0.0], "ci_lower": [0.0], "ci_upper": [0.0], "covered": [1.0]})

    monkeypatch.setattr(montecarlo, "one_replication", fake)
    montecarlo.run_validation(2, estimators="several")
    montecarlo.run_validation(1)
    assert seen == ["several", "several", "effects"]
    with pytest.raises(ValueError, match="estimators='both' is not supported"):
        montecarlo.run_validation(1, estimators="both")
