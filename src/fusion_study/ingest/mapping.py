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
``free_text``      a free-text question: declared by the user, or a codebook question of type
                   ``text``/``id`` (kept apart as text, PII masked, never range-checked)
``pii``            IP, names, phones … (used in memory only where needed, never kept)
``empty``          an unnamed, empty column (trailing commas)
``unknown``        a column no codebook item claims — reported, then dropped
``missing_item``   a codebook item no column claims — reported
=================  =============================================================

A user mapping ``{export header or key: item_id}`` overrides ``source_column``.

Matrix rows exported under their title, ``5、(服务质量)—客户经理态度``, are matched
to the codebook item whose ``text_zh`` is the row label (``客户经理态度``) or the
title and row (``服务质量—客户经理态度``), when exactly one item matches and that
item claims no other column (its ``source_column`` empty or naming question 5).
Ambiguous or unmatched rows are reported (``unknown``, with the candidates in
``note``), never guessed.
"""

from __future__ import annotations

import re
import unicodedata

import pandas as pd

from fusion_study.data.privacy import PrivacyError, find_pii_columns
from fusion_study.data.validation import item_types
from fusion_study.ingest.headers import normalise_source_column, parse_header

__all__ = ["map_columns", "MAPPING_COLUMNS", "MappingError", "RESPONDENT_HINTS", "UNIT_HINTS"]

MAPPING_COLUMNS = ["column", "key", "role", "item_id", "note"]

#: Header words that name the respondent column when none is given, per instrument.
RESPONDENT_HINTS = {
    "customer_survey": re.compile(r"客户编[号码]|客户代码|零售户编[号码]|零售户代码|专卖许可证号|许可证号|customer[ _]?id"),
    "staff_survey": re.compile(r"员工编号|工号|化名|staff[ _]?id"),
}
UNIT_HINTS = re.compile(r"所在支部|支部编号|所属支部|unit[ _]?id|branch[ _]?id")
_EXTRA_PII = re.compile(r"昵称|nickname|用户名|username|收货地址|地址", re.IGNORECASE)


class MappingError(ValueError):
    """The export's columns cannot be matched to the codebook as asked."""


_DASHES = re.compile(r"\s*(?:—{1,2}|–|―|-{1,2})\s*")


def _norm_text(text) -> str:
    """Item or row text compared loosely: NFKC, no spaces, one kind of dash, case-folded."""
    if text is None or (not isinstance(text, str) and pd.isna(text)):
        return ""
    flat = unicodedata.normalize("NFKC", str(text)).strip().casefold()
    return re.sub(r"\s+", "", _DASHES.sub("—", flat))


def _row_label_matches(h, texts: dict[str, str], eligible) -> list[str]:
    """Codebook items whose text is this matrix row's label (or ``title—label``)."""
    labels = []
    if h.title is not None and h.sub is not None:
        labels = [_norm_text(f"{h.title}—{h.sub}"), _norm_text(h.sub)]
    elif h.sub is None and _DASHES.search(h.text or ""):
        # "5、服务质量—客户经理态度" (no parentheses): the whole text, then the part after the dash
        labels = [_norm_text(h.text), _norm_text(_DASHES.split(h.text)[-1])]
    for label in labels:
        found = [i for i in eligible(h.question) if label and texts.get(i) == label]
        if found:
            return found
    return []


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

    types = dict(zip(item_ids, item_types(items)))
    sources = items["source_column"] if "source_column" in items else pd.Series([None] * len(items))
    item_keys = {str(i): normalise_source_column(src) for i, src in zip(items["item_id"], sources)}
    key_items: dict[str, list[str]] = {}
    for item_id, key in item_keys.items():
        if item_id not in user_by_header.values() and key is not None:
            key_items.setdefault(key, []).append(item_id)
    # a key several items name (a matrix given as "5" for each row) maps no column by key alone
    key_to_item = {k: v[0] for k, v in key_items.items() if len(v) == 1}
    shared_keys = {k: v for k, v in key_items.items() if len(v) > 1}
    # Question numbers whose scale items are all sub-items (a multi-select or matrix).
    sub_questions = {k.split("(")[0] for k, i in key_to_item.items() if "(" in k and types[i] == "scale"}
    texts = {str(i): _norm_text(t) for i, t in zip(items["item_id"], items["text_zh"] if "text_zh" in items
                                                      else [None] * len(items))}

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
                "(on the command line --respondent-column: a header such as '1、客户编号', its number '1', "
                "or '来源详情')"
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
            if h.kind == "question" and h.key in key_to_item and types[key_to_item[h.key]] != "scale":
                item_id = key_to_item[h.key]  # the codebook lists the respondent (or unit) question too
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
            if h.kind == "question" and h.key in shared_keys:
                note = (f"several codebook items name source column {h.key!r} "
                        f"({', '.join(shared_keys[h.key])}); map it with --map/columns=")
        if role == "item" and types.get(item_id) != "scale":
            role, note = "free_text", f"codebook {types[item_id]} question: kept as text, personal data masked"
        if item_id is not None:
            if item_id in claimed:
                raise MappingError(
                    f"{file}: item {item_id!r} is claimed by two columns: {claimed[item_id]!r} and {c!r}"
                )
            claimed[item_id] = c
        rows.append({"column": str(c), "key": h.key, "role": role, "item_id": item_id, "note": note})

    # Matrix rows exported as "5、(标题)—子项": match the row label to an item's text, uniquely.
    def eligible(question):
        out = []
        for item_id in item_ids:
            key = item_keys[item_id]
            if item_id in claimed or item_id in user_by_header.values():
                continue
            if key is None or key.split("(")[0] == str(question):
                out.append(item_id)
        return out

    proposals: dict[int, list[str]] = {}
    for n, (r, h) in enumerate(zip(rows, parsed.values())):
        if r["role"] == "unknown" and h.kind == "question":
            found = _row_label_matches(h, texts, eligible)
            if found:
                proposals[n] = found
    wanted: dict[str, list[int]] = {}
    for n, found in proposals.items():
        for item_id in found:
            wanted.setdefault(item_id, []).append(n)
    for n, found in proposals.items():
        r = rows[n]
        if len(found) == 1 and len(wanted[found[0]]) == 1:
            item_id = found[0]
            r["item_id"] = item_id
            r["role"] = "item" if types[item_id] == "scale" else "free_text"
            r["note"] = f"matched by its matrix row label to the text of {item_id}"
            claimed[item_id] = r["column"]
        elif len(found) > 1:
            r["note"] = (f"its matrix row label matches several codebook items ({', '.join(found)}); "
                         "map it with --map/columns=")
        else:
            others = [rows[m]["column"] for m in wanted[found[0]] if m != n]
            r["note"] = (f"its matrix row label matches codebook item {found[0]}, but so do other columns "
                         f"({', '.join(others)}); map it with --map/columns=")
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
