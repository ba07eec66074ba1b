"""Screening finds the speeders and straight-liners the simulator injected.

Uses the survey screening of :mod:`fusion_study.ingest.screening` (skipped
where that module is not installed). Stated recall and precision:

* speeders (time under 30 % of the median): recall 1 and precision >= 0.98
  in both surveys — injected speeders take 20–70 s against a genuine median of
  about 260 s (staff 15–50 s against 200 s);
* straight-liners, retailer survey (every answer of the 4-item quality matrix
  identical): recall 1; precision >= 0.6, because genuine respondents who
  answer all four quality items identically (typically all "一般", the
  midpoint, which the reverse-worded qual4 maps onto itself) are flagged too —
  a property of the rule, not of the data;
* straight-liners, staff survey: its matrices have 3 items, below the rule's
  default minimum of 4, so none are found by default; with
  ``straightline_min_items=3`` recall is 1 (precision is low: identical
  answers to three 5-point items are common among genuine staff).
"""

from __future__ import annotations

import numpy as np
import pytest

from fusion_study.simulate import simulate_study

screening = pytest.importorskip("fusion_study.ingest.screening")


@pytest.fixture(scope="module")
def example():
    return simulate_study("p_city", seed=20240101)


def _found(study, table, respondent, **kw):
    cb = study.codebook[study.codebook["instrument"] == table]
    data = study.tables[table]
    flags = screening.screening_flags(data, cb, respondent=respondent, **kw)
    kept, ledger = screening.apply_screening(data, flags, table=table)
    led = ledger.to_frame()
    rows = {
        rule: set(data.loc[led.loc[led["rule"] == f"screening:{rule}", "source_row"], "response_id"])
        for rule in ("speeder", "straight_liner")
    }
    return rows, flags, kept, led


def _recall_precision(found: set, injected: set) -> tuple[float, float]:
    tp = len(found & injected)
    return tp / max(len(injected), 1), tp / max(len(found), 1)


@pytest.mark.parametrize("table,respondent", [("customer_survey", "customer_id"), ("staff_survey", "staff_id")])
def test_speeders_found_exactly(example, table, respondent):
    study, truth = example
    rows, *_ = _found(study, table, respondent)
    recall, precision = _recall_precision(rows["speeder"], set(truth.speeders(table)))
    assert recall == 1.0
    assert precision >= 0.98


def test_customer_straight_liners_recall_and_precision(example):
    study, truth = example
    rows, flags, kept, led = _found(study, "customer_survey", "customer_id")
    injected = set(truth.straight_liners("customer_survey"))
    recall, precision = _recall_precision(rows["straight_liner"], injected)
    assert recall == 1.0
    assert precision >= 0.6
    # the ledger balances: rows read = rows kept + rows excluded
    excluded = led.loc[led["action"] == "excluded", "source_row"].nunique()
    assert len(kept) + excluded == len(study.customer_survey)
    # false positives answer the quality matrix identically (and are genuine, not speeders)
    false_pos = rows["straight_liner"] - injected
    cs = study.customer_survey.set_index("response_id").loc[sorted(false_pos)]
    assert (cs[["qual1", "qual2", "qual3", "qual4"]].nunique(axis=1) == 1).all()


def test_staff_straight_liners_with_three_item_matrices(example):
    study, truth = example
    injected = set(truth.straight_liners("staff_survey"))
    rows, *_ = _found(study, "staff_survey", "staff_id")
    assert rows["straight_liner"] == set()
    rows, *_ = _found(study, "staff_survey", "staff_id", straightline_min_items=3)
    recall, _ = _recall_precision(rows["straight_liner"], injected)
    assert recall == 1.0 and len(injected) > 0
    assert np.isfinite(recall)
