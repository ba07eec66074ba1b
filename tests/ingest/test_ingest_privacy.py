"""No IP, phone or name reaches the processed table or the saved study; free text is masked and defused."""

import pandas as pd
from openpyxl import load_workbook

from fusion_study.ingest import add_to_study, import_survey, write_wenjuanxing_export
from fusion_study.data.instruments import standard_codebook
from fusion_study.data.privacy import find_pii_columns

from ingest_support import clean_responses

CB = standard_codebook()
PHONE, IDCARD, NAME, IP = "13912345678", "110101199003074512", "张三丰", "203.0.113.77"


def _export(tmp_path, suffix="xlsx"):
    r = clean_responses(8)
    extra = {
        "来自IP": [f"{IP}(浙江-杭州)"] * 8,
        "9、您的姓名": [NAME] * 8,
        "10、联系电话": [PHONE] * 8,
        "11、其他意见和建议": [f"请联系{PHONE}", f"身份证{IDCARD}", "=HYPERLINK(\"http://x\",\"点我\")",
                       "@SUM(A1)", "很好", None, "-10分", f"邮箱 a@b.cn {PHONE}"],
    }
    return write_wenjuanxing_export(r, CB, tmp_path / f"pii.{suffix}", flavour="text", extra_columns=extra)


def test_pii_never_reaches_the_responses(tmp_path):
    for suffix in ("xlsx", "csv"):
        res = import_survey(_export(tmp_path, suffix), CB, text_columns=["11"])
        assert find_pii_columns(res.responses.columns) == []
        text = res.responses.astype(str).to_csv()
        for secret in (PHONE, IDCARD, NAME, IP):
            assert secret not in text
        roles = res.mapping.set_index("column")["role"]
        assert roles[["来自IP", "9、您的姓名", "10、联系电话"]].tolist() == ["pii"] * 3


def test_pii_never_reaches_the_saved_study(tmp_path):
    res = import_survey(_export(tmp_path), CB, text_columns=["11"])
    folder = tmp_path / "study"
    add_to_study(res, folder, CB)
    for f in folder.iterdir():
        content = f.read_bytes().decode("utf-8-sig", errors="replace")
        for secret in (PHONE, IDCARD, NAME, IP):
            assert secret not in content, (f.name, secret)


def test_free_text_is_masked_and_formulas_defused(tmp_path):
    res = import_survey(_export(tmp_path), CB, text_columns=["11"])
    free = res.free_text["11、其他意见和建议"].tolist()
    assert free[0] == "请联系〔电话〕"
    assert free[1] == "身份证〔身份证号〕"
    assert free[2] == "'=HYPERLINK(\"http://x\",\"点我\")" and free[3] == "'@SUM(A1)"
    assert free[6] == "'-10分" and free[7] == "邮箱 〔邮箱〕 〔电话〕"
    assert res.free_text["response_id"].tolist() == res.responses["response_id"].tolist()


def test_exported_formula_text_is_stored_as_text(tmp_path):
    path = _export(tmp_path)
    ws = load_workbook(path).active
    header = [c.value for c in ws[1]]
    cell = ws.cell(row=4, column=header.index("11、其他意见和建议") + 1)
    assert cell.data_type == "s" and cell.value.startswith("=HYPERLINK")
    raw = pd.read_excel(path)["11、其他意见和建议"]
    assert raw.iloc[2].startswith("=HYPERLINK")


def test_undeclared_free_text_is_dropped(tmp_path):
    res = import_survey(_export(tmp_path), CB)
    assert res.free_text.empty
    assert res.mapping.set_index("column").loc["11、其他意见和建议", "role"] == "unknown"


def test_phone_numbers_as_respondent_ids_are_refused(tmp_path):
    import pytest

    from fusion_study.data.privacy import PrivacyError

    r = clean_responses(4)
    r.loc[2, "customer_id"] = "13700001234"
    path = write_wenjuanxing_export(r, CB, tmp_path / "phone_ids.csv")
    with pytest.raises(PrivacyError, match=r"phone_ids.csv, row 4, column '1、客户编号'.*mobile or ID-card"):
        import_survey(path, CB)
