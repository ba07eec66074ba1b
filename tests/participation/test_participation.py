"""Weekly participation and heat, against hand counts."""

from __future__ import annotations

import pandas as pd
import pytest

from fusion_study.participation import participation_by_week, plot_participation_calendar


def _data():
    members = pd.DataFrame({"member_id": ["a", "b", "c", "d"], "branch_id": ["B1", "B1", "B1", "B2"]})
    acts = pd.DataFrame(
        {
            "activity_id": [f"A{i}" for i in range(7)],
            "date": pd.to_datetime(["2024-01-01", "2024-01-03", "2024-01-07", "2024-01-08", "2024-01-20", "2024-01-02", None]).fillna(pd.Timestamp("2024-01-15")),
            "member_id": ["a", "b", "a", "a", "d", "d", None],
        }
    )
    return acts, members


def test_hand_counts():
    acts, members = _data()
    p = participation_by_week(acts, members).set_index(["branch_id", "week"])
    w1, w2, w3 = pd.Timestamp("2024-01-01"), pd.Timestamp("2024-01-08"), pd.Timestamp("2024-01-15")
    # B1 week 1: a (2 activities, Mon + Sun), b (1): 2 of 3 members active, 3 activities
    assert p.loc[("B1", w1), "n_active"] == 2
    assert p.loc[("B1", w1), "participation_rate"] == pytest.approx(2 / 3)
    assert p.loc[("B1", w1), "heat"] == pytest.approx(1.0)
    assert p.loc[("B1", w2), "n_activities"] == 1
    # empty weeks are present with zeros
    assert p.loc[("B1", w3), "n_activities"] == 0 and p.loc[("B1", w3), "participation_rate"] == 0
    assert p.loc[("B2", w3), "heat"] == 1.0  # the Saturday 2024-01-20 falls in the week of the 15th
    assert participation_by_week(acts, members).attrs["n_unattributed"] == 1
    assert set(p.reset_index()["week_of_year"]) == {1, 2, 3}


def test_errors_and_figure():
    acts, members = _data()
    with pytest.raises(ValueError, match="not in the members table"):
        participation_by_week(acts, members[members.member_id != "d"])
    p = participation_by_week(acts, members)
    ax = plot_participation_calendar(p, value="participation_rate", lang="en")
    assert [t.get_text() for t in ax.get_yticklabels()] == ["B1", "B2"]
    ax = plot_participation_calendar(p, branch="B1", branch_labels={"B1": "甲支部"})
    assert ax.get_title() == "甲支部" and [t.get_text() for t in ax.get_yticklabels()] == ["2024"]
    with pytest.raises(ValueError, match=r"value=.temperature. is not supported; use one of"):
        plot_participation_calendar(p, value="temperature")
