"""The HTML report: sections, embedded figures, isolation of failing sections, no paths or times."""

from __future__ import annotations

import re

import pytest

from fusion_study import load_study
from fusion_study.data.paths import example_study_path
from fusion_study.reporting import overview as report_overview
from fusion_study.reporting.report import build_report, render_report
from fusion_study.reporting.sections import Section, Text, discover_sections

_TIMESTAMP = re.compile(r"\b20\d\d-\d\d-\d\d[ T]\d\d:\d\d|\b\d\d:\d\d:\d\d\b")


def _overview():
    return [s for s in discover_sections() if s.key == "overview"]


@pytest.fixture(scope="module")
def example_study():
    path = example_study_path()
    if not (path / "units.csv").exists():
        pytest.skip("bundled example study not present")
    return load_study(path)


def _check_clean(text: str) -> None:
    for bad in ("/work", "/tmp", "/home", "C:\\"):
        assert bad not in text
    assert not _TIMESTAMP.search(text), _TIMESTAMP.search(text)


def test_overview_report_on_example(example_study, tmp_path):
    out = tmp_path / "rep"
    result = render_report(example_study, out, lang="zh", sections=_overview(), progress=False)
    html = result.path.read_text(encoding="utf-8")
    assert result.failed == {}
    assert '<section id="sec-overview"><h2>研究概况</h2>' in html
    assert 'href="#sec-overview"' in html  # table of contents
    assert html.count("data:image/png;base64,") == 2
    assert "表1 样本构成" in html and "表2 各波次应答率" in html and "实施日历" in html
    _check_clean(html)
    assert sorted(p.name for p in (out / "figures").iterdir()) == ["overview_responses.png", "overview_rollout.png"]
    assert (out / "tables" / "overview_sample.docx").exists()
    assert (out / "tables" / "overview_sample.xlsx").exists()
    # same study, same seed: same bytes
    again = build_report(example_study, tmp_path / "rep2", lang="zh", sections=_overview(), progress=False)
    assert again.read_bytes() == result.path.read_bytes()


def test_english_report(example_study, tmp_path):
    path = build_report(example_study, tmp_path, lang="en", sections=_overview(), progress=False)
    html = path.read_text(encoding="utf-8")
    assert "<h2>Study overview</h2>" in html and 'lang="en"' in html
    assert "Response rate" in html


def test_overview_frames(example_study):
    rates = report_overview.response_rates(example_study)
    assert list(rates.columns) == ["wave", "retailers", "responses", "response_rate"]
    assert rates["responses"].sum() == len(example_study.customer_survey)
    assert (rates["response_rate"] == 100 * rates["responses"] / len(example_study.customers)).all()
    prof = report_overview.sample_profile(example_study)
    assert prof.groupby("variable")["n"].sum().eq(len(example_study.customer_survey)).all()
    cal = report_overview.rollout_calendar(example_study)
    first = cal[cal["active"]].groupby(["unit_id", "intervention"])["wave"].min()
    starts = example_study.interventions.set_index(["unit_id", "intervention"])["start_period"].astype(str)
    assert (first == starts.reindex(first.index)).all()


def test_tiny_study_report_suppresses_small_cells(tiny_study, tmp_path):
    path = build_report(tiny_study, tmp_path, sections=_overview(), progress=False)
    html = path.read_text(encoding="utf-8")
    # three responses in all: every count is below 5 and must not be published
    assert "少于5人" in html and "&lt;5" in html
    _check_clean(html)


def test_failing_section_is_isolated(tiny_study, tmp_path):
    def broken(study, ctx):
        yield Text(zh="前言")
        raise RuntimeError(f"boom in {tmp_path}/secret.csv")

    sections = [Section("broken", 5, "坏的一节", "Broken", broken), *_overview()]
    result = render_report(tiny_study, tmp_path / "out", sections=sections, progress=False)
    html = result.path.read_text(encoding="utf-8")
    assert list(result.failed) == ["broken"]
    assert 'class="error"' in html and "RuntimeError: boom in" in html
    assert "secret.csv" in html and str(tmp_path) not in html  # path scrubbed to its file name
    assert "<h2>研究概况</h2>" in html  # later section still built
    _check_clean(html)


def test_cli_report_exit_codes(tiny_study_dir, tmp_path, capsys):
    from fusion_study.cli.parser import main

    code = main(["report", str(tiny_study_dir), "--out", str(tmp_path / "r"), "--lang", "en"])
    out = capsys.readouterr().out
    assert "report.html" in out
    assert code in (0, 1)  # 1 only if some analysis section cannot run on the tiny study
    assert (tmp_path / "r" / "report.html").exists()
    assert main(["report", str(tmp_path / "nope"), "--out", str(tmp_path / "r2")]) == 2


def test_ledger_summary_in_overview(tiny_study, tmp_path):
    tiny_study.ledger.record("customer_survey", [5, 6], rule="screening:straightlining", action="excluded")
    from fusion_study.reporting.sections import ReportContext

    blocks = list(_overview()[0].build(tiny_study, ReportContext(lang="en")))
    ledger = [b for b in blocks if getattr(b, "name", "") == "overview_ledger"]
    assert len(ledger) == 1
    frame = ledger[0].frame
    from fusion_study.reporting.labels import label

    # tables and actions in words; a rule the catalogue does not know is shown as it is
    assert frame[["table", "rule", "n_rows"]].values.tolist() == [
        [label("customer_survey", "en"), "screening:straightlining", 2]]
    assert label("customer_survey", "en") != "customer_survey"
    assert frame["action"].tolist() == ["excluded"]
    import matplotlib.pyplot as plt

    plt.close("all")


def test_progress_bar_is_quiet_when_not_a_terminal(tiny_study, tmp_path, capsys):
    build_report(tiny_study, tmp_path, sections=_overview())  # progress=None: stderr is not a TTY here
    assert "report" not in capsys.readouterr().err
