"""What a user's own study folder looks like after an import: their codebook.xlsx kept, retailer codes found."""

from __future__ import annotations

import pandas as pd
from test_ingest_own_study import _answers, _codebook, _run, _write_xlsx


def _export(tmp_path, header="1、零售户编号"):
    frame = _answers().rename(columns={"1、零售户编号": header})
    return _write_xlsx(frame, tmp_path / "2024Q1.xlsx")


def test_the_users_codebook_xlsx_keeps_its_format_when_the_study_is_csv(tmp_path, capsys):
    study = tmp_path / "my_study"
    study.mkdir()
    cb_csv = _codebook(tmp_path / "cb.csv")
    pd.read_csv(cb_csv).to_excel(study / "codebook.xlsx", index=False)
    code, out, err = _run(["import-survey", _export(tmp_path), "--codebook", study / "codebook.xlsx",
                           "--study", study], capsys)
    assert code == 0, err
    assert (study / "codebook.xlsx").exists() and not (study / "codebook.csv").exists()
    assert (study / "customer_survey.csv").exists()
    # a second wave can be imported with the same command
    second = _answers().assign(序号=lambda d: d["序号"] + 100)
    second["提交答卷时间"] = [f"2024/6/{i + 1} 10:00:00" for i in range(len(second))]
    exp2 = _write_xlsx(second, tmp_path / "2024Q2.xlsx")
    code, out, err = _run(["import-survey", exp2, "--codebook", study / "codebook.xlsx", "--study", study,
                           "--id-prefix", "Q2-"], capsys)
    assert code == 0, err


def test_a_retailer_code_question_is_the_respondent_without_a_flag(tmp_path, capsys):
    code, out, err = _run(["import-survey", _export(tmp_path, "1、您的零售客户编码"), "--codebook",
                           _codebook(tmp_path / "cb.csv"), "--study", tmp_path / "s"], capsys)
    assert code == 0, err
    survey = pd.read_csv(tmp_path / "s" / "customer_survey.csv", dtype=str)
    assert survey["customer_id"].str.startswith("360302").all()


def test_free_text_into_a_new_folder_is_written_before_the_study_changes(tmp_path, capsys):
    out_file = tmp_path / "out" / "sub" / "free_text.csv"
    code, out, err = _run(["import-survey", _export(tmp_path), "--codebook", _codebook(tmp_path / "cb.csv"),
                           "--study", tmp_path / "s", "--free-text", out_file], capsys)
    assert code == 0, err
    assert out_file.exists() and "Traceback" not in err


def test_straight_liners_are_caught_when_the_codebook_gives_matrix_rows_a_bare_question_number(tmp_path):
    """Rows matched by their label (source_column '2' for every row) still form one matrix question."""
    from fusion_study.ingest import import_survey

    frame = _answers()
    rows = [c for c in frame.columns if c.startswith("2、(服务质量)—")]
    frame.loc[3, rows] = 4  # respondent 4 gives the same answer to every row of the matrix
    export = _write_xlsx(frame, tmp_path / "2024Q1.xlsx")
    codebook = pd.read_csv(_codebook(tmp_path / "cb.csv"))
    assert set(codebook.loc[codebook["item_id"].isin(["q1", "q2", "q3"]), "source_column"].astype(str)) == {"2"}
    res = import_survey(export, codebook, straightline_min_items=3)
    flagged = res.ledger.to_frame()
    flagged = flagged[flagged["rule"] == "screening:straight_liner"]
    assert len(flagged) >= 1
    kept = set(res.responses["customer_id"].astype(str))
    assert str(frame.loc[3, "1、零售户编号"]) not in kept
