"""Working with a study's codebook: items, scales, options and reverse coding."""

from __future__ import annotations

import pandas as pd

__all__ = ["parse_options", "scales", "items", "reverse_code", "item_bounds"]


def parse_options(text) -> dict[int, str]:
    """Parse ``"1=非常不满意;2=不满意;..."`` into ``{1: "非常不满意", 2: "不满意", ...}``.

    Full-width separators (``；`` and ``＝``) are accepted.

    >>> parse_options("1=不满意；2＝一般; 3=满意")
    {1: '不满意', 2: '一般', 3: '满意'}
    >>> parse_options(None)
    {}
    """
    if text is None or (not isinstance(text, str) and pd.isna(text)):
        return {}
    out: dict[int, str] = {}
    for part in str(text).replace("；", ";").replace("＝", "=").split(";"):
        part = part.strip()
        if not part:
            continue
        code, sep, label = part.partition("=")
        if not sep:
            raise ValueError(f"option {part!r} is not of the form code=text")
        out[int(code.strip())] = label.strip()
    return out


def items(codebook: pd.DataFrame, instrument: str | None = None) -> pd.DataFrame:
    """The codebook rows of one instrument (all rows when ``instrument`` is None)."""
    if instrument is None:
        return codebook
    return codebook[codebook["instrument"] == instrument]


def scales(codebook: pd.DataFrame, instrument: str | None = None) -> dict[str, list[str]]:
    """Map each scale to its item ids, in codebook order.

    >>> cb = pd.DataFrame({"item_id": ["s1", "s2", "q1"], "scale": ["sat", "sat", "qual"],
    ...                    "instrument": ["customer_survey"] * 3})
    >>> scales(cb)
    {'sat': ['s1', 's2'], 'qual': ['q1']}
    """
    rows = items(codebook, instrument)
    out: dict[str, list[str]] = {}
    for item_id, scale in zip(rows["item_id"], rows["scale"]):
        out.setdefault(str(scale), []).append(str(item_id))
    return out


def item_bounds(codebook: pd.DataFrame) -> pd.DataFrame:
    """``item_id``-indexed frame of ``min, max, reverse``."""
    return codebook.set_index("item_id")[["min", "max", "reverse"]]


def reverse_code(data: pd.DataFrame, codebook: pd.DataFrame) -> pd.DataFrame:
    """Reverse the reverse-coded items (``min + max - x``); other columns untouched.

    >>> cb = pd.DataFrame({"item_id": ["a", "b"], "min": [1, 1], "max": [5, 5],
    ...                    "reverse": [False, True]})
    >>> reverse_code(pd.DataFrame({"a": [1, 2], "b": [1, 4]}), cb)["b"].tolist()
    [5, 2]
    """
    out = data.copy()
    bounds = item_bounds(codebook)
    for item_id, row in bounds.iterrows():
        if pd.notna(row["reverse"]) and bool(row["reverse"]) and item_id in out.columns:  # NA: a text question
            out[item_id] = row["min"] + row["max"] - out[item_id]
    return out
