"""One vocabulary and one ``alpha`` across :mod:`fusion_study.effects`.

Every public tidy output of the package (functions returning a DataFrame, the frames of the
model objects, their ``summary()``) is checked with :func:`vocabulary.assert_standard_columns`;
every estimator is run with ``alpha=0.10`` and its intervals must use that level: for the
normal-theory ones ``(ci_upper - estimate) / se == z_{0.95} = 1.644854`` (``cluster_ols``: Student's
t with G - 1 df). Small data (a simulated panel, the bundled example study), a few seconds.

``one_replication`` / ``run_validation`` (a full simulated study each) are checked in
``test_effects_domain.py::test_validate_estimators_ci_sized``.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from effects_helpers import REPO, simulate_staggered
from vocabulary import assert_standard_columns

from fusion_study import effects as fx
from fusion_study.effects.montecarlo import summarise_validation

Z10 = 1.6448536269514722  # z_{1 - 0.10/2}
ALPHA = 0.10


def test_the_critical_value_is_the_one_asked_for():
    from fusion_study.data.checks import critical_value

    assert round(critical_value(ALPHA), 6) == 1.644854 == round(Z10, 6)


def _assert_level(frame: pd.DataFrame, where: str, crit: float = Z10) -> None:
    """Both half-widths of every interval with a positive SE equal ``crit`` standard errors."""
    se = frame["se"].to_numpy(float)
    ok = np.isfinite(se) & (se > 0)
    assert ok.any(), f"{where}: no interval to check"
    est, lo, hi = (frame[c].to_numpy(float)[ok] for c in ("estimate", "ci_lower", "ci_upper"))
    np.testing.assert_allclose((hi - est) / se[ok], crit, rtol=1e-10, err_msg=where)
    np.testing.assert_allclose((est - lo) / se[ok], crit, rtol=1e-10, err_msg=where)


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    df = simulate_staggered(n_units=300, periods=6, seed=3)
    return df.assign(branch=df["id"] % 30)


@pytest.fixture(scope="module")
def cs(panel):
    return fx.staggered_did(panel, outcome="y", unit="id", time="t", cohort="g", alpha=ALPHA)


@pytest.fixture(scope="module")
def obs() -> pd.DataFrame:
    rng = np.random.default_rng(5)
    n = 800
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    d = (rng.random(n) < 1 / (1 + np.exp(-(0.6 * x1 - 0.4 * x2)))).astype(int)
    m = 0.5 * d + 0.3 * x1 + rng.normal(size=n)
    y = 1 + x1 + 0.5 * x2 + 0.8 * d + 0.4 * m + rng.normal(size=n)
    return pd.DataFrame({"x1": x1, "x2": x2, "d": d, "m": m, "y": y,
                         "seg": rng.choice(["urban", "rural"], n), "branch": rng.integers(0, 25, n)})


# ------------------------------------------------------------------ staggered DiD
def test_staggered_did_vocabulary_and_alpha(cs, panel):
    frames = {"att_gt_": cs.att_gt_, "to_frame()": cs.to_frame(), "summary()": cs.summary(),
              "pretrend_test()": cs.pretrend_test(), "pretrend_test(event_time)": cs.pretrend_test("event_time"),
              "few_clusters_": cs.few_clusters_, "skipped_": cs.skipped_}
    for agg in ("simple", "dynamic", "group", "calendar"):
        frames[f"aggregate({agg})"] = cs.aggregate(agg)
    for where, frame in frames.items():
        assert_standard_columns(frame, f"StaggeredDiD.{where}")
    assert {"estimate", "se", "ci_lower", "ci_upper", "p_value"} <= set(cs.att_gt_.columns)
    _assert_level(cs.att_gt_, "StaggeredDiD.att_gt_")
    for agg in ("simple", "dynamic", "group", "calendar"):
        _assert_level(cs.aggregate(agg), f"aggregate({agg})")
    _assert_level(cs.aggregate("simple", alpha=0.2), "aggregate(alpha=0.2)", crit=stats.norm.ppf(0.9))
    default = fx.StaggeredDiD(outcome="y", unit="id", time="t", cohort="g").fit(panel)
    _assert_level(default.aggregate("dynamic"), "StaggeredDiD() default alpha", crit=stats.norm.ppf(0.975))
    np.testing.assert_allclose(default.att_gt_["se"], cs.att_gt_["se"])  # alpha changes intervals only


def test_honest_did_vocabulary_and_alpha(panel):
    uni = fx.staggered_did(panel, outcome="y", unit="id", time="t", cohort="g", base_period="universal",
                           control="never", alpha=ALPHA)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a10 = fx.honest_did(uni, M=[0.5, 1.0], alpha=ALPHA)
        a05 = fx.honest_did(uni, M=[0.5, 1.0])
    assert_standard_columns(a10, "honest_did")
    # the robust CI is not a normal interval (FLCI); the level must still reach diff-diff:
    # a 90 % robust interval lies strictly inside the 95 % one, the identified set is the same
    assert (a10["ci_lower"] > a05["ci_lower"]).all() and (a10["ci_upper"] < a05["ci_upper"]).all()
    np.testing.assert_allclose(a10[["lower_bound", "upper_bound"]], a05[["lower_bound", "upper_bound"]])


# ------------------------------------------------------------------ naive estimators
def test_naive_estimators_vocabulary_and_alpha(panel):
    kw = dict(outcome="y", time="t", cohort="g")
    for dynamic in (False, True):
        tw = fx.twfe_event_study(panel, unit="id", dynamic=dynamic, alpha=ALPHA, **kw)
        assert_standard_columns(tw, f"twfe_event_study(dynamic={dynamic})")
        _assert_level(tw, f"twfe_event_study(dynamic={dynamic})")
    for fn in (fx.naive_before_after, fx.naive_treated_vs_untreated):
        out = fn(panel, alpha=ALPHA, **kw)
        assert_standard_columns(out, fn.__name__)
        _assert_level(out, fn.__name__)
    assert_standard_columns(fx.bacon_decomposition(panel, unit="id", **kw), "bacon_decomposition")


# ------------------------------------------------------------------ multilevel
def test_multilevel_and_cluster_ols_vocabulary_and_alpha():
    data = pd.read_csv(REPO / "tests" / "reference" / "effects" / "multilevel_data.csv")
    m = fx.multilevel(data, "satisfaction ~ visits + rural", groups="branch", alpha=ALPHA)
    for where, frame in (("fixed_", m.fixed_), ("to_frame()", m.to_frame()), ("summary()", m.summary()),
                         ("variance_components_", m.variance_components_)):
        assert_standard_columns(frame, f"Multilevel.{where}")
    _assert_level(m.fixed_, "Multilevel.fixed_")
    ols = fx.cluster_ols(data, "satisfaction ~ visits + rural", cluster="branch", alpha=ALPHA)
    assert_standard_columns(ols, "cluster_ols")
    G = data["branch"].nunique()
    _assert_level(ols, "cluster_ols", crit=stats.t.ppf(1 - ALPHA / 2, G - 1))


# ------------------------------------------------------------------ AIPW, mediation, sensitivity
def test_aipw_subgroups_mediation_sensitivity_vocabulary_and_alpha(obs):
    kw = dict(outcome="y", treatment="d", covariates=["x1", "x2"], seed=1)
    dr = fx.doubly_robust(obs, alpha=ALPHA, **kw)
    for where, frame in (("result_", dr.result_), ("to_frame()", dr.to_frame()), ("summary()", dr.summary()),
                         ("balance_", dr.balance_)):
        assert_standard_columns(frame, f"DoublyRobust.{where}")
    _assert_level(dr.result_, "DoublyRobust.result_")
    _assert_level(fx.DoublyRobust(estimand="att", alpha=ALPHA, **kw).fit(obs).result_, "DoublyRobust(att)")
    assert_standard_columns(fx.balance_table(obs, treatment="d", covariates=["x1", "x2"]), "balance_table")

    sub = fx.subgroup_effects(obs, by="seg", alpha=ALPHA, **kw)
    assert_standard_columns(sub, "subgroup_effects")
    assert "p_adjusted" in sub.columns
    _assert_level(sub, "subgroup_effects")

    med_kw = dict(treatment="d", mediator="m", outcome="y", covariates=["x1"], n_boot=200, seed=4)
    med10 = fx.mediation(obs, alpha=ALPHA, **med_kw)
    med05 = fx.mediation(obs, **med_kw)
    assert_standard_columns(med10, "mediation")
    assert med10["term"].tolist() == ["indirect", "direct", "total", "proportion_mediated"]
    # percentile intervals (not normal): same draws, the 5 %/95 % quantiles lie inside the 2.5 %/97.5 %
    assert (med10["ci_lower"] > med05["ci_lower"]).all() and (med10["ci_upper"] < med05["ci_upper"]).all()
    np.testing.assert_allclose(med10["estimate"], med05["estimate"])

    assert_standard_columns(fx.e_value(1.8, 1.2, 2.5), "e_value")
    assert_standard_columns(fx.adjust_pvalues([0.01, 0.2, 0.03]), "adjust_pvalues(array)")
    assert_standard_columns(fx.adjust_pvalues(sub, method="bh"), "adjust_pvalues(frame)")


def test_montecarlo_summary_vocabulary():
    rows = pd.DataFrame({"replication": [0, 1, 0, 1], "estimator": ["a", "a", "b", "b"],
                         "estimate": [1.0, 1.2, 0.5, 0.7], "se": [0.1, 0.1, 0.2, 0.2], "truth": 1.0,
                         "ci_lower": [0.8, 1.0, 0.1, 0.3], "ci_upper": [1.2, 1.4, 0.9, 1.1],
                         "covered": [1.0, 1.0, 0.0, 1.0]})
    assert_standard_columns(rows, "one_replication rows")
    assert_standard_columns(summarise_validation(rows), "summarise_validation")


# ------------------------------------------------------------------ the domain layer
@pytest.fixture(scope="module")
def study():
    from fusion_study import load_study
    from fusion_study.data.paths import example_study_path

    return load_study(example_study_path())


def test_domain_layer_vocabulary_and_alpha(study):
    assert_standard_columns(fx.exposures(study), "exposures")
    assert_standard_columns(fx.adoption_cohorts(study), "adoption_cohorts")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = fx.evaluate_interventions(study, alpha=ALPHA)
    assert_standard_columns(table, "evaluate_interventions")
    effects = table[table["estimand"] != "pre-trend test"].dropna(subset=["estimate"])
    assert {"CS-DiD (RC, DR)", "TWFE (branch + wave)", "before/after", "treated vs untreated"} <= set(
        effects["estimator"])
    net = effects["estimand"] == "ATT net of other interventions"
    _assert_level(effects[~net], "evaluate_interventions")
    # the net-of-others rows (brand and points platform identified on the example) use t(G - 1), G = 24 branches
    assert net.sum() == 2
    _assert_level(effects[net], "evaluate_interventions (net of others)",
                  crit=stats.t.ppf(1 - ALPHA / 2, fx.exposures(study)["branch_id"].nunique() - 1))
    pre = table[table["estimand"] == "pre-trend test"]
    assert pre["p_value"].between(0, 1).all() and pre["se"].isna().all()
