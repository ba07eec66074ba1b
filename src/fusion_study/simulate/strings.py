"""Fast construction of pandas ``string`` columns from integer codes (Arrow dictionary casts).

Large simulated tables (millions of rows) would spend most of their time
turning Python string objects into Arrow strings; building them from codes
keeps the province preset well inside its time budget.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

__all__ = ["from_codes", "sequential_ids"]


def from_codes(codes: np.ndarray, categories) -> pd.arrays.ArrowStringArray:
    """``categories[codes]`` as a pandas ``string`` array.

    >>> list(from_codes(np.array([1, 0, 1]), ["a", "b"]))
    ['b', 'a', 'b']
    """
    cats = pa.array([str(c) for c in categories], type=pa.large_string())
    dictionary = pa.DictionaryArray.from_arrays(pa.array(np.asarray(codes, dtype=np.int64)), cats)
    return pd.arrays.ArrowStringArray(dictionary.cast(pa.large_string()))


def sequential_ids(prefix: str, n: int, width: int = 6, *, start: int = 1) -> pd.arrays.ArrowStringArray:
    """``prefix`` + zero-padded ``start .. start + n - 1``, e.g. ``A000001``.

    ``width`` grows to fit the largest number (the streamed simulator numbers
    each chunk's rows from where the previous chunk stopped).

    >>> list(sequential_ids("T", 3, 4))
    ['T0001', 'T0002', 'T0003']
    >>> list(sequential_ids("T", 2, 4, start=9))
    ['T0009', 'T0010']
    """
    width = max(width, len(str(start + n - 1)))
    p = np.frombuffer(prefix.encode("ascii"), dtype=np.uint8)
    numbers = np.arange(start, start + n, dtype=np.int64)
    digits = ((numbers[:, None] // (10 ** np.arange(width - 1, -1, -1, dtype=np.int64))) % 10 + 48).astype(np.uint8)
    raw = np.concatenate([np.broadcast_to(p, (n, len(p))), digits], axis=1)
    fixed = np.ascontiguousarray(raw).view(f"S{len(p) + width}").ravel()
    return pd.arrays.ArrowStringArray(pa.array(fixed).cast(pa.large_string()))
