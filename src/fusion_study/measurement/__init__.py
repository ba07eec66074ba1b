"""Measurement: reliability, factor analysis, CFA/SEM, validity and invariance.

Generic functions take a DataFrame of item responses and the scales as
``{scale: [item columns]}`` (or a codebook table, whose reverse flags are applied).
:class:`SEM`/:class:`CFA` take lavaan syntax including defined parameters (``ind := a*b``),
linear equality constraints (``a == b``) and observed covariates under lavaan's ``fixed.x``;
:func:`validity_report` returns tables that export to Word (``.to_docx``) and Excel.
"""

from ._data import MeasurementWarning
from .factor import EFAResult, efa, harman_single_factor, kmo_bartlett, parallel_analysis
from .reliability import item_analysis, reliability
from .sem import CFA, SEM, NotConvergedError
from .polychoric import polychoric, polychoric_matrix, thresholds
from .syntax import ModelSyntaxError, parse_model
from .validity import composite_validity, fornell_larcker, htmt
from .invariance import measurement_invariance
from .scores import score_scales
from .validity_tables import ValidityReport, alternative_models, validity_report
from .validity_export import validity_tables, write_validity_report
from .study import loading_recovery, study_scores, study_validity

__all__ = [
    "alternative_models",
    "measurement_invariance",
    "score_scales",
    "study_scores",
    "loading_recovery",
    "study_validity",
    "validity_report",
    "validity_tables",
    "write_validity_report",
    "ValidityReport",
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
    "polychoric",
    "polychoric_matrix",
    "thresholds",
    "reliability",
]
