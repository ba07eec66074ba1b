"""Measurement functions against R reference numbers (tests/reference/measurement/make_reference.R)."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fusion_study.measurement import (CFA, SEM, efa, harman_single_factor, item_analysis, kmo_bartlett,
                                      reliability)
from fusion_study.measurement.rotation import oblimin, promax, varimax

REF_DIR = Path(__file__).parents[1] / "reference" / "measurement"
REF = json.loads((REF_DIR / "reference.json").read_text())
ITEMS = [f"x{i}" for i in range(1, 10)]
SCALES = {"visual": ["x1", "x2", "x3"], "textual": ["x4", "x5", "x6"], "speed": ["x7", "x8", "x9"]}
HS_MODEL = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"
PD_MODEL = """
  ind60 =~ x1 + x2 + x3
  dem60 =~ y1 + a*y2 + b*y3 + c*y4
  dem65 =~ y5 + a*y6 + b*y7 + c*y8
  dem60 ~ ind60
  dem65 ~ ind60 + dem60
  y1 ~~ y5
  y2 ~~ y4 + y6
  y3 ~~ y7
  y4 ~~ y8
  y6 ~~ y8
"""
FIT_KEYS = {"chisq": "chisq", "df": "df", "pvalue": "pvalue", "cfi": "cfi", "tli": "tli", "rmsea": "rmsea",
            "rmsea_ci_lower": "rmsea.ci.lower", "rmsea_ci_upper": "rmsea.ci.upper",
            "rmsea_pvalue": "rmsea.pvalue", "srmr": "srmr", "aic": "aic", "bic": "bic", "logl": "logl",
            "unrestricted_logl": "unrestricted.logl", "npar": "npar", "baseline_chisq": "baseline.chisq",
            "baseline_df": "baseline.df"}


@pytest.fixture(scope="module")
def hs():
    return pd.read_csv(REF_DIR / "hs1939.csv")


# ------------------------------------------------------------------ reliability
def test_reliability_matches_psych_alpha(hs):
    out = reliability(hs, {**SCALES, "all9": ITEMS}).set_index("scale")
    for s, ref in REF["reliability"].items():
        assert out.loc[s, "alpha"] == pytest.approx(ref["alpha"], abs=1e-10)
        assert out.loc[s, "alpha_std"] == pytest.approx(ref["alpha_std"], abs=1e-10)
        assert out.loc[s, "mean_r"] == pytest.approx(ref["mean_r"], abs=1e-10)
        if "omega_total" in ref:
            assert out.loc[s, "omega_total"] == pytest.approx(ref["omega_total"], abs=1e-6)
    assert (out["n"] == 301).all()


def test_item_analysis_matches_psych(hs):
    out = item_analysis(hs, {**SCALES, "all9": ITEMS})
    for s, ref in REF["reliability"].items():
        part = out[out["scale"] == s]
        np.testing.assert_allclose(part["item_total_r"], ref["r_drop"], atol=1e-10)
        np.testing.assert_allclose(part["alpha_if_deleted"], ref["alpha_if_deleted"], atol=1e-10)


# ------------------------------------------------------------------ KMO, Bartlett, Harman
def test_kmo_bartlett_matches_psych(hs):
    out = kmo_bartlett(hs, ITEMS)
    ref = REF["kmo"]
    np.testing.assert_allclose(out["msa"].iloc[:-1], ref["msa"], atol=1e-10)
    assert out["msa"].iloc[-1] == pytest.approx(ref["overall"], abs=1e-10)
    assert out["bartlett_chi2"].iloc[0] == pytest.approx(ref["chisq"], rel=1e-10)
    assert out["bartlett_df"].iloc[0] == ref["df"]
    assert out["bartlett_p_value"].iloc[0] == pytest.approx(ref["p"], rel=1e-6, abs=1e-300)


def test_harman_matches_eigen(hs):
    out = harman_single_factor(hs, ITEMS)
    assert out["variance_share"].iloc[0] == pytest.approx(REF["harman"]["pca_share"], abs=1e-10)
    assert not out["above_50"].iloc[0]


# ------------------------------------------------------------------ rotations and EFA
def test_rotations_match_r():
    rot = REF["rotation"]
    l0 = np.array(rot["L0"])
    # R stops varimax on the criterion's relative change, so its loadings carry ~1e-7 error
    np.testing.assert_allclose(varimax(l0)[0], rot["varimax_loadings"], atol=1e-6)
    # stats::promax runs stats::varimax at its default eps=1e-5 internally: ~5e-5 error in R's numbers
    np.testing.assert_allclose(promax(l0)[0], rot["promax_loadings"], atol=1e-4)
    lam, _, phi = oblimin(l0)
    np.testing.assert_allclose(lam, rot["oblimin_loadings"], atol=1e-6)
    np.testing.assert_allclose(phi, rot["oblimin_phi"], atol=1e-6)


@pytest.mark.parametrize("method,fm", [("minres", "minres"), ("ml", "ml"), ("principal", "pa")])
@pytest.mark.parametrize("rotation", [None, "oblimin"])
def test_efa_matches_psych_fa(hs, method, fm, rotation):
    # psych's own varimax/promax variants differ from R stats::varimax/promax (which we follow and
    # test above) by up to 1e-3, so only unrotated and GPArotation-oblimin solutions are compared here.
    ref = REF["efa"][f"{fm}_{rotation or 'none'}"]
    res = efa(hs, ITEMS, n_factors=3, method=method, rotation=rotation)
    np.testing.assert_allclose(res.communalities_, ref["communality"], atol=1e-5)
    # psych calls GPArotation::oblimin at its default eps=1e-5, so rotated values carry ~1e-5 error
    tol = 1e-5 if rotation is None else 5e-5
    np.testing.assert_allclose(res.loadings_.to_numpy(), np.array(ref["loadings"]), atol=tol)
    np.testing.assert_allclose(res.phi_.to_numpy(), np.array(ref["phi"]), atol=tol)
    np.testing.assert_allclose(res.variance_.loc["ss_loadings"], np.array(ref["Vaccounted"])[0], atol=tol)


# ------------------------------------------------------------------ CFA / SEM vs lavaan
def _compare(fit, ref, *, rel=1e-5, se_rel=1e-5, fit_rel=1e-5):
    pe = pd.DataFrame(ref["pe"])
    pe = pe[pe["op"].isin(["=~", "~", "~~", "~1"])]
    ours = fit.params_
    assert len(ours) == len(pe), (len(ours), len(pe))
    for _, row in pe.iterrows():
        hit = ours[(ours["lhs"] == row["lhs"]) & (ours["op"] == row["op"]) & (ours["rhs"] == row["rhs"])]
        if row["op"] == "~1":
            hit = ours[(ours["lhs"] == row["lhs"]) & (ours["op"] == "~1")]
        assert len(hit) == 1, row.to_dict()
        h = hit.iloc[0]
        assert h["est"] == pytest.approx(row["est"], rel=rel, abs=1e-7), row.to_dict()
        assert h["se"] == pytest.approx(row["se"], rel=se_rel, abs=1e-7), row.to_dict()
        assert h["std_all"] == pytest.approx(row["std_all"], rel=rel, abs=1e-7), row.to_dict()
    for ours_key, ref_key in FIT_KEYS.items():
        assert fit.fit_indices_[ours_key] == pytest.approx(ref["fit"][ref_key], rel=fit_rel, abs=1e-8), ours_key


def test_cfa_hs1939_matches_lavaan(hs):
    _compare(CFA(HS_MODEL).fit(hs), REF["cfa_hs"])


def test_cfa_from_scales_dict_is_the_same_model(hs):
    _compare(CFA(SCALES).fit(hs), REF["cfa_hs"])


def test_cfa_meanstructure_matches_lavaan(hs):
    _compare(CFA(HS_MODEL, meanstructure=True).fit(hs), REF["cfa_hs_mean"])


def test_cfa_std_lv_matches_lavaan(hs):
    _compare(CFA(HS_MODEL, std_lv=True).fit(hs), REF["cfa_hs_std_lv"])


def test_one_factor_model_matches_lavaan(hs):
    # lavaan's nlminb stops with a gradient of ~5e-6 here (our objective is lower at our solution),
    # so its estimates are accurate to ~2e-5 relative: compare at the 1e-4.
    _compare(CFA({"g": ITEMS}).fit(hs), REF["cfa_hs_one"], rel=1e-4, se_rel=1e-4)


def test_sem_political_democracy_matches_lavaan():
    pdem = pd.read_csv(REF_DIR / "political_democracy.csv")
    # as for the one-factor model, lavaan's default stopping rule limits its accuracy to ~1e-5
    _compare(SEM(PD_MODEL).fit(pdem), REF["sem_pd"], rel=1e-4, se_rel=1e-4)


def test_fiml_matches_lavaan():
    hsm = pd.read_csv(REF_DIR / "hs1939_missing.csv")
    _compare(CFA(HS_MODEL, missing="fiml").fit(hsm), REF["cfa_hs_fiml"], se_rel=1e-4)


def test_listwise_with_missing_matches_lavaan():
    hsm = pd.read_csv(REF_DIR / "hs1939_missing.csv")
    with pytest.warns(UserWarning, match="listwise"):
        fit = CFA(HS_MODEL).fit(hsm)
    _compare(fit, REF["cfa_hs_listwise"])


def test_htmt_matches_semtools(hs):
    fit = CFA(HS_MODEL).fit(hs)
    np.testing.assert_allclose(fit.htmt_.to_numpy(), np.array(REF["htmt"]), atol=1e-8)
    from fusion_study.measurement import htmt

    blocks = {"visual": [0, 1, 2], "textual": [3, 4, 5], "speed": [6, 7, 8]}
    cov = hs[ITEMS].cov().to_numpy()
    np.testing.assert_allclose(htmt(cov, blocks, method="htmt2").to_numpy(), np.array(REF["htmt2"]), atol=1e-8)


def test_validity_closed_forms(hs):
    fit = CFA(HS_MODEL).fit(hs)
    pe = pd.DataFrame(REF["cfa_hs"]["pe"])
    val = fit.validity_.set_index("factor")
    for f, items in SCALES.items():
        lam = pe[(pe["lhs"] == f) & (pe["op"] == "=~")]["std_all"].to_numpy()
        assert val.loc[f, "cr"] == pytest.approx(lam.sum() ** 2 / (lam.sum() ** 2 + (1 - lam**2).sum()), abs=1e-6)
        assert val.loc[f, "ave"] == pytest.approx(np.mean(lam**2), abs=1e-6)
    fl = fit.fornell_larcker_
    assert fl.loc["visual", "visual"] == pytest.approx(val.loc["visual", "sqrt_ave"])
    assert fl.loc["visual", "textual"] == pytest.approx(0.458509, abs=1e-5)


# ------------------------------------------------------------------ invariance
def test_measurement_invariance_matches_lavaan_group_equal(hs):
    from fusion_study.measurement import measurement_invariance

    out = measurement_invariance(hs, SCALES, group="school").set_index("model")
    for level, ref in REF["invariance"].items():
        for key in ["chisq", "df", "pvalue", "cfi", "tli", "rmsea", "srmr", "aic", "bic"]:
            ours = out.loc[level, "p_value" if key == "pvalue" else key]
            assert ours == pytest.approx(ref[key], rel=1e-5, abs=1e-9), (level, key)
    assert out.loc["metric", "delta_cfi"] == pytest.approx(
        REF["invariance"]["metric"]["cfi"] - REF["invariance"]["configural"]["cfi"], abs=1e-8)
    assert out.loc["scalar", "delta_df"] == 6


MG_REF = json.loads((REF_DIR / "reference_multigroup.json").read_text())  # make_reference_multigroup.R


def _latent_means(fit, group):
    p = fit.params_
    m = p[(p["op"] == "~1") & p["lhs"].isin(list(SCALES)) & (p["group"] == group)].set_index("lhs")
    return m.loc[list(SCALES)]


@pytest.mark.parametrize("level,equal", [("configural", ()), ("metric", ("loadings",)),
                                         ("scalar", ("loadings", "intercepts"))])
def test_multigroup_numbers_groups_in_order_of_appearance_as_lavaan(hs, level, equal):
    ref = MG_REF[level]
    fit = CFA(HS_MODEL, group="school", group_equal=equal).fit(hs)
    assert fit.groups_ == ref["group_labels"] == ["Pasteur", "Grant-White"]
    for key, value in ref["fit"].items():
        assert fit.fit_indices_[key] == pytest.approx(value, rel=1e-5, abs=1e-9), (level, key)
    if level == "scalar":  # the reference group (Pasteur) has latent means 0; Grant-White's are estimated
        ours = _latent_means(fit, 2)
        theirs = ref["latent_means"]["2"]
        assert list(ours.index) == theirs["factor"]
        # lavaan's nlminb stops at rel.tol 1e-10, which leaves ~1e-5 in these estimates
        np.testing.assert_allclose(ours["est"], theirs["est"], rtol=1e-4, atol=1e-6)
        np.testing.assert_allclose(ours["se"], theirs["se"], rtol=1e-4)
        assert (_latent_means(fit, 1)["est"] == 0).all()


def test_group_levels_sets_the_reference_group_as_lavaan_group_label(hs):
    ref = MG_REF["scalar_grant_white_first"]
    fit = CFA(HS_MODEL, group="school", group_equal=("loadings", "intercepts"),
              group_levels=["Grant-White", "Pasteur"]).fit(hs)
    assert fit.groups_ == ref["group_labels"]
    ours = _latent_means(fit, 2)
    np.testing.assert_allclose(ours["est"], ref["latent_means"]["2"]["est"], rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(ours["se"], ref["latent_means"]["2"]["se"], rtol=1e-4)
    # the same model with the other reference group: the mean differences change sign
    np.testing.assert_allclose(ours["est"], -np.array(MG_REF["scalar"]["latent_means"]["2"]["est"]), atol=1e-4)
    with pytest.raises(ValueError, match=r"group_levels: group\(s\) \['Lycee'\] do not occur"):
        CFA(HS_MODEL, group="school", group_levels=["Pasteur", "Lycee"]).fit(hs)
    with pytest.warns(UserWarning, match="left out"):
        one = CFA(HS_MODEL, group="school", group_levels=["Pasteur", "Grant-White"]).fit(
            pd.concat([hs, hs.head(5).assign(school="Other")]))
    assert one.n_ == len(hs)


def test_mlr_robust_se_and_scaled_chisq_match_lavaan(hs):
    fit = CFA(HS_MODEL, estimator="MLR").fit(hs)
    # sandwich with the observed information (numerical Hessian of the analytic gradient): ~1e-6
    _compare(fit, REF["cfa_hs_mlr"], se_rel=1e-5)
    ref = REF["cfa_hs_mlr_scaled"]
    assert fit.fit_indices_["chisq_scaling_factor"] == pytest.approx(ref["chisq.scaling.factor"], rel=1e-5)
    assert fit.fit_indices_["chisq_scaled"] == pytest.approx(ref["chisq.scaled"], rel=1e-5)
    assert fit.fit_indices_["pvalue_scaled"] == pytest.approx(ref["pvalue.scaled"], rel=1e-4)


# ------------------------------------------------------------------ the simulated example study
@pytest.mark.parametrize("missing", ["listwise", "fiml"])
def test_example_study_cfa_matches_lavaan(missing):
    """5-factor CFA of the simulated customer survey; reverse-keyed items reversed from the codebook."""
    from fusion_study.data.instruments import standard_codebook

    ref = json.loads((REF_DIR / "reference_example.json").read_text())["cfa" if missing == "listwise" else "fiml"]
    items = pd.read_csv(REF_DIR / "example_customer_items.csv")
    cb = standard_codebook()
    cb = cb[cb["instrument"] == "customer_survey"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = CFA(cb, missing=missing).fit(items)
    _compare(fit, ref, se_rel=1e-5 if missing == "listwise" else 1e-4)
