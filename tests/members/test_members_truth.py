"""Simulator truth recovered by the members / brands / problems analyses (bundled example study, preset p_city)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from fusion_study import load_study
from fusion_study.brands.distinctiveness import brand_distinctiveness
from fusion_study.members import RaterLeniency, member_profiles
from fusion_study.data.paths import example_study_path
from fusion_study.problems.tickets import branch_launch_periods, launch_hazard_ratio, ticket_durations
from fusion_study.simulate import Truth, simulate_study


@pytest.fixture(scope="module")
def example():
    path = example_study_path()
    return load_study(path), Truth.load(path / "truth.json")


def test_ticket_hazard_ratio_ci_covers_truth(example):
    study, truth = example
    launches = branch_launch_periods(study.units, study.interventions, "problem_mechanism")
    d = ticket_durations(study.tickets, launches=launches)
    hr = launch_hazard_ratio(d).set_index("term").loc["after_launch"]
    true_hr = truth.tickets["hazard_ratio"]
    assert hr["ci_lower"] < true_hr < hr["ci_upper"], hr.to_dict()
    # the simulator's own launch flag agrees with ours ticket by ticket count
    assert int(d["after_launch"].sum()) == truth.tickets["n_after_launch"]


def test_rater_leniency_recovered_within_ci(example):
    study, truth = example
    f = RaterLeniency().fit(study.evaluations).to_frame().set_index("rater_type")
    centre = np.mean(list(truth.rater_leniency.values()))
    for rater, value in truth.rater_leniency.items():
        t = value - centre  # our leniencies are relative to the average rater type
        assert f.loc[rater, "ci_lower"] < t < f.loc[rater, "ci_upper"], (rater, t, f.loc[rater].to_dict())


def _precision_recall(flags, truth_branches):
    m = flags.merge(truth_branches[["branch_id", "brand_type"]], on="branch_id")
    out = {}
    for k in ("distinctive", "generic", "copied"):
        pred, true = m["flag"] == k, m["brand_type"] == k
        out[k] = ((pred & true).sum() / max(pred.sum(), 1), (pred & true).sum() / max(true.sum(), 1))
    return out, len(m)


def test_brand_flags_match_generated_types(example):
    study, truth = example
    pr, n = _precision_recall(brand_distinctiveness(study.brands), truth.branches)
    assert n == len(study.brands)
    for k, (p, r) in pr.items():
        assert p >= 0.9 and r >= 0.9, (k, p, r)


def test_brand_flags_on_more_p_city_draws():
    """Pooled over three more draws of the p_city preset (more brands than one city has)."""
    flags, types = [], []
    for seed in (1, 2, 3):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            study, truth = simulate_study("p_city", seed=seed)
        f = brand_distinctiveness(study.brands)
        f["branch_id"] = f"s{seed}_" + f["branch_id"]
        t = truth.branches.assign(branch_id=f"s{seed}_" + truth.branches["branch_id"])
        flags.append(f)
        types.append(t)
    pr, n = _precision_recall(pd.concat(flags), pd.concat(types))
    assert n >= 50
    for k, (p, r) in pr.items():
        assert p >= 0.9 and r >= 0.9, (k, p, r)


def test_points_composite_tracks_true_skill(example):
    study, truth = example
    prof = member_profiles(study.member_points, n_boot=0)
    m = prof.groupby("member_id")["composite"].mean().rename("composite").reset_index()
    m = m.merge(truth.member_skill, on="member_id")
    assert m["composite"].corr(m["skill"]) > 0.5
