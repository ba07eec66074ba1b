"""Measurement: reliability, factor analysis, CFA/SEM, validity and invariance.

Generic functions take a DataFrame of item responses and the scales as
``{scale: [item columns]}`` (or a codebook table, whose reverse flags are applied).
:class:`SEM`/:class:`CFA` take lavaan syntax including defined parameters (``ind := a*b``),
linear equality constraints (``a == b``) and observed covariates under lavaan's ``fixed.x``;
:func:`validity_report` returns tables that export to Word (``.to_docx``) and Excel.
"""

from fusion_study.measurement._data import MeasurementWarning
from fusion_study.measurement.factor import EFAResult, efa, harman_single_factor, kmo_bartlett, parallel_analysis
from fusion_study.measurement.reliability import item_analysis, reliability
from fusion_study.measurement.sem.model import CFA, SEM, NotConvergedError
from fusion_study.measurement.sem.polychoric import polychoric, polychoric_matrix, thresholds
from fusion_study.measurement.sem.syntax import ModelSyntaxError, parse_model
from fusion_study.measurement.validity import composite_validity, fornell_larcker, htmt
from fusion_study.measurement.sem.invariance import measurement_invariance
from fusion_study.measurement.scores import score_scales
from fusion_study.measurement.validity_tables import ValidityReport, alternative_models, validity_report
from fusion_study.measurement.validity_export import validity_tables, write_validity_report
from fusion_study.measurement.study import loading_recovery, study_scores, study_validity

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
