"""Reading table files (CSV, Parquet, XLSX) and coercing them to the schema.

Every reader gives the DataFrame an index of *source rows* as a spreadsheet
shows them (the header is row 1, the first data row is row 2), so that a
validation problem or a ledger entry can point at the row the user sees.

CSV encodings are detected, not guessed: a UTF-8 byte-order mark means
``utf-8-sig``; otherwise the bytes are tried as strict UTF-8, then GB18030
(a superset of GBK/GB2312, what Excel on Chinese Windows writes). The
encoding used is returned so it can be recorded.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd

from fusion_study.data.periods import normalise_periods
from fusion_study.data.schema import DTYPE_EXPECTED, DTYPES, Table
from fusion_study.data.template import canonical_header, header_label
from fusion_study.data.validation import ProblemLog

__all__ = [
    "detect_encoding",
    "read_csv_detected",
    "read_table_file",
    "coerce_to_schema",
    "bound_dates",
    "date_range_message",
    "TABLE_SUFFIXES",
    "DATE_RANGE",
]

TABLE_SUFFIXES = (".csv", ".parquet", ".xlsx")

#: The plausible range of every date in a study (meetings, tickets, survey submissions). A date
#: outside it (``9999-12-31``, ``1900-01-01`` placeholders, typos such as ``2204``) is reported with
#: rule ``date_range`` and read as missing.
DATE_RANGE = (pd.Timestamp("1990-01-01"), pd.Timestamp("2099-12-31 23:59:59"))


def bound_dates(times: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Dates as ``datetime64[ns]`` with those outside :data:`DATE_RANGE` missing; return ``(times, out_of_range)``.

    Works on any datetime resolution, so ``9999-12-31`` (beyond what nanoseconds can hold)
    is reported instead of overflowing.

    >>> t, oor = bound_dates(pd.to_datetime(pd.Series(["2024-03-05", "9999-12-31", None])))
    >>> t.dt.strftime("%Y-%m-%d").tolist(), oor.tolist()
    (['2024-03-05', nan, nan], [False, True, False])
    """
    lo, hi = DATE_RANGE
    oor = (times.notna() & ((times < lo) | (times > hi))).fillna(False).astype(bool)
    return times.mask(oor).astype("datetime64[ns]"), oor


def date_range_message(what: str) -> str:
    """The rule text for a date outside :data:`DATE_RANGE`."""
    lo, hi = DATE_RANGE
    return (f"{what} must be a plausible date between {lo:%Y-%m-%d} and {hi:%Y-%m-%d} "
            "(a placeholder such as 9999-12-31 or a typo in the year?)")


class TableReadError(ValueError):
    """A file could not be read as a table at all (wrong format, corrupt, empty)."""


def detect_encoding(raw: bytes) -> str:
    """Name the encoding of CSV bytes: ``utf-8-sig``, ``utf-8`` or ``gb18030``.

    >>> detect_encoding("序号,满意度".encode("utf-8-sig"))
    'utf-8-sig'
    >>> detect_encoding("序号,满意度".encode("gb18030"))
    'gb18030'
    """
    if raw.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    try:
        raw.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        raw.decode("gb18030")
        return "gb18030"
    except UnicodeDecodeError as exc:
        raise TableReadError(
            f"cannot decode the file as UTF-8 or GB18030 (byte {exc.start}); save it as UTF-8 CSV"
        ) from None


def read_csv_detected(path: Path, *, dtype=None, **kwargs) -> tuple[pd.DataFrame, str]:
    """Read a CSV with its encoding detected; return ``(frame, encoding)``."""
    raw = Path(path).read_bytes()
    if not raw.strip():
        raise TableReadError(f"{path}: the file is empty")
    try:
        encoding = detect_encoding(raw)
    except TableReadError as exc:
        raise TableReadError(f"{path}: {exc}") from None
    text = raw.decode(encoding)
    try:
        df = pd.read_csv(io.StringIO(text), dtype=dtype, keep_default_na=True, na_values=[""], **kwargs)
    except (pd.errors.ParserError, ValueError) as exc:
        raise TableReadError(f"{path}: not a readable CSV table ({exc})") from None
    return df, encoding


def _source_index(n: int) -> pd.Index:
    return pd.RangeIndex(2, n + 2, name="source_row")


def read_table_file(path: str | Path, spec: Table | None = None) -> tuple[pd.DataFrame, dict]:
    """Read one table file; return ``(raw frame, info)``.

    ``info`` has ``file`` (the file name) and ``encoding`` (CSV only). Columns
    the schema declares as text are read as text, so identifiers such as
    ``"001"`` keep their leading zeros.
    """
    path = Path(path)
    text_cols = None
    if spec is not None:
        text_cols = {c.name: "string" for c in spec.columns if c.dtype in ("string", "period")}
        text_cols |= {header_label(spec.column_map[n]): "string" for n in list(text_cols)}  # template headers
    info = {"file": path.name, "encoding": None}
    suffix = path.suffix.lower()
    if suffix == ".csv":
        df, info["encoding"] = read_csv_detected(path, dtype=text_cols)
    elif suffix == ".parquet":
        try:
            df = pd.read_parquet(path)
        except Exception as exc:  # pyarrow raises several types
            raise TableReadError(f"{path}: not a readable Parquet file ({exc})") from None
    elif suffix == ".xlsx":
        try:
            df = pd.read_excel(path, dtype=text_cols, engine="openpyxl")
        except Exception as exc:  # openpyxl raises several types
            raise TableReadError(f"{path}: not a readable Excel file ({exc})") from None
    else:
        raise TableReadError(f"{path}: unsupported file type {suffix!r}; use one of {TABLE_SUFFIXES}")
    df.columns = [canonical_header(c, spec) for c in df.columns]  # "unit_id（单位编号）" -> "unit_id"
    df.index = _source_index(len(df))
    return df, info


def _coerce_column(s: pd.Series, dtype: str) -> tuple[pd.Series, pd.Series, pd.Series | None]:
    """Return ``(coerced, bad, out_of_range)``: ``bad`` marks present values that failed to parse,
    ``out_of_range`` (dates only, else ``None``) dates outside :data:`DATE_RANGE`."""
    present = s.notna()
    if dtype == "string":
        out = s.astype("string").str.strip()
        out = out.mask(out == "")
        return out, pd.Series(False, index=s.index), None
    if dtype == "period":
        return (*normalise_periods(s), None)
    if dtype in ("int", "float"):
        if pd.api.types.is_bool_dtype(s):
            num = s.astype("float64")
        elif pd.api.types.is_numeric_dtype(s):
            num = s.astype("float64")
        else:
            num = pd.to_numeric(s.astype("string").str.strip(), errors="coerce").astype("float64")
        bad = present & num.isna()
        if dtype == "int":
            frac = num.notna() & (np.floor(num) != num)
            bad = bad | frac
            num = num.where(~frac)
            return num.astype("Int64"), bad, None
        return num, bad, None
    if dtype in ("date", "datetime"):
        if pd.api.types.is_datetime64_any_dtype(s):
            parsed = s
        else:
            parsed = pd.to_datetime(s.astype("string").str.strip(), errors="coerce", format="mixed")
        unreadable = present & parsed.isna()
        out, oor = bound_dates(parsed)
        if dtype == "date":
            out = out.dt.normalize()
        return out, unreadable, oor
    if dtype == "bool":
        text = s.astype("string").str.strip().str.lower()
        mapping = {
            "true": True, "1": True, "yes": True, "y": True, "是": True, "1.0": True,
            "false": False, "0": False, "no": False, "n": False, "否": False, "0.0": False,
        }
        out = text.map(mapping).astype("boolean")
        return out, present & out.isna(), None
    raise ValueError(f"unknown dtype {dtype!r}")


def coerce_to_schema(df: pd.DataFrame, spec: Table, *, file: str, log: ProblemLog) -> pd.DataFrame:
    """Convert declared columns to their schema dtypes, logging values that fail.

    A value that cannot be converted becomes missing *and* is reported (rule
    ``type`` or ``period``; a date outside :data:`DATE_RANGE`: rule
    ``date_range``), so validation still fails on it; nothing is silently
    changed.
    """
    out = df.copy()
    for col in spec.columns:
        if col.name not in out.columns:
            continue
        coerced, bad, oor = _coerce_column(out[col.name], col.dtype)
        if oor is not None and oor.any():
            log.add(
                table=spec.name,
                file=file,
                rule="date_range",
                rows=out.index[oor],
                column=col.name,
                values=out.loc[oor, col.name],
                message=date_range_message(f"{col.name} ({col.text_zh})"),
            )
        if bad.any():
            rule = "period" if col.dtype == "period" else "type"
            expected = DTYPE_EXPECTED[col.dtype]
            log.add(
                table=spec.name,
                file=file,
                rule=rule,
                rows=out.index[bad],
                column=col.name,
                values=out.loc[bad, col.name],
                message=f"{col.name} ({col.text_zh}) must be {expected}",
            )
        out[col.name] = coerced.astype(DTYPES[col.dtype]) if col.dtype not in ("date", "datetime") else coerced
    return out
