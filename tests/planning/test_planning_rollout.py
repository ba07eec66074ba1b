"""The randomised staggered rollout (:mod:`fusion_study.planning.rollout`).

``plan_rollout`` must be deterministic for a seed, honour its constraints and give schedules in
which every intervention is separable; ``separability`` must flag co-timed schedules, and its
fixed-effects-adjusted design must agree with an explicit dummy-variable regression matrix.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from fusion_study.data.checks import MissingColumnsError
from fusion_study.planning import plan_rollout, separability

BRANCHES = [f"B{i:02d}" for i in range(12)]
INTERVENTIONS = ["hotline", "visits", "brand"]


def _units() -> pd.DataFrame:
    return pd.DataFrame({
        "unit_id": ["C", "K1", "K2", "B1", "B2", "B3", "B4", "B5"],
        "level": ["city", "county", "county", "branch", "branch", "branch", "branch", "branch"],
        "parent_id": [None, "C", "C", "K1", "K1", "K1", "K2", "K2"],
    })


def _wide(plan: pd.DataFrame) -> pd.DataFrame:
    return plan.pivot(index="unit_id", columns="intervention", values="start_wave")


def test_same_seed_same_plan_and_generator_accepted():
    a = plan_rollout(BRANCHES, interventions=INTERVENTIONS, waves=6, seed=11)
    b = plan_rollout(BRANCHES, interventions=INTERVENTIONS, waves=6, seed=11)
    pd.testing.assert_frame_equal(a, b)
    c = plan_rollout(BRANCHES, interventions=INTERVENTIONS, waves=6, seed=np.random.default_rng(11))
    pd.testing.assert_frame_equal(a, c)
    others = [plan_rollout(BRANCHES, interventions=INTERVENTIONS, waves=6, seed=s) for s in range(1, 6)]
    assert any(not o.equals(a) for o in others)


def test_plan_shape_and_order():
    plan = plan_rollout(BRANCHES, interventions=INTERVENTIONS, waves=6, seed=3)
    assert list(plan.columns) == ["unit_id", "intervention", "start_wave"]
    assert plan["unit_id"].tolist() == [b for b in BRANCHES for _ in INTERVENTIONS]
    assert plan["intervention"].tolist() == INTERVENTIONS * len(BRANCHES)
    assert plan["start_wave"].dtype == np.int64
    assert plan["start_wave"].between(1, 5).all()
    assert plan.attrs["waves"] == 6


def test_each_branch_starts_one_intervention_at_a_time_and_all_are_separable():
    for seed in range(10):
        plan = plan_rollout(BRANCHES, interventions=INTERVENTIONS, waves=5, seed=seed)
        wide = _wide(plan)
        assert (wide.nunique(axis=1) == len(INTERVENTIONS)).all()      # distinct start waves per branch
        diag = separability(plan)
        assert diag["intervention"].tolist() == INTERVENTIONS
        assert diag["separable"].all()
        assert (diag["n_separable"] == len(BRANCHES)).all()
        assert (diag["n_switch_on"] == len(BRANCHES)).all()
        assert np.isfinite(diag["condition_number"]).all() and np.isfinite(diag["vif"]).all()
        # timing varies between branches for every intervention (else the wave effects absorb it)
        assert (wide.nunique(axis=0) > 1).all()


def test_orders_are_randomised_and_balanced():
    plan = plan_rollout(BRANCHES, interventions=INTERVENTIONS, waves=8, seed=5)
    rank = _wide(plan).rank(axis=1).astype(int)          # 1 = the branch's first intervention
    # a Latin square over 12 branches: each intervention first, second, third in exactly 4 branches
    for k in INTERVENTIONS:
        assert rank[k].value_counts().to_dict() == {1: 4, 2: 4, 3: 4}
    # not the same order everywhere
    assert rank.drop_duplicates().shape[0] > 1


def test_units_table_schedules_only_branches():
    plan = plan_rollout(_units(), interventions="hotline", waves=4, seed=0)
    assert sorted(plan["unit_id"].unique()) == ["B1", "B2", "B3", "B4", "B5"]
    assert plan["intervention"].unique().tolist() == ["hotline"]
    assert separability(plan)["separable"].all()


def test_max_new_per_wave_is_honoured():
    # 12 branches x 3 interventions = 36 starts over 6 start waves: 6 per wave is the minimum
    plan = plan_rollout(BRANCHES, interventions=INTERVENTIONS, waves=7, max_new_per_wave=6, seed=2)
    assert plan["start_wave"].value_counts().max() <= 6
    plan = plan_rollout(BRANCHES, interventions=INTERVENTIONS, waves=10, max_new_per_wave=5, seed=2)
    assert plan["start_wave"].value_counts().max() <= 5
    with pytest.raises(ValueError, match=r"36 starts do not fit in 6 start waves with max_new_per_wave=5; "
                                         r"allow at least 6 starts per wave, or plan at least 9 waves"):
        plan_rollout(BRANCHES, interventions=INTERVENTIONS, waves=7, max_new_per_wave=5, seed=2)
    # the advice holds: 9 waves with 5 per wave works
    assert plan_rollout(BRANCHES, interventions=INTERVENTIONS, waves=9, max_new_per_wave=5, seed=2)[
        "start_wave"].value_counts().max() <= 5


def test_many_small_designs_are_separable():
    for n_b in (2, 3, 5):
        for n_k in (1, 2, 3):
            for w in (n_k + 2, n_k + 3):
                plan = plan_rollout([f"b{i}" for i in range(n_b)], interventions=[f"i{k}" for k in range(n_k)],
                                    waves=w, seed=n_b * 100 + n_k * 10 + w)
                assert separability(plan)["separable"].all(), (n_b, n_k, w)


@pytest.mark.parametrize("kw, match", [
    ({"units": BRANCHES, "interventions": INTERVENTIONS, "waves": 4},
     r"3 intervention\(s\) need at least 5 waves .* got waves=4"),
    ({"units": ["B1"], "interventions": ["a"], "waves": 4}, "at least 2 branches"),
    ({"units": ["B1", "B2", "B1"], "interventions": ["a"], "waves": 4}, r"repeated: \['B1'\]"),
    ({"units": BRANCHES, "interventions": ["a", "a"], "waves": 5}, r"intervention names must be unique; repeated: \['a'\]"),
    ({"units": BRANCHES, "interventions": [], "waves": 5}, "at least one intervention"),
    ({"units": BRANCHES, "interventions": ["a"], "waves": 4.5}, "waves must be a whole number"),
    ({"units": BRANCHES, "interventions": ["a"], "waves": 4, "max_new_per_wave": 0}, "max_new_per_wave must be >= 1"),
    ({"units": "B1", "interventions": ["a"], "waves": 4}, "units must be a units table or a list"),
])
def test_plan_rollout_errors(kw, match):
    with pytest.raises(ValueError, match=match):
        plan_rollout(**kw, seed=0)


def test_plan_rollout_units_table_errors():
    with pytest.raises(MissingColumnsError, match=r"table 'units' lacks column\(s\) \['level'\]"):
        plan_rollout(pd.DataFrame({"unit_id": ["B1", "B2"]}), interventions=["a"], waves=4)
    counties = _units().query("level != 'branch'")
    with pytest.raises(ValueError, match=r"no unit with level 'branch'.*\['city', 'county'\]"):
        plan_rollout(counties, interventions=["a"], waves=4)


# --- separability ----------------------------------------------------------------------------------

def test_co_timed_schedule_is_not_separable():
    # staggered across branches, but both interventions start together in every branch
    plan = pd.DataFrame({"unit_id": np.repeat(["B1", "B2", "B3"], 2), "intervention": ["a", "b"] * 3,
                         "start_wave": [1, 1, 2, 2, 3, 3]})
    diag = separability(plan, waves=4)
    assert diag["n_switch_on"].tolist() == [3, 3]
    assert diag["n_separable"].tolist() == [0, 0]
    assert math.isinf(diag.loc[0, "condition_number"]) and np.isinf(diag["vif"]).all()
    assert not diag["separable"].any()


def test_same_wave_everywhere_is_not_separable_despite_alone_switch_ons():
    # 'a' switches on alone in every branch, but at wave 1 everywhere: the wave effects absorb it
    plan = pd.DataFrame({"unit_id": ["B1", "B1", "B2", "B2"], "intervention": ["a", "b", "a", "b"],
                         "start_wave": [1, 2, 1, 3]})
    diag = separability(plan, waves=4)
    assert diag["n_separable"].tolist() == [2, 2]
    assert not diag["separable"].any() and math.isinf(diag.loc[0, "condition_number"])


def test_single_intervention_two_branches_hand_numbers():
    plan = pd.DataFrame({"unit_id": ["B1", "B2"], "intervention": ["a", "a"], "start_wave": [1, 2]})
    diag = separability(plan, waves=3)
    assert diag.loc[0, "condition_number"] == pytest.approx(1.0, abs=1e-12)
    assert diag.loc[0, "vif"] == pytest.approx(1.0, abs=1e-12)
    assert bool(diag.loc[0, "separable"])


def _dummy_design(plan: pd.DataFrame, waves: int) -> tuple[np.ndarray, int]:
    """[branch dummies | wave dummies (wave 0 dropped) | exposures] of the balanced panel, built row by row."""
    units = list(pd.unique(plan["unit_id"]))
    names = list(pd.unique(plan["intervention"]))
    start = {(r.unit_id, r.intervention): r.start_wave for r in plan.itertuples()}
    rows = []
    for i, u in enumerate(units):
        for w in range(waves):
            branch = [1.0 if j == i else 0.0 for j in range(len(units))]
            wave = [1.0 if v == w else 0.0 for v in range(1, waves)]
            s = [start.get((u, k), np.nan) for k in names]
            rows.append(branch + wave + [1.0 if (not np.isnan(x) and w >= x) else 0.0 for x in s])
    return np.asarray(rows), len(names)


def test_vif_and_rank_agree_with_the_dummy_variable_regression():
    plan = plan_rollout(BRANCHES[:7], interventions=INTERVENTIONS, waves=6, seed=9)
    diag = separability(plan)
    x, n_k = _dummy_design(plan, 6)
    assert np.linalg.matrix_rank(x) == x.shape[1]
    # Frisch–Waugh–Lovell: [(X'X)^-1]_kk = 1 / ||x̃_k||² · VIF_k, with x̃_k the exposure net of the fixed effects
    inv = np.linalg.inv(x.T @ x)[-n_k:, -n_k:]
    fe = x[:, :-n_k]
    resid = x[:, -n_k:] - fe @ np.linalg.lstsq(fe, x[:, -n_k:], rcond=None)[0]
    vif = np.diag(inv) * (resid ** 2).sum(axis=0)
    np.testing.assert_allclose(diag["vif"].to_numpy(), vif, rtol=1e-9)
    # and the co-timed schedule is rank deficient in the full design too
    co = pd.DataFrame({"unit_id": np.repeat(["B1", "B2", "B3"], 2), "intervention": ["a", "b"] * 3,
                       "start_wave": [1, 1, 2, 2, 3, 3]})
    x, _ = _dummy_design(co, 4)
    assert np.linalg.matrix_rank(x) < x.shape[1]


def test_never_started_and_missing_rows_count_as_never():
    plan = pd.DataFrame({"unit_id": ["B1", "B2", "B3"], "intervention": ["a", "a", "a"],
                         "start_wave": [1, 2, None]})
    diag = separability(plan, waves=3)
    assert diag.loc[0, "n_switch_on"] == 2 and bool(diag.loc[0, "separable"])
    # wave default: the latest start + 1
    assert separability(plan.iloc[:2])["condition_number"].iloc[0] == pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize("plan, match", [
    (pd.DataFrame({"unit_id": ["B1", "B1"], "intervention": ["a", "a"], "start_wave": [1, 2]}),
     r"two start waves for one intervention \(plan rows \[0, 1\]\)"),
    (pd.DataFrame({"unit_id": ["B1", "B2"], "intervention": ["a", "a"], "start_wave": [1, 1.5]}),
     r"plan row 1, column 'start_wave' = 1.5 is not a wave number"),
    (pd.DataFrame({"unit_id": ["B1", "B2"], "intervention": ["a", "a"], "start_wave": [1, 5]}),
     r"plan row 1, 'start_wave' = 5 is after the last wave 3 \(waves=4\)"),
])
def test_separability_bad_plans(plan, match):
    with pytest.raises(ValueError, match=match):
        separability(plan, waves=4)


def test_separability_missing_columns():
    with pytest.raises(MissingColumnsError, match=r"table 'plan' lacks column\(s\) \['start_wave'\]"):
        separability(pd.DataFrame({"unit_id": ["B1"], "intervention": ["a"]}))


def test_hold_out_branches_start_nothing_and_the_rest_is_a_full_schedule():
    plan = plan_rollout(BRANCHES, interventions=INTERVENTIONS, waves=6, hold_out=3, seed=4)
    assert plan["unit_id"].drop_duplicates().tolist() == BRANCHES  # every branch, in the order given
    wide = _wide(plan)
    held = wide.index[wide.isna().all(axis=1)]
    assert len(held) == 3
    started = wide.drop(index=held)
    assert started.notna().all().all() and started.apply(lambda r: r.nunique() == len(INTERVENTIONS), axis=1).all()
    assert separability(plan)["separable"].all()
    again = plan_rollout(BRANCHES, interventions=INTERVENTIONS, waves=6, hold_out=3, seed=4)
    pd.testing.assert_frame_equal(plan, again)
    assert plan_rollout(BRANCHES, interventions=INTERVENTIONS, waves=6, hold_out=0, seed=4).equals(
        plan_rollout(BRANCHES, interventions=INTERVENTIONS, waves=6, seed=4))


def test_hold_out_must_leave_two_branches():
    with pytest.raises(ValueError, match="hold out at most 10"):
        plan_rollout(BRANCHES, interventions=["a"], waves=4, hold_out=11, seed=1)
    with pytest.raises(ValueError, match="hold_out must be >= 0"):
        plan_rollout(BRANCHES, interventions=["a"], waves=4, hold_out=-1, seed=1)
