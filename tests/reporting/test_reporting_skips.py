"""A study holding only some tables: sections it cannot support say so in one sentence; failures go to report.log."""

from __future__ import annotations

import logging

import pandas as pd
import pytest
from conftest import tiny_tables

from fusion_study import Study
from fusion_study.reporting.report import render_report
from fusion_study.reporting.sections import Section, SectionSkipped, Text, discover_sections, missing_needs


def _survey_only() -> Study:
    tables, codebook = tiny_tables()
    return Study({k: tables[k] for k in ("units", "customers", "customer_survey")}, codebook=codebook, name="hand")


def test_missing_needs_names_tables_and_columns():
    study = _survey_only()
    assert missing_needs(study, {"interventions": ()}) == {"interventions": None}
    assert missing_needs(study, {"customer_survey": ("response_id", "no_such")}) == {"customer_survey": ("no_such",)}
    assert missing_needs(study, {"customer_survey": ("response_id",)}) == {}


def test_sections_the_study_cannot_support_are_skipped_with_a_sentence(tmp_path):
    keys = {"effects", "members", "brands", "problems", "participation", "index"}
    sections = [s for s in discover_sections() if s.key in keys]
    res = render_report(_survey_only(), tmp_path, lang="zh", sections=sections, progress=False)
    assert res.failed == {}
    assert set(res.skipped) == keys
    assert res.skipped["effects"] == "本节需要干预措施表 interventions，本研究未提供，因此未估计干预效应。"
    html = res.path.read_text(encoding="utf-8")
    assert 'class="error"' not in html
    assert html.count('class="skipped"') == len(keys)
    assert not (tmp_path / "report.log").exists()


def test_english_skip_sentence(tmp_path):
    sections = [s for s in discover_sections() if s.key == "effects"]
    res = render_report(_survey_only(), tmp_path, lang="en", sections=sections, progress=False)
    assert res.skipped["effects"].startswith("This section needs the interventions table")
    assert res.skipped["effects"].endswith("so intervention effects were not estimated.")


def test_a_builder_may_skip_for_a_condition_and_keep_what_it_built(tmp_path):
    def build(study, ctx):
        yield Text(zh="已完成的部分。", en="done part")
        raise SectionSkipped(zh="只有一期调查，无法比较变化。", en="one wave only")

    sec = Section("custom", 1, "自定义", "Custom", build)
    res = render_report(_survey_only(), tmp_path, sections=[sec], progress=False)
    html = res.path.read_text(encoding="utf-8")
    assert res.skipped == {"custom": "只有一期调查，无法比较变化。"} and res.failed == {}
    assert "已完成的部分。" in html and "只有一期调查，无法比较变化。" in html


def test_a_failing_section_is_an_error_box_with_its_traceback_in_report_log_only(tmp_path, capsys):
    def build(study, ctx):
        yield Text(zh="x")
        pd.DataFrame({"a": [1]})["missing_column"]  # a KeyError deep inside pandas

    sec = Section("broken", 1, "坏的", "Broken", build)
    import sys

    console = logging.StreamHandler(sys.stderr)  # a console handler, as a user's script may have
    root = logging.getLogger()
    root.addHandler(console)
    try:
        res = render_report(_survey_only(), tmp_path, sections=[sec], progress=False)
    finally:
        root.removeHandler(console)
    assert set(res.failed) == {"broken"} and "KeyError" in res.failed["broken"]
    log = (tmp_path / "report.log").read_text(encoding="utf-8")
    assert "Traceback (most recent call last)" in log and "missing_column" in log
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    html = res.path.read_text(encoding="utf-8")
    assert 'class="error"' in html and "Traceback" not in html


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_report_cli_exit_status_zero_when_sections_are_only_skipped(tmp_path, lang, capsys):
    from fusion_study.cli import main

    study = _survey_only()
    folder = study.save(tmp_path / "study")
    rc = main(["report", str(folder), "--out", str(tmp_path / "out"), "--lang", lang])
    out = capsys.readouterr()
    assert "Traceback" not in out.out + out.err
    assert "effects:" in out.out  # listed among the skipped sections
    assert "report.docx" in out.out  # the Word version's path is printed too
    assert (tmp_path / "out" / "report.docx").exists()
    assert rc in (0, 1)
    if rc == 1:  # only a genuine failure may set it; then its details are in report.log
        assert (tmp_path / "out" / "report.log").exists()
