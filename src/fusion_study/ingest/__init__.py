"""Survey ingestion: 问卷星, 腾讯问卷, SPSS and plain exports into a study.

:func:`import_survey` reads an export, maps its columns to codebook items,
codes the answers, removes personal data, screens responses (speeders,
straight-liners, duplicates, invalid answers) with the ledger, and validates
the result; :func:`add_to_study` appends it to a study folder.
:func:`screen_study` is the one screening step of a whole study (every survey
table, once; the analyses use its output).
:func:`write_wenjuanxing_export` writes canonical responses as a realistic
问卷星 export.
"""

from fusion_study.ingest.append import DuplicateImportError, add_to_study
from fusion_study.ingest.durations import parse_durations
from fusion_study.ingest.headers import normalise_source_column, parse_header, parse_headers
from fusion_study.ingest.importer import ImportResult, import_survey
from fusion_study.ingest.mapping import MappingError, map_columns
from fusion_study.ingest.screen import is_screened, screen_study, screening_ledger
from fusion_study.ingest.screening import apply_screening, screening_flags
from fusion_study.ingest.writer import wenjuanxing_frame, write_wenjuanxing_export

__all__ = [
    "import_survey",
    "ImportResult",
    "add_to_study",
    "DuplicateImportError",
    "write_wenjuanxing_export",
    "wenjuanxing_frame",
    "map_columns",
    "MappingError",
    "screen_study",
    "screening_ledger",
    "is_screened",
    "screening_flags",
    "apply_screening",
    "parse_header",
    "parse_headers",
    "normalise_source_column",
    "parse_durations",
]
