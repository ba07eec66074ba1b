"""Writing canonical responses as a realistic 问卷星 (Wenjuanxing) export.

Used to build test fixtures in code, in the importing notebook, and by the
simulator to export the bundled study. The output is deterministic: the same
responses give the same bytes (XLSX timestamps are fixed, see
:mod:`fusion_study.data.xlsxio`).
"""

from __future__ import annotations

from fusion_study.data.checks import check_choice

from pathlib import Path

import numpy as np
import pandas as pd

from fusion_study.data.codebook import parse_options
from fusion_study.data.validation import item_types
from fusion_study.data.xlsxio import write_xlsx_deterministic
from fusion_study.ingest.headers import normalise_source_column

__all__ = ["write_wenjuanxing_export", "wenjuanxing_frame"]

_FLAVOURS = ("code", "text")
_HEADER_STYLES = ("modern", "legacy")
_MULTI = ("split", "joined")
_RESPONDENT_HEADER = {"customer_survey": "客户编号", "staff_survey": "员工编号（化名）"}


def _header(q: int, text: str, style: str, sub: bool) -> str:
    if style == "legacy":
        return f"第{q}题({text})" if sub else f"第{q}题：{text}"
    return f"{q}、({text})" if sub else f"{q}、{text}"


def _wjx_time(ts: pd.Series) -> pd.Series:
    """``2024/3/5 10:21:33`` (no leading zeros in month and day, as 问卷星 writes)."""
    ok = ts.notna()
    out = pd.Series(pd.NA, index=ts.index, dtype="string")
    t = ts[ok]
    out[ok] = (
        t.dt.year.astype("string") + "/" + t.dt.month.astype("string") + "/" + t.dt.day.astype("string")
        + " " + t.dt.strftime("%H:%M:%S").astype("string")
    )
    return out


def _default_ips(n: int) -> pd.Series:
    i = np.arange(n, dtype=np.int64)
    a, b, c, d = 36 + i % 180, (i * 7) % 256, (i * 13 + 5) % 256, 1 + (i * 31) % 254
    return pd.Series([f"{w}.{x}.{y}.{z}(广东-广州)" for w, x, y, z in zip(a, b, c, d)], dtype="string")


def wenjuanxing_frame(
    responses: pd.DataFrame,
    codebook: pd.DataFrame,
    *,
    instrument: str = "customer_survey",
    flavour: str = "code",
    header_style: str = "modern",
    multi_select: str = "split",
    extra_columns: dict | None = None,
) -> pd.DataFrame:
    """The export as a DataFrame (what :func:`write_wenjuanxing_export` writes).

    Columns: 序号, 提交答卷时间, 所用时间, 来源, 来源详情, 来自IP, ``1、客户编号``
    (``1、员工编号（化名）`` and ``N、所在支部`` for the staff survey), then the
    codebook questions in order, then ``extra_columns`` (``{header: values}``;
    a ``来自IP`` entry replaces the generated addresses).

    Missing answers are written as ``-3`` (按序号) or ``(跳过)`` (按文本), as 问卷星 does.
    """
    check_choice("flavour", flavour, _FLAVOURS)
    check_choice("header_style", header_style, _HEADER_STYLES)
    check_choice("multi_select", multi_select, _MULTI)
    check_choice("instrument", instrument, tuple(_RESPONDENT_HEADER))
    respondent = "customer_id" if instrument == "customer_survey" else "staff_id"
    needed = [respondent] + (["unit_id"] if instrument == "staff_survey" else [])
    missing = [c for c in needed if c not in responses.columns]
    if missing:
        raise ValueError(f"responses lack column(s) {missing} needed to write a {instrument} export")
    items = codebook[codebook["instrument"] == instrument] if "instrument" in codebook else codebook
    text_items = set(items["item_id"][item_types(items).eq("text").to_numpy()])
    n = len(responses)
    r = responses.reset_index(drop=True)
    extra = {k: pd.Series(list(v), dtype="object") for k, v in (extra_columns or {}).items()}
    for k, v in extra.items():
        if len(v) != n:
            raise ValueError(f"extra column {k!r} has {len(v)} values for {n} responses")
    out: dict[str, pd.Series] = {}
    out["序号"] = pd.Series(np.arange(1, n + 1))
    out["提交答卷时间"] = _wjx_time(pd.to_datetime(r["submitted"])) if "submitted" in r else pd.Series(pd.NA, index=r.index)
    dur = r["duration_s"] if "duration_s" in r else pd.Series(np.nan, index=r.index)
    out["所用时间"] = (dur.round().astype("Int64").astype("string") + "秒").astype("string")
    out["来源"] = pd.Series("手机提交", index=r.index)
    out["来源详情"] = pd.Series("直接访问", index=r.index)
    out["来自IP"] = extra.pop("来自IP") if "来自IP" in extra else _default_ips(n)
    out[_header(1, _RESPONDENT_HEADER[instrument], header_style, False)] = r[respondent].astype("string")

    # questions in codebook order, grouped by number
    questions: dict[int, list[tuple[str, str | None, pd.Series]]] = {}
    for _, item in items.iterrows():
        key = normalise_source_column(item.get("source_column"))
        if key is None:
            continue
        q = int(key.split("(")[0])
        sub = key[key.index("(") + 1:-1] if "(" in key else None
        questions.setdefault(q, []).append((str(item["item_id"]), sub, item))
    if 1 in questions:
        raise ValueError("question 1 is the respondent id in written exports; the codebook must not use it")
    for q in sorted(questions):
        entries = questions[q]
        is_multi = all(sub is not None and item_id not in text_items and int(it["min"]) == 0 and int(it["max"]) == 1 for item_id, sub, it in entries)
        if is_multi and multi_select == "joined":
            subs = [sub for _, sub, _ in entries]
            mat = np.column_stack([r[i].to_numpy(dtype="float64", na_value=np.nan) if i in r else np.full(n, np.nan)
                                   for i, _, _ in entries])
            cells = []
            for row in mat:
                if np.isnan(row).all():
                    cells.append("(跳过)" if flavour == "text" else "-3")
                    continue
                chosen = [subs[j] if flavour == "text" else str(j + 1) for j in np.flatnonzero(row == 1)]
                cells.append("┋".join(chosen))
            out[_header(q, f"第{q}题（多选）", header_style, False)] = pd.Series(cells, dtype="object")
            continue
        for item_id, sub, item in entries:
            header = _header(q, sub if sub is not None else str(item["text_zh"]), header_style, sub is not None)
            values = r[item_id] if item_id in r else pd.Series(np.nan, index=r.index)
            if item_id in text_items:  # a free-text question: the answer as written, an empty cell when blank
                out[header] = values.astype("object").where(values.notna(), None)
                continue
            num = pd.to_numeric(values, errors="coerce")
            if flavour == "code":
                col = num.round().astype("Int64").fillna(-3).astype("int64")
            else:
                labels = parse_options(item.get("options")) if "options" in item else {}
                if is_multi:
                    labels = {0: "0", 1: str(sub)} | labels
                text = num.round().astype("Int64").map(lambda v: labels.get(int(v), str(int(v))), na_action="ignore")
                col = text.astype("object").where(num.notna(), "(跳过)")
            out[header] = col
    if instrument == "staff_survey":
        q_unit = max(questions) + 1
        out[_header(q_unit, "所在支部", header_style, False)] = r["unit_id"].astype("string")
    for k, v in extra.items():
        out[k] = v
    return pd.DataFrame(out)


def write_wenjuanxing_export(
    responses: pd.DataFrame,
    codebook: pd.DataFrame,
    path: str | Path,
    *,
    instrument: str = "customer_survey",
    flavour: str = "code",
    header_style: str = "modern",
    multi_select: str = "split",
    extra_columns: dict | None = None,
    encoding: str = "utf-8-sig",
) -> Path:
    """Write canonical responses as a 问卷星 export (``.xlsx`` or ``.csv`` by the path's suffix).

    Parameters
    ----------
    responses : canonical survey rows (``customer_id`` or ``staff_id``/``unit_id``,
        ``submitted``, ``duration_s`` and item columns).
    codebook : the codebook; ``source_column`` places each item in the export.
    flavour : ``"code"`` (按序号) or ``"text"`` (按文本, option text from ``options``).
    header_style : ``"modern"`` (``N、题干``, ``N、(子项)``) or ``"legacy"`` (pre-2019 ``第N题(子项)``).
    multi_select : ``"split"`` (one 0/1 column per option) or ``"joined"`` (``A┋B``).
    extra_columns : ``{header: values}`` added after the questions (free text, names …).
    encoding : CSV only: ``"utf-8-sig"`` (newer exports), ``"utf-8"`` or ``"gb18030"`` (older ones).

    Returns the path written. Same inputs → same bytes.
    """
    check_choice("encoding", encoding, ("utf-8-sig", "utf-8", "gb18030"))
    path = Path(path)
    frame = wenjuanxing_frame(
        responses, codebook, instrument=instrument, flavour=flavour, header_style=header_style,
        multi_select=multi_select, extra_columns=extra_columns,
    )
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        write_xlsx_deterministic(frame, path, sheet_name="Sheet1", literal_text=True)
    elif suffix == ".csv":
        frame.to_csv(path, index=False, encoding=encoding, lineterminator="\r\n")
    else:
        raise ValueError(f"{path.name}: write a .xlsx or .csv export, not {suffix!r}")
    return path
