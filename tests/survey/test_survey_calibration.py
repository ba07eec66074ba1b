"""Calibration information on raked / post-stratified weights and replicate weights: what is picked up,
what is refused (with an error naming the rule), determinism of the seeded bootstrap, and the
bootstrap variance against the jackknife and linearisation on a known simulated design."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fusion_study.survey import (
    Calibration,
    RakingConvergenceWarning,
    ReplicateWeights,
    poststratify,
    rake,
    replicate_weights,
    survey_mean,
)

REF = Path(__file__).parents[1] / "reference" / "survey"


@pytest.fixture(scope="module")
def api():
    return pd.read_csv(REF / "apiclus1.csv"), pd.read_csv(REF / "apipop.csv")


def test_rake_and_poststratify_attach_calibration(api):
    data, pop = api
    w = rake(data, pop, margins=["stype", "sch_wide"], weight="pw")
    cal = w.attrs["calibration"]
    assert isinstance(cal, Calibration) and cal.method == "rake"
    assert cal.margins == (("stype",), ("sch_wide",))
    assert [t.sum() for t in cal.totals] == [len(pop), len(pop)]
    assert repr(cal) == "Calibration(method='rake', margins=[['stype'], ['sch_wide']])"
    p = poststratify(data, pop, by=["stype", "sch_wide"], weight="pw")
    assert p.attrs["calibration"].margins == (("stype", "sch_wide"),)


def test_calibration_lowers_the_se_when_y_follows_the_margins(api):
    data, pop = api
    # a variable that is almost a function of the margin: calibration removes nearly all its variance
    d = data.assign(y=(data["stype"] == "E") * 100.0 + np.linspace(0.0, 1.0, len(data)))
    w = poststratify(d, pop, by="stype", weight="pw")
    cal = survey_mean(d, "y", weights=w, cluster="dnum").iloc[0]
    fixed = survey_mean(d, "y", weights=w, cluster="dnum", calibration=None).iloc[0]
    assert cal["estimate"] == fixed["estimate"]
    assert cal["se"] < 0.05 * fixed["se"]


def test_changed_or_subset_weights_are_refused(api):
    data, pop = api
    w = rake(data, pop, margins=["stype", "sch_wide"], weight="pw")
    with pytest.raises(ValueError, match="no longer reproduce the population counts of \\['stype'\\]"):
        survey_mean(data, "api00", weights=w.clip(upper=w.quantile(0.5)), cluster="dnum")
    sub = data.iloc[:100]
    with pytest.raises(ValueError, match="subset after calibration"):
        survey_mean(sub, "api00", weights=w, cluster="dnum")
    with pytest.raises(ValueError, match="has no column \\['sch_wide'\\]"):
        survey_mean(data.drop(columns="sch_wide"), "api00", weights=w, cluster="dnum")
    with pytest.raises(ValueError, match="calibration must be 'auto', None or the Calibration"):
        survey_mean(data, "api00", weights=w, calibration=["stype"])
    # an explicit None still works on the changed weights (taken as fixed)
    assert survey_mean(sub, "api00", weights=w, cluster="dnum", calibration=None)["se"].iloc[0] > 0


def test_unconverged_raking_attaches_no_calibration(api):
    data, pop = api
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RakingConvergenceWarning)
        w = rake(data, pop, margins=["stype", "sch_wide", "awards"], weight="pw", max_iter=1)
    assert "calibration" not in w.attrs


def test_replicate_option_errors(api):
    data, _ = api
    with pytest.raises(ValueError, match="jk1' is for an unstratified design"):
        replicate_weights(data, method="jk1", cluster="dnum", strata="stype")
    with pytest.raises(ValueError, match="needs strata="):
        replicate_weights(data, method="jkn", cluster="dnum")
    with pytest.raises(ValueError, match="need a seed"):
        survey_mean(data, "api00", weights="pw", cluster="dnum", replicates="bootstrap")
    with pytest.raises(ValueError, match="replicates"):
        survey_mean(data, "api00", weights="pw", cluster="dnum", replicates="brr")
    rw = replicate_weights(data, method="jk1", cluster="dnum")
    with pytest.raises(ValueError, match="omit cluster="):
        survey_mean(data, "api00", weights="pw", cluster="dnum", replicates=rw)
    with pytest.raises(ValueError, match="made for 183 other row"):
        survey_mean(data.iloc[:50], "api00", weights="pw", replicates=rw)
    with pytest.raises(ValueError, match="factors must be an"):
        ReplicateWeights(factors=np.ones(5), scale=1.0, rscales=1.0)
    assert repr(rw) == "ReplicateWeights(method='jk1', n=183, replicates=15, mse=False)"


def test_bootstrap_is_seeded_and_agrees_with_linearisation_on_a_known_design():
    rng = np.random.default_rng(5)
    n_psu, m = 60, 8
    psu = np.repeat(np.arange(n_psu), m)
    y = rng.normal(size=n_psu)[psu] + rng.normal(size=n_psu * m)
    d = pd.DataFrame({"psu": psu, "y": y, "w": 1.0 + (psu % 3)})
    a = replicate_weights(d, method="bootstrap", cluster="psu", replicates=400, seed=11)
    b = replicate_weights(d, method="bootstrap", cluster="psu", replicates=400, seed=11)
    assert np.array_equal(a.factors, b.factors)
    # every replicate draws n PSUs, constant within a PSU
    per_psu = a.factors[::m]
    assert np.all(per_psu.sum(axis=0) == n_psu) and np.all(a.factors == per_psu[psu])
    boot = survey_mean(d, "y", weights="w", replicates=a)["se"].iloc[0]
    lin = survey_mean(d, "y", weights="w", cluster="psu")["se"].iloc[0]
    jk = survey_mean(d, "y", weights="w", cluster="psu", replicates="jk1")["se"].iloc[0]
    assert jk == pytest.approx(lin, rel=0.05)  # jackknife ≈ linearisation for a smooth ratio
    # 400 replicates: the SE of a bootstrap variance estimate is about sqrt(2/400) ≈ 7% of it
    assert boot == pytest.approx(lin, rel=0.12)


@pytest.mark.parametrize("calibrate", ["rake", "poststratify", "none"])
def test_row_psu_variance_path_equals_the_dense_one(monkeypatch, calibrate):
    """Large unclustered data take a path that never builds the rows × domains table: same SEs."""
    import fusion_study.survey.design as design

    data, pop = pd.read_csv(REF / "apistrat.csv"), pd.read_csv(REF / "apipop.csv")
    w = {"rake": lambda: rake(data, pop, margins=["stype", "sch_wide", "awards"], weight="pw"),
         "poststratify": lambda: poststratify(data, pop, by=["stype", "sch_wide"], weight="pw"),
         "none": lambda: data["pw"]}[calibrate]()
    for by, y in ((None, "api00"), ("dnum", "api00"), ("sch_wide", "awards")):
        dense = survey_mean(data, y, weights=w, strata="stype", fpc="fpc", by=by)
        monkeypatch.setattr(design, "DENSE_LIMIT", 0)
        by_row = survey_mean(data, y, weights=w, strata="stype", fpc="fpc", by=by)
        monkeypatch.undo()
        np.testing.assert_allclose(by_row["se"], dense["se"], rtol=1e-10, atol=1e-12)
