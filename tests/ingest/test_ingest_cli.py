"""``fusion-study import-survey`` end to end on a temporary study."""


from fusion_study.cli.parser import main
from fusion_study.ingest import write_wenjuanxing_export
from fusion_study.data.instruments import standard_codebook
from fusion_study.data.study import load_study

from ingest_support import clean_responses

CB = standard_codebook()


def test_import_survey_cli(tmp_path, capsys):
    r = clean_responses(20)
    r.loc[4, "duration_s"] = 15
    export = write_wenjuanxing_export(r, CB, tmp_path / "问卷星导出.xlsx", flavour="text",
                                      extra_columns={"9、备注": ["无"] * 20})
    CB.to_csv(tmp_path / "codebook.csv", index=False, encoding="utf-8-sig")
    study = tmp_path / "study"
    args = ["import-survey", str(export), "--codebook", str(tmp_path / "codebook.csv"), "--study", str(study)]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "rows read: 20; kept: 19; excluded: 1" in out
    assert "excluded by speeder: 1" in out
    assert "unmatched export columns (dropped): 9、备注" in out
    assert "flavour text" in out
    loaded = load_study(study)
    assert len(loaded.customer_survey) == 19
    assert loaded.ledger.to_frame()["source_row"].tolist() == [6]

    # importing the same export again is refused with a clear message, not a traceback
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "already in" in err and "Traceback" not in err

    # a second wave with keep-and-flag
    r2 = clean_responses(5, seed=11)
    r2["customer_id"] = [f"N{i}" for i in range(5)]
    e2 = write_wenjuanxing_export(r2, CB, tmp_path / "wave2.csv")
    assert main(["import-survey", str(e2), "--codebook", str(tmp_path / "codebook.csv"), "--study", str(study),
                 "--wave", "2024Q2", "--policy", "flag"]) == 0
    loaded = load_study(study)
    assert len(loaded.customer_survey) == 24
    assert loaded.customer_survey["wave"].value_counts().to_dict() == {"2024Q1": 19, "2024Q2": 5}
    assert loaded.ledger.balance(loaded.tables)["balanced"].all()


def test_import_survey_cli_errors(tmp_path, capsys):
    CB.to_csv(tmp_path / "codebook.csv", index=False)
    assert main(["import-survey", str(tmp_path / "missing.xlsx"), "--codebook", str(tmp_path / "codebook.csv"),
                 "--study", str(tmp_path / "s")]) == 2
    assert "no such export" in capsys.readouterr().err
    bad = CB.astype({"max": "object"})
    bad.loc[3, "max"] = "seven"  # CB is indexed by file row: this is row 3
    bad.to_csv(tmp_path / "bad_codebook.csv", index=False)
    export = write_wenjuanxing_export(clean_responses(3), CB, tmp_path / "e.csv")
    assert main(["import-survey", str(export), "--codebook", str(tmp_path / "bad_codebook.csv"),
                 "--study", str(tmp_path / "s")]) == 2
    err = capsys.readouterr().err
    assert "bad_codebook.csv, row 3, column max: value 'seven'" in err


def test_import_survey_cli_user_mapping(tmp_path, capsys):
    from fusion_study.ingest import wenjuanxing_frame

    frame = wenjuanxing_frame(clean_responses(6), CB).rename(columns={"3、(敷衍应付)": "敷衍程度"})
    frame.to_csv(tmp_path / "e.csv", index=False)
    CB.to_csv(tmp_path / "codebook.csv", index=False)
    base = ["import-survey", str(tmp_path / "e.csv"), "--codebook", str(tmp_path / "codebook.csv")]
    assert main(base + ["--study", str(tmp_path / "s"), "--map", "敷衍程度=qual4"]) == 0
    assert "codebook items with no column" not in capsys.readouterr().out
    assert load_study(tmp_path / "s").customer_survey["qual4"].notna().all()
    assert main(base + ["--study", str(tmp_path / "s2"), "--map", "qual4"]) == 2
    assert "write COLUMN=ITEM" in capsys.readouterr().err
