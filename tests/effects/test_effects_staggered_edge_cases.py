"""Edge cases of staggered_did named in the issue: each must give an error (or warning) that says
what is wrong, where (cohort, period, covariate) and what to do. The basic cases (never-treated
missing with control='never', first-period cohort, one cluster, separation on panels, RC empty
cells) are in test_effects_staggered.py; these add the messages' content and the remaining paths."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from effects_helpers import mpdta
from fusion_study.effects import DiDSpecificationError, UnbalancedPanelWarning, staggered_did
from fusion_study.effects.staggered import EmptyCellWarning


def _fit(df, **kw):
    opts = dict(outcome="lemp", unit="countyreal", time="year", cohort="first.treat", control="never")
    opts.update(kw)
    return staggered_did(df, **opts)


def test_single_cohort_without_comparison_names_cohort_and_remedy():
    df = mpdta()
    with pytest.raises(DiDSpecificationError) as err:
        _fit(df[df["first.treat"] == 2006], control="notyet")
    msg = str(err.value)
    assert "cohort(s) [2006]" in msg and "'first.treat'" in msg
    assert "no unit is never treated" in msg and "Add never-treated or later-treated units" in msg
    with pytest.raises(DiDSpecificationError, match="use control='notyet'"):
        _fit(df[df["first.treat"] > 0], control="never")


def test_first_period_cohort_names_cohort_period_and_remedy():
    df = mpdta()
    df.loc[df["first.treat"] == 2004, "first.treat"] = 2003
    with pytest.raises(DiDSpecificationError) as err:
        _fit(df)
    msg = str(err.value)
    assert "[2003.0]" in msg and "first observed period 2003" in msg and "Drop these units" in msg
    # anticipation moves the boundary: cohort 2004 has no pre-period when units react a year early
    with pytest.raises(DiDSpecificationError, match="anticipation=1"):
        _fit(mpdta(), anticipation=1)


def test_single_cluster_error_names_column_and_value():
    df = mpdta().assign(branch="B01")
    with pytest.raises(DiDSpecificationError, match=r"'branch' has a single cluster \('B01'\)"):
        _fit(df, cluster="branch")


@pytest.mark.parametrize("panel", [True, False])
def test_complete_separation_names_cell_and_covariate(panel):
    df = mpdta()
    df["sep"] = (df["first.treat"] == 2004) + np.random.default_rng(0).normal(0, 0.01, len(df))
    df["rid"] = np.arange(len(df))
    with pytest.raises(DiDSpecificationError) as err:
        _fit(df, covariates=["sep"], panel=panel, unit="countyreal" if panel else "rid")
    msg = str(err.value)
    assert "ATT(g=2004, t=2004)" in msg and "perfect separation" in msg and "['sep']" in msg


def test_separation_on_a_large_scale_covariate_is_detected():
    """Coefficients stay small when the covariate is in the thousands; the fitted 0/1
    probabilities still reveal the separation."""
    df = mpdta()
    df["big"] = 1000.0 * (df["first.treat"] == 2004) + np.random.default_rng(1).normal(0, 1, len(df))
    with pytest.raises(DiDSpecificationError, match="perfect separation"):
        _fit(df, covariates=["big"])


def test_quasi_complete_separation_and_collinear_outcome_regression():
    """A dummy that is 1 only for some treated units: the logit information matrix becomes
    singular (quasi-complete separation); the comparison-group outcome regression is collinear
    (the dummy is constant there) -- both errors say so and name the covariate."""
    df = mpdta()
    half = set(df["countyreal"].unique()[::2])
    df["q"] = ((df["first.treat"] == 2004) & df["countyreal"].isin(half)).astype(float)
    with pytest.raises(DiDSpecificationError) as err:
        _fit(df, covariates=["q"], method="dr")
    assert "separation" in str(err.value) and "['q']" in str(err.value)
    with pytest.raises(DiDSpecificationError) as err:
        _fit(df, covariates=["q"], method="reg")
    msg = str(err.value)
    assert "outcome regression among comparison units" in msg and "constant or collinear" in msg
    assert "['q']" in msg


def test_empty_cells_in_unbalanced_panel_are_named_in_the_warning():
    df = mpdta()
    rng = np.random.default_rng(5)
    sub = df[~((df["first.treat"] == 2006) & (df["year"] == 2005)) & (rng.random(len(df)) > 0.02)]
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        res = _fit(sub)
    cats = {w.category for w in rec}
    assert UnbalancedPanelWarning in cats and EmptyCellWarning in cats
    msg = str(next(w.message for w in rec if w.category is EmptyCellWarning))
    assert "(g=2006, t=2005): empty cell: no treated observations" in msg
    assert "collect responses" in msg
    # cohort 2006 needs 2005 as base period for every post cell and as a pre-period cell
    assert set(res.skipped_["group"]) == {2006}
    assert set(res.skipped_["time"]) == {2005, 2006, 2007}
    assert np.isfinite(res.aggregate("simple")["estimate"]).all()


def test_no_comparison_observations_in_a_period_rc():
    """Repeated cross-sections with no never-treated respondents in 2007: the 2007 cells are
    skipped with a warning naming them; the other cells are estimated."""
    df = mpdta()
    sub = df[~((df["first.treat"] == 0) & (df["year"] == 2007))].assign(rid=lambda d: np.arange(len(d)))
    with pytest.warns(EmptyCellWarning, match="no comparison observations in the post period"):
        res = _fit(sub, unit="rid", panel=False)
    assert set(res.skipped_["time"]) == {2007}
    assert res.att_gt_.query("time < 2007")["estimate"].notna().all()


@pytest.mark.parametrize("panel", [True, False])
def test_small_scale_covariate_is_not_mistaken_for_separation(panel):
    """lpop in thousands of log units has a logit coefficient above 30 but no separation:
    the fit must equal the one on lpop (estimators are invariant to covariate scale)."""
    df = mpdta().assign(lpop_k=lambda d: d["lpop"] / 1000, rid=lambda d: np.arange(len(d)))
    unit = "countyreal" if panel else "rid"
    a = _fit(df, covariates=["lpop"], panel=panel, unit=unit).att_gt_
    b = _fit(df, covariates=["lpop_k"], panel=panel, unit=unit).att_gt_
    np.testing.assert_allclose(b[["estimate", "se"]], a[["estimate", "se"]], rtol=0, atol=1e-12)
