"""Domain layer on the bundled example study; report section; validate-estimators (CI-sized)."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest

from fusion_study import load_study
from fusion_study.data.paths import example_study_path


@pytest.fixture(scope="module")
def study():
    return load_study(example_study_path())


@pytest.fixture(scope="module")
def frame(study):
    from fusion_study.effects.study import exposures

    return exposures(study)


def test_exposures_frame(study, frame):
    from fusion_study.simulate import Truth

    # screened responses are excluded and recorded in a ledger, nothing disappears silently
    assert len(frame) + frame.attrs["n_screened_out"] == len(study.customer_survey)
    assert frame.attrs["n_screened_out"] > 0
    truth_flags = Truth.load(example_study_path() / "truth.json").screening
    flagged = set(truth_flags.loc[truth_flags["table"] == "customer_survey", "response_id"])
    assert not frame["response_id"].isin(flagged).any()
    from fusion_study.effects.study import exposures

    assert len(exposures(study, screen=False)) == len(study.customer_survey)
    assert frame["response_id"].is_unique
    for c in ("satisfaction", "dependency", "cohort_programme", "cohort_vanguard_team", "contacts_vanguard_team",
              "tickets_opened", "segment", "branch_id"):
        assert c in frame.columns
    assert frame["satisfaction"].between(0, 100).all()
    # scale score by hand for one response: sat1 1-10, sat2/sat3 1-7
    sv = study.customer_survey.set_index("response_id")
    r = frame.iloc[0]
    s = sv.loc[r["response_id"]]
    by_hand = np.nanmean([100 * (s["sat1"] - 1) / 9, 100 * (s["sat2"] - 1) / 6, 100 * (s["sat3"] - 1) / 6])
    assert r["satisfaction"] == pytest.approx(by_hand)
    # dep3 is reverse-coded (1-5)
    d = sv.loc[r["response_id"]]
    dep = np.nanmean([100 * (d["dep1"] - 1) / 4, 100 * (d["dep2"] - 1) / 4, 100 * (5 + 1 - d["dep3"] - 1) / 4])
    assert r["dependency"] == pytest.approx(dep)
    # cohorts agree with the simulator's adoption record
    truth = Truth.load(example_study_path() / "truth.json")
    ad = truth.adoption
    first = ad[ad["start_period"].notna()].groupby("unit_id")["start_period"].min()
    from fusion_study.data.periods import period_number

    got = frame.drop_duplicates("branch_id").set_index("branch_id")["cohort_programme"]
    for b, p in first.items():
        if b in got.index:
            assert got[b] == period_number(str(p))
    assert frame["contacts_vanguard_team"].sum() > 0


def test_evaluate_interventions_table(study):
    from fusion_study.effects.plots import plot_intervention_effects
    from fusion_study.effects.study import evaluate_interventions
    from fusion_study.simulate import Truth

    table = evaluate_interventions(study)
    assert table["note"].str.contains("single branch").any()
    from fusion_study.effects.study import exposures

    n_screened = exposures(study).attrs["n_screened_out"]
    assert n_screened > 0  # the example has injected speeders: no response leaves silently
    assert table["note"].str.contains(f"{n_screened} responses screened out").any()
    assert list(table.columns) == ["intervention", "label_zh", "label_en", "estimand", "estimator", "estimate",
                                   "se", "ci_lower", "ci_upper", "p_value", "n", "note"]
    prog = table[(table["intervention"] == "programme") & (table["estimand"] == "ATT (simple)")].iloc[0]
    truth = Truth.load(example_study_path() / "truth.json").overall_att()
    true_prog = truth.loc[truth["intervention"] == "programme", "att_index"].iloc[0]
    assert prog["ci_lower"] < true_prog < prog["ci_upper"]
    naive = table[table["estimand"] == "ATT (naive)"].set_index("estimator")
    # naive comparisons are far off the truth on the example study
    assert naive.loc["before/after", "estimate"] > true_prog + 3
    assert naive.loc["treated vs untreated", "estimate"] > true_prog + 3
    ax = plot_intervention_effects(table, lang="zh")
    assert "满意度" in ax.get_xlabel()
    ticks = [t.get_text() for t in ax.get_yticklabels()]
    assert any("双向固定效应" in t for t in ticks) and any("前后对比" in t for t in ticks)
    assert not any("before/after" in t or "untreated" in t for t in ticks)  # no English in a zh figure
    import matplotlib.pyplot as plt

    plt.close("all")


def test_report_section_registered(study):
    import matplotlib.pyplot as plt

    from fusion_study.reporting.sections import ReportContext, discover_sections

    secs = {s.key: s for s in discover_sections()}
    assert "effects" in secs and secs["effects"].order == 50
    blocks = list(secs["effects"].build(study, ReportContext(lang="en")))
    kinds = [type(b).__name__ for b in blocks]
    # the method text, the effects net of the others and the identification sentence, the CS-DiD table,
    # the sentences interpreting it (pre-trends, clusters, co-timing), the figures
    assert kinds == ["Text", "Table", "Text", "Table", "Text", "Figure", "Figure"]
    plt.close("all")


def test_validate_estimators_ci_sized(tmp_path):
    """Two replications (CI-sized): the naive estimators miss the truth by many SEs
    in every replication; CS-DiD is within 3.5 SE. The full >= 200-replication
    study is in benchmarks/results/."""
    from fusion_study.cli.parser import main
    from fusion_study.effects.montecarlo import summarise_validation

    assert main(["validate-estimators", "--reps", "2", "--jobs", "1", "--n-boot", "49", "--out", str(tmp_path)]) == 0
    rows = pd.read_csv(tmp_path / "validation_replications.csv")
    from vocabulary import assert_standard_columns

    assert_standard_columns(rows, "one_replication rows")
    assert rows["replication"].nunique() == 2
    err = (rows["estimate"] - rows["truth"]) / rows["se"]
    by = rows.assign(z=err.abs()).groupby("estimator")["z"].max()
    assert by["CS-DiD RC (cluster branch)"] < 3.5
    assert by["CS-DiD RC (unclustered)"] < 3.5
    naive_min = rows.assign(z=err.abs()).groupby("estimator")["z"].min()
    assert naive_min["before/after (naive)"] > 5
    assert naive_min["treated vs untreated (naive)"] > 5
    s = summarise_validation(rows)
    assert {"coverage", "bias", "bias_over_se"} <= set(s.columns)


def test_dask_backend_matches_local_run():
    """The Monte Carlo runner on a local Dask cluster gives the same rows as joblib's local backend.

    `make test` installs the [dask] extra; under CI a missing extra is a failure, not a skip.
    """
    if os.environ.get("CI", "").lower() == "true":
        import distributed
    else:
        distributed = pytest.importorskip("distributed", reason="optional [dask] extra not installed")
    from fusion_study.effects.montecarlo import run_validation

    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False) as cluster:
        rows = run_validation(1, n_boot=19, dask_address=cluster.scheduler_address)
    local = run_validation(1, n_boot=19)
    pd.testing.assert_frame_equal(rows, local)
