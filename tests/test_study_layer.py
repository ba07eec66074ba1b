"""The study.py entry points of members, brands, problems and participation on the bundled example.

Each must equal the generic function called by hand on the right tables — with the customer survey
screened where one is used (and so differ from the unscreened call, or the screening would be idle).
"""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

from fusion_study import Study, load_study, screen_study
from fusion_study.data.paths import example_study_path


@pytest.fixture(scope="module")
def raw():
    return load_study(example_study_path())


@pytest.fixture(scope="module")
def screened(raw):
    return screen_study(raw)[0]


def test_problems_study_layer(raw, screened):
    from fusion_study.problems import study as ps
    from fusion_study.problems import tickets as tk

    launches = tk.branch_launch_periods(raw.units, raw.interventions, "problem_mechanism")
    pd.testing.assert_series_equal(ps.study_launches(raw), launches)
    d = ps.study_ticket_durations(raw)
    pd.testing.assert_frame_equal(d, tk.ticket_durations(raw.tickets, launches=launches))
    pd.testing.assert_frame_equal(ps.study_launch_hazard_ratio(raw), tk.launch_hazard_ratio(d))
    got = ps.study_next_wave_satisfaction(raw)
    by_hand = tk.next_wave_satisfaction(raw.tickets, screened.customer_survey, raw.customers, codebook=raw.codebook)
    pd.testing.assert_frame_equal(got, by_hand)
    unscreened = tk.next_wave_satisfaction(raw.tickets, raw.customer_survey, raw.customers, codebook=raw.codebook)
    assert got["n"].iloc[0] < unscreened["n"].iloc[0]  # screened-out responses are not used
    no_iv = Study({k: v for k, v in raw.tables.items() if k != "interventions"}, raw.codebook)
    assert ps.study_launches(no_iv) is None
    assert "after_launch" not in ps.study_ticket_durations(no_iv).columns
    with pytest.raises(ValueError, match="no launch of the problem mechanism"):
        ps.study_launch_hazard_ratio(no_iv)
    with pytest.raises(ValueError, match="needs the 'tickets' table"):
        ps.study_ticket_durations(Study({"units": raw.units}))


def test_members_study_layer(raw, screened):
    from fusion_study import members as m

    prof = m.study_member_profiles(raw, n_boot=20, seed=1)
    pd.testing.assert_frame_equal(prof, m.member_profiles(raw.member_points, n_boot=20, seed=1))
    pd.testing.assert_frame_equal(m.study_four_strong(raw, profiles=prof), m.branch_four_strong(prof, raw.members))
    pd.testing.assert_frame_equal(m.study_rater_agreement(raw), m.rater_agreement(raw.evaluations))
    pd.testing.assert_frame_equal(m.study_rater_leniency(raw).to_frame(),
                                  m.RaterLeniency().fit(raw.evaluations).to_frame())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        perf = m.adjusted_scores(raw.evaluations).groupby("member_id")["adjusted_score"].mean()
        pd.testing.assert_frame_equal(m.study_points_fairness(raw, profiles=prof),
                                      m.points_fairness(prof, raw.members, performance=perf))
        pd.testing.assert_frame_equal(m.study_points_fairness(raw, profiles=prof, performance=False),
                                      m.points_fairness(prof, raw.members))
        got = m.study_points_satisfaction(raw, profiles=prof)
        by_hand = m.points_predict_satisfaction(prof, raw.members, screened.customer_survey, raw.customers,
                                                codebook=raw.codebook)
    pd.testing.assert_frame_equal(got, by_hand)


def test_participation_and_brands_study_layer(raw):
    from fusion_study.brands import brand_distinctiveness, study_brand_distinctiveness
    from fusion_study.participation import participation_by_week, study_participation

    pd.testing.assert_frame_equal(study_participation(raw), participation_by_week(raw.activities, raw.members))
    pd.testing.assert_frame_equal(study_brand_distinctiveness(raw), brand_distinctiveness(raw.brands))
    with pytest.raises(ValueError, match="no 'brands' table"):
        study_brand_distinctiveness(Study({"units": raw.units}))


def test_measurement_uses_the_screened_survey(raw, screened):
    from fusion_study.measurement import MeasurementWarning, study_scores

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MeasurementWarning)
        scores = study_scores(raw, "staff_survey")
    assert scores["response_id"].tolist() == screened.staff_survey["response_id"].tolist()
    assert len(scores) == len(raw.staff_survey) - 41
