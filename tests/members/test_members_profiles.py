"""Member points portrait, four-strong branches, leniency and fairness on small simulated data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from fusion_study.members import (
    DIMENSIONS,
    RaterLeniency,
    adjusted_scores,
    branch_four_strong,
    member_profiles,
    plot_member_radar,
    plot_member_trajectory,
    points_fairness,
    points_predict_satisfaction,
)


def _points(rng, n=60, periods=("2024Q1", "2024Q2", "2024Q3"), n_branch=6):
    members = pd.DataFrame(
        {
            "member_id": [f"M{i:03d}" for i in range(n)],
            "branch_id": [f"B{i % n_branch}" for i in range(n)],
            "role": np.where(np.arange(n) % 10 == 0, "secretary", "member"),
            "position": np.array(["customer_manager", "delivery", "office"])[np.arange(n) % 3],
            "joined_year": rng.integers(1990, 2022, n),
        }
    )
    ability = rng.normal(0, 1, n) + 2.0 * (np.arange(n) % n_branch == 0)
    rows = []
    for p in periods:
        for i in range(n):
            for j, d in enumerate(DIMENSIONS):
                rows.append((f"M{i:03d}", p, d, 50 + 10 * (j + 1) * 0.2 + 8 * ability[i] + rng.normal(0, 4)))
    return pd.DataFrame(rows, columns=["member_id", "period", "dimension", "points"]), members, ability


def test_profiles_standardise_rank_and_reproducible():
    rng = np.random.default_rng(1)
    mp, members, ability = _points(rng)
    prof = member_profiles(mp, n_boot=100, seed=3)
    assert len(prof) == 60 * 3
    q1 = prof[prof.period == "2024Q1"]
    # z-scores: mean 0, SD 1 within period and dimension
    np.testing.assert_allclose(q1[[f"z_{d}" for d in DIMENSIONS]].mean(), 0, atol=1e-12)
    np.testing.assert_allclose(q1[[f"z_{d}" for d in DIMENSIONS]].std(ddof=1), 1, atol=1e-12)
    # rank 1 = highest composite (the composite itself: test_profiles_hand_worked)
    assert q1.sort_values("rank")["composite"].is_monotonic_decreasing
    assert sorted(q1["rank"]) == list(range(1, 61))
    # intervals contain the point estimate and are not degenerate for the middle of the table
    assert (q1["rank_ci_lower"] <= q1["rank"]).all() and (q1["rank"] <= q1["rank_ci_upper"]).all()
    mid = q1[(q1["rank"] > 20) & (q1["rank"] < 40)]
    assert (mid["rank_ci_upper"] - mid["rank_ci_lower"]).median() >= 2
    assert ((q1["percentile_ci_lower"] <= q1["percentile"] + 1e-9)
            & (q1["percentile"] <= q1["percentile_ci_upper"] + 1e-9)).all()
    # trajectories: change from previous period
    m0 = prof[prof.member_id == "M000"].sort_values("period")
    assert np.isnan(m0["composite_change"].iloc[0])
    assert m0["composite_change"].iloc[1] == pytest.approx(m0["composite"].iloc[1] - m0["composite"].iloc[0])
    # same seed -> identical; different seed -> different intervals somewhere
    pd.testing.assert_frame_equal(prof, member_profiles(mp, n_boot=100, seed=3))
    assert not member_profiles(mp, n_boot=100, seed=4)["composite_ci_lower"].equals(prof["composite_ci_lower"])
    # alpha=0.5: the bootstrap's quartiles, inside the 95% interval
    p50 = member_profiles(mp, n_boot=100, seed=3, alpha=0.5)
    assert (p50["composite_ci_lower"] >= prof["composite_ci_lower"]).all()
    assert (p50["composite_ci_upper"] <= prof["composite_ci_upper"]).all()
    assert (p50["composite_ci_upper"] - p50["composite_ci_lower"]).mean() < 0.8 * (
        prof["composite_ci_upper"] - prof["composite_ci_lower"]).mean()


def test_profiles_hand_worked():
    """Three members, two dimensions, worked by hand: z = (x - mean) / SD (n - 1), composite = mean z."""
    mp = pd.DataFrame({"member_id": ["a", "b", "c"] * 2, "period": "2024Q1",
                       "dimension": ["model_role"] * 3 + ["duty"] * 3, "points": [2, 4, 9, 10, 20, 30]})
    p = member_profiles(mp, n_boot=0).set_index("member_id").loc[["a", "b", "c"]]
    # model_role: mean 5, SD sqrt(((-3)^2 + (-1)^2 + 4^2) / 2) = sqrt(13); duty: mean 20, SD 10
    s13 = np.sqrt(13.0)
    np.testing.assert_allclose(p["z_model_role"], [-3 / s13, -1 / s13, 4 / s13], atol=1e-12)
    np.testing.assert_allclose(p["z_duty"], [-1.0, 0.0, 1.0], atol=1e-12)
    np.testing.assert_allclose(p["composite"], [(-3 / s13 - 1) / 2, -1 / s13 / 2, (4 / s13 + 1) / 2], atol=1e-12)
    assert p["rank"].tolist() == [3, 2, 1]
    # mid-rank percentile, higher = better: 100 (ascending rank - 0.5) / 3
    np.testing.assert_allclose(p["percentile"], [100 / 6, 50.0, 500 / 6], atol=1e-12)


def test_profiles_errors_and_single_period():
    rng = np.random.default_rng(1)
    mp, _, _ = _points(rng, n=10)
    assert set(member_profiles(mp, period="2024Q2", n_boot=0)["period"]) == {"2024Q2"}
    with pytest.raises(ValueError, match="unknown dimension"):
        member_profiles(mp.assign(dimension="charisma"))
    with pytest.raises(ValueError, match=r"table 'member_points' lacks column\(s\) \['points'\]"):
        member_profiles(mp.drop(columns="points"))
    with pytest.raises(ValueError, match="alpha"):
        member_profiles(mp, alpha=1.5)


def test_four_strong_and_radar():
    rng = np.random.default_rng(2)
    mp, members, _ = _points(rng)
    prof = member_profiles(mp, n_boot=0)
    fs = branch_four_strong(prof, members)
    assert len(fs) == 6 * 3
    b0 = fs[fs.branch_id == "B0"]
    assert b0["four_strong"].all()  # the branch simulated with stronger members
    assert fs["n_members"].eq(10).all()
    ax = plot_member_radar(prof, members, ["M000", "M001"], period="2024Q1", labels={"M000": "党员甲", "M001": "党员乙"})
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["党员甲", "党员乙", "本支部平均", "全市平均"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["先锋模范", "教育管理", "自我提升", "履职尽责"]
    prof_b = member_profiles(mp, n_boot=20, seed=1)
    ax = plot_member_trajectory(prof_b, ["M000"], labels={"M000": "党员甲"}, lang="en")
    assert [t.get_text() for t in ax.get_xticklabels()] == ["2024Q1", "2024Q2", "2024Q3"]
    assert ax.get_legend().get_texts()[0].get_text() == "党员甲" and len(ax.collections) == 1


def _evals(rng, n=120, lenient=None):
    lenient = lenient or {"customer": 4.0, "leader": -5.0, "peer": 1.0}
    rows = []
    for i in range(n):
        truth = rng.normal(75, 8)
        for dim in ["attitude", "dedication", "policy", "skill"]:
            for rt, b in lenient.items():
                for j in range(2):
                    rows.append((f"M{i:03d}", rt, dim, truth + b + rng.normal(0, 5)))
    return pd.DataFrame(rows, columns=["member_id", "rater_type", "dimension", "score"])


@pytest.mark.parametrize("method", ["fixed", "mixed"])
def test_leniency_recovered_within_ci(method):
    truth = {"customer": 4.0, "leader": -5.0, "peer": 1.0}
    ev = _evals(np.random.default_rng(9), lenient=truth)
    fit = RaterLeniency(method=method).fit(ev)
    f = fit.to_frame().set_index("rater_type")
    for t, v in truth.items():
        assert f.loc[t, "ci_lower"] < v < f.loc[t, "ci_upper"], (t, f.loc[t].to_dict())
    assert f["estimate"].sum() == pytest.approx(0, abs=1e-9)
    adj = adjusted_scores(ev, method=method)
    means = adj.groupby("rater_type")["adjusted_score"].mean()
    assert means.max() - means.min() < 1.0  # leniency removed
    assert "RaterLeniency(method=" in repr(fit)


def test_leniency_fixed_equals_dummy_ols():
    ev = _evals(np.random.default_rng(4), n=12)
    ev["g"] = ev["member_id"] + ev["dimension"]
    ev["e_c"] = (ev.rater_type == "customer").astype(float) - (ev.rater_type == "peer").astype(float)
    ev["e_l"] = (ev.rater_type == "leader").astype(float) - (ev.rater_type == "peer").astype(float)
    ols = smf.ols("score ~ e_c + e_l + C(g)", ev).fit()
    f = RaterLeniency().fit(ev).to_frame().set_index("rater_type")
    assert f.loc["customer", "estimate"] == pytest.approx(ols.params["e_c"], abs=1e-8)
    assert f.loc["leader", "estimate"] == pytest.approx(ols.params["e_l"], abs=1e-8)
    with pytest.raises(ValueError, match=r"method='bayes' is not supported; use one of \['fixed', 'mixed'\]"):
        RaterLeniency(method="bayes").fit(ev)


def test_leniency_alpha_and_model_object():
    """alpha=0.10: the fixed-effects interval uses t with G - 1 df (G members), so its half-width
    shrinks by t_.95 / t_.975 on 11 df = 1.795885 / 2.200985; summary() is a DataFrame, plot() draws it."""
    import matplotlib.pyplot as plt

    ev = _evals(np.random.default_rng(4), n=12)
    f05 = RaterLeniency().fit(ev).to_frame()
    fit10 = RaterLeniency(alpha=0.10).fit(ev)
    f10 = fit10.to_frame()
    np.testing.assert_allclose(f10["estimate"], f05["estimate"])
    np.testing.assert_allclose((f10["ci_upper"] - f10["ci_lower"]) / (f05["ci_upper"] - f05["ci_lower"]),
                               1.7958848187040433 / 2.200985160091639, rtol=1e-9)
    assert isinstance(fit10.summary(), pd.DataFrame) and "estimate" in str(fit10.summary())
    ax = fit10.plot(lang="en")
    assert ax.get_xlabel() == "leniency vs. average rater type (points)"
    assert [t.get_text() for t in ax.get_yticklabels()] == ["customer", "leader", "peer"]
    plt.close(ax.figure)
    with pytest.raises(ValueError, match="alpha"):
        RaterLeniency(alpha=0).fit(ev)


def test_fairness_detects_tenure_bias_and_satisfaction_link():
    rng = np.random.default_rng(6)
    mp, members, ability = _points(rng, n=300, n_branch=30)
    tenure = 2024 - members["joined_year"].to_numpy()
    # inject a tenure bias into duty points
    bump = np.repeat(0.6 * tenure, 3 * 4).reshape(-1)
    mp = mp.sort_values(["member_id", "period", "dimension"]).reset_index(drop=True)
    mp["points"] = mp["points"] + bump
    prof = member_profiles(mp, n_boot=0)
    perf = pd.Series(ability, index=members["member_id"])
    fr = points_fairness(prof, members, performance=perf).set_index("term")
    assert fr.loc["tenure_10y", "ci_lower"] > 0
    assert fr.loc["performance_sd", "estimate"] > 0
    assert fr["n_clusters"].iloc[0] == 30
    # retailers: satisfaction rises with branch points
    bp = prof.merge(members, on="member_id").groupby(["branch_id", "period"])["composite"].mean()
    rows = []
    branch_effect = {b: rng.normal(0, 3) for b in members["branch_id"].unique()}
    for (b, p), v in bp.items():
        for r in range(8):
            rows.append((f"{b}_R{r}", b, p, 60 + 10 * v + branch_effect[b] + rng.normal(0, 5)))
    s = pd.DataFrame(rows, columns=["customer_id", "branch_id", "wave", "sat"])
    cust = s[["customer_id", "branch_id"]].drop_duplicates()
    res = points_predict_satisfaction(prof, members, s, cust, items=["sat"])
    assert res["estimate"].iloc[0] > 0 and res["ci_lower"].iloc[0] > 0
    assert res["n_branches"].iloc[0] == 30


def test_points_predict_satisfaction_matches_lme4():
    from pathlib import Path

    ref_dir = Path(__file__).parents[1] / "reference" / "members"
    data = pd.read_csv(ref_dir / "mixed_data.csv")
    ref = pd.read_csv(ref_dir / "mixed_lme4.csv").iloc[0]
    bp = data[["branch", "wave", "points"]].drop_duplicates()
    profiles = pd.DataFrame({"member_id": "M_" + bp["branch"], "period": bp["wave"], "composite": bp["points"]})
    members = pd.DataFrame({"member_id": "M_" + bp["branch"].unique(), "branch_id": bp["branch"].unique()})
    survey = data.rename(columns={"customer": "customer_id"})[["customer_id", "wave", "sat"]]
    customers = data[["customer", "branch"]].drop_duplicates().rename(columns={"customer": "customer_id", "branch": "branch_id"})
    res = points_predict_satisfaction(profiles, members, survey, customers, items=["sat"]).iloc[0]
    assert res["n"] == ref["n"]
    assert res["estimate"] == pytest.approx(ref["coef"], rel=1e-5)
    assert res["se"] == pytest.approx(ref["se"], rel=1e-5)
    assert res["branch_variance"] == pytest.approx(ref["branch_variance"], rel=1e-4)  # optimiser tolerance
    assert res["residual_variance"] == pytest.approx(ref["residual_variance"], rel=1e-5)


def test_exclusions_are_counted():
    ev = _evals(np.random.default_rng(8), n=20)
    ev.loc[3, "score"] = np.nan
    with pytest.warns(UserWarning, match="1 evaluation row"):
        fit = RaterLeniency().fit(ev)
    assert fit.n_dropped_ == 1
    rng = np.random.default_rng(1)
    mp, members, _ = _points(rng, n=30)
    members.loc[0, "joined_year"] = pd.NA
    fr = points_fairness(member_profiles(mp, n_boot=0), members)
    assert (fr["n_excluded"] == 1).all() and (fr["n"] == 29).all()


def test_points_alpha_and_cluster_options():
    """alpha=0.10 narrows the normal intervals by z_.95 / z_.975; cluster= picks the clustering column."""
    rng = np.random.default_rng(1)
    mp, members, _ = _points(rng, n=60)
    prof = member_profiles(mp, n_boot=0)
    f05, f10 = points_fairness(prof, members), points_fairness(prof, members, alpha=0.10)
    np.testing.assert_allclose(f10["estimate"], f05["estimate"])
    # statsmodels' clustered OLS intervals are normal-based (use_t=False)
    np.testing.assert_allclose((f10["ci_upper"] - f10["ci_lower"]) / (f05["ci_upper"] - f05["ci_lower"]),
                               1.6448536269514722 / 1.959963984540054, rtol=1e-9)
    by_position = points_fairness(prof, members.assign(unit=members["member_id"].str[-1]), cluster="unit")
    assert (by_position["n_clusters"] == 10).all()
    with pytest.raises(ValueError, match=r"lacks column\(s\) \['office'\]"):
        points_fairness(prof, members, cluster="office")
