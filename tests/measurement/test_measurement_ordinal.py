"""Ordinal CFA: polychoric correlations and WLSMV against R lavaan 0.6-14; recovery of the simulator's truth.

Reference numbers: tests/reference/measurement/make_ordinal_reference.R → ordinal_reference.json.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import multivariate_normal

from fusion_study.measurement import CFA, SEM, MeasurementWarning
from fusion_study.measurement.sem.polychoric import (
    OrdinalMoments,
    bivariate_normal_cdf,
    polychoric,
    polychoric_matrix,
    thresholds,
)

REF_DIR = Path(__file__).parents[1] / "reference" / "measurement"
REF = json.loads((REF_DIR / "ordinal_reference.json").read_text())

HS_MODEL = "visual =~ x1 + x2 + x3\n textual =~ x4 + x5 + x6\n speed =~ x7 + x8 + x9"
HS_MISFIT = "visual =~ x1 + x2 + x3 + x7 + x8 + x9\n textual =~ x4 + x5 + x6"
HS_SEM = """visual =~ x1 + x2 + x3
textual =~ x4 + x5 + x6
speed =~ x7 + x8 + x9
speed ~ visual + textual
x7 ~~ x8"""
EX_MODEL = """expectation =~ exp1 + exp2 + exp3
quality =~ qual1 + qual2 + qual3 + qual4
image =~ img1 + img2 + img3
satisfaction =~ sat1 + sat2 + sat3
dependency =~ dep1 + dep2 + dep3"""

FIT_NAMES = {  # ours -> lavaan fitMeasures()
    "chisq": "chisq", "df": "df", "pvalue": "pvalue", "chisq_scaled": "chisq.scaled",
    "chisq_scaling_factor": "chisq.scaling.factor", "pvalue_scaled": "pvalue.scaled",
    "baseline_chisq": "baseline.chisq", "baseline_chisq_scaled": "baseline.chisq.scaled",
    "baseline_chisq_scaling_factor": "baseline.chisq.scaling.factor",
    "cfi": "cfi", "tli": "tli", "cfi_scaled": "cfi.scaled", "tli_scaled": "tli.scaled",
    "rmsea": "rmsea", "rmsea_ci_lower": "rmsea.ci.lower", "rmsea_ci_upper": "rmsea.ci.upper",
    "rmsea_scaled": "rmsea.scaled", "srmr": "srmr", "npar": "npar",
}


@pytest.fixture(scope="module")
def hs():
    return pd.read_csv(REF_DIR / "hs1939_ordinal.csv")


@pytest.fixture(scope="module")
def hs_missing(hs):
    """The same NA pattern as make_ordinal_reference.R (R rows 1, 8, ...; 0-based here)."""
    out = hs.astype(float)
    out.loc[np.arange(0, 301, 7), "x2"] = np.nan
    out.loc[np.arange(2, 301, 11), "x5"] = np.nan
    out.loc[np.arange(4, 301, 13), "x9"] = np.nan
    return out


@pytest.fixture(scope="module")
def example():
    ex = pd.read_csv(REF_DIR / "example_customer_items.csv")
    ex["qual4"] = 8 - ex["qual4"]  # reverse-keyed items, as in the R script
    ex["dep3"] = 6 - ex["dep3"]
    return ex


def _fit(model, data, *, cls=CFA, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MeasurementWarning)
        return cls(model, ordered=True, **kw).fit(data)


def test_bivariate_normal_cdf_matches_scipy():
    rng = np.random.default_rng(0)
    h = np.concatenate([rng.normal(scale=1.5, size=150), np.zeros(20), rng.normal(size=20)])
    k = np.concatenate([rng.normal(scale=1.5, size=150), rng.normal(size=20), np.zeros(20)])
    r = rng.uniform(-0.99, 0.99, size=h.size)
    ours = bivariate_normal_cdf(h, k, r)
    ref = [multivariate_normal([0, 0], [[1, c], [c, 1]]).cdf([a, b]) for a, b, c in zip(h, k, r)]
    np.testing.assert_allclose(ours, ref, atol=1e-12)
    assert bivariate_normal_cdf(0.0, 0.0, 0.0) == pytest.approx(0.25, abs=1e-15)
    np.testing.assert_allclose(bivariate_normal_cdf([np.inf, -np.inf, 0.3], [0.3, 1.0, np.inf], 0.5),
                               [0.6179114221889527, 0.0, 0.6179114221889527], atol=1e-15)


@pytest.mark.parametrize("key", ["hs", "example", "hs_pairwise", "hs_listwise"])
def test_polychoric_statistics_match_lavaan(key, hs, example, hs_missing):
    data = {"hs": hs, "example": example}.get(key, hs_missing)
    ref = REF[key]
    mom = OrdinalMoments(data.to_numpy(float), list(data.columns),
                         missing="pairwise" if key == "hs_pairwise" else "listwise")
    assert mom.n == ref["nobs"]
    np.testing.assert_allclose(mom.rho, np.array(ref["polychoric"]), atol=1e-7)
    np.testing.assert_allclose(mom.tau_flat, list(ref["thresholds"].values()), atol=1e-12)
    assert [f"{a}|{b}" for a, b in mom.threshold_names()] == ref["threshold_names"]
    if isinstance(ref.get("gamma"), list):  # stored for the smaller data set only
        np.testing.assert_allclose(mom.gamma, np.array(ref["gamma"]), rtol=1e-6, atol=1e-7)


def test_tidy_polychoric_and_thresholds(hs):
    tab = polychoric(hs, list(hs.columns))
    assert list(tab.columns) == ["item1", "item2", "rho", "se", "n"]
    assert len(tab) == 36 and (tab["n"] == 301).all()
    mat = polychoric_matrix(hs, list(hs.columns))
    assert mat.loc["x2", "x1"] == pytest.approx(tab.query("item1 == 'x1' and item2 == 'x2'")["rho"].item())
    np.testing.assert_allclose(mat.to_numpy(), np.array(REF["hs"]["polychoric"]), atol=1e-7)
    th = thresholds(hs, ["x9"])
    assert th["threshold"].tolist() == ["t1", "t2"] and th["below"].tolist() == [1.0, 2.0]
    ref = pd.DataFrame(REF["hs"]["params"]).query("lhs == 'x9' and op == '|'")
    np.testing.assert_allclose(th["value"], ref["est"], atol=1e-10)
    np.testing.assert_allclose(th["se"], ref["se"], rtol=1e-6)


@pytest.mark.parametrize("key, data_name, model, kw", [
    ("hs", "hs", HS_MODEL, {}),
    ("hs_misfit", "hs", HS_MISFIT, {}),
    ("example", "example", EX_MODEL, {}),
    ("example_stdlv", "example", EX_MODEL, {"std_lv": True}),
    ("hs_listwise", "hs_missing", HS_MODEL, {}),
    ("hs_pairwise", "hs_missing", HS_MODEL, {"missing": "pairwise"}),
    ("hs_sem", "hs", HS_SEM, {"cls": SEM}),  # regressions, a residual covariance and a Heywood case
])
def test_wlsmv_matches_lavaan(key, data_name, model, kw, hs, example, hs_missing):
    """Estimates, robust SEs, std.all, thresholds and fit measures of ``cfa(..., ordered=TRUE)``."""
    fit = _fit(model, {"hs": hs, "example": example, "hs_missing": hs_missing}[data_name], **kw)
    ref = REF[key]
    rp = pd.DataFrame(ref["params"])
    rp = rp[~rp["op"].isin(["~*~", "~1"])]  # constant scale and intercept rows, not reported
    m = rp.merge(fit.params_, on=["lhs", "op", "rhs"], suffixes=("_r", ""), how="left", validate="1:1")
    assert len(fit.params_) == len(rp) and m["est"].notna().all()
    # lavaan stops its optimiser at ~1e-7; our solution is exact to machine precision
    np.testing.assert_allclose(m["est"], m["est_r"], rtol=2e-6, atol=1e-6)
    np.testing.assert_allclose(m["se"], m["se_r"], rtol=2e-6, atol=1e-8)
    np.testing.assert_allclose(m["std_all"], m["std_all_r"], rtol=2e-6, atol=1e-6)
    fi = fit.fit_indices_
    for ours, theirs in FIT_NAMES.items():
        assert fi[ours] == pytest.approx(ref["fit"][theirs], rel=1e-5, abs=1e-10), ours
    assert fit.estimator_ == "WLSMV"
    assert "WLSMV" in str(fit) and fit.summary().attrs["fit_indices"]["chisq_scaled"] == fi["chisq_scaled"]
    assert repr(fit).endswith("(estimator='WLSMV', missing='%s', ordered=True)" % kw.get("missing", "listwise"))


def test_heywood_case_is_flagged(hs):
    with pytest.warns(MeasurementWarning, match="Heywood case: negative variance estimate for \\['x9'\\]"):
        SEM(HS_SEM, ordered=True).fit(hs)


def test_validity_tables_use_the_ordinal_solution(example):
    fit = _fit(EX_MODEL, example)
    val = fit.validity_.set_index("factor")
    lam = fit.loadings().query("factor == 'quality'")["std_all"].to_numpy()
    assert val.loc["quality", "ave"] == pytest.approx(np.mean(lam**2))
    htmt = fit.htmt_
    assert htmt.shape == (5, 5) and np.all(np.diag(htmt) == 1.0)
    assert fit.factor_correlations_.loc["quality", "satisfaction"] > 0.5


def test_ordinal_errors_are_clear(hs):
    one = hs.assign(x1=3)
    with pytest.raises(ValueError, match="'x1' has a single observed category"):
        _fit(HS_MODEL, one)
    cont = hs.assign(x1=np.linspace(0, 1, len(hs)))
    with pytest.raises(ValueError, match="distinct values"):
        _fit(HS_MODEL, cont)
    with pytest.raises(NotImplementedError, match="not listed in ordered"):
        CFA(HS_MODEL, ordered=["x1", "x2"]).fit(hs)
    with pytest.raises(ValueError, match="not 'ML'"):
        CFA(HS_MODEL, ordered=True, estimator="ML").fit(hs)
    with pytest.raises(ValueError, match="missing='fiml'"):
        CFA(HS_MODEL, ordered=True, missing="fiml").fit(hs)
    with pytest.raises(NotImplementedError, match="group"):
        CFA(HS_MODEL, ordered=True, group="x9").fit(hs)


def test_missing_answers_listwise_and_pairwise(hs):
    miss = hs.astype(float).copy()
    miss.loc[::7, "x2"] = np.nan
    with pytest.warns(MeasurementWarning, match="43 respondents"):
        fit = CFA(HS_MODEL, ordered=True).fit(miss)
    assert fit.n_ == 301 - 43
    tab = polychoric(miss, ["x1", "x2", "x3"], missing="pairwise")
    assert tab.set_index(["item1", "item2"]).loc[("x1", "x3"), "n"] == 301
    assert tab.set_index(["item1", "item2"]).loc[("x1", "x2"), "n"] == 301 - 43
    full = polychoric(hs, ["x1", "x3"])
    assert tab.iloc[1]["rho"] == pytest.approx(full["rho"].item(), abs=1e-12)


def test_empty_category_is_dropped_like_an_r_factor(hs):
    """A 5-point item nobody answered 2 to has categories {1, 3, 4, 5}: three thresholds, as in R."""
    recoded = hs.assign(x2=hs["x2"].replace({2: 3}))
    th = thresholds(recoded, ["x2"])
    assert th["threshold"].tolist() == ["t1", "t2", "t3"]
    assert th["below"].tolist() == [1.0, 3.0, 4.0]


# ------------------------------------------------------------------ the simulator's known truth
@pytest.fixture(scope="module")
def example_study():
    from fusion_study.simulate import simulate_study

    return simulate_study("p_city", seed=20240101)  # = data/example


@pytest.mark.parametrize("instrument, n_items, min_covered", [("customer_survey", 16, 15),
                                                              ("staff_survey", 12, 10)])
def test_wlsmv_intervals_cover_the_true_loadings(example_study, instrument, n_items, min_covered):
    """Pre-programme genuine responses: 95% intervals cover l·sd(C)/sqrt(l²var(C) + 1 - l²).

    The Monte Carlo behind this (200 studies): benchmarks/results/validate_loadings_200.
    """
    from fusion_study.measurement.study import loading_recovery

    study, truth = example_study
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MeasurementWarning)
        rec = loading_recovery(study, truth, instrument=instrument)
        ml = loading_recovery(study, truth, instrument=instrument, estimator="ML")
    assert len(rec) == n_items and rec["n"].iloc[0] > 100
    assert int(rec["covered"].sum()) >= min_covered
    z = (rec["estimate"] - rec["true_std"]) / rec["se"]
    assert np.abs(z).max() < 3.0
    # unbiased: the mean error over items is small against one item's SE
    assert abs((rec["estimate"] - rec["true_std"]).mean()) < 0.5 * rec["se"].mean()
    # normal-theory ML on the category codes is attenuated (what the ordinal estimator fixes)
    assert (ml["estimate"] - ml["true_std"]).mean() < -0.015
    assert ml["covered"].isna().all()


def test_gamma_does_not_depend_on_the_chunk_size(hs_missing):
    mom = OrdinalMoments(hs_missing.to_numpy(float), list(hs_missing.columns), missing="pairwise")
    full = mom.gamma.copy()
    mom._gamma(chunk=37)
    np.testing.assert_allclose(mom.gamma, full, rtol=1e-12, atol=1e-14)


def test_validity_report_with_ordered_items(example):
    from fusion_study.measurement import validity_report

    scales = {"expectation": ["exp1", "exp2", "exp3"], "quality": ["qual1", "qual2", "qual3", "qual4"],
              "image": ["img1", "img2", "img3"], "satisfaction": ["sat1", "sat2", "sat3"],
              "dependency": ["dep1", "dep2", "dep3"]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MeasurementWarning)
        rep = validity_report(example, scales, ordered=True)
        with pytest.raises(ValueError, match="use one of"):
            validity_report(example, scales, ordered=True, missing="fiml")
    ref = pd.DataFrame(REF["example"]["params"]).query("op == '=~'")
    np.testing.assert_allclose(rep["loadings"]["std_all"], ref["std_all"], rtol=2e-6)
    fit = rep["cfa_fit"].iloc[0]
    assert fit["chisq"] == pytest.approx(REF["example"]["fit"]["chisq.scaled"], rel=1e-5)
    assert fit["cfi"] == pytest.approx(REF["example"]["fit"]["cfi.scaled"], rel=1e-5)
    assert rep["cfa_fit"]["delta_p_value"].isna().all() and rep["cfa_fit"]["aic"].isna().all()
    assert (rep["cfa_fit"]["chisq"].iloc[1:] > fit["chisq"]).all()


def test_unidentified_model_warns_and_gives_nan_se(hs):
    with pytest.warns(MeasurementWarning, match="not identified"):
        fit = CFA({"a": ["x1", "x2"]}, ordered=True).fit(hs)
    assert fit.params_.query("op == '=~' and free")["se"].isna().all()


def test_empty_cell_of_a_two_by_two_table_as_lavaan():
    """lavaan's zero.add = c(0.5, 0), zero.keep.margins = TRUE: a finite correlation, not ±1."""
    zc = pd.DataFrame({"a": [1] * 30 + [2] * 30 + [1] * 10, "b": [1] * 30 + [2] * 30 + [2] * 10})
    assert polychoric(zc, ["a", "b"])["rho"].item() == pytest.approx(REF["zero_cell"]["rho_ab"], abs=1e-7)
    zc3 = pd.DataFrame({"a": [1] * 30 + [2] * 30 + [1] * 10 + [2] * 5, "b": [1] * 30 + [2] * 30 + [2] * 10 + [1] * 5,
                        "c": [1] * 20 + [2] * 20 + [3] * 35})
    np.testing.assert_allclose(polychoric_matrix(zc3, ["a", "b", "c"]), REF["zero_cell"]["cor3"], atol=1e-7)


def test_ordinal_rejects_defined_parameters_and_constraints():
    """':=' and '==' are not silently ignored by the WLSMV path."""
    from fusion_study.measurement import CFA

    rng = np.random.default_rng(3)
    f = rng.normal(size=400)
    data = pd.DataFrame({f"y{i}": np.digitize(0.7 * f + 0.7 * rng.normal(size=400), [-0.5, 0.3, 1.0])
                         for i in range(1, 5)})
    for extra in ("d := a*b", "a == b"):
        model = "F =~ y1 + a*y2 + b*y3 + y4\n" + extra
        with pytest.raises(NotImplementedError, match="ordinal estimation"):
            CFA(model, ordered=True).fit(data)
