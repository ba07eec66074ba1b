"""``import_survey``: a survey export in, canonical responses + ledger + reports out.

Steps, each reported:

1. read the export (CSV with encoding detection, XLSX, Parquet, SPSS .sav);
2. map columns to codebook items (:func:`.mapping.map_columns`) — unknown
   columns and items without a column are reported, never guessed;
3. code the answers (按序号 / 按文本, multi-select, missing markers);
4. read the meta columns: 提交答卷时间 → ``submitted`` (and the wave, unless
   given), 所用时间 → ``duration_s``, the respondent column → ``customer_id``
   (or ``staff_id`` and ``unit_id``);
5. privacy: IP, names, phones and other PII columns are dropped (the IP is
   used in memory for duplicate detection only); free-text answers (declared
   with ``text_columns`` or listed in the codebook as ``text``/``id``
   questions) are kept apart with phone, ID-card, e-mail and IP numbers and
   names masked (:func:`fusion_study.data.privacy.mask_pii_text`);
6. screening (:mod:`.screening`) with the ledger;
7. validation of the kept rows against the schema and codebook.

The respondent
--------------
``respondent_column`` names the column that identifies the respondent: a
header (``"1、客户编号"``), its question number (``"1"``) or ``"来源详情"``
(问卷星 links sent to a list carry the id as ``?sojumpparm=ID``). When it is
not given, the one question whose text says 客户编号 (customer survey) or
员工编号/工号 (staff survey) is used; if there is none or more than one, the
import stops and asks.

Response ids
------------
``response_id`` is ``{id_prefix}{wave}-{序号:06d}`` (``CS`` for the customer
survey, ``SS`` for the staff survey unless ``id_prefix`` is given), from the
export's 序号 or, without one, its row order. Importing the same export twice
into one study therefore collides and is refused.
"""

from __future__ import annotations

from fusion_study.data.checks import check_choice

import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from fusion_study.data.ledger import Ledger
from fusion_study.data.periods import normalise_periods
from fusion_study.data.privacy import PrivacyError, mask_pii_text, neutralise_formulas
from fusion_study.data.readers import bound_dates, date_range_message
from fusion_study.data.validation import ProblemLog, ValidationReport, check_study, item_types
from fusion_study.ingest.coding import FLAVOURS, code_column, detect_flavour, split_multi_select
from fusion_study.ingest.durations import parse_durations
from fusion_study.ingest.exportfile import read_export, read_export_header
from fusion_study.ingest.headers import parse_header
from fusion_study.ingest.mapping import map_columns
from fusion_study.ingest.screening import POLICIES, apply_screening, screening_flags
from fusion_study.ingest.spss import recode_value_labels
from fusion_study.ingest.tencent import looks_like_tencent
from fusion_study.ingest.textops import fullmatch
from fusion_study.ingest.wenjuanxing import SUBMITTED_FORMAT, looks_like_wenjuanxing, respondent_from_source_detail

__all__ = ["import_survey", "ImportResult", "read_submitted", "INSTRUMENT_TABLES"]

log = logging.getLogger(__name__)

#: instrument → (canonical table, respondent column, default response-id prefix)
INSTRUMENT_TABLES = {
    "customer_survey": ("customer_survey", "customer_id", "CS"),
    "staff_survey": ("staff_survey", "staff_id", "SS"),
}


@dataclass
class ImportResult:
    """What :func:`import_survey` produced.

    Attributes
    ----------
    responses : the kept responses in the canonical layout of ``TABLES[table]``
        (index: the export's row number).
    ledger : rows read, and every excluded or flagged row with its rule.
    mapping : one row per export column (and per unmatched codebook item):
        ``column, key, role, item_id, note``.
    problems : a :class:`~fusion_study.data.validation.ValidationReport` of the import
        (unknown columns, missing items, unreadable values, conflicting SPSS labels)
        and of the kept rows' validation.
    free_text : free-text answers of the kept responses (``response_id`` + one column per
        question declared in ``text_columns`` or listed as a ``text``/``id`` question in the
        codebook; index: the export's row number, as ``responses``), with phone, ID-card,
        e-mail and IP numbers and names masked (〔电话〕, 〔身份证号〕, 〔姓名〕 …) and
        formula-looking text prefixed with ``'`` (so no spreadsheet runs it); not part of
        the study tables (write it with :meth:`save_free_text`).
    """

    responses: pd.DataFrame
    ledger: Ledger
    mapping: pd.DataFrame
    problems: ValidationReport
    file: str
    format: str
    encoding: str | None
    flavour: str
    source: str
    instrument: str
    table: str
    policy: str
    free_text: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def rows_read(self) -> int:
        return self.ledger.rows_read.get(self.table, 0)

    def counts(self) -> pd.DataFrame:
        """Rows by outcome: ``outcome, rule, n_rows`` (read, kept, excluded/flagged per rule)."""
        rows = [
            {"outcome": "read", "rule": "", "n_rows": self.rows_read},
            {"outcome": "kept", "rule": "", "n_rows": len(self.responses)},
            {"outcome": "excluded", "rule": "(distinct rows)", "n_rows": len(self.ledger.excluded_rows(self.table))},
        ]
        summary = self.ledger.summary()
        for _, r in summary[summary["table"] == self.table].iterrows():
            rows.append({"outcome": r["action"], "rule": r["rule"].replace("screening:", ""), "n_rows": int(r["n_rows"])})
        return pd.DataFrame(rows, columns=["outcome", "rule", "n_rows"])

    def summary(self) -> pd.DataFrame:
        """The import at a glance as a table (:meth:`counts`); ``str(result)`` gives the readable account."""
        return self.counts()

    def text(self) -> str:
        """A readable account of the import for the command line and notebooks (also ``str(result)``)."""
        lines = [
            f"Imported {self.file} ({self.source}, {self.format}"
            + (f", encoding {self.encoding}" if self.encoding else "")
            + f", flavour {self.flavour}) as {self.table}",
            f"  rows read: {self.rows_read}; kept: {len(self.responses)}; "
            f"excluded: {len(self.ledger.excluded_rows(self.table))} (policy {self.policy!r})",
        ]
        counts = self.counts()
        for _, r in counts[counts["outcome"].isin(["excluded", "flagged"]) & (counts["rule"] != "(distinct rows)")].iterrows():
            lines.append(f"    {r['outcome']} by {r['rule']}: {r['n_rows']}")
        m = self.mapping
        lines.append(f"  items matched: {int((m['role'] == 'item').sum())} columns"
                     + (f", {int((m['role'] == 'multi_select').sum())} multi-select" if (m["role"] == "multi_select").any() else ""))
        by_label = m["note"].astype(str).str.startswith("matched by its matrix row label")
        if by_label.any():
            lines.append(f"  matrix rows matched by their label: {int(by_label.sum())}")
        for role, label in (("unknown", "unmatched export columns (dropped)"), ("missing_item", "codebook items with no column"),
                            ("pii", "personal-data columns dropped"),
                            ("free_text", "free-text questions kept apart (personal data masked)")):
            part = m[m["role"] == role]
            if len(part):
                names = part["column"].fillna(part["item_id"]).astype(str).tolist()
                lines.append(f"  {label}: {', '.join(names)}")
        n_err, n_warn = len(self.problems.errors), len(self.problems.warnings)
        lines.append(f"  validation: {n_err} error(s), {n_warn} warning(s)")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.text()

    def save_free_text(self, path: str | Path) -> Path:
        """Write :attr:`free_text` (personal data masked) to ``.csv`` (UTF-8 with BOM) or ``.xlsx``.

        Text that a spreadsheet would run as a formula is neutralised; ``response_id``
        links each answer to its row in the survey table. Returns the path written.
        """
        from fusion_study.data.study import write_frame

        path = Path(path)
        if path.suffix.lower() not in (".csv", ".xlsx"):
            raise ValueError(f"{path.name}: write the free-text answers to a .csv or .xlsx file")
        free = self.free_text if len(self.free_text.columns) else pd.DataFrame({"response_id": pd.Series(dtype="string")})
        path.parent.mkdir(parents=True, exist_ok=True)
        return write_frame(free, path)

    def __repr__(self) -> str:
        return (f"ImportResult({self.file!r}: read={self.rows_read}, kept={len(self.responses)}, "
                f"excluded={len(self.ledger.excluded_rows(self.table))})")


#: a whole mainland mobile or resident ID-card number (refused as a respondent id)
_PERSONAL_ID = r"\s*(?:\+?86[- ]?)?1[3-9]\d{9}\s*|\s*\d{17}[\dXx]\s*"

_SUBMITTED_FORMATS = (SUBMITTED_FORMAT, "%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d")


def read_submitted(values: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """提交答卷时间 as datetimes; return ``(times, unreadable, out_of_range)``.

    The format is taken from the first value (问卷星's ``2024/3/5 10:21:33``,
    ISO and a few others); values in another format are parsed one by one.
    Times outside :data:`fusion_study.data.readers.DATE_RANGE` (``9999/12/31``)
    are ``out_of_range``; both kinds of bad value are missing in ``times``.

    >>> t, bad, oor = read_submitted(pd.Series(["2024/3/5 10:21:33", "2024/12/31 23:59:59", "昨天", "9999/12/31 0:00:00"]))
    >>> t.dt.strftime("%Y-%m-%d %H:%M").tolist()[:2], bad.tolist(), oor.tolist()
    (['2024-03-05 10:21', '2024-12-31 23:59'], [False, False, True, False], [False, False, False, True])
    """
    if pd.api.types.is_datetime64_any_dtype(values):
        out, oor = bound_dates(values)
        return out, pd.Series(False, index=values.index), oor
    text = values.astype("string").str.strip()
    present = text.notna() & (text != "")
    first = text[present].iloc[0] if present.any() else None
    parsed = pd.Series(pd.NaT, index=values.index, dtype="datetime64[us]")
    if first is not None:
        for fmt in _SUBMITTED_FORMATS:
            try:
                pd.to_datetime(pd.Series([first]), format=fmt)
            except (ValueError, TypeError):
                continue
            parsed = pd.to_datetime(text, format=fmt, errors="coerce").astype("datetime64[us]")
            break
        rest = present & parsed.isna()
        if rest.any():
            parsed.loc[rest] = pd.to_datetime(text[rest], errors="coerce", format="mixed").astype("datetime64[us]")
    out, oor = bound_dates(parsed)
    return out, present & parsed.isna(), oor


def _quarters(times: pd.Series) -> pd.Series:
    """The quarter of each time as ``YYYYQn`` (computed on distinct quarters: fast on large exports)."""
    number = (times.dt.year * 4 + times.dt.quarter - 1).to_numpy(dtype="float64", na_value=np.nan)
    codes, uniques = pd.factorize(number)
    labels = np.array([f"{int(u) // 4}Q{int(u) % 4 + 1}" for u in uniques] + [None], dtype=object)
    return pd.Series(labels[codes], index=times.index, dtype="string")


def import_survey(
    path: str | Path,
    codebook: pd.DataFrame,
    *,
    instrument: str = "customer_survey",
    respondent_column: str | None = None,
    unit_column: str | None = None,
    wave: str | None = None,
    flavour: str = "auto",
    policy: str = "exclude",
    speeder_fraction: float = 0.3,
    straightline_min_items: int = 4,
    columns: dict | None = None,
    text_columns=(),
    id_prefix: str | None = None,
) -> ImportResult:
    """Import one survey export (问卷星, 腾讯问卷, SPSS, or any CSV/XLSX/Parquet in their layout).

    Parameters
    ----------
    path : the export (``.xlsx``, ``.csv``, ``.parquet`` or ``.sav``).
    codebook : the codebook (e.g. :func:`fusion_study.data.instruments.standard_codebook`).
    instrument : ``"customer_survey"`` or ``"staff_survey"``.
    respondent_column : header, question number or ``"来源详情"`` of the respondent id
        (see the module docs for the default).
    unit_column : staff survey: the branch column (default: the question naming 所在支部).
    wave : the survey wave (``"2024Q1"``); default: the quarter of each 提交答卷时间.
    flavour : ``"auto"``, ``"code"`` (按序号) or ``"text"`` (按文本).
    policy : ``"exclude"`` (screened rows leave the table) or ``"flag"`` (kept with ``flag_<rule>`` columns).
    speeder_fraction : speeders answer in less than this fraction of the median time (default 0.3).
    straightline_min_items : smallest matrix checked for straight-lining (default 4).
    columns : explicit mapping ``{export header or question key: item_id}`` overriding ``source_column``.
    text_columns : free-text questions to keep in ``free_text`` (PII masked); codebook
        questions of type ``text``/``id`` (or with no min, max and options) are kept
        without being named here.
    id_prefix : response-id prefix (default ``CS``/``SS``).

    Returns
    -------
    ImportResult
        ``responses`` has the columns of ``TABLES[instrument]`` (``response_id``,
        the respondent, ``wave``, ``submitted``, ``duration_s``) then one column per
        matched item in codebook order (float codes), then ``flag_<rule>`` columns
        under ``policy="flag"``.

    Validated against: hand-built exports in ``tests/test_ingest_*.py`` (exact counts).
    """
    check_choice("instrument", instrument, tuple(INSTRUMENT_TABLES))
    check_choice("flavour", flavour, FLAVOURS)
    check_choice("policy", policy, POLICIES)
    missing = [c for c in ("item_id", "instrument", "min", "max", "source_column") if c not in codebook.columns]
    if missing:
        raise ValueError(
            f"the codebook lacks column(s) {missing}; see `fusion-study codebook` for its layout "
            "(item_id, instrument, scale, text_zh, text_en, reverse, min, max, source_column, options)"
        )
    path = Path(path)
    table, respondent_name, default_prefix = INSTRUMENT_TABLES[instrument]
    prefix = default_prefix if id_prefix is None else str(id_prefix)
    items = codebook[codebook["instrument"] == instrument] if "instrument" in codebook else codebook
    types = item_types(items)
    _check_scale_items(items, types)
    # text and id questions are kept as text (free_text), never coded or range-checked
    items = items[types.eq("scale").to_numpy()]
    problems = ProblemLog()
    file = path.name

    headers, header_info = read_export_header(path)
    empty_guess = [h for h in headers if parse_header(h).kind == "unnamed"]
    mapping = map_columns(
        headers, codebook, instrument=instrument, respondent_column=respondent_column,
        unit_column=unit_column, text_columns=text_columns, user_mapping=columns,
        empty_columns=empty_guess, file=file,
    )
    is_ip = mapping["column"].map(lambda c: isinstance(c, str) and parse_header(c).meta == "ip")
    wanted = mapping["role"].isin(["item", "multi_select", "respondent", "unit", "free_text", "empty"]) | (
        mapping["role"].eq("meta") & mapping["note"].isin(["seq", "submitted", "duration"])
    ) | is_ip
    wanted &= mapping["column"].notna()
    text_cols = mapping.loc[
        wanted & ~mapping["role"].isin(["item", "multi_select", "empty"]) & ~mapping["note"].eq("seq"), "column"
    ]
    raw = read_export(path, text_columns=text_cols.tolist(), usecols=mapping.loc[wanted, "column"].tolist(),
                      _header_info=header_info)
    df = raw.frame
    # Unnamed columns that turned out to hold values are unknown, not empty.
    nonempty = mapping["role"].eq("empty") & ~mapping["column"].isin(raw.empty_columns)
    mapping.loc[nonempty, ["role", "note"]] = ["unknown", "an unnamed column that holds values; dropped"]
    source = "spss" if raw.format == "spss" else (
        "wenjuanxing" if looks_like_wenjuanxing(headers) else "tencent" if looks_like_tencent(headers) else "generic"
    )
    rows_read = len(df)
    if rows_read == 0:
        raise ValueError(f"{file}: the export has a header but no responses")

    for _, r in mapping[mapping["role"] == "unknown"].iterrows():
        plain = str(r["note"]).startswith("no codebook item claims")
        problems.add(table=table, file=file, rule="codebook_item", column=r["column"], severity="warning",
                     message=f"export column {r['column']!r} matches no {instrument} codebook item and was dropped"
                     if plain else f"export column {r['column']!r} was dropped: {r['note']}")
    for _, r in mapping[mapping["role"] == "missing_item"].iterrows():
        problems.add(table=table, file=file, rule="codebook_item", column=r["item_id"], severity="warning",
                     message=f"codebook item {r['item_id']!r} (source column {r['key']!r}) has no column in the export")

    item_map = mapping[mapping["role"] == "item"]
    item_pairs = list(zip(item_map["column"], item_map["item_id"]))
    used_flavour = flavour
    if flavour == "auto":
        used_flavour = "code" if raw.format == "spss" else detect_flavour(df, item_pairs, items)
    by_item = items.set_index(items["item_id"].astype(str))
    options = by_item["options"] if "options" in by_item else pd.Series(None, index=by_item.index, dtype=object)

    coded: dict[str, pd.Series] = {}
    unknown: dict[str, pd.Series] = {}
    for column, item_id in item_pairs:
        s = df[column]
        if raw.format == "spss" and column in raw.value_labels:
            s, note, conflict = recode_value_labels(s, raw.value_labels[column], options.get(item_id))
            if note:
                problems.add(table=table, file=file, rule="codebook", column=column, severity="warning",
                             message=f"{item_id}: {note}")
            if conflict:
                problems.add(table=table, file=file, rule="codebook", column=column, severity="warning",
                             message=f"{item_id}: {conflict}; values kept as they are")
        key = parse_header(column).sub
        binary = by_item.at[item_id, "min"] == 0 and by_item.at[item_id, "max"] == 1
        codes, bad = code_column(s, options=options.get(item_id), min_value=by_item.at[item_id, "min"],
                                 flavour=used_flavour, chosen_text=key if binary else None)
        coded[item_id] = codes
        if bad.any():
            unknown[item_id] = bad
            problems.add(table=table, file=file, rule="allowed_values", rows=df.index[bad], column=column,
                         values=s[bad], message=f"answer text matches no option of {item_id} in the codebook")
    for column in mapping.loc[mapping["role"] == "multi_select", "column"]:
        q = parse_header(column).question
        subs = _multi_select_subs(items, q)
        frame, bad = split_multi_select(df[column], [sub for _, sub in subs])
        for (item_id, sub) in subs:
            coded[item_id] = frame[sub]
        if bad.any():
            unknown[subs[0][0]] = bad
            problems.add(table=table, file=file, rule="allowed_values", rows=df.index[bad], column=column,
                         values=df.loc[bad, column], message="a choice matches no sub-item of this multi-select question")

    # meta
    meta_cols = {r["note"]: r["column"] for _, r in mapping[mapping["role"] == "meta"].iterrows()}
    role_col = {r["role"]: r["column"] for _, r in mapping[mapping["role"].isin(["respondent", "unit"])].iterrows()}
    out: dict[str, pd.Series | np.ndarray] = {}
    invalid_dates = None
    if "submitted" in meta_cols:
        column = meta_cols["submitted"]
        submitted, bad, oor = read_submitted(df[column])
        shown = df[column].astype("string").str.slice(0, 40)
        if bad.any():
            problems.add(table=table, file=file, rule="type", rows=df.index[bad], column=column,
                         values=df.loc[bad, column], message="提交答卷时间 is not a date and time; the row is excluded")
        if oor.any():
            problems.add(table=table, file=file, rule="date_range", rows=df.index[oor], column=column,
                         values=df.loc[oor, column],
                         message=date_range_message("提交答卷时间 (submission time)") + "; the row is excluded")
        if bad.any() or oor.any():
            invalid_dates = pd.Series(pd.NA, index=df.index, dtype="string")
            invalid_dates[bad] = f"{column} " + shown[bad].map(repr) + " is not a date and time"
            invalid_dates[oor] = f"{column} " + shown[oor].map(repr) + " is outside the plausible date range"
    else:
        submitted = pd.Series(pd.NaT, index=df.index, dtype="datetime64[ns]")
    if "duration" in meta_cols:
        duration, bad = parse_durations(df[meta_cols["duration"]])
        if bad.any():
            problems.add(table=table, file=file, rule="type", rows=df.index[bad], column=meta_cols["duration"],
                         values=df.loc[bad, meta_cols["duration"]],
                         message="所用时间 must look like 125秒, 2分5秒 or a number of seconds")
    else:
        duration = pd.Series(np.nan, index=df.index)
    if wave is not None:
        canon, bad = normalise_periods(pd.Series([wave]))
        if bad.any():
            raise ValueError(f"wave must be a quarter such as 2024Q1, got {wave!r}")
        waves = pd.Series(canon.iloc[0], index=df.index, dtype="string")
    else:
        if "submitted" not in meta_cols:
            raise ValueError(f"{file}: the export has no 提交答卷时间 column to take the wave from; pass wave='2024Q1'")
        waves = _quarters(submitted)
    respondent_header = role_col["respondent"]
    if parse_header(respondent_header).meta == "source_detail":
        respondent = respondent_from_source_detail(df[respondent_header])
    else:
        respondent = df[respondent_header].astype("string").str.strip()
        respondent = respondent.mask(respondent.isin(["", "(跳过)", "(空)"]))
    if "seq" in meta_cols and df[meta_cols["seq"]].notna().all():
        seq = pd.to_numeric(df[meta_cols["seq"]], errors="coerce")
        if seq.isna().any() or seq.duplicated().any():
            seq = pd.Series(np.arange(1, rows_read + 1), index=df.index)
    else:
        seq = pd.Series(np.arange(1, rows_read + 1), index=df.index)
    response_id = (prefix + waves.fillna("NA") + "-" + seq.astype("int64").astype("string").str.zfill(6)).astype("string")

    looks_personal = fullmatch(respondent, _PERSONAL_ID)
    if bool(looks_personal.any()):
        row = respondent.index[looks_personal][0]
        raise PrivacyError(
            f"{file}, row {row}, column {respondent_header!r}: the respondent id looks like a mobile or "
            "ID-card number; use a pseudonymous id (e.g. the licence number or a code list) instead"
        )
    out["response_id"] = response_id
    out[respondent_name] = respondent.astype("string")
    if instrument == "staff_survey":
        unit = df[role_col["unit"]].astype("string").str.strip()
        out["unit_id"] = unit.mask(unit == "")
    out["wave"] = waves
    out["submitted"] = submitted
    out["duration_s"] = duration.astype("float64")
    # Items go into one float block, filled column by column (no extra consolidation copy).
    item_ids = [str(i) for i in items["item_id"] if str(i) in coded]
    block = np.empty((rows_read, len(item_ids)), dtype="float64", order="F")
    for j, item_id in enumerate(item_ids):
        block[:, j] = coded.pop(item_id).to_numpy(dtype="float64", na_value=np.nan)
    responses = pd.concat(
        [pd.DataFrame(out, index=df.index), pd.DataFrame(block, index=df.index, columns=item_ids, copy=False)],
        axis=1,
    )

    ip = None
    ip_col = [r["column"] for _, r in mapping[mapping["role"] == "pii"].iterrows() if parse_header(r["column"]).meta == "ip"]
    if ip_col:
        ip = df[ip_col[0]]  # compared as written (address and place); never stored

    free = pd.DataFrame({"response_id": response_id}, index=df.index)
    for column in mapping.loc[mapping["role"] == "free_text", "column"]:
        free[column] = mask_pii_text(df[column].astype("string"))
    free = neutralise_formulas(free)

    ledger = Ledger()
    ledger.record_read(table, rows_read)
    flags = screening_flags(
        responses, items, respondent=respondent_name, ip=ip,
        unknown=pd.DataFrame(unknown, index=df.index) if unknown else None, invalid_dates=invalid_dates,
        speeder_fraction=speeder_fraction, straightline_min_items=straightline_min_items,
    )
    kept, ledger = apply_screening(responses, flags, policy=policy, table=table, source_file=file, ledger=ledger)
    free = free.loc[kept.index] if len(free.columns) > 1 else free.iloc[0:0]
    del df, raw

    log.info("%s: %d rows read, %d kept, %d excluded", file, rows_read, len(kept),
             len(ledger.excluded_rows(table)))
    report = check_study({table: kept}, codebook, {table: file, "codebook": "codebook"})
    vp = report.to_frame()
    vp = vp[~((vp["rule"] == "missing_table") | ((vp["rule"] == "codebook_item") & (vp["table"] == table))
              | (vp["rule"] == "foreign_key"))]
    imp = problems.to_frame()
    problems_frame = pd.concat([imp, vp], ignore_index=True) if len(vp) else imp
    return ImportResult(
        responses=kept, ledger=ledger, mapping=mapping, problems=ValidationReport(problems_frame),
        file=file, format=_raw_format(path), encoding=header_info.get("encoding") if header_info else None,
        flavour=used_flavour, source=source, instrument=instrument, table=table, policy=policy, free_text=free,
    )


def _check_scale_items(items: pd.DataFrame, types: pd.Series) -> None:
    """A scale item needs min and max (a text question leaves min, max and options empty)."""
    for row, item in items[types.eq("scale").to_numpy()].iterrows():
        lacking = [c for c in ("min", "max") if pd.isna(item[c])]
        if lacking:
            raise ValueError(
                f"codebook, row {row}, item {item['item_id']!r}: {' and '.join(lacking)} must be given for a scale "
                "item; for a text or id question leave min, max and options empty or set its type to text/id"
            )


def _raw_format(path: Path) -> str:
    return {".csv": "csv", ".xlsx": "xlsx", ".parquet": "parquet", ".sav": "spss"}[path.suffix.lower()]


def _multi_select_subs(items: pd.DataFrame, question: int) -> list[tuple[str, str]]:
    """``[(item_id, sub-item text)]`` of a multi-select question, in codebook order."""
    from fusion_study.ingest.headers import normalise_source_column

    out = []
    for item_id, source in zip(items["item_id"], items["source_column"]):
        key = normalise_source_column(source)
        if key and "(" in key and key.split("(")[0] == str(question):
            out.append((str(item_id), key[key.index("(") + 1:-1]))
    return out
