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
    """Our SE treats the raked weights as fixed (R: a fresh svydesign on them); R's raked design
    accounts for the calibration, which here gives a smaller SE — the gap is documented, not hidden."""
    case = R["weights"]["rake_clus1"]
    data = _data(case["data"])
    w = rake(data, POP, margins=case["margins"], weight=case["weight"])
    got = survey_mean(data, "api00", weights=w, cluster="dnum").iloc[0]
    fixed, calibrated = case["mean_fixed"][0], case["mean_calibrated"][0]
    assert got["estimate"] == pytest.approx(fixed["estimate"], abs=EST_TOL)
    assert got["estimate"] == pytest.approx(calibrated["estimate"], abs=EST_TOL)
    assert got["se"] == pytest.approx(fixed["se"], abs=SE_TOL)
    # not yet calibration-aware: ours is the larger, fixed-weights SE
    assert got["se"] > calibrated["se"] + 1e-3
