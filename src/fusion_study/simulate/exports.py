"""The simulated surveys as the files users actually receive: 问卷星 (Wenjuanxing) exports.

:func:`write_survey_exports` writes one export per instrument and wave, so that
import → screening → validation → analysis runs end to end on realistic files
(``fusion-study import-survey data/example/exports/customer_survey_2022Q1_code.xlsx ...``).
The writer is :func:`fusion_study.ingest.write_wenjuanxing_export`; the exports
hold the responses exactly as collected (speeders and straight-liners included).
"""

from __future__ import annotations

from pathlib import Path

from fusion_study.ingest import write_wenjuanxing_export
from fusion_study.data.study import Study

__all__ = ["write_survey_exports"]

_FLAVOURS = ("code", "text")


def write_survey_exports(study: Study, folder: str | Path, *, flavours=("code",), waves=None) -> list[Path]:
    """Write ``{instrument}_{wave}_{flavour}.xlsx`` for every survey wave.

    ``flavours`` is any of ``"code"`` (按序号, numeric codes) and ``"text"``
    (按文本, option text); ``waves`` limits the waves (default: all). Returns
    the files written, in order. Same study → same bytes.
    """
    bad = [f for f in flavours if f not in _FLAVOURS]
    if bad:
        raise ValueError(f"flavours must be among {_FLAVOURS}, got {bad}")
    if study.codebook is None:
        raise ValueError("the study has no codebook; exports place items by the codebook's source_column")
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for instrument in ("customer_survey", "staff_survey"):
        if instrument not in study.tables:
            continue
        table = study.tables[instrument]
        for wave in sorted(table["wave"].dropna().unique()):
            if waves is not None and wave not in waves:
                continue
            part = table[table["wave"] == wave]
            for flavour in flavours:
                path = out / f"{instrument}_{wave}_{flavour}.xlsx"
                write_wenjuanxing_export(part, study.codebook, path, instrument=instrument, flavour=flavour)
                written.append(path)
    return written
