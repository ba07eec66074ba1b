"""Notebooks 01–04 on a user's own study (issue 13): one survey wave, no interventions, no staff survey.

The study is written by hand here: a retailer satisfaction questionnaire with a single-item
总体满意度 and a two-item service scale, the units and customers tables, the codebook, and the
问卷星 export it came from in ``exports/`` — no interventions, staff survey, KPIs or ``truth.json``.
Every step that needs an absent table must print one plain sentence, never a traceback.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest
from openpyxl import Workbook

ROOT = Path(__file__).resolve().parents[2]
OPTIONS = "1=非常不满意;2=不满意;3=一般;4=满意;5=非常满意"
MATRIX = ["客户经理态度", "配送及时"]


def write_survey_only_study(folder: Path, n: int = 60) -> Path:
    """A one-wave retailer survey study written by hand (tables, codebook and the 问卷星 export)."""
    folder.mkdir(parents=True, exist_ok=True)
    units = pd.DataFrame({
        "unit_id": ["C", "K1", "K2", "B1", "B2", "B3", "B4"],
        "name": ["某市局", "东县局", "西区局", "东营销支部", "东专卖支部", "西营销支部", "西物流支部"],
        "level": ["city", "county", "county", "branch", "branch", "branch", "branch"],
        "parent_id": [None, "C", "C", "K1", "K1", "K2", "K2"],
        "branch_kind": [None, None, None, "marketing", "monopoly", "marketing", "logistics"],
    })
    ids = [f"3603021{i:03d}" for i in range(n)]
    customers = pd.DataFrame({
        "customer_id": ids,
        "county_id": ["K1" if i % 4 < 2 else "K2" for i in range(n)],
        "branch_id": [f"B{i % 4 + 1}" for i in range(n)],
        "segment": [("urban", "rural", "modern_terminal")[i % 3] for i in range(n)],
        "size_tier": [("small", "medium", "large")[(i // 3) % 3] for i in range(n)],
    })
    rng = np.random.default_rng(3)
    level = rng.normal(0, 1, n)
    q1, q2, sat = (np.clip(np.round(3.4 + 0.9 * level + rng.normal(0, 0.6, n)), 1, 5).astype(int) for _ in range(3))
    submitted = pd.Timestamp("2024-04-08 09:00") + pd.to_timedelta(np.arange(n) * 5400 + rng.integers(0, 600, n),
                                                                   unit="s")
    duration = 180 + rng.integers(0, 200, n)
    survey = pd.DataFrame({
        "response_id": [f"CS{i + 1:05d}" for i in range(n)], "customer_id": ids, "wave": "2024Q2",
        "submitted": submitted, "duration_s": duration.astype(float), "q1": q1, "q2": q2, "sat": sat,
    })
    codebook = pd.DataFrame([
        dict(item_id=f"q{j + 1}", instrument="customer_survey", scale="service", text_zh=row, text_en="",
             reverse=False, min=1, max=5, source_column="2", options=OPTIONS) for j, row in enumerate(MATRIX)
    ] + [dict(item_id="sat", instrument="customer_survey", scale="satisfaction", text_zh="总体满意度",
              text_en="overall satisfaction", reverse=False, min=1, max=5, source_column="3", options=OPTIONS)])
    for name, frame in {"units": units, "customers": customers, "customer_survey": survey}.items():
        frame.to_csv(folder / f"{name}.csv", index=False, encoding="utf-8-sig")
    codebook.to_csv(folder / "codebook.csv", index=False, encoding="utf-8-sig")
    # the export the survey table was imported from, as 问卷星 writes it (按序号)
    (folder / "exports").mkdir(exist_ok=True)
    wb = Workbook()
    ws = wb.active
    ws.append(["序号", "提交答卷时间", "所用时间", "来源", "来源详情", "来自IP", "1、零售户编号",
               *[f"2、(服务质量)—{row}" for row in MATRIX], "3、总体满意度", "4、意见和建议"])
    for i in range(n):
        ws.append([i + 1, submitted[i].strftime("%Y/%m/%d %H:%M:%S"), f"{duration[i]}秒", "手机提交", "直接访问",
                   f"183.14.3.{i}(江西-上饶)", ids[i], int(q1[i]), int(q2[i]), int(sat[i]),
                   "有事打13812345678" if i == 2 else ("送货很及时" if i == 5 else None)])
    wb.save(folder / "exports" / "2024Q2零售客户满意度调查_按序号.xlsx")
    return folder


def _outputs(path) -> list[str]:
    nb = nbformat.read(path, as_version=4)
    texts = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                texts.append("Traceback " + out.get("ename", "") + ": " + out.get("evalue", ""))
            texts.append(out.get("text", "") or "".join(str(v) for v in out.get("data", {}).values()))
    return texts


@pytest.mark.slow
@pytest.mark.parametrize("lang, exports", [("zh", True), ("en", False)])
def test_notebooks_01_to_04_run_on_a_survey_only_study(tmp_path, lang, exports):
    from fusion_study.reporting.notebook import run_notebooks

    study = write_survey_only_study(tmp_path / "我的研究")
    if not exports:
        shutil.rmtree(study / "exports")
    names = ["01", "02", "03", "04"]
    res = run_notebooks(study, tmp_path / "out", lang=lang, names=names, folder=ROOT / "notebooks")
    assert res["notebook"].str[:2].tolist() == names
    assert res["status"].tolist() == ["ok"] * 4, res[["notebook", "error"]].to_string()
    text = {row.notebook: "\n".join(_outputs(row.notebook_path)) for row in res.itertuples()}
    for name, body in text.items():
        assert "Traceback" not in body, name
    no_truth = "本研究没有 truth.json" if lang == "zh" else "The study has no truth.json"
    for name in ("02-the-example-study", "03-measurement", "04-integration-index"):
        assert no_truth in text[name], name  # the truth cells say one sentence, nothing more
    # absent tables are named in one plain sentence
    needs = "本节需要" if lang == "zh" else "This section needs"
    assert needs in text["04-integration-index"] and "staff_survey" in text["04-integration-index"]
    assert needs in text["02-the-example-study"] and "interventions" in text["02-the-example-study"]
    importing = text["01-importing-survey-data"]
    if exports:
        # the user's own export was imported, not the example's, and its personal data left out
        assert "2024Q2零售客户满意度调查_按序号.xlsx" in importing
        assert "13812345678" not in importing and "183.14.3." not in importing
        assert "rows read: 60; kept: 60" in importing
    else:
        assert "has no exports/ folder, so the example study's exports are shown" in importing
        assert "customer_survey_2022Q1" in importing
    assert (tmp_path / "out" / "01-importing-survey-data" / "imported_study" / "customer_survey.csv").exists()
