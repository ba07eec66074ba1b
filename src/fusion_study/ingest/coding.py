"""Turning exported answers into codebook codes.

* 按序号 (``flavour="code"``): numbers are codes.
* 按文本 (``flavour="text"``): option text is mapped to codes through the
  codebook's ``options`` column (``"1=非常不满意;2=…"``); numbers are accepted as
  codes too. Text that matches no option is *reported* (``unknown``), never guessed.
* Missing: empty cells, ``(跳过)``, ``(空)`` and negative codes (问卷星 writes
  ``-3`` for skipped and ``-2`` for not shown) when the item's minimum is not negative.
* Multi-select: one column of ``┋``-joined choices is split into the codebook's
  0/1 sub-items ``N(选项)``; split 0/1 columns are ordinary items.

All work is on distinct values (``pd.factorize``), never per cell.
"""

from __future__ import annotations

import unicodedata

import numpy as np
import pandas as pd

from fusion_study.data.codebook import parse_options

__all__ = ["MISSING_TEXT", "code_column", "split_multi_select", "detect_flavour", "option_lookup",
           "normalise_text", "FLAVOURS"]

FLAVOURS = ("auto", "code", "text")
#: Cell texts that mean "no answer".
MISSING_TEXT = frozenset({"", "(跳过)", "跳过", "(空)", "空", "(未填)", "(未作答)", "nan", "NaN", "<NA>"})
_SEPARATORS = ("┋", "|", "┆")


def normalise_text(text) -> str:
    """NFKC-normalised, stripped text (full-width punctuation and spaces made plain)."""
    return unicodedata.normalize("NFKC", str(text)).strip()


_norm = normalise_text


def _as_number(text: str):
    try:
        return float(text)
    except ValueError:
        return None


def _factorize(values: pd.Series):
    if values.dtype == bool or pd.api.types.is_numeric_dtype(values):
        values = values.astype("object")
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    return codes, list(uniques)


def _spread(codes: np.ndarray, per_unique: np.ndarray, fill=np.nan) -> np.ndarray:
    out = np.full(len(codes), fill, dtype=per_unique.dtype if per_unique.size else "float64")
    ok = codes >= 0
    if per_unique.size:
        out[ok] = per_unique[codes[ok]]
    return out


def option_lookup(options) -> dict[str, int]:
    """``{normalised option text: code}`` from a codebook ``options`` value."""
    return {_norm(label): code for code, label in parse_options(options).items()}


def code_column(
    values: pd.Series, *, options=None, min_value=None, flavour: str = "code", chosen_text: str | None = None
) -> tuple[pd.Series, pd.Series]:
    """Codes of one item column; return ``(codes, unknown)``.

    ``codes`` is float64 (NaN = missing); ``unknown`` marks present values that
    are neither a number, a missing marker nor (text flavour) an option text.

    >>> opts = "1=不满意;2=一般;3=满意"
    >>> c, bad = code_column(pd.Series(["满意", "(跳过)", "一般 ", "很好", "2"]), options=opts, flavour="text")
    >>> c.tolist(), bad.tolist()
    ([3.0, nan, 2.0, nan, 2.0], [False, False, False, True, False])
    >>> code_column(pd.Series([3, -3, 1]), min_value=1)[0].tolist()
    [3.0, nan, 1.0]
    """
    negative_is_missing = min_value is None or pd.isna(min_value) or float(min_value) >= 0
    index = values.index
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        if isinstance(values.dtype, np.dtype):
            num = np.array(values.to_numpy(), dtype="float64")  # exactly one copy
        else:  # nullable integers and floats: a fresh array with NaN for <NA>
            num = values.to_numpy(dtype="float64", na_value=np.nan)
        if negative_is_missing:
            np.putmask(num, num < 0, np.nan)
        return pd.Series(num, index=index), pd.Series(np.zeros(len(values), bool), index=index)
    lookup = option_lookup(options) if flavour == "text" else {}
    if flavour == "text" and chosen_text is not None:
        lookup.setdefault(_norm(chosen_text), 1)
    codes, uniques = _factorize(values)
    per = np.full(len(uniques), np.nan)
    unknown = np.zeros(len(uniques), bool)
    for i, u in enumerate(uniques):
        text = _norm(u)
        if text in MISSING_TEXT:
            continue
        number = _as_number(text)
        if number is not None:
            per[i] = np.nan if (number < 0 and negative_is_missing) else number
        elif text in lookup:
            per[i] = lookup[text]
        else:
            unknown[i] = True
    out = _spread(codes, per)
    bad = _spread(codes, unknown, fill=False).astype(bool)
    return pd.Series(out, index=index), pd.Series(bad, index=index)


def split_multi_select(values: pd.Series, subs: list[str]) -> tuple[pd.DataFrame, pd.Series]:
    """Split ``┋``-joined choices into one 0/1 column per sub-item; return ``(frame, unknown)``.

    A choice matches a sub-item by its text, or by its 1-based position when the
    export wrote codes (``1┋3``). Unmatched choices are reported in ``unknown``.

    >>> f, bad = split_multi_select(pd.Series(["送货┋培训", "(跳过)", "培训", "其他"]), ["送货", "培训"])
    >>> f.values.tolist(), bad.tolist()
    ([[1.0, 1.0], [nan, nan], [0.0, 1.0], [0.0, 0.0]], [False, False, False, True])
    """
    norm_subs = [_norm(s) for s in subs]
    codes, uniques = _factorize(values)
    per = np.full((len(uniques), len(subs)), np.nan)
    unknown = np.zeros(len(uniques), bool)
    for i, u in enumerate(uniques):
        text = _norm(u)
        number = _as_number(text)
        if text in MISSING_TEXT or (number is not None and number < 0):
            continue
        for sep in _SEPARATORS[1:]:
            text = text.replace(sep, _SEPARATORS[0])
        chosen = [t.strip() for t in text.split(_SEPARATORS[0]) if t.strip()]
        row = np.zeros(len(subs))
        for token in chosen:
            if token in norm_subs:
                row[norm_subs.index(token)] = 1
                continue
            number = _as_number(token)
            if number is not None and number.is_integer() and 1 <= number <= len(subs):
                row[int(number) - 1] = 1
            else:
                unknown[i] = True
        per[i] = row
    out = np.full((len(values), len(subs)), np.nan)
    ok = codes >= 0
    out[ok] = per[codes[ok]]
    bad = np.zeros(len(values), bool)
    bad[ok] = unknown[codes[ok]]
    return pd.DataFrame(out, index=values.index, columns=list(subs)), pd.Series(bad, index=values.index)


def detect_flavour(raw: pd.DataFrame, columns, codebook_items: pd.DataFrame) -> str:
    """``"text"`` when any item column holds option text, else ``"code"``."""
    options = dict(zip(codebook_items["item_id"].astype(str), codebook_items.get("options", pd.Series(dtype=object))))
    for column, item_id in columns:
        s = raw[column]
        if pd.api.types.is_numeric_dtype(s):
            continue
        lookup = option_lookup(options.get(item_id))
        uniques = pd.unique(s.dropna().astype("object"))
        for u in uniques[:200]:
            text = _norm(u)
            if text in lookup and _as_number(text) is None:
                return "text"
    return "code"
