"""The validation rules of :mod:`fusion_study.data.validation`, as DuckDB SQL over lazy tables.

:func:`~fusion_study.data.validation.check_study` calls these for a
:class:`~fusion_study.data.lazy.LazyTable` instead of the pandas rules: the
same rules, messages and values, with every problem naming its Parquet file
(the partition file for a folder table) and its row there. Only the rows
that break a rule are brought into pandas. The rules:

* on load (for pandas tables :func:`~fusion_study.data.readers.coerce_to_schema`):
  ``type``, ``period`` and ``date_range``;
* per table (:func:`~fusion_study.data.validation.check_table`): ``missing_column``,
  ``required_value``, ``allowed_values``, ``range``, ``unique_key``, ``unknown_column``;
* across tables: ``foreign_key``; tickets: ``ticket_dates`` and ``ticket_status``.
"""

from __future__ import annotations

import pandas as pd

from fusion_study.data.lazy import _WHITESPACE, LazyTable, _lit, _q
from fusion_study.data.schema import DTYPE_EXPECTED, VOCABULARIES, Table

__all__ = ["lazy_load_problems", "check_lazy_table", "lazy_foreign_keys", "lazy_ticket_checks", "key_values"]

_ORDER = " ORDER BY _source_file, _source_row"


def _label(col) -> str:
    return f"{col.name} ({col.text_zh})"


def _add(log, t: LazyTable, found: pd.DataFrame, *, rule: str, column: str, message, values=None) -> None:
    if found.empty:
        return
    log.add(table=t.name, file=found["_source_file"].astype(str).to_numpy(object), rule=rule,
            rows=found["_source_row"].astype("int64").to_numpy(), column=column, values=values, message=message)


def lazy_load_problems(t: LazyTable, log) -> None:
    """Values that cannot be read as their column's type (``type``, ``period``) or dates outside the range."""
    from fusion_study.data.readers import date_range_message

    src = f"(SELECT * FROM {t._source}) src"
    for col in t.spec.columns:
        c = col.name
        if c not in t._exprs:
            continue
        raw = f"src.{_q(c)}"
        if c in t._maps:  # parsed by pandas from the distinct values: the mapping says which are bad
            m = t._maps[c]
            base = (f"SELECT src._source_file, src._source_row, {raw} AS raw FROM {src} "
                    f"JOIN {m} ON CAST({raw} AS VARCHAR) = {m}.k WHERE ")
            oor = t._con.execute(base + f"{m}.oor" + _ORDER).df()
            bad = t._con.execute(base + f"{m}.bad" + _ORDER).df()
        elif col.dtype in ("date", "datetime"):  # stored as Parquet dates: only the range can fail
            from fusion_study.data.lazy import _date_range

            lo, hi = _date_range()
            oor = t._con.execute(
                f"SELECT src._source_file, src._source_row, {raw} AS raw FROM {src} "
                f"WHERE {raw} < TIMESTAMP {_lit(lo)} OR {raw} > TIMESTAMP {_lit(hi)}" + _ORDER).df()
            bad = oor.iloc[0:0]
        elif col.dtype in ("int", "float"):
            numeric = t._raw_types[c].upper() not in ("VARCHAR",)
            # present: not NaN; empty text is missing, as an empty cell of a CSV file is
            present = f"{raw} IS NOT NULL" + (f" AND NOT isnan(CAST({raw} AS DOUBLE))" if numeric
                                              else f" AND trim(CAST({raw} AS VARCHAR), {_lit(_WHITESPACE)}) <> ''")
            oor = None
            bad = t._con.execute(
                f"SELECT src._source_file, src._source_row, {raw} AS raw FROM {src} "
                f"WHERE {present} AND ({t._exprs[c]}) IS NULL" + _ORDER).df()
        else:
            continue
        if oor is not None and not oor.empty:
            _add(log, t, oor, rule="date_range", column=c, values=oor["raw"],
                 message=date_range_message(f"{c} ({col.text_zh})"))
        if not bad.empty:
            _add(log, t, bad, rule="period" if col.dtype == "period" else "type", column=c, values=bad["raw"],
                 message=f"{c} ({col.text_zh}) must be {DTYPE_EXPECTED[col.dtype]}")


def check_lazy_table(t: LazyTable, spec: Table, *, log, allow_extra: bool = False) -> None:
    """:func:`~fusion_study.data.validation.check_table` in SQL (with the load-time type checks first)."""
    lazy_load_problems(t, log)
    v = t.view
    checks = []  # (condition, rule, column, message, show the value): all found in one scan of the table
    for col in spec.columns:
        c = col.name
        if c not in t.columns:
            if col.required:
                log.add(table=spec.name, file=t.file, rule="missing_column", column=c,
                        message=f"required column {_label(col)} is missing from {spec.name} ({spec.text_zh})")
            continue
        if not col.nullable:
            checks.append((f"{_q(c)} IS NULL", "required_value", c, f"{_label(col)} must not be empty", False))
        if col.vocabulary:
            allowed = VOCABULARIES[col.vocabulary]
            inlist = ", ".join(_lit(k) for k in allowed)
            listing = ", ".join(f"{k} ({zh})" for k, (zh, _) in allowed.items())
            checks.append((f"{_q(c)} IS NOT NULL AND CAST({_q(c)} AS VARCHAR) NOT IN ({inlist})", "allowed_values",
                           c, f"{_label(col)} must be one of: {listing}", True))
        if col.min is not None or col.max is not None:
            cond = " OR ".join(
                ([f"{_q(c)} < {col.min!r}"] if col.min is not None else [])
                + ([f"{_q(c)} > {col.max!r}"] if col.max is not None else []))
            checks.append((cond, "range", c, f"{_label(col)} must lie in [{col.min}, {col.max}]", True))
    if checks:
        flags = ", ".join(f"coalesce({cond}, false) AS _f{i}" for i, (cond, *_r) in enumerate(checks))
        cols = ", ".join(_q(c) for c in dict.fromkeys(ch[2] for ch in checks if ch[4]))
        found = t.fetch(f"SELECT _source_file, _source_row{', ' + cols if cols else ''}, {flags} FROM {{t}} "
                        f"WHERE {' OR '.join(f'coalesce({ch[0]}, false)' for ch in checks)}" + _ORDER)
        for i, (_cond, rule, c, message, show) in enumerate(checks):
            hit = found[found[f"_f{i}"].astype(bool)]
            _add(log, t, hit, rule=rule, column=c, values=hit[c] if show else None, message=message)
    key = [k for k in spec.key if k in t.columns]
    if key and len(key) == len(spec.key):
        cols = ", ".join(_q(k) for k in key)
        notnull = " AND ".join(f"{_q(k)} IS NOT NULL" for k in key)
        found = t.fetch(
            f"WITH dup AS (SELECT {cols} FROM {v} WHERE {notnull} GROUP BY {cols} HAVING count(*) > 1), "
            f"r AS (SELECT _source_file, _source_row, {cols}, row_number() OVER (PARTITION BY {cols} "
            f"ORDER BY _source_file, _source_row) AS n FROM {v} SEMI JOIN dup USING ({cols})) "
            f"SELECT _source_file, _source_row, {cols} FROM r WHERE n > 1" + _ORDER)
        if not found.empty:
            vals = found[key].astype("string").agg(" / ".join, axis=1)
            _add(log, t, found, rule="unique_key", column=",".join(key), values=vals,
                 message=f"key ({', '.join(key)}) repeats an earlier row")
    extra = [c for c in t.columns if c not in spec.column_map and c not in t.partition_columns]
    if extra and not allow_extra:
        for c in extra:
            log.add(table=spec.name, file=t.file, rule="unknown_column", column=str(c), severity="warning",
                    message=f"column {c!r} is not part of {spec.name} ({spec.text_zh}) and is ignored")


def key_values(table, column: str) -> pd.Series:
    """The distinct non-missing values of a key column, from a DataFrame or (in SQL) a lazy table."""
    if isinstance(table, LazyTable):
        return table.fetch(f"SELECT DISTINCT {_q(column)} FROM {{t}} WHERE {_q(column)} IS NOT NULL")[column]
    return pd.Series(table[column].dropna().unique())


def lazy_foreign_keys(t: LazyTable, col, ref, *, log) -> None:
    """``foreign_key`` for one column of a lazy table; ``ref`` is the referenced table (DataFrame or lazy)."""
    ref_table, ref_col = col.references
    c = _q(col.name)
    if isinstance(ref, LazyTable) and ref._con is t._con:
        keys = f"(SELECT DISTINCT {_q(ref_col)} AS k FROM {ref.view})"
    else:
        name = f"_keys_{t._id}_{col.name}"
        t._con.register(name, pd.DataFrame({"k": key_values(ref, ref_col).astype(str).to_numpy(object)}))
        keys = name
    found = t.fetch(f"SELECT _source_file, _source_row, {c} FROM {{t}} ANTI JOIN {keys} kk ON {c} = kk.k "
                    f"WHERE {c} IS NOT NULL" + _ORDER)
    _add(log, t, found, rule="foreign_key", column=col.name, values=found[col.name],
         message=f"{_label(col)} not found in {ref_table}.{ref_col}")


def lazy_ticket_checks(t: LazyTable, *, log) -> None:
    """``ticket_dates`` (closed before opened) and ``ticket_status`` (status against the closed date)."""
    cols = set(t.columns)
    if {"opened", "closed"}.issubset(cols):
        found = t.fetch("SELECT _source_file, _source_row, closed FROM {t} WHERE closed < opened" + _ORDER)
        _add(log, t, found, rule="ticket_dates", column="closed",
             values=found["closed"].dt.strftime("%Y-%m-%d") if not found.empty else None,
             message="closed (办结日期) is before opened (登记日期)")
    if {"status", "closed"}.issubset(cols):
        for cond, msg in (
            ("status = 'open' AND closed IS NOT NULL", "status is open (未办结) but a closed date is given"),
            ("status IN ('resolved', 'unresolved') AND closed IS NULL",
             "status is closed but there is no closed date (办结日期)"),
        ):
            found = t.fetch(f"SELECT _source_file, _source_row, status FROM {{t}} WHERE {cond}" + _ORDER)
            _add(log, t, found, rule="ticket_status", column="status", values=found["status"], message=msg)
