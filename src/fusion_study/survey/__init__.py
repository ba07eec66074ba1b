"""Survey inference: weights from the known population, and design-based estimates.

:mod:`.weights` rakes or post-stratifies the responses to the population (the
``customers`` table) and summarises the weights; :mod:`.design` estimates weighted
means and proportions with Taylor-linearised, design-based standard errors (strata,
clusters, finite population correction), checked against R ``survey``.
"""

from fusion_study.survey.design import survey_mean
from fusion_study.survey.weights import RakingConvergenceWarning, poststratify, rake, weight_diagnostics

__all__ = [
    "rake",
    "poststratify",
    "weight_diagnostics",
    "RakingConvergenceWarning",
    "survey_mean",
]
