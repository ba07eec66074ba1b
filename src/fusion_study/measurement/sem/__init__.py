"""Structural equation models: lavaan-style syntax, ML/FIML/MLR and ordinal (WLSMV) estimation, invariance.

* :mod:`.syntax` — the model syntax parser; :mod:`.spec` — the parameter table;
* :mod:`.estimation` — the RAM model and the ML/FIML fit; :mod:`.formulas` — ``:=`` and ``==``;
* :mod:`.polychoric`, :mod:`.ordinal` — polychoric correlations and the WLSMV fit;
* :mod:`.model` — :class:`SEM` and :class:`CFA`; :mod:`.invariance` — configural/metric/scalar tests.
"""

from fusion_study.measurement.sem.invariance import measurement_invariance
from fusion_study.measurement.sem.model import CFA, SEM, NotConvergedError
from fusion_study.measurement.sem.polychoric import polychoric, polychoric_matrix, thresholds
from fusion_study.measurement.sem.syntax import ModelSyntaxError, parse_model

__all__ = [
    "CFA",
    "SEM",
    "NotConvergedError",
    "ModelSyntaxError",
    "measurement_invariance",
    "parse_model",
    "polychoric",
    "polychoric_matrix",
    "thresholds",
]
