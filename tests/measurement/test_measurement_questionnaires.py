"""Real questionnaires (issue 13): one-item measures, two-item scales, poor scales, no CFA at all.

Every data set is made by hand here (a small factor model drawn with numpy, or a fixed CSV
in tests/reference/measurement/), never by the simulator. The Spearman–Brown numbers come
from R psych (tests/reference/measurement/make_reference_two_item.R).
"""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path

import docx
import numpy as np
import openpyxl
import pandas as pd
import pytest

from fusion_study import Study
from fusion_study.measurement import MeasurementWarning, reliability, validity_report, validity_tables
from fusion_study.measurement.validity_export import validity_notes
from fusion_study.measurement.validity_tables import CFA_TABLES, cfa_scales

REF_DIR = Path(__file__).parents[1] / "reference" / "measurement"
SCALES = {"image": ["s1", "s2", "s3"], "quality": ["q1", "q2", "q3", "q4"], "loyalty": ["l1", "l2"],
          "overall_satisfaction": ["sat"]}
SINGLE_NOTE_ZH = ("总体满意度为单题项测量，作为观测变量报告（描述统计及与各量表得分的相关），不进入验证性因子分析、"
                  "KMO与Bartlett检验、Harman检验、Fornell–Larcker检验与HTMT。")


def _likert(x):
    return np.clip(np.round(3 + x), 1, 5).astype(int)


def _answers(n: int = 250, seed: int = 1, *, weak: float | None = None) -> pd.DataFrame:
    """Answers to a retailer questionnaire: 3-, 4- and 2-item scales and a single 总体满意度 item.

    ``weak`` adds a 3-item scale ``weak`` (items w1..w3) whose items load ``weak`` on their factor.
    """
    rng = np.random.default_rng(seed)
    f = rng.multivariate_normal([0, 0, 0, 0], [[1, .4, .3, .2], [.4, 1, .5, .2], [.3, .5, 1, .2], [.2, .2, .2, 1]],
                                size=n)
    d = {}
    for j, lam in enumerate([.8, .7, .75]):
        d[f"s{j + 1}"] = _likert(lam * f[:, 0] + rng.normal(0, .6, n))
    for j, lam in enumerate([.7, .8, .6, .75]):
        d[f"q{j + 1}"] = _likert(lam * f[:, 1] + rng.normal(0, .6, n))
    for j, lam in enumerate([.8, .7]):
        d[f"l{j + 1}"] = _likert(lam * f[:, 2] + rng.normal(0, .6, n))
    d["sat"] = _likert(.5 * f[:, 0] + .5 * f[:, 1] + rng.normal(0, .5, n))
    if weak is not None:
        for j in range(3):
            d[f"w{j + 1}"] = _likert(weak * f[:, 3] + rng.normal(0, 1.0, n))
    return pd.DataFrame(d)


def _report(data, scales):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MeasurementWarning)
        return validity_report(data, scales)


def _docx_text(path) -> str:
    d = docx.Document(path)
    parts = [p.text for p in d.paragraphs] + [c.text for t in d.tables for row in t.rows for c in row.cells]
    return "\n".join(parts)


@pytest.fixture(scope="module")
def answers():
    return _answers()


@pytest.fixture(scope="module")
def report(answers):
    return _report(answers, SCALES)


# ------------------------------------------------------------------ the tables of a real questionnaire
def test_a_real_questionnaire_gets_every_table_it_supports(report, answers):
    assert list(report) == ["reliability", "single_items", "loadings", "kmo_bartlett", "harman", "cfa_fit",
                            "correlations", "fornell_larcker", "htmt"]
    assert report.info == {"single_items": ["overall_satisfaction"], "two_item": ["loyalty"],
                           "cfa_scales": ["image", "quality", "loyalty"], "cfa": "fitted"}
    # the single item: descriptives and correlations, not in any factor model
    si = report["single_items"].iloc[0]
    assert (si["scale"], si["item"], si["n"]) == ("overall_satisfaction", "sat", 250)
    assert si["mean"] == pytest.approx(answers["sat"].mean(), abs=1e-12)
    assert si["sd"] == pytest.approx(answers["sat"].std(), abs=1e-12)
    assert (si["min"], si["max"]) == (answers["sat"].min(), answers["sat"].max())
    corr = report["correlations"].set_index("scale")
    score = answers[["s1", "s2", "s3"]].mean(axis=1)
    assert corr.loc["overall_satisfaction", "image"] == pytest.approx(np.corrcoef(answers["sat"], score)[0, 1],
                                                                         abs=1e-12)
    assert np.isnan(corr.loc["overall_satisfaction", "overall_satisfaction"])  # no AVE
    rel = report["reliability"].set_index("scale")
    assert corr.loc["loyalty", "loyalty"] == pytest.approx(rel.loc["loyalty", "sqrt_ave"])
    assert "sat" not in set(report["loadings"]["item"]) and "sat" not in set(report["kmo_bartlett"]["item"])
    assert report["harman"]["n_items"].iloc[0] == 9
    for key in ("fornell_larcker", "htmt"):
        assert "overall_satisfaction" not in set(report[key]["scale"]) | set(report[key].columns)
    # the two-item scale is estimated inside the 3-factor CFA; the one-item measure is not in reliability
    assert list(rel.index) == ["image", "quality", "loyalty"]
    assert report["cfa_fit"]["model"].iloc[0] == "3-factor (hypothesised)"
    assert rel.loc["loyalty", "cr"] > 0 and rel["spearman_brown"].isna().tolist() == [True, True, False]
    r = np.corrcoef(answers["l1"], answers["l2"])[0, 1]
    assert rel.loc["loyalty", "spearman_brown"] == pytest.approx(2 * r / (1 + r), abs=1e-12)


def test_notes_name_the_single_item_and_the_two_item_scale_once_under_their_tables(report):
    zh = validity_notes(report, lang="zh")
    assert zh["single_items"] == [SINGLE_NOTE_ZH]
    everywhere = [n for notes in zh.values() for n in notes]
    assert sum("单题项测量，作为观测变量报告" in n for n in everywhere) == 1
    assert any(n.startswith("双题项量表（客户忠诚度）的信度以Spearman–Brown系数为准") for n in zh["reliability"])
    assert any(n.startswith("双题项量表（客户忠诚度）只在含两个及以上因子的模型中估计") for n in zh["loadings"])
    assert zh["correlations"][-1] == "总体满意度不在验证性因子分析中，没有AVE，对角线空缺。"
    en = validity_notes(report, lang="en")
    assert en["single_items"][0].startswith("overall satisfaction: single-item measure(s), reported as observed")
    assert any("Spearman–Brown coefficient (Eisinga, te Grotenhuis & Pelzer, 2013)" in n for n in en["reliability"])
    # Chinese tables are Chinese throughout: headers and scale names
    tables = validity_tables(report, lang="zh")
    assert tables[1].headers == ["量表", "样本量", "均值", "标准差", "最小值", "最大值"]
    assert tables[1].display["scale"].tolist() == ["总体满意度"]
    assert tables[0].headers[:5] == ["量表", "题项数", "样本量", "Spearman–Brown系数", "Cronbach's α"]
    latin = {w for t in tables for w in re.findall(r"[A-Za-z]+", " ".join(t.headers + list(t.display.get("scale", []))))}
    assert latin <= {"Spearman", "Brown", "Cronbach", "McDonald", "s", "CR", "AVE", "CFI", "TLI", "RMSEA", "SRMR",
                     "AIC", "BIC", "df", "p"}, latin


def test_spearman_brown_matches_r_psych():
    ref = json.loads((REF_DIR / "reference_two_item.json").read_text())
    data = pd.read_csv(REF_DIR / "two_item_scales.csv")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MeasurementWarning)
        out = reliability(data, {"l": ["l1", "l2"], "m": ["m1", "m2"]}).set_index("scale")
    for s in ("l", "m"):
        assert out.loc[s, "n"] == ref[s]["n"]
        assert out.loc[s, "spearman_brown"] == pytest.approx(ref[s]["spearman_brown"], abs=1e-10)
        assert out.loc[s, "spearman_brown"] == pytest.approx(ref[s]["split_half_max"], abs=1e-10)
        assert out.loc[s, "alpha_std"] == pytest.approx(ref[s]["std_alpha"], abs=1e-10)
        assert out.loc[s, "alpha"] == pytest.approx(ref[s]["raw_alpha"], abs=1e-10)
    assert out.loc["m", "n"] == 18  # listwise: two respondents skipped an item


def test_a_poor_scale_is_reported_with_its_verdict(tmp_path):
    data = _answers(weak=0.35, seed=3)
    rep = _report(data, {**SCALES, "weak": ["w1", "w2", "w3"]})
    rel = rep["reliability"].set_index("scale")
    a = rel.loc["weak", "alpha"]
    assert a < 0.70
    zh = validity_notes(rep, lang="zh")["reliability"]
    assert f"α={a:.2f}，低于0.70的常用标准" in next(n for n in zh if n.startswith("weak："))
    en = validity_notes(rep, lang="en")["reliability"]
    assert f"α = {a:.2f}, below the usual 0.70" in next(n for n in en if n.startswith("weak: "))
    # its poor loadings are named too, and the document is written
    lo = rep["loadings"].set_index("item")["std_all"]
    low = [i for i in ("w1", "w2", "w3") if abs(lo[i]) < 0.5]
    assert low and all(any(n.startswith(f"题项{i}的标准化载荷=") for n in validity_notes(rep)["loadings"]) for i in low)
    text = _docx_text(rep.to_docx(tmp_path / "poor.docx"))
    assert f"α={a:.2f}，低于0.70的常用标准" in text


def test_a_misfitting_model_is_reported_with_its_fit_verdict():
    data = _answers(seed=4)
    rep = _report(data, {"mixed": ["s1", "s2", "s3", "q1", "q2", "q3"], "loyalty": ["l1", "l2"]})
    hyp = rep["cfa_fit"].iloc[0]
    assert hyp["cfi"] < 0.90
    note = validity_notes(rep, lang="zh")["cfa_fit"][-1]
    assert note.startswith("假设模型：") and f"CFI={hyp['cfi']:.2f}，低于0.90的常用标准" in note
    assert f"RMSEA={hyp['rmsea']:.2f}，高于0.08的常用标准" in note


def test_a_poor_two_item_scale_is_judged_by_spearman_brown():
    rng = np.random.default_rng(7)
    f = rng.normal(size=200)
    data = pd.DataFrame({"a1": _likert(.6 * f + rng.normal(0, 1, 200)), "a2": _likert(.6 * f + rng.normal(0, 1, 200))})
    rep = _report(data, {"loyalty": ["a1", "a2"]})
    sb = rep["reliability"]["spearman_brown"].iloc[0]
    assert 0 < sb < 0.70
    note = next(n for n in validity_notes(rep)["reliability"] if n.startswith("客户忠诚度："))
    assert note == f"客户忠诚度：Spearman–Brown={sb:.2f}，低于0.70的常用标准。"  # not α: one verdict


# ------------------------------------------------------------------ nothing can enter a CFA
def test_single_items_and_one_two_item_scale_report_everything_but_the_cfa(answers, tmp_path):
    rep = _report(answers, {"loyalty": ["l1", "l2"], "overall_satisfaction": ["sat"]})
    assert list(rep) == ["reliability", "single_items", "correlations"]
    assert rep.info["cfa"] == "not_identified" and rep.info["cfa_scales"] == []
    assert not set(rep) & set(CFA_TABLES)
    notes = validity_notes(rep)
    assert notes["reliability"][0] == "α与ω≥0.70为可接受。"
    assert notes["reliability"][-1].startswith("没有量表能进入验证性因子分析")
    assert notes["correlations"] == ["相关系数基于量表均分（单题项测量为其得分）。"]
    tables = validity_tables(rep)
    assert tables[0].headers == ["量表", "题项数", "样本量", "Spearman–Brown系数", "Cronbach's α", "标准化α"]
    assert tables[2].caption == "表3 均值、标准差与相关系数"
    d = docx.Document(rep.to_docx(tmp_path / "v.docx"))
    assert len(d.tables) == 3
    text = _docx_text(tmp_path / "v.docx")
    assert not re.search(r"\bnan\b", text, re.I)
    assert text.count("没有量表能进入验证性因子分析") == 1


def test_only_single_items(answers, tmp_path):
    data = answers.assign(rec=_likert(np.random.default_rng(2).normal(size=len(answers))))
    rep = _report(data, {"overall_satisfaction": ["sat"], "recommend": ["rec"]})
    assert list(rep) == ["single_items", "correlations"]
    assert rep["single_items"]["item"].tolist() == ["sat", "rec"]
    assert rep["correlations"].set_index("scale").loc["recommend", "overall_satisfaction"] == pytest.approx(
        np.corrcoef(data["sat"], data["rec"])[0, 1], abs=1e-12)
    notes = validity_notes(rep)
    assert notes["single_items"][0].startswith("总体满意度、推荐意愿为单题项测量")
    assert notes["single_items"][-1].startswith("没有量表能进入验证性因子分析")
    wb = openpyxl.load_workbook(rep.to_xlsx(tmp_path / "v.xlsx"))
    assert wb.sheetnames == ["single_items", "correlations"]
    # one single item alone: its descriptives only
    alone = _report(data, {"overall_satisfaction": ["sat"]})
    assert list(alone) == ["single_items"]


def test_cfa_scales_rules():
    assert cfa_scales({"a": ["a1", "a2"]}) == {}
    assert cfa_scales({"a": ["a1", "a2", "a3"]}) == {"a": ["a1", "a2", "a3"]}
    assert cfa_scales({"a": ["a1", "a2"], "b": ["b1", "b2"], "c": ["c1"]}) == {"a": ["a1", "a2"], "b": ["b1", "b2"]}


def test_a_cfa_that_does_not_converge_leaves_out_its_tables(answers, monkeypatch):
    import importlib

    from fusion_study.measurement.sem.model import NotConvergedError

    vt = importlib.import_module("fusion_study.measurement.validity_tables")

    def fail(self, data, *, codebook=None):
        raise NotConvergedError("CFA: ML estimation did not converge")

    monkeypatch.setattr(vt.CFA, "fit", fail)
    rep = _report(answers, SCALES)
    assert list(rep) == ["reliability", "single_items", "correlations"]
    assert rep.info["cfa"] == "not_converged"
    assert validity_notes(rep)["reliability"][-1].startswith("假设的验证性因子分析模型未收敛")


# ------------------------------------------------------------------ a hand-made study folder, end to end
def _study_tables(n: int = 250):
    data = _answers(n)
    customers = pd.DataFrame({"customer_id": [f"R{i:03d}" for i in range(n)], "county_id": "K1",
                              "branch_id": ["B1", "B2"] * (n // 2), "segment": "urban", "size_tier": "small"})
    units = pd.DataFrame({"unit_id": ["C", "K1", "B1", "B2"], "name": ["P市局", "甲县局", "甲营销支部", "乙营销支部"],
                          "level": ["city", "county", "branch", "branch"], "parent_id": [None, "C", "K1", "K1"],
                          "branch_kind": [None, None, "marketing", "marketing"]})
    survey = pd.DataFrame({"response_id": [f"S{i:03d}" for i in range(n)], "customer_id": customers["customer_id"],
                           "wave": "2024Q1",
                           "submitted": pd.Timestamp("2024-03-01 10:00") + pd.to_timedelta(np.arange(n), "min"),
                           "duration_s": 200.0 + (np.arange(n) % 50)})
    survey = pd.concat([survey, data], axis=1)
    # the codebook lists the free-text question too; its answers are kept apart (as import-survey does)
    text = {"s1": "客户经理服务态度", "s2": "客户经理专业水平", "s3": "问题反馈及时", "q1": "配送及时", "q2": "货源充足",
            "q3": "订货方便", "q4": "投诉处理", "l1": "继续经营意愿", "l2": "向同行推荐", "sat": "总体满意度"}
    scale = {i: s for s, items in SCALES.items() for i in items}
    codebook = pd.DataFrame(
        [{"item_id": i, "instrument": "customer_survey", "scale": scale[i], "text_zh": t, "text_en": "",
          "reverse": False, "min": 1, "max": 5, "source_column": str(k + 1),
          "options": "1=非常不满意;2=不满意;3=一般;4=满意;5=非常满意"} for k, (i, t) in enumerate(text.items())]
        + [{"item_id": "advice", "instrument": "customer_survey", "scale": "", "text_zh": "意见和建议", "text_en": "",
            "reverse": "", "min": None, "max": None, "source_column": "11", "options": ""}])
    return {"units": units, "customers": customers, "customer_survey": survey}, codebook


def _write_study(folder: Path, *, with_codebook: bool = True) -> Path:
    tables, codebook = _study_tables()
    folder.mkdir(parents=True)
    for name, df in tables.items():
        df.to_csv(folder / f"{name}.csv", index=False)
    if with_codebook:
        codebook.to_csv(folder / "codebook.csv", index=False)
    return folder


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_cli_validity_on_a_hand_made_study(tmp_path, capsys, lang):
    from fusion_study.cli import main

    study = _write_study(tmp_path / "study")
    out = tmp_path / "out"
    assert main(["validity", str(study), "--out", str(out), "--lang", lang]) == 0
    printed = capsys.readouterr()
    assert "Traceback" not in printed.out + printed.err and "spearman_brown" in printed.out
    text = _docx_text(out / "validity_customer_survey.docx")
    if lang == "zh":
        assert SINGLE_NOTE_ZH in text and "表2 零售客户满意度问卷：单题项测量的描述统计" in text
    else:
        assert "overall satisfaction: single-item measure(s), reported as observed variables" in text
    assert not re.search(r"\bnan\b", text, re.I)
    wb = openpyxl.load_workbook(out / "validity_customer_survey.xlsx")
    assert wb.sheetnames[:2] == ["reliability", "single_items"] and "htmt" in wb.sheetnames


def test_cli_validity_without_a_codebook_says_so(tmp_path, capsys):
    from fusion_study.cli import main

    study = _write_study(tmp_path / "study", with_codebook=False)
    assert main(["validity", str(study), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "no codebook" in err and "Traceback" not in err


# ------------------------------------------------------------------ the report section
def _section():
    from fusion_study.reporting.sections import discover_sections

    return next(s for s in discover_sections() if s.key == "measurement")


def test_report_section_skips_with_a_sentence_without_survey_or_codebook():
    from fusion_study.reporting.sections import ReportContext, SectionSkipped

    tables, codebook = _study_tables()
    no_survey = Study({k: tables[k] for k in ("units", "customers")}, codebook=codebook, name="hand")
    with pytest.raises(SectionSkipped) as exc:
        list(_section().build(no_survey, ReportContext()))
    assert exc.value.zh == "本研究没有问卷数据（customer_survey 或 staff_survey），因此未做量表信度与效度分析。"
    assert exc.value.en.startswith("The study has no survey responses")
    no_codebook = Study(tables, name="hand")
    with pytest.raises(SectionSkipped) as exc:
        list(_section().build(no_codebook, ReportContext(lang="en")))
    assert exc.value.zh.startswith("本研究没有码本（codebook）") and exc.value.en.startswith("The study has no codebook")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_report_section_shows_the_single_item_and_its_note(tmp_path, lang):
    from fusion_study.reporting.report import render_report

    tables, codebook = _study_tables()
    study = Study(tables, codebook=codebook, name="hand")
    res = render_report(study, tmp_path, lang=lang, sections=[_section()], progress=False)
    assert res.failed == {} and res.skipped == {}
    html = res.path.read_text(encoding="utf-8")
    assert 'class="error"' not in html
    if lang == "zh":
        assert "零售客户满意度问卷：单题项测量的描述统计" in html and SINGLE_NOTE_ZH in html
        assert "最小值" in html and "Spearman–Brown系数" in html and "spearman_brown" not in html
    else:
        assert "retailer satisfaction survey: Single-item measures: descriptive statistics" in html
    assert html.count("单题项测量，作为观测变量报告" if lang == "zh" else "single-item measure(s), reported") == 1


def test_report_section_without_survey_is_skipped_in_the_report(tmp_path):
    from fusion_study.reporting.report import render_report

    tables, codebook = _study_tables()
    study = Study({k: tables[k] for k in ("units", "customers")}, codebook=codebook, name="hand")
    res = render_report(study, tmp_path, sections=[_section()], progress=False)
    assert res.failed == {} and res.skipped == {
        "measurement": "本研究没有问卷数据（customer_survey 或 staff_survey），因此未做量表信度与效度分析。"}


def test_no_verdict_gives_away_a_suppressed_small_scale():
    data = pd.DataFrame({"a1": [4, 5, 2, 3], "a2": [2, 4, 4, 3]})
    rep = _report(data, {"loyalty": ["a1", "a2"]})
    assert rep["reliability"]["spearman_brown"].iloc[0] < 0.70
    assert not any("常用标准" in n for n in validity_notes(rep)["reliability"])  # n = 4 < 5: numbers suppressed
    assert any(n.startswith("客户忠诚度：Spearman–Brown=") for n in validity_notes(rep, min_cell=1)["reliability"])


def test_an_improper_solution_and_a_negative_alpha_are_named():
    rel = pd.DataFrame({"scale": ["quality"], "n_items": [3], "n": [31], "alpha": [-0.654], "alpha_std": [-0.6],
                        "spearman_brown": [np.nan], "omega_total": [0.75], "mean_r": [-0.1], "cr": [464.838],
                        "ave": [0.6], "sqrt_ave": [0.77]})
    lo = pd.DataFrame({"factor": "quality", "item": ["q1", "q2", "q3"], "estimate": [1.0, 0.1, 0.5],
                       "se": [0.0, 0.2, 0.2], "ci_lower": np.nan, "ci_upper": np.nan, "std_all": [1.31, 0.21, 0.6]})
    notes = validity_notes({"reliability": rel, "loadings": lo})
    assert notes["reliability"][-1] == ("感知服务质量：α=-0.65，低于0.70的常用标准，为负值，可能有反向计分题未在码本中标记；"
                                        "CR=464.84，大于1，不可解释（因子模型的解不合理）。")
    assert notes["loadings"][1:] == ["题项q1的标准化载荷=1.31，绝对值大于1（Heywood情形，残差方差为负），该模型的解不合理。",
                                     "题项q2的标准化载荷=0.21，低于0.50的常用标准。"]
    en = validity_notes({"reliability": rel, "loadings": lo}, lang="en")
    assert en["loadings"][1].startswith("Item q1: standardized loading = 1.31, above 1 in absolute value")
