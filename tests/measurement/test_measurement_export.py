"""Word/Excel export of the validity report: read the files back and check tables, titles and numbers."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import docx
import openpyxl
import pandas as pd
import pytest

from fusion_study.cli.parser import main
from fusion_study.measurement import validity_report, validity_tables
from fusion_study.measurement.validity_export import TABLE_TITLES

REF_DIR = Path(__file__).parents[1] / "reference" / "measurement"
SCALES = {"visual": ["x1", "x2", "x3"], "textual": ["x4", "x5", "x6"], "speed": ["x7", "x8", "x9"]}


@pytest.fixture(scope="module")
def report():
    hs = pd.read_csv(REF_DIR / "hs1939.csv")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return validity_report(hs, SCALES)


def _text(document) -> str:
    parts = [p.text for p in document.paragraphs]
    parts += [c.text for t in document.tables for row in t.rows for c in row.cells]
    return "\n".join(parts)


def test_docx_has_every_table_in_order_with_titles_headers_and_numbers(report, tmp_path):
    path = report.to_docx(tmp_path / "validity.docx", title="测试量表")
    d = docx.Document(path)
    # no single-item measure in this instrument: every table but the single-item one
    assert list(report) == [k for k in TABLE_TITLES if k != "single_items"] and len(d.tables) == 8
    captions = [p.text for p in d.paragraphs if p.text.startswith("表")]
    assert captions == [f"表{i + 1} 测试量表：{TABLE_TITLES[k][0]}" for i, k in enumerate(report)]
    assert d.paragraphs[0].text == "测试量表：信度与效度分析"
    text = _text(d)
    assert not re.search(r"\bnan\b", text, re.I) and "None" not in text
    # table 1: reliability, one row per scale, numbers to 3 decimals
    t1 = d.tables[0]
    assert [c.text for c in t1.rows[0].cells] == ["量表", "题项数", "样本量", "Cronbach's α", "标准化α",
                                                   "McDonald's ω", "组合信度CR", "AVE", "AVE平方根"]
    rel = report["reliability"].set_index("scale")
    for row, scale in zip(t1.rows[1:], SCALES):
        cells = [c.text for c in row.cells]
        assert cells[0] == scale  # not in the label catalogue: shown as is
        assert cells[2] == "301"
        assert cells[3] == f"{rel.loc[scale, 'alpha']:.3f}"
        assert cells[6] == f"{rel.loc[scale, 'cr']:.3f}"
        assert cells[8] == f"{rel.loc[scale, 'sqrt_ave']:.3f}"
    # psych::alpha of the visual scale is 0.626 (tests/reference/measurement/reference.json)
    assert t1.rows[1].cells[3].text == "0.626"
    # loadings: marker loading has no SE; factor shown once per block
    t2 = d.tables[1]
    assert [c.text for c in t2.rows[1].cells][:4] == ["visual", "x1", "1.000", ""]
    assert t2.rows[2].cells[0].text == ""
    # KMO/Bartlett: statistic-value layout
    t3 = {r.cells[0].text: r.cells[1].text for r in d.tables[2].rows[1:]}
    kb = report["kmo_bartlett"].set_index("item").loc["overall"]
    assert t3["KMO"] == f"{kb['msa']:.3f}" and t3["df"] == "36" and t3["p"] == "<.001" and t3["N"] == "301"
    # CFA comparison: reference row has no Δ; alternatives carry stars on Δχ²
    t5 = d.tables[4]
    assert t5.rows[1].cells[0].text == "3因子模型（假设模型）"
    assert [c.text for c in t5.rows[1].cells][-3:] == ["", "", ""]
    assert t5.rows[-1].cells[0].text == "单因子模型" and t5.rows[-1].cells[-3].text.endswith("***")
    assert t5.rows[1].cells[2].text == "24"  # df as an integer
    # correlations: lower triangle with sqrt(AVE) on the diagonal; HTMT without diagonal
    t6 = d.tables[5]
    assert t6.rows[1].cells[3].text == f"{rel.loc['visual', 'sqrt_ave']:.3f}" and t6.rows[1].cells[4].text == ""
    t8 = d.tables[7]
    assert t8.rows[1].cells[1].text == "" and t8.rows[2].cells[1].text == f"{report['htmt'].iloc[1, 1]:.3f}"


def test_english_tables(report, tmp_path):
    d = docx.Document(report.to_docx(tmp_path / "v_en.docx", lang="en"))
    captions = [p.text for p in d.paragraphs if p.text.startswith("Table")]
    assert captions == [f"Table {i + 1}. {TABLE_TITLES[k][1]}" for i, k in enumerate(report)]
    assert d.tables[4].rows[1].cells[0].text == "3-factor (hypothesised)"
    assert not re.search(r"\bnan\b", _text(d), re.I)


def test_xlsx_one_sheet_per_table_numbers_kept(report, tmp_path):
    wb = openpyxl.load_workbook(report.to_xlsx(tmp_path / "validity.xlsx"))
    assert wb.sheetnames == list(report)
    ws = wb["reliability"]
    assert ws.cell(1, 1).value == "表1 信度与收敛效度"
    assert ws.cell(3, 4).value == pytest.approx(report["reliability"]["alpha"].iloc[0], abs=1e-12)


def test_validity_tables_checks_input(report):
    with pytest.raises(ValueError, match="lang"):
        validity_tables(report, lang="fr")
    with pytest.raises(ValueError, match="unknown validity table"):
        validity_tables({"oops": pd.DataFrame()})
    subset = validity_tables({"htmt": report["htmt"]}, lang="en", start=3)
    assert [t.caption for t in subset] == ["Table 3. Heterotrait–monotrait ratios (HTMT)"]


def test_cli_writes_validity_tables(tmp_path, capsys):
    example = Path(__file__).resolve().parents[2] / "data" / "example"
    assert main(["validity", str(example), "--out", str(tmp_path), "--instrument", "customer_survey"]) == 0
    out = capsys.readouterr().out
    assert "零售客户满意度问卷" in out and "validity_customer_survey.docx" in out
    d = docx.Document(tmp_path / "validity_customer_survey.docx")
    assert len(d.tables) == 8
    assert d.tables[0].rows[1].cells[0].text == "客户期望"  # scale labels from the catalogue
    assert (tmp_path / "validity_customer_survey.xlsx").exists()


def test_same_report_same_bytes(report, tmp_path):
    a = report.to_docx(tmp_path / "a.docx").read_bytes()
    b = report.to_docx(tmp_path / "b.docx").read_bytes()
    assert a == b
    assert report.to_xlsx(tmp_path / "a.xlsx").read_bytes() == report.to_xlsx(tmp_path / "b.xlsx").read_bytes()


def test_multi_table_writers_check_input(report, tmp_path):
    from fusion_study.reporting.tables import to_docx_tables, to_xlsx_tables

    tables = report.tables(lang="en")
    with pytest.raises(TypeError, match="FormattedTable"):
        to_docx_tables([], tmp_path / "x.docx")
    with pytest.raises(TypeError, match="FormattedTable"):
        to_xlsx_tables([report["htmt"]], tmp_path / "x.xlsx")
    with pytest.raises(ValueError, match="distinct"):
        to_xlsx_tables(tables[:2], tmp_path / "x.xlsx", sheet_names=["a", "a"])
    with pytest.raises(ValueError, match="forbids"):
        to_xlsx_tables(tables[:1], tmp_path / "x.xlsx", sheet_names=["a/b"])
    with pytest.raises(ValueError, match="format"):
        from fusion_study.measurement import write_validity_report

        write_validity_report(report, tmp_path / "x", formats=("pdf",))
