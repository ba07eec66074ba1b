"""The log aggregates: the DuckDB path (lazy Parquet) equals the pandas path, exactly.

On the bundled example (saved as Parquet, loaded lazily) and on a province-like simulation whose
activities, tickets and member points are written as hive-partitioned Parquet
(``<table>/county_id=…/part-0.parquet``, the layout of the national preset).
"""

from __future__ import annotations

import pandas as pd
import pytest

from fusion_study import load_study, simulate_study
from fusion_study.data.aggregates import member_weeks, team_contacts, ticket_counts
from fusion_study.data.lazy import is_lazy
from fusion_study.data.paths import example_study_path
from fusion_study.effects.study import exposures
from fusion_study.participation.calendar import participation_by_week
from fusion_study.problems.tickets import next_wave_satisfaction

AGGREGATES = {"activities": (team_contacts, member_weeks), "tickets": (ticket_counts,)}


def _partitioned(study, folder):
    """Units and customers as Parquet files, the log tables as hive partitions by the retailer's county."""
    import duckdb

    for name in ("units", "customers"):
        study.tables[name].to_parquet(folder / f"{name}.parquet", index=False)
    con = duckdb.connect()
    con.register("customers", study.customers[["customer_id", "county_id"]])
    for name in ("activities", "tickets"):
        con.register(name, study.tables[name].reset_index(drop=True))
        con.execute(f"COPY (SELECT l.*, c.county_id FROM {name} l JOIN customers c USING (customer_id)) "
                    f"TO '{(folder / name).as_posix()}' (FORMAT parquet, PARTITION_BY (county_id))")
    return folder


@pytest.fixture(scope="module")
def example_pair(tmp_path_factory):
    eager = load_study(example_study_path())
    folder = tmp_path_factory.mktemp("example")
    eager.save(folder, format="parquet")
    return eager, load_study(folder, lazy=True)


@pytest.fixture(scope="module")
def province_pair(tmp_path_factory):
    out = simulate_study(preset="province", seed=5, n_retailers=20000, survey_per_wave=2000)
    eager = out[0] if isinstance(out, tuple) else out
    lazy = load_study(_partitioned(eager, tmp_path_factory.mktemp("province")))
    return eager, lazy


def _check_equal(eager, lazy):
    for table, fns in AGGREGATES.items():
        assert is_lazy(lazy.tables[table]) and not is_lazy(eager.tables[table])
        for fn in fns:
            a, b = fn(eager.tables[table]), fn(lazy.tables[table])
            assert len(a) > 100
            pd.testing.assert_frame_equal(a, b)
            assert a.attrs == b.attrs


def test_sql_aggregates_equal_pandas_on_the_example(example_pair):
    _check_equal(*example_pair)


@pytest.mark.slow
def test_sql_aggregates_equal_pandas_on_a_partitioned_province(province_pair):
    eager, lazy = province_pair
    assert lazy.files["activities"] == "activities" and len(lazy.activities.files) > 10
    _check_equal(eager, lazy)


def test_exposures_and_participation_are_the_same_from_a_lazy_study(example_pair):
    eager, lazy = example_pair
    a, b = exposures(eager), exposures(lazy)
    pd.testing.assert_frame_equal(a, b)
    assert a["contacts_vanguard_team"].sum() > 0 and a["tickets_resolved"].sum() > 0
    pd.testing.assert_frame_equal(participation_by_week(eager.activities, eager.members),
                                  participation_by_week(lazy.activities, lazy.members))
    sv, cu, cb = eager.customer_survey, eager.customers, eager.codebook
    pd.testing.assert_frame_equal(next_wave_satisfaction(eager.tickets, sv, cu, codebook=cb),
                                  next_wave_satisfaction(lazy.tickets, sv, cu, codebook=cb))


def test_ticket_counts_by_hand():
    t = pd.DataFrame({"customer_id": ["R1", "R1", "R1", "R2", None],
                      "opened": pd.to_datetime(["2024-01-05", "2024-03-30", "2024-02-01", "2024-04-01", "2024-01-01"]),
                      "closed": pd.to_datetime(["2024-01-09", "2024-04-02", None, "2024-06-30", None]),
                      "status": ["resolved", "resolved", "open", "resolved", "open"]})
    got = ticket_counts(t)
    assert got.to_dict("list") == {"customer_id": ["R1", "R2"], "period": [8096, 8097], "tickets_opened": [3, 1],
                                   "tickets_resolved": [2, 1], "tickets_resolved_in_time": [1, 1]}


def test_team_contacts_by_hand():
    a = pd.DataFrame({"customer_id": ["R1", "R1", "R2", "R1"], "team": ["cloud_team", "cloud_team", "vanguard_team",
                                                                       "vanguard_team"],
                      "date": pd.to_datetime(["2024-01-02", "2024-02-02", "2024-01-03", None])})
    got = team_contacts(a)
    assert got.to_dict("list") == {"customer_id": ["R1", "R2"], "period": [8096, 8096],
                                   "contacts_cloud_team": [2, 0], "contacts_vanguard_team": [0, 1]}
    assert got.attrs["n_undated"] == 1
