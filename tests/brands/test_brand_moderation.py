"""Brand type as a moderator of the brand launch's effect: closed forms, the engine, the simulator's truth."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from fusion_study.brands.moderation import (
    _csdid,
    brand_type_moderation,
)
from fusion_study.brands.study import brand_moderation_frame
from fusion_study.brands.plots import plot_brand_moderation
from fusion_study.effects import DiDSpecificationError, staggered_did

TYPES = ("distinctive", "generic", "copied")


def _frame(seed=0, n_branches=36, per_cell=12, effect=5.0, cotimed=3.0, never_share=0.25):
    """Responses of branches that launch a brand (and, at the same time, other work worth ``cotimed``)."""
    rng = np.random.default_rng(seed)
    rows = []
    rid = 0
    for b in range(n_branches):
        never = b < int(never_share * n_branches)
        btype = None if never else TYPES[b % 3]
        g = 0 if never else int(rng.choice([3, 4, 5, 6]))
        level = rng.normal(0, 3)
        for t in range(1, 8):
            post = g > 0 and t >= g
            for _ in range(per_cell):
                y = 60 + level + 0.5 * t + post * (cotimed + effect * (btype == "distinctive")) + rng.normal(0, 4)
                rows.append((f"r{rid}", t, f"B{b:02d}", y, g, btype))
                rid += 1
    return pd.DataFrame(rows, columns=["response_id", "period", "branch_id", "satisfaction", "cohort_brand",
                                       "brand_type"])


def _by_hand(df, btype):
    """Simple aggregation of 2x2 differences in mean changes (varying base = g-1; not-yet-treated controls)."""
    G = df["cohort_brand"].to_numpy()
    t_ = df["period"].to_numpy()
    y = df["satisfaction"].to_numpy()
    typ = df["brand_type"].to_numpy()
    atts, wts = [], []
    for g in sorted(set(G[(G > 0) & (typ == btype)])):
        tr = (G == g) & (typ == btype)
        for t in range(g, t_.max() + 1):
            ctrl = (G == 0) | (G > t)
            if not (ctrl & (t_ == t)).any():
                continue
            dt = y[tr & (t_ == t)].mean() - y[tr & (t_ == g - 1)].mean()
            dc = y[ctrl & (t_ == t)].mean() - y[ctrl & (t_ == g - 1)].mean()
            atts.append(dt - dc)
            wts.append(tr.mean())
    w = np.array(wts) / np.sum(wts)
    return float(w @ np.array(atts))


def test_type_att_equals_hand_computed_difference_of_mean_changes():
    df = _frame()
    res = brand_type_moderation(df).set_index("term")
    for t in TYPES:
        assert res.loc[t, "estimate"] == pytest.approx(_by_hand(df, t), abs=1e-8)
    c = res.loc["distinctive_minus_generic"]
    assert c["estimate"] == pytest.approx(res.loc["distinctive", "estimate"] - res.loc["generic", "estimate"], abs=1e-12)


def test_single_type_matches_staggered_did_simple_aggregation():
    df = _frame(seed=1)
    df = df[df["brand_type"].isin(["distinctive"]) | df["brand_type"].isna()]
    theta, psi, clusters, _, _ = _csdid(df, "satisfaction", "brand_type", "cohort_brand", "notyet", ["distinctive"])
    from fusion_study.brands.moderation import _cluster_vcov

    se = float(np.sqrt(_cluster_vcov(psi["distinctive"][:, None], clusters)[0, 0]))
    ref = staggered_did(df, outcome="satisfaction", unit="response_id", time="period", cohort="cohort_brand",
                        panel=False, cluster="branch_id").aggregate("simple").iloc[0]
    assert theta["distinctive"] == pytest.approx(ref["estimate"], abs=1e-10)
    assert se == pytest.approx(ref["se"], rel=1e-10)


def test_contrast_removes_cotimed_effect_and_twfe_agrees_without_dynamics():
    df = _frame(seed=2, n_branches=60, per_cell=20)
    for method in ("csdid", "twfe"):
        r = brand_type_moderation(df, method=method).set_index("term")
        # the type rows carry the co-timed work (3 points) ...
        assert r.loc["generic", "ci_lower"] > 0
        # ... the contrasts remove it
        assert r.loc["distinctive_minus_generic", "ci_lower"] < 5 < r.loc["distinctive_minus_generic", "ci_upper"]
        assert r.loc["generic_minus_copied", "ci_lower"] < 0 < r.loc["generic_minus_copied", "ci_upper"]
        assert r.loc["distinctive_minus_generic", "p_adjusted"] < 0.05
        assert np.isnan(r.loc["distinctive", "p_adjusted"])
        assert (r["method"] == ("CS-DiD (RC, DR)" if method == "csdid" else "TWFE (branch + wave)")).all()


def test_holm_adjustment_over_contrasts():
    """Holm over the three contrasts, written out for k = 3 (sorted p1 <= p2 <= p3):
    3 p1, max(3 p1, 2 p2), max(that, p3), each capped at 1 — the type rows are not adjusted."""
    r = brand_type_moderation(_frame(seed=3))
    c = r[r["kind"] == "contrast"]
    assert list(c["term"]) == ["distinctive_minus_generic", "distinctive_minus_copied", "generic_minus_copied"]
    p = c["p_value"].to_numpy()
    o = np.argsort(p)
    a1 = min(1.0, 3 * p[o[0]])
    a2 = min(1.0, max(a1, 2 * p[o[1]]))
    a3 = min(1.0, max(a2, p[o[2]]))
    expected = np.empty(3)
    expected[o] = [a1, a2, a3]
    np.testing.assert_allclose(c["p_adjusted"], expected, rtol=1e-12)
    assert r.loc[r["kind"] == "type ATT", "p_adjusted"].isna().all()


def test_alpha_sets_the_interval_level():
    df = _frame(seed=3)
    r05, r10 = brand_type_moderation(df), brand_type_moderation(df, alpha=0.10)
    np.testing.assert_allclose(r10["estimate"], r05["estimate"])
    np.testing.assert_allclose((r10["ci_upper"] - r10["ci_lower"]) / (r05["ci_upper"] - r05["ci_lower"]),
                               1.6448536269514722 / 1.959963984540054, rtol=1e-9)
    with pytest.raises(ValueError, match="alpha"):
        brand_type_moderation(df, alpha=95)


def test_no_never_launched_branches_uses_last_launch_as_comparison():
    df = _frame(seed=4, never_share=0.0)
    r = brand_type_moderation(df)
    assert r["note"].str.contains("serve as comparison").all()
    assert np.isfinite(r["estimate"]).all()


def test_errors_name_the_problem():
    df = _frame(seed=5)
    with pytest.raises(ValueError, match="method='did'.*'csdid', 'twfe'"):
        brand_type_moderation(df, method="did")
    with pytest.raises(ValueError, match="control="):
        brand_type_moderation(df, control="all")
    with pytest.raises(ValueError, match=r"column\(s\) \['cohort_brand'\]"):
        brand_type_moderation(df.drop(columns="cohort_brand"))
    with pytest.raises(ValueError, match="period number"):
        brand_type_moderation(df.assign(cohort_brand="2024Q3"))
    bad = df.assign(brand_type=df["brand_type"].replace({"copied": "borrowed"}))
    with pytest.raises(ValueError, match="borrowed"):
        brand_type_moderation(bad)
    one = df[df["brand_type"].isna() | (df["brand_type"] == "generic")]
    with pytest.raises(ValueError, match="at least two types"):
        brand_type_moderation(one)
    with pytest.raises(DiDSpecificationError, match="brand_type_moderation"):
        brand_type_moderation(df[df["brand_type"].notna()], control="never")


def test_untyped_launched_branches_left_out_with_a_note():
    df = _frame(seed=6)
    df.loc[df["branch_id"] == df.loc[df["brand_type"].notna(), "branch_id"].iloc[0], "brand_type"] = None
    r = brand_type_moderation(df)
    assert r["note"].str.contains("without a brand type left out").all()


def test_example_study_is_flagged_underpowered():
    from fusion_study import load_study
    from fusion_study.data.paths import example_study_path

    study = load_study(example_study_path())
    frame = brand_moderation_frame(study)
    assert {"brand_type", "cohort_brand", "satisfaction"} <= set(frame.columns)
    r = brand_type_moderation(frame)
    assert (r.loc[r["kind"] == "type ATT", "n_branches"] < 10).all()
    assert r["note"].str.contains("underpowered").all()


def test_simulator_truth_larger_design():
    """96 branches (replication 0 of benchmarks/validate_brand_moderation.py): the contrast covers the
    truth; a type's own row carries the interventions launched around the brand.

    The Monte Carlo (200 replications, benchmarks/results/validate_brand_moderation_200) is the real
    check: contrast coverage 0.93, the null types' rows about +3.7 points with either estimator.
    """
    from fusion_study.simulate import simulate_study

    study, truth = simulate_study("p_city", seed=20240101, n_counties=12, branches_per_county=8, n_retailers=8000,
                                  survey_per_wave=1200)
    frame = brand_moderation_frame(study)
    be = truth.brand_effects.set_index("brand_type")["att_index"].astype(float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cs = brand_type_moderation(frame).set_index("term")
        tw = brand_type_moderation(frame, method="twfe").set_index("term")
    true_contrast = be["distinctive"] - be["generic"]
    assert 1.0 < true_contrast < 3.0
    row = cs.loc["distinctive_minus_generic"]
    assert row["ci_lower"] < true_contrast < row["ci_upper"]
    assert cs.loc["generic_minus_copied", "ci_lower"] < 0 < cs.loc["generic_minus_copied", "ci_upper"]
    # a copied brand does nothing (truth 0), yet both estimators find a clear "effect" of its launch:
    # the teams, platform and mechanism launched around it (not a TWFE artefact)
    assert be["copied"] == 0
    assert cs.loc["copied", "ci_lower"] > 0 and tw.loc["copied", "ci_lower"] > 0


def test_plot_brand_moderation_labels():
    import matplotlib.pyplot as plt

    df = _frame(seed=7)
    tab = pd.concat([brand_type_moderation(df), brand_type_moderation(df, method="twfe")], ignore_index=True)
    ax = plot_brand_moderation(tab, lang="en")
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert len(labels) == 12 and "distinctive brand − generic brand (TWFE)" in labels
    assert ax.get_xlabel().startswith("Change in satisfaction")
    plt.close(ax.figure)
    ax = plot_brand_moderation(brand_type_moderation(df), lang="zh")
    assert "特色品牌 − 空泛品牌" in [t.get_text() for t in ax.get_yticklabels()]
    plt.close(ax.figure)
    with pytest.raises(ValueError, match="lang"):
        plot_brand_moderation(tab, lang="fr")
