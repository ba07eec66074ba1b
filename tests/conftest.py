"""Shared fixtures. Figures use the Agg backend in tests (never in notebooks)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from fusion_study import Study  # noqa: E402

# Scripts that *made* reference values (they need R or other tools, never run in CI).
collect_ignore_glob = ["reference/*/*.py"]


def tiny_tables() -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """A small, valid study built in code: 1 city, 2 counties, 3 branches."""
    units = pd.DataFrame(
        {
            "unit_id": ["C", "K1", "K2", "B1", "B2", "B3"],
            "name": ["P市局", "甲县局", "乙区局", "甲营销支部", "甲专卖支部", "乙营销支部"],
            "level": ["city", "county", "county", "branch", "branch", "branch"],
            "parent_id": [None, "C", "C", "K1", "K1", "K2"],
            "branch_kind": [None, None, None, "marketing", "monopoly", "marketing"],
        }
    )
    customers = pd.DataFrame(
        {
            "customer_id": ["R1", "R2", "R3", "R4"],
            "county_id": ["K1", "K1", "K2", "K2"],
            "branch_id": ["B1", "B2", "B3", "B3"],
            "segment": ["urban", "rural", "rural", "modern_terminal"],
            "size_tier": ["small", "large", "medium", None],
        }
    )
    tickets = pd.DataFrame(
        {
            "ticket_id": ["T1", "T2", "T3"],
            "customer_id": ["R1", "R2", "R3"],
            "branch_id": ["B1", "B2", "B3"],
            "category": ["urgent", "worry", "expectation"],
            "opened": pd.to_datetime(["2024-01-05", "2024-02-01", "2024-03-01"]),
            "closed": pd.to_datetime(["2024-01-09", None, "2024-03-20"]),
            "status": ["resolved", "open", "unresolved"],
        }
    )
    survey = pd.DataFrame(
        {
            "response_id": ["S1", "S2", "S3"],
            "customer_id": ["R1", "R2", "R3"],
            "wave": ["2024Q1", "2024Q1", "2024Q2"],
            "submitted": pd.to_datetime(["2024-01-10 10:00:00", "2024-01-11 11:30:00", "2024-04-02 09:00:00"]),
            "duration_s": [120.0, 95.0, 300.0],
            "sat1": [4, 5, 2],
            "sat2": [4, 4, 1],
        }
    )
    codebook = pd.DataFrame(
        {
            "item_id": ["sat1", "sat2"],
            "instrument": ["customer_survey", "customer_survey"],
            "scale": ["satisfaction", "satisfaction"],
            "text_zh": ["总体满意度", "服务满意度"],
            "text_en": ["overall satisfaction", "service satisfaction"],
            "reverse": [False, True],
            "min": [1, 1],
            "max": [5, 5],
            "source_column": ["1", "2"],
            "options": ["1=非常不满意;2=不满意;3=一般;4=满意;5=非常满意"] * 2,
        }
    )
    tables = {"units": units, "customers": customers, "tickets": tickets, "customer_survey": survey}
    return tables, codebook


@pytest.fixture
def tiny_study_dir(tmp_path):
    """The tiny study written as CSV files, loaded fresh by each test."""
    tables, codebook = tiny_tables()
    folder = tmp_path / "tiny"
    folder.mkdir()
    for name, df in tables.items():
        df.to_csv(folder / f"{name}.csv", index=False)
    codebook.to_csv(folder / "codebook.csv", index=False)
    return folder


@pytest.fixture
def tiny_study(tiny_study_dir) -> Study:
    from fusion_study import load_study

    return load_study(tiny_study_dir)


@pytest.fixture(autouse=True)
def _restore_display_options():
    """Tests that call ``notebook_setup`` change pandas/numpy display options: give them back afterwards,
    so that later tests and the doctests print as on a fresh interpreter."""
    import numpy as np

    keys = ["display.width", "display.max_columns", "display.max_rows", "display.precision",
            "display.unicode.east_asian_width"]
    saved = {k: pd.get_option(k) for k in keys}
    printoptions = np.get_printoptions()
    yield
    for k, v in saved.items():
        pd.set_option(k, v)
    np.set_printoptions(**printoptions)
