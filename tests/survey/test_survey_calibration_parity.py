"""Calibration-aware and replicate-weight SEs of :func:`survey_mean` against R survey 4.1.

Reference values: tests/reference/survey/make_calibration_reference.R -> calibration_reference.json
(``svymean`` / ``svyby`` / ``confint`` on ``rake()``, ``postStratify()`` and ``as.svrepdesign``
designs of the ``api`` data and of a frame of the bundled example study exported by
export_example_calibration.py). Tolerances: estimates 1e-8, SEs and interval bounds 1e-6 (absolute).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fusion_study.survey import ReplicateWeights, poststratify, rake, survey_mean

REF = Path(__file__).parents[1] / "reference" / "survey"
R = json.loads((REF / "calibration_reference.json").read_text(encoding="utf-8"))
EST_TOL, SE_TOL = 1e-8, 1e-6


def _population(data_name: str) -> pd.DataFrame:
    if data_name.startswith("api"):
        return pd.read_csv(REF / "apipop.csv")
    m = pd.read_csv(REF / "example_margins.csv")  # one-way counts: any pairing of the columns has them
    cols = {k: np.repeat(g["level"].to_numpy(), g["count"].to_numpy()) for k, g in m.groupby("margin")}
    return pd.DataFrame(cols)


def _weights(case: dict, data: pd.DataFrame):
    design = dict(case["design"])
    base = design.pop("weights", None)
    cal = case["calibration"]
    if cal is None:
        w = data[base] if base else pd.Series(1.0, index=data.index)
    elif cal["method"] == "rake":
        w = rake(data, _population(case["data"]), margins=cal["margins"], weight=base)
    else:
        w = poststratify(data, _population(case["data"]), by=cal["by"], weight=base)
    reps = design.get("replicates")
    if reps is not None and reps.endswith(".csv"):
        factors = pd.read_csv(REF / reps).to_numpy()
        design["replicates"] = ReplicateWeights(factors=factors, scale=R["bootstrap"]["scale"],
                                                rscales=R["bootstrap"]["rscales"])
    return w, design


@pytest.mark.parametrize("name", sorted(R["cases"]))
def test_survey_mean_matches_r_calibrated_and_replicate_designs(name):
    case = R["cases"][name]
    data = pd.read_csv(REF / case["data"])
    w, design = _weights(case, data)
    by = case["by"]
    got = survey_mean(data, case["y"], weights=w, by=by, **design)
    want = pd.DataFrame(case["rows"])
    y = case["y"]
    want["level"] = want["term"].str.removeprefix(y).replace("", None)
    if by:
        want = want.sort_values([by, "level"]).reset_index(drop=True) if "level" in got else \
            want.sort_values(by).reset_index(drop=True)
        assert got[by].astype(str).tolist() == want[by].astype(str).tolist()
    assert len(got) == len(want)
    if "level" in got:
        assert got["level"].astype(str).tolist() == want["level"].astype(str).tolist()
    np.testing.assert_allclose(got["estimate"], want["estimate"], rtol=0, atol=EST_TOL)
    for col in ("se", "ci_lower", "ci_upper"):
        np.testing.assert_allclose(got[col], want[col], rtol=0, atol=SE_TOL, err_msg=col)


def test_example_rake_weights_match_r():
    data = pd.read_csv(REF / "example_calibration.csv")
    w = rake(data, _population("example"), margins=["county_id", "segment"])
    np.testing.assert_allclose(w.to_numpy(), R["example_rake_weights"], rtol=1e-8, atol=0)
