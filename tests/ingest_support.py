"""Builders for survey-ingestion tests: canonical responses made in code, no vendored files."""

from __future__ import annotations

import numpy as np
import pandas as pd

from fusion_study.data.instruments import standard_codebook


def customer_items() -> pd.DataFrame:
    cb = standard_codebook()
    return cb[cb["instrument"] == "customer_survey"]


def clean_responses(n: int = 40, seed: int = 7, instrument: str = "customer_survey") -> pd.DataFrame:
    """Canonical responses that no screening rule flags (unique ids, ordinary times, varied answers)."""
    rng = np.random.default_rng(seed)
    cb = standard_codebook()
    items = cb[cb["instrument"] == instrument]
    r = pd.DataFrame(
        {
            "customer_id" if instrument == "customer_survey" else "staff_id": [f"R{i:04d}" for i in range(n)],
            "submitted": pd.Timestamp("2024-02-01 08:00") + pd.to_timedelta(np.arange(n) * 3600, unit="s"),
            "duration_s": 300.0 + rng.integers(-30, 31, n),
        }
    )
    if instrument == "staff_survey":
        r["unit_id"] = np.where(np.arange(n) % 2 == 0, "B1", "B2")
    for _, it in items.iterrows():
        r[it["item_id"]] = rng.integers(int(it["min"]), int(it["max"]) + 1, n)
    if instrument == "customer_survey":
        # the 4-item matrix (question 3) is never straight-lined by accident
        r["qual4"] = r["qual1"] % 7 + 1
    return r
