"""Defined parameters (:=), equality constraints (==) and fixed.x covariates against R lavaan.

Reference numbers: tests/reference/measurement/make_reference_syntax.R -> reference_syntax.json.
"""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fusion_study.measurement import CFA, SEM, ModelSyntaxError, parse_model

# HolzingerSwineford1939 has one respondent without grade: listwise deletion, as lavaan
pytestmark = pytest.mark.filterwarnings("ignore:SEM. 1 respondents with missing values:UserWarning")
REF_DIR = Path(__file__).parents[1] / "reference" / "measurement"
REF = json.loads((REF_DIR / "reference_syntax.json").read_text())
_SCRIPT = (REF_DIR / "make_reference_syntax.R").read_text()
FIT_KEYS = {"chisq": "chisq", "df": "df", "pvalue": "pvalue", "rmsea_pvalue": "rmsea.pvalue", "cfi": "cfi", "tli": "tli", "rmsea": "rmsea",
            "rmsea_ci_lower": "rmsea.ci.lower", "rmsea_ci_upper": "rmsea.ci.upper", "srmr": "srmr",
            "aic": "aic", "bic": "bic", "logl": "logl", "unrestricted_logl": "unrestricted.logl",
            "npar": "npar", "baseline_chisq": "baseline.chisq", "baseline_df": "baseline.df"}


def model(name: str) -> str:
    """The model text exactly as the R script fitted it."""
    return re.search(name + r" <- '(.*?)'", _SCRIPT, re.S).group(1)


@pytest.fixture(scope="module")
def hs():
    return pd.read_csv(REF_DIR / "hs1939.csv")


@pytest.fixture(scope="module")
def pdem():
    return pd.read_csv(REF_DIR / "political_democracy.csv")


def compare(fit, key, *, rel=1e-5, se_rel=1e-5, fit_rel=1e-5):
    """Every lavaan parameterEstimates row (est, se, z, p, CI, std.all) and the fit measures."""
    ref = REF[key]
    pe = pd.DataFrame(ref["pe"])
    ours = fit.params_
    assert len(ours) == len(pe)
    assert fit.n_ == ref["n"]
    for _, row in pe.iterrows():
        hit = ours[(ours["lhs"] == row["lhs"]) & (ours["op"] == row["op"])]
        if row["op"] not in ("~1", ":="):
            hit = hit[hit["rhs"] == row["rhs"]]
        assert len(hit) == 1, row.to_dict()
        h = hit.iloc[0]
        what = (key, row["lhs"], row["op"], row["rhs"])
        assert h["est"] == pytest.approx(row["est"], rel=rel, abs=1e-7), what
        assert h["se"] == pytest.approx(row["se"], rel=se_rel, abs=1e-7), what
        assert h["std_all"] == pytest.approx(row["std_all"], rel=rel, abs=1e-7), what
        for side in ("ci_lower", "ci_upper"):  # CI bounds: est ± 1.96 se, so judged on the se scale
            assert h[side] == pytest.approx(row[side], abs=2 * max(rel, se_rel) * (abs(row["est"]) + 2 * row["se"])
                                            + 1e-7), what
        if row["se"] > 0:
            assert h["z"] == pytest.approx(row["z"], rel=max(rel, se_rel) * 2), what
            assert h["pvalue"] == pytest.approx(row["pvalue"], rel=1e-3, abs=1e-7), what
        else:
            assert np.isnan(h["z"]), what
        if row["op"] == ":=":
            assert h["rhs"] == row["rhs"] and h["label"] == row["lhs"] and h["group"] == 0
    for ours_key, ref_key in FIT_KEYS.items():
        if ref["fit"][ref_key] == "NA":
            assert np.isnan(fit.fit_indices_[ours_key]), (key, ours_key)
            continue
        assert fit.fit_indices_[ours_key] == pytest.approx(ref["fit"][ref_key], rel=fit_rel, abs=1e-7), \
            (key, ours_key)


# ------------------------------------------------------------------ := defined parameters
def test_defined_parameters_mediation_matches_lavaan(pdem):
    # lavaan's default stopping rule limits its estimates to ~5e-6 on this model (as in the plain PD test)
    fit = SEM(model("pd_med")).fit(pdem)
    compare(fit, "pd_mediation", rel=2e-5, se_rel=2e-5)
    d = fit.params_.set_index("lhs").loc[["ind", "total", "prop", "sq"]]
    a, b, c = (fit.params_.query(f"label == '{x}'")["est"].iloc[0] for x in "abc")
    assert d.loc["ind", "est"] == pytest.approx(a * b, rel=1e-12)
    assert d.loc["total", "est"] == pytest.approx(c + a * b, rel=1e-12)


def test_defined_parameters_use_robust_vcov_under_mlr(pdem):
    fit = SEM(model("pd_med"), estimator="MLR").fit(pdem)
    compare(fit, "pd_mediation_mlr", rel=2e-5, se_rel=2e-5)


def test_observed_mediation_with_one_covariate(hs):
    compare(SEM(model("obs_med")).fit(hs), "obs_mediation")


def test_defined_parameter_delta_method_by_hand(pdem):
    """SE of a*b equals sqrt(g' V g) with g = (b, a) from the fitted covariance of (a, b)."""
    fit = SEM(model("pd_med")).fit(pdem)
    spec = fit.spec_
    ia = next(p.index for p in spec.params if p.label == "a")
    ib = next(p.index for p in spec.params if p.label == "b")
    a, b = fit.theta_[ia], fit.theta_[ib]
    v = fit.vcov_[np.ix_([ia, ib], [ia, ib])]
    g = np.array([b, a])
    se = fit.params_.set_index("lhs").loc["ind", "se"]
    assert se == pytest.approx(np.sqrt(g @ v @ g), rel=1e-10)


# ------------------------------------------------------------------ == constraints
def test_equality_constraints_match_lavaan(hs):
    fit = CFA(model("hs_eq")).fit(hs)
    compare(fit, "hs_equality")
    est = fit.params_.set_index("label")["est"]
    assert est["a"] == pytest.approx(est["b"], abs=1e-12)
    assert est["d"] == pytest.approx(1.2 * est["c"], abs=1e-12)
    assert est["e"] + est["f"] == pytest.approx(0.9, abs=1e-12)
    assert fit.fit_indices_["npar"] == 18  # 21 free parameters minus 3 constraints


@pytest.mark.parametrize("key,name", [("hs_shared", "hs_shared"), ("hs_shared_eq", "hs_shared_eq")])
def test_shared_label_equals_explicit_constraint(hs, key, name):
    compare(CFA(model(name)).fit(hs), key)


def test_redundant_constraint_is_counted_once(hs):
    base = CFA(model("hs_shared_eq")).fit(hs)
    twice = CFA(model("hs_shared_eq") + "\nb == a\n2*a == 2*b").fit(hs)
    assert twice.fit_indices_["df"] == base.fit_indices_["df"] == 25
    np.testing.assert_allclose(twice.params_["est"], base.params_["est"], rtol=1e-9)


# ------------------------------------------------------------------ fixed.x covariates
def test_fixed_x_default_matches_lavaan(hs):
    # lavaan's nlminb stops ~3e-5 short on this model (tighter rel.tol makes it report non-convergence)
    fit = SEM(model("hs_x")).fit(hs)
    compare(fit, "hs_fixed_x", rel=1e-4, se_rel=1e-4)
    p = fit.params_
    xcov = p[(p["op"] == "~~") & p["lhs"].isin(["ageyr", "grade", "sex"])]
    assert len(xcov) == 6 and not xcov["free"].any()
    x = hs[["ageyr", "grade", "sex"]].dropna()
    assert xcov.query("lhs == 'ageyr' and rhs == 'grade'")["est"].iloc[0] == pytest.approx(
        x.cov(ddof=0).loc["ageyr", "grade"], rel=1e-12)


def test_fixed_x_with_meanstructure_matches_lavaan(hs):
    compare(SEM(model("hs_x"), meanstructure=True).fit(hs), "hs_fixed_x_mean", rel=1e-4, se_rel=1e-4)


def test_free_x_matches_lavaan(hs):
    fit = SEM(model("hs_x"), fixed_x=False).fit(hs)
    compare(fit, "hs_free_x", rel=1e-4, se_rel=1e-4)
    fixed = SEM(model("hs_x")).fit(hs)
    # same fit and df; 6 more parameters; only AIC/BIC/logl and npar move
    assert fit.fit_indices_["df"] == fixed.fit_indices_["df"]
    assert fit.fit_indices_["npar"] == fixed.fit_indices_["npar"] + 6
    assert fit.fit_indices_["chisq"] == pytest.approx(fixed.fit_indices_["chisq"], rel=1e-8)


def test_fixed_x_fiml_drops_missing_covariates_like_lavaan():
    hsm = pd.read_csv(REF_DIR / "hs1939_covariates_missing.csv")
    with pytest.warns(UserWarning, match="7 respondents with a missing covariate"):
        fit = SEM(model("hs_x"), missing="fiml").fit(hsm)
    # FIML SEs from a numerical Hessian (as the existing FIML test)
    compare(fit, "hs_fixed_x_fiml", rel=2e-5, se_rel=1e-4)


# ------------------------------------------------------------------ clear errors
@pytest.mark.parametrize("extra,match", [
    ("ind := a*zz", "'zz'"),
    ("ind := a*b\nind := a", "already"),
    ("x1 := a", "already"),
    ("ind := a + __import__('os')", "not allowed"),
    ("ind := a*(b", "cannot read"),
    ("a == 1\na == 2", "contradict"),
    ("a*b == 1", "not linear"),
    ("a > 0", "inequality"),
    ("ind := b*a2", "not a parameter label"),
])
def test_bad_formulas_give_clear_errors(hs, extra, match):
    text = model("hs_shared_eq") + "\n" + extra
    with pytest.raises(ModelSyntaxError, match=match):
        CFA(text).fit(hs)


def test_parse_formulas():
    terms = parse_model("y ~ a*x\nind := a * 2\n a == 0.5")
    assert [(t.lhs, t.op, t.rhs) for t in terms[-2:]] == [("ind", ":=", "a*2"), ("a", "==", "0.5")]
    with pytest.raises(ModelSyntaxError, match="name"):
        parse_model("y ~ a*x\n1ind := a")


def test_defined_only_model_is_an_error(hs):
    with pytest.raises(ModelSyntaxError, match="no relations"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            CFA("ind := a*b").fit(hs)


def test_fixed_x_mlr_matches_lavaan(hs):
    fit = SEM(model("hs_x"), estimator="MLR").fit(hs)
    compare(fit, "hs_fixed_x_mlr", rel=1e-4, se_rel=1e-4)
    ref = REF["hs_fixed_x_mlr_scaled"]
    assert fit.fit_indices_["chisq_scaling_factor"] == pytest.approx(ref["chisq.scaling.factor"], rel=1e-4)
    assert fit.fit_indices_["chisq_scaled"] == pytest.approx(ref["chisq.scaled"], rel=1e-4)
    # the covariates' saturated block cancels: the same scaling as modelling them freely
    free = SEM(model("hs_x"), estimator="MLR", fixed_x=False).fit(hs)
    assert fit.fit_indices_["chisq_scaling_factor"] == pytest.approx(
        free.fit_indices_["chisq_scaling_factor"], rel=1e-6)


def test_fixed_x_two_groups_matches_lavaan(hs):
    fit = SEM(model("hs_x"), group="school").fit(hs)
    ref = REF["hs_fixed_x_groups"]
    assert fit.n_ == sum(ref["n"]) and len(fit.params_) == len(ref["pe"])
    for ours_key, ref_key in FIT_KEYS.items():
        assert fit.fit_indices_[ours_key] == pytest.approx(ref["fit"][ref_key], rel=1e-5, abs=1e-7), ours_key
    # each group's covariate moments are that group's sample moments (groups in order of appearance, as lavaan)
    p = fit.params_
    for g, (lev, part) in enumerate(hs.dropna(subset=["grade"]).groupby("school", sort=False), start=1):
        v = p.query(f"group == {g} and lhs == 'ageyr' and rhs == 'ageyr' and op == '~~'")["est"].iloc[0]
        assert v == pytest.approx(part["ageyr"].var(ddof=0), rel=1e-12)


def test_dotted_labels_in_formulas(hs):
    fit = CFA("visual =~ x1 + a.1*x2 + b.2*x3\ntextual =~ x4 + x5 + x6\nd := a.1 - b.2\na.1 == b.2").fit(hs)
    d = fit.params_.set_index("lhs").loc["d"]
    assert d["rhs"] == "a.1-b.2" and d["est"] == pytest.approx(0, abs=1e-12) and d["se"] == pytest.approx(0, abs=1e-9)
    assert fit.fit_indices_["df"] == 9  # 8 for the free two-factor model, one constraint


@pytest.mark.parametrize("options", [{"missing": "fiml"}, {"estimator": "MLR"}])
def test_constraint_equals_shared_label_under_fiml_and_mlr(hs, options):
    """The null-space reparametrisation carries through FIML's numerical Hessian and the MLR sandwich."""
    data = pd.read_csv(REF_DIR / "hs1939_missing.csv") if options.get("missing") == "fiml" else hs
    shared = CFA(model("hs_shared"), **options).fit(data)
    constrained = CFA(model("hs_shared_eq"), **options).fit(data)
    np.testing.assert_allclose(constrained.params_["est"], shared.params_["est"], rtol=1e-8, atol=1e-9)
    np.testing.assert_allclose(constrained.params_["se"], shared.params_["se"], rtol=1e-6, atol=1e-9)
    for key in ("chisq", "df", "npar", "cfi", "aic"):
        assert constrained.fit_indices_[key] == pytest.approx(shared.fit_indices_[key], rel=1e-8)
    if "estimator" in options:
        assert constrained.fit_indices_["chisq_scaled"] == pytest.approx(shared.fit_indices_["chisq_scaled"], rel=1e-8)
