"""The study data model: loading, validation rules, the ledger and saving."""

from __future__ import annotations

import time

import pandas as pd
import pytest

from fusion_study import StudyValidationError, load_study
from fusion_study.data.study import StudyFolderError


def _rewrite(folder, table, edit):
    path = folder / f"{table}.csv"
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    df = edit(df)
    df.to_csv(path, index=False)


def test_tiny_study_is_valid(tiny_study):
    report = tiny_study.validate()
    assert report.ok, str(report)
    assert tiny_study.customers["customer_id"].tolist() == ["R1", "R2", "R3", "R4"]
    # source rows as a spreadsheet shows them: header is row 1
    assert tiny_study.units.index.tolist() == [2, 3, 4, 5, 6, 7]
    assert tiny_study.encodings["units"] == "utf-8"


def _problems(folder):
    return load_study(folder).validate().to_frame()


@pytest.mark.parametrize(
    "table, edit, rule, column, row, value",
    [
        ("customers", lambda d: d.assign(segment=d.segment.replace("rural", "village")), "allowed_values", "segment", 3, "village"),
        ("customers", lambda d: d.drop(columns="segment"), "missing_column", "segment", None, ""),
        ("customers", lambda d: d.assign(branch_id=d.branch_id.replace("B3", "B9")), "foreign_key", "branch_id", 4, "B9"),
        ("customers", lambda d: pd.concat([d, d.iloc[[0]]]), "unique_key", "customer_id", 6, "R1"),
        ("customers", lambda d: d.assign(county_id=d.county_id.replace("K1", "")), "required_value", "county_id", 2, ""),
        ("tickets", lambda d: d.assign(closed=d.closed.replace("2024-01-09", "2023-12-31")), "ticket_dates", "closed", 2, "2023-12-31"),
        ("tickets", lambda d: d.assign(closed=d.closed.replace("2024-01-09", "not a date")), "type", "closed", 2, "not a date"),
        ("tickets", lambda d: d.assign(closed=d.closed.replace("2024-01-09", "9999-12-31")), "date_range", "closed", 2, "9999-12-31"),
        ("tickets", lambda d: d.assign(opened=d.opened.replace("2024-01-05", "1900-01-01")), "date_range", "opened", 2, "1900-01-01"),
        ("tickets", lambda d: d.assign(status=d.status.replace("unresolved", "open")), "ticket_status", "status", 4, "open"),
        ("tickets", lambda d: d.assign(category=d.category.replace("worry", "愁")), "allowed_values", "category", 3, "愁"),
        ("customer_survey", lambda d: d.assign(wave=d.wave.replace("2024Q2", "2024Q5")), "period", "wave", 4, "2024Q5"),
        ("customer_survey", lambda d: d.assign(sat1=d.sat1.replace("2", "7")), "likert_range", "sat1", 4, "7"),
        ("customer_survey", lambda d: d.assign(sat2=d.sat2.replace("1", "很好")), "type", "sat2", 4, "很好"),
        ("customer_survey", lambda d: d.assign(extra_q=1), "codebook_item", "extra_q", None, ""),
        ("customer_survey", lambda d: d.assign(duration_s=d.duration_s.replace("95.0", "-3")), "range", "duration_s", 3, "-3.0"),
        ("units", lambda d: d.assign(parent_id=d.parent_id.replace("K2", "B1")), "hierarchy", "parent_id", 7, "B1"),
        ("units", lambda d: d.assign(level=d.level.replace("county", "town")), "allowed_values", "level", 3, "town"),
    ],
)
def test_each_rule_reports_table_row_column_value(tiny_study_dir, table, edit, rule, column, row, value):
    _rewrite(tiny_study_dir, table, edit)
    problems = _problems(tiny_study_dir)
    hit = problems[(problems["rule"] == rule) & (problems["column"] == column)]
    assert len(hit) >= 1, problems
    first = hit.iloc[0]
    assert first["table"] == table
    assert first["file"] == f"{table}.csv"
    if row is None:
        assert pd.isna(first["row"])
    else:
        assert first["row"] == row
    if value:
        assert first["value"] == value
    assert first["message"]


def test_hierarchy_cycle_detected(tiny_study_dir):
    _rewrite(tiny_study_dir, "units", lambda d: d.assign(parent_id=d.parent_id.mask(d.unit_id == "C", "B1")))
    problems = _problems(tiny_study_dir)
    msgs = problems.loc[problems.rule == "hierarchy", "message"]
    assert msgs.str.contains("cycle").any()


def test_all_problems_reported_at_once(tiny_study_dir):
    _rewrite(tiny_study_dir, "customers", lambda d: d.assign(segment="x"))
    _rewrite(tiny_study_dir, "tickets", lambda d: d.assign(category="y"))
    report = load_study(tiny_study_dir).validate()
    assert not report.ok
    assert (report.errors.groupby("table").size() >= 3).all()
    assert len(report.errors) == 4 + 3
    text = str(report)
    assert "customers.segment" in text and "tickets.category" in text
    assert "城镇" in text  # the allowed values are listed with their Chinese labels
    with pytest.raises(StudyValidationError) as info:
        report.raise_if_errors()
    assert info.value.report is report


def test_missing_required_table_and_folder_errors(tmp_path, tiny_study_dir):
    (tiny_study_dir / "units.csv").unlink()
    problems = _problems(tiny_study_dir)
    assert ((problems.rule == "missing_table") & (problems.table == "units")).any()
    with pytest.raises(StudyFolderError, match="not a folder"):
        load_study(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(StudyFolderError, match="no table files"):
        load_study(tmp_path / "empty")


def test_ambiguous_table_files_are_refused(tiny_study_dir):
    pd.read_csv(tiny_study_dir / "customers.csv").to_parquet(tiny_study_dir / "customers.parquet")
    with pytest.raises(StudyFolderError, match="more than one file"):
        load_study(tiny_study_dir)


def test_identifiers_keep_leading_zeros(tiny_study_dir):
    _rewrite(tiny_study_dir, "units", lambda d: d.assign(unit_id=d.unit_id.replace("C", "007"),
                                                         parent_id=d.parent_id.replace("C", "007")))
    study = load_study(tiny_study_dir)
    assert "007" in study.units["unit_id"].tolist()
    assert study.validate().ok


@pytest.mark.parametrize("encoding, expected", [("utf-8-sig", "utf-8-sig"), ("gb18030", "gb18030"), ("utf-8", "utf-8")])
def test_csv_encoding_detected_and_recorded(tiny_study_dir, encoding, expected):
    path = tiny_study_dir / "units.csv"
    text = path.read_text(encoding="utf-8")
    path.write_bytes(text.encode(encoding))
    study = load_study(tiny_study_dir)
    assert study.encodings["units"] == expected
    assert study.units["name"].iloc[0] == "P市局"


def test_exclude_invalid_keeps_ledger_balanced(tiny_study_dir):
    _rewrite(tiny_study_dir, "customer_survey", lambda d: d.assign(sat1=d.sat1.replace("2", "9")))
    _rewrite(tiny_study_dir, "tickets", lambda d: d.assign(category=d.category.replace("worry", "bad")))
    study = load_study(tiny_study_dir)
    clean = study.exclude_invalid()
    assert clean.validate().ok
    bal = clean.ledger.balance(clean.tables)
    assert bal["balanced"].all(), bal
    led = clean.ledger.to_frame()
    assert set(zip(led.table, led.source_row)) == {("customer_survey", 4), ("tickets", 3)}
    assert led.loc[led.table == "tickets", "rule"].iloc[0] == "validation:allowed_values"
    assert len(clean.customer_survey) == 2 and len(clean.tickets) == 2


@pytest.mark.parametrize("fmt", ["csv", "parquet", "xlsx"])
def test_save_round_trip_and_determinism(tiny_study, tmp_path, fmt):
    a = tiny_study.save(tmp_path / "a", format=fmt)
    if fmt == "xlsx":
        time.sleep(1.1)  # openpyxl stamps the clock into the workbook: make sure we pin it
    b = tiny_study.save(tmp_path / "b", format=fmt)
    for f in sorted(a.iterdir()):
        assert f.read_bytes() == (b / f.name).read_bytes(), f.name
    again = load_study(a)
    assert again.validate().ok
    for name, df in tiny_study.tables.items():
        pd.testing.assert_frame_equal(
            again.tables[name].reset_index(drop=True), df.reset_index(drop=True), check_dtype=False
        )
    assert again.ledger.rows_read == tiny_study.ledger.rows_read


def test_save_refuses_pii_columns(tiny_study, tmp_path):
    from fusion_study.data.privacy import PrivacyError

    tiny_study.tables["customers"] = tiny_study.customers.assign(phone="13800000000")
    with pytest.raises(PrivacyError, match="phone"):
        tiny_study.save(tmp_path / "x")


def test_save_neutralises_formula_injection(tiny_study, tmp_path):
    tiny_study.tables["units"].loc[2, "name"] = "=HYPERLINK(\"http://x\")"
    out = tiny_study.save(tmp_path / "x", format="csv")
    text = (out / "units.csv").read_text(encoding="utf-8-sig")
    assert "'=HYPERLINK" in text


def test_unknown_column_is_a_warning_not_an_error(tiny_study_dir):
    _rewrite(tiny_study_dir, "customers", lambda d: d.assign(remark="x"))
    report = load_study(tiny_study_dir).validate()
    assert report.ok  # warnings do not fail validation
    hit = report.warnings[report.warnings["rule"] == "unknown_column"]
    assert hit["column"].tolist() == ["remark"] and hit["table"].tolist() == ["customers"]


def test_codebook_min_not_below_max_is_reported(tiny_study_dir):
    _rewrite(tiny_study_dir, "codebook", lambda d: d.assign(min=d["min"].mask(d.item_id == "sat2", "5")))
    problems = _problems(tiny_study_dir)
    hit = problems[problems["rule"] == "codebook"]
    assert hit["row"].tolist() == [3] and hit["value"].tolist() == ["sat2"]
    assert hit["file"].iloc[0] == "codebook.csv"


def test_undecodable_csv_names_the_file(tiny_study_dir):
    (tiny_study_dir / "customers.csv").write_bytes(b"\xff\xfe\x00\x81garbage")
    with pytest.raises(ValueError, match=r"customers\.csv: cannot decode"):
        load_study(tiny_study_dir)
