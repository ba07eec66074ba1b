"""fusion_study: measure party-business integration (党业融合) and test what moves customer satisfaction.

The data's path is the layout: :mod:`.data` (the study model) → :mod:`.ingest` (survey
exports in, screening) → :mod:`.simulate` → :mod:`.measurement` → :mod:`.index` →
:mod:`.effects` → :mod:`.members`, :mod:`.brands`, :mod:`.problems`, :mod:`.participation`
→ :mod:`.reporting` → :mod:`.cli`.

Nothing happens at import: no printing, no file or network access. The entry points
below that live in the heavier analysis packages are imported on first use.
"""

from __future__ import annotations

import importlib

from fusion_study.data.ledger import Ledger
from fusion_study.data.paths import example_study_path
from fusion_study.data.schema import TABLES, schema_frame
from fusion_study.data.study import Study, StudyFolderError, load_study
from fusion_study.data.validation import StudyValidationError, ValidationReport

__version__ = "0.1.0"

#: public name -> module that defines it (imported on first access)
_LAZY = {
    "simulate_study": "fusion_study.simulate",
    "Truth": "fusion_study.simulate",
    "import_survey": "fusion_study.ingest",
    "screen_study": "fusion_study.ingest.screen",
    "evaluate_interventions": "fusion_study.effects.study",
    "validity_report": "fusion_study.measurement",
    "study_validity": "fusion_study.measurement",
    "study_index": "fusion_study.index.study",
    "build_report": "fusion_study.reporting.report",
    "render_report": "fusion_study.reporting.report",
    "notebook_setup": "fusion_study.reporting.notebook",
}

__all__ = [
    "Ledger",
    "Study",
    "StudyFolderError",
    "StudyValidationError",
    "TABLES",
    "ValidationReport",
    "example_study_path",
    "load_study",
    "schema_frame",
    *_LAZY,
    "__version__",
]


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'fusion_study' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
