"""Quarterly periods (``2024Q1``): parsing, normalising and arithmetic.

Periods and survey waves are quarters. They are stored as canonical text
(``"2024Q1"``) so that CSV, Parquet and Excel round-trip them unchanged, and
converted to consecutive integers (:func:`period_number`) for arithmetic.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

__all__ = ["normalise_periods", "period_number", "period_from_number", "period_range", "date_to_period"]

_PATTERNS = (
    # 2024Q1, 2024q1, 2024-Q1, 2024 Q1, 2024/Q1
    re.compile(r"^\s*(\d{4})\s*[-/ ]?\s*[Qq]\s*([1-4])\s*$"),
    # 2024年第1季度, 2024年1季度, 2024年一季度
    re.compile(r"^\s*(\d{4})\s*年\s*第?\s*([1-4一二三四])\s*季度?\s*$"),
)
_CN_DIGITS = {"一": "1", "二": "2", "三": "3", "四": "4"}


def _canonical(text: str) -> str | None:
    for pattern in _PATTERNS:
        m = pattern.match(text)
        if m:
            q = _CN_DIGITS.get(m.group(2), m.group(2))
            return f"{m.group(1)}Q{q}"
    return None


def normalise_periods(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Turn quarter text in any common spelling into canonical ``YYYYQn``.

    Returns ``(canonical, bad)``: the canonical strings (``<NA>`` where the value
    was missing or unparseable) and a boolean mask of values that were present
    but could not be parsed.

    >>> s, bad = normalise_periods(pd.Series(["2024Q1", "2024-q2", "2024年第3季度", "2024 Q5", None]))
    >>> s.tolist()
    ['2024Q1', '2024Q2', '2024Q3', <NA>, <NA>]
    >>> bad.tolist()
    [False, False, False, True, False]
    """
    text = values.astype("string")
    uniques = pd.unique(text.dropna())
    mapping = {u: _canonical(str(u)) for u in uniques}
    out = text.map(mapping, na_action="ignore").astype("string")
    bad = text.notna() & out.isna()
    return out, bad


def period_number(values: pd.Series | str) -> pd.Series | int:
    """Consecutive integer for each canonical quarter (``year * 4 + quarter - 1``).

    >>> period_number("2024Q1") + 1 == period_number("2024Q2")
    True
    >>> period_number(pd.Series(["2023Q4", "2024Q1"])).tolist()
    [8095, 8096]
    """
    if isinstance(values, str):
        canonical = _canonical(values)
        if canonical is None:
            raise ValueError(f"not a quarter: {values!r} (expected e.g. '2024Q1')")
        return int(canonical[:4]) * 4 + int(canonical[5]) - 1
    s = values.astype("string")
    year = pd.to_numeric(s.str.slice(0, 4), errors="coerce")
    q = pd.to_numeric(s.str.slice(5, 6), errors="coerce")
    return (year * 4 + q - 1).astype("Int64")


def period_from_number(number: int | np.integer | pd.Series) -> str | pd.Series:
    """Inverse of :func:`period_number`.

    >>> period_from_number(8096)
    '2024Q1'
    """
    if isinstance(number, pd.Series):
        n = number.astype("Int64")
        return ((n // 4).astype("string") + "Q" + (n % 4 + 1).astype("string")).astype("string")
    n = int(number)
    return f"{n // 4}Q{n % 4 + 1}"


def period_range(start: str, periods: int) -> list[str]:
    """``periods`` consecutive quarters from ``start``.

    >>> period_range("2023Q3", 3)
    ['2023Q3', '2023Q4', '2024Q1']
    """
    first = period_number(start)
    return [period_from_number(first + i) for i in range(periods)]


def date_to_period(dates: pd.Series) -> pd.Series:
    """The quarter each date falls in, as canonical text.

    >>> date_to_period(pd.Series(pd.to_datetime(["2024-03-31", "2024-04-01"]))).tolist()
    ['2024Q1', '2024Q2']
    """
    d = pd.to_datetime(dates)
    return (d.dt.year.astype("Int64").astype("string") + "Q" + d.dt.quarter.astype("Int64").astype("string")).astype(
        "string"
    )
