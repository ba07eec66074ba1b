"""fusion_study: measure party-business integration (党业融合) and test what moves customer satisfaction.

Nothing happens at import: no printing, no file or network access.
"""

from __future__ import annotations

from .ledger import Ledger
from .paths import example_study_path
from .schema import TABLES, schema_frame
from .study import Study, StudyFolderError, load_study
from .validation import StudyValidationError, ValidationReport

__version__ = "0.1.0"

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
    "__version__",
]
