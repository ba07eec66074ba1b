"""Publication tables: three-line docx borders and fonts, safe xlsx, suppression, text formats."""

from __future__ import annotations

import hashlib

import openpyxl
import pandas as pd
import pytest
from docx import Document
from docx.oxml.ns import qn

from fusion_study.data.privacy import PrivacyError
from fusion_study.reporting.tables import (
    format_table,
    stars,
    to_csv,
    to_docx,
    to_latex,
    to_markdown,
    to_xlsx,
)

PAYLOADS = ['=HYPERLINK("http://evil.example","click")', "+1", "-1+2", "@SUM(A1:A9)", "\tcmd", "\rcmd"]


def _frame():
    return pd.DataFrame(
        {
            "segment": PAYLOADS + ["城镇"],
            "n": [12, 30, 3, 40, 25, 8, 60],
            "mean": [3.456, -1.25, 4.0, 2.5, 5.0, 1.0, -0.5],
            "p": [0.2, 0.04, 0.009, 0.0004, 0.5, 0.01, 0.03],
        }
    )


def _ft(**kw):
    args = dict(lang="zh", decimals={"mean": 2}, p_column="p", star_column="mean", n_column="n",
                caption="表1 测试表", notes="数据为模拟数据。")
    args.update(kw)
    return format_table(_frame(), **args)


def _border(el, side):
    b = el.find(qn(f"w:{side}"))
    return None if b is None else (b.get(qn("w:val")), b.get(qn("w:sz")))


def test_docx_is_a_three_line_table(tmp_path):
    path = to_docx(_ft(), tmp_path / "t.docx")
    doc = Document(str(path))
    (table,) = doc.tables
    borders = table._tbl.tblPr.find(qn("w:tblBorders"))
    assert _border(borders, "top") == ("single", "12")  # 1.5 pt
    assert _border(borders, "bottom") == ("single", "12")
    for side in ("left", "right", "insideH", "insideV"):
        assert _border(borders, side)[0] == "nil"
    # thin rule under the header only
    for cell in table.rows[0].cells:
        tcb = cell._tc.tcPr.find(qn("w:tcBorders"))
        assert _border(tcb, "bottom") == ("single", "6")  # 0.75 pt
    for row in table.rows[1:]:
        for cell in row.cells:
            tcpr = cell._tc.tcPr
            assert tcpr is None or tcpr.find(qn("w:tcBorders")) is None
    assert table._tbl.tblPr.find(qn("w:tblStyle")) is None  # no style borders sneaking back
    # East-Asian font 宋体, Latin Times New Roman, on every run of the table
    for row in table.rows:
        for cell in row.cells:
            for run in cell.paragraphs[0].runs:
                rf = run._element.rPr.find(qn("w:rFonts"))
                assert rf.get(qn("w:eastAsia")) == "宋体"
                assert rf.get(qn("w:ascii")) == "Times New Roman"
    # caption above, notes (with suppression and stars notes) below
    body = [p.text for p in doc.paragraphs]
    assert body[0] == "表1 测试表"
    assert "少于5人" in body[-1] and "p<.001" in body[-1] and "模拟数据" in body[-1]
    assert [c.text for c in table.rows[0].cells] == ["客户类型", "样本量", "均值", "p值"]


def test_docx_and_xlsx_bytes_are_deterministic(tmp_path):
    digests = []
    for i in range(2):
        d = to_docx(_ft(), tmp_path / f"t{i}.docx").read_bytes()
        x = to_xlsx(_ft(), tmp_path / f"t{i}.xlsx").read_bytes()
        digests.append((hashlib.sha256(d).hexdigest(), hashlib.sha256(x).hexdigest()))
    assert digests[0] == digests[1]


def test_xlsx_neutralises_formulas_and_keeps_numbers(tmp_path):
    path = to_xlsx(_ft(), tmp_path / "t.xlsx")
    ws = openpyxl.load_workbook(path).active
    rows = list(ws.iter_rows(min_row=3, max_row=9))  # row 1 caption, row 2 header
    texts = [r[0].value for r in rows]
    for payload, got in zip(PAYLOADS, texts):
        assert got == "'" + payload
        assert rows[texts.index(got)][0].data_type == "s"
    assert texts[-1] == "城镇"
    # real numbers stay numbers, negative ones included
    assert rows[1][2].value == -1.25 and rows[1][2].data_type == "n"
    assert rows[0][1].value == 12 and rows[0][1].data_type == "n"
    assert rows[0][2].number_format == "0.00"
    # suppressed row (n=3)
    assert rows[2][1].value == "<5" and rows[2][2].value == "—" and rows[2][3].value == "—"
    notes = ws.cell(row=10, column=1).value
    assert "少于5人" in notes


def test_csv_neutralises_formulas(tmp_path):
    text = to_csv(_ft(), tmp_path / "t.csv").read_text(encoding="utf-8-sig")
    df = pd.read_csv(tmp_path / "t.csv", encoding="utf-8-sig", keep_default_na=False)
    assert all(str(v).startswith("'") for v in df["客户类型"][:4])
    assert "-1.25" in text


def test_small_cells_are_suppressed_and_footnoted():
    ft = _ft()
    row = ft.display.iloc[2]
    assert row["n"] == "<5" and row["mean"] == "—" and row["p"] == "—"
    assert ft.n_suppressed > 0
    assert any("少于5人" in n for n in ft.notes)
    assert ft.display.iloc[0]["mean"] == "3.46"
    assert ft.display.iloc[3]["mean"] == "2.50***" and ft.display.iloc[3]["p"] == "<.001"
    # threshold is configurable: with k=10, n=8 is suppressed too
    ft10 = _ft(min_cell=10)
    assert ft10.display.iloc[5]["mean"] == "—" and ft10.display.iloc[5]["n"] == "<10"
    assert any("少于10人" in n for n in ft10.notes)
    # without n_column nothing is suppressed and no note is added
    ftn = format_table(_frame(), lang="en")
    assert "—" not in ftn.display.to_numpy()
    assert ftn.notes == []


def test_english_headers_and_notes():
    ft = _ft(lang="en", caption="Table 1")
    assert ft.headers == ["segment", "N", "mean", "p"]
    assert any("fewer than 5 respondents" in n for n in ft.notes)


def test_pii_columns_cannot_be_exported():
    with pytest.raises(PrivacyError, match="personal data"):
        format_table(pd.DataFrame({"手机": ["13812345678"], "n": [10]}))


def test_bad_options_are_named():
    with pytest.raises(ValueError, match="n_column='size'"):
        format_table(_frame(), n_column="size")
    with pytest.raises(ValueError, match="decimals names unknown"):
        format_table(_frame(), decimals={"sd": 2})


def test_latex_and_markdown():
    tex = to_latex(_ft())
    assert "\\toprule" in tex and "\\midrule" in tex and "\\bottomrule" in tex and "|" not in tex
    assert "\\caption{表1 测试表}" in tex
    md = to_markdown(_ft())
    lines = md.splitlines()
    assert lines[0] == "**表1 测试表**"
    assert lines[2].startswith("| 客户类型 | 样本量 |")
    assert "<5" in md


def test_stars():
    assert [stars(p) for p in (0.05, 0.049, 0.0099, 0.00099)] == ["", "*", "**", "***"]


def test_group_column_shows_each_group_once():
    df = pd.DataFrame({"variable": ["县区局", "县区局", "波次"], "category": ["甲", "乙", "2024Q1"], "n": [9, 8, 17]})
    ft = format_table(df, group_column="variable", n_column="n")
    assert ft.display["variable"].tolist() == ["县区局", "", "波次"]
    assert ft.values["variable"].tolist() == ["县区局", "县区局", "波次"]  # spreadsheets keep every value
