"""Every public tidy output of members, brands, problems and participation speaks the one vocabulary.

Each public name of the four packages' ``__all__`` that produces a table is called here, on the
bundled example study (or a tiny frame), and its columns checked with
:func:`vocabulary.assert_standard_columns`; a new public function that is not listed here fails
:func:`test_every_public_output_is_covered`.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import fusion_study.brands as brands
import fusion_study.members as members
import fusion_study.participation as participation
import fusion_study.problems as problems
from fusion_study import load_study
from fusion_study.data.paths import example_study_path
from vocabulary import assert_standard_columns

PACKAGES = (members, brands, problems, participation)

#: public names that produce no table: constants, figures, resources
NOT_TABLES = {"DIMENSIONS", "FLAGS", "MIN_BRANCHES_PER_TYPE", "CONF_TYPES", "EXCLUSION_REASONS", "VALUES",
              "load_generic_phrases", "branch_launch_periods", "study_launches"}

#: domain spellings of standard quantities this package used to have
OLD_DOMAIN = {"hr", "hr_lower", "hr_upper", "surv", "std_err", "ICC", "quantile", "median_lower", "median_upper"}


def _check(frame: pd.DataFrame, where: str) -> None:
    assert_standard_columns(frame, where)
    cols = [c for c in frame.columns if isinstance(c, str)]
    old = sorted(set(cols) & OLD_DOMAIN)
    assert not old, f"{where}: old column name(s) {old}"
    # an interval bound of a named quantity is <quantity>_ci_lower / _ci_upper
    bare = [c for c in cols if c.endswith(("_lower", "_upper")) and not c.endswith(("ci_lower", "ci_upper"))]
    assert not bare, f"{where}: interval bound(s) {bare} should end in _ci_lower / _ci_upper"


@pytest.fixture(scope="module")
def study():
    return load_study(example_study_path())


@pytest.fixture(scope="module")
def outputs(study):
    """name -> (callable giving the output); called lazily so that one failure names its function."""
    s = study
    launches = problems.branch_launch_periods(s.units, s.interventions, "problem_mechanism")
    durations = problems.ticket_durations(s.tickets, launches=launches)
    profiles = members.member_profiles(s.member_points, n_boot=20, seed=1)
    leniency = members.RaterLeniency().fit(s.evaluations)
    tiny = pd.DataFrame({"time": [1, 2, 2, 3, 5, 6], "event": [1, 1, 0, 1, 0, 1], "x": [0, 1, 0, 1, 1, 0],
                         "g": list("aabbcc")})
    sf = np.array([[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]])

    def quiet(f, *a, **k):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return f(*a, **k)

    return {
        # members
        "member_profiles": lambda: profiles,
        "branch_four_strong": lambda: members.branch_four_strong(profiles, s.members),
        "icc_table": lambda: members.icc_table(sf),
        "rwg": lambda: members.rwg(s.evaluations, by="member_id"),
        "rater_agreement": lambda: members.rater_agreement(s.evaluations),
        "RaterLeniency": lambda: leniency.to_frame(),
        "RaterLeniency.summary": lambda: leniency.summary(),
        "adjusted_scores": lambda: members.adjusted_scores(s.evaluations),
        "points_fairness": lambda: members.points_fairness(profiles, s.members),
        "points_predict_satisfaction": lambda: quiet(members.points_predict_satisfaction, profiles, s.members,
                                                     s.customer_survey, s.customers, codebook=s.codebook),
        # brands
        "brand_distinctiveness": lambda: brands.brand_distinctiveness(s.brands),
        "brand_similarity_matrix": lambda: brands.brand_similarity_matrix(s.brands),
        "brand_moderation_frame": lambda: brands.brand_moderation_frame(s),
        "brand_type_moderation": lambda: quiet(brands.brand_type_moderation, brands.brand_moderation_frame(s)),
        # problems
        "ticket_durations": lambda: durations,
        "ticket_summary": lambda: problems.ticket_summary(durations, by="category"),
        "resolution_curves": lambda: problems.resolution_curves(durations),
        "launch_hazard_ratio": lambda: problems.launch_hazard_ratio(durations),
        "next_wave_satisfaction": lambda: problems.next_wave_satisfaction(s.tickets, s.customer_survey, s.customers,
                                                                          codebook=s.codebook),
        "kaplan_meier": lambda: problems.kaplan_meier(tiny),
        "km_quantile": lambda: problems.km_quantile(tiny),
        "cox_clustered": lambda: problems.cox_clustered(tiny, covariates=["x"], cluster="g"),
        "resolution_units": lambda: problems.resolution_units(s.tickets, s.customer_survey, s.customers,
                                                              codebook=s.codebook, launches=launches),
        "resolution_effect": lambda: quiet(problems.resolution_effect, s.tickets, s.customer_survey, s.customers,
                                           codebook=s.codebook, launches=launches, seed=1),
        "study_resolution_effect": lambda: quiet(problems.study_resolution_effect, s, seed=1),
        # participation
        "participation_by_week": lambda: participation.participation_by_week(s.activities, s.members),
        # the study layer (each takes the Study and screens it once)
        "study_member_profiles": lambda: members.study_member_profiles(s, n_boot=20, seed=1),
        "study_four_strong": lambda: members.study_four_strong(s, profiles=profiles),
        "study_rater_agreement": lambda: members.study_rater_agreement(s),
        "study_rater_leniency": lambda: members.study_rater_leniency(s).to_frame(),
        "study_points_fairness": lambda: members.study_points_fairness(s, profiles=profiles),
        "study_points_satisfaction": lambda: quiet(members.study_points_satisfaction, s, profiles=profiles),
        "study_brand_distinctiveness": lambda: brands.study_brand_distinctiveness(s),
        "study_brand_moderation": lambda: quiet(brands.study_brand_moderation, s),
        "study_ticket_durations": lambda: problems.study_ticket_durations(s),
        "study_launch_hazard_ratio": lambda: problems.study_launch_hazard_ratio(s),
        "study_next_wave_satisfaction": lambda: problems.study_next_wave_satisfaction(s),
        "study_participation": lambda: participation.study_participation(s),
    }


def test_every_public_output_is_covered(outputs):
    public = {name for pkg in PACKAGES for name in pkg.__all__}
    tables = {n for n in public if n not in NOT_TABLES and not n.startswith("plot_")}
    covered = {n.split(".")[0] for n in outputs}
    assert tables <= covered, f"public outputs not checked here: {sorted(tables - covered)}"


NAMES = [
    "member_profiles", "branch_four_strong", "icc_table", "rwg", "rater_agreement", "RaterLeniency",
    "RaterLeniency.summary", "adjusted_scores", "points_fairness", "points_predict_satisfaction",
    "brand_distinctiveness", "brand_similarity_matrix", "brand_moderation_frame", "brand_type_moderation",
    "ticket_durations", "ticket_summary", "resolution_curves", "launch_hazard_ratio", "next_wave_satisfaction",
    "kaplan_meier", "km_quantile", "cox_clustered", "resolution_units", "resolution_effect",
    "study_resolution_effect", "participation_by_week",
    "study_member_profiles", "study_four_strong", "study_rater_agreement", "study_rater_leniency",
    "study_points_fairness", "study_points_satisfaction", "study_brand_distinctiveness", "study_brand_moderation",
    "study_ticket_durations", "study_launch_hazard_ratio", "study_next_wave_satisfaction", "study_participation",
]


def test_names_list_matches_outputs(outputs):
    assert sorted(NAMES) == sorted(outputs)


@pytest.mark.parametrize("name", NAMES)
def test_output_uses_standard_columns(outputs, name):
    frame = outputs[name]()
    assert len(frame) > 0, name
    _check(frame, name)


@pytest.mark.parametrize(
    "name, needs",
    [
        ("icc_table", ["estimate", "ci_lower", "ci_upper", "p_value"]),
        ("RaterLeniency", ["estimate", "se", "ci_lower", "ci_upper", "p_value"]),
        ("points_fairness", ["estimate", "se", "ci_lower", "ci_upper", "p_value"]),
        ("points_predict_satisfaction", ["estimate", "se", "ci_lower", "ci_upper", "p_value"]),
        ("brand_type_moderation", ["estimate", "se", "ci_lower", "ci_upper", "p_value", "p_adjusted"]),
        ("launch_hazard_ratio", ["estimate", "se", "ci_lower", "ci_upper", "p_value"]),
        ("next_wave_satisfaction", ["estimate", "se", "ci_lower", "ci_upper", "p_value"]),
        ("kaplan_meier", ["estimate", "se", "ci_lower", "ci_upper"]),
        ("km_quantile", ["estimate", "ci_lower", "ci_upper"]),
        ("resolution_effect", ["estimate", "se", "ci_lower", "ci_upper", "p_value"]),
        ("ticket_summary", ["median_days", "median_ci_lower", "median_ci_upper"]),
        ("member_profiles", ["composite_ci_lower", "rank_ci_lower", "percentile_ci_upper"]),
    ],
)
def test_estimators_report_the_standard_quantities(outputs, name, needs):
    frame = outputs[name]()
    assert set(needs) <= set(frame.columns), (name, sorted(set(needs) - set(frame.columns)))


def test_hazard_ratio_estimate_is_exp_log_hr(outputs):
    hr = outputs["launch_hazard_ratio"]()
    np.testing.assert_allclose(hr["estimate"], np.exp(hr["log_hr"]), rtol=1e-12)
    assert (hr["ci_lower"] < hr["estimate"]).all() and (hr["estimate"] < hr["ci_upper"]).all()


def test_every_estimator_refuses_a_bad_alpha(study):
    s = study
    tiny = pd.DataFrame({"time": [1, 2, 2, 3, 5, 6], "event": [1, 1, 0, 1, 0, 1], "x": [0, 1, 0, 1, 1, 0]})
    calls = [
        lambda: problems.kaplan_meier(tiny, alpha=0),
        lambda: problems.km_quantile(tiny, alpha=1),
        lambda: problems.cox_clustered(tiny, covariates=["x"], alpha=-0.1),
        lambda: members.icc_table(np.eye(3) + 1, alpha=2),
        lambda: members.RaterLeniency(alpha=1.0).fit(s.evaluations),
        lambda: members.member_profiles(s.member_points, n_boot=0, alpha=0),
        lambda: members.points_fairness(members.member_profiles(s.member_points, n_boot=0), s.members, alpha=1),
        lambda: problems.resolution_effect(s.tickets, s.customer_survey, s.customers, codebook=s.codebook, alpha=0),
    ]
    for call in calls:
        with pytest.raises(ValueError, match="alpha"):
            call()
