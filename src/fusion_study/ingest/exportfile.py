"""Reading a survey export file (CSV, XLSX, Parquet, SPSS .sav) into a raw frame.

The frame's index is the *source row* as a spreadsheet shows it (header =
row 1, first response = row 2), so every problem and ledger entry names the
row the user sees. CSV encodings are detected with
:func:`fusion_study.data.readers.detect_encoding` (UTF-8, UTF-8 with BOM, GB18030)
and recorded.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from fusion_study.data.readers import TableReadError, detect_encoding

__all__ = ["RawExport", "read_export_header", "read_export", "EXPORT_SUFFIXES"]

EXPORT_SUFFIXES = (".csv", ".xlsx", ".parquet", ".sav")


@dataclass
class RawExport:
    """One export as read: the frame plus where it came from."""

    frame: pd.DataFrame
    file: str
    format: str
    encoding: str | None = None
    #: SPSS value labels, by (renamed) column
    value_labels: dict = field(default_factory=dict)
    #: unnamed columns that hold no value (腾讯问卷 trailing commas)
    empty_columns: list = field(default_factory=list)


def _suffix(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in EXPORT_SUFFIXES:
        raise TableReadError(f"{path.name}: unsupported export type {suffix!r}; use one of {EXPORT_SUFFIXES}")
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such export file")
    return suffix


def _decode(path: Path) -> tuple[bytes, str]:
    """The file as UTF-8 bytes (GB18030 is re-encoded) and the encoding it was in.

    The encoding is decided on the first 64 KB when they hold non-ASCII text
    (Chinese headers always do; GB18030 text is never valid UTF-8); an
    all-ASCII start is not evidence, so then the whole file is checked. A
    later invalid byte still stops the read with a clear error.
    """
    raw = path.read_bytes()
    if not raw or raw.isspace():
        raise TableReadError(f"{path.name}: the file is empty")
    sample = raw[:65536]
    if len(raw) > len(sample):
        sample = sample[: sample.rfind(b"\n") + 1] or sample
    encoding = detect_encoding(raw if sample.isascii() else sample)
    if encoding == "gb18030":
        raw = raw.decode("gb18030").encode("utf-8")
    elif encoding == "utf-8-sig":
        raw = raw[3:]
    return raw, encoding


def read_export_header(path: str | Path) -> tuple[list[str], dict]:
    """The export's column headers (and, for SPSS, its variable labels) without reading all rows."""
    path = Path(path)
    suffix = _suffix(path)
    if suffix == ".sav":
        from fusion_study.ingest.spss import sav_headers

        return sav_headers(path), {}
    if suffix == ".csv":
        data, encoding = _decode(path)
        end = data.find(b"\n")
        first = data if end < 0 else data[:end]
        header = pd.read_csv(io.BytesIO(first + b"\n"), nrows=0, index_col=False, encoding="utf-8").columns
        return [str(c) for c in header], {"data": data, "encoding": encoding}
    if suffix == ".xlsx":
        try:
            header = pd.read_excel(path, nrows=0, engine="openpyxl").columns
        except Exception as exc:  # openpyxl raises several types
            raise TableReadError(f"{path.name}: not a readable Excel file ({exc})") from None
        return [str(c) for c in header], {}
    try:
        import pyarrow.parquet as pq

        return [str(c) for c in pq.read_schema(path).names], {}
    except Exception as exc:  # pyarrow raises several types
        raise TableReadError(f"{path.name}: not a readable Parquet file ({exc})") from None


def read_export(
    path: str | Path, *, text_columns=(), usecols=None, _header_info: dict | None = None
) -> RawExport:
    """Read an export; ``text_columns`` are read as text (ids keep leading zeros).

    Other columns keep the reader's inferred types (numbers stay numbers, which
    keeps large exports fast). ``usecols`` (headers) limits what is read at all:
    columns the import will drop, such as personal data, are never loaded.
    """
    path = Path(path)
    suffix = _suffix(path)
    text_columns = list(text_columns)
    encoding = None
    value_labels: dict = {}
    if suffix == ".sav":
        from fusion_study.ingest.spss import read_sav

        df, value_labels = read_sav(path, usecols=usecols)
        fmt = "spss"
    elif suffix == ".csv":
        info = _header_info or read_export_header(path)[1]
        data, encoding = info.pop("data"), info["encoding"]
        options = dict(
            dtype={c: str for c in text_columns},
            usecols=None if usecols is None else list(usecols),
            keep_default_na=False,
            na_values=[""],
            encoding="utf-8",
        )
        try:
            # pyarrow's reader is multi-threaded and keeps text as Arrow strings (fast on large exports)
            df = pd.read_csv(io.BytesIO(data), engine="pyarrow", **options)
            _check_text_columns(df, path.name, encoding)
        except TableReadError:
            raise
        except Exception:  # ragged rows (trailing commas) or options pyarrow lacks: use the C reader
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", pd.errors.ParserWarning)
                    df = pd.read_csv(io.BytesIO(data), index_col=False, **options)
            except UnicodeDecodeError as exc:
                raise TableReadError(
                    f"{path.name}: byte {exc.start} is not valid {encoding}; save the file as UTF-8 CSV"
                ) from None
            except (pd.errors.ParserError, ValueError) as exc:
                raise TableReadError(f"{path.name}: not a readable CSV export ({exc})") from None
        del data
        fmt = "csv"
    elif suffix == ".xlsx":
        try:
            df = pd.read_excel(path, engine="openpyxl", dtype={c: str for c in text_columns},
                               usecols=None if usecols is None else list(usecols))
        except Exception as exc:  # openpyxl raises several types
            raise TableReadError(f"{path.name}: not a readable Excel file ({exc})") from None
        fmt = "xlsx"
    else:
        try:
            df = pd.read_parquet(path, columns=None if usecols is None else list(usecols))
        except Exception as exc:  # pyarrow raises several types
            raise TableReadError(f"{path.name}: not a readable Parquet file ({exc})") from None
        for c in text_columns:
            if c in df.columns:
                df[c] = _as_text(df[c])
        fmt = "parquet"
    df.columns = [str(c) for c in df.columns]
    df.index = pd.RangeIndex(2, len(df) + 2, name="source_row")
    empty = [c for c in df.columns if (c.startswith("Unnamed: ") or not c.strip()) and df[c].isna().all()]
    return RawExport(df, path.name, fmt, encoding, value_labels, empty)


def _check_text_columns(df: pd.DataFrame, file: str, encoding: str) -> None:
    """pyarrow reads a column with invalid UTF-8 as bytes: name the first bad cell instead."""
    for column in df.columns:
        s = df[column]
        if s.dtype != object:
            continue
        present = s.dropna()
        if present.empty or not isinstance(present.iloc[0], bytes):
            continue
        for i, value in enumerate(s.to_numpy()):
            if isinstance(value, bytes):
                try:
                    value.decode("utf-8")
                except UnicodeDecodeError:
                    raise TableReadError(
                        f"{file}, row {i + 2}, column {column!r}: text is not valid {encoding}; "
                        "save the file as UTF-8 CSV"
                    ) from None


def _as_text(s: pd.Series) -> pd.Series:
    if pd.api.types.is_float_dtype(s):
        whole = s.dropna()
        if (whole == whole.round()).all():
            return s.astype("Int64").astype("string")
    return s.astype("string")
