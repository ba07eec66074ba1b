"""Survey inference: weights from the known population, design-based estimates, branch-level estimates.

:mod:`.weights` rakes or post-stratifies the responses to the population (the
``customers`` table) and summarises the weights (which carry what they were
calibrated to, :mod:`.calibration`); :mod:`.design` estimates weighted means and
proportions with Taylor-linearised, design-based standard errors (strata, clusters,
finite population correction, calibration-aware for raked / post-stratified weights)
or replicate-weight SEs (:mod:`.replicates`: jackknife, bootstrap), checked against R
``survey``; :mod:`.small_area` gives shrunken branch means (random-intercept BLUPs,
checked against R ``lme4``) and rank intervals that do not over-rank noise;
:mod:`.fay_herriot` is the area-level (Fay–Herriot) EBLUP from direct branch
estimates, checked against R ``sae``, applied to a study by :mod:`.study_fh`.
:mod:`.study` applies them to a study's screened customer survey, :mod:`.plots`
draws the branch caterpillar and :mod:`.report` adds the report section.
:mod:`.themes` finds themes in open answers (意见和建议: rjieba segmentation, TF-IDF,
NMF) and :mod:`.study_themes` tabulates them by branch and wave and links them to
the 急难愁盼 ticket categories (report section in :mod:`.report_themes`).
"""

from fusion_study.survey.calibration import Calibration
from fusion_study.survey.design import survey_mean
from fusion_study.survey.fay_herriot import FayHerriot
from fusion_study.survey.plots import plot_branch_caterpillar, plot_theme_heatmap, plot_weighted_means
from fusion_study.survey.replicates import ReplicateWeights, replicate_weights
from fusion_study.survey.small_area import DroppedRowsWarning, NoBranchVarianceWarning, branch_means, rank_intervals
from fusion_study.survey.study import (
    WEIGHTINGS,
    study_descriptives,
    study_planning,
    study_satisfaction_by_branch,
    study_standard_errors,
    study_weighted_means,
    study_weights,
)
from fusion_study.survey.study_fh import study_branch_fay_herriot
from fusion_study.survey.study_themes import StudyThemes, study_themes
from fusion_study.survey.themes import Themes, themes
from fusion_study.survey.weights import RakingConvergenceWarning, poststratify, rake, weight_diagnostics

__all__ = [
    "rake",
    "poststratify",
    "weight_diagnostics",
    "RakingConvergenceWarning",
    "survey_mean",
    "Calibration",
    "ReplicateWeights",
    "replicate_weights",
    "branch_means",
    "FayHerriot",
    "rank_intervals",
    "NoBranchVarianceWarning",
    "DroppedRowsWarning",
    "study_weights",
    "study_weighted_means",
    "study_satisfaction_by_branch",
    "study_descriptives",
    "study_planning",
    "study_standard_errors",
    "WEIGHTINGS",
    "study_branch_fay_herriot",
    "plot_branch_caterpillar",
    "plot_weighted_means",
    "Themes",
    "themes",
    "StudyThemes",
    "study_themes",
    "plot_theme_heatmap",
]
