"""The study data model: the canonical tables, reading a study folder, validation, the ledger, privacy.

* :mod:`.schema` — the canonical tables and their columns (bilingual); :mod:`.codebook` — codebook helpers;
* :mod:`.instruments` — the standard survey instruments; :mod:`.periods` — quarterly periods;
* :mod:`.readers` — CSV/XLSX/Parquet table files; :mod:`.study` — :class:`Study` and :func:`load_study`;
* :mod:`.validation` — every rule, with file, row, column and value; :mod:`.ledger` — excluded rows;
* :mod:`.lazy` — large Parquet log tables kept on disk and queried through DuckDB (:class:`~.lazy.LazyTable`);
  :mod:`.validation_sql` — the validation rules in SQL for them; :mod:`.aggregates` — the log aggregates
  the analyses need (team contacts, ticket counts, member weeks), in pandas or DuckDB;
* :mod:`.privacy` — personal-data columns, masking, formula neutralisation;
* :mod:`.xlsxio` — deterministic ``.xlsx`` writing; :mod:`.paths` — where data and outputs live.
"""

from fusion_study.data.ledger import Ledger
from fusion_study.data.paths import example_study_path
from fusion_study.data.schema import TABLES, schema_frame
from fusion_study.data.study import Study, StudyFolderError, load_study
from fusion_study.data.validation import StudyValidationError, ValidationReport

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
]
