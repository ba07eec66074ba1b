"""TWFE and Goodman-Bacon on mpdta vs R reference numbers (tests/reference/effects/mpdta.README.md); naive comparisons."""

from __future__ import annotations

import numpy as np
import pytest

from effects_helpers import mpdta, simulate_staggered
from fusion_study.data.checks import MissingColumnsError
from fusion_study.effects import (
    DiDSpecificationError,
    bacon_decomposition,
    naive_before_after,
    naive_treated_vs_untreated,
    staggered_did,
    twfe_event_study,
)

KW = dict(outcome="lemp", unit="countyreal", time="year", cohort="first.treat")


def test_twfe_matches_reference():
    row = twfe_event_study(mpdta(), **KW).iloc[0]
    assert row["term"] == "post"
    assert abs(row["estimate"] - (-0.036549)) < 1e-6
    assert abs(row["se"] - 0.013265) < 1e-6
    assert row["n_clusters"] == 500


def test_bacon_weights_match_reference():
    b = bacon_decomposition(mpdta(), **KW)
    w = b.groupby("type")["weight"].sum()
    assert abs(w["earlier_vs_later"] - 0.08330) < 1e-5
    assert abs(w["later_vs_earlier"] - 0.05392) < 1e-5
    assert abs(w["treated_vs_never"] - 0.86277) < 1e-5
    # the decomposition reproduces the TWFE coefficient
    assert abs((b["weight"] * b["estimate"]).sum() - (-0.036549)) < 1e-5
    assert abs(b.attrs["twfe"] - (-0.036549)) < 1e-6


def test_dynamic_twfe_reference_period_and_unbalanced():
    df = mpdta()
    dyn = twfe_event_study(df, dynamic=True, **KW)
    assert -1 not in dyn["event_time"].tolist()
    assert dyn["event_time"].tolist() == [-4, -3, -2, 0, 1, 2, 3]
    # unbalanced panel: still runs (within-unit demeaning is exact)
    sub = df.drop(index=df.index[::7])
    assert np.isfinite(twfe_event_study(sub, **KW)["estimate"].iloc[0])


def test_twfe_biased_and_cs_unbiased_with_dynamic_effects():
    """Effects that grow with time since treatment: TWFE's forbidden comparisons
    bias it downward, CS-DiD recovers the truth (simple aggregation)."""
    df = simulate_staggered(n_units=4000, seed=5, effect=0.2, dynamic=0.4, selection=1.0)
    truth = df.loc[df["tau"] != 0, "tau"].mean()
    cs = staggered_did(df, outcome="y", unit="id", time="t", cohort="g").aggregate("simple").iloc[0]
    tw = twfe_event_study(df, outcome="y", unit="id", time="t", cohort="g").iloc[0]
    assert abs(cs["estimate"] - truth) < 3 * cs["se"]
    assert abs(tw["estimate"] - truth) > 5 * tw["se"]
    ba = naive_before_after(df, outcome="y", time="t", cohort="g").iloc[0]
    tu = naive_treated_vs_untreated(df, outcome="y", time="t", cohort="g").iloc[0]
    assert abs(ba["estimate"] - truth) > 5 * ba["se"]  # secular trend
    assert abs(tu["estimate"] - truth) > 5 * tu["se"]  # early adopters stronger


def test_errors():
    df = mpdta()
    with pytest.raises(MissingColumnsError, match=r"lacks column\(s\) \['y'\]"):
        twfe_event_study(df, outcome="y", unit="countyreal", time="year", cohort="first.treat")
    df["one"] = 1
    with pytest.raises(DiDSpecificationError, match="single cluster"):
        twfe_event_study(df, cluster="one", **KW)
