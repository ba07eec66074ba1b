"""The input checks every stage shares: options, columns, language, significance level.

One helper per kind of check, so that every function in the package refuses bad
input with the same kind of message (what was given, what is allowed, where).

>>> check_choice("method", "dr", ("dr", "ipw", "reg"))
'dr'
>>> check_alpha(0.1), round(critical_value(0.05), 6)
(0.1, 1.959964)
"""

from __future__ import annotations

from typing import Iterable

import pandas as pd

__all__ = ["MissingColumnsError", "check_choice", "require_columns", "check_lang", "check_alpha", "critical_value",
           "LANGS", "require_tables"]

#: Languages of labels, tables, figures and reports.
LANGS = ("zh", "en")


class MissingColumnsError(ValueError):
    """A table lacks columns an analysis needs (names the table, the columns missing and those present)."""


def check_choice(name: str, value, allowed: Iterable) -> object:
    """Return ``value`` if it is one of ``allowed``; otherwise raise ``ValueError`` listing them.

    >>> check_choice("lang", "fr", ("zh", "en"))
    Traceback (most recent call last):
    ...
    ValueError: lang='fr' is not supported; use one of ['zh', 'en']
    """
    allowed = tuple(allowed)
    try:
        ok = value in allowed
    except TypeError:  # unhashable / incomparable value
        ok = False
    if not ok:
        raise ValueError(f"{name}={value!r} is not supported; use one of {list(allowed)}")
    return value


def require_columns(data: pd.DataFrame, columns: Iterable[str], *, what: str, table: str | None = None) -> None:
    """Raise :class:`MissingColumnsError` when ``data`` lacks any of ``columns``.

    ``what`` names the analysis or argument that needs them, ``table`` the study
    table (when the frame is one).

    >>> require_columns(pd.DataFrame({"a": [1]}), ["a", "b"], what="kaplan_meier", table="tickets")
    Traceback (most recent call last):
    ...
    fusion_study.data.checks.MissingColumnsError: kaplan_meier: table 'tickets' lacks column(s) ['b']; it has ['a']
    """
    columns = list(columns)
    missing = [c for c in columns if c not in data.columns]
    if missing:
        where = f"table {table!r}" if table else "the data"
        raise MissingColumnsError(f"{what}: {where} lacks column(s) {missing}; it has {list(map(str, data.columns))}")


def check_lang(lang: str) -> str:
    """Return ``lang`` if it is ``"zh"`` or ``"en"``; raise a clear error otherwise."""
    if lang not in LANGS:
        raise ValueError(f"lang must be 'zh' or 'en', got {lang!r}")
    return lang


def check_alpha(alpha: float) -> float:
    """Return ``alpha`` as a float if it is a significance level in (0, 1); raise otherwise."""
    try:
        a = float(alpha)
    except (TypeError, ValueError):
        raise ValueError(f"alpha must be a number in (0, 1), got {alpha!r}") from None
    if not 0.0 < a < 1.0:
        raise ValueError(f"alpha must be in (0, 1) (0.05 gives 95% intervals), got {alpha!r}")
    return a


def critical_value(alpha: float = 0.05) -> float:
    """The two-sided standard normal critical value ``z_{1-alpha/2}`` (1.959964 for ``alpha=0.05``)."""
    from scipy.stats import norm

    return float(norm.ppf(1.0 - check_alpha(alpha) / 2.0))


def require_tables(study, tables: Iterable[str], *, what: str) -> None:
    """Raise ``ValueError`` when ``study`` lacks any of ``tables`` (names them, in English and Chinese).

    >>> from fusion_study import Study
    >>> require_tables(Study({}), ["tickets"], what="study_ticket_durations")
    Traceback (most recent call last):
    ...
    ValueError: study_ticket_durations needs the 'tickets' table (急难愁盼问题清单); the study has []
    """
    from fusion_study.data.schema import TABLES

    for t in tables:
        if t not in study.tables:
            zh = f" ({TABLES[t].text_zh})" if t in TABLES else ""
            raise ValueError(f"{what} needs the {t!r} table{zh}; the study has {sorted(study.tables)}")
