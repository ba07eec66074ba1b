"""Validation rules for a study, reporting every problem at once.

Each problem names the table, source file, source row (as a spreadsheet shows
it: the header is row 1), column, offending value and the rule broken, in
plain English with the user's Chinese term where the schema has one.
:class:`ValidationReport` holds them as a DataFrame and renders readable text;
:class:`StudyValidationError` carries a report.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from fusion_study.data.lazy import is_lazy
from fusion_study.data.schema import CODEBOOK, TABLES, VOCABULARIES, Column, Table

__all__ = [
    "PROBLEM_COLUMNS",
    "ProblemLog",
    "ValidationReport",
    "StudyValidationError",
    "check_table",
    "check_study",
    "item_types",
    "ITEM_TYPES",
]

PROBLEM_COLUMNS = ["severity", "table", "file", "row", "column", "value", "rule", "message"]

#: Rules and what they mean (the `rule` column of a report).
RULES = {
    "missing_table": "a required table is absent",
    "missing_column": "a required column is absent",
    "unknown_column": "a column the schema does not know (ignored)",
    "type": "a value cannot be read as the column's type",
    "date_range": "a date lies outside the plausible range (1990-01-01 to 2099-12-31)",
    "required_value": "a value is missing where one is required",
    "allowed_values": "a value is not in the column's closed list",
    "range": "a number is outside the allowed range",
    "unique_key": "a key value appears more than once",
    "foreign_key": "a reference to another table does not resolve",
    "hierarchy": "the unit hierarchy is not a tree (city → county → branch)",
    "period": "a period is not a quarter such as 2024Q1",
    "likert_range": "a survey answer is outside the codebook's min..max",
    "ticket_dates": "a ticket is closed before it was opened",
    "ticket_status": "a ticket's status disagrees with its closed date",
    "codebook": "the codebook itself is inconsistent",
    "codebook_item": "a survey item column has no codebook entry, or a codebook item has no column",
    "pii": "a free-text survey column holds personal data that is not masked",
}

_MAX_TEXT_EXAMPLES = 5

#: Question types of codebook rows: ``scale`` (numbered answers within min..max, the default),
#: ``text`` (free text) and ``id`` (an identifier such as the retailer code). Text and id
#: questions are kept as text (personal data masked), never range-checked or scored.
ITEM_TYPES = ("scale", "text", "id")
_TYPE_ALIASES = {
    "scale": "scale", "likert": "scale", "choice": "scale", "single": "scale", "number": "scale",
    "量表": "scale", "单选": "scale", "打分": "scale", "评分": "scale", "多选": "scale",
    "text": "text", "open": "text", "free_text": "text", "文本": "text", "填空": "text", "开放": "text",
    "开放题": "text", "简答": "text", "id": "id", "identifier": "id", "编号": "id", "代码": "id",
}


def item_types(codebook: pd.DataFrame, *, file: str = "codebook") -> pd.Series:
    """Each codebook row's question type (:data:`ITEM_TYPES`), indexed like ``codebook``.

    From the optional ``type`` column (``scale``/``text``/``id``, or 量表/文本/编号 …);
    where it is absent or empty, a row with no ``min``, no ``max`` and no ``options``
    is a ``text`` question, any other row a ``scale`` item. An unknown type raises
    a ``ValueError`` naming the row and value.

    >>> cb = pd.DataFrame({"item_id": ["sat", "advice", "code"], "min": [1, None, None],
    ...                    "max": [5, None, None], "type": [None, None, "id"]})
    >>> item_types(cb).tolist()
    ['scale', 'text', 'id']
    """
    def blank(col):
        if col not in codebook.columns:
            return pd.Series(True, index=codebook.index)
        s = codebook[col]
        return s.isna() | s.astype("string").str.strip().eq("").fillna(True)

    inferred = pd.Series("scale", index=codebook.index, dtype="object")
    inferred[blank("min") & blank("max") & blank("options")] = "text"
    if "type" not in codebook.columns:
        return inferred
    given = codebook["type"].astype("string").str.strip().str.lower()
    mapped = given.map(_TYPE_ALIASES)
    bad = given.notna() & given.ne("") & mapped.isna()
    if bad.any():
        row = codebook.index[bad.to_numpy()][0]
        raise ValueError(
            f"{file}, row {row}, column type: value {codebook.at[row, 'type']!r} is not a question type; "
            f"use one of {', '.join(ITEM_TYPES)} (empty: scale, or text when min, max and options are empty)"
        )
    return mapped.astype("object").where(mapped.notna(), inferred)


class ProblemLog:
    """Collects problems as small DataFrames (vectorised: one call per rule)."""

    def __init__(self) -> None:
        self._parts: list[pd.DataFrame] = []

    def add(
        self,
        *,
        table: str,
        file: str,
        rule: str,
        message,
        rows=None,
        column: str = "",
        values=None,
        severity: str = "error",
    ) -> None:
        """Add the problems of one rule: one per row in ``rows`` (none: a table-level problem).

        ``file`` is one name, or one per row (the partition files of a lazy table).
        """
        if rule not in RULES:
            raise ValueError(f"unknown rule {rule!r}")
        if rows is None:
            rows_arr = np.array([pd.NA], dtype=object)
        else:
            rows_arr = np.asarray(pd.Index(rows).to_numpy(), dtype=object)
            if len(rows_arr) == 0:
                return
        n = len(rows_arr)
        if values is None:
            vals = np.full(n, "", dtype=object)
        else:
            vals = np.asarray(pd.Series(values, dtype="object").map(_show).to_numpy(), dtype=object)
        part = pd.DataFrame(
            {
                "severity": severity,
                "table": table,
                "file": file,
                "row": rows_arr,
                "column": column,
                "value": vals,
                "rule": rule,
                "message": message,
            }
        )
        self._parts.append(part)

    def extend(self, other: "ProblemLog") -> None:
        self._parts.extend(other._parts)

    def to_frame(self) -> pd.DataFrame:
        if not self._parts:
            return pd.DataFrame({c: pd.Series(dtype="object") for c in PROBLEM_COLUMNS})
        df = pd.concat(self._parts, ignore_index=True)
        df["row"] = df["row"].astype("Int64")
        return df[PROBLEM_COLUMNS]


def _show(value) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "<missing>"
    text = str(value)
    return text if len(text) <= 60 else text[:57] + "..."


class ValidationReport:
    """All problems found in a study; ``ok`` when there are no errors."""

    def __init__(self, problems: pd.DataFrame) -> None:
        self.problems = problems.reset_index(drop=True)

    @property
    def errors(self) -> pd.DataFrame:
        return self.problems[self.problems["severity"] == "error"]

    @property
    def warnings(self) -> pd.DataFrame:
        return self.problems[self.problems["severity"] == "warning"]

    @property
    def ok(self) -> bool:
        return self.errors.empty

    def to_frame(self) -> pd.DataFrame:
        """The problems: ``severity, table, file, row, column, value, rule, message``."""
        return self.problems.copy()

    def summary(self) -> pd.DataFrame:
        """Counts by severity, table, column and rule."""
        if self.problems.empty:
            return pd.DataFrame(columns=["severity", "table", "column", "rule", "n"])
        return (
            self.problems.groupby(["severity", "table", "column", "rule"], sort=True)
            .size()
            .rename("n")
            .reset_index()
        )

    def __str__(self) -> str:
        if self.problems.empty:
            return "Validation passed: no problems."
        n_err, n_warn = len(self.errors), len(self.warnings)
        lines = [f"Validation found {n_err} error(s) and {n_warn} warning(s)."]
        keys = ["severity", "table", "column", "rule"]
        for (severity, table, column, rule), group in self.problems.groupby(keys, sort=False):
            where = f"{table}.{column}" if column else table
            lines.append(f"\n[{severity}] {where} — {rule}: {len(group)} problem(s)")
            for _, p in group.head(_MAX_TEXT_EXAMPLES).iterrows():
                loc = f"{p['file']}" + (f", row {p['row']}" if pd.notna(p["row"]) else "")
                val = f" value {p['value']!r}" if p["value"] else ""
                lines.append(f"  - {loc}:{val} {p['message']}")
            if len(group) > _MAX_TEXT_EXAMPLES:
                lines.append(f"  … and {len(group) - _MAX_TEXT_EXAMPLES} more")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"ValidationReport(errors={len(self.errors)}, warnings={len(self.warnings)})"

    def _repr_html_(self) -> str:  # pragma: no cover - notebook display
        import html

        return f"<pre>{html.escape(str(self))}</pre>"

    def raise_if_errors(self) -> None:
        if not self.ok:
            raise StudyValidationError(self)


class StudyValidationError(ValueError):
    """Raised when a study breaks validation rules; ``.report`` holds every problem."""

    def __init__(self, report: ValidationReport) -> None:
        self.report = report
        super().__init__(str(report))


# ---------------------------------------------------------------------------
# Per-table rules
# ---------------------------------------------------------------------------
def _label(col: Column) -> str:
    return f"{col.name} ({col.text_zh})"


def check_table(
    df: pd.DataFrame, spec: Table, *, file: str, log: ProblemLog, allow_extra: bool = False
) -> None:
    """Column presence, required values, closed vocabularies, ranges, periods, unique keys."""
    for col in spec.columns:
        if col.name not in df.columns:
            if col.required:
                log.add(
                    table=spec.name,
                    file=file,
                    rule="missing_column",
                    column=col.name,
                    message=f"required column {_label(col)} is missing from {spec.name} ({spec.text_zh})",
                )
            continue
        s = df[col.name]
        missing = s.isna()
        if not col.nullable and missing.any():
            log.add(
                table=spec.name,
                file=file,
                rule="required_value",
                rows=df.index[missing],
                column=col.name,
                message=f"{_label(col)} must not be empty",
            )
        present = ~missing
        if col.vocabulary:
            allowed = VOCABULARIES[col.vocabulary]
            bad = present & ~s.isin(list(allowed))
            if bad.any():
                listing = ", ".join(f"{k} ({zh})" for k, (zh, _) in allowed.items())
                log.add(
                    table=spec.name,
                    file=file,
                    rule="allowed_values",
                    rows=df.index[bad],
                    column=col.name,
                    values=s[bad],
                    message=f"{_label(col)} must be one of: {listing}",
                )
        if col.min is not None or col.max is not None:
            num = pd.to_numeric(s, errors="coerce")
            bad = pd.Series(False, index=df.index)
            if col.min is not None:
                bad |= num < col.min
            if col.max is not None:
                bad |= num > col.max
            bad = bad.fillna(False).astype(bool)
            if bad.any():
                log.add(
                    table=spec.name,
                    file=file,
                    rule="range",
                    rows=df.index[bad],
                    column=col.name,
                    values=s[bad],
                    message=f"{_label(col)} must lie in [{col.min}, {col.max}]",
                )
    key = [k for k in spec.key if k in df.columns]
    if key and len(key) == len(spec.key):
        dup = df.duplicated(subset=key, keep="first") & df[key].notna().all(axis=1)
        if dup.any():
            vals = df.loc[dup, key].astype("string").agg(" / ".join, axis=1)
            log.add(
                table=spec.name,
                file=file,
                rule="unique_key",
                rows=df.index[dup],
                column=",".join(key),
                values=vals,
                message=f"key ({', '.join(key)}) repeats an earlier row",
            )
    known = set(spec.column_map)
    extra = [c for c in df.columns if c not in known]
    if extra and not allow_extra:
        for c in extra:
            log.add(
                table=spec.name,
                file=file,
                rule="unknown_column",
                column=str(c),
                severity="warning",
                message=f"column {c!r} is not part of {spec.name} ({spec.text_zh}) and is ignored",
            )


def _check_foreign_keys(tables, files, log: ProblemLog) -> None:
    from fusion_study.data.validation_sql import key_values, lazy_foreign_keys

    for name, df in tables.items():
        spec = TABLES.get(name)
        if spec is None:
            continue
        for col in spec.columns:
            if not col.references or col.name not in df.columns:
                continue
            ref_table, ref_col = col.references
            ref = tables.get(ref_table)
            if ref is None or ref_col not in ref.columns:
                continue
            if is_lazy(df):
                lazy_foreign_keys(df, col, ref, log=log)
                continue
            s = df[col.name]
            bad = s.notna() & ~s.isin(key_values(ref, ref_col))
            if bad.any():
                log.add(
                    table=name,
                    file=files.get(name, ""),
                    rule="foreign_key",
                    rows=df.index[bad],
                    column=col.name,
                    values=s[bad],
                    message=f"{_label(col)} not found in {ref_table}.{ref_col}",
                )


_LEVEL_PARENT = {"city": {None}, "county": {"city"}, "branch": {"county"}}
_LEVEL_ORDER = {"city": 0, "county": 1, "branch": 2}


def _check_hierarchy(units: pd.DataFrame, file: str, log: ProblemLog) -> None:
    if not {"unit_id", "parent_id", "level"}.issubset(units.columns):
        return
    ids = units["unit_id"]
    parent_of = {u: (p if isinstance(p, str) else None) for u, p in zip(ids, units["parent_id"])}
    level_of = dict(zip(ids, units["level"]))
    # wrong parent level (city has no parent; county under a city; branch under a county)
    parent_level = units["parent_id"].map(level_of)
    expected = units["level"].map({"city": "", "county": "city", "branch": "county"})
    actual = parent_level.fillna("").astype("string")
    has_parent = units["parent_id"].notna()
    bad = units["level"].isin(list(_LEVEL_PARENT)) & (
        (units["level"].eq("city") & has_parent)
        | (~units["level"].eq("city") & ~has_parent)
        | (has_parent & units["parent_id"].isin(ids) & (actual != expected))
    )
    bad = bad.fillna(False).astype(bool)
    if bad.any():
        msg = units.loc[bad, "level"].map(
            {
                "city": "a city bureau (市局) has no parent",
                "county": "a county bureau (县区局) must sit under a city bureau (市局)",
                "branch": "a party branch (党支部) must sit under a county bureau (县区局)",
            }
        )
        log.add(
            table="units",
            file=file,
            rule="hierarchy",
            rows=units.index[bad],
            column="parent_id",
            values=units.loc[bad, "parent_id"],
            message=msg.to_numpy(),
        )
    # cycles: follow parents; a unit that revisits itself is in a cycle
    in_cycle = []
    for uid in ids:
        seen = set()
        cur = uid
        while isinstance(cur, str) and cur in parent_of and cur not in seen:
            seen.add(cur)
            cur = parent_of[cur]
        if isinstance(cur, str) and cur == uid:
            in_cycle.append(uid)
    if in_cycle:
        mask = ids.isin(in_cycle)
        log.add(
            table="units",
            file=file,
            rule="hierarchy",
            rows=units.index[mask],
            column="parent_id",
            values=units.loc[mask, "parent_id"],
            message="the unit is its own ancestor (a cycle in parent_id)",
        )


def _check_tickets(tickets: pd.DataFrame, file: str, log: ProblemLog) -> None:
    if {"opened", "closed"}.issubset(tickets.columns):
        bad = (tickets["closed"] < tickets["opened"]).fillna(False).astype(bool)
        if bad.any():
            log.add(
                table="tickets",
                file=file,
                rule="ticket_dates",
                rows=tickets.index[bad],
                column="closed",
                values=tickets.loc[bad, "closed"].dt.strftime("%Y-%m-%d"),
                message="closed (办结日期) is before opened (登记日期)",
            )
    if {"status", "closed"}.issubset(tickets.columns):
        open_with_date = tickets["status"].eq("open") & tickets["closed"].notna()
        closed_no_date = tickets["status"].isin(["resolved", "unresolved"]) & tickets["closed"].isna()
        for mask, msg in (
            (open_with_date, "status is open (未办结) but a closed date is given"),
            (closed_no_date, "status is closed but there is no closed date (办结日期)"),
        ):
            mask = mask.fillna(False).astype(bool)
            if mask.any():
                log.add(
                    table="tickets",
                    file=file,
                    rule="ticket_status",
                    rows=tickets.index[mask],
                    column="status",
                    values=tickets.loc[mask, "status"],
                    message=msg,
                )


def _check_codebook(codebook: pd.DataFrame, file: str, log: ProblemLog) -> None:
    try:
        types = item_types(codebook, file=file)
    except ValueError as exc:
        log.add(table="codebook", file=file, rule="codebook", column="type", message=str(exc))
        types = pd.Series("scale", index=codebook.index)
    scored = types.eq("scale").to_numpy()
    if scored.all():
        check_table(codebook.drop(columns=["type"], errors="ignore"), CODEBOOK, file=file, log=log)
    else:
        # text and id questions have no scale, reverse, min or max: those are required of scale items only
        relaxed = ("scale", "reverse", "min", "max")
        loose = replace(CODEBOOK, columns=tuple(
            replace(c, nullable=True) if c.name in relaxed else c for c in CODEBOOK.columns))
        check_table(codebook.drop(columns=["type"], errors="ignore"), loose, file=file, log=log)
        for col in CODEBOOK.columns:
            if col.name in relaxed and col.name in codebook.columns and not col.nullable:
                missing = codebook[col.name].isna().to_numpy() & scored
                if missing.any():
                    log.add(table="codebook", file=file, rule="required_value", rows=codebook.index[missing],
                            column=col.name, message=f"{_label(col)} must not be empty for a scale item "
                            "(leave min, max and options empty, or set type=text, for a text question)")
    if {"min", "max"}.issubset(codebook.columns):
        bad = (codebook["min"] >= codebook["max"]).fillna(False).astype(bool)
        if bad.any():
            log.add(
                table="codebook",
                file=file,
                rule="codebook",
                rows=codebook.index[bad],
                column="min",
                values=codebook.loc[bad, "item_id"],
                message="min (最小值) must be below max (最大值)",
            )


def _check_survey_items(
    df: pd.DataFrame, table: str, instrument: str, codebook: pd.DataFrame, file: str, log: ProblemLog
) -> None:
    spec = TABLES[table]
    items = codebook[codebook["instrument"] == instrument] if "instrument" in codebook else codebook.iloc[0:0]
    unscored: dict = {}
    try:
        types = item_types(items)
        unscored = dict(zip(items["item_id"][types.ne("scale").to_numpy()], types[types.ne("scale")]))
        items = items[types.eq("scale").to_numpy()]  # text and id questions are not table columns
    except ValueError:
        pass  # reported by the codebook check
    known = set(spec.column_map)
    item_cols = [c for c in df.columns if c not in known and not str(c).startswith("flag_")]
    item_ids = set(items["item_id"].dropna())
    for c in item_cols:
        if unscored.get(c) == "text":
            # free text may stand in a survey table once personal data is masked (privacy.mask_pii_text)
            from fusion_study.data.privacy import mask_pii_text

            text = df[c].astype("string")
            leak = (mask_pii_text(text) != text).fillna(False).to_numpy(dtype=bool)
            if leak.any():
                log.add(table=table, file=file, rule="pii", rows=df.index[leak], column=str(c),
                        values=pd.Series(["(personal data, not shown)"] * int(leak.sum())),
                        message=f"free-text column {c!r} holds personal data (names, phone numbers …); mask it "
                        "first (fusion_study.data.privacy.mask_pii_text, or `fusion-study import-survey`)")
            continue
        if c in unscored:
            message = (
                f"column {c!r} is {'an' if unscored[c] == 'id' else 'a'} {unscored[c]} question in the {instrument} codebook (no min, max or options), "
                f"and {table} holds scored answers only: free text and codes may hold personal data. Delete the "
                "column, or import the export with `fusion-study import-survey` (it keeps free text apart, masked)"
            )
        elif c not in item_ids:
            message = f"column {c!r} is not an item of the {instrument} codebook"
        else:
            continue
        log.add(table=table, file=file, rule="codebook_item", column=str(c), message=message)
    for _, item in items.iterrows():
        iid = item["item_id"]
        if iid not in df.columns:
            log.add(
                table=table,
                file=file,
                rule="codebook_item",
                column=str(iid),
                severity="warning",
                message=f"codebook item {iid!r} ({item.get('text_zh', '')}) has no column in {table}",
            )
            continue
        num = pd.to_numeric(df[iid], errors="coerce")
        bad_type = df[iid].notna() & num.isna()
        if bad_type.any():
            log.add(
                table=table,
                file=file,
                rule="type",
                rows=df.index[bad_type],
                column=str(iid),
                values=df.loc[bad_type, iid],
                message=f"answer to {iid!r} is not a number",
            )
        bad = ((num < item["min"]) | (num > item["max"])).fillna(False).astype(bool)
        if bad.any():
            log.add(
                table=table,
                file=file,
                rule="likert_range",
                rows=df.index[bad],
                column=str(iid),
                values=df.loc[bad, iid],
                message=f"answer to {iid!r} ({item.get('text_zh', '')}) must lie in {item['min']}..{item['max']}",
            )


def check_study(
    tables: dict[str, pd.DataFrame],
    codebook: pd.DataFrame | None,
    files: dict[str, str],
    *,
    prior: ProblemLog | None = None,
) -> ValidationReport:
    """Run every rule on a study's tables; return all problems at once.

    A lazy table (:class:`~fusion_study.data.lazy.LazyTable`) is checked in DuckDB SQL
    (:mod:`fusion_study.data.validation_sql`): the same rules and messages, each problem
    naming the Parquet file (the partition file of a folder table) and its row.
    """
    log = ProblemLog()
    if prior is not None:
        log.extend(prior)
    for name, spec in TABLES.items():
        if spec.required and name not in tables:
            log.add(
                table=name,
                file="",
                rule="missing_table",
                message=f"the study has no {name} ({spec.text_zh}) table",
            )
    for name, df in tables.items():
        spec = TABLES.get(name)
        if spec is None:
            continue
        if is_lazy(df):  # the same rules in DuckDB SQL, with the load-time type checks
            from fusion_study.data.validation_sql import check_lazy_table

            check_lazy_table(df, spec, log=log, allow_extra=bool(spec.item_columns))
            continue
        check_table(df, spec, file=files.get(name, ""), log=log, allow_extra=bool(spec.item_columns))
    _check_foreign_keys(tables, files, log)
    if "units" in tables:
        _check_hierarchy(tables["units"], files.get("units", ""), log)
    if "tickets" in tables and is_lazy(tables["tickets"]):
        from fusion_study.data.validation_sql import lazy_ticket_checks

        lazy_ticket_checks(tables["tickets"], log=log)
    elif "tickets" in tables:
        _check_tickets(tables["tickets"], files.get("tickets", ""), log)
    survey_tables = [n for n in tables if TABLES.get(n) is not None and TABLES[n].item_columns]
    if codebook is not None:
        _check_codebook(codebook, files.get("codebook", ""), log)
    elif survey_tables:
        log.add(
            table="codebook",
            file="",
            rule="missing_table",
            message="survey tables are present but the study has no codebook (编码手册)",
        )
    if codebook is not None and {"item_id", "min", "max"}.issubset(codebook.columns):
        for name in survey_tables:
            _check_survey_items(
                tables[name], name, TABLES[name].item_columns, codebook, files.get(name, ""), log
            )
    return ValidationReport(log.to_frame())
