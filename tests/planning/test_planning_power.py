"""Power of a rollout by simulation (:mod:`fusion_study.planning.power`) and the survey-side helpers.

* the lean simulation produces the ICC and effects it is given, and the simulator's own survey has
  an ICC consistent with the planning default;
* the estimator sees the same thing in the responses as in their branch-wave means (the shortcut
  ``rollout_power`` takes);
* power against the closed form of a two-period, two-group design; coverage near 0.95 and the
  false-positive rate near alpha; identical results for any ``n_jobs``; clear errors.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fusion_study.effects.several import several_interventions
from fusion_study.planning import (
    POWER_COLUMNS,
    branch_icc,
    plan_rollout,
    power_two_means,
    responses_per_branch,
    rollout_power,
    simulate_rollout_data,
    survey_precision,
)

REF = Path(__file__).parents[1] / "reference" / "planning"


def _two_group_plan(n_branches: int = 40) -> pd.DataFrame:
    half = n_branches // 2
    return pd.DataFrame({"unit_id": [f"B{i:02d}" for i in range(n_branches)], "intervention": "hotline",
                         "start_wave": [1.0] * half + [np.nan] * (n_branches - half)})


# --- branch_icc against R --------------------------------------------------------------------

def test_branch_icc_matches_psych_icc1_on_balanced_data():
    ref = json.loads((REF / "icc_reference.json").read_text())["balanced"]
    res = branch_icc(pd.read_csv(REF / "icc_balanced.csv"), outcome="y")
    assert res.loc[0, "estimate"] == pytest.approx(ref["icc1"], abs=1e-8)
    assert res.loc[0, "ci_lower"] == pytest.approx(ref["lower"], abs=1e-8)
    assert res.loc[0, "ci_upper"] == pytest.approx(ref["upper"], abs=1e-8)


def test_branch_icc_uses_aov_mean_squares_on_unbalanced_data():
    ref = json.loads((REF / "icc_reference.json").read_text())["unbalanced"]
    data = pd.read_csv(REF / "icc_unbalanced.csv")
    res = branch_icc(data, outcome="y").iloc[0]
    n = data.groupby("branch_id").size().to_numpy(float)
    n0 = (n.sum() - (n ** 2).sum() / n.sum()) / (len(n) - 1)
    assert res["within_var"] == pytest.approx(ref["msw"], abs=1e-8)
    assert res["between_var"] == pytest.approx((ref["msb"] - ref["msw"]) / n0, abs=1e-8)
    assert res["n_obs"] == ref["df_between"] + ref["df_within"] + 1


def test_branch_icc_errors_name_row_and_column():
    d = pd.DataFrame({"branch_id": ["a", "a", "b", "b"], "y": [1, "x", 2, 3]})
    with pytest.raises(ValueError, match=r"row 1, column 'y' = 'x' is not a number"):
        branch_icc(d, outcome="y")
    with pytest.raises(ValueError, match="at least 2 branches"):
        branch_icc(pd.DataFrame({"branch_id": ["a", "a"], "y": [1.0, 2.0]}), outcome="y")


# --- the lean simulation ------------------------------------------------------------------------

def test_lean_simulation_gives_the_icc_and_effects_it_is_told():
    plan = _two_group_plan(300)
    data = simulate_rollout_data(plan, effect_sizes=0.5, icc=0.2, responses_per_branch=10, waves=2, seed=4)
    base = branch_icc(data[data["period"] == 1], outcome="outcome").iloc[0]
    assert base["ci_lower"] <= 0.2 <= base["ci_upper"]
    assert base["estimate"] == pytest.approx(0.2, abs=0.06)
    assert base["sd"] == pytest.approx(1.0, abs=0.05)
    exposed = (data["cohort_hotline"] > 0) & (data["period"] >= data["cohort_hotline"])
    assert (data.loc[exposed, "true_effect_hotline"] == 0.5).all()
    assert (data.loc[~exposed, "true_effect_hotline"] == 0.0).all()
    # the effect shifts the exposed branch-waves by 0.5 (DiD of means, SE about 0.037)
    m = data.groupby([data["cohort_hotline"] > 0, "period"])["outcome"].mean()
    assert (m[(True, 2)] - m[(True, 1)]) - (m[(False, 2)] - m[(False, 1)]) == pytest.approx(0.5, abs=0.12)


def test_lean_simulation_ramp_follows_the_simulator_growth_curve():
    plan = pd.DataFrame({"unit_id": ["B1", "B2"], "intervention": "x", "start_wave": [1, np.nan]})
    data = simulate_rollout_data(plan, effect_sizes=0.4, icc=0.1, responses_per_branch=1, waves=4, ramp=2.0, seed=1)
    got = data.loc[data["branch_id"] == "B1", "true_effect_x"].to_numpy()
    want = [0.0] + [0.4 * (1 - math.exp(-(e + 1) / 2.0)) for e in range(3)]
    np.testing.assert_allclose(got, want, atol=1e-12)


def test_simulator_survey_icc_is_consistent_with_the_planning_default():
    """The simulator's p_city survey (pre-programme, wave-centred) has an ICC whose interval holds 0.15."""
    from fusion_study import simulate_study
    from fusion_study.cli.commands.plan import DEFAULT_ICC
    from fusion_study.planning.study import study_icc

    study, _truth = simulate_study(preset="p_city", seed=3)
    res = study_icc(study).iloc[0]
    assert res["ci_lower"] <= DEFAULT_ICC <= res["ci_upper"]
    assert res["n_waves"] >= 2 and 10 < res["sd"] < 40  # points on the 0-100 scale


def test_estimator_sees_the_same_in_responses_and_in_branch_wave_means():
    plan = plan_rollout([f"B{i:02d}" for i in range(16)], interventions=["a", "b"], waves=6, seed=2)
    data = simulate_rollout_data(plan, effect_sizes={"a": 0.3, "b": 0.1}, icc=0.2, responses_per_branch=7, seed=5)
    cohorts = {"a": "cohort_a", "b": "cohort_b"}
    cells = data.groupby(["branch_id", "period"], as_index=False).agg(
        outcome=("outcome", "mean"), cohort_a=("cohort_a", "first"), cohort_b=("cohort_b", "first"))
    cols = ["estimate", "se", "ci_lower", "ci_upper"]
    rows = several_interventions(data, outcome="outcome", cohorts=cohorts).effects_[cols].to_numpy(float)
    means = several_interventions(cells, outcome="outcome", cohorts=cohorts).effects_[cols].to_numpy(float)
    np.testing.assert_allclose(rows, means, atol=1e-10, rtol=0)


# --- rollout_power ----------------------------------------------------------------------------

@pytest.mark.slow
def test_power_matches_the_two_period_closed_form():
    """Half the branches start at wave 1, half never: the estimate is the DiD of branch changes.

    A branch's change in mean has variance ``2(1-ρ)/m`` (the branch effect cancels), so the power
    is that of a two-sample t test on 20 + 20 branch changes (``power_two_means``), the SE
    ``sqrt(2(1-ρ)/m · 2/20)``.
    """
    icc, m, d = 0.3, 10, 0.25
    reps = 120
    res = rollout_power(_two_group_plan(40), effect_sizes=d, icc=icc, responses_per_branch=m, reps=reps, seed=5,
                        waves=2).iloc[0]
    sd_change = math.sqrt(2 * (1 - icc) / m)
    closed = float(power_two_means(d, sd=sd_change, n_per_group=20).loc[0, "power"])
    se_closed = sd_change * math.sqrt(2 / 20)
    assert res["n_estimated"] == reps
    assert res["share_exposed_used"] == 1.0
    # 3 Monte Carlo SEs, plus 0.03 for t(G-1) with CR1 SEs against the pooled two-sample t
    assert abs(res["power"] - closed) < 3 * math.sqrt(closed * (1 - closed) / reps) + 0.03
    assert res["mean_se"] == pytest.approx(se_closed, rel=0.06)
    assert res["sd_estimate"] == pytest.approx(se_closed, rel=0.2)
    assert res["truth"] == pytest.approx(d, abs=1e-12)


@pytest.mark.slow
def test_coverage_near_95_and_false_positives_near_alpha():
    """A staggered plan for 20 branches plus 10 that never start, effects ramping up."""
    plan = plan_rollout([f"B{i:02d}" for i in range(20)], interventions=["a", "b"], waves=6, seed=8)
    never = pd.DataFrame({"unit_id": np.repeat([f"N{i}" for i in range(10)], 2), "intervention": ["a", "b"] * 10,
                          "start_wave": np.nan})
    reps = 120
    res = rollout_power(pd.concat([plan, never], ignore_index=True), effect_sizes={"a": 0.3, "b": 0.0}, icc=0.15,
                        responses_per_branch=8, reps=reps, seed=9, ramp=1.5, waves=6).set_index("intervention")
    assert list(res.reset_index().columns) == list(POWER_COLUMNS)
    a, b = res.loc["a"], res.loc["b"]
    assert a["truth"] < 0.3  # the ramp-up: the average effect over exposed waves is below saturation
    for row in (a, b):
        assert row["share_exposed_used"] == 1.0
        assert abs(row["coverage"] - 0.95) < 3 * math.sqrt(0.95 * 0.05 / reps) + 0.02
        assert abs(row["bias"]) < 3 * row["sd_estimate"] / math.sqrt(row["n_estimated"])
    assert b["power"] < 0.05 + 3 * math.sqrt(0.05 * 0.95 / reps) + 0.02  # effect 0: the false-positive rate
    assert a["power"] > b["power"]


def test_share_used_counts_exposed_waves_without_a_comparison():
    """Once every branch runs something, exposed branch-waves cannot be imputed: the share says how many."""
    plan = plan_rollout([f"B{i:02d}" for i in range(12)], interventions=["a", "b"], waves=7, seed=3)
    res = rollout_power(plan, effect_sizes=0.2, icc=0.1, responses_per_branch=4, reps=2, seed=1)
    start = plan.pivot(index="unit_id", columns="intervention", values="start_wave")
    first = start.min(axis=1).to_numpy()
    wave = np.arange(7)
    some_untreated = (wave[None, :] < first[:, None]).any(axis=0)       # waves with an untreated branch
    for k in ("a", "b"):
        exposed = wave[None, :] >= start[k].to_numpy()[:, None]
        want = (exposed & some_untreated[None, :]).sum() / exposed.sum()
        got = res.set_index("intervention").loc[k, "share_exposed_used"]
        assert got == pytest.approx(want, abs=1e-12)
        assert got < 1
    held = plan_rollout([f"B{i:02d}" for i in range(12)], interventions=["a", "b"], waves=7, hold_out=3, seed=3)
    res = rollout_power(held, effect_sizes=0.2, icc=0.1, responses_per_branch=4, reps=2, seed=1)
    assert (res["share_exposed_used"] == 1.0).all()  # a wait-list group keeps a comparison in every wave


@pytest.mark.slow  # starting two worker processes takes seconds on a busy machine
def test_same_seed_same_result_for_any_n_jobs():
    plan = plan_rollout([f"B{i:02d}" for i in range(10)], interventions=["a", "b"], waves=5, seed=1)
    kw = dict(effect_sizes=0.3, icc=0.1, responses_per_branch=5, reps=4, seed=12)
    one = rollout_power(plan, n_jobs=1, **kw)
    two = rollout_power(plan, n_jobs=2, **kw)
    pd.testing.assert_frame_equal(one, two)
    reps_one = rollout_power(plan, n_jobs=1, replications=True, **kw)
    pd.testing.assert_frame_equal(reps_one, rollout_power(plan, n_jobs=2, replications=True, **kw))
    assert len(reps_one) == 4 * 2 and (reps_one["error"] == "").all()
    assert reps_one["estimate"].mean() == pytest.approx(one["mean_estimate"].mean(), abs=1e-12)
    other = rollout_power(plan, n_jobs=1, **{**kw, "seed": 13})
    assert not np.allclose(one["mean_estimate"], other["mean_estimate"])


def test_co_timed_interventions_are_refused_not_estimated():
    plan = pd.DataFrame({"unit_id": np.repeat([f"B{i}" for i in range(8)], 2), "intervention": ["a", "b"] * 8,
                         "start_wave": np.repeat([1, 2, 3, np.nan] * 2, 2)})
    res = rollout_power(plan, effect_sizes=0.3, icc=0.1, responses_per_branch=5, reps=3, seed=1, waves=4)
    assert res["n_refused"].tolist() == [3, 3]
    assert res["power"].tolist() == [0.0, 0.0]
    assert res["n_estimated"].tolist() == [0, 0]


@pytest.mark.parametrize("kw, message", [
    ({"effect_sizes": {"a": 0.2, "zz": 0.1}}, r"not in the plan"),
    ({"effect_sizes": {"a": 0.2}}, r"no effect for intervention\(s\) \['b'\]"),
    ({"effect_sizes": [0.1, 0.2]}, "one number"),
    ({"icc": 1.0}, "icc must be < 1"),
    ({"responses_per_branch": 0}, "responses_per_branch must be >= 1"),
    ({"reps": 1}, "reps must be >= 2"),
    ({"dask": ""}, "Dask scheduler address"),
])
def test_rollout_power_errors(kw, message):
    plan = plan_rollout(["B1", "B2", "B3", "B4"], interventions=["a", "b"], waves=4, seed=1)
    args = {"effect_sizes": 0.2, "icc": 0.1, "responses_per_branch": 5, "reps": 2, "seed": 1, **kw}
    with pytest.raises(ValueError, match=message):
        rollout_power(plan, **args)


# --- survey_precision -----------------------------------------------------------------------

def test_survey_precision_formulas():
    t = survey_precision(24, icc=0.2, responses_per_branch=12, half_widths=[0.1, 0.3]).set_index(
        ["target", "half_width"])
    z = 1.959963984540054
    assert t.loc[("branch_mean", 0.1), "planned_half_width"] == pytest.approx(z * math.sqrt(0.8 / 12), abs=1e-12)
    assert t.loc[("city_mean", 0.1), "planned_half_width"] == pytest.approx(z * math.sqrt(0.8 / (24 * 12)), abs=1e-12)
    assert t.loc[("branch_mean", 0.3), "responses_needed"] == responses_per_branch(0.3, sd=1.0, icc=0.2)
    assert t.loc[("city_mean", 0.1), "responses_needed"] == math.ceil(0.8 * z * z / (24 * 0.01) - 1e-9)
    assert t["design_effect"].iloc[0] == pytest.approx(1 + 11 * 0.2, abs=1e-12)
    with pytest.raises(ValueError, match="n_branches"):
        survey_precision(0, icc=0.2, responses_per_branch=12)


def test_dask_backend_matches_local_run():
    """On a local Dask cluster the result is the same as with joblib's local backend.

    `make test` installs the [dask] extra; under CI a missing extra is a failure, not a skip.
    """
    import os

    if os.environ.get("CI", "").lower() == "true":
        import distributed
    else:
        distributed = pytest.importorskip("distributed", reason="optional [dask] extra not installed")
    plan = plan_rollout([f"B{i:02d}" for i in range(8)], interventions=["a"], waves=4, seed=1)
    kw = dict(effect_sizes=0.3, icc=0.1, responses_per_branch=5, reps=3, seed=2, replications=True)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False) as cluster:
        on_dask = rollout_power(plan, dask=cluster.scheduler_address, **kw)
    pd.testing.assert_frame_equal(on_dask, rollout_power(plan, **kw))
