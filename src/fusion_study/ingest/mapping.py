"""Explicit, checked mapping of export columns to codebook items.

Every export column gets a *role*; nothing is guessed:

=================  =============================================================
role               meaning
=================  =============================================================
``item``           answers to one codebook item (header key = the item's ``source_column``)
``multi_select``   a multi-select question exported as one column (``A┋B``), split into
                   the codebook's 0/1 sub-items ``N(选项)``
``meta``           序号, 提交答卷时间, 所用时间, 来源, 来源详情 (read, then dropped)
``respondent``     the column naming the respondent (customer or staff id)
``unit``           the staff survey's branch column
``free_text``      a question the user declared as free text (kept apart, PII masked)
``pii``            IP, names, phones … (used in memory only where needed, never kept)
``empty``          an unnamed, empty column (trailing commas)
``unknown``        a column no codebook item claims — reported, then dropped
``missing_item``   a codebook item no column claims — reported
=================  =============================================================

A user mapping ``{export header or key: item_id}`` overrides ``source_column``.
"""

from __future__ import annotations

import re

import pandas as pd

from fusion_study.data.privacy import PrivacyError, find_pii_columns
from fusion_study.ingest.headers import normalise_source_column, parse_header

__all__ = ["map_columns", "MAPPING_COLUMNS", "MappingError", "RESPONDENT_HINTS", "UNIT_HINTS"]

MAPPING_COLUMNS = ["column", "key", "role", "item_id", "note"]

#: Header words that name the respondent column when none is given, per instrument.
RESPONDENT_HINTS = {
    "customer_survey": re.compile(r"客户编号|客户代码|零售户编号|专卖许可证号|许可证号|customer[ _]?id"),
    "staff_survey": re.compile(r"员工编号|工号|化名|staff[ _]?id"),
}
UNIT_HINTS = re.compile(r"所在支部|支部编号|所属支部|unit[ _]?id|branch[ _]?id")
_EXTRA_PII = re.compile(r"昵称|nickname|用户名|username|收货地址|地址", re.IGNORECASE)


class MappingError(ValueError):
    """The export's columns cannot be matched to the codebook as asked."""


def _resolve_user_column(spec: str, parsed: dict, what: str, file: str) -> str:
    """Find the export column a user named by header, key (``"1"``) or meta name (来源详情)."""
    spec_text = str(spec).strip()
    for header, h in parsed.items():
        if str(header).strip() == spec_text:
            return header
    key = normalise_source_column(spec_text)
    meta = parse_header(spec_text)
    for header, h in parsed.items():
        if key is not None and h.key == key:
            return header
        if meta.kind == "meta" and h.meta == meta.meta:
            return header
    raise MappingError(
        f"{file}: the {what} column {spec!r} is not in the export; its columns are: "
        + ", ".join(str(c) for c in parsed)
    )


def map_columns(
    columns,
    codebook: pd.DataFrame,
    *,
    instrument: str,
    respondent_column: str | None = None,
    unit_column: str | None = None,
    text_columns=(),
    user_mapping: dict | None = None,
    empty_columns=(),
    file: str = "",
) -> pd.DataFrame:
    """Give every export column a role and every codebook item a column.

    Parameters
    ----------
    columns : the export's headers.
    codebook : the codebook (rows of other instruments are ignored).
    respondent_column : header, question key (``"1"``) or meta name (``"来源详情"``) of the
        respondent id. ``None`` looks for a question whose text names it (客户编号/员工编号 …);
        with none or several, :class:`MappingError` asks the user to name it.
    unit_column : staff survey only: the branch column (``None``: a question naming 所在支部).
    text_columns : headers or keys of free-text questions to keep (PII masked).
    user_mapping : ``{header or key: item_id}`` overriding the codebook's ``source_column``.
    empty_columns : unnamed columns that hold no value (dropped quietly).

    Returns
    -------
    DataFrame with columns ``column, key, role, item_id, note``: one row per
    export column, then one ``missing_item`` row per unclaimed codebook item.

    >>> from fusion_study.data.instruments import standard_codebook
    >>> m = map_columns(["序号", "1、客户编号", "5、总体满意度", "9、其他"], standard_codebook(),
    ...                 instrument="customer_survey")
    >>> m.loc[m.role != "missing_item", ["key", "role", "item_id"]].fillna("-").values.tolist()
    [['-', 'meta', '-'], ['1', 'respondent', '-'], ['5', 'item', 'sat1'], ['9', 'unknown', '-']]
    """
    items = codebook[codebook["instrument"] == instrument] if "instrument" in codebook else codebook
    if items.empty:
        raise MappingError(f"the codebook has no items for instrument {instrument!r}")
    item_ids = [str(i) for i in items["item_id"]]
    parsed = {c: parse_header(c) for c in columns}
    user_mapping = dict(user_mapping or {})
    unknown_targets = sorted({str(v) for v in user_mapping.values()} - set(item_ids))
    if unknown_targets:
        raise MappingError(
            f"the column mapping names item(s) {unknown_targets} that are not in the {instrument} codebook "
            f"(its items: {', '.join(item_ids)})"
        )
    user_by_header = {}
    for spec, item_id in user_mapping.items():
        user_by_header[_resolve_user_column(spec, parsed, f"mapped ({item_id})", file)] = str(item_id)

    key_to_item: dict[str, str] = {}
    for item_id, source in zip(items["item_id"], items["source_column"] if "source_column" in items else [None] * len(items)):
        if str(item_id) in user_by_header.values():
            continue
        key = normalise_source_column(source)
        if key is not None:
            key_to_item[key] = str(item_id)
    # Question numbers whose items are all sub-items (a multi-select or matrix).
    sub_questions = {k.split("(")[0] for k in key_to_item if "(" in k}

    pii = set(find_pii_columns(columns)) | {c for c in columns if _EXTRA_PII.search(str(c))}
    pii |= {c for c, h in parsed.items() if h.kind == "meta" and h.meta == "ip"}

    special: dict = {}
    if respondent_column is None:
        hint = RESPONDENT_HINTS.get(instrument)
        found = [c for c, h in parsed.items() if h.kind == "question" and hint is not None and hint.search(h.text)]
        if len(found) != 1:
            why = "no question" if not found else f"several questions ({', '.join(map(str, found))})"
            raise MappingError(
                f"{file}: {why} name(s) the respondent (客户编号/员工编号); pass respondent_column= "
                "(a header such as '1、客户编号', its number '1', or '来源详情')"
            )
        special[found[0]] = "respondent"
    else:
        special[_resolve_user_column(respondent_column, parsed, "respondent", file)] = "respondent"
    if instrument == "staff_survey":
        if unit_column is None:
            found = [c for c, h in parsed.items() if h.kind == "question" and UNIT_HINTS.search(h.text)]
            if len(found) != 1:
                raise MappingError(
                    f"{file}: cannot tell which column holds the respondent's branch (所在支部); "
                    "pass unit_column="
                )
            special[found[0]] = "unit"
        else:
            special[_resolve_user_column(unit_column, parsed, "unit", file)] = "unit"
    for spec in text_columns:
        special[_resolve_user_column(spec, parsed, "free-text", file)] = "free_text"
    for c, role in special.items():
        if role in ("respondent", "unit") and c in pii:
            raise PrivacyError(
                f"{file}: the {role} column {c!r} holds personal data (name, phone, IP …); "
                "use a pseudonymous id column instead"
            )

    rows = []
    claimed: dict[str, str] = {}
    empty = set(empty_columns)
    for c, h in parsed.items():
        role, item_id, note = "unknown", None, ""
        if c in user_by_header:
            role, item_id, note = "item", user_by_header[c], "user mapping"
        elif c in special:
            role = special[c]
        elif c in pii:
            role, note = "pii", "personal data: dropped at import"
        elif h.kind == "meta":
            role, note = "meta", h.meta
        elif h.kind == "unnamed" and c in empty:
            role, note = "empty", "unnamed empty column (trailing comma)"
        elif h.kind == "question" and h.key in key_to_item:
            role, item_id = "item", key_to_item[h.key]
        elif h.kind == "question" and h.sub is None and str(h.question) in sub_questions:
            role, note = "multi_select", "one column of ┋-joined choices, split into sub-items"
        else:
            note = "no codebook item claims this column; it is dropped"
        if role == "item":
            if item_id in claimed:
                raise MappingError(
                    f"{file}: item {item_id!r} is claimed by two columns: {claimed[item_id]!r} and {c!r}"
                )
            claimed[item_id] = c
        rows.append({"column": str(c), "key": h.key, "role": role, "item_id": item_id, "note": note})
    multi_q = {parsed[r["column"]].question for r in rows if r["role"] == "multi_select"} if rows else set()
    for item_id, source in zip(items["item_id"], items["source_column"] if "source_column" in items else [None] * len(items)):
        item_id = str(item_id)
        if item_id in claimed:
            continue
        key = normalise_source_column(source)
        if key is not None and "(" in key and int(key.split("(")[0]) in multi_q:
            continue
        rows.append(
            {
                "column": None,
                "key": key,
                "role": "missing_item",
                "item_id": item_id,
                "note": "no export column for this codebook item" if key else "the codebook gives no source_column",
            }
        )
    return pd.DataFrame(rows, columns=MAPPING_COLUMNS)
