"""SPSS ``.sav`` exports (问卷星 and others) with variable and value labels.

Variables are named by their *label* when the label is a question header
(``5、总体满意度``, ``3、(服务态度)``) or a meta header, otherwise by their
name. Value labels are compared with the codebook's options: a labelled value
whose label is a codebook option text is mapped to that option's code (so an
export coded 0..6 becomes 1..7); a label that is not an option text is
reported as a conflict and the variable's values are kept as they are.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from fusion_study.data.readers import TableReadError
from fusion_study.ingest.coding import normalise_text, option_lookup
from fusion_study.ingest.headers import parse_header

__all__ = ["read_sav", "sav_headers", "recode_value_labels"]


def _names(columns, labels) -> list[str]:
    out, seen = [], set()
    for name, label in zip(columns, labels):
        use = name
        if label and parse_header(label).kind in ("question", "meta"):
            use = str(label)
        if use in seen:
            use = name
        seen.add(use)
        out.append(str(use))
    return out


def _read(path: Path, **kw):
    import pyreadstat

    try:
        return pyreadstat.read_sav(str(path), apply_value_formats=False, **kw)
    except Exception as exc:  # pyreadstat raises several types
        raise TableReadError(f"{path.name}: not a readable SPSS .sav file ({exc})") from None


def sav_headers(path: Path) -> list[str]:
    """Column names as :func:`read_sav` will give them."""
    _df, meta = _read(path, metadataonly=True)
    return _names(meta.column_names, meta.column_labels)


def read_sav(path: Path, *, usecols=None) -> tuple[pd.DataFrame, dict]:
    """Read a .sav file; return ``(frame, {column: {value: label}})`` with columns renamed.

    ``usecols`` names columns as renamed (labels); only those are read.
    """
    _df, meta = _read(path, metadataonly=True)
    names = _names(meta.column_names, meta.column_labels)
    rename = dict(zip(meta.column_names, names))
    keep = None if usecols is None else [old for old, new in rename.items() if new in set(usecols)]
    df, meta = _read(path, usecols=keep)
    labels = {rename[old]: meta.variable_value_labels.get(old, {}) for old in df.columns}
    df.columns = [rename[c] for c in df.columns]
    for c in df.columns:
        if df[c].dtype == object:
            df[c] = df[c].astype("string")
    return df, {k: v for k, v in labels.items() if v}


def recode_value_labels(values: pd.Series, labels: dict, options) -> tuple[pd.Series, str | None, str | None]:
    """Map labelled values to codebook codes; return ``(values, note, conflict)``.

    ``note`` describes a recoding that was applied, ``conflict`` labels that
    match no codebook option (then nothing is recoded).

    >>> v, note, conflict = recode_value_labels(pd.Series([0.0, 2.0]), {0.0: "不满意", 1.0: "一般", 2.0: "满意"},
    ...                                         "1=不满意;2=一般;3=满意")
    >>> v.tolist(), note, conflict
    ([1.0, 3.0], 'value labels recoded to codebook codes: 0→1, 1→2, 2→3', None)
    """
    lookup = option_lookup(options)
    if not lookup:
        return values, None, None
    mapping, unknown = {}, []
    for value, label in labels.items():
        code = lookup.get(normalise_text(label))
        if code is None:
            if not (isinstance(value, (int, float)) and value < 0):
                unknown.append(f"{value:g}={label}" if isinstance(value, float) else f"{value}={label}")
            continue
        mapping[float(value)] = float(code)
    if unknown:
        return values, None, "value labels not in the codebook options: " + ", ".join(unknown)
    if all(k == v for k, v in mapping.items()):
        return values, None, None
    num = pd.to_numeric(values, errors="coerce").astype("float64")
    recoded = num.map(lambda x: mapping.get(x, x) if not np.isnan(x) else x)
    note = "value labels recoded to codebook codes: " + ", ".join(
        f"{k:g}→{v:g}" for k, v in sorted(mapping.items()) if k != v
    )
    return recoded, note, None
