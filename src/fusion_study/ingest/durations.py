"""所用时间 (time taken) as seconds: ``"125秒"``, ``"2分5秒"``, ``"1小时2分5秒"``, ``"125"``.

Parsing works on the distinct values only (a million responses have a few
thousand distinct durations), so it is fast on large exports.
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import pandas as pd

from fusion_study.ingest.textops import fullmatch, numbers

__all__ = ["parse_durations"]

_UNITS = re.compile(
    r"^(?:(\d+(?:\.\d+)?)\s*(?:小时|时|h|hr|hours?)\s*)?"
    r"(?:(\d+(?:\.\d+)?)\s*(?:分钟|分|m|min|minutes?)\s*)?"
    r"(?:(\d+(?:\.\d+)?)\s*(?:秒钟|秒|s|sec|seconds?)?\s*)?$",
    re.IGNORECASE,
)
_CLOCK = re.compile(r"^(?:(\d+):)?(\d{1,2}):(\d{1,2})$")


def _one(text: str) -> float:
    t = unicodedata.normalize("NFKC", text).strip()
    if not t:
        return np.nan
    m = _CLOCK.match(t)
    if m:
        h, mi, s = (float(x) if x else 0.0 for x in m.groups())
        return h * 3600 + mi * 60 + s
    m = _UNITS.match(t)
    if not m or not any(m.groups()):
        return np.nan
    h, mi, s = (float(x) if x else 0.0 for x in m.groups())
    return h * 3600 + mi * 60 + s


def _spread_bool(codes: np.ndarray, per_unique: np.ndarray) -> np.ndarray:
    out = np.zeros(len(codes), bool)
    ok = codes >= 0
    if per_unique.size:
        out[ok] = per_unique[codes[ok]]
    return out


def parse_durations(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Durations in seconds; return ``(seconds, bad)``.

    ``seconds`` is float (NaN where missing or unreadable); ``bad`` marks values
    that were present but could not be read. Numbers are taken as seconds;
    ``h:mm:ss`` and ``mm:ss`` are accepted too.

    >>> s, bad = parse_durations(pd.Series(["125秒", "2分5秒", "1小时2分5秒", "90", None, "很久"]))
    >>> s.tolist()[:4], bad.tolist()
    ([125.0, 125.0, 3725.0, 90.0], [False, False, False, False, False, True])
    """
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        out = values.astype("float64")
        return out, pd.Series(False, index=values.index)
    text = values if pd.api.types.is_string_dtype(values) else None
    if text is not None:
        # fast path for the usual "125秒" / "125": vectorised, no per-value work
        simple = fullmatch(text, r"\s*\d+(?:\.\d+)?\s*秒?\s*") | text.isna().to_numpy()
        if bool(simple.all()):
            return numbers(text, remove="秒"), pd.Series(False, index=values.index)
    present = values.notna().to_numpy().copy()
    codes, uniques = pd.factorize(values)
    parsed = np.array([_one(str(u)) for u in uniques], dtype="float64")
    blank = np.array([not str(u).strip() for u in uniques], dtype=bool)
    present &= ~_spread_bool(codes, blank)
    seconds = np.full(len(values), np.nan)
    seconds[codes >= 0] = parsed[codes[codes >= 0]]
    out = pd.Series(seconds, index=values.index, dtype="float64")
    bad = pd.Series(present & np.isnan(seconds), index=values.index)
    return out, bad
