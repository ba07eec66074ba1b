"""The several-interventions estimator in the study layer, the report and the Monte Carlo harness.

Checked against the simulator: on the bundled example (P city, each intervention 0-3 quarters after
the programme) the rollout separates only the two interventions that some branches started alone
(brand, points platform: wide intervals that cover the truth) and refuses the other four with their
reason; on a study drawn with independent starts (``rollout_lags="independent"``) they are
identified and the intervals are compared with the true per-intervention ATT (truth.json).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fusion_study.data.paths import example_study_path
from fusion_study.data.study import load_study
from fusion_study.effects.study import (
    SEVERAL_ESTIMAND,
    SEVERAL_ESTIMATOR,
    SEVERAL_MAX_EVENT,
    evaluate_interventions,
    intervention_identification,
)
from fusion_study.simulate.presets import INTERVENTIONS

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


@pytest.fixture(scope="module")
def example():
    return load_study(example_study_path())


@pytest.fixture(scope="module")
def independent():
    """A P-city-sized study whose interventions start independently of one another (seed fixed)."""
    from fusion_study.simulate import simulate_study

    return simulate_study("p_city", seed=11, rollout_lags="independent", n_counties=12, n_retailers=4000,
                          survey_per_wave=600, sat_trend=0.0)


@pytest.fixture(scope="module")
def example_table(example):
    return evaluate_interventions(example, return_models=True)


def test_example_rollout_separates_two_interventions_and_refuses_the_rest_with_their_reason(example,
                                                                                          example_table):
    from fusion_study.simulate.truth import Truth

    table, models = example_table
    net = table[table["estimand"] == SEVERAL_ESTIMAND].set_index("intervention")
    assert sorted(net.index) == sorted(INTERVENTIONS)
    assert (net["estimator"] == SEVERAL_ESTIMATOR).all()
    assert models["several"].max_event == SEVERAL_MAX_EVENT
    ident = models["several"].identification_.set_index("intervention")
    ok = ident["identified"].astype(bool)
    # P city's co-timed rollout: only brand and the points platform were started alone by some branches
    assert sorted(ident.index[ok]) == ["brand", "points_platform"]
    assert (ident.loc[ok, "n_switch_alone"] >= 3).all() and (ident.loc[ok, "vif"] <= 10).all()
    assert (ident.loc[~ok, "vif"] > 10).all()
    truth = Truth.load(example_study_path() / "truth.json").overall_att("index").set_index("intervention")
    for name in ident.index[ok]:
        row = net.loc[name]
        assert row["se"] > 0 and row["ci_lower"] <= truth.loc[name, "att_index"] <= row["ci_upper"]
        assert row["note"].startswith("Separable: ")
    for name in ident.index[~ok]:
        assert np.isnan(net.loc[name, ["estimate", "se", "ci_lower", "ci_upper", "p_value"]].astype(float)).all()
        assert net.loc[name, "note"].startswith(ident.loc[name, "reason_en"].rstrip("."))
    # the co-timed single-intervention CS-DiD rows stay, for contrast, and say so
    cs = table[(table["estimator"] == "CS-DiD (RC, DR)") & (table["intervention"] != "programme")]
    assert cs["note"].str.startswith("for contrast: co-timed with other interventions").all()
    prog = table[(table["intervention"] == "programme") & (table["estimand"] == "ATT (simple)")]
    assert prog["estimate"].notna().all()
    # without the several-interventions rows the table is as before
    old = evaluate_interventions(example, several=False, naive=False)
    assert SEVERAL_ESTIMAND not in set(old["estimand"])


def test_intervention_identification_columns_and_labels(example):
    ident = intervention_identification(example)
    assert list(ident.columns) == ["intervention", "label_zh", "label_en", "n_switch_alone", "n_exposed_alone",
                                   "vif", "condition_number", "identified", "reason_zh", "reason_en"]
    assert ident.set_index("intervention").loc["vanguard_team", "label_zh"] == "星火服务先锋队"
    assert ident["reason_zh"].str.len().gt(0).all() and ident["reason_en"].str.len().gt(0).all()


def test_independent_starts_are_identified_and_cover_the_truth(independent):
    study, truth = independent
    table, models = evaluate_interventions(study, naive=False, return_models=True)
    net = table[table["estimand"] == SEVERAL_ESTIMAND].set_index("intervention")
    ident = models["several"].identification_.set_index("intervention")
    ok = ident.index[ident["identified"].astype(bool)]
    assert len(ok) >= 4
    tr = truth.overall_att("index").set_index("intervention")["att_index"]
    est = net.loc[ok]
    assert est["estimate"].notna().all() and (est["se"] > 0).all()
    z = (est["estimate"] - tr[ok]) / est["se"]
    assert (z.abs() < 3).all()  # every identified estimate within 3 SE of the simulator's truth
    inside = ((est["ci_lower"] <= tr[ok]) & (tr[ok] <= est["ci_upper"])).mean()
    assert inside >= 0.6
    # the net effects are not the co-timed CS-DiD numbers
    cs = table[(table["estimand"] == "ATT (simple)")].set_index("intervention")
    assert not np.allclose(est["estimate"], cs.loc[ok, "estimate"])


def test_report_shows_net_table_and_identification_sentence(example, independent):
    import matplotlib.pyplot as plt

    from fusion_study.reporting.sections import ReportContext, discover_sections

    sec = {s.key: s for s in discover_sections()}["effects"]
    blocks = list(sec.build(example, ReportContext(lang="zh")))
    net = next(b for b in blocks if type(b).__name__ == "Table" and b.name == "effects_net_table")
    refused = net.frame["identified"] == "否"
    assert refused.sum() == 4 and net.frame.loc[refused, "estimate"].isna().all()  # refused: no number
    assert net.frame.loc[~refused, "estimate"].notna().all()
    sentence = blocks[blocks.index(net) + 1]
    assert "推行时间只能把 2 项干预的效应与其他干预分开，4 项不能" in sentence.zh
    assert "The rollout separates 2 intervention(s) from the others; 4 cannot be told apart" in sentence.en
    ident = intervention_identification(example)
    for zh, en in zip(ident["reason_zh"], ident["reason_en"]):
        assert zh.rstrip("。") in sentence.zh and en.rstrip(".") in sentence.en
    plt.close("all")
    study, _ = independent
    blocks = list(sec.build(study, ReportContext(lang="en")))
    net = next(b for b in blocks if type(b).__name__ == "Table" and b.name == "effects_net_table")
    shown = net.frame[net.frame["identified"] == "yes"]
    assert len(shown) >= 4 and shown["estimate"].notna().all()
    from fusion_study.reporting.labels import label

    assert set(net.frame["intervention"]) == {label(n, "en") for n in INTERVENTIONS}
    forest = next(b for b in blocks if type(b).__name__ == "Figure" and b.name == "effects_forest")
    ticks = [t.get_text() for t in forest.figure.axes[0].get_yticklabels()]
    assert sum("(net of others)" in t for t in ticks) == len(shown)
    plt.close("all")


def test_montecarlo_several_rows_against_the_truth():
    """One CI-sized replication: one row per intervention with the simulator's true ATT as target;
    refused interventions keep a row without a number and are counted, never dropped."""
    from fusion_study.effects.montecarlo import one_replication, summarise_validation
    from fusion_study.simulate import simulate_study

    ov = {"rollout_lags": "independent", "n_retailers": 1000, "survey_per_wave": 300}
    rows = one_replication(3, seed=100, preset="p_city", overrides=ov, estimators="several")
    assert sorted(rows["intervention"]) == sorted(INTERVENTIONS)
    assert (rows["estimator"] == "several: " + rows["intervention"]).all()
    _, truth = simulate_study("p_city", seed=103, **ov)
    tr = truth.overall_att("index").set_index("intervention")["att_index"]
    np.testing.assert_allclose(rows["truth"], tr[rows["intervention"]].to_numpy(), rtol=1e-12)
    ok = rows["identified"].astype(bool)
    assert rows.loc[~ok, "estimate"].isna().all() and rows.loc[~ok, "covered"].isna().all()
    assert rows.loc[ok, "covered"].isin([0.0, 1.0]).all()
    both = pd.concat([rows, rows.assign(replication=4)], ignore_index=True)
    s = summarise_validation(both).set_index("estimator")
    assert (s["refused"] == 2 * (~ok).groupby(rows["estimator"]).sum().reindex(s.index)).all()
    assert (s["reps"] == 2).all()
    # bias and its Monte Carlo SE over the identified rows only
    fake = pd.DataFrame({"replication": [0, 1, 2, 3], "estimator": "several: x", "estimate": [1.0, 3.0, np.nan, 2.0],
                         "se": 1.0, "truth": 1.0, "ci_lower": 0.0, "ci_upper": 2.0, "covered": [1.0, 0.0, np.nan, 1.0]})
    f = summarise_validation(fake).iloc[0]
    assert (f["reps"], f["refused"], f["bias"]) == (4, 1, 1.0)
    assert f["mcse_bias"] == pytest.approx(1.0 / np.sqrt(3)) and f["coverage"] == pytest.approx(2 / 3)
    with pytest.raises(ValueError, match="estimators='x' is not supported"):
        one_replication(0, estimators="x")
