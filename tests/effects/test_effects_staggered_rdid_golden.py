"""Balanced-panel staggered DiD against R ``did`` 2.5.1 numbers published with diff-diff's
benchmarks (MIT): ``tests/reference/effects/did_golden_rdid.json`` (source, commit and R calls
in its ``meta`` and in the data scripts beside it).

* ``two_group``: 500 units, one cohort and never-treated units, no covariates; R's
  ``est_method="reg"`` for never-treated / not-yet-treated comparisons and varying / universal
  base periods. Without covariates ``"ipw"``, ``"reg"`` and ``"dr"`` are the same estimator, so
  all three of ours are held to R's ``reg`` numbers.
* ``with_covariates_reg`` / ``with_covariates_dr``: 402 units, cohorts 2/3/4 and
  never-treated, periods 1-4, one covariate ``X`` (R ``did``'s simulator; data transcribed from
  the same JSON); R's ``est_method="reg"`` and ``"dr"`` with ``xformla=~X``: ATT(g,t) and SEs.
* ``with_covariates_ipw``: 412 units, cohorts 2/3/4 and never-treated, periods 1-4, one
  covariate ``X`` (data from R ``did``'s simulator, transcribed from the same JSON); R's
  ``est_method="ipw"`` with ``xformla=~X``: ATT(g,t), simple, cohort and event-time
  aggregations with analytic SEs.
* ``anticipation``: 345 units, cohorts 3/4/5 and never-treated, periods 1-5, ``X``; R's
  ``est_method="dr"`` with ``anticipation=1``: ATT(g,t) and the event-time aggregation.
* ``varying_vs_universal``: 281 units, cohorts 5-8 and never-treated, periods 1-8, ``X``; R's
  ``est_method="dr"`` with varying and universal base periods: ATT(g,t) and event time.

Tolerances: R's numbers carry 10 significant digits, so points to 1e-9 absolute (the issue
asks 1e-6) and SEs to 1e-9 (the issue asks 1e-4).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fusion_study.effects import staggered_did

REF = Path(__file__).parents[1] / "reference" / "effects"
GOLDEN = json.loads((REF / "did_golden_rdid.json").read_text())
_CONTROL = {"nevertreated": "never", "notyettreated": "notyet"}


def _as_float(values):
    return np.array([np.nan if v is None else v for v in values], dtype=float)


@pytest.fixture(scope="module")
def two_group() -> pd.DataFrame:
    return pd.read_csv(REF / "did_two_group_data.csv")


@pytest.mark.parametrize("method", ["reg", "ipw", "dr"])
@pytest.mark.parametrize("spec", sorted(GOLDEN["two_group"]["results"]))
def test_two_group_att_gt_matches_r_did(two_group, spec, method):
    ref = GOLDEN["two_group"]["results"][spec]
    control, base = spec.split("-")
    res = staggered_did(
        two_group, outcome="y", unit="id", time="t", cohort="g",
        control=_CONTROL[control], base_period=base, method=method,
    )
    at = res.att_gt_
    np.testing.assert_array_equal(at["group"], ref["group"])
    np.testing.assert_array_equal(at["time"], ref["time"])
    np.testing.assert_allclose(at["estimate"], ref["att"], rtol=0, atol=1e-9)
    # R reports the universal base cell as att 0 with se NA: ours too
    np.testing.assert_allclose(at["se"], _as_float(ref["se"]), rtol=0, atol=1e-9, equal_nan=True)


# ------------------------------------------------------- covariates, est_method="reg" and "dr"
@pytest.mark.parametrize("method", ["reg", "dr"])
def test_covariate_reg_dr_att_gt_matches_r_did(method):
    df = pd.read_csv(REF / "did_reg_covariates_data.csv")
    res = staggered_did(
        df, outcome="y", unit="id", time="t", cohort="g", control="never", method=method, covariates=["X"],
    )
    ref = GOLDEN[f"with_covariates_{method}"]["group_time"]
    at = res.att_gt_
    np.testing.assert_array_equal(at["group"], ref["group"])
    np.testing.assert_array_equal(at["time"], ref["time"])
    np.testing.assert_allclose(at["estimate"], ref["att"], rtol=0, atol=1e-9)
    np.testing.assert_allclose(at["se"], ref["se"], rtol=0, atol=1e-9)


# ---------------------------------------------------------------- covariates, est_method="ipw"
@pytest.fixture(scope="module")
def ipw_fit():
    df = pd.read_csv(REF / "did_ipw_covariates_data.csv")
    return staggered_did(
        df, outcome="y", unit="id", time="t", cohort="g", control="never", method="ipw", covariates=["X"],
    )


def test_ipw_covariate_att_gt_matches_r_did(ipw_fit):
    ref = GOLDEN["with_covariates_ipw"]["group_time"]
    at = ipw_fit.att_gt_
    np.testing.assert_array_equal(at["group"], ref["group"])
    np.testing.assert_array_equal(at["time"], ref["time"])
    np.testing.assert_allclose(at["estimate"], ref["att"], rtol=0, atol=1e-9)
    np.testing.assert_allclose(at["se"], ref["se"], rtol=0, atol=1e-9)


@pytest.mark.parametrize("agg", ["simple", "group", "dynamic"])
def test_ipw_covariate_aggregations_match_r_did(ipw_fit, agg):
    ref = GOLDEN["with_covariates_ipw"][agg]
    out = ipw_fit.aggregate(agg)
    overall = out.iloc[0]
    att = ref.get("overall_att", ref.get("att"))
    se = ref.get("overall_se", ref.get("se"))
    assert overall["estimate"] == pytest.approx(att, abs=1e-9)
    assert overall["se"] == pytest.approx(se, abs=1e-9)
    if "egt" in ref:
        rows = out.iloc[1:]
        np.testing.assert_array_equal(rows["value"], ref["egt"])
        np.testing.assert_allclose(rows["estimate"], ref["att"], rtol=0, atol=1e-9)
        np.testing.assert_allclose(rows["se"], ref["se"], rtol=0, atol=1e-9)


# ------------------------------------------------------------ anticipation = 1, est_method="dr"
@pytest.fixture(scope="module")
def anticipation_fit():
    df = pd.read_csv(REF / "did_anticipation_data.csv")
    return staggered_did(
        df, outcome="y", unit="id", time="t", cohort="g", control="never", method="dr", covariates=["X"],
        anticipation=1,
    )


def test_anticipation_att_gt_matches_r_did(anticipation_fit):
    ref = GOLDEN["anticipation"]["group_time"]
    at = anticipation_fit.att_gt_
    np.testing.assert_array_equal(at["group"], ref["group"])
    np.testing.assert_array_equal(at["time"], ref["time"])
    np.testing.assert_allclose(at["estimate"], ref["att"], rtol=0, atol=1e-9)
    np.testing.assert_allclose(at["se"], ref["se"], rtol=0, atol=1e-9)


def test_anticipation_dynamic_matches_r_did(anticipation_fit):
    ref = GOLDEN["anticipation"]["dynamic"]
    out = anticipation_fit.aggregate("dynamic")
    assert out["estimate"].iloc[0] == pytest.approx(ref["overall_att"], abs=1e-9)
    assert out["se"].iloc[0] == pytest.approx(ref["overall_se"], abs=1e-9)
    np.testing.assert_array_equal(out["value"].iloc[1:], ref["egt"])
    np.testing.assert_allclose(out["estimate"].iloc[1:], ref["att"], rtol=0, atol=1e-9)
    np.testing.assert_allclose(out["se"].iloc[1:], ref["se"], rtol=0, atol=1e-9)


# ------------------------------------------- varying vs universal base period, est_method="dr"
@pytest.mark.parametrize("base", ["varying", "universal"])
def test_base_period_att_gt_and_dynamic_match_r_did(base):
    df = pd.read_csv(REF / "did_universal_data.csv")
    res = staggered_did(
        df, outcome="y", unit="id", time="t", cohort="g", control="never", method="dr", covariates=["X"],
        base_period=base,
    )
    ref = GOLDEN["varying_vs_universal"][f"{base}_gt"]
    at = res.att_gt_
    np.testing.assert_array_equal(at["group"], ref["group"])
    np.testing.assert_array_equal(at["time"], ref["time"])
    np.testing.assert_allclose(at["estimate"], ref["att"], rtol=0, atol=1e-9)
    np.testing.assert_allclose(at["se"], _as_float(ref["se"]), rtol=0, atol=1e-9, equal_nan=True)
    dyn = GOLDEN["varying_vs_universal"][f"{base}_dynamic"]
    out = res.aggregate("dynamic")
    assert out["estimate"].iloc[0] == pytest.approx(dyn["overall_att"], abs=1e-9)
    assert out["se"].iloc[0] == pytest.approx(dyn["overall_se"], abs=1e-9)
    np.testing.assert_array_equal(out["value"].iloc[1:], dyn["egt"])
    np.testing.assert_allclose(out["estimate"].iloc[1:], dyn["att"], rtol=0, atol=1e-9)
    # the universal reference event time (e = -1) has no SE, as in R (NA)
    np.testing.assert_allclose(out["se"].iloc[1:], _as_float(dyn["se"]), rtol=0, atol=1e-9, equal_nan=True)


def _r_did_simple_and_group(att_gt: pd.DataFrame, cohort_share: dict) -> tuple[float, dict, float]:
    """R ``did`` 2.5 ``aggte`` weights, written out from its documentation and code: the simple
    aggregate is the mean of the post-treatment cells t >= g weighted by cohort share P(G = g);
    the group aggregate averages each cohort's post cells t >= g with equal weights, then the
    cohorts with weights P(G = g). Nothing depends on ``anticipation`` except the cells' values."""
    post = att_gt[att_gt["time"] >= att_gt["group"]]
    w = post["group"].map(cohort_share)
    simple = float((w * post["att"]).sum() / w.sum())
    by_g = post.groupby("group")["att"].mean().to_dict()
    pg = np.array([cohort_share[g] for g in by_g])
    overall = float(pg @ np.array(list(by_g.values())) / pg.sum())
    return simple, by_g, overall


def test_anticipation_simple_and_group_average_post_cells_as_r_did(anticipation_fit):
    """``anticipation=1``, simple and cohort aggregations against R ``did`` 2.5.

    No stored R number exists for these two aggregations with anticipation (diff-diff's golden file
    holds only ATT(g,t) and the event-time aggregation for this scenario), so the expected values
    are derived from R's own ATT(g,t) (``did_golden_rdid.json``) with R's documented aggregation
    weights (cohort-size weights over the post-treatment cells t >= g; see
    :func:`_r_did_simple_and_group`). The old behaviour, averaging t >= g - anticipation, fails here.
    """
    df = pd.read_csv(REF / "did_anticipation_data.csv")
    units = df.drop_duplicates("id")
    share = (units["g"].value_counts() / len(units)).to_dict()
    ref = GOLDEN["anticipation"]["group_time"]
    r_cells = pd.DataFrame({"group": ref["group"], "time": ref["time"], "att": ref["att"]})
    simple, by_g, overall = _r_did_simple_and_group(r_cells, share)
    ours_simple = anticipation_fit.aggregate("simple")["estimate"].iloc[0]
    assert ours_simple == pytest.approx(simple, abs=1e-9)
    grp = anticipation_fit.aggregate("group")
    assert grp["estimate"].iloc[0] == pytest.approx(overall, abs=1e-9)
    got = grp[grp["term"] == "group"].set_index("value")["estimate"]
    for g, v in by_g.items():
        assert got[g] == pytest.approx(v, abs=1e-9)
    # the rule matters here: averaging t >= g - 1 as well gives another number
    shifted = {g - 1: s for g, s in share.items()}
    old, _, _ = _r_did_simple_and_group(r_cells.assign(group=r_cells["group"] - 1), shifted)
    assert abs(old - simple) > 1e-3
