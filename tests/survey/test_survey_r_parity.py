"""Parity of :mod:`fusion_study.survey` with R survey 4.1 on its ``api`` data.

Reference values: tests/reference/survey/make_reference.R (``svymean``, ``svyby``/``subset``,
``confint``, ``rake``, ``postStratify``) -> survey_reference.json, with the data it used as CSV.
Tolerances: estimates and weights 1e-8, SEs and interval bounds 1e-6 (absolute, on API scores
of ~650 and proportions).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fusion_study.survey import poststratify, rake, survey_mean

REF = Path(__file__).parents[1] / "reference" / "survey"
R = json.loads((REF / "survey_reference.json").read_text(encoding="utf-8"))
POP = pd.read_csv(REF / "apipop.csv")
EST_TOL, SE_TOL, W_TOL = 1e-8, 1e-6, 1e-8


def _data(name: str) -> pd.DataFrame:
    return pd.read_csv(REF / name)


def _r_rows(case: dict) -> pd.DataFrame:
    rows = pd.DataFrame(case["rows"])
    y = case["y"]
    rows["level"] = rows["term"].str.removeprefix(y).replace("", None)
    return rows


@pytest.mark.parametrize("name", sorted(R["means"]))
def test_survey_mean_matches_svymean(name):
    case = R["means"][name]
    data = _data(case["data"])
    by = case["by"] or None
    got = survey_mean(data, case["y"], by=by, **case["design"])
    want = _r_rows(case)
    assert len(got) == len(want), (got, want)
    if "level" in got:
        assert got["level"].tolist() == want["level"].tolist()
    if by:
        assert got[by].astype(str).tolist() == want[by].astype(str).tolist()
    np.testing.assert_allclose(got["estimate"], want["estimate"], rtol=0, atol=EST_TOL)
    for col in ("se", "ci_lower", "ci_upper"):
        np.testing.assert_allclose(got[col], want[col], rtol=0, atol=SE_TOL, err_msg=col)


def test_rake_weights_match_r():
    for key in ("rake_clus1", "rake_strat"):
        case = R["weights"][key]
        data = _data(case["data"])
        w = rake(data, POP, margins=case["margins"], weight=case["weight"])
        np.testing.assert_allclose(w.to_numpy(), case["weights"], rtol=W_TOL, atol=0, err_msg=key)


def test_poststratify_weights_match_r():
    case = R["weights"]["poststratify_clus1"]
    w = poststratify(_data(case["data"]), POP, by=[case["by"]], weight=case["weight"])
    np.testing.assert_allclose(w.to_numpy(), case["weights"], rtol=W_TOL, atol=0)


def test_mean_under_raked_weights_fixed_and_calibrated():
    """The raked weights carry their margins: survey_mean's SE is then R's calibration-aware SE of the
    raked design; with calibration=None it is the SE with the weights taken as fixed (a fresh svydesign)."""
    case = R["weights"]["rake_clus1"]
    data = _data(case["data"])
    w = rake(data, POP, margins=case["margins"], weight=case["weight"])
    calibrated = survey_mean(data, "api00", weights=w, cluster="dnum").iloc[0]
    fixed = survey_mean(data, "api00", weights=w, cluster="dnum", calibration=None).iloc[0]
    r_fixed, r_calibrated = case["mean_fixed"][0], case["mean_calibrated"][0]
    for got in (calibrated, fixed):
        assert got["estimate"] == pytest.approx(r_calibrated["estimate"], abs=EST_TOL)
    assert calibrated["se"] == pytest.approx(r_calibrated["se"], abs=SE_TOL)
    assert fixed["se"] == pytest.approx(r_fixed["se"], abs=SE_TOL)
    # the same weights handed over as a column carry no calibration unless it is passed along
    col = data.assign(w=w)
    assert survey_mean(col, "api00", weights="w", cluster="dnum").iloc[0]["se"] == pytest.approx(r_fixed["se"], abs=SE_TOL)
    passed = survey_mean(col, "api00", weights="w", cluster="dnum", calibration=w.attrs["calibration"])
    assert passed.iloc[0]["se"] == pytest.approx(r_calibrated["se"], abs=SE_TOL)
