"""``fusion-study init``: the study template loads, validates with explanations, is deterministic."""

from __future__ import annotations

import hashlib

import pandas as pd
import pytest
from openpyxl import load_workbook

from fusion_study.cli import main
from fusion_study.data.schema import CODEBOOK, TABLES
from fusion_study.data.study import load_study
from fusion_study.data.template import canonical_header, template_problems
from fusion_study.data.xlsxio import write_xlsx_deterministic


def _init(tmp_path, name="study"):
    folder = tmp_path / name
    assert main(["init", str(folder)]) == 0
    return folder


def _digest(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_init_writes_every_table_codebook_and_readme(tmp_path):
    folder = _init(tmp_path)
    names = sorted(p.name for p in folder.iterdir())
    assert names == sorted([f"{t}.xlsx" for t in TABLES] + ["codebook.xlsx", "README.md"])
    readme = (folder / "README.md").read_text(encoding="utf-8")
    assert "fusion-study import-survey" in readme and "--codebook study/codebook.xlsx --study study" in readme
    assert "问卷星" in readme and "## English" in readme


def test_headers_are_bilingual_and_one_example_row(tmp_path):
    folder = _init(tmp_path)
    for name, spec in [*TABLES.items(), ("codebook", CODEBOOK)]:
        ws = load_workbook(folder / f"{name}.xlsx").active
        rows = list(ws.iter_rows(values_only=True))
        header = list(rows[0])
        declared = [f"{c.name}（{c.text_zh}）" for c in spec.columns]
        assert header[: len(declared)] == declared, name
        if name != "customer_survey":
            assert len(header) == len(declared), name
        assert len(rows) == (4 if name == "codebook" else 2), name
    ws = load_workbook(folder / "units.xlsx").active
    assert ws["A1"].value == "unit_id（单位编号）"
    survey = [c.value for c in load_workbook(folder / "customer_survey.xlsx").active[1]]
    assert "example_sat（总体满意度）" in survey
    assert not any(c.startswith("example_comment") for c in survey)  # text answers are kept apart


def test_untouched_template_loads_with_canonical_columns(tmp_path):
    study = load_study(_init(tmp_path))
    assert sorted(study.tables) == sorted(TABLES)
    for name, spec in TABLES.items():
        assert list(study.tables[name].columns[: len(spec.columns)]) == spec.column_names, name
        assert len(study.tables[name]) == 1
    assert study.units.loc[2, "unit_id"] == "EXAMPLE-U1"  # row 2: the first data row in Excel
    assert str(study.tickets["opened"].dtype).startswith("datetime64")
    assert study.customer_survey["example_sat"].iloc[0] == 9
    cb = study.codebook
    assert cb["item_id"].tolist() == ["example_qual1", "example_sat", "example_comment"]
    assert cb["scale"].tolist() == ["quality", "satisfaction", "text"]
    assert cb.loc[cb["item_id"] == "example_sat", "max"].iloc[0] == 10
    assert cb["text_zh"].str.contains("总体满意度").any() and cb["text_zh"].str.contains("意见和建议").any()


def test_validate_explains_the_untouched_template(tmp_path, capsys):
    folder = _init(tmp_path)
    capsys.readouterr()
    assert main(["validate", str(folder)]) == 1
    out = capsys.readouterr().out
    assert "example_row" in out and "EXAMPLE-U1" in out and "示例行" in out
    problems = template_problems(load_study(folder))
    assert set(problems["rule"]) == {"example_row"}
    assert sorted(problems["table"].unique()) == sorted([*TABLES, "codebook"])
    assert len(problems) == len(TABLES) + 3  # one example row per table, three codebook items
    assert problems["row"].dropna().eq(2).sum() == len(TABLES) + 1


def test_validate_flags_empty_required_table_after_examples_are_deleted(tmp_path, capsys):
    folder = _init(tmp_path)
    study = load_study(folder)
    for name, df in study.tables.items():  # the user deletes every example row but keeps the headers
        ws = load_workbook(folder / f"{name}.xlsx").active
        header = [c.value for c in ws[1]]
        write_xlsx_deterministic(pd.DataFrame(columns=header), folder / f"{name}.xlsx")
    (folder / "codebook.xlsx").unlink()
    capsys.readouterr()
    assert main(["validate", str(folder)]) == 1
    out = capsys.readouterr().out
    assert "units — empty_table" in out and "组织单位" in out
    assert "example_row" not in out


def test_a_filled_row_is_not_an_example(tmp_path):
    folder = _init(tmp_path)
    study = load_study(folder)
    study.tables["units"].loc[2, "unit_id"] = "U001"
    problems = template_problems(study)
    assert "units" not in set(problems["table"])
    assert "customers" in set(problems["table"])


def test_init_is_deterministic(tmp_path):
    a = _digest(_init(tmp_path, "a"))
    b = _digest(_init(tmp_path, "b"))
    # README names its folder; every Excel file is byte-identical
    assert {k: v for k, v in a.items() if k != "README.md"} == {k: v for k, v in b.items() if k != "README.md"}
    again = tmp_path / "again"
    again.mkdir()  # an existing empty folder is fine
    assert main(["init", str(again / "a")]) == 0
    assert _digest(again / "a") == a


def test_init_refuses_a_non_empty_folder(tmp_path, capsys):
    folder = _init(tmp_path)
    before = _digest(folder)
    capsys.readouterr()
    assert main(["init", str(folder)]) == 2
    err = capsys.readouterr().err
    assert "not empty" in err and "never overwrites" in err
    assert _digest(folder) == before
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine", encoding="utf-8")
    assert main(["init", str(other)]) == 2
    assert sorted(p.name for p in other.iterdir()) == ["notes.txt"]
    afile = tmp_path / "file.txt"
    afile.write_text("x", encoding="utf-8")
    assert main(["init", str(afile)]) == 2


def test_csv_with_bilingual_headers_keeps_leading_zeros(tmp_path):
    """A template saved as CSV from Excel: headers mapped, identifiers read as text."""
    folder = tmp_path / "csv"
    folder.mkdir()
    (folder / "units.csv").write_text(
        "unit_id（单位编号）,name（单位名称）,level（层级）,parent_id（上级单位编号）\n001,市局,city,\n",
        encoding="utf-8-sig",
    )
    study = load_study(folder)
    assert study.units["unit_id"].tolist() == ["001"]
    assert study.validate().ok


@pytest.mark.parametrize(
    "header,table,expected",
    [
        ("unit_id（单位编号）", "units", "unit_id"),
        ("unit_id (unit id)", "units", "unit_id"),
        ("unknown（说明）", "units", "unknown（说明）"),  # not a units column: left as written
        ("qual1（服务态度）", "customer_survey", "qual1"),  # survey tables: items are extra columns
        ("unit_id", "units", "unit_id"),
    ],
)
def test_canonical_header(header, table, expected):
    assert canonical_header(header, TABLES[table]) == expected


def test_validate_out_neutralises_formulas_in_the_problems_csv(tmp_path, capsys):
    import shutil
    from pathlib import Path

    folder = tmp_path / "study"
    small = ("units", "codebook")
    folder.mkdir()
    src = Path(__file__).parents[2] / "data" / "example"
    for name in small:
        shutil.copy(src / f"{name}.csv", folder / f"{name}.csv")
    units = pd.read_csv(folder / "units.csv", dtype=str, encoding="utf-8-sig")
    units.loc[1, "level"] = "=2+2"  # a user's value that a spreadsheet would run as a formula
    units.to_csv(folder / "units.csv", index=False, encoding="utf-8-sig")
    out = tmp_path / "problems.csv"
    assert main(["validate", str(folder), "--out", str(out)]) == 1
    capsys.readouterr()
    text = out.read_text(encoding="utf-8-sig")
    assert "'=2+2" in text  # neutralised: the cell is shown as text, not evaluated
    assert not any(cell.startswith("=") for line in text.splitlines() for cell in line.split(","))
