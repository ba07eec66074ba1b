"""Fast whole-column text tests on Arrow-backed strings (pyarrow compute, no per-value Python)."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["fullmatch"]


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
