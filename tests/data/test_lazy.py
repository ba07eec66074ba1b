"""Lazy Parquet tables (DuckDB): loading, and validation in SQL against the pandas rules.

The same broken tables are written as CSV (read into pandas, checked by the pandas rules) and as
Parquet (one file, and hive-partitioned parts; kept lazy and checked in SQL): the problem lists
must be the same, problem for problem, with each row named in its own file.
"""

from __future__ import annotations

import pandas as pd
import pytest

from conftest import tiny_tables
from fusion_study import load_study
from fusion_study.data.lazy import LazyTable, as_frame, is_lazy

MEMBERS = pd.DataFrame({"member_id": ["M1", "M2"], "branch_id": ["B1", "B3"], "role": ["member", "secretary"],
                        "position": ["customer_manager", "manager"], "joined_year": [2001, 1999]})

# text as a user's export has it; every rule broken at least once
TICKETS = pd.DataFrame({
    "ticket_id": ["T1", "T2", "T1", "T4", "T5", "T6", "T7", "T8"],
    "customer_id": ["R1", "R2", "R3", "R9", None, "R1", "R2", "R3"],
    "branch_id": ["B1", "B2", "B3", "B1", "B1", "B9", "B2", "B3"],
    "category": ["urgent", "worry", "panic", "urgent", "urgent", "worry", "difficult", "urgent"],
    "opened": ["2024-01-05", "2024/02/01", "2024-13-01", "2024-03-01", "2024-03-02", "2024-03-03",
               "2024-04-01", " 2024-05-01 "],
    "closed": ["2024-01-09", None, "2024-03-20", "9999-12-31", "2024-02-01", None, "2024-04-02", None],
    "status": ["resolved", "open", "unresolved", "resolved", "resolved", "resolved", "open", "closed?"],
})
ACTIVITIES = pd.DataFrame({
    "activity_id": ["A1", "A2", "A3", "A2", "A5", "A6"],
    "date": ["2024-01-02", "not a date", "2024-02-03", "1900-01-01", "2024-02-05", "2024-03-01"],
    "team": ["vanguard_team", "cloud_team", "dance_team", "publicity_team", "vanguard_team", None],
    "kind": ["visit", "livestream", "visit", "publicity", "karaoke", "visit"],
    "customer_id": ["R1", "R2", "R3", "R4", "R5", "R1"],
    "member_id": ["M1", None, "M2", "M7", "M1", "M2"],
    "note": ["", "", "", "", "", ""],
})
POINTS = pd.DataFrame({
    "member_id": ["M1", "M1", "M2", "M2", "M9"],
    "period": ["2024Q1", "2024Q1", "2024Q5", "2024q2", "2024Q1"],
    "dimension": ["duty", "duty", "education", "fun", "duty"],
    "points": ["10", "12.5", "abc", "-3", ""],
})
EVALUATIONS = pd.DataFrame({
    "evaluation_id": ["E1", "E2", "E3", "E4"],
    "member_id": ["M1", "M2", "M1", "M2"],
    "rater_type": ["customer", "peer", "leader", "boss"],
    "rater_id": ["X1", None, "X3", "X4"],
    "dimension": ["attitude", "skill", "policy", "dedication"],
    "score": [88.0, 120.0, -1.0, 75.5],
    "wave": ["2024Q1", "2024Q1", "2024Q2", "2024Q2"],
})
BROKEN = {"tickets": TICKETS, "activities": ACTIVITIES, "member_points": POINTS, "evaluations": EVALUATIONS}


def _write(folder, *, fmt, partition_at=None):
    tables, codebook = tiny_tables()
    tables = {k: v for k, v in tables.items() if k != "tickets"} | {"members": MEMBERS}
    folder.mkdir()
    for name, df in tables.items():
        df.to_csv(folder / f"{name}.csv", index=False)
    codebook.to_csv(folder / "codebook.csv", index=False)
    for name, df in BROKEN.items():
        if fmt == "csv":
            df.to_csv(folder / f"{name}.csv", index=False)
        elif partition_at is None:
            df.to_parquet(folder / f"{name}.parquet", index=False)
        elif fmt == "flat":  # numbered parts in one folder, as the streamed national study writes them
            (folder / name).mkdir()
            for i, part in enumerate((df.iloc[:partition_at], df.iloc[partition_at:])):
                part.to_parquet(folder / name / f"part-{i:05d}.parquet", index=False)
        else:  # hive parts: rows [0, k) and [k, n), in path order
            for i, part in enumerate((df.iloc[:partition_at], df.iloc[partition_at:])):
                d = folder / name / f"county_id=K{i + 1}"
                d.mkdir(parents=True)
                part.to_parquet(d / "part-0.parquet", index=False)
    return folder


def _problems(study):
    p = study.validate().to_frame()
    p["row"] = p["row"].astype("Int64")
    return p


def _sorted(p):
    cols = ["table", "file", "row", "column", "rule", "value", "message", "severity"]
    return p[cols].astype("string").sort_values(cols).reset_index(drop=True)


@pytest.fixture(scope="module")
def three_ways(tmp_path_factory):
    root = tmp_path_factory.mktemp("lazy")
    csv = load_study(_write(root / "csv", fmt="csv"))
    one = load_study(_write(root / "one", fmt="parquet"), lazy=True)
    parts = load_study(_write(root / "parts", fmt="parquet", partition_at=3))
    return csv, one, parts


def test_parquet_log_tables_are_lazy_and_the_rest_is_pandas(three_ways):
    csv, one, parts = three_ways
    for name in BROKEN:
        assert not is_lazy(csv.tables[name]) and is_lazy(one.tables[name]) and is_lazy(parts.tables[name])
        assert len(one.tables[name]) == len(parts.tables[name]) == len(BROKEN[name])
    assert isinstance(parts.customers, pd.DataFrame)
    assert parts.files["activities"] == "activities" and one.files["activities"] == "activities.parquet"
    assert parts.activities.partition_columns == ["county_id"]
    assert parts.activities.file == "activities"


def test_sql_validation_gives_the_pandas_problems_for_one_parquet_file(three_ways):
    csv, one, _ = three_ways
    expected = _problems(csv)
    expected["file"] = expected["file"].str.replace(".csv", ".parquet", regex=False).where(
        expected["table"].isin(list(BROKEN)), expected["file"])
    got = _problems(one)
    # every rule is exercised
    assert {"type", "date_range", "period", "required_value", "allowed_values", "range", "unique_key",
            "foreign_key", "ticket_dates", "ticket_status", "unknown_column"} <= set(got["rule"])
    pd.testing.assert_frame_equal(_sorted(got), _sorted(expected))


def _expected_in_parts(csv, first: str, second: str, k: int = 3) -> pd.DataFrame:
    """The CSV study's problems as a study split into two parts per log table (rows [0, k), [k, n)):
    each row named in its part file (``first``/``second``, relative to the table's folder) and numbered there."""
    expected = _problems(csv)
    in_log = expected["table"].isin(list(BROKEN)) & expected["row"].notna()
    row = expected["row"]
    later = in_log & (row >= 2 + k)
    expected.loc[in_log, "file"] = expected.loc[in_log, "table"] + "/" + first
    expected.loc[later, "file"] = expected.loc[later, "table"] + "/" + second
    expected.loc[later, "row"] = row[later] - k
    table_level = expected["table"].isin(list(BROKEN)) & expected["row"].isna()
    expected.loc[table_level, "file"] = expected.loc[table_level, "table"]
    return expected


def test_sql_validation_names_the_partition_file_and_its_row(three_ways):
    csv, _, parts = three_ways
    expected = _expected_in_parts(csv, "county_id=K1/part-0.parquet", "county_id=K2/part-0.parquet")
    got = _problems(parts)
    assert "county_id" not in set(got["column"])  # a partition key is layout, not an unknown column
    pd.testing.assert_frame_equal(_sorted(got), _sorted(expected))


def test_sql_validation_on_numbered_parts_without_partition_keys(three_ways, tmp_path):
    """The streamed national layout (``activities/part-00000.parquet``, ...): lazy, each row named in its part."""
    csv = three_ways[0]
    flat = load_study(_write(tmp_path / "flat", fmt="flat", partition_at=3))
    for name in BROKEN:
        assert is_lazy(flat.tables[name]) and flat.tables[name].partition_columns == []
    expected = _expected_in_parts(csv, "part-00000.parquet", "part-00001.parquet")
    pd.testing.assert_frame_equal(_sorted(_problems(flat)), _sorted(expected))
    kept, kept_csv = flat.exclude_invalid(), csv.exclude_invalid()
    a = kept.activities.to_pandas().reset_index(drop=True).drop(columns="note")
    pd.testing.assert_frame_equal(a, kept_csv.activities.reset_index(drop=True).drop(columns="note"))


def test_exclude_invalid_filters_lazy_rows_and_keeps_the_ledger_balanced(three_ways):
    csv, _, parts = three_ways
    kept_csv, kept = csv.exclude_invalid(), parts.exclude_invalid()
    assert is_lazy(kept.activities)
    for name in BROKEN:
        assert len(kept.tables[name]) == len(kept_csv.tables[name]) < len(BROKEN[name])
    bal = kept.ledger.balance(kept.tables).set_index("table")
    assert bal.loc[list(BROKEN), "balanced"].all()
    led = kept.ledger.to_frame()
    assert set(led.loc[led["table"] == "tickets", "source_file"]) == {
        "tickets/county_id=K1/part-0.parquet", "tickets/county_id=K2/part-0.parquet"}
    again = kept.validate().errors
    assert again[again["table"].isin(list(BROKEN)) & again["row"].notna()].empty
    # the kept rows, read into pandas, are the CSV study's kept rows
    a = kept.activities.to_pandas().drop(columns="county_id").reset_index(drop=True)
    b = kept_csv.activities.drop(columns="note").reset_index(drop=True)
    pd.testing.assert_frame_equal(a.drop(columns="note"), b)


def test_to_pandas_types_columns_as_the_csv_reader_does(three_ways):
    csv, one, _ = three_ways
    got = one.tickets.to_pandas()
    pd.testing.assert_frame_equal(got, csv.tickets, check_index_type=False)
    sub = one.tickets.to_pandas(columns=["ticket_id", "opened"], where="status = 'resolved'")
    assert sub["ticket_id"].tolist() == ["T1", "T4", "T5", "T6"] and sub.index.tolist() == [2, 5, 6, 7]
    assert one.tickets.sql("SELECT count(*) AS n FROM tickets WHERE closed IS NULL")["n"].iloc[0] == 4
    assert as_frame(csv.tickets) is csv.tickets and len(as_frame(one.tickets)) == len(TICKETS)
    with pytest.raises(KeyError, match="no column"):
        one.tickets.to_pandas(columns=["nope"])


def test_lazy_option_and_ambiguous_folders(tmp_path):
    folder = _write(tmp_path / "p", fmt="parquet")
    assert not is_lazy(load_study(folder).activities)  # small single files stay pandas by default
    assert not is_lazy(load_study(folder, lazy=False).activities)
    with pytest.raises(ValueError, match="lazy must be"):
        load_study(folder, lazy="yes")
    (folder / "activities").mkdir()
    ACTIVITIES.to_parquet(folder / "activities" / "part-0.parquet")
    with pytest.raises(ValueError, match="more than one file"):
        load_study(folder)


def test_a_partitioned_table_read_eagerly_numbers_rows_across_parts(tmp_path):
    s = load_study(_write(tmp_path / "p", fmt="parquet", partition_at=3), lazy=False)
    assert isinstance(s.activities, pd.DataFrame) and s.activities.index.tolist() == list(range(2, 8))


def test_lazy_table_repr_has_no_path(three_ways):
    _, one, _ = three_ways
    assert isinstance(one.activities, LazyTable)
    assert repr(one.activities) == "LazyTable('activities': 6 rows, 7 columns, activities.parquet)"


def test_cli_validate_names_partition_files(tmp_path, capsys):
    from fusion_study.cli.parser import main

    folder = _write(tmp_path / "parts", fmt="parquet", partition_at=3)
    assert main(["validate", str(folder), "--out", str(tmp_path / "problems.csv")]) == 1
    out = capsys.readouterr().out
    assert "tickets/county_id=K2/part-0.parquet, row 2" in out
    written = pd.read_csv(tmp_path / "problems.csv", encoding="utf-8-sig")
    assert (written["file"] == "activities/county_id=K1/part-0.parquet").any()
