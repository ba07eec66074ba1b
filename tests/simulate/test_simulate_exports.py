"""The bundled 问卷星 exports import back to exactly the simulated survey."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fusion_study import load_study
from fusion_study.ingest import import_survey
from fusion_study.data.paths import example_study_path
from fusion_study.data.validation import item_types


@pytest.fixture(scope="module")
def example():
    return load_study(example_study_path())


@pytest.mark.parametrize(
    "instrument, wave, flavour",
    [("customer_survey", "2022Q1", "code"), ("customer_survey", "2024Q4", "text"), ("staff_survey", "2023Q2", "code")],
)
def test_export_round_trip_matches_the_study(example, instrument, wave, flavour):
    path = example_study_path() / "exports" / f"{instrument}_{wave}_{flavour}.xlsx"
    result = import_survey(path, example.codebook, instrument=instrument, policy="flag")
    got = result.responses
    table = example.tables[instrument]
    want = table[table["wave"] == wave]
    assert len(got) == len(want)  # flag policy: nothing leaves the table
    respondent = "customer_id" if instrument == "customer_survey" else "staff_id"
    assert got[respondent].tolist() == want[respondent].tolist()
    assert set(got["wave"]) == {wave}
    cb = example.codebook[example.codebook["instrument"] == instrument]
    items = cb.loc[item_types(cb).eq("scale").to_numpy(), "item_id"].tolist()
    text = cb.loc[item_types(cb).eq("text").to_numpy(), "item_id"].tolist()
    assert text == (["suggestion"] if instrument == "customer_survey" else [])
    for col in text:  # the free-text answers come back as written (import keeps them apart, masked)
        (header,) = [c for c in result.free_text.columns if "意见和建议" in c]
        assert result.free_text[header].fillna("").tolist() == want[col].fillna("").tolist()
    np.testing.assert_array_equal(
        got[items].to_numpy(dtype=float, na_value=np.nan), want[items].to_numpy(dtype=float, na_value=np.nan)
    )
    np.testing.assert_allclose(got["duration_s"].to_numpy(float), want["duration_s"].round().to_numpy(float))


def test_screening_the_export_excludes_and_ledgers(example):
    path = example_study_path() / "exports" / "customer_survey_2023Q3_code.xlsx"
    result = import_survey(path, example.codebook, instrument="customer_survey")
    led = result.ledger.to_frame()
    n_read = len(example.customer_survey[example.customer_survey["wave"] == "2023Q3"])
    assert len(result.responses) + led.loc[led["action"] == "excluded", "source_row"].nunique() == n_read
    assert (led["rule"] == "screening:speeder").any()
    assert not any(c in result.responses.columns for c in ("来自IP", "ip"))
    assert isinstance(result.responses, pd.DataFrame)
