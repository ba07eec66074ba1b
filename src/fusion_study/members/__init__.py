"""Members: the points portrait (党员赛马积分画像), 360 evaluations (三亮三比三评), fairness checks.

The ``study_*`` functions (:mod:`.study`) run the same analyses on a
:class:`~fusion_study.Study`. Member-level outputs are for internal use; reports show branch aggregates and
pseudonymised examples only.
"""

from fusion_study.members.agreement import icc_table, rater_agreement, rwg
from fusion_study.members.fairness import points_fairness, points_predict_satisfaction
from fusion_study.members.leniency import RaterLeniency, adjusted_scores
from fusion_study.members.plots import plot_member_radar, plot_member_trajectory
from fusion_study.members.profiles import DIMENSIONS, branch_four_strong, member_profiles
from fusion_study.members.study import (
    study_four_strong,
    study_member_profiles,
    study_points_fairness,
    study_points_satisfaction,
    study_rater_agreement,
    study_rater_leniency,
)

__all__ = [
    "DIMENSIONS",
    "member_profiles",
    "branch_four_strong",
    "plot_member_radar",
    "plot_member_trajectory",
    "icc_table",
    "rwg",
    "rater_agreement",
    "RaterLeniency",
    "adjusted_scores",
    "points_fairness",
    "points_predict_satisfaction",
    "study_member_profiles",
    "study_four_strong",
    "study_rater_agreement",
    "study_rater_leniency",
    "study_points_fairness",
    "study_points_satisfaction",
]
