"""Intervention effects on satisfaction: staggered DiD, naive estimators, AIPW, mediation.

Generic estimators take plain DataFrames and column names; :mod:`.domain`
turns a :class:`~fusion_study.Study` into those frames.
"""

from .drdid import EstimationError
from .staggered import DiDSpecificationError, StaggeredDiD, UnbalancedPanelWarning, staggered_did

__all__ = [
    "staggered_did",
    "StaggeredDiD",
    "DiDSpecificationError",
    "UnbalancedPanelWarning",
    "EstimationError",
]
