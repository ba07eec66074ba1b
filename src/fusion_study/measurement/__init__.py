"""Measurement: reliability, factor analysis, CFA/SEM, validity and invariance.

Generic functions take a DataFrame of item responses and the scales as
``{scale: [item columns]}`` (or a codebook table, whose reverse flags are applied).
"""

from ._data import MeasurementWarning
from .factor import EFAResult, efa, harman_single_factor, kmo_bartlett, parallel_analysis
from .reliability import item_analysis, reliability
from .sem import CFA, SEM, NotConvergedError
from .syntax import ModelSyntaxError, parse_model
from .validity import composite_validity, fornell_larcker, htmt

__all__ = [
    "CFA",
    "SEM",
    "EFAResult",
    "MeasurementWarning",
    "ModelSyntaxError",
    "NotConvergedError",
    "composite_validity",
    "efa",
    "fornell_larcker",
    "harman_single_factor",
    "htmt",
    "item_analysis",
    "kmo_bartlett",
    "parallel_analysis",
    "parse_model",
    "reliability",
]
