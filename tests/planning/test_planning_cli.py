"""``fusion-study plan`` end to end on a hand-made units table in a temporary study folder."""

from __future__ import annotations

import pandas as pd
import pytest

from fusion_study.cli.parser import main

UNITS = (
    "unit_id,name,level,parent_id\n"
    "C,市局,city,\n"
    "K1,甲县局,county,C\n"
    "=B1,一支部,branch,K1\n"   # a formula-looking id must not become a live formula
    "B2,二支部,branch,K1\n"
    "B3,三支部,branch,K1\n"
    "B4,四支部,branch,K1\n"
    "B5,五支部,branch,K1\n"
    "B6,六支部,branch,K1\n"
)


@pytest.fixture()
def study_dir(tmp_path):
    folder = tmp_path / "study"
    folder.mkdir()
    (folder / "units.csv").write_text(UNITS, encoding="utf-8")
    return folder


def _run(args, capsys):
    rc = main(args)
    captured = capsys.readouterr()
    return rc, captured.out, captured.err


def test_plan_writes_every_table_and_the_figure(study_dir, tmp_path, capsys):
    out = tmp_path / "out"
    rc, text, err = _run(["plan", str(study_dir), "--interventions", "hotline,visits", "--waves", "5",
                          "--max-new-per-wave", "4", "--effect-sizes", "0.3,0.2", "--icc", "0.1",
                          "--responses-per-branch", "8", "--reps", "3", "--seed", "7", "--out", str(out)], capsys)
    assert rc == 0, err
    for name in ("plan.csv", "plan.xlsx", "separability.csv", "power.csv", "survey.csv", "rollout_calendar.png"):
        assert (out / name).stat().st_size > 0
    plan = pd.read_csv(out / "plan.csv", encoding="utf-8-sig")
    assert list(plan.columns) == ["unit_id（单位编号）", "intervention（干预措施）", "start_wave（启动波次）"]
    assert len(plan) == 6 * 2
    assert set(plan["unit_id（单位编号）"]) == {"'=B1", "B2", "B3", "B4", "B5", "B6"}
    assert plan.groupby("start_wave（启动波次）").size().max() <= 4
    assert plan["start_wave（启动波次）"].between(1, 4).all()
    from openpyxl import load_workbook

    ws = load_workbook(out / "plan.xlsx").active
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)
    power = pd.read_csv(out / "power.csv", encoding="utf-8-sig")
    assert power["intervention（干预措施）"].tolist() == ["hotline", "visits"]
    assert power["effect_size（标准化效应量）"].tolist() == [0.3, 0.2]
    assert (power["reps（模拟次数）"] == 3).all()
    sep = pd.read_csv(out / "separability.csv", encoding="utf-8-sig")
    assert sep["separable（效果可分离）"].all()
    assert "推广计划：6个支部、2项措施" in text
    assert "组内相关系数：0.1（--icc 指定）" in text
    assert "每波次最多新上线4项" in text


def test_plan_from_a_branch_count_in_english_is_deterministic(tmp_path, capsys):
    args = ["plan", "--branches", "8", "--interventions", "a", "--waves", "4", "--reps", "0", "--lang", "en"]
    rc, text, err = _run(args + ["--out", str(tmp_path / "one")], capsys)
    assert rc == 0, err
    assert "Rollout plan: 8 branches, 1 intervention(s)" in text
    assert "ICC: 0.15 (the default" in text
    assert not (tmp_path / "one" / "power.csv").exists()  # --reps 0 skips the simulation
    rc, _, _ = _run(args + ["--out", str(tmp_path / "two")], capsys)
    for name in ("plan.csv", "plan.xlsx", "survey.csv"):
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes()
    plan = pd.read_csv(tmp_path / "one" / "plan.csv", encoding="utf-8-sig")
    assert plan["unit_id (unit id)"].tolist() == [f"B{i}" for i in range(1, 9)]


@pytest.mark.parametrize("args, message", [
    (["plan"], "give a study folder"),
    (["plan", "--branches", "6", "--interventions", "a,b", "--effect-sizes", "0.1,0.2,0.3"],
     "3 numbers for 2 interventions"),
    (["plan", "--branches", "6", "--interventions", "a,,b"], "comma-separated"),
    (["plan", "--branches", "1"], "at least 2"),
    (["plan", "--branches", "6", "--interventions", "a,b", "--waves", "3"], "need at least 4 waves"),
])
def test_plan_errors_are_one_clear_message(args, message, capsys):
    rc, _, err = _run(args, capsys)
    assert rc == 2
    assert message in err
    assert "Traceback" not in err
