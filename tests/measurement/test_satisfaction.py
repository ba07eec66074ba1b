"""PLS path model against R seminr fixtures (tests/reference/satisfaction/README.md)."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fusion_study.measurement.pls import PLSPathModel, retailer_pls, retailer_sem_model

REF = Path(__file__).parents[1] / "reference" / "satisfaction"
MEAS = {"Image": [f"IMAG{i}" for i in range(1, 6)], "Expectation": ["CUEX1", "CUEX2", "CUEX3"],
        "Quality": [f"PERQ{i}" for i in range(1, 8)], "Value": ["PERV1", "PERV2"],
        "Satisfaction": ["CUSA1", "CUSA2", "CUSA3"], "Complaints": ["CUSCO"], "Loyalty": ["CUSL1", "CUSL2", "CUSL3"]}
ECSI = [("Image", "Expectation"), ("Image", "Satisfaction"), ("Image", "Loyalty"), ("Expectation", "Quality"),
        ("Expectation", "Value"), ("Expectation", "Satisfaction"), ("Quality", "Value"), ("Quality", "Satisfaction"),
        ("Value", "Satisfaction"), ("Satisfaction", "Complaints"), ("Satisfaction", "Loyalty"),
        ("Complaints", "Loyalty")]
M1_MEAS = {k: MEAS[k] for k in ["Image", "Expectation", "Value", "Satisfaction"]}
M1_PATHS = [("Image", "Satisfaction"), ("Expectation", "Satisfaction"), ("Value", "Satisfaction")]
TOL = 1e-5


def _mat(block):
    return pd.DataFrame(block["values"], index=block["rows"], columns=block["cols"])


@pytest.fixture(scope="module")
def mobi():
    return pd.read_csv(REF / "mobi.csv")


def _check_core(model, ref):
    paths = _mat(ref["pathCoef"])
    for _, row in model.paths_.iterrows():
        assert row["estimate"] == pytest.approx(paths.loc[row["from"], row["to"]], abs=TOL)
    load, wts = _mat(ref["outerLoadings"]), _mat(ref["outerWeights"])
    for _, row in model.outer_.iterrows():
        assert row["loading"] == pytest.approx(load.loc[row["item"], row["construct"]], abs=TOL)
        assert row["weight"] == pytest.approx(wts.loc[row["item"], row["construct"]], abs=TOL)
    rsq = ref["rSquared"]
    cols = rsq["cols"] if isinstance(rsq["cols"], list) else [rsq["cols"]]
    vals = np.array(rsq["values"]).reshape(2, -1)
    r2 = model.r2_.set_index("construct")
    for k, c in enumerate(cols):
        assert r2.loc[c, "r2"] == pytest.approx(vals[0, k], abs=TOL)
        assert r2.loc[c, "adj_r2"] == pytest.approx(vals[1, k], abs=TOL)
    head = _mat(ref["constructScoresHead"])
    np.testing.assert_allclose(model.scores_.iloc[:5][head.columns].to_numpy(), head.to_numpy(), atol=TOL)


def test_full_ecsi_matches_seminr(mobi):
    ref = json.loads((REF / "M2_full_ecsi.json").read_text())
    model = PLSPathModel(MEAS, ECSI).fit(mobi)
    _check_core(model, ref)
    total = _mat(ref["totalEffects"])
    np.testing.assert_allclose(model.total_effects_.loc[total.index, total.columns].to_numpy(),
                               total.to_numpy(), atol=TOL)


def test_mode_b_model_matches_seminr(mobi):
    ref = json.loads((REF / "M1_basic_composite.json").read_text())
    model = PLSPathModel(M1_MEAS, M1_PATHS, modes={"Value": "B"}).fit(mobi)
    _check_core(model, ref)


def test_evaluation_matches_seminr(mobi):
    ref = json.loads((REF / "M7_evaluation_m1.json").read_text())
    model = PLSPathModel(M1_MEAS, M1_PATHS, modes={"Value": "B"}).fit(mobi)
    rel = _mat(ref["reliability"])
    ours = model.reliability_.set_index("construct")
    for c in rel.index:
        assert ours.loc[c, "alpha_std"] == pytest.approx(rel.loc[c, "alpha"], abs=TOL)
        assert ours.loc[c, "rho_c"] == pytest.approx(rel.loc[c, "rhoC"], abs=TOL)
        assert ours.loc[c, "ave"] == pytest.approx(rel.loc[c, "AVE"], abs=TOL)
        if c != "Value":  # seminr reports rho_A = 1 for mode-B composites by convention
            assert ours.loc[c, "rho_a"] == pytest.approx(rel.loc[c, "rhoA"], abs=TOL)
    ht = _mat(ref["htmt"])
    for i in ht.index:
        for j in ht.columns:
            if ht.loc[i, j] is not None and not pd.isna(ht.loc[i, j]):
                assert model.htmt_.loc[i, j] == pytest.approx(ht.loc[i, j], abs=TOL)
    fl = _mat(ref["flCriteria"])
    for i in fl.index:
        for j in fl.columns:
            if fl.loc[i, j] is not None and not pd.isna(fl.loc[i, j]):
                assert model.fornell_larcker_.loc[i, j] == pytest.approx(fl.loc[i, j], abs=TOL)
    f2 = _mat(ref["fSquare"])
    np.testing.assert_allclose(model.f2_.loc[f2.index, f2.columns].to_numpy(), f2.to_numpy(), atol=TOL)
    vif = model.vif_.set_index("predictor")["vif"]
    for k, v in ref["antecedentVifs"]["Satisfaction"].items():
        assert vif[k] == pytest.approx(v, abs=TOL)
    ivif = model.item_vif_.set_index("item")["vif"]
    for block in ref["itemVifs"].values():
        for k, v in block.items():
            assert ivif[k] == pytest.approx(v, abs=TOL)


def test_indirect_effects_sum_to_total(mobi):
    model = PLSPathModel(MEAS, ECSI).fit(mobi)
    ind = model.indirect_effects()
    s = ind[(ind["from"] == "Image") & (ind["to"] == "Loyalty")]["estimate"].sum()
    direct = model.paths_.query("`from` == 'Image' and to == 'Loyalty'")["estimate"].iloc[0]
    assert s + direct == pytest.approx(model.total_effects_.loc["Image", "Loyalty"], abs=1e-12)


def test_bootstrap_is_seeded_and_sensible(mobi):
    model = PLSPathModel(MEAS, ECSI).fit(mobi)
    a = model.bootstrap(200, seed=7)
    b = model.bootstrap(200, seed=7)
    pd.testing.assert_frame_equal(a, b)
    assert (a["pct_ci_lower"] <= a["estimate"]).all() and (a["estimate"] <= a["pct_ci_upper"]).all()
    strong = a[(a["kind"] == "direct") & (a["from"] == "Image") & (a["to"] == "Expectation")].iloc[0]
    assert strong["ci_lower"] > 0.3 and 0.03 < strong["se"] < 0.1


def test_bootstrap_alpha_sets_the_interval_quantiles(mobi):
    """alpha=0.10 gives the 5%/95% quantiles of the same resamples: a narrower interval inside the 95% one."""
    model = PLSPathModel(M1_MEAS, M1_PATHS).fit(mobi)
    a95 = model.bootstrap(300, seed=3)
    boots = model.boot_.copy()
    a90 = model.bootstrap(300, seed=3, alpha=0.10)
    np.testing.assert_array_equal(model.boot_, boots)  # same seed, same resamples
    np.testing.assert_allclose(a95["pct_ci_lower"], np.quantile(boots, 0.025, axis=0), rtol=0, atol=0)
    np.testing.assert_allclose(a90["pct_ci_lower"], np.quantile(boots, 0.05, axis=0), rtol=0, atol=0)
    np.testing.assert_allclose(a90["pct_ci_upper"], np.quantile(boots, 0.95, axis=0), rtol=0, atol=0)
    assert (a90["ci_lower"] > a95["ci_lower"]).all() and (a90["ci_upper"] < a95["ci_upper"]).all()
    pd.testing.assert_series_equal(a90["se"], a95["se"])
    with pytest.raises(ValueError, match="alpha"):
        model.bootstrap(10, alpha=1.5)


def _jackknife_by_resampling_rows(model):
    """The former implementation: every leave-one-out sample materialised as rows (n × (n − 1) indices)."""
    x = model._xz
    n = x.shape[0]
    out = []
    for i in range(n):
        xs = x[np.arange(n) != i]
        xs = xs - xs.mean(axis=0)
        c = xs.T @ xs
        d = np.sqrt(np.diag(c))
        beta = model._estimate(c / np.outer(d, d), model._w)[2]
        out.append(model._stat_vector(beta))
    return np.array(out)


def test_jackknife_downdate_equals_leaving_each_row_out(mobi):
    model = PLSPathModel(MEAS, ECSI).fit(mobi.iloc[:60])
    fast = model._jackknife(block=7)  # blocks that do not divide n
    slow = _jackknife_by_resampling_rows(model)
    assert fast.shape == slow.shape == (60, len(ECSI) + len(model.indirect_effects()))
    np.testing.assert_allclose(fast, slow, rtol=1e-9, atol=1e-11)


def test_retailer_model_on_example_study():
    from fusion_study import example_study_path, load_study
    from fusion_study.measurement import SEM

    study = load_study(example_study_path())
    cb = study.codebook[study.codebook["instrument"] == "customer_survey"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pls = retailer_pls(study.tables["customer_survey"], cb)
        sem = SEM(retailer_sem_model()).fit(study.tables["customer_survey"], codebook=cb)
    paths = pls.paths_.set_index(["from", "to"])["estimate"]
    # the simulator drives satisfaction mostly by quality and image, dependency by satisfaction
    assert paths[("quality", "satisfaction")] > 0.3 and paths[("image", "satisfaction")] > 0.1
    assert paths[("satisfaction", "dependency")] > 0.4
    std = sem.params_.query("op == '~'").set_index(["rhs", "lhs"])["std_all"]
    assert std[("satisfaction", "dependency")] > paths[("satisfaction", "dependency")] - 0.05
    assert sem.fit_indices_["cfi"] > 0.9
