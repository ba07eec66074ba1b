"""Intervention effects on satisfaction: staggered DiD, several interventions, naive estimators, AIPW, mediation.

Generic estimators take plain DataFrames and column names; :mod:`.domain`
turns a :class:`~fusion_study.Study` into those frames.
"""

from fusion_study.effects.drdid import EstimationError
from fusion_study.effects.aipw import DoublyRobust, OverlapWarning, balance_table, doubly_robust
from fusion_study.effects.mediation import mediation
from fusion_study.effects.multilevel import Multilevel, cluster_ols, multilevel
from fusion_study.effects.naive import bacon_decomposition, naive_before_after, naive_treated_vs_untreated, twfe_event_study
from fusion_study.effects.plots import plot_event_study, plot_intervention_effects, plot_love
from fusion_study.effects.several import SeveralInterventions, several_interventions
from fusion_study.effects.sensitivity import adjust_pvalues, e_value, honest_did, subgroup_effects
from fusion_study.effects.study import adoption_cohorts, evaluate_interventions, exposures, intervention_identification
from fusion_study.effects.staggered import DiDSpecificationError, FewClustersWarning, StaggeredDiD, UnbalancedPanelWarning, staggered_did

__all__ = [
    "evaluate_interventions",
    "intervention_identification",
    "exposures",
    "adoption_cohorts",
    "plot_intervention_effects",
    "several_interventions",
    "SeveralInterventions",
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
