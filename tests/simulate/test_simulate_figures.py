"""Figures of the simulated study: rollout calendar and true ATT curves."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from fusion_study.simulate import simulate_study
from fusion_study.simulate.plots import plot_rollout_calendar, plot_true_att, rollout_matrix


@pytest.fixture(scope="module")
def small():
    return simulate_study("p_city", seed=4, n_counties=3, n_retailers=400, survey_per_wave=100)


def test_rollout_matrix_counts_started_interventions(small):
    study, truth = small
    periods = sorted(study.customer_survey["wave"].unique())
    branches = study.units.loc[study.units["level"] == "branch", "unit_id"].tolist()
    m = rollout_matrix(study.interventions, periods, branches)
    assert sorted(m.index) == sorted(branches)
    # cumulative: never decreasing along the quarters, and equal to the truth's adoption
    assert (m.diff(axis=1).fillna(0) >= 0).all().all()
    adoption = truth.adoption
    expected = adoption[adoption["start_wave"] > 0].groupby("unit_id").size()
    pd.testing.assert_series_equal(
        m.iloc[:, -1][m.iloc[:, -1] > 0].sort_index(), expected.sort_index(), check_names=False
    )


@pytest.mark.parametrize("lang,title", [("zh", "推进日历"), ("en", "Rollout calendar")])
def test_plot_rollout_calendar_labels(small, lang, title):
    study, _ = small
    periods = sorted(study.customer_survey["wave"].unique())
    ax = plot_rollout_calendar(study.interventions, periods=periods, units=study.units, lang=lang)
    assert title in ax.get_title()
    assert [t.get_text() for t in ax.get_xticklabels()] == periods
    assert len(ax.get_yticklabels()) == (study.units["level"] == "branch").sum()
    ax.figure.canvas.draw()  # no missing-glyph warning (they are errors in tests)
    plt.close(ax.figure)


def test_plot_true_att_lines_and_errors(small):
    _, truth = small
    ax = plot_true_att(truth, interventions=("programme", "brand"), lang="en")
    assert len(ax.get_lines()) == 3  # two curves and the zero line
    assert ax.get_legend().get_texts()[0].get_text() == "whole programme"
    plt.close(ax.figure)
    with pytest.raises(ValueError, match="unknown intervention"):
        plot_true_att(truth, interventions=("bogus",))
    with pytest.raises(ValueError, match="lang must be"):
        plot_true_att(truth, lang="fr")
