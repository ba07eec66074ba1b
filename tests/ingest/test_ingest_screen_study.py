"""screen_study: the one screening step of a study, on a hand-made study with one case per rule."""

from __future__ import annotations

import pandas as pd
import pytest

import fusion_study
from fusion_study import Study, load_study
from fusion_study.data.checks import MissingColumnsError
from fusion_study.ingest import is_screened, screen_study, screening_ledger

#: source row -> the rule that must exclude it (the others are ordinary responses)
EXPECTED = {4: "screening:speeder", 5: "screening:straight_liner", 6: "screening:duplicate",
            7: "screening:out_of_range"}


def _codebook() -> pd.DataFrame:
    rows = [
        # a 4-item matrix question (3) for the straight-liner rule, and a 1-10 rating
        ("q1", "customer_survey", "quality", 1, 7, "3(态度)"),
        ("q2", "customer_survey", "quality", 1, 7, "3(效率)"),
        ("q3", "customer_survey", "quality", 1, 7, "3(指导)"),
        ("q4", "customer_survey", "quality", 1, 7, "3(敷衍)"),
        ("sat", "customer_survey", "satisfaction", 1, 10, "5"),
        ("g1", "staff_survey", "goal", 1, 5, "2(谋划)"),
        ("g2", "staff_survey", "goal", 1, 5, "2(考核)"),
    ]
    cb = pd.DataFrame(rows, columns=["item_id", "instrument", "scale", "min", "max", "source_column"])
    cb["text_zh"], cb["text_en"], cb["reverse"], cb["options"] = cb["item_id"], cb["item_id"], False, ""
    return cb


def _customer_survey() -> pd.DataFrame:
    df = pd.DataFrame(
        [
            ("S1", "R1", 300.0, 2, 3, 4, 5, 7),
            ("S2", "R2", 280.0, 5, 4, 3, 2, 8),
            ("S3", "R3", 20.0, 3, 4, 2, 5, 6),   # speeder: 20 s < 0.3 × median 292.5 s
            ("S4", "R4", 310.0, 4, 4, 4, 4, 7),  # straight-liner on matrix question 3
            ("S5", "R1", 295.0, 1, 2, 3, 4, 5),  # duplicate: R1 already answered this wave (row 2)
            ("S6", "R6", 305.0, 2, 5, 3, 4, 11),  # out of range: sat = 11 outside 1..10
            ("S7", "R7", 290.0, 3, 2, 5, 4, 9),
            ("S8", "R8", 285.0, 4, 5, 2, 3, 6),
        ],
        columns=["response_id", "customer_id", "duration_s", "q1", "q2", "q3", "q4", "sat"],
    )
    df.insert(2, "wave", "2024Q1")
    df.index = range(2, 10)  # source rows of the file (row 1 is the header)
    return df


def _staff_survey() -> pd.DataFrame:
    return pd.DataFrame({
        "response_id": ["T1", "T2", "T3", "T4"], "staff_id": ["E1", "E2", "E3", "E4"], "unit_id": "B1",
        "wave": "2024Q1", "duration_s": [200.0, 210.0, 190.0, 30.0], "g1": [4, 3, 5, 2], "g2": [3, 5, 4, 1],
    }, index=range(2, 6))


@pytest.fixture
def study() -> Study:
    tables = {"customer_survey": _customer_survey(), "staff_survey": _staff_survey()}
    return Study(tables, _codebook(), name="hand-made", files={"customer_survey": "customer_survey.csv"})


def test_excludes_exactly_the_four_bad_responses(study):
    screened, ledger = screen_study(study)
    assert screened.customer_survey["response_id"].tolist() == ["S1", "S2", "S7", "S8"]
    assert screened.staff_survey["response_id"].tolist() == ["T1", "T2", "T3"]  # T4: 30 s < 0.3 × 195 s
    led = ledger.to_frame()
    cs = led[led["table"] == "customer_survey"]
    assert dict(zip(cs["source_row"], cs["rule"])) == EXPECTED
    assert (cs["action"] == "excluded").all() and (cs["source_file"] == "customer_survey.csv").all()
    detail = dict(zip(cs["rule"], cs["detail"]))
    assert detail["screening:speeder"].startswith("time taken 20s < 0.3 × median 292.5s")
    assert detail["screening:straight_liner"] == "matrix question 3: all 4 sub-items identical"
    assert detail["screening:duplicate"] == "same customer_id and wave as row 2"
    assert detail["screening:out_of_range"] == "sat=11 outside 1..10"
    ss = led[led["table"] == "staff_survey"]
    assert ss[["source_row", "rule"]].values.tolist() == [[5, "screening:speeder"]]
    # the input study is not changed
    assert len(study.customer_survey) == 8 and not is_screened(study)


def test_ledger_balances_per_table(study):
    screened, ledger = screen_study(study)
    bal = ledger.balance(screened.tables).set_index("table")
    assert bal.loc["customer_survey", ["rows_read", "rows_kept", "rows_excluded"]].tolist() == [8, 4, 4]
    assert bal.loc["staff_survey", ["rows_read", "rows_kept", "rows_excluded"]].tolist() == [4, 3, 1]
    assert bal["balanced"].all()
    # the screened study's own ledger holds the same entries, against the rows read from the sources
    own = screened.ledger.balance(screened.tables).set_index("table")
    assert own.loc["customer_survey", "rows_read"] == 8 and own["balanced"].all()
    assert len(screened.ledger.to_frame()) == len(ledger.to_frame()) == 5


def test_marks_the_study_and_screening_twice_is_a_no_op(study):
    screened, ledger = screen_study(study)
    assert is_screened(screened)
    info = screened.meta["screening"]
    assert info["policy"] == "exclude"
    assert info["tables"]["customer_survey"] == {"rows_in": 8, "excluded": 4, "flagged": 0}
    again, ledger2 = screen_study(screened)
    assert again is screened
    assert len(again.customer_survey) == 4
    pd.testing.assert_frame_equal(ledger2.to_frame(), ledger.to_frame())
    assert ledger2.rows_read == ledger.rows_read


def test_a_saved_screened_study_stays_screened(study, tmp_path):
    screened, ledger = screen_study(study)
    loaded = load_study(screened.save(tmp_path / "s"))
    assert is_screened(loaded)
    again, ledger2 = screen_study(loaded)
    assert again is loaded and len(again.customer_survey) == 4
    assert sorted(ledger2.to_frame()["rule"]) == sorted(ledger.to_frame()["rule"])


def test_flag_policy_keeps_rows_and_exclude_later_removes_them(study):
    flagged, ledger = screen_study(study, policy="flag")
    cs = flagged.customer_survey
    assert len(cs) == 8 and cs["flag_speeder"].tolist() == [False, False, True] + [False] * 5
    assert set(ledger.to_frame()["action"]) == {"flagged"}
    assert ledger.balance(flagged.tables)["rows_excluded"].tolist() == [0, 0]
    excluded, ledger2 = screen_study(flagged)  # what the analyses ask for
    assert excluded.customer_survey["response_id"].tolist() == ["S1", "S2", "S7", "S8"]
    assert not [c for c in excluded.customer_survey.columns if c.startswith("flag_")]
    assert ledger2.balance(excluded.tables)["balanced"].all()
    assert excluded.meta["screening"]["policy"] == "exclude"


def test_nothing_to_screen_passes_through():
    no_survey = Study({"units": pd.DataFrame({"unit_id": ["C"], "name": ["市局"], "level": ["city"],
                                              "parent_id": [None], "branch_kind": [None]})})
    same, ledger = screen_study(no_survey)
    assert same is no_survey and ledger.to_frame().empty
    no_codebook = Study({"customer_survey": _customer_survey()})
    same, ledger = screen_study(no_codebook)
    assert same is no_codebook and ledger.to_frame().empty and len(same.customer_survey) == 8


def test_bad_input_is_named(study):
    with pytest.raises(ValueError, match="policy='drop' is not supported"):
        screen_study(study, policy="drop")
    bad = Study({"customer_survey": _customer_survey().drop(columns="customer_id")}, _codebook())
    with pytest.raises(MissingColumnsError, match="table 'customer_survey' lacks column\\(s\\) \\['customer_id'\\]"):
        screen_study(bad)


def test_exported_from_the_package(study):
    assert fusion_study.screen_study is screen_study
    assert "screen_study" in fusion_study.__all__
    screened, ledger = screen_study(study)
    part = screening_ledger(screened, tables=["staff_survey"])
    assert part.to_frame()["table"].unique().tolist() == ["staff_survey"]
    assert part.rows_read == {"staff_survey": 4}


def test_a_text_question_in_the_survey_table_is_not_screened_as_a_number():
    """A user's own survey table may keep the 意见和建议 answers beside the items: screening leaves them alone."""
    from conftest import tiny_tables

    from fusion_study import Study
    from fusion_study.ingest import screen_study

    tables, codebook = tiny_tables()
    tables["customer_survey"] = tables["customer_survey"].assign(advice=["很好", "配送慢", "无"])
    text_row = {"item_id": "advice", "instrument": "customer_survey", "scale": None, "text_zh": "意见和建议",
                "text_en": None, "reverse": None, "min": None, "max": None, "source_column": "3", "options": None}
    codebook = pd.concat([codebook, pd.DataFrame([text_row])], ignore_index=True)
    screened, ledger = screen_study(Study(tables, codebook=codebook, name="own"))
    assert len(screened.customer_survey) == len(tables["customer_survey"])
    assert screened.customer_survey["advice"].tolist() == ["很好", "配送慢", "无"]
