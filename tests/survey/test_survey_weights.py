"""Raking, post-stratification and weight diagnostics: margins reproduced, caps held,
closed forms, and errors that name the column and values (no silent drops)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from fusion_study import example_study_path, load_study
from fusion_study.survey import RakingConvergenceWarning, poststratify, rake, weight_diagnostics


@pytest.fixture(scope="module")
def study_frames():
    s = load_study(example_study_path())
    customers = s.tables["customers"]
    wave = s.tables["customer_survey"].query("wave == '2022Q1'")
    return wave.merge(customers, on="customer_id", how="left"), customers


def _margin_gap(responses, customers, w, col):
    got = w.groupby(responses[col].to_numpy()).sum()
    want = customers[col].value_counts().astype(float)
    return (got.reindex(want.index) / want - 1.0).abs().max()


def test_rake_reproduces_population_margins(study_frames):
    responses, customers = study_frames
    w = rake(responses, customers, margins=["county_id", "segment"])
    assert w.index.equals(responses.index) and w.name == "weight"
    assert w.sum() == pytest.approx(len(customers), rel=1e-10)
    for col in ("county_id", "segment"):
        assert _margin_gap(responses, customers, w, col) < 1e-10
    # the sample is not self-weighting, so raking changed something
    assert w.max() / w.min() > 1.05


def test_rake_three_margins_with_base_weights(study_frames):
    responses, customers = study_frames
    r = responses.assign(base=np.linspace(1.0, 3.0, len(responses)))
    w = rake(r, customers, margins=["county_id", "segment", "branch_id"], weight="base")
    for col in ("county_id", "segment", "branch_id"):
        assert _margin_gap(r, customers, w, col) < 1e-10


def test_rake_trim_caps_weights_and_keeps_margins(study_frames):
    responses, customers = study_frames
    untrimmed = rake(responses, customers, margins=["county_id", "segment"])
    ratio = untrimmed / untrimmed.mean()
    lo, hi = 0.8, 1.2
    assert ratio.min() < lo  # the lower cap binds
    w = rake(responses, customers, margins=["county_id", "segment"], trim=(lo, hi))
    r = w / w.mean()
    assert r.max() <= hi * (1 + 1e-9) and r.min() >= lo * (1 - 1e-9)
    assert r.min() == pytest.approx(lo, rel=1e-6)  # some weights sit on the cap
    for col in ("county_id", "segment"):
        assert _margin_gap(responses, customers, w, col) < 1e-10


def test_rake_infeasible_trim_warns():
    pop = pd.DataFrame({"g": ["a"] * 90 + ["b"] * 10})
    resp = pd.DataFrame({"g": ["a"] * 10 + ["b"] * 90})
    with pytest.warns(RakingConvergenceWarning, match="trim"):
        rake(resp, pop, margins=["g"], trim=(0.5, 2.0), max_iter=20)


def test_rake_converged_does_not_warn(study_frames):
    responses, customers = study_frames
    with warnings.catch_warnings():
        warnings.simplefilter("error", RakingConvergenceWarning)
        rake(responses, customers, margins=["county_id", "segment"])


def test_poststratify_reproduces_cell_counts(study_frames):
    responses, customers = study_frames
    by = ["county_id", "segment"]
    w = poststratify(responses, customers, by=by)
    got = w.groupby([responses[c].to_numpy() for c in by]).sum()
    want = customers.groupby(by).size().astype(float)
    np.testing.assert_allclose(got.to_numpy(), want.reindex(list(got.index)).to_numpy(), rtol=1e-12)
    assert len(got) == len(want)
    # within a cell, all weights are N_g / n_g
    n_g = responses.groupby(by).size()
    first = responses.assign(w=w.to_numpy()).groupby(by)["w"].agg(["min", "max"])
    np.testing.assert_allclose(first["min"], (want / n_g).reindex(first.index), rtol=1e-12)
    np.testing.assert_allclose(first["max"], first["min"], rtol=1e-12)


def test_weight_diagnostics_closed_forms():
    d = weight_diagnostics(pd.Series([1.0, 1.0, 2.0, 4.0])).iloc[0]
    # sum 8, sum of squares 22: Kish deff = n Σw²/(Σw)² = 88/64, n_eff = 64/22
    assert d["n"] == 4 and d["min"] == 1.0 and d["max"] == 4.0 and d["max_min_ratio"] == 4.0
    assert d["deff"] == pytest.approx(88 / 64, abs=1e-12)
    assert d["n_eff"] == pytest.approx(64 / 22, abs=1e-12)
    w = np.array([1.0, 1.0, 2.0, 4.0])
    assert d["deff"] == pytest.approx(1 + w.var() / w.mean() ** 2, abs=1e-12)  # 1 + CV² (divisor n)
    equal = weight_diagnostics([3.0] * 5).iloc[0]
    assert equal["deff"] == pytest.approx(1.0) and equal["n_eff"] == pytest.approx(5.0)


# --- bad input -----------------------------------------------------------------------

POP = pd.DataFrame({"county_id": ["K01", "K01", "K02", "K02"], "segment": ["urban", "rural", "urban", "rural"]})


def test_unknown_margin_value_names_column_and_values():
    resp = pd.DataFrame({"county_id": ["K01", "K09", "K02", "K09"], "segment": ["urban", "rural", "urban", "rural"]})
    with pytest.raises(ValueError, match=r"'county_id'.*\['K09'\] \(2 row\(s\)\).*nothing is dropped"):
        rake(resp, POP)
    with pytest.raises(ValueError, match=r"\('K09', 'rural'\)"):
        poststratify(resp, POP, by=["county_id", "segment"])


def test_missing_margin_value_is_an_error():
    resp = pd.DataFrame({"county_id": ["K01", None, "K02"], "segment": ["urban", "rural", "urban"]}, index=[10, 11, 12])
    with pytest.raises(ValueError, match=r"'county_id' of the responses is missing in 1 row\(s\) \(index \[11\]\)"):
        rake(resp, POP)
    pop = POP.assign(segment=[None, "rural", "urban", "rural"])
    with pytest.raises(ValueError, match="'segment' of the population is missing"):
        rake(resp.dropna(), pop)


def test_population_level_without_responses_is_an_error():
    resp = pd.DataFrame({"county_id": ["K01", "K01"], "segment": ["urban", "rural"]})
    with pytest.raises(ValueError, match=r"no response falls in the population level\(s\) \['K02'\] of 'county_id'"):
        rake(resp, POP)


def test_missing_column_is_an_error():
    resp = pd.DataFrame({"county_id": ["K01", "K02"]})
    with pytest.raises(ValueError, match=r"lacks column\(s\) \['segment'\]"):
        rake(resp, POP)


@pytest.mark.parametrize("bad, rule", [([1.0, np.nan, 1.0, 1.0], "is missing or not a finite"),
                                       ([1.0, 0.0, 1.0, 1.0], "must be positive"),
                                       ([1.0, -2.0, 1.0, 1.0], "must be positive"),
                                       ([1.0, "x", 1.0, 1.0], "is missing or not a finite")])
def test_bad_base_weights(bad, rule):
    resp = POP.assign(base=bad)
    with pytest.raises(ValueError, match=f"base weight column 'base' {rule}"):
        rake(resp, POP, weight="base")
    with pytest.raises(ValueError, match=rule):
        poststratify(resp, POP, by=["county_id"], weight="base")
    with pytest.raises(ValueError, match=rule):
        weight_diagnostics(bad)


@pytest.mark.parametrize("trim", [(1.2, 3.0), (0.5, 0.9), (-0.1, 2.0), "tight", (1.0,)])
def test_bad_trim(trim):
    with pytest.raises(ValueError, match="trim"):
        rake(POP, POP, trim=trim)


def test_empty_weights():
    with pytest.raises(ValueError, match="no weights"):
        weight_diagnostics([])
