"""Notebooks 05–08 on a user's own study: hand-made studies run top to bottom without a traceback.

The studies are built by hand (no simulator): a retailer survey with one wave and no
interventions (units, customers, customer_survey + codebook, as a 问卷星 export gives),
and the same questionnaire over four waves, still without interventions. Every step that
needs a table or condition the study lacks must say so in one plain sentence.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ["05", "06", "07", "08"]


def _units() -> pd.DataFrame:
    branches = [f"B{i}" for i in range(1, 7)]
    return pd.DataFrame({
        "unit_id": ["C", "K1", "K2", *branches],
        "name": ["P市局", "甲县局", "乙区局", *[f"第{i}营销支部" for i in range(1, 7)]],
        "level": ["city", "county", "county", *["branch"] * 6],
        "parent_id": [None, "C", "C", "K1", "K1", "K1", "K2", "K2", "K2"],
        "branch_kind": [None, None, None, *["marketing"] * 6],
    })


def _customers(n: int = 60) -> pd.DataFrame:
    branch = [f"B{1 + i % 6}" for i in range(n)]
    return pd.DataFrame({
        "customer_id": [f"R{i:03d}" for i in range(n)],
        "county_id": ["K1" if int(b[1]) <= 3 else "K2" for b in branch],
        "branch_id": branch,
        "segment": [("urban", "rural", "modern_terminal")[i % 3] for i in range(n)],
        "size_tier": [("small", "medium", "large")[i % 3] for i in range(n)],
    })


def _codebook() -> pd.DataFrame:
    agree = "1=非常不满意;2=不满意;3=一般;4=满意;5=非常满意"
    return pd.DataFrame({
        "item_id": ["q1", "q2", "q3"],
        "instrument": ["customer_survey"] * 3,
        "scale": ["satisfaction", "service", "service"],
        "text_zh": ["总体满意度", "客户经理服务及时", "客户经理态度热情"],
        "text_en": ["overall satisfaction", "timely service", "friendly service"],
        "reverse": [False, False, False],
        "min": [1, 1, 1],
        "max": [5, 5, 5],
        "source_column": ["1、总体满意度", "2、服务及时", "3、态度热情"],
        "options": [agree] * 3,
    })


def _survey(customers: pd.DataFrame, waves: list[str], seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for w, wave in enumerate(waves):
        year, q = int(wave[:4]), int(wave[-1])
        month = 3 * (q - 1) + 1
        for k, cid in enumerate(customers["customer_id"]):
            base = 3 + 0.2 * w + rng.normal(0, 0.8)
            ans = np.clip(np.rint(base + rng.normal(0, 0.6, 3)), 1, 5).astype(int)
            rows.append({
                "response_id": f"S{wave}-{k:03d}",
                "customer_id": cid,
                "wave": wave,
                "submitted": pd.Timestamp(year, month, 5 + k % 20, 9 + k % 8, k % 60),
                "duration_s": float(90 + (k * 37) % 200),
                "q1": ans[0], "q2": ans[1], "q3": ans[2],
            })
    return pd.DataFrame(rows)


def _write(folder: Path, tables: dict[str, pd.DataFrame]) -> Path:
    folder.mkdir(parents=True)
    for name, df in tables.items():
        df.to_csv(folder / f"{name}.csv", index=False)
    return folder


def survey_only_study(folder: Path) -> Path:
    """One wave, no interventions: units, customers, customer_survey and codebook."""
    cust = _customers()
    return _write(folder, {"units": _units(), "customers": cust, "customer_survey": _survey(cust, ["2024Q2"]),
                           "codebook": _codebook()})


def multi_wave_study(folder: Path) -> Path:
    """Four waves of the same questionnaire, still no interventions, tickets, members or brands."""
    cust = _customers()
    waves = ["2023Q3", "2023Q4", "2024Q1", "2024Q2"]
    return _write(folder, {"units": _units(), "customers": cust, "customer_survey": _survey(cust, waves),
                           "codebook": _codebook()})


def _outputs_text(path: Path) -> str:
    nb = nbformat.read(path, as_version=4)
    parts = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            parts.append(out.get("text", ""))
            parts.extend(str(v) for v in out.get("data", {}).values())
            parts.extend(out.get("traceback", []))
            if out.get("output_type") == "error":
                parts.append(f"Traceback {out.get('ename')}: {out.get('evalue')}")
    return "\n".join(parts)


def test_the_hand_made_studies_load_and_have_what_they_claim(tmp_path):
    from fusion_study import load_study

    one = load_study(survey_only_study(tmp_path / "one"))
    many = load_study(multi_wave_study(tmp_path / "many"))
    assert set(one.tables) == {"units", "customers", "customer_survey"}
    assert one.customer_survey["wave"].nunique() == 1 and many.customer_survey["wave"].nunique() == 4
    assert one.validate().ok and many.validate().ok


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_effects_skip_sentences_name_the_missing_table_and_the_single_wave(tmp_path, lang):
    from fusion_study import load_study
    from fusion_study.reporting.plain import effects_skip_sentence

    one = load_study(survey_only_study(tmp_path / "one"))
    s = effects_skip_sentence(one, lang=lang)
    assert "interventions" in s
    # give the one-wave study an interventions table: the condition is now the single wave
    tables = dict(one.tables)
    tables["interventions"] = pd.DataFrame({"unit_id": ["B1"], "intervention": ["brand"], "start_period": ["2024Q2"],
                                            "end_period": [None], "intensity": [None]})
    from fusion_study import Study

    s = effects_skip_sentence(Study(tables, codebook=one.codebook), lang=lang)
    assert ("只有一期调查" in s) if lang == "zh" else ("single survey wave" in s)


@pytest.mark.slow
@pytest.mark.parametrize("make", [survey_only_study, multi_wave_study], ids=["one-wave", "four-waves"])
def test_notebooks_05_to_08_run_on_a_hand_made_study(tmp_path, make):
    from fusion_study.reporting.notebook import run_notebooks

    study = make(tmp_path / "study")
    res = run_notebooks(study, tmp_path / "out", names=NOTEBOOKS, folder=ROOT / "notebooks", timeout=600)
    assert sorted(res["notebook"].str[:2]) == NOTEBOOKS
    failed = res[res["status"] != "ok"]
    assert failed.empty, failed[["notebook", "error"]].to_string()
    texts = {row.notebook: _outputs_text(Path(row.notebook_path)) for row in res.itertuples()}
    for name, text in texts.items():
        assert "Traceback" not in text, f"{name}: {text[-2000:]}"
    # the effect notebooks say in a sentence why they estimate nothing here
    assert "interventions" in texts["05-interventions-and-satisfaction"]
    assert "interventions" in texts["06-staggered-rollout"]
    # each missing table is said once per step, in the notebook's language (zh by default)
    assert "本步需要急难愁盼问题清单表 tickets" in texts["07-members-brands-and-problems"]
    assert "本步需要党员表 members" in texts["07-members-brands-and-problems"]
    # nothing compared with a simulator's truth: the study has no truth.json
    for text in texts.values():
        assert "模拟数据" not in text
