"""Staggered DiD: parity with R did 2.5.1 on mpdta, consistency checks, edge cases."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from effects_helpers import mpdta, simulate_staggered
from fusion_study.data.checks import MissingColumnsError
from fusion_study.effects import DiDSpecificationError, UnbalancedPanelWarning, staggered_did
from fusion_study.effects.staggered import EmptyCellWarning, FewClustersWarning

# R did 2.5.1 (tests/reference/effects/mpdta.README.md): aggregation -> (att, se) per (control, covariate)
R_AGG = {
    ("never", False): {"simple": (-0.039951, 0.012034), "dynamic": (-0.077240, 0.019965),
                       "group": (-0.031018, 0.012446), "calendar": (-0.041700, 0.015972)},
    ("never", True): {"simple": (-0.041752, 0.011503), "dynamic": (-0.080354, 0.018958),
                      "group": (-0.032820, 0.011898), "calendar": (-0.044177, 0.015038)},
    ("notyet", False): {"simple": (-0.039764, 0.012052), "dynamic": (-0.077399, 0.019560),
                        "group": (-0.030462, 0.012575), "calendar": (-0.044267, 0.015571)},
    ("notyet", True): {"simple": (-0.041352, 0.011428), "dynamic": (-0.079993, 0.018494),
                       "group": (-0.032264, 0.011983), "calendar": (-0.045665, 0.014698)},
}
R_ATTGT = [  # never-treated, no covariates: (g, t, att, se)
    (2004, 2004, -0.010503, 0.023251), (2004, 2005, -0.070423, 0.030985), (2004, 2006, -0.137259, 0.036436),
    (2004, 2007, -0.100811, 0.034359), (2006, 2004, 0.006520, 0.023327), (2006, 2005, -0.002751, 0.019559),
    (2006, 2006, -0.004595, 0.017755), (2006, 2007, -0.041224, 0.020229), (2007, 2004, 0.030507, 0.015034),
    (2007, 2005, -0.002726, 0.016396), (2007, 2006, -0.031087, 0.017878), (2007, 2007, -0.026054, 0.016655),
]
# The reference values are printed to 6 decimals: rounding alone contributes up to 5e-7.
ROUND = 5e-7


def _fit(df, control, cov, **kw):
    return staggered_did(df, outcome="lemp", unit="countyreal", time="year", cohort="first.treat",
                         control=control, covariates=["lpop"] if cov else None, **kw)


@pytest.fixture(scope="module")
def fits():
    df = mpdta()
    return {key: _fit(df, *key) for key in R_AGG}


@pytest.mark.parametrize("key", list(R_AGG))
@pytest.mark.parametrize("agg", ["simple", "dynamic", "group", "calendar"])
def test_aggregations_match_r_did(fits, key, agg):
    est, se = R_AGG[key][agg]
    row = fits[key].aggregate(agg).iloc[0]
    assert row["term"] == "overall"
    tol = 1e-5 if key[1] else 1e-6
    assert abs(row["estimate"] - est) <= tol + ROUND
    assert abs(row["se"] - se) <= 1e-4


def test_att_gt_match_r_did(fits):
    at = fits[("never", False)].att_gt_
    assert len(at) == len(R_ATTGT)
    for g, t, att, se in R_ATTGT:
        row = at[(at["group"] == g) & (at["time"] == t)].iloc[0]
        assert abs(row["estimate"] - att) <= 1e-6 + ROUND
        assert abs(row["se"] - se) <= 1e-4
    assert at["n"].tolist()[:4] == [329] * 4  # 20 treated in 2004 + 309 never treated


def test_pretrend_test_matches_r_did(fits):
    # R did summary(att_gt): "P-value for pre-test of parallel trends assumption: 0.16812"
    pt = fits[("never", False)].pretrend_test().iloc[0]
    assert pt["df"] == 5
    assert abs(pt["p_value"] - 0.16812) < 1e-5


def test_dynamic_and_calendar_terms(fits):
    dyn = fits[("never", False)].aggregate("dynamic")
    assert dyn["term"].tolist() == ["overall"] + ["event_time"] * 7
    assert dyn["value"].iloc[1:].tolist() == [-3, -2, -1, 0, 1, 2, 3]
    # e = 3 has only the 2004 cohort: equals ATT(2004, 2007)
    assert abs(dyn["estimate"].iloc[-1] - (-0.100811)) < 1e-6 + ROUND
    cal = fits[("never", False)].aggregate("calendar")
    assert cal["value"].iloc[1:].tolist() == [2004, 2005, 2006, 2007]
    assert abs(cal["estimate"].iloc[1] - (-0.010503)) < 1e-6 + ROUND  # only cohort 2004 treated in 2004
    grp = fits[("never", False)].aggregate("group")
    # cohort 2004 averages its four post periods with equal weights
    assert abs(grp["estimate"].iloc[1] - np.mean([-0.010503, -0.070423, -0.137259, -0.100811])) < 2e-6


def test_methods_coincide_without_covariates():
    df = mpdta()
    base = _fit(df, "never", False).att_gt_["estimate"].to_numpy()
    for m in ("ipw", "reg"):
        other = _fit(df, "never", False, method=m).att_gt_["estimate"].to_numpy()
        np.testing.assert_allclose(other, base, atol=1e-12)


def test_methods_with_covariate_are_close_to_dr():
    df = mpdta()
    dr = _fit(df, "never", True).aggregate("simple")["estimate"].iloc[0]
    for m in ("ipw", "reg"):
        other = _fit(df, "never", True, method=m).aggregate("simple")["estimate"].iloc[0]
        assert abs(other - dr) < 0.005


def test_repeated_cross_sections_on_panel_data_give_panel_point_estimates():
    """Treating mpdta as repeated cross-sections: with a balanced panel and no
    covariates, the RC estimator (difference of four means) gives exactly the
    panel point estimates; SEs differ (they ignore the within-unit correlation)."""
    df = mpdta()
    panel = _fit(df, "never", False)
    rc = _fit(df, "never", False, panel=False)
    np.testing.assert_allclose(rc.att_gt_["estimate"], panel.att_gt_["estimate"], atol=1e-12)
    for agg in ("simple", "dynamic", "group", "calendar"):
        np.testing.assert_allclose(rc.aggregate(agg)["estimate"], panel.aggregate(agg)["estimate"], atol=1e-12)
    assert (rc.att_gt_["n"] == 2 * panel.att_gt_["n"]).all()
    assert rc.n_obs_ == len(df)


def test_rc_with_time_invariant_covariate_close_to_panel():
    df = mpdta()
    p = _fit(df, "notyet", True).aggregate("simple").iloc[0]
    r = _fit(df, "notyet", True, panel=False).aggregate("simple").iloc[0]
    assert abs(p["estimate"] - r["estimate"]) < 0.01
    assert 0.5 < r["se"] / p["se"] < 5


def test_rc_four_means_formula_by_hand():
    df = mpdta()
    rc = _fit(df, "never", False, panel=False).att_gt_
    y = df.set_index(["first.treat", "year"])["lemp"]
    g, t, b = 2006, 2007, 2005
    m = lambda gg, tt: y.loc[(gg, tt)].mean()  # noqa: E731
    by_hand = (m(g, t) - m(g, b)) - (m(0, t) - m(0, b))
    assert abs(rc[(rc.group == g) & (rc.time == t)]["estimate"].iloc[0] - by_hand) < 1e-12


def test_unbalanced_panel_warns_and_matches_balanced_when_rows_missing_at_random():
    """R did's allow_unbalanced_panel=TRUE: the RC estimator ignores the unit
    effects, so it is consistent but far less precise on mpdta (county levels
    vary a lot): the estimate must be within its own CI of the balanced one."""
    df = mpdta()
    rng = np.random.default_rng(3)
    drop = rng.random(len(df)) < 0.05
    with pytest.warns(UnbalancedPanelWarning):
        ub = _fit(df.loc[~drop], "never", False)
    full = _fit(df, "never", False)
    assert ub.n_obs_ == df["countyreal"].nunique()
    a, b = ub.aggregate("simple").iloc[0], full.aggregate("simple").iloc[0]
    assert abs(a["estimate"] - b["estimate"]) < 3 * a["se"]
    assert a["se"] > b["se"]
    # a unit's influence is summed over its rows: clustering on the unit changes nothing
    df2 = df.loc[~drop].assign(cl=lambda d: d["countyreal"])
    with pytest.warns(UnbalancedPanelWarning):
        ubc = _fit(df2, "never", False, cluster="cl")
    G = df2["cl"].nunique()
    np.testing.assert_allclose(ubc.att_gt_["se"], ub.att_gt_["se"] * np.sqrt(G / (G - 1)), rtol=1e-10)


@pytest.mark.parametrize("kind", ["panel", "rc", "unbalanced"])
def test_recovers_simulated_truth(kind):
    df = simulate_staggered(n_units=3000, seed=11, selection=1.0)
    panel = kind != "rc"
    if kind == "rc":  # fresh respondents every period: each row its own id
        df = df.assign(id=np.arange(len(df)))
    if kind == "unbalanced":
        df = df[np.random.default_rng(2).random(len(df)) > 0.1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnbalancedPanelWarning)
        res = staggered_did(df, outcome="y", unit="id", time="t", cohort="g", covariates=["x"], panel=panel)
    truth = df.loc[df["tau"] != 0].groupby(["g", "t"])["tau"].mean()
    at = res.att_gt_.set_index(["group", "time"])
    post = at[at["post"]]
    z = (post["estimate"] - truth.reindex(post.index).fillna(0.5)) / post["se"]
    assert (z.abs() < 4).all()
    pre = at[~at["post"]]
    assert (pre["estimate"].abs() / pre["se"] < 4).all()
    assert res.pretrend_["df"] == len(pre)


def test_cluster_se_and_single_cluster_error():
    df = mpdta()
    df["state"] = df["countyreal"] // 1000
    with pytest.warns(FewClustersWarning):  # cohort 2004 comes from few states
        res = _fit(df, "never", False, cluster="state")
    assert len(res.few_clusters_) > 0
    assert res.aggregate("simple")["se"].iloc[0] > 0
    # each county its own cluster: G/(G-1) times the unclustered variance
    res_c = _fit(df, "never", False, cluster="countyreal")
    base = _fit(df, "never", False)
    G = df["countyreal"].nunique()
    np.testing.assert_allclose(res_c.att_gt_["se"], base.att_gt_["se"] * np.sqrt(G / (G - 1)), rtol=1e-12)
    df["one"] = 1
    with pytest.raises(DiDSpecificationError, match="single cluster"):
        _fit(df, "never", False, cluster="one")


def test_edge_case_errors():
    df = mpdta()
    with pytest.raises(DiDSpecificationError, match="first observed period"):
        _fit(df.assign(**{"first.treat": df["first.treat"].replace(2004, 2003)}), "never", False)
    treated_only = df[df["first.treat"] > 0]
    with pytest.raises(DiDSpecificationError, match="no unit is never treated"):
        _fit(treated_only, "never", False)
    # not-yet with no never-treated: last cohort (2007) becomes the comparison, 2007 dropped
    ny = _fit(treated_only, "notyet", False)
    assert set(ny.att_gt_["group"]) == {2004, 2006}
    assert ny.att_gt_["time"].max() == 2006
    one_cohort = df[df["first.treat"].isin([2004])]
    with pytest.raises(DiDSpecificationError, match="no comparison group"):
        _fit(one_cohort, "notyet", False)
    with pytest.raises(ValueError, match=r"control='later' is not supported; use one of \['notyet', 'never'\]"):
        _fit(df, "later", False)
    with pytest.raises(MissingColumnsError, match=r"staggered_did: the data lacks column\(s\) \['y'\]"):
        staggered_did(df, outcome="y", unit="countyreal", time="year", cohort="first.treat")
    with pytest.raises(DiDSpecificationError, match="one row per unit"):
        _fit(pd.concat([df, df.iloc[:1]]), "never", False)


def test_perfect_separation_gives_clear_error():
    df = mpdta()
    df["sep"] = (df["first.treat"] == 2004).astype(float) + np.random.default_rng(0).normal(0, 0.01, len(df))
    with pytest.raises(DiDSpecificationError, match="separation"):
        staggered_did(df, outcome="lemp", unit="countyreal", time="year", cohort="first.treat",
                      control="never", covariates=["sep"])


def test_empty_cells_rc_are_skipped_with_warning_or_error():
    df = mpdta()
    # repeated cross-sections with no 2004-cohort respondents in 2003 (its only base period)
    sub = df[~((df["first.treat"] == 2004) & (df["year"] == 2003))]
    with pytest.warns(EmptyCellWarning):
        res = _fit(sub, "never", False, panel=False)
    assert set(res.skipped_["group"]) == {2004}
    assert res.att_gt_.loc[res.att_gt_["group"] == 2004, "estimate"].isna().all()
    # aggregations use the estimable cells only: equal to dropping cohort 2004 altogether? No -
    # its cohort share still counts in pg but no cell of it is kept, so simple = cohorts 2006/2007 only
    simple = res.aggregate("simple")["estimate"].iloc[0]
    other = _fit(df[df["first.treat"] != 2004], "never", False, panel=False).aggregate("simple")["estimate"].iloc[0]
    assert simple == pytest.approx(other, abs=1e-12)
    for agg in ("dynamic", "group", "calendar"):
        assert np.isfinite(res.aggregate(agg)["estimate"]).all()
    # nothing estimable at all -> clear error
    only = df[df["first.treat"].isin([0, 2007])]
    only = only[~((only["first.treat"] == 2007) & (only["year"] == 2007))]
    with pytest.raises(DiDSpecificationError, match="empty cells"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _fit(only, "never", False, panel=False)


def test_quarter_strings_and_universal_base(fits):
    df = mpdta()
    q = df.assign(q=df["year"].astype(str) + "Q1",
                  gq=np.where(df["first.treat"] > 0, df["first.treat"].astype(str) + "Q1", None))
    res = staggered_did(q, outcome="lemp", unit="countyreal", time="q", cohort="gq", control="never")
    np.testing.assert_allclose(res.att_gt_["estimate"], fits[("never", False)].att_gt_["estimate"], atol=1e-12)
    uni = _fit(df, "never", False, base_period="universal")
    post_v = fits[("never", False)].att_gt_.query("post")["estimate"].to_numpy()
    np.testing.assert_allclose(uni.att_gt_.query("post")["estimate"], post_v, atol=1e-12)
    ref = uni.att_gt_[uni.att_gt_["event_time"] == -1]
    assert (ref["estimate"] == 0).all() and ref["se"].isna().all()


def test_summary_plot_and_determinism(fits):
    import matplotlib.pyplot as plt

    res = fits[("never", False)]
    s = res.summary()
    assert s["aggregation"].tolist() == ["simple", "dynamic", "group", "calendar"]
    ax = res.plot(lang="en")
    assert ax.get_xlabel() == "Periods relative to treatment"
    ax2 = res.plot(lang="zh")
    assert "处理" in ax2.get_xlabel()
    plt.close("all")
    again = _fit(mpdta(), "never", False)
    pd.testing.assert_frame_equal(again.to_frame(), res.to_frame())
    assert "0x" not in repr(res)


@pytest.mark.parametrize("method", ["dr", "ipw", "reg"])
def test_rc_influence_function_matches_bootstrap_with_covariate(method):
    """R did is not installable here; besides the base-R and diff-diff references
    (test_effects_staggered_rc.py), the RC influence functions are checked against a
    nonparametric bootstrap of the same estimator: analytic SE within 15 % of the bootstrap SD (400 resamples), and the bootstrap
    mean within 0.25 SE of the estimate."""
    from fusion_study.effects.drdid import did_rc

    df = mpdta()
    cell = df[df["first.treat"].isin([0, 2006]) & df["year"].isin([2005, 2007])]
    y = cell["lemp"].to_numpy()
    post = (cell["year"] == 2007).to_numpy()
    D = (cell["first.treat"] == 2006).to_numpy()
    X = np.column_stack([np.ones(len(cell)), cell["lpop"].to_numpy()])
    att, inf = did_rc(y, post, D, X, method=method)
    se = np.sqrt(np.mean(inf**2) / len(y))
    assert abs(inf.mean()) < 1e-10
    rng = np.random.default_rng(0)
    boots = []
    for _ in range(400):
        i = rng.integers(0, len(y), len(y))
        boots.append(did_rc(y[i], post[i], D[i], X[i], method=method)[0])
    assert np.std(boots, ddof=1) == pytest.approx(se, rel=0.15)
    assert abs(np.mean(boots) - att) < 0.25 * se


def test_anticipation_aggregations_average_post_cells_as_r_did():
    """mpdta with ``anticipation=1`` (never-treated): R ``did`` drops the 2004 cohort (no
    period before 2004 - 1 = 2003 is observed); we refuse it, so it is dropped here as R does.

    No R number is stored for these aggregations, so the expected simple and cohort aggregates
    are derived from the ATT(g,t) (whose engine with anticipation agrees with R ``did`` to 1e-9,
    test_effects_staggered_rdid_golden.py) with R ``did`` 2.5's documented ``aggte`` weights:
    cohort-size weights P(G = g) over the post-treatment cells t >= g. Before the fix the two
    aggregations averaged t >= g - anticipation, which includes (2006, 2005) and (2007, 2006)."""
    df = mpdta()
    with pytest.raises(DiDSpecificationError, match="no pre-treatment period"):
        _fit(df, "never", False, anticipation=1)
    sub = df[df["first.treat"] != 2004]
    res = _fit(sub, "never", False, anticipation=1)
    at = res.att_gt_
    units = sub.drop_duplicates("countyreal")
    share = units["first.treat"].value_counts(normalize=True)
    post = at[at["time"] >= at["group"]]
    w = post["group"].map(share).to_numpy()
    simple = float(w @ post["estimate"].to_numpy() / w.sum())
    assert res.aggregate("simple")["estimate"].iloc[0] == pytest.approx(simple, abs=1e-12)
    by_g = post.groupby("group")["estimate"].mean()
    grp = res.aggregate("group")
    np.testing.assert_allclose(grp.loc[grp["term"] == "group", "estimate"], by_g.to_numpy(), rtol=0, atol=1e-12)
    pg = share.reindex(by_g.index).to_numpy()
    assert grp["estimate"].iloc[0] == pytest.approx(float(pg @ by_g.to_numpy() / pg.sum()), abs=1e-12)
    assert set(post[["group", "time"]].itertuples(index=False, name=None)) == {(2006, 2006), (2006, 2007),
                                                                               (2007, 2007)}
    # the old rule (t >= g - 1) gives a clearly different number
    old = at[at["time"] >= at["group"] - 1]
    w_old = old["group"].map(share).to_numpy()
    assert abs(w_old @ old["estimate"].to_numpy() / w_old.sum() - simple) > 1e-3
    # the anticipation cells are neither post nor in the pre-trend test (only t < g - 1 is)
    assert not at.loc[at["time"] == at["group"] - 1, "post"].any()
    assert res.pretrend_["df"] == int((at["time"] < at["group"] - 1).sum())


def test_renamed_names_still_answer_with_a_deprecation_warning(fits):
    res = fits[("never", False)]
    with pytest.warns(DeprecationWarning, match="over="):
        old = res.pretrend_test(by="event_time")
    pd.testing.assert_frame_equal(old, res.pretrend_test(over="event_time"))
    with pytest.warns(DeprecationWarning, match="att_gt_"):
        assert res.att_gt is res.att_gt_
