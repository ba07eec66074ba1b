"""Issue 13: the report on the studies users have — one survey wave, several waves without interventions,
organisational tables without surveys, interventions that never vary within a branch. Hand-made studies."""

from __future__ import annotations

import pandas as pd
import pytest
from _hand_studies import organisation_study, survey_study

from fusion_study import Study
from fusion_study.reporting.report import render_report
from fusion_study.reporting.sections import discover_sections

#: sections of this engineer's scope (measurement is checked by its own tests)
MINE = ("overview", "index", "effects", "members", "brands", "problems", "participation")
WAVES = ("2024Q1", "2024Q2", "2024Q3", "2024Q4")


def _sections():
    return [s for s in discover_sections() if s.key in MINE]


def _with_interventions(study: Study, starts: dict[str, str]) -> Study:
    iv = pd.DataFrame({"unit_id": list(starts), "intervention": ["brand"] * len(starts),
                       "start_period": list(starts.values())})
    return Study({**study.tables, "interventions": iv}, codebook=study.codebook, name="hand")


def _render(study, tmp_path, capsys, lang="zh"):
    res = render_report(study, tmp_path, lang=lang, sections=_sections(), progress=False, quick=True)
    out = capsys.readouterr()
    assert "Traceback" not in out.out + out.err
    assert res.failed == {}
    assert not (tmp_path / "report.log").exists()
    html = res.path.read_text(encoding="utf-8")
    assert 'class="error"' not in html
    for key, sentence in res.skipped.items():
        assert sentence and sentence.endswith("。" if lang == "zh" else "."), key
        assert sentence in html
    return res, html


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_survey_only_single_wave(tmp_path, capsys, lang):
    res, _ = _render(survey_study(), tmp_path, capsys, lang)
    assert set(res.skipped) == {"index", "effects", "members", "brands", "problems", "participation"}
    assert res.tables  # the overview still shows the sample


def test_several_waves_without_interventions(tmp_path, capsys):
    res, _ = _render(survey_study(WAVES), tmp_path, capsys)
    assert res.skipped["effects"] == "本节需要干预措施表 interventions，本研究未提供，因此未估计干预效应。"


def test_organisational_tables_without_surveys(tmp_path, capsys):
    res, html = _render(organisation_study(), tmp_path, capsys)
    assert {"members", "problems", "participation"}.isdisjoint(res.skipped)
    assert {"index", "effects", "brands"} <= set(res.skipped)
    assert "党员数" in html and "解决率（%）" in html


def test_one_wave_with_interventions_is_skipped_in_plain_words(tmp_path, capsys):
    res, _ = _render(_with_interventions(survey_study(), {"B1": "2024Q1"}), tmp_path, capsys)
    assert res.skipped["effects"].startswith("本研究只有一期客户调查（2024Q1）")


@pytest.mark.parametrize("starts", [{"B1": "2023Q1", "B2": "2023Q3"}, {"B1": "2025Q2"}])
def test_interventions_that_never_vary_within_a_branch(tmp_path, capsys, starts):
    res, _ = _render(_with_interventions(survey_study(WAVES), starts), tmp_path, capsys)
    assert "要么一直已推行、要么一直未推行" in res.skipped["effects"]


def test_small_staggered_study_gets_estimates_with_their_warnings(tmp_path, capsys):
    study = _with_interventions(survey_study(WAVES), {"B1": "2024Q2", "B2": "2024Q3", "B3": "2024Q3", "B4": "2024Q4"})
    res, html = _render(study, tmp_path, capsys)
    assert "effects" not in res.skipped and "effects_table" in res.tables
    # computed from the rollout: 3 cohorts of 1, 2, 1 branches; 6 branches compared
    assert "分为 3 批（2024Q2 1 个、2024Q3 2 个、2024Q4 1 个），共 6 个支部参与比较" in html
    assert "其中 2 批只有 1 个支部" in html and "支部只有 6 个" in html
    assert "同期其他干预" not in html  # a single intervention: nothing co-timed
