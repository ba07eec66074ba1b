"""Moment checks: the simulated data recover the truth the simulator records.

Each test computes a simple statistic from the study's tables (as an analyst
would) and compares it with ``Truth``, with a tolerance of a few standard
errors stated beside it.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from fusion_study.data.codebook import reverse_code
from fusion_study.data.periods import date_to_period, period_number
from fusion_study.simulate import simulate_study
from fusion_study.simulate.measurement import THRESHOLDS, discretise


@pytest.fixture(scope="module")
def large():
    """Every retailer surveyed every wave: ~3,700 genuine pre-programme responses."""
    return simulate_study("p_city", seed=11, survey_per_wave=2000)


def _genuine(study, truth, table="customer_survey"):
    df = study.tables[table]
    return df[~df["response_id"].isin(set(truth.screening["response_id"]))]


def _index(df):
    """The observed satisfaction index (0-100) analysts are expected to use."""
    parts = [100 * (df[c].astype(float) - 1) / (k - 1) for c, k in (("sat1", 10), ("sat2", 7), ("sat3", 7))]
    return pd.concat(parts, axis=1).mean(axis=1)


def _wave_number(study, waves):
    first = period_number(study.customer_survey["wave"].min())
    return (period_number(waves) - first + 1).astype(int)


def _implied_discrete_corr(la, lb, pa, pb, var, rng, n=400_000):
    """Correlation of two Likert items implied by loadings and thresholds (Monte Carlo, fixed seed)."""
    c = np.sqrt(var) * rng.standard_normal(n)
    xa = discretise(la * c + np.sqrt(1 - la**2) * rng.standard_normal(n), pa)
    xb = discretise(lb * c + np.sqrt(1 - lb**2) * rng.standard_normal(n), pb)
    return np.corrcoef(xa, xb)[0, 1]


@pytest.mark.parametrize("instrument", ["customer_survey", "staff_survey"])
def test_item_correlations_match_loadings(large, instrument):
    study, truth = large
    df = _genuine(study, truth, instrument)
    pre = df[_wave_number(study, df["wave"]) < truth.params["min_start_wave"]]
    pre = reverse_code(pre, study.codebook)
    loadings = truth.loadings.set_index("item_id")
    variance = truth.latent_variance.set_index(["instrument", "construct"])["variance"]
    rng = np.random.default_rng(0)
    diffs = []
    for scale, part in loadings[loadings["instrument"] == instrument].groupby("scale"):
        items = list(part.index)
        for i, a in enumerate(items):
            for b in items[i + 1 :]:
                implied = _implied_discrete_corr(
                    part.loading[a], part.loading[b], part.points[a], part.points[b], variance[(instrument, scale)], rng
                )
                observed = pre[[a, b]].astype(float).corr().iloc[0, 1]
                diffs.append(observed - implied)
    diffs = np.array(diffs)
    n = len(pre)
    # SE of a correlation near 0.5 is about 0.75 / sqrt(n); allow 4 SE per pair, 2 SE on average
    se = 0.75 / np.sqrt(n)
    assert np.abs(diffs).max() < 4 * se + 0.01, diffs.round(3)
    assert abs(diffs.mean()) < 2 * se, diffs.round(3)


def test_thresholds_reproduce_target_shares():
    from fusion_study.simulate.measurement import TARGET_SHARES

    rng = np.random.default_rng(1)
    y = rng.standard_normal(200_000)
    for k, shares in TARGET_SHARES.items():
        assert len(THRESHOLDS[k]) == k - 1
        observed = np.bincount(discretise(y, k), minlength=k + 1)[1:] / len(y)
        np.testing.assert_allclose(observed, shares, atol=0.005)


def test_ticket_resolution_speeds_up_by_the_hazard_ratio(large):
    study, truth = large
    tk = study.tickets.copy()
    mech = study.interventions.query("intervention == 'problem_mechanism'").set_index("unit_id")["start_period"]
    opened_q = period_number(date_to_period(tk["opened"]))
    launch_q = period_number(tk["branch_id"].map(mech).astype("string"))
    tk["after"] = (opened_q >= launch_q).fillna(False).astype(bool)
    tk["days"] = (tk["closed"] - tk["opened"]).dt.days.astype(float).fillna(np.inf)  # open = not yet
    # only tickets opened at least half a year before the end, so censoring cannot reach the median
    tk = tk[tk["opened"] < tk["opened"].max() - pd.Timedelta(days=183)]
    expected = truth.tickets["hazard_ratio"] ** (1 / truth.tickets["weibull_shape"])
    for category in ("difficult", "worry", "expectation"):  # urgent: medians of 2-4 whole days are too coarse
        part = tk[tk["category"] == category]
        before = part.loc[~part["after"], "days"].median()
        after = part.loc[part["after"], "days"].median()
        # closed = opened + ceil(time): a continuous median m shows as a whole-day median in [m, m + 1],
        # so the true ratio lies in [(before - 1) / after, before / (after - 1)]; 10 % for sampling error
        assert 0.9 * (before - 1) / after < expected < 1.1 * before / (after - 1), category
        assert 0.9 * (before - 1) <= truth.tickets["median_days_before"][category] <= 1.1 * before, category


def test_cox_model_recovers_the_hazard_ratio(large):
    from statsmodels.duration.hazard_regression import PHReg

    study, truth = large
    tk = study.tickets
    mech = study.interventions.query("intervention == 'problem_mechanism'").set_index("unit_id")["start_period"]
    after = (period_number(date_to_period(tk["opened"])) >= period_number(tk["branch_id"].map(mech).astype("string")))
    after = after.fillna(False).astype(float).to_numpy()
    end = tk["opened"].max() + pd.Timedelta(days=1)
    days = ((tk["closed"].fillna(end) - tk["opened"]).dt.days.to_numpy() - 0.5).clip(0.1)
    closed = tk["closed"].notna().to_numpy().astype(float)
    fit = PHReg(days, after[:, None], status=closed, strata=tk["category"].to_numpy(), ties="efron").fit()
    hr = float(np.exp(fit.params[0]))
    assert hr == pytest.approx(truth.tickets["hazard_ratio"], rel=0.1)


def test_naive_comparison_is_biased_upward(large):
    """Early adopters are the stronger branches: treated-vs-untreated overstates the true ATT."""
    study, truth = large
    df = _genuine(study, truth)
    branch = df["customer_id"].map(study.customers.set_index("customer_id")["branch_id"])
    first = branch.map(truth.adoption.groupby("unit_id")["programme_wave"].first())
    wave = _wave_number(study, df["wave"])
    treated = (first > 0) & (wave >= first)
    post = wave >= truth.params["min_start_wave"]
    y = _index(df)
    naive = y[post & treated].mean() - y[post & ~treated].mean()
    true_att = truth.overall_att("index").set_index("intervention").loc["programme", "att_index"]
    assert true_att > 0
    assert naive > 1.5 * true_att
    # and before anyone is treated, future early adopters already score higher (the confounder)
    pre = ~post
    early = first.between(1, 6)
    late = (first == 0) | (first > 8)
    assert y[pre & early].mean() - y[pre & late].mean() > 5


def test_twfe_is_biased_and_callaway_santanna_is_not():
    """Dynamic, staggered effects: static TWFE understates the ATT; CS-DiD recovers it."""
    import diff_diff
    import statsmodels.formula.api as smf

    study, truth = simulate_study("p_city", seed=5, n_counties=15, n_retailers=6000, survey_per_wave=3000)
    df = _genuine(study, truth)
    panel = (
        pd.DataFrame(
            {
                "branch": df["customer_id"].map(study.customers.set_index("customer_id")["branch_id"]),
                "wave": _wave_number(study, df["wave"]),
                "y": _index(df),
            }
        )
        .groupby(["branch", "wave"], as_index=False)["y"]
        .mean()
    )
    panel["g"] = panel["branch"].map(truth.adoption.groupby("unit_id")["programme_wave"].first()).astype(int)
    panel["unit"] = panel["branch"].astype("category").cat.codes
    panel["D"] = ((panel["g"] > 0) & (panel["wave"] >= panel["g"])).astype(float)
    true_att = truth.overall_att("index").set_index("intervention").loc["programme", "att_index"]
    twfe = smf.ols("y ~ D + C(unit) + C(wave)", panel).fit().params["D"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cs = diff_diff.CallawaySantAnna(control_group="not_yet_treated", estimation_method="reg").fit(
            panel, outcome="y", unit="unit", time="wave", first_treat="g", aggregate="all"
        )
    assert twfe < 0.6 * true_att  # visibly biased
    assert abs(cs.overall_att - true_att) < 3 * cs.overall_se  # within sampling error
    es = cs.event_study_effects
    att_e = truth.att.query("intervention == 'programme' and segment == 'all'").set_index("event_time")["att_index"]
    for e in range(0, 4):
        assert abs(es[e]["effect"] - att_e[e]) < 3.5 * es[e]["se"], e


def test_effect_growth_follows_the_documented_curve(large):
    _, truth = large
    p = truth.params
    a = truth.att.query("intervention == 'vanguard_team' and segment == 'urban'").dropna(subset=["event_time"])
    e = a["event_time"].astype(int).to_numpy()
    expected = p["effect_vanguard_team"] * (1 - np.exp(-(e + 1) / p["effect_tau"]))
    np.testing.assert_allclose(a["direct"].to_numpy(), expected, rtol=1e-12)
    ind = p["fusion_on_satisfaction"] * p["fusion_lift"] * (1 - np.exp(-(e + 1) / p["effect_tau"]))
    np.testing.assert_allclose(a["indirect"].to_numpy(), ind, rtol=1e-12)


def test_speeders_are_far_below_the_median_duration(large):
    study, truth = large
    for table in ("customer_survey", "staff_survey"):
        df = study.tables[table]
        median = df["duration_s"].median()
        speeders = df[df["response_id"].isin(truth.speeders(table))]
        assert len(speeders) > 0
        assert speeders["duration_s"].max() < 0.3 * median
        others = df[~df["response_id"].isin(truth.speeders(table))]
        straight = df[df["response_id"].isin(truth.straight_liners(table))]
        genuine = others[~others["response_id"].isin(straight["response_id"])]
        assert genuine["duration_s"].min() > 0.3 * median
        # straight-liners give one answer to every item
        scored = study.codebook[study.codebook["scale"] != "text"]  # not the free-text question
        items = [c for c in df.columns if c in set(scored["item_id"])]
        assert (straight[items].nunique(axis=1) == 1).all()
        rate = truth.params["speeder_rate" if table == "customer_survey" else "staff_speeder_rate"]
        assert len(speeders) / len(df) == pytest.approx(rate, abs=4 * np.sqrt(rate * (1 - rate) / len(df)))


def test_assessment_alignment_and_rater_leniency():
    study, truth = simulate_study("p_city", seed=3, n_counties=30, n_retailers=3000, survey_per_wave=100)
    k = study.kpis.pivot_table(index=["unit_id", "period"], columns="metric", values="value")
    r = k["party_assessment"].corr(k["business_assessment"])
    se = (1 - truth.alignment**2) / np.sqrt(len(k))
    assert r == pytest.approx(truth.alignment, abs=4 * se)
    ev = study.evaluations
    means = ev.groupby("rater_type")["score"].mean()
    lenient = truth.rater_leniency
    assert means["peer"] - means["leader"] == pytest.approx(lenient["peer"] - lenient["leader"], abs=0.6)
    assert means["customer"] - means["leader"] == pytest.approx(lenient["customer"] - lenient["leader"], abs=0.6)
    per_member = ev.groupby("member_id")["score"].mean()
    skill = truth.member_skill.set_index("member_id")["skill"]
    assert per_member.corr(skill.loc[per_member.index]) > 0.8


def test_platform_raises_points_and_cloud_team_raises_revenue(large):
    study, truth = large
    mp = study.member_points.merge(study.members[["member_id", "branch_id"]], on="member_id")
    start = study.interventions.query("intervention == 'points_platform'").set_index("unit_id")["start_period"]
    mp["after"] = (period_number(mp["period"]) >= period_number(mp["branch_id"].map(start).astype("string"))).fillna(False)
    gap = mp.groupby("after")["points"].mean()
    assert gap[True] - gap[False] > 1.0
    # team activities happen only once the branch's team is active
    acts = study.activities.merge(study.customers[["customer_id", "branch_id"]], on="customer_id")
    starts = study.interventions.rename(columns={"unit_id": "branch_id", "intervention": "team"})
    acts = acts.merge(starts[["branch_id", "team", "start_period"]], on=["branch_id", "team"], how="left")
    assert acts["start_period"].notna().all()
    assert (period_number(date_to_period(acts["date"])) >= period_number(acts["start_period"])).all()


def test_cloud_team_lift_in_non_tobacco_revenue(large):
    """Two-way fixed effects on log revenue with the known growth curve recovers cloud_revenue_lift."""
    import statsmodels.formula.api as smf

    study, truth = large
    p = truth.params
    k = study.kpis[study.kpis["metric"] == "non_tobacco_revenue"].copy()
    start = truth.adoption.query("intervention == 'cloud_team'").set_index("unit_id")["start_wave"]
    first = period_number(k["period"].min())
    wave = (period_number(k["period"]) - first + 1).astype(int)
    s = k["unit_id"].map(start)
    e = np.where(s > 0, wave - s, -1)
    k["g"] = np.where(e >= 0, 1 - np.exp(-(e + 1) / p["effect_tau"]), 0.0)
    k["log_value"] = np.log(k["value"])
    fit = smf.ols("log_value ~ g + C(unit_id) + C(period)", k).fit()
    # log(1 + lift * g) is close to lift * g for a lift of 0.12 (slightly below it)
    assert fit.params["g"] == pytest.approx(p["cloud_revenue_lift"], abs=3 * fit.bse["g"] + 0.01)


def test_staff_survey_tracks_true_fusion_and_survey_tracks_branch_satisfaction(large):
    study, truth = large
    staff = reverse_code(_genuine(study, truth, "staff_survey"), study.codebook)
    staff["goal_score"] = staff[["goal1", "goal2", "goal3"]].astype(float).mean(axis=1)
    observed = staff.groupby(["unit_id", "wave"])["goal_score"].mean()
    fusion = truth.fusion.query("dimension == 'goal'").set_index(["branch_id", "period"])["fusion"]
    assert observed.corr(fusion.reindex(observed.index)) > 0.6
    cs = _genuine(study, truth)
    branch = cs["customer_id"].map(study.customers.set_index("customer_id")["branch_id"])
    obs_index = _index(cs).groupby([branch, cs["wave"]]).mean()
    true_index = truth.branch_satisfaction.set_index(["branch_id", "period"])["index"]
    aligned = true_index.reindex(obs_index.index)
    assert obs_index.corr(aligned) > 0.8
    assert abs(obs_index.mean() - aligned.mean()) < 1.0  # the expected index is unbiased for the observed one
