"""Intervention effects on satisfaction: staggered DiD, naive estimators, AIPW, mediation.

Generic estimators take plain DataFrames and column names; :mod:`.domain`
turns a :class:`~fusion_study.Study` into those frames.
"""

from .drdid import EstimationError
from .aipw import DoublyRobust, OverlapWarning, balance_table, doubly_robust
from .mediation import mediation
from .multilevel import Multilevel, cluster_ols, multilevel
from .naive import bacon_decomposition, naive_before_after, naive_treated_vs_untreated, twfe_event_study
from .plots import plot_event_study, plot_love
from .sensitivity import adjust_pvalues, e_value, honest_did, subgroup_effects
from .staggered import DiDSpecificationError, FewClustersWarning, StaggeredDiD, UnbalancedPanelWarning, staggered_did

__all__ = [
    "staggered_did",
    "StaggeredDiD",
    "DiDSpecificationError",
    "UnbalancedPanelWarning",
    "FewClustersWarning",
    "EstimationError",
    "twfe_event_study",
    "bacon_decomposition",
    "naive_before_after",
    "naive_treated_vs_untreated",
    "multilevel",
    "Multilevel",
    "cluster_ols",
    "doubly_robust",
    "DoublyRobust",
    "OverlapWarning",
    "balance_table",
    "mediation",
    "honest_did",
    "e_value",
    "adjust_pvalues",
    "subgroup_effects",
    "plot_event_study",
    "plot_love",
]
