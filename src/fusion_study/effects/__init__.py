"""Intervention effects on satisfaction: staggered DiD, naive estimators, AIPW, mediation.

Generic estimators take plain DataFrames and column names; :mod:`.domain`
turns a :class:`~fusion_study.Study` into those frames.
"""

from .drdid import EstimationError
from .multilevel import Multilevel, cluster_ols, multilevel
from .naive import bacon_decomposition, naive_before_after, naive_treated_vs_untreated, twfe_event_study
from .staggered import DiDSpecificationError, StaggeredDiD, UnbalancedPanelWarning, staggered_did

__all__ = [
    "staggered_did",
    "StaggeredDiD",
    "DiDSpecificationError",
    "UnbalancedPanelWarning",
    "EstimationError",
    "twfe_event_study",
    "bacon_decomposition",
    "naive_before_after",
    "naive_treated_vs_untreated",
    "multilevel",
    "Multilevel",
    "cluster_ols",
]
