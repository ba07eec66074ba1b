"""Deterministic XLSX writing shared by study saving and survey-export writing.

The same frame always gives the same bytes: the workbook's creation and
modification times and the zip entries' timestamps are fixed.
"""

from __future__ import annotations

import datetime as _dt
import re
import zipfile
from pathlib import Path

import pandas as pd

__all__ = ["write_xlsx_deterministic", "fix_zip_times"]


def write_xlsx_deterministic(
    df: pd.DataFrame, path: Path, *, sheet_name: str | None = None, literal_text: bool = False
) -> None:
    """Write ``df`` (header row + one row per record) as an XLSX with fixed timestamps.

    Parameters
    ----------
    sheet_name : worksheet title; defaults to the file stem (at most 31 characters).
    literal_text : store every text cell as text, even one starting with ``=``
        (openpyxl would otherwise store it as a formula). Survey exports use this
        so that respondents' free text is never turned into a live formula.
    """
    from openpyxl import Workbook

    path = Path(path)
    wb = Workbook()
    wb.properties.created = _dt.datetime(2000, 1, 1)
    wb.properties.modified = _dt.datetime(2000, 1, 1)
    ws = wb.active
    ws.title = (sheet_name or path.stem)[:31]
    ws.append([str(c) for c in df.columns])
    for row in df.itertuples(index=False):
        ws.append([None if (not isinstance(v, str) and pd.isna(v)) else v for v in row])
    if literal_text:
        for row in ws.iter_rows(min_row=2):
            for cell in row:
                if cell.data_type == "f":
                    cell.data_type = "s"
    wb.save(path)
    fix_zip_times(path)


def fix_zip_times(path: Path) -> None:
    """Pin zip entry times and document timestamps so an .xlsx/.docx has stable bytes."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "docProps/core.xml":
                # openpyxl stamps "modified" with the clock on save; pin it
                data = re.sub(
                    rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)",
                    rb"\g<1>2000-01-01T00:00:00Z\g<2>",
                    data,
                )
            info = zipfile.ZipInfo(item.filename, date_time=(2000, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zout.writestr(info, data)
    tmp.replace(path)
