"""Screening rules with injected cases (exact counts), both policies, and the ledger invariant."""

import numpy as np
import pandas as pd
import pytest

from fusion_study.ingest import add_to_study, import_survey, write_wenjuanxing_export
from fusion_study.ingest.screening import ALWAYS_EXCLUDED, RULES, apply_screening, screening_flags
from fusion_study.data.instruments import standard_codebook
from fusion_study.data.study import load_study

from ingest_support import clean_responses, customer_items

CB = standard_codebook()
ITEMS = customer_items()["item_id"].tolist()
QUAL = ["qual1", "qual2", "qual3", "qual4"]


def injected(tmp_path, n=40):
    """A clean export with known problems; returns (path, expected rows per rule as spreadsheet rows)."""
    r = clean_responses(n).astype({i: "float64" for i in ITEMS})
    ips = [f"10.1.{i // 200}.{i % 200}(江苏-南京)" for i in range(n)]
    row = {i: i + 2 for i in range(n)}  # response i sits on spreadsheet row i + 2
    expected = {rule: [] for rule in RULES}
    for i in (3, 7, 11):  # speeders: well under 0.3 × median (~300 s)
        r.loc[i, "duration_s"] = 40
        expected["speeder"].append(row[i])
    for i in (11, 15):  # straight-liners on the 4-item matrix (row 11 is also a speeder)
        r.loc[i, QUAL] = 5
        expected["straight_liner"].append(row[i])
    r.loc[20, "customer_id"] = r.loc[2, "customer_id"]  # same customer, same wave
    expected["duplicate"].append(row[20])
    r.loc[25, ITEMS] = r.loc[24, ITEMS].to_numpy()  # same IP, identical answers, other customer id
    ips[25] = ips[24]
    expected["duplicate"].append(row[25])
    r.loc[30, ITEMS] = r.loc[31, ITEMS].to_numpy()  # identical answers, different IP: not a duplicate
    r.loc[33, "sat1"] = 11  # out of range (1..10)
    r.loc[34, "dep1"] = 9  # out of range (1..5)
    expected["out_of_range"] += [row[33], row[34]]
    r.loc[36, "customer_id"] = None
    expected["missing_respondent"].append(row[36])
    path = write_wenjuanxing_export(r, CB, tmp_path / "screen.xlsx", extra_columns={"来自IP": ips})
    return path, expected, n


def test_exclude_policy_exact_counts(tmp_path):
    path, expected, n = injected(tmp_path)
    res = import_survey(path, CB)
    led = res.ledger.to_frame()
    for rule, rows in expected.items():
        got = led.loc[led["rule"] == f"screening:{rule}", "source_row"].tolist()
        assert got == rows, rule
    assert (led["action"] == "excluded").all() and (led["source_file"] == "screen.xlsx").all()
    distinct = sorted({r for rows in expected.values() for r in rows})
    assert res.ledger.excluded_rows("customer_survey").sort_values().tolist() == distinct
    assert len(distinct) == 9  # 10 ledger entries: row 13 is both a speeder and a straight-liner
    assert len(led) == 10
    assert res.rows_read == n == len(res.responses) + len(distinct)
    assert res.ledger.balance({"customer_survey": res.responses})["balanced"].all()
    assert not res.responses.index.isin(distinct).any()
    # the first of each duplicate pair stays
    assert {4, 26}.issubset(res.responses.index)


def test_ledger_details_name_the_evidence(tmp_path):
    path, _, _ = injected(tmp_path)
    led = import_survey(path, CB).ledger.to_frame().set_index(["rule", "source_row"])["detail"]
    assert led["screening:duplicate", 22] == "same customer_id and wave as row 4"
    assert led["screening:duplicate", 27] == "same IP and identical answers as row 26"
    assert led["screening:out_of_range", 35] == "sat1=11 outside 1..10"
    assert led["screening:straight_liner", 17] == "matrix question 3: all 4 sub-items identical"
    assert led["screening:speeder", 5].startswith("time taken 40s < 0.3 × median")


def test_flag_policy_keeps_rows_and_adds_flags(tmp_path):
    path, expected, n = injected(tmp_path)
    res = import_survey(path, CB, policy="flag")
    assert len(res.responses) == n - 1  # a response with no respondent is always excluded
    for rule in RULES:
        if rule in ALWAYS_EXCLUDED:
            continue
        flagged = res.responses.index[res.responses[f"flag_{rule}"].to_numpy(dtype=bool)].tolist()
        assert flagged == expected[rule], rule
    led = res.ledger.to_frame()
    assert set(led.loc[led["rule"] != "screening:missing_respondent", "action"]) == {"flagged"}
    assert res.ledger.balance({"customer_survey": res.responses})["balanced"].all()
    # out-of-range answers are kept under "flag", so validation reports them
    lik = res.problems.errors[res.problems.errors["rule"] == "likert_range"]
    assert lik["row"].tolist() == [35, 36]


def test_flagged_study_saves_and_validates(tmp_path):
    path, _, _ = injected(tmp_path)
    res = import_survey(path, CB, policy="flag")
    study = add_to_study(res, tmp_path / "study", CB)
    again = load_study(tmp_path / "study")
    assert "flag_speeder" in again.customer_survey.columns
    rep = again.validate().to_frame()
    assert set(rep.loc[rep["table"] == "customer_survey", "rule"]) == {"likert_range"}
    assert len(again.customer_survey) == len(study.customer_survey)


def test_thresholds_are_options(tmp_path):
    path, _, _ = injected(tmp_path)
    led = import_survey(path, CB, speeder_fraction=0.1).ledger.to_frame()
    assert (led["rule"] == "screening:speeder").sum() == 0
    led = import_survey(path, CB, straightline_min_items=3).ledger.to_frame()
    # 3-item matrices now count; a clean response straight-lines one by chance, so compare with the 4-item run
    assert (led["rule"] == "screening:straight_liner").sum() >= 2
    with pytest.raises(ValueError, match="speeder_fraction"):
        import_survey(path, CB, speeder_fraction=1.5)


def test_ledger_invariant_survives_save_and_load(tmp_path):
    path, expected, n = injected(tmp_path)
    res = import_survey(path, CB)
    add_to_study(res, tmp_path / "study", CB)
    r2 = clean_responses(10, seed=3)
    r2["customer_id"] = [f"X{i}" for i in range(10)]
    r2.loc[0, "duration_s"] = 20
    res2 = import_survey(write_wenjuanxing_export(r2, CB, tmp_path / "second.csv"), CB, wave="2024Q2")
    add_to_study(res2, tmp_path / "study", CB)
    study = load_study(tmp_path / "study")
    bal = study.ledger.balance(study.tables)
    assert bal.set_index("table").loc["customer_survey", ["rows_read", "rows_excluded"]].tolist() == [n + 10, 10]
    assert bal["balanced"].all()
    assert study.customer_survey["response_id"].is_unique
    assert set(study.ledger.to_frame()["source_file"]) == {"screen.xlsx", "second.csv"}


def test_screening_functions_directly():
    items = customer_items()
    d = pd.DataFrame(
        {
            "customer_id": ["a", "b", "a", "c"],
            "wave": ["2024Q1", "2024Q1", "2024Q1", "2024Q2"],
            "duration_s": [300.0, 310.0, 290.0, np.nan],
            "qual1": [1, 2, 3, 4], "qual2": [1, 3, 3, 4], "qual3": [1, 4, 3, np.nan], "qual4": [1, 5, 3, 4],
        },
        index=pd.RangeIndex(2, 6),
    )
    f = screening_flags(d, items, respondent="customer_id")
    assert f["straight_liner"].tolist() == [True, False, True, False]  # row 5 has only 3 answered
    assert f["duplicate"].tolist() == [False, False, True, False]
    assert not f["speeder"].any()
    kept, ledger = apply_screening(d, f, table="customer_survey")
    assert kept.index.tolist() == [3, 5]
    with pytest.raises(ValueError, match="policy=.* is not supported; use one of"):
        apply_screening(d, f, table="customer_survey", policy="keep")


def test_duplicates_across_imports_are_caught_when_adding(tmp_path):
    r = clean_responses(6)
    first = import_survey(write_wenjuanxing_export(r, CB, tmp_path / "a.xlsx"), CB)
    add_to_study(first, tmp_path / "study", CB)
    again = r.iloc[[1, 4]].copy()
    again["submitted"] = again["submitted"] + pd.Timedelta(days=1)
    second = import_survey(write_wenjuanxing_export(pd.concat([again, clean_responses(2, seed=9).assign(
        customer_id=["N1", "N2"])]), CB, tmp_path / "b.xlsx"), CB, id_prefix="B")
    study = add_to_study(second, tmp_path / "study", CB)
    assert len(study.customer_survey) == 6 + 2
    led = study.ledger.to_frame()
    dup = led[led["rule"] == "screening:duplicate"]
    assert dup["source_row"].tolist() == [2, 3] and (dup["source_file"] == "b.xlsx").all()
    assert dup["detail"].iloc[0] == "same customer_id and wave as response CS2024Q1-000002 already in the study"
    assert load_study(tmp_path / "study").ledger.balance(study.tables)["balanced"].all()


def test_appending_to_a_screened_study_drops_the_screened_mark(tmp_path):
    from fusion_study.ingest import is_screened, screen_study

    path, _, n = injected(tmp_path)
    add_to_study(import_survey(path, CB), tmp_path / "study", CB)
    screened, _ = screen_study(load_study(tmp_path / "study"))
    screened.save(tmp_path / "study")
    assert is_screened(load_study(tmp_path / "study"))
    r2 = clean_responses(10, seed=3)
    r2["customer_id"] = [f"X{i}" for i in range(10)]
    res2 = import_survey(write_wenjuanxing_export(r2, CB, tmp_path / "second.csv"), CB, wave="2024Q2")
    merged = add_to_study(res2, tmp_path / "study", CB)
    again = load_study(tmp_path / "study")
    assert not is_screened(merged) and not is_screened(again)
    assert "screening" not in again.meta
    # screen_study runs again over all rows (not a no-op returning the same study)
    rescreened, _ = screen_study(again)
    assert rescreened is not again and is_screened(rescreened)
    assert rescreened.meta["screening"]["tables"]["customer_survey"]["rows_in"] == len(again.customer_survey)
