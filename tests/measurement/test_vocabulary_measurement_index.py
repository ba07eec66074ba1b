"""Every public tidy output of fusion_study.measurement and fusion_study.index speaks the one vocabulary.

Each entry calls one public function or method on the bundled example study (or tiny synthetic
data) and checks its columns with :func:`vocabulary.assert_standard_columns`; entries that report
an estimate with uncertainty also list the standard columns they must have. The ``alpha`` tests
check that ``alpha=0.10`` changes the intervals as it should.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from vocabulary import assert_standard_columns

from fusion_study import example_study_path, load_study
from fusion_study import index as fi
from fusion_study import measurement as fm
from fusion_study.measurement.pls import PLSPathModel, retailer_pls

STAFF = ["goal", "outcome", "capability", "service"]


@pytest.fixture(scope="module")
def study():
    return load_study(example_study_path())


@pytest.fixture(scope="module")
def customer(study):
    cb = study.codebook[study.codebook["instrument"] == "customer_survey"]
    return study.tables["customer_survey"], cb


@pytest.fixture(scope="module")
def small():
    """Two factors, three items each, two groups (synthetic, n = 400)."""
    rng = np.random.default_rng(12)
    n = 400
    f = rng.standard_normal((n, 2)) @ np.linalg.cholesky([[1, 0.4], [0.4, 1]]).T
    lam = np.array([0.8, 0.7, 0.6])
    x = np.hstack([f[:, [0]] * lam, f[:, [1]] * lam]) + rng.standard_normal((n, 6)) * 0.6
    df = pd.DataFrame(x, columns=["a1", "a2", "a3", "b1", "b2", "b3"])
    df["g"] = np.where(np.arange(n) % 2 == 0, "north", "south")
    return df


SCALES = {"a": ["a1", "a2", "a3"], "b": ["b1", "b2", "b3"]}
ITEMS = SCALES["a"] + SCALES["b"]
FULL = ("estimate", "se", "ci_lower", "ci_upper", "p_value")


def _outputs(study, customer, small):
    """(name, DataFrame, standard columns it must have)."""
    data, cb = customer
    quiet = warnings.catch_warnings()
    quiet.__enter__()
    warnings.simplefilter("ignore")
    try:
        cfa = fm.CFA(SCALES).fit(small)
        mg = fm.CFA(SCALES, group="g", group_equal=("loadings",)).fit(small)
        ordinal = fm.CFA(SCALES, ordered=True).fit(small[ITEMS].round().clip(-2, 2))
        efa = fm.efa(small, ITEMS, n_factors=2)
        pls = PLSPathModel(SCALES, [("a", "b")]).fit(small)
        retail = retailer_pls(data, cb)
        rep = fm.validity_report(small, SCALES)
        # a questionnaire with a two-item scale and a one-item measure (single_items, spearman_brown)
        rep_items = fm.validity_report(small, {"a": ITEMS[:3], "b": ITEMS[3:5], "single": ITEMS[5:]})
        from fusion_study.simulate import Truth

        truth = Truth.load(example_study_path())
        idx = fi.study_index(study)
        unc = fi.index_uncertainty(idx, idx.data_, n_draws=60, seed=1)
        al = fi.study_alignment(study, n_boot=120, seed=1)
        ahp = fi.ahp_weights([[1, 3], [1 / 3, 1]], labels=["party", "business"])
        panel = idx.data_[["unit_id", "period", *STAFF]]
        out = [
            # measurement
            ("reliability", fm.reliability(small, SCALES), ()),
            ("item_analysis", fm.item_analysis(small, SCALES), ()),
            ("kmo_bartlett", fm.kmo_bartlett(small, ITEMS), ()),
            ("harman_single_factor", fm.harman_single_factor(small, ITEMS), ()),
            ("parallel_analysis", fm.parallel_analysis(small, ITEMS, n_iter=20, seed=1), ()),
            ("efa.to_frame", efa.to_frame(), ()),
            ("efa.summary", efa.summary(), ()),
            ("SEM.to_frame", cfa.to_frame(), FULL),
            ("SEM.summary", cfa.summary(), FULL),
            ("SEM.loadings", cfa.loadings(), ("estimate", "se", "ci_lower", "ci_upper")),
            ("SEM.to_frame (groups)", mg.to_frame(), FULL),
            ("SEM.to_frame (WLSMV)", ordinal.to_frame(), FULL),
            ("SEM.validity_", cfa.validity_, ()),
            ("SEM.fornell_larcker_", cfa.fornell_larcker_.reset_index(), ()),
            ("SEM.htmt_", cfa.htmt_.reset_index(), ()),
            ("composite_validity", fm.composite_validity(cfa), ()),
            ("fornell_larcker", fm.fornell_larcker(cfa).reset_index(), ()),
            ("htmt", fm.htmt(np.cov(small[ITEMS].T), {"a": [0, 1, 2], "b": [3, 4, 5]}), ()),
            ("measurement_invariance", fm.measurement_invariance(small, SCALES, group="g"), ("p_value",)),
            ("alternative_models", fm.alternative_models(small, SCALES), ()),
            ("score_scales", fm.score_scales(small, SCALES), ()),
            ("polychoric_matrix", fm.polychoric_matrix(small[ITEMS].round().clip(-2, 2), ITEMS).reset_index(), ()),
            ("thresholds", fm.thresholds(small[ITEMS].round().clip(-2, 2), ITEMS), ()),
            ("study_scores", fm.study_scores(study), ()),
            ("loading_recovery", fm.loading_recovery(study, truth, instrument="staff_survey", estimator="ML"),
             ("estimate", "se", "ci_lower", "ci_upper")),
            ("PLS.to_frame", pls.to_frame(), ("estimate",)),
            ("PLS.summary", pls.summary(), ("estimate",)),
            ("PLS.indirect_effects", retail.indirect_effects(), ("estimate",)),
            ("PLS.bootstrap", retail.bootstrap(50, seed=1), ("estimate", "se", "ci_lower", "ci_upper")),
            ("PLS.outer_", pls.outer_, ()),
            ("PLS.r2_", pls.r2_, ()),
            ("PLS.reliability_", pls.reliability_, ()),
            ("PLS.vif_", retail.vif_, ()),
            # index
            ("normalise", fi.normalise(panel, columns=STAFF), ()),
            ("topsis", fi.topsis(panel, {c: 0.25 for c in STAFF}, columns=STAFF), ()),
            ("IntegrationIndex.to_frame", idx.to_frame(), ()),
            ("IntegrationIndex.summary", idx.summary(), ()),
            ("IntegrationIndex.weights_", idx.weights_, ()),
            ("IntegrationIndex.contributions_", idx.contributions_, ()),
            ("AHPResult.to_frame", ahp.to_frame(), ()),
            ("AHPResult.summary", ahp.summary(), ()),
            ("coupling_coordination", fi.coupling_coordination([0.2, 0.8], [0.5, 0.5]), ()),
            ("study_indicators", fi.study_indicators(study), ()),
            ("study_coupling", fi.study_coupling(study), ()),
            ("IndexUncertainty.to_frame", unc.to_frame(), ("ci_lower", "ci_upper")),
            ("IndexUncertainty.summary", unc.summary(), ()),
            ("AssessmentAlignment.to_frame", al.to_frame(), ("estimate", "ci_lower", "ci_upper", "p_value")),
            ("AssessmentAlignment.summary", al.summary(), ()),
            ("AssessmentAlignment.points_", al.points_, ()),
        ]
        out += [(f"validity_report[{k}]", v, ()) for k, v in rep.items()]
        out += [(f"validity_report[{k}] (one- and two-item scales)", v, ()) for k, v in rep_items.items()]
        out += [(f"validity_tables[{t.caption}]", t.values, ()) for t in fm.validity_tables(rep, lang="en")]
        return out
    finally:
        quiet.__exit__(None, None, None)


@pytest.fixture(scope="module")
def outputs(study, customer, small):
    return _outputs(study, customer, small)


def test_every_tidy_output_uses_the_standard_names(outputs):
    assert len(outputs) > 50
    for name, frame, must in outputs:
        assert_standard_columns(frame, name)
        missing = [c for c in must if c not in frame.columns]
        assert not missing, f"{name}: lacks standard column(s) {missing}; has {list(frame.columns)}"


def test_lavaan_mirror_keeps_lavaan_names_and_to_frame_renames_them(small):
    fit = fm.CFA(SCALES).fit(small)
    assert {"est", "pvalue", "ci_lower", "ci_upper"} <= set(fit.params_.columns)
    tidy = fit.to_frame()
    np.testing.assert_array_equal(tidy["estimate"], fit.params_["est"])
    np.testing.assert_array_equal(tidy["p_value"], fit.params_["pvalue"])
    assert "chisq" in str(fit) and isinstance(fit.summary(), pd.DataFrame)


# ---------------------------------------------------------------- alpha
Z95, Z90 = stats.norm.ppf(0.975), stats.norm.ppf(0.95)


def test_sem_alpha_sets_the_wald_intervals(small):
    a = fm.CFA(SCALES).fit(small).to_frame()
    b = fm.CFA(SCALES, alpha=0.10).fit(small).to_frame()
    free = a["free"].to_numpy()
    np.testing.assert_allclose(a["ci_upper"][free], a["estimate"][free] + Z95 * a["se"][free], rtol=1e-12)
    np.testing.assert_allclose(b["ci_upper"][free], b["estimate"][free] + Z90 * b["se"][free], rtol=1e-12)
    np.testing.assert_allclose((b["ci_upper"] - b["ci_lower"])[free], (a["ci_upper"] - a["ci_lower"])[free] * Z90 / Z95,
                               rtol=1e-10)
    np.testing.assert_array_equal(a["estimate"], b["estimate"])
    with pytest.raises(ValueError, match="alpha"):
        fm.CFA(SCALES, alpha=5).fit(small)


def test_sem_alpha_with_ordered_items(small):
    x = small[ITEMS].round().clip(-2, 2)
    a = fm.CFA(SCALES, ordered=True).fit(x).to_frame()
    b = fm.CFA(SCALES, ordered=True, alpha=0.10).fit(x).to_frame()
    th = (a["op"] == "|").to_numpy()
    assert th.any()
    np.testing.assert_allclose((b["ci_upper"] - b["estimate"])[th], Z90 * a["se"][th], rtol=1e-10)


def test_loading_recovery_alpha(study):
    from fusion_study.simulate import Truth

    truth = Truth.load(example_study_path())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = fm.loading_recovery(study, truth, instrument="staff_survey")
        b = fm.loading_recovery(study, truth, instrument="staff_survey", alpha=0.10)
    np.testing.assert_allclose(b["ci_upper"] - b["estimate"], Z90 * a["se"], rtol=1e-10)
    np.testing.assert_allclose(a["ci_upper"] - a["estimate"], Z95 * a["se"], rtol=1e-10)
    assert b["covered"].sum() <= a["covered"].sum()


def test_alignment_alpha_takes_the_bootstrap_percentiles():
    rng = np.random.default_rng(4)
    x = rng.normal(size=80)
    wide = pd.DataFrame({"unit_id": [f"u{i:02d}" for i in range(80)], "party_assessment": x,
                         "business_assessment": 0.5 * x + rng.normal(size=80)})
    a = fi.assessment_alignment(wide, n_boot=400, seed=9).to_frame().set_index("method")
    b = fi.assessment_alignment(wide, n_boot=400, seed=9, alpha=0.10).to_frame().set_index("method")
    assert (b["ci_lower"] > a["ci_lower"]).all() and (b["ci_upper"] < a["ci_upper"]).all()
    pd.testing.assert_series_equal(a["estimate"], b["estimate"])
    # the same resamples by hand: Pearson r of each bootstrap sample of units
    picks = np.random.default_rng(9).integers(80, size=(400, 80))
    r = np.array([np.corrcoef(x[p], wide["business_assessment"].to_numpy()[p])[0, 1] for p in picks])
    assert b.loc["pearson", "ci_lower"] == pytest.approx(np.percentile(r, 5), abs=1e-12)
    assert b.loc["pearson", "ci_upper"] == pytest.approx(np.percentile(r, 95), abs=1e-12)


def test_efa_old_attribute_names_warn_but_work(small):
    res = fm.efa(small, ITEMS, n_factors=2)
    with pytest.warns(DeprecationWarning, match=r"EFAResult.loadings is deprecated; use .loadings_"):
        pd.testing.assert_frame_equal(res.loadings, res.loadings_)
    with pytest.warns(DeprecationWarning):
        assert res.n == res.n_ == 400
    assert "ss_loadings" in res.summary().index and "F1" in str(res)
