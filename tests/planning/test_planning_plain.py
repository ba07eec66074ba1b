"""Plain-language plan summary (:func:`fusion_study.planning.plain.describe_plan`) and the calendar figure."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fusion_study.planning import plan_rollout, separability, survey_precision
from fusion_study.planning.plain import describe_plan
from fusion_study.planning.plots import plot_power, plot_rollout_calendar


def _power_row(**kw) -> pd.DataFrame:
    row = {"intervention": "brand", "effect_size": 0.2, "truth": 0.2, "responses_per_branch": 12, "icc": 0.15,
           "reps": 100, "n_estimated": 100, "n_refused": 0, "n_failed": 0, "share_exposed_used": 1.0,
           "power": 0.85, "mcse_power": 0.036, "mean_estimate": 0.2, "bias": 0.0, "mean_se": 0.07,
           "sd_estimate": 0.07, "coverage": 0.95, "mean_ci_width": 0.28}
    return pd.DataFrame([{**row, **kw}])


@pytest.fixture()
def plan():
    return plan_rollout([f"B{i}" for i in range(10)], interventions=["brand", "visits"], waves=5, hold_out=2, seed=3)


def test_summary_states_design_power_and_survey(plan):
    sep = separability(plan)
    survey = survey_precision(10, icc=0.15, responses_per_branch=12, half_widths=[0.2])
    zh = describe_plan(plan, sep, _power_row(), survey, lang="zh")
    assert zh[0].startswith("推广计划：10个支部、2项措施") and "另有2个支部在计划期内暂不启动" in zh[0]
    assert "85%" in zh[2] and "低于常用的80%" not in zh[2]
    assert zh[3].startswith("调查样本：每支部每波次12份应答")
    en = describe_plan(plan, sep, _power_row(power=0.4), lang="en")
    assert "2 of the branches start nothing" in en[0]
    assert "Below the usual 80%" in en[2]


def test_summary_warns_about_unusable_waves_and_narrow_intervals(plan):
    sep = separability(plan)
    text = describe_plan(plan, sep, _power_row(share_exposed_used=0.3, coverage=0.8), lang="en")[2]
    assert "Only 30% of the exposed branch-waves can be used" in text
    assert "cover the truth only 80%" in text
    ok = describe_plan(plan, sep, _power_row(coverage=0.93), lang="en")[2]
    assert "Caution" not in ok  # 0.93 is within Monte Carlo error of 0.95 with 100 replications


def test_calendar_marks_every_start_and_shades_interventions_on(plan):
    ax = plot_rollout_calendar(plan, lang="en")
    starts = sum(len(c.get_offsets()) for c in ax.collections if hasattr(c, "get_offsets"))
    assert starts == int(plan["start_wave"].notna().sum())
    grid = np.asarray(ax.images[0].get_array())
    assert grid.shape == (10, 5) and grid[:, 0].max() == 0 and grid.max() == 2
    assert ax.get_xlabel() == "wave (0 = baseline)"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["branch brand", "visits"]


def test_power_plot_has_one_line_per_intervention():
    power = pd.concat([_power_row(effect_size=d, power=p) for d, p in ((0.1, 0.3), (0.2, 0.6))]
                      + [_power_row(intervention="visits", effect_size=0.1, power=0.2)], ignore_index=True)
    ax = plot_power(power, lang="zh")
    assert len(ax.get_legend().get_texts()) == 2
    assert ax.get_ylim() == (0, 1.02)
    with pytest.raises(ValueError, match="x"):
        plot_power(power, x="waves")
