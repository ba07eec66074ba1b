"""The mapping report: missing items and unknown columns are reported, never guessed."""

import pytest

from fusion_study.ingest import MappingError, import_survey, map_columns, wenjuanxing_frame
from fusion_study.data.instruments import standard_codebook
from fusion_study.data.privacy import PrivacyError

from ingest_support import clean_responses

CB = standard_codebook()


def _export(tmp_path, frame, name="x.csv"):
    frame.to_csv(tmp_path / name, index=False, encoding="utf-8-sig")
    return tmp_path / name


def test_missing_item_and_unknown_column_are_reported(tmp_path):
    frame = wenjuanxing_frame(clean_responses(5), CB).drop(columns="3、(敷衍应付)")
    frame["9、您对我们还有什么建议"] = "无"
    frame["3、(服务速度)"] = 4
    res = import_survey(_export(tmp_path, frame), CB)
    m = res.mapping
    assert m.loc[m["role"] == "missing_item", "item_id"].tolist() == ["qual4"]
    assert m.loc[m["role"] == "unknown", "column"].tolist() == ["9、您对我们还有什么建议", "3、(服务速度)"]
    assert "qual4" not in res.responses.columns
    assert not {"9、您对我们还有什么建议", "3、(服务速度)"} & set(res.responses.columns)
    p = res.problems.problems
    assert p.loc[p["rule"] == "codebook_item", "column"].tolist() == ["9、您对我们还有什么建议", "3、(服务速度)", "qual4"]
    assert (p["severity"] == "warning").all()
    text = str(res)
    assert "unmatched export columns (dropped): 9、您对我们还有什么建议, 3、(服务速度)" in text
    assert "codebook items with no column: qual4" in text


def test_user_mapping_overrides_source_column(tmp_path):
    frame = wenjuanxing_frame(clean_responses(5), CB).rename(columns={"3、(敷衍应付)": "敷衍程度"})
    with pytest.raises(AssertionError):
        assert "qual4" in import_survey(_export(tmp_path, frame), CB).responses
    res = import_survey(_export(tmp_path, frame), CB, columns={"敷衍程度": "qual4"})
    assert res.responses["qual4"].notna().all()
    assert res.mapping.set_index("column").loc["敷衍程度", "note"] == "user mapping"
    # a key works as well as a header, and it can move an item to another column
    res = import_survey(_export(tmp_path, frame), CB, columns={"3(服务态度)": "qual4"})
    m = res.mapping.set_index("column")
    assert m.loc["3、(服务态度)", "item_id"] == "qual4" and m.loc["敷衍程度", "role"] == "unknown"
    assert (m["item_id"] == "qual1").sum() == 1 and m.loc[m["item_id"] == "qual1", "role"].iloc[0] == "missing_item"


def test_bad_user_mappings_are_refused(tmp_path):
    path = _export(tmp_path, wenjuanxing_frame(clean_responses(3), CB))
    with pytest.raises(MappingError, match="not in the customer_survey codebook"):
        import_survey(path, CB, columns={"5": "satisfaction_total"})
    with pytest.raises(MappingError, match="is not in the export"):
        import_survey(path, CB, columns={"99、不存在": "sat1"})
    with pytest.raises(MappingError, match="claimed by two columns"):
        import_survey(path, CB, columns={"2、(满足需求)": "exp1", "2、(可靠程度)": "exp1"})
    # naming another column for an item moves it there; its usual column becomes unknown
    m = import_survey(path, CB, columns={"2、(满足需求)": "exp1"}).mapping.set_index("column")
    assert m.loc["2、(满足需求)", "item_id"] == "exp1" and m.loc["2、(总体服务)", "role"] == "unknown"


def test_respondent_column_must_be_found_or_named(tmp_path):
    frame = wenjuanxing_frame(clean_responses(3), CB).rename(columns={"1、客户编号": "1、您的编码"})
    path = _export(tmp_path, frame)
    with pytest.raises(MappingError, match="pass respondent_column"):
        import_survey(path, CB)
    assert import_survey(path, CB, respondent_column="1").responses["customer_id"].tolist() == ["R0000", "R0001", "R0002"]
    frame["9、客户编号（备用）"] = "x"
    with pytest.raises(MappingError, match="several questions"):
        import_survey(_export(tmp_path, frame.rename(columns={"1、您的编码": "1、客户编号"}), "two.csv"), CB)


def test_respondent_column_may_not_be_personal_data(tmp_path):
    frame = wenjuanxing_frame(clean_responses(3), CB)
    frame["9、您的手机号"] = "13800001111"
    with pytest.raises(PrivacyError, match="personal data"):
        import_survey(_export(tmp_path, frame), CB, respondent_column="9")


def test_map_columns_roles():
    cols = ["序号", "来自IP", "1、客户编号", "2、(总体服务)", "Unnamed: 5", "9、您的姓名", "10、备注"]
    m = map_columns(cols, CB, instrument="customer_survey", text_columns=["10"], empty_columns=["Unnamed: 5"])
    listed = m[m["role"] != "missing_item"]
    roles = dict(zip(listed["column"], listed["role"]))
    assert roles == {"序号": "meta", "来自IP": "pii", "1、客户编号": "respondent", "2、(总体服务)": "item",
                     "Unnamed: 5": "empty", "9、您的姓名": "pii", "10、备注": "free_text"}
    assert (m["role"] == "missing_item").sum() == 15
    with pytest.raises(MappingError, match="no items for instrument"):
        map_columns(cols, CB[CB.instrument == "staff_survey"], instrument="customer_survey")


def test_codebook_without_required_columns_is_refused(tmp_path):
    path = _export(tmp_path, wenjuanxing_frame(clean_responses(3), CB))
    with pytest.raises(ValueError, match=r"codebook lacks column\(s\) \['source_column'\]"):
        import_survey(path, CB.drop(columns="source_column"))
