"""The several-interventions imputation estimator: parity with diff-diff and R, refusals, truth, bad input."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fusion_study.data.checks import MissingColumnsError
from fusion_study.effects import SeveralInterventions, several_interventions
from fusion_study.effects.several import MAX_VIF

REF = Path(__file__).resolve().parents[1] / "reference" / "effects"


@pytest.fixture(scope="module")
def hand() -> pd.DataFrame:
    return pd.read_csv(REF / "several_data.csv")


@pytest.fixture(scope="module")
def mpdta() -> pd.DataFrame:
    mp = pd.read_csv(REF / "mpdta.csv")
    mp["cl"] = mp["countyreal"] % 37
    return mp


def _fit_hand(data, **kw):
    opts = {"outcome": "y", "cohorts": ["cohort_a", "cohort_b"], "unit": "branch", "cluster": "branch",
            "max_event": 1}
    opts.update(kw)
    return several_interventions(data, **opts)


# ---------------------------------------------------------------- parity: diff-diff (one intervention, BJS)
@pytest.mark.parametrize("case", ["base", "cluster_coarse", "anticipation1"])
def test_single_intervention_matches_diffdiff_imputation(mpdta, case):
    ref = json.loads((REF / "diffdiff_imputation.json").read_text())["cases"][case]
    opts = ref["options"]
    res = several_interventions(mpdta, outcome="lemp", cohorts={"t": "first.treat"}, unit="countyreal",
                                time="year", cluster=opts.get("cluster", "countyreal"),
                                anticipation=opts.get("anticipation", 0), vcov="cr1")
    g = res.n_clusters_
    # anticipation=1: the 20 counties first treated in 2004 are exposed from 2003 on, nothing to impute from
    assert g == ref["n_clusters"] - (20 if case == "anticipation1" else 0)
    assert res.excluded_["n_rows"].sum() == (100 if case == "anticipation1" else 0)
    cr1 = math.sqrt(g / (g - 1))   # diff-diff has no small-cluster factor
    dd = ref["horizon"]
    ev = res.effects_.dropna(subset=["event_time"]).set_index("event_time")
    compared = 0
    for e, r in dd["event_time"].items():
        if r["estimate"] is None:      # diff-diff: NaN where no exposed row can be imputed; we have no bin
            assert int(e) not in ev.index
            continue
        assert ev.loc[int(e), "estimate"] == pytest.approx(r["estimate"], abs=1e-6)
        assert ev.loc[int(e), "se"] == pytest.approx(r["se"] * cr1, rel=1e-6)
        compared += 1
    assert compared >= 3 and len(ev) == compared
    overall = res.aggregate("simple").iloc[0]
    if case != "anticipation1":   # diff-diff's overall also averages the anticipation periods (e = -1)
        assert overall["estimate"] == pytest.approx(dd["overall"]["estimate"], abs=1e-6)
        assert overall["se"] == pytest.approx(dd["overall"]["se"] * cr1, rel=1e-6)
    else:
        pooled = (ev["estimate"] * ev["n_obs"]).sum() / ev["n_obs"].sum()
        assert pooled == pytest.approx(dd["overall"]["estimate"], abs=1e-6)
        post = ev[ev.index >= 0]
        assert overall["estimate"] == pytest.approx((post["estimate"] * post["n_obs"]).sum() / post["n_obs"].sum())


# ---------------------------------------------------------------- parity: R lm + sandwich (two interventions)
@pytest.mark.parametrize("case,covariates", [("no_covariates", None), ("covariate_x", ["x"])])
def test_two_interventions_match_r_lm_and_sandwich(hand, case, covariates):
    ref = json.loads((REF / "several_lm_sandwich.json").read_text())["cases"][case]
    res = _fit_hand(hand, covariates=covariates, vcov="cr1")
    assert res.n_clusters_ == ref["n_clusters"]
    keys = [("a", 0), ("a", 1), ("b", 0), ("b", 1)]
    np.testing.assert_allclose(res.coef_.loc[keys].to_numpy(), [ref["coef"][f"{k}_{e}"] for k, e in keys],
                               rtol=0, atol=1e-8)
    np.testing.assert_allclose(res.vcov_.loc[keys, keys].to_numpy(), np.array(ref["vcov"]), rtol=0, atol=1e-8)
    assert res.tau_["tau"].sum() == pytest.approx(ref["tau_sum"], abs=1e-8)
    agg = res.aggregate("simple").set_index("intervention")
    for k in ("a", "b"):
        for col in ("estimate", "se", "ci_lower", "ci_upper", "p_value"):
            assert agg.loc[k, col] == pytest.approx(ref["overall"][k][col], abs=1e-8), (k, col)
    et = res.effects_.dropna(subset=["event_time"]).set_index(["intervention", "event_time"])
    for k, e in keys:
        assert et.loc[(k, e), "se"] == pytest.approx(ref["se"][f"{k}_{e}"], abs=1e-8)
    assert et.loc[("a", 1), "note"].startswith("event times >= 1 pooled")


def test_overall_effect_is_the_imputed_effect_net_of_the_others_fitted_effects(hand):
    # the estimand the truth uses: the mean over the rows where k is on (e >= 0) of k's own effect;
    # the estimate is the mean of tau-hat there minus the other intervention's fitted event-time effects
    res = _fit_hand(hand)
    d = hand.loc[res.tau_["row"]].reset_index(drop=True)
    tau = res.tau_["tau"].to_numpy()
    on_a = (d["cohort_a"] > 0) & (d["period"] >= d["cohort_a"])
    on_b = (d["cohort_b"] > 0) & (d["period"] >= d["cohort_b"])
    e_b = np.minimum(d["period"] - d["cohort_b"], 1)
    fitted_b = np.where(on_b, res.coef_.loc["b"].reindex(e_b).to_numpy(), 0.0)
    net = (tau - fitted_b)[on_a.to_numpy()].mean()
    assert res.aggregate().set_index("intervention").loc["a", "estimate"] == pytest.approx(net, abs=1e-10)


@pytest.mark.parametrize("vcov", ["cr1", "jackknife"])
def test_dynamic_aggregation_is_the_plain_average_of_event_times(hand, vcov):
    # (the hand data's jackknife cannot estimate every event time without B8: a larger panel for it)
    res = _fit_hand(_small_panel() if vcov == "jackknife" else hand, vcov=vcov, max_event=None)
    dyn = res.aggregate("dynamic").set_index("intervention")
    c = res.coef_
    post = [k for k in c.index if k[0] == "a" and k[1] >= 0]
    assert dyn.loc["a", "estimate"] == pytest.approx(c[post].mean(), abs=1e-12)
    v = res.vcov_.loc[post, post].to_numpy()
    assert dyn.loc["a", "se"] == pytest.approx(math.sqrt(v.sum()) / len(post), abs=1e-12)
    with pytest.raises(ValueError, match="type='calendar' is not supported"):
        res.aggregate("calendar")


# ---------------------------------------------------------------- identification and refusals
def test_co_timed_interventions_are_refused_in_plain_words(hand):
    d = hand.rename(columns={"branch": "branch_id"}).assign(cohort_b=hand["cohort_a"])
    res = _fit_hand(d, cohorts={"brand": "cohort_a", "vanguard_team": "cohort_b"}, unit="branch_id",
                    cluster="branch_id")
    ident = res.identification_.set_index("intervention")
    assert not ident["identified"].any()
    assert (ident["n_switch_alone"] == 0).all()
    assert ident.loc["brand", "reason_zh"] == "支部品牌与星火服务先锋队在每个支部同时上线，数据无法把两者的效果分开。"
    assert "same period as the service vanguard team" in ident.loc["brand", "reason_en"]
    assert res.effects_["estimate"].isna().all() and not res.effects_["identified"].any()
    assert (res.effects_["note"].str.contains("cannot separate")).all()


def test_never_adopted_and_adopted_everywhere_at_once_are_refused(hand):
    d = hand.assign(cohort_c=0, cohort_d=3)
    res = _fit_hand(d, cohorts=["cohort_a", "cohort_b", "cohort_c", "cohort_d"])
    ident = res.identification_.set_index("intervention")
    assert ident.loc["c", "reason_en"].startswith("No unit in the data adopted")
    assert "同一期同时实施" in ident.loc["d", "reason_zh"]
    assert not ident.loc[["c", "d"], "identified"].any()
    # a and b: still estimated (d is absorbed by nothing else, but refused; c has no column)
    assert ident.loc[["a", "b"], "identified"].all()


def test_same_lag_everywhere_separates_only_the_static_effects():
    # b starts exactly one period after a in every adopting branch: with one effect per event time the
    # designs coincide (a at e = 1 is always b at e = 0); pooled into one static effect each they do not.
    rng = np.random.default_rng(5)
    starts = {"B1": 2, "B2": 3, "B3": 4, "B4": 0, "B5": 3, "B6": 0}
    rows = [{"branch": b, "period": t, "cohort_a": g, "cohort_b": g + 1 if g else 0,
             "y": rng.normal() + (1.0 if g and t >= g else 0) + (0.5 if g and t >= g + 1 else 0)}
            for b, g in starts.items() for t in range(1, 7) for _ in range(2)]
    d = pd.DataFrame(rows)
    dyn = several_interventions(d, outcome="y", cohorts=["cohort_a", "cohort_b"], unit="branch", cluster="branch")
    ident = dyn.identification_.set_index("intervention")
    assert not ident["identified"].any()
    assert np.isinf(ident["vif"]).all() and np.isinf(ident["condition_number"]).all()
    assert "same lag" in ident.loc["a", "reason_en"] and "max_event" in ident.loc["a", "reason_en"]
    static = several_interventions(d, outcome="y", cohorts=["cohort_a", "cohort_b"], unit="branch",
                                   cluster="branch", max_event=0)
    si = static.identification_.set_index("intervention")
    assert si["n_switch_alone"].tolist() == [4, 4]
    assert np.isfinite(si["vif"]).all() and (si["vif"] > 1).all()
    assert si["identified"].tolist() == (si["vif"] <= MAX_VIF).tolist()


def test_vif_threshold_refuses_heavily_overlapping_interventions():
    # b starts one period after a in every adopting branch, and both then stay on for up to 13 periods:
    # the static effects are identified (a is on alone for one period), but barely
    rng = np.random.default_rng(5)
    starts = {"B1": 3, "B2": 4, "B3": 5, "B4": 6, "B5": 0, "B6": 0, "B7": 3}
    d = pd.DataFrame([{"branch": b, "period": t, "cohort_a": g, "cohort_b": g + 1 if g else 0, "y": rng.normal()}
                      for b, g in starts.items() for t in range(1, 17) for _ in range(2)])
    res = several_interventions(d, outcome="y", cohorts=["cohort_a", "cohort_b"], unit="branch", cluster="branch",
                                max_event=0)
    ident = res.identification_.set_index("intervention")
    assert (ident["vif"] > MAX_VIF).all() and np.isfinite(ident["vif"]).all()
    assert (ident["n_switch_alone"] == 5).all()
    assert not ident["identified"].any()
    assert "方差膨胀因子" in ident.loc["a", "reason_zh"] and "variance inflation" in ident.loc["a", "reason_en"]
    assert res.effects_["estimate"].isna().all()


def test_vif_is_one_for_interventions_never_on_together():
    rng = np.random.default_rng(1)
    rows = []
    for b, (ga, gb) in {"B1": (3, 0), "B2": (0, 4), "B3": (0, 0), "B4": (4, 0), "B5": (0, 3)}.items():
        for t in range(1, 7):
            rows += [{"branch": b, "period": t, "cohort_a": ga, "cohort_b": gb, "y": rng.normal()} for _ in range(2)]
    res = several_interventions(pd.DataFrame(rows), outcome="y", cohorts=["cohort_a", "cohort_b"], unit="branch",
                                cluster="branch", max_event=0)
    assert res.identification_["vif"].tolist() == pytest.approx([1.0, 1.0], abs=1e-12)
    assert res.identification_["n_exposed_alone"].tolist() == [14, 14]   # B1: 4 periods, B4: 3; 2 rows each


def test_alone_switch_ons_agree_with_planning_separability():
    from fusion_study.planning import plan_rollout, separability

    plan = plan_rollout([f"B{i}" for i in range(8)], interventions=["a", "b", "c"], waves=6, seed=3)
    wide = plan.pivot(index="unit_id", columns="intervention", values="start_wave")
    rng = np.random.default_rng(0)
    rows = [{"branch": u, "period": t, **{f"cohort_{k}": int(wide.loc[u, k]) for k in "abc"}, "y": rng.normal()}
            for u in wide.index for t in range(6) for _ in range(2)]
    d = pd.DataFrame(rows)
    d[["cohort_a", "cohort_b", "cohort_c"]] += 1   # several's cohorts are period numbers, 0 = never; wave w -> w + 1
    d["period"] += 1
    res = several_interventions(d, outcome="y", cohorts=["cohort_a", "cohort_b", "cohort_c"], unit="branch",
                                cluster="branch", max_event=0)
    sep = separability(plan).set_index("intervention")
    assert res.identification_["n_switch_alone"].tolist() == sep.loc[["a", "b", "c"], "n_separable"].tolist()


def test_unimputable_rows_are_counted_not_dropped_silently(hand):
    d = hand.copy()
    d.loc[d["branch"] == "B1", "cohort_a"] = 1   # exposed from the first period: no untreated row in B1
    d.loc[d.index[:2], "y"] = np.nan
    res = _fit_hand(d)
    ex = res.excluded_.set_index("reason")["n_rows"]
    assert ex["missing outcome 'y'"] == 2
    assert ex[[r for r in ex.index if "with no unexposed row" in r][0]] == 16   # 18 B1 rows minus 2 missing
    assert res.n_obs_ == len(d) - 18
    assert res.effects_.loc[res.effects_["identified"], "note"].str.contains("rows left out").all()


# ---------------------------------------------------------------- against the simulator's truth
@pytest.mark.parametrize("seed", [2, 3])
def test_intervals_cover_the_simulated_truth_when_separable(seed):
    from fusion_study import simulate_study
    from fusion_study.effects import exposures
    from fusion_study.simulate.presets import INTERVENTIONS

    study, truth = simulate_study(preset="p_city", seed=seed, rollout_lag_max=6)
    ex = exposures(study)
    res = several_interventions(ex, outcome="satisfaction", cohorts=[f"cohort_{k}" for k in INTERVENTIONS],
                                max_event=3)
    out = res.aggregate().merge(truth.overall_att(), on="intervention")
    assert out["identified"].all()
    assert ((out["ci_lower"] < out["att_index"]) & (out["att_index"] < out["ci_upper"])).all()
    # the responses averaged over are the truth's (genuine, exposed, e >= 0) up to the screened-out ones
    assert (abs(out["n_obs"] - out["n"]) <= 0.05 * out["n"]).all()
    assert set(res.identification_["intervention"]) == set(INTERVENTIONS)


# ---------------------------------------------------------------- outputs
def test_outputs_are_tidy_and_deterministic(hand):
    a, b = _fit_hand(hand), _fit_hand(hand)
    pd.testing.assert_frame_equal(a.effects_, b.effects_)
    assert list(a.effects_.columns) == ["intervention", "event_time", "estimate", "se", "ci_lower", "ci_upper",
                                        "p_value", "n_obs", "n_clusters", "identified", "note"]
    assert str(a.effects_["event_time"].dtype) == "Int64"
    assert list(a.identification_.columns) == ["intervention", "n_switch_alone", "n_exposed_alone", "vif",
                                               "condition_number", "identified", "reason_zh", "reason_en"]
    assert a.to_frame().equals(a.effects_)
    assert "0x" not in repr(a) and "Several interventions" in str(a)
    s = a.summary()
    assert {"estimate", "identified", "vif", "reason_en"} <= set(s.columns) and len(s) == 2
    with pytest.raises(RuntimeError, match="not fitted"):
        SeveralInterventions(outcome="y", cohorts=["cohort_a"]).to_frame()


def test_plot_marks_refused_interventions(hand):
    import matplotlib.pyplot as plt

    d = hand.assign(cohort_c=hand["cohort_a"])
    res = _fit_hand(d, cohorts={"brand": "cohort_b", "publicity_team": "cohort_a", "vanguard_team": "cohort_c"})
    ax = res.plot(lang="zh")
    ticks = [t.get_text() for t in ax.get_yticklabels()]
    assert ticks == ["支部品牌", "星火燎原宣传队", "星火服务先锋队"]
    assert sum(t.get_text() == "无法与其他措施分开" for t in ax.texts) == 2
    assert "平均处理效应" in ax.get_xlabel()
    ax_en = res.plot(lang="en")
    assert "not separable" in " ".join(t.get_text() for t in ax_en.texts)
    plt.close("all")


@pytest.mark.parametrize("vcov", ["cr1", "jackknife"])
def test_vocabulary_and_alpha(hand, vcov):
    from scipy import stats

    from vocabulary import assert_standard_columns

    res = _fit_hand(_small_panel() if vcov == "jackknife" else hand, alpha=0.10, vcov=vcov)
    crit = stats.t.ppf(0.95, res.n_clusters_ - 1)
    for name, frame in (("effects_", res.effects_), ("simple", res.aggregate()), ("dynamic", res.aggregate("dynamic")),
                        ("summary", res.summary())):
        assert_standard_columns(frame, f"SeveralInterventions.{name}")
        if "ci_lower" in frame:
            np.testing.assert_allclose((frame["ci_upper"] - frame["estimate"]) / frame["se"], crit, rtol=1e-10)
            np.testing.assert_allclose((frame["estimate"] - frame["ci_lower"]) / frame["se"], crit, rtol=1e-10)
    assert "90% intervals" in str(res)


# ---------------------------------------------------------------- bad input
def test_missing_columns_name_them(hand):
    with pytest.raises(MissingColumnsError, match=r"lacks column\(s\) \['cohort_z'\]"):
        _fit_hand(hand, cohorts=["cohort_a", "cohort_z"])


def test_non_absorbing_cohort_is_refused(hand):
    d = hand.copy()
    d.loc[(d["branch"] == "B2") & (d["period"] == 6), "cohort_a"] = 5
    with pytest.raises(ValueError, match=r"'cohort_a' must be constant within each 'branch'.*'B2' with \[3, 5\]"):
        _fit_hand(d)


def test_non_numeric_cohort_names_row_and_value(hand):
    d = hand.copy()
    d["cohort_b"] = d["cohort_b"].astype(object)
    d.loc[4, "cohort_b"] = "2023Q1"
    with pytest.raises(ValueError, match=r"'cohort_b' \(cohort\) must hold .*row 4 has '2023Q1'"):
        _fit_hand(d)
    d = hand.assign(cohort_a=hand["cohort_a"] + 0.5)
    with pytest.raises(ValueError, match="whole numbers"):
        _fit_hand(d)


def test_no_untreated_rows_is_an_error(hand):
    d = hand.assign(cohort_a=1)
    with pytest.raises(ValueError, match="needs rows exposed to none"):
        _fit_hand(d)


@pytest.mark.parametrize("kw,match", [({"max_event": -1}, "max_event must be a whole number >= 0"),
                                      ({"anticipation": 1.5}, "anticipation must be"),
                                      ({"alpha": 2}, "alpha must be in"),
                                      ({"cohorts": 3}, "cohorts= must be a dict")])
def test_bad_options(hand, kw, match):
    with pytest.raises((ValueError, TypeError), match=match):
        _fit_hand(hand, **kw)


# ---------------------------------------------------------------- jackknife standard errors
def _small_panel(seed: int = 7) -> pd.DataFrame:
    """12 branches x 6 periods x 3 responses; two staggered interventions, three never-adopting branches."""
    rng = np.random.default_rng(seed)
    coh = {"a": [2, 3, 3, 4, 5, 2, 4, 0, 0, 0, 5, 3], "b": [4, 2, 5, 3, 3, 5, 2, 4, 0, 0, 0, 6]}
    rows = []
    for i in range(12):
        alpha = rng.normal()
        for t in range(1, 7):
            for _ in range(3):
                on_a, on_b = 0 < coh["a"][i] <= t, 0 < coh["b"][i] <= t
                rows.append({"branch": f"B{i:02d}", "county": f"C{i // 3}", "period": t,
                             "cohort_a": coh["a"][i], "cohort_b": coh["b"][i], "x": rng.normal(),
                             "y": alpha + 0.3 * t + 1.0 * on_a + 0.5 * on_b + rng.normal()})
    df = pd.DataFrame(rows)
    df["crossed"] = np.random.default_rng(seed + 1).integers(0, 5, len(df))   # clusters that cut across branches
    return df


def _brute_jackknife(data, cluster, **kw):
    """Jackknife SEs by refitting without each cluster: event-time bins and count-weighted overall effects."""
    reps = []
    for c in sorted(data[cluster].unique()):
        r = several_interventions(data[data[cluster] != c], outcome="y", cohorts=["cohort_a", "cohort_b"],
                                  unit="branch", cluster=cluster, vcov="cr1", **kw)
        et = r.effects_.dropna(subset=["event_time"]).set_index(["intervention", "event_time"])
        vals = dict(r.coef_.items())
        for k in ("a", "b"):
            post = [key for key in r.coef_.index if key[0] == k and key[1] >= 0]
            w = et.loc[post, "n_obs"].to_numpy(float)
            vals[(k, None)] = float(r.coef_[post].to_numpy() @ w / w.sum())
        reps.append(vals)
    reps = pd.DataFrame(reps)
    g = len(reps)
    return np.sqrt((g - 1) / g * ((reps - reps.mean()) ** 2).sum(skipna=False))


@pytest.mark.parametrize("cluster,covariates,max_event", [("branch", None, None), ("branch", ["x"], 2),
                                                          ("county", None, 1), ("crossed", ["x"], 1)])
def test_fast_jackknife_equals_refits_without_each_cluster(cluster, covariates, max_event):
    data = _small_panel()
    res = several_interventions(data, outcome="y", cohorts=["cohort_a", "cohort_b"], unit="branch",
                                cluster=cluster, covariates=covariates, max_event=max_event)
    brute = _brute_jackknife(data, cluster, covariates=covariates, max_event=max_event)
    eff = res.effects_
    assert eff["identified"].all()
    compared = 0
    for _, r in eff.iterrows():
        key = (r["intervention"], None if pd.isna(r["event_time"]) else int(r["event_time"]))
        if np.isnan(brute[key]):   # a refit without some cluster cannot estimate it: no SE, and a note says so
            assert np.isnan(r["se"]) and "makes it unidentified" in r["note"]
            continue
        assert r["se"] == pytest.approx(brute[key], rel=1e-10, abs=1e-12), key
        compared += 1
    assert compared >= 4
    # the covariance of the bins is the jackknife's too
    bins = [k for k in res.coef_.index if np.isfinite(brute[k])]
    np.testing.assert_allclose(np.sqrt(np.diag(res.vcov_.loc[bins, bins])), brute[bins].to_numpy(), rtol=1e-10)
    # and it is larger than the CR1 sandwich here (the residuals are shrunk by the fit)
    cr1 = several_interventions(data, outcome="y", cohorts=["cohort_a", "cohort_b"], unit="branch",
                                cluster=cluster, covariates=covariates, max_event=max_event, vcov="cr1")
    over = eff["event_time"].isna().to_numpy()
    assert (eff["se"].to_numpy()[over] > cr1.effects_["se"].to_numpy()[over]).all()
    np.testing.assert_allclose(eff["estimate"], cr1.effects_["estimate"], rtol=0, atol=0)


def test_jackknife_names_the_cluster_whose_removal_leaves_an_estimate_unidentified(hand):
    res = _fit_hand(hand)                      # B8 is the only never-adopting branch
    et = res.effects_.set_index(["intervention", "event_time"])
    row = et.loc[("a", 1)]
    assert np.isnan(row["se"]) and np.isnan(row["ci_lower"]) and np.isfinite(row["estimate"])
    assert "leaving out cluster B8 makes it unidentified" in row["note"]
    assert np.isfinite(et.loc[("a", 0), "se"])


def test_vcov_choice_is_checked(hand):
    with pytest.raises(ValueError, match="vcov='cr3' is not supported"):
        _fit_hand(hand, vcov="cr3")


@pytest.mark.parametrize("n, k, n_pat", [(4000, 6, 40), (300, 12, 5), (50, 3, 8)])
def test_pattern_shortcuts_equal_the_tall_design(n, k, n_pat):
    """pinv and collinearity from the distinct rows equal numpy's on the tall 0/1 design, including a
    rank-deficient one (a duplicated column) and fewer distinct rows than columns."""
    from fusion_study.effects.identification import RANK_TOL, collinearity
    from fusion_study.effects.several import _design_pinv, _gram_root, _patterns

    rng = np.random.default_rng(n + k)
    base = (rng.random((n_pat, k)) < 0.4).astype(float)
    base[:, -1] = base[:, 0]  # two columns always on together: not separable
    base[0] = 1.0  # every column is on somewhere
    z = base[rng.integers(0, n_pat, n)]
    z[:n_pat] = base
    n_col = z.sum(axis=0)
    patterns, pid, count = _patterns(z)
    np.testing.assert_array_equal(patterns[pid], z)
    np.testing.assert_allclose(_design_pinv(patterns, count, n_col)[:, pid], np.linalg.pinv(z / n_col, rcond=RANK_TOL),
                               atol=1e-12)
    contrasts = np.vstack([np.eye(k)[:2], np.ones((1, k)) / k])
    for c in (None, contrasts):
        cond_tall, vif_tall = collinearity(z, c)
        cond_short, vif_short = collinearity(_gram_root(patterns, count), c)
        assert cond_short == cond_tall == np.inf
        np.testing.assert_allclose(vif_short, vif_tall, rtol=1e-9)
    assert np.isinf(collinearity(z)[1][[0, -1]]).all()


@pytest.mark.parametrize("n_int, n_bins", [(3, 4), (6, 11)])   # 12 columns (bit keys) and 66 (the tall fallback)
def test_design_patterns_equal_those_of_the_tall_design(n_int, n_bins):
    from fusion_study.effects.several import _design_patterns, _patterns

    rng = np.random.default_rng(n_int)
    n = 3000
    on = rng.random((n, n_int)) < 0.5
    ev = rng.integers(-2, n_bins, (n, n_int))
    ev[on] = np.abs(ev[on]) % n_bins
    cols = [(k, int(b)) for k in range(n_int) for b in np.unique(ev[on[:, k], k])]
    z = np.column_stack([on[:, k] & (ev[:, k] == b) for k, b in cols]).astype(float)
    got, want = _design_patterns(on, ev, cols), _patterns(z)
    np.testing.assert_array_equal(got[0][got[1]], z)
    for a, b in zip(got, want):
        np.testing.assert_array_equal(a, b)
