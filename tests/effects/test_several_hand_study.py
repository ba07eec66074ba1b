"""Acceptance (issue 14): the per-intervention table of ``fusion-study report`` on a study built by hand.

The study is written without the simulator (``tests/own_study.py``: 6 branches in 3 counties, eight
quarterly survey waves of 60 retailers) plus an ``interventions.csv`` typed as a user would: the
publicity team always launched in the same quarter as the brand (so neither can be told apart from
the other), the points platform launched on its own in three branches. The report must refuse the
two co-timed interventions with the plain reason, and its number for the points platform must be
the imputation estimator recomputed here independently with statsmodels (branch + quarter effects
on the unexposed responses, then the exposed responses' imputed effects on event-time indicators).
"""

from __future__ import annotations

import contextlib
import io
import zipfile

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from fusion_study.cli import main
from fusion_study.data.study import load_study
from fusion_study.effects.study import SEVERAL_MAX_EVENT, exposures, intervention_identification
from own_study import write_multi_wave_study

WAVES = [f"{y}Q{q}" for y in (2023, 2024) for q in (1, 2, 3, 4)]
ROLLOUT = [  # (branch, intervention, start quarter) as typed into interventions.csv
    ("XZ-YX", "brand", "2023Q3"), ("GF-YX", "brand", "2023Q3"), ("YS-YX", "brand", "2024Q1"),
    ("XZ-YX", "publicity_team", "2023Q3"), ("GF-YX", "publicity_team", "2023Q3"),
    ("YS-YX", "publicity_team", "2024Q1"),
    ("XZ-ZM", "points_platform", "2023Q4"), ("GF-WL", "points_platform", "2024Q2"),
    ("XZ-YX", "points_platform", "2024Q3"),
]


@pytest.fixture(scope="module")
def hand(tmp_path_factory):
    root = tmp_path_factory.mktemp("hand14")
    study = write_multi_wave_study(root / "study", waves=WAVES, n_per_wave=60, seed=7)
    pd.DataFrame(ROLLOUT, columns=["unit_id", "intervention", "start_period"]).to_csv(
        study / "interventions.csv", index=False, encoding="utf-8-sig")
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["report", str(study), "--out", str(root / "report")])
    return {"study": study, "report": root / "report", "code": code, "stdout": out.getvalue(),
            "stderr": err.getvalue()}


def _net_table(report) -> pd.DataFrame:
    raw = pd.read_excel(report / "tables" / "effects_net_table.xlsx", header=None)
    body = raw[raw[0].isin(["支部品牌", "星火燎原宣传队", "四优评先赛马平台"])]  # not the title, header, note rows
    return pd.DataFrame({"label": body[0].to_numpy(), "estimate": pd.to_numeric(body[1]).to_numpy(),
                         "se": pd.to_numeric(body[2]).to_numpy(), "identified": body[8].to_numpy()})


def test_report_runs_and_prints_no_traceback(hand):
    assert hand["code"] == 0
    assert "Traceback" not in hand["stdout"] + hand["stderr"]


def test_co_timed_interventions_are_refused_with_the_reason(hand):
    net = _net_table(hand["report"]).set_index("label")
    assert net.loc["支部品牌", "identified"] == "否" and np.isnan(net.loc["支部品牌", "estimate"])
    assert net.loc["星火燎原宣传队", "identified"] == "否" and np.isnan(net.loc["星火燎原宣传队", "estimate"])
    assert net.loc["四优评先赛马平台", "identified"] == "是"
    ident = intervention_identification(load_study(hand["study"])).set_index("intervention")
    assert int(ident.loc["points_platform", "n_switch_alone"]) == 3
    assert int(ident.loc["brand", "n_switch_alone"]) == 0
    with zipfile.ZipFile(hand["report"] / "report.docx") as z:
        doc = z.read("word/document.xml").decode("utf-8")
    html = (hand["report"] / "report.html").read_text(encoding="utf-8")
    reason = str(ident.loc["brand", "reason_zh"]).rstrip("。")
    assert reason in html and reason in doc


def _imputation_by_statsmodels(ex: pd.DataFrame, name: str, others: list[str]) -> float:
    """Overall effect of ``name``: step 1 OLS on the unexposed rows, step 3 OLS of the imputed effects."""
    d = ex[["branch_id", "period", "satisfaction"] + [f"cohort_{k}" for k in [name, *others]]].copy()
    on = {}
    for k in [name, *others]:
        c = d[f"cohort_{k}"].to_numpy()
        e = np.where(c > 0, d["period"].to_numpy() - c, -1)
        on[k] = e >= 0
        d[f"bin_{k}"] = np.minimum(e, SEVERAL_MAX_EVENT)
    exposed = np.any(np.column_stack(list(on.values())), axis=1)
    step1 = smf.ols("satisfaction ~ C(branch_id) + C(period)", data=d[~exposed]).fit()
    t = d[exposed].copy()
    t["tau"] = t["satisfaction"] - step1.predict(t)
    # the co-timed interventions have identical indicators: one set of columns stands for both
    cols = []
    for k in [name, others[0]]:
        for b in sorted(t.loc[on[k][exposed], f"bin_{k}"].unique()):
            col = f"x_{k}_{b}"
            t[col] = (on[k][exposed] & (t[f"bin_{k}"] == b)).astype(float)
            cols.append(col)
    step3 = smf.ols("tau ~ 0 + " + " + ".join(cols), data=t).fit()
    own = [c for c in cols if c.startswith(f"x_{name}_")]
    n = t[own].sum()
    return float((step3.params[own] * n).sum() / n.sum())


def test_identified_effect_equals_the_imputation_estimator_recomputed_with_statsmodels(hand):
    ex = exposures(load_study(hand["study"]))
    want = _imputation_by_statsmodels(ex, "points_platform", ["brand", "publicity_team"])
    net = _net_table(hand["report"]).set_index("label")
    assert net.loc["四优评先赛马平台", "estimate"] == pytest.approx(want, abs=1e-6)
    assert net.loc["四优评先赛马平台", "se"] > 0
