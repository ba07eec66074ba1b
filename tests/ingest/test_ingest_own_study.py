"""A new user's own 问卷星 export and codebook, end to end on the command line (issue 13).

Every input is written by hand here (openpyxl / pandas in tmp_path), not by the simulator:
matrix rows exported as ``N、(标题)—子项``, a codebook that lists the text and id questions
too, personal data typed into free text, a formula in an answer, a 9999 placeholder date,
read-only and occupied output paths.
"""

from __future__ import annotations

import os
import zipfile

import pandas as pd
import pytest
from openpyxl import Workbook, load_workbook

from fusion_study.cli.parser import main
from fusion_study.data.privacy import mask_pii, mask_pii_text, neutralise_formulas
from fusion_study.data.study import load_study

# personal data typed into the free-text answers, as written and as the digits a reader would see
NAME, LANDLINE, LANDLINE_WIDE = "刘德明", "0799-6821234", "０７９９－６８２１２３４"
MOBILE_WIDE, MOBILE_SPACED, MOBILE_DASHED = "１３８１２３４５６７８", "138 1234 5678", "138-1234-5678"
IDCARD_SPACED, IP = "360302 19880512 341X", "183.14.2.9"
ADVICE = [
    f"客户经理{NAME}态度很好",
    "=2+2",
    f"有事打电话{LANDLINE_WIDE}",
    f"身份证{IDCARD_SPACED}",
    f"手机{MOBILE_SPACED}",
    f"座机{LANDLINE}，或{MOBILE_DASHED}",
    f"感谢张师傅，电话{MOBILE_WIDE}",
    "王牌服务很周到，高兴",
]
SECRETS = [NAME, "张师傅", LANDLINE, LANDLINE_WIDE, "6821234", "６８２１２３４", MOBILE_WIDE, MOBILE_SPACED,
           MOBILE_DASHED, "13812345678", IDCARD_SPACED, "19880512", "341X", IP]
MATRIX = ["客户经理态度", "配送及时", "投诉处理"]


def _answers(n: int = 8) -> pd.DataFrame:
    """A 问卷星 按序号 export: meta columns, the retailer code, a 3-row matrix, a score, advice."""
    rows = []
    for i in range(n):
        rows.append({
            "序号": i + 1,
            "提交答卷时间": f"2024/3/{i + 1} 10:{10 + i}:33",
            "所用时间": f"{240 + 7 * i}秒",
            "来源": "手机提交",
            "来源详情": "直接访问",
            "来自IP": f"{IP}(江西-上饶)" if i == 0 else f"183.14.3.{i}(江西-上饶)",
            "1、零售户编号": f"360302{100 + i}",
            **{f"2、(服务质量)—{row}": (i + j) % 5 + 1 for j, row in enumerate(MATRIX)},
            "3、总体满意度": (i * 3) % 5 + 1,
            "4、意见和建议": ADVICE[i % len(ADVICE)],
        })
    return pd.DataFrame(rows)


def _write_xlsx(frame: pd.DataFrame, path):
    """As 问卷星 writes it: every text cell stored as text (an answer '=2+2' is not a formula)."""
    wb = Workbook()
    ws = wb.active
    ws.append(list(frame.columns))
    for values in frame.itertuples(index=False):
        ws.append([None] * len(values))
        for j, v in enumerate(values, start=1):
            cell = ws.cell(row=ws.max_row, column=j)
            cell.value = v.item() if hasattr(v, "item") else v
            if isinstance(v, str):
                cell.data_type = "s"
    wb.save(path)
    return path


def _codebook(path, **changes):
    """The codebook as a user writes it: the id and text questions listed too (no min/max/options)."""
    rows = [
        dict(item_id="retailer", instrument="customer_survey", scale="", text_zh="零售户编号", text_en="",
             reverse="", min=None, max=None, source_column="1", options=""),
        *[dict(item_id=f"q{j + 1}", instrument="customer_survey", scale="quality", text_zh=row, text_en="",
               reverse=False, min=1, max=5, source_column="2", options="") for j, row in enumerate(MATRIX)],
        dict(item_id="sat", instrument="customer_survey", scale="satisfaction", text_zh="总体满意度", text_en="",
             reverse=False, min=1, max=5, source_column="3", options=""),
        dict(item_id="advice", instrument="customer_survey", scale="", text_zh="意见和建议", text_en="",
             reverse="", min=None, max=None, source_column="4", options=""),
    ]
    cb = pd.DataFrame(rows)
    for item_id, values in changes.items():
        for k, v in values.items():
            cb.loc[cb["item_id"] == item_id, k] = v
    cb.to_csv(path, index=False, encoding="utf-8-sig")
    return path


def _all_text(folder) -> dict[str, str]:
    """Every file written under ``folder`` as text (XLSX: its shared strings and sheets)."""
    out = {}
    for f in sorted(folder.rglob("*")):
        if not f.is_file():
            continue
        if f.suffix == ".xlsx":
            with zipfile.ZipFile(f) as z:
                out[f.name] = "".join(z.read(n).decode("utf-8", "replace") for n in z.namelist())
        else:
            out[f.name] = f.read_bytes().decode("utf-8-sig", errors="replace")
    return out


def _run(args, capsys):
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# --- masking free text ----------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("客户经理刘德明态度很好", "客户经理〔姓名〕态度很好"),
    ("客户经理刘明态度很好", "客户经理〔姓名〕态度很好"),
    ("联系人：张伟", "联系人：〔姓名〕"),
    ("配送员小陈很负责", "配送员〔姓名〕很负责"),
    ("感谢张师傅送货及时", "感谢〔姓名〕师傅送货及时"),
    ("陈建国同志帮了大忙", "〔姓名〕同志帮了大忙"),
    ("欧阳经理很好", "〔姓名〕经理很好"),
    ("上周王经理来过", "上周〔姓名〕经理来过"),
    ("刘德明", "〔姓名〕"),
    # a common word begins the name (刘海 "bangs", 王国 "kingdom", 李子 "plum"): the given name wins
    ("客户经理刘海燕态度很好", "客户经理〔姓名〕态度很好"),
    ("刘海燕经理很负责", "〔姓名〕经理很负责"),
    ("刘海燕", "〔姓名〕"),
    ("联系人：王国华", "联系人：〔姓名〕"),
    ("李子涵", "〔姓名〕"),
    ("电话0799-6821234", "电话〔电话〕"),
    ("电话０７９９－６８２１２３４", "电话〔电话〕"),
    ("(0799)6821234转12", "〔电话〕"),
    ("010 8765 4321", "〔电话〕"),
    ("１３８１２３４５６７８", "〔电话〕"),
    ("138 1234 5678", "〔电话〕"),
    ("138-1234-5678", "〔电话〕"),
    ("+86 138 1234 5678", "〔电话〕"),
    ("电话6821234", "电话〔电话〕"),
    ("360302 19880512 341X", "〔身份证号〕"),
    ("３６０３０２１９８８０５１２３４１Ｘ", "〔身份证号〕"),
    ("110101199003074512", "〔身份证号〕"),
    ("邮箱 13812345678@qq.com", "邮箱 〔邮箱〕"),
])
def test_personal_data_in_text_is_masked(text, expected):
    assert mask_pii(text) == expected


@pytest.mark.parametrize("text", [
    "王牌", "张贴", "高兴", "周到", "黄金", "王牌服务很周到", "请张贴通知", "客户经理周到热情", "经理高兴",
    "黄金叶供货不足", "康师傅方便面卖得好", "许可证办理方便", "项目经理", "我向经理反映过问题", "谢谢",
    "客户经理解决问题很快", "刘海太长", "王国", "价格13.5元", "2024-03-05送货", "订单号 20240305123456", "总经理很重视", "服务很好",
])
def test_common_words_and_numbers_are_not_masked(text):
    assert mask_pii(text) == text


def test_mask_pii_text_keeps_missing_and_the_rest_of_the_answer():
    out = mask_pii_text(pd.Series(["好，谢谢！电话１３８１２３４５６７８。", None]))
    assert out.tolist() == ["好，谢谢！电话〔电话〕。", pd.NA]  # full-width punctuation kept as written


def test_formulas_neutralised_in_text_cells_only():
    df = pd.DataFrame({
        "text": pd.Series(["=2+2", " =1+1", "＝SUM(A1)", "@x", "-10分", "ok", None], dtype="string"),
        "mixed": pd.Series([-3, "=A1", 2.5, "+1", "a", -1, None], dtype=object),
        "number": [-1.5, -2, 3, 4, 5, 6, 7],
    })
    out = neutralise_formulas(df)
    assert out["text"].tolist() == ["'=2+2", "' =1+1", "'＝SUM(A1)", "'@x", "'-10分", "ok", pd.NA]
    assert out["mixed"].tolist() == [-3, "'=A1", 2.5, "'+1", "a", -1, None]
    assert out["number"].tolist() == df["number"].tolist() and out["number"].dtype == "float64"


# --- the command line on a hand-made export ---------------------------------------------------------

@pytest.mark.parametrize("suffix", ["xlsx", "csv"])
def test_own_export_imports_without_maps_and_leaks_nothing(tmp_path, capsys, suffix):
    frame = _answers()
    frame.loc[5, "提交答卷时间"] = "9999/12/31 10:00:00"  # spreadsheet row 7
    export = tmp_path / f"我的问卷.{suffix}"
    if suffix == "xlsx":
        _write_xlsx(frame, export)
    else:
        frame.to_csv(export, index=False, encoding="utf-8-sig")
    codebook = _codebook(tmp_path / "codebook.csv")
    out_dir = tmp_path / "out"
    study = out_dir / "study"
    free_csv, free_xlsx = out_dir / "free_text.csv", out_dir / "free_text.xlsx"
    out_dir.mkdir()
    code, out, err = _run(["import-survey", export, "--codebook", codebook, "--study", study,
                           "--free-text", free_csv], capsys)
    assert code == 0, err
    assert "Traceback" not in err
    # the matrix rows were mapped by their labels, without --map; text and id questions accepted
    assert "matrix rows matched by their label: 3" in out
    assert "codebook items with no column" not in out and "unmatched export columns" not in out
    assert "free-text questions kept apart (personal data masked): 4、意见和建议" in out
    # the placeholder date: a problem naming file, row, column, value and rule; the row in the ledger
    assert f"{export.name}, row 7: value '9999/12/31 10:00:00'" in out
    assert "must be a plausible date between 1990-01-01 and 2099-12-31" in out
    loaded = load_study(study)
    led = loaded.ledger.to_frame()
    assert led[["source_row", "rule", "action"]].values.tolist() == [[7, "screening:invalid_date", "excluded"]]
    assert loaded.ledger.balance(loaded.tables)["balanced"].all()
    survey = loaded.customer_survey
    assert len(survey) == 7 and survey[["q1", "q2", "q3", "sat"]].notna().all().all()
    expected_q1 = frame.drop(index=5)["2、(服务质量)—客户经理态度"].tolist()
    assert survey["q1"].tolist() == expected_q1
    assert survey["customer_id"].iloc[0] == "360302100"
    # the study codebook holds the scored items; the saved survey and codebook validate
    assert loaded.codebook["item_id"].tolist() == ["q1", "q2", "q3", "sat"]
    errors = loaded.validate().errors
    assert errors["rule"].tolist() == ["missing_table"], errors  # only: no units table in this study yet

    # the free text, masked, via the API to .xlsx as well
    from fusion_study.ingest import import_survey

    cb = pd.read_csv(codebook)
    result = import_survey(export, cb)
    result.save_free_text(free_xlsx)
    free = pd.read_csv(free_csv, dtype=str, keep_default_na=False)
    assert free.columns.tolist() == ["response_id", "4、意见和建议"]
    advice = dict(zip(free["response_id"].str[-1].astype(int), free["4、意见和建议"]))
    assert advice[1] == "客户经理〔姓名〕态度很好"
    assert advice[2] == "'=2+2"  # a spreadsheet shows it as text
    assert advice[3] == "有事打电话〔电话〕" and advice[4] == "身份证〔身份证号〕"
    assert advice[5] == "手机〔电话〕" and 6 not in advice  # row 7 (the 6th response) is excluded
    assert advice[7] == "感谢〔姓名〕师傅，电话〔电话〕" and advice[8] == "王牌服务很周到，高兴"
    ws = load_workbook(free_xlsx).active
    cells = {ws.cell(row=r, column=2).value for r in range(2, ws.max_row + 1)}
    assert "'=2+2" in cells and "=2+2" not in cells
    assert all(ws.cell(row=r, column=2).data_type == "s" for r in range(2, ws.max_row + 1))

    # no personal data in any file written
    written = _all_text(out_dir)
    assert {"free_text.csv", "free_text.xlsx", "customer_survey.csv", "codebook.csv", "ledger.csv",
            "study.json"} <= set(written)
    for name, text in written.items():
        for secret in SECRETS:
            assert secret not in text, (name, secret)


def test_free_text_leaves_every_export_format_defused(tmp_path, capsys):
    frame = _answers(4)
    frame["4、意见和建议"] = ["=2+2", "+1", "-3", "@SUM(A1)"]
    export = frame.to_csv(tmp_path / "e.csv", index=False, encoding="utf-8-sig") or tmp_path / "e.csv"
    codebook = _codebook(tmp_path / "codebook.csv")
    for name in ("f.csv", "f.xlsx"):
        code, _, err = _run(["import-survey", export, "--codebook", codebook, "--study", tmp_path / f"s_{name}",
                             "--free-text", tmp_path / name], capsys)
        assert code == 0, err
    csv_cells = pd.read_csv(tmp_path / "f.csv", dtype=str)["4、意见和建议"].tolist()
    assert csv_cells == ["'=2+2", "'+1", "'-3", "'@SUM(A1)"]
    ws = load_workbook(tmp_path / "f.xlsx").active
    assert [ws.cell(row=r, column=2).value for r in range(2, 6)] == csv_cells
    # numbers in the survey table stay numbers
    survey = pd.read_csv(tmp_path / "s_f.csv" / "customer_survey.csv")
    assert pd.api.types.is_numeric_dtype(survey["sat"])


def test_ambiguous_matrix_rows_are_reported_not_guessed(tmp_path, capsys):
    export = _answers(5).to_csv(tmp_path / "e.csv", index=False, encoding="utf-8-sig") or tmp_path / "e.csv"
    # two codebook items with the same text: the row '投诉处理' matches both
    codebook = _codebook(tmp_path / "codebook.csv", q3={"text_zh": "配送及时"})
    code, out, err = _run(["import-survey", export, "--codebook", codebook, "--study", tmp_path / "s"], capsys)
    assert code == 0, err
    assert "matrix rows matched by their label: 1" in out
    assert "unmatched export columns (dropped): 2、(服务质量)—配送及时, 2、(服务质量)—投诉处理" in out
    assert "codebook items with no column: q2, q3" in out
    assert "matches several codebook items (q2, q3)" in out
    survey = load_study(tmp_path / "s").customer_survey
    assert "q1" in survey and "q2" not in survey and "q3" not in survey
    # an explicit --map settles it
    code, out, err = _run(["import-survey", export, "--codebook", codebook, "--study", tmp_path / "s2",
                           "--map", "2、(服务质量)—配送及时=q2", "--map", "2、(服务质量)—投诉处理=q3"], capsys)
    assert code == 0, err
    assert "codebook items with no column" not in out
    assert load_study(tmp_path / "s2").customer_survey[["q2", "q3"]].notna().all().all()


def test_codebook_types(tmp_path, capsys):
    export = _answers(4).to_csv(tmp_path / "e.csv", index=False, encoding="utf-8-sig") or tmp_path / "e.csv"
    base = ["import-survey", export, "--study"]
    # an explicit type column: id and text
    cb = _codebook(tmp_path / "typed.csv")
    typed = pd.read_csv(cb)
    typed["type"] = ["id", "", "", "", "量表", "text"]
    typed.to_csv(cb, index=False)
    code, out, err = _run(base + [tmp_path / "s1", "--codebook", cb], capsys)
    assert code == 0, err
    assert "free-text questions kept apart (personal data masked): 4、意见和建议" in out
    # an unknown type, and a scale item without max: one clear message each, exit 2
    typed.loc[5, "type"] = "essay"
    typed.to_csv(cb, index=False)
    code, _, err = _run(base + [tmp_path / "s2", "--codebook", cb], capsys)
    assert code == 2 and "Traceback" not in err
    assert "row 7, column type: value 'essay' is not a question type" in err
    cb2 = _codebook(tmp_path / "nomax.csv", sat={"max": None})
    code, _, err = _run(base + [tmp_path / "s3", "--codebook", cb2], capsys)
    assert code == 2
    assert "codebook, row 6, item 'sat': max must be given for a scale item" in err


# --- where the outputs go -----------------------------------------------------------------------------

def _inputs(tmp_path):
    export = _answers(4).to_csv(tmp_path / "e.csv", index=False, encoding="utf-8-sig") or tmp_path / "e.csv"
    return export, _codebook(tmp_path / "codebook.csv")


def test_study_path_that_is_a_file(tmp_path, capsys):
    export, codebook = _inputs(tmp_path)
    occupied = tmp_path / "results.csv"
    occupied.write_text("keep me", encoding="utf-8")
    code, _, err = _run(["import-survey", export, "--codebook", codebook, "--study", occupied], capsys)
    assert code == 2 and "Traceback" not in err
    assert f"cannot create the folder {occupied}: a file with that name already exists" in err
    assert occupied.read_text(encoding="utf-8") == "keep me"
    code, _, err = _run(["import-survey", export, "--codebook", codebook, "--study", occupied / "study"], capsys)
    assert code == 2 and f"cannot write into {occupied / 'study'}: part of that path is a file" in err


def test_read_only_study_folder(tmp_path, capsys):
    export, codebook = _inputs(tmp_path)
    if os.geteuid() != 0:  # an ordinary user: a folder without write permission
        folder = tmp_path / "locked"
        folder.mkdir()
        folder.chmod(0o555)
        target = folder / "study"
    else:  # root writes anywhere it has permission bits for; /sys refuses new folders even to root
        target = "/sys/fusion_study_read_only_test"
        if not os.path.isdir("/sys") or os.path.exists(target):
            pytest.skip("no read-only file system to write into")
    try:
        code, _, err = _run(["import-survey", export, "--codebook", codebook, "--study", target], capsys)
    finally:
        if os.geteuid() != 0:
            folder.chmod(0o755)
    assert code == 2 and "Traceback" not in err
    assert f"cannot write to {target}: permission denied" in err
    assert "Choose a folder you can write to (--out/--study)" in err


def test_codebook_with_text_questions_validates(tmp_path):
    from fusion_study.data.readers import coerce_to_schema, read_table_file
    from fusion_study.data.schema import CODEBOOK
    from fusion_study.data.validation import ProblemLog, check_study

    raw, _ = read_table_file(_codebook(tmp_path / "codebook.csv", q2={"min": None}), CODEBOOK)
    cb = coerce_to_schema(raw, CODEBOOK, file="codebook.csv", log=ProblemLog())
    problems = check_study({}, cb, {"codebook": "codebook.csv"}).to_frame()
    problems = problems[problems["table"] == "codebook"]
    # the text and id questions (rows 2 and 7) need no scale, reverse, min or max; the scale item q2 does
    assert problems[["row", "column", "rule"]].values.tolist() == [[4, "min", "required_value"]]
    assert "must not be empty for a scale item" in problems["message"].iloc[0]
