"""Each export format and flavour, built in code, imports to the same canonical answers."""

import numpy as np
import pandas as pd
import pytest

from fusion_study.ingest import import_survey, wenjuanxing_frame, write_wenjuanxing_export
from fusion_study.data.instruments import standard_codebook
from fusion_study.data.readers import TableReadError

from ingest_support import clean_responses, customer_items

CB = standard_codebook()
ITEMS = customer_items()["item_id"].tolist()


def _answers(result):
    return result.responses.reset_index(drop=True)[["customer_id", *ITEMS]]


def _expected(r):
    out = r[["customer_id", *ITEMS]].copy()
    out[ITEMS] = out[ITEMS].astype("float64")
    return out.reset_index(drop=True)


@pytest.mark.parametrize("suffix", ["xlsx", "csv"])
@pytest.mark.parametrize("flavour", ["code", "text"])
def test_wenjuanxing_flavours_round_trip(tmp_path, suffix, flavour):
    r = clean_responses(30)
    path = write_wenjuanxing_export(r, CB, tmp_path / f"wjx.{suffix}", flavour=flavour)
    res = import_survey(path, CB)
    assert res.flavour == flavour and res.source == "wenjuanxing" and res.format == suffix
    pd.testing.assert_frame_equal(_answers(res), _expected(r), check_dtype=False)
    assert res.rows_read == 30 and len(res.responses) == 30
    assert res.responses["wave"].unique().tolist() == ["2024Q1"]
    assert res.responses["duration_s"].tolist() == r["duration_s"].tolist()
    assert (res.responses["submitted"].reset_index(drop=True) == r["submitted"]).all()
    assert res.problems.ok and res.problems.problems.empty


def test_flavour_can_be_forced_and_mismatch_is_reported(tmp_path):
    r = clean_responses(10)
    path = write_wenjuanxing_export(r, CB, tmp_path / "text.xlsx", flavour="text")
    res = import_survey(path, CB, flavour="code")
    # option text in a 按序号 import is not guessed: every row is reported and excluded
    assert len(res.responses) == 0
    assert set(res.problems.problems["rule"]) >= {"allowed_values"}


def test_legacy_headers(tmp_path):
    r = clean_responses(12)
    path = write_wenjuanxing_export(r, CB, tmp_path / "old.xlsx", header_style="legacy")
    frame = pd.read_excel(path)
    assert "第3题(服务态度)" in frame.columns and "第1题：客户编号" in frame.columns
    res = import_survey(path, CB)
    pd.testing.assert_frame_equal(_answers(res), _expected(r), check_dtype=False)


def test_trailing_spaces_and_full_width_headers(tmp_path):
    r = clean_responses(8)
    frame = wenjuanxing_frame(r, CB)
    frame.columns = [c.replace("(", "（").replace(")", "）") + "  " if "、" in c else c for c in frame.columns]
    frame.to_csv(tmp_path / "spaces.csv", index=False, encoding="utf-8-sig")
    res = import_survey(tmp_path / "spaces.csv", CB)
    pd.testing.assert_frame_equal(_answers(res), _expected(r), check_dtype=False)
    assert res.mapping["role"].value_counts()["item"] == len(ITEMS)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_csv_encodings_are_detected_and_recorded(tmp_path, encoding):
    r = clean_responses(10)
    path = write_wenjuanxing_export(r, CB, tmp_path / "enc.csv", flavour="text", encoding=encoding)
    res = import_survey(path, CB)
    assert res.encoding == encoding
    pd.testing.assert_frame_equal(_answers(res), _expected(r), check_dtype=False)
    assert encoding in str(res)


def test_skipped_empty_and_negative_codes_are_missing(tmp_path):
    r = clean_responses(6)
    frame = wenjuanxing_frame(r, CB, flavour="text")
    frame["2、(总体服务)"] = frame["2、(总体服务)"].astype(object)
    frame.loc[0, "2、(总体服务)"] = "(跳过)"
    frame.loc[1, "2、(总体服务)"] = "(空)"
    frame.loc[2, "2、(总体服务)"] = None
    frame.loc[3, "2、(总体服务)"] = "-3"
    frame.loc[4, "2、(总体服务)"] = "-2"
    frame.to_csv(tmp_path / "skips.csv", index=False, encoding="utf-8-sig")
    res = import_survey(tmp_path / "skips.csv", CB)
    exp1 = res.responses["exp1"].tolist()
    assert np.isnan(exp1[:5]).all() and exp1[5] == r.loc[5, "exp1"]
    assert len(res.responses) == 6 and res.problems.ok


def test_negative_codes_in_code_flavour(tmp_path):
    r = clean_responses(6).astype({"sat1": "float64"})
    r.loc[1, "sat1"] = np.nan  # written as -3
    frame = wenjuanxing_frame(r, CB)
    frame.loc[2, "5、总体而言，您对烟草公司的服务满意程度（1-10分）"] = -2
    path = tmp_path / "neg.xlsx"
    frame.to_excel(path, index=False)
    res = import_survey(path, CB)
    sat1 = res.responses["sat1"]
    assert sat1.isna().sum() == 2 and sat1.iloc[[1, 2]].isna().all()


def _multi_codebook():
    extra = pd.DataFrame(
        {
            "item_id": ["help_delivery", "help_training", "help_finance"],
            "instrument": "customer_survey",
            "scale": "help_wanted",
            "text_zh": ["送货", "培训", "融资"],
            "text_en": ["delivery", "training", "finance"],
            "reverse": False,
            "min": 0,
            "max": 1,
            "source_column": ["8(送货服务)", "8(经营培训)", "8(融资咨询)"],
            "options": None,
        }
    )
    return pd.concat([CB, extra], ignore_index=True)


@pytest.mark.parametrize("flavour", ["code", "text"])
@pytest.mark.parametrize("style", ["split", "joined"])
def test_multi_select_both_ways(tmp_path, flavour, style):
    cb = _multi_codebook()
    r = clean_responses(6)
    r["help_delivery"] = [1, 0, 1, 0, 0, np.nan]
    r["help_training"] = [1, 1, 0, 0, 0, np.nan]
    r["help_finance"] = [0, 0, 1, 0, 1, np.nan]
    path = write_wenjuanxing_export(r, cb, tmp_path / "multi.xlsx", flavour=flavour, multi_select=style)
    header = pd.read_excel(path).columns
    if style == "joined":
        cells = pd.read_excel(path)["8、第8题（多选）"].tolist()
        assert cells[0] == ("送货服务┋经营培训" if flavour == "text" else "1┋2")
    else:
        assert "8、(送货服务)" in header
    res = import_survey(path, cb)
    got = res.responses[["help_delivery", "help_training", "help_finance"]].reset_index(drop=True)
    expected = r[["help_delivery", "help_training", "help_finance"]].astype("float64")
    if style == "joined":
        # in one joined cell "nothing chosen" is an empty cell, i.e. missing
        expected.loc[3] = [np.nan, np.nan, np.nan]
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)
    assert res.problems.ok


def test_multi_select_unknown_choice_is_reported(tmp_path):
    cb = _multi_codebook()
    r = clean_responses(3)
    r[["help_delivery", "help_training", "help_finance"]] = [[1, 0, 0], [0, 1, 0], [0, 0, 1]]
    frame = wenjuanxing_frame(r, cb, flavour="text", multi_select="joined")
    frame.loc[1, "8、第8题（多选）"] = "经营培训┋代购香烟"
    frame.to_csv(tmp_path / "m.csv", index=False)
    res = import_survey(tmp_path / "m.csv", cb)
    bad = res.problems.problems[res.problems.problems["rule"] == "allowed_values"]
    assert bad["row"].tolist() == [3] and "代购香烟" in bad["value"].iloc[0]
    assert res.ledger.excluded_rows("customer_survey").tolist() == [3]


def test_unknown_option_text_is_reported_not_guessed(tmp_path):
    r = clean_responses(5)
    frame = wenjuanxing_frame(r, CB, flavour="text")
    frame.loc[2, "3、(服务态度)"] = "还行吧"
    frame.to_csv(tmp_path / "u.csv", index=False, encoding="utf-8-sig")
    res = import_survey(tmp_path / "u.csv", CB)
    p = res.problems.problems
    row = p[p["rule"] == "allowed_values"].iloc[0]
    assert (row["row"], row["column"], row["value"]) == (4, "3、(服务态度)", "还行吧")
    led = res.ledger.to_frame()
    assert led[["source_row", "rule"]].values.tolist() == [[4, "screening:unknown_option"]]
    assert "qual1" in led["detail"].iloc[0]


def _tencent_csv(r, path, encoding="utf-8-sig"):
    items = customer_items()
    head = ["编号", "开始答题时间", "结束答题时间", "答题时长", "IP", "1.您的客户编号"]
    for _, it in items.iterrows():
        src = it["source_column"]
        head.append(f"{src.split('(')[0]}.({src.split('(')[1]}" if "(" in src else f"{src}.{it['text_zh']}")
    lines = [",".join(head) + ","]
    for i, row in r.reset_index(drop=True).iterrows():
        start = row["submitted"] - pd.Timedelta(seconds=row["duration_s"])
        cells = [str(i + 1), start.strftime("%Y-%m-%d %H:%M:%S"), row["submitted"].strftime("%Y-%m-%d %H:%M:%S"),
                 f"{int(row['duration_s'])}秒", f"10.0.0.{i + 1}", row["customer_id"]]
        cells += [str(int(row[it])) for it in items["item_id"]]
        lines.append(",".join(cells) + ",")
    path.write_text("\r\n".join(lines) + "\r\n", encoding=encoding)
    return path


def test_tencent_csv_with_trailing_commas(tmp_path):
    r = clean_responses(9)
    path = _tencent_csv(r, tmp_path / "tencent.csv")
    res = import_survey(path, CB)
    assert res.source == "tencent"
    pd.testing.assert_frame_equal(_answers(res), _expected(r), check_dtype=False)
    roles = res.mapping.set_index("column")["role"]
    assert roles["IP"] == "pii" and (roles.filter(like="Unnamed") == "empty").all()
    assert res.responses["duration_s"].tolist() == r["duration_s"].tolist()
    assert res.problems.ok and res.problems.problems.empty


def test_parquet_export(tmp_path):
    r = clean_responses(7)
    wenjuanxing_frame(r, CB).to_parquet(tmp_path / "wjx.parquet", index=False)
    res = import_survey(tmp_path / "wjx.parquet", CB)
    assert res.format == "parquet"
    pd.testing.assert_frame_equal(_answers(res), _expected(r), check_dtype=False)


def _write_sav(r, path, *, shift=0, bad_label=False):
    import pyreadstat

    items = customer_items()
    frame = wenjuanxing_frame(r, CB)
    data = pd.DataFrame({"serial": frame["序号"], "custid": frame["1、客户编号"].astype(str),
                         "dur": r["duration_s"].astype(float)})
    labels = {"serial": "序号", "custid": "1、客户编号", "dur": "所用时间"}
    value_labels = {}
    for k, (_, it) in enumerate(items.iterrows()):
        name = f"Q{k + 2}"
        data[name] = (r[it["item_id"]] - shift).astype(float)
        src = it["source_column"]
        labels[name] = f"{src.split('(')[0]}、({src.split('(')[1]}" if "(" in src else f"{src}、{it['text_zh']}"
        opts = dict(part.split("=") for part in it["options"].split(";"))
        value_labels[name] = {float(int(c) - shift): t for c, t in opts.items()}
    if bad_label:
        value_labels["Q2"][float(1 - shift)] = "完全不认同"
    pyreadstat.write_sav(data, str(path), column_labels=[labels[c] for c in data.columns],
                         variable_value_labels=value_labels)
    return path


def test_spss_with_value_labels(tmp_path):
    r = clean_responses(10)
    res = import_survey(_write_sav(r, tmp_path / "s.sav"), CB, wave="2024Q1")
    assert res.format == "spss" and res.problems.problems.empty
    pd.testing.assert_frame_equal(_answers(res), _expected(r), check_dtype=False)


def test_spss_labelled_values_are_mapped_to_codebook_codes(tmp_path):
    r = clean_responses(10)
    res = import_survey(_write_sav(r, tmp_path / "s0.sav", shift=1), CB, wave="2024Q1")  # coded 0..6
    pd.testing.assert_frame_equal(_answers(res), _expected(r), check_dtype=False)
    notes = res.problems.problems
    assert (notes["severity"] == "warning").all() and notes["message"].str.contains("recoded").sum() == len(ITEMS)


def test_spss_conflicting_labels_are_reported(tmp_path):
    r = clean_responses(10)
    res = import_survey(_write_sav(r, tmp_path / "bad.sav", bad_label=True), CB, wave="2024Q1")
    p = res.problems.problems
    conflict = p[p["message"].str.contains("not in the codebook options")]
    assert conflict["column"].tolist() == ["2、(总体服务)"] and "完全不认同" in conflict["message"].iloc[0]
    pd.testing.assert_frame_equal(_answers(res), _expected(r), check_dtype=False)


def test_respondent_from_source_detail(tmp_path):
    r = clean_responses(4)
    frame = wenjuanxing_frame(r, CB).drop(columns="1、客户编号")
    frame["来源详情"] = [f"https://v.wjx.cn/vm/abc.aspx?sojumpparm={c}" for c in r["customer_id"]]
    frame.to_csv(tmp_path / "sd.csv", index=False)
    res = import_survey(tmp_path / "sd.csv", CB, respondent_column="来源详情")
    assert res.responses["customer_id"].tolist() == r["customer_id"].tolist()


def test_respondent_ids_keep_leading_zeros(tmp_path):
    r = clean_responses(3)
    r["customer_id"] = ["000123", "004560", "000001"]
    write_wenjuanxing_export(r, CB, tmp_path / "z.csv")
    assert import_survey(tmp_path / "z.csv", CB).responses["customer_id"].tolist() == ["000123", "004560", "000001"]


def test_staff_survey(tmp_path):
    r = clean_responses(6, instrument="staff_survey")
    path = write_wenjuanxing_export(r, CB, tmp_path / "staff.xlsx", instrument="staff_survey", flavour="text")
    res = import_survey(path, CB, instrument="staff_survey", wave="2024q1")
    got = res.responses.reset_index(drop=True)
    assert got["staff_id"].tolist() == r["staff_id"].tolist() and got["unit_id"].tolist() == r["unit_id"].tolist()
    assert got["wave"].unique().tolist() == ["2024Q1"] and got["response_id"].iloc[0] == "SS2024Q1-000001"
    assert got["goal1"].tolist() == r["goal1"].astype(float).tolist()


def test_wave_from_submission_time(tmp_path):
    r = clean_responses(4)
    r["submitted"] = pd.to_datetime(["2024-03-31 23:59:59", "2024-04-01 00:00:00", "2023-12-31 12:00:00",
                                     "2024-07-15 09:00:00"])
    res = import_survey(write_wenjuanxing_export(r, CB, tmp_path / "w.xlsx"), CB)
    assert res.responses["wave"].tolist() == ["2024Q1", "2024Q2", "2023Q4", "2024Q3"]


def test_writer_is_deterministic(tmp_path):
    r = clean_responses(15)
    a = write_wenjuanxing_export(r, CB, tmp_path / "a.xlsx", flavour="text").read_bytes()
    b = write_wenjuanxing_export(r, CB, tmp_path / "b.xlsx", flavour="text").read_bytes()
    assert a == b
    c = write_wenjuanxing_export(r, CB, tmp_path / "a.csv").read_bytes()
    assert c == write_wenjuanxing_export(r, CB, tmp_path / "b.csv").read_bytes()


@pytest.mark.parametrize(
    "content, fragment",
    [(b"", "empty"), ("序号,1、客户编号\n".encode(), "no responses"), (b"\xff\xfe\x00\x01garbage\x81", "decode")],
)
def test_bad_files_give_clear_errors(tmp_path, content, fragment):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises((ValueError, TableReadError)) as err:
        import_survey(path, CB)
    assert fragment in str(err.value) and "Traceback" not in str(err.value)


def test_unsupported_and_missing_files(tmp_path):
    with pytest.raises(TableReadError, match="unsupported export type"):
        import_survey(tmp_path / "x.txt", CB)
    with pytest.raises(FileNotFoundError, match="no such export"):
        import_survey(tmp_path / "nope.xlsx", CB)


def test_bad_meta_values_are_reported_with_row_and_column(tmp_path):
    r = clean_responses(5)
    frame = wenjuanxing_frame(r, CB)
    frame.loc[1, "所用时间"] = "很久"
    frame.loc[3, "提交答卷时间"] = "昨天下午"
    frame.to_csv(tmp_path / "m.csv", index=False)
    res = import_survey(tmp_path / "m.csv", CB, wave="2024Q1")
    p = res.problems.problems
    t = p[p["rule"] == "type"].sort_values("row")
    assert t[["row", "column", "value"]].values.tolist() == [[3, "所用时间", "很久"], [5, "提交答卷时间", "昨天下午"]]


@pytest.mark.parametrize("option, value", [("policy", "drop"), ("flavour", "按序号"), ("instrument", "staff")])
def test_string_options_are_validated(tmp_path, option, value):
    path = write_wenjuanxing_export(clean_responses(3), CB, tmp_path / "x.csv")
    with pytest.raises(ValueError, match=f"{option}=.* is not supported; use one of"):
        import_survey(path, CB, **{option: value})


def test_large_csv_encoding_decided_on_its_start_and_bad_bytes_later_are_reported(tmp_path):
    r = clean_responses(1500)
    path = write_wenjuanxing_export(r, CB, tmp_path / "big.csv", flavour="text", encoding="gb18030")
    assert path.stat().st_size > 65536
    res = import_survey(path, CB)
    assert res.encoding == "gb18030" and len(res.responses) == 1500
    utf8 = write_wenjuanxing_export(r, CB, tmp_path / "big8.csv", flavour="text", encoding="utf-8")
    raw = bytearray(utf8.read_bytes())
    raw[-40:-38] = b"\xff\xfe"  # corrupt a late byte
    utf8.write_bytes(bytes(raw))
    with pytest.raises(TableReadError, match=r"big8.csv, row 1501, column '6、\(接近理想\)': text is not valid utf-8"):
        import_survey(utf8, CB)


def test_xlsx_with_real_datetime_and_number_cells(tmp_path):
    r = clean_responses(5)
    frame = wenjuanxing_frame(r, CB)
    frame["提交答卷时间"] = r["submitted"]  # stored as Excel dates, not text
    frame["所用时间"] = r["duration_s"]  # plain seconds
    frame["1、客户编号"] = [101, 102, 103, 104, 105]  # ids typed as numbers
    frame.to_excel(tmp_path / "cells.xlsx", index=False)
    res = import_survey(tmp_path / "cells.xlsx", CB)
    got = res.responses.reset_index(drop=True)
    assert (got["submitted"] == r["submitted"]).all() and got["duration_s"].tolist() == r["duration_s"].tolist()
    assert got["customer_id"].tolist() == ["101", "102", "103", "104", "105"]


def test_tencent_rows_longer_than_the_header(tmp_path):
    r = clean_responses(4)
    path = _tencent_csv(r, tmp_path / "ragged.csv")
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    lines[0] = lines[0].rstrip(",")  # header without the trailing comma, rows with it
    path.write_text("\n".join(lines) + "\n", encoding="utf-8-sig")
    res = import_survey(path, CB)
    pd.testing.assert_frame_equal(_answers(res), _expected(r), check_dtype=False)
