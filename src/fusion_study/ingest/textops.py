"""Fast whole-column text tests on Arrow-backed strings (pyarrow compute, no per-value Python)."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["fullmatch", "numbers"]


def fullmatch(values: pd.Series, pattern: str) -> np.ndarray:
    """Boolean array: which values match ``pattern`` entirely (missing values: False).

    Uses pyarrow's RE2 engine on Arrow-backed strings (pandas falls back to
    Python's ``re`` for some patterns, 8x slower on a million values); the
    pattern must be valid in both engines.

    >>> fullmatch(pd.Series(["125秒", "2分5秒", None]), r"\\d+秒").tolist()
    [True, False, False]
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        arr = pa.array(values.array) if pd.api.types.is_string_dtype(values) else None
    except (TypeError, ValueError, pa.ArrowInvalid):  # pragma: no cover - non-Arrow input
        arr = None
    if arr is None or not pa.types.is_string(arr.type) and not pa.types.is_large_string(arr.type):
        return values.astype("string").str.fullmatch(pattern).fillna(False).to_numpy(dtype=bool)
    matched = pc.fill_null(pc.match_substring_regex(arr, f"^(?:{pattern})$"), False)
    return np.asarray(matched.to_numpy(zero_copy_only=False), dtype=bool)


def numbers(values: pd.Series, *, remove: str = "") -> pd.Series:
    """Text such as ``" 125秒"`` as float64 after removing ``remove`` and spaces (unparseable: NaN).

    >>> numbers(pd.Series(["125秒", " 90 ", None, "x"], dtype="string"), remove="秒").tolist()
    [125.0, 90.0, nan, nan]
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        arr = pa.array(values.array)
    except (TypeError, ValueError, pa.ArrowInvalid):  # pragma: no cover - non-Arrow input
        arr = None
    if arr is None or not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        text = values.astype("string").str.replace(remove, "", regex=False).str.strip() if remove else values
        return pd.to_numeric(text, errors="coerce").astype("float64")
    if remove:
        arr = pc.replace_substring(arr, remove, "")
    arr = pc.utf8_trim_whitespace(arr)
    ok = pc.fill_null(pc.match_substring_regex(arr, r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$"), False)
    arr = pc.if_else(ok, arr, pa.scalar(None, arr.type))
    out = pc.cast(arr, pa.float64()).to_numpy(zero_copy_only=False)
    return pd.Series(np.asarray(out, dtype="float64"), index=values.index)
