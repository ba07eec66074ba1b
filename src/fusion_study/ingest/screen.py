"""The one screening step of a study: every survey table screened once, every exclusion in the ledger.

:func:`screen_study` applies the screening rules of :mod:`fusion_study.ingest.screening`
(speeders, straight-liners, duplicates, out-of-range and unknown answers, missing
respondents) to each survey table of a :class:`~fusion_study.Study`
(``customer_survey``, ``staff_survey``), with the items, ranges and matrix
questions of that table's instrument in the study's codebook. It returns a new
study holding the screened tables and a :class:`~fusion_study.data.ledger.Ledger`
of every row excluded (or flagged) with its rule and detail. The new study is
marked as screened (``study.meta["screening"]``), so screening it again is a
no-op; the analyses' ``study.py`` modules call :func:`screen_study` on the study
they are given, so that every analysis of one study uses the same responses.

A study that has no survey table, or no codebook items for a survey's
instrument, has nothing to screen there: those tables pass through unchanged.
"""

from __future__ import annotations

import logging

import numpy as np

from fusion_study.data.checks import check_choice, require_columns
from fusion_study.data.ledger import Ledger
from fusion_study.data.schema import SURVEY_TABLES
from fusion_study.ingest.screening import POLICIES, RULES, apply_screening, screening_flags

__all__ = ["screen_study", "screening_ledger", "is_screened", "RESPONDENT_COLUMNS"]

logger = logging.getLogger(__name__)

#: survey table -> the column identifying its respondent
RESPONDENT_COLUMNS = {"customer_survey": "customer_id", "staff_survey": "staff_id"}
_META = "screening"
_PREFIX = "screening:"


def is_screened(study) -> bool:
    """Whether ``study`` is the output of :func:`screen_study` (marked in ``study.meta``)."""
    return _META in (getattr(study, "meta", None) or {})


def screening_ledger(study, *, tables=None) -> Ledger:
    """The screening entries of a study's ledger (rules ``screening:<rule>``), for its survey tables.

    These are the survey rows that screening excluded or flagged — by
    :func:`screen_study`, or at import (:func:`~fusion_study.ingest.import_survey`).
    ``rows_read`` of each table is the number of rows that went into screening:
    the rows kept plus the distinct rows screening excluded, so
    ``ledger.balance(study.tables)`` holds.

    Parameters
    ----------
    study : Study
    tables : list of str, optional
        Survey tables to include (default: every survey table of the study).

    Returns
    -------
    Ledger
    """
    tables = [t for t in (SURVEY_TABLES if tables is None else tables) if t in study.tables]
    entries = study.ledger.to_frame()
    mine = entries[entries["table"].isin(tables) & entries["rule"].astype(str).str.startswith(_PREFIX)]
    out = Ledger()
    for table in tables:
        part = mine[mine["table"] == table]
        for (rule, action, source_file), grp in part.groupby(["rule", "action", "source_file"], sort=False):
            out.record(table, grp["source_row"].to_numpy(), rule=rule, action=action,
                       detail=grp["detail"].to_numpy(), source_file=source_file)
        excluded = part.loc[part["action"] == "excluded", "source_row"].nunique()
        out.record_read(table, len(study.tables[table]) + int(excluded))
    return out


def _copy(study, tables: dict, ledger: Ledger, meta: dict):
    from fusion_study.data.study import Study

    new = Study(tables, study.codebook, name=study.name, files=study.files, ledger=ledger, meta=meta,
                load_problems=getattr(study, "_load_problems", None))
    new.encodings = dict(getattr(study, "encodings", {}))
    return new


def _exclude_flagged(study):
    """A study screened with policy ``"flag"``: exclude the rows carrying a ``flag_<rule>``."""
    ledger = Ledger()
    ledger.extend(study.ledger)
    ledger.rows_read = dict(study.ledger.rows_read)
    tables = dict(study.tables)
    meta = {**study.meta, _META: {**study.meta[_META], "policy": "exclude"}}
    counts = {k: dict(v) for k, v in meta[_META].get("tables", {}).items()}
    for table in SURVEY_TABLES:
        if table not in tables:
            continue
        df = tables[table]
        cols = [f"flag_{r}" for r in RULES if f"flag_{r}" in df.columns]
        if not cols:
            continue
        drop = np.zeros(len(df), bool)
        for col in cols:
            hit = df[col].fillna(False).to_numpy(dtype=bool)
            ledger.record(table, df.index[hit], rule=_PREFIX + col[len("flag_"):], action="excluded",
                          detail="flagged at screening (policy 'flag'); excluded for analysis",
                          source_file=study.files.get(table, ""))
            drop |= hit
        tables[table] = df.loc[~drop].drop(columns=cols)
        if table in counts:
            counts[table]["excluded"] = counts[table].get("excluded", 0) + int(drop.sum())
            counts[table]["flagged"] = 0
    meta[_META]["tables"] = counts
    return _copy(study, tables, ledger, meta)


def screen_study(
    study,
    *,
    policy: str = "exclude",
    speeder_fraction: float = 0.3,
    straightline_min_items: int = 4,
):
    """Screen every survey table of a study once; return the screened study and the screening ledger.

    Each survey table (``customer_survey`` with respondent ``customer_id``,
    ``staff_survey`` with ``staff_id``) is checked with
    :func:`~fusion_study.ingest.screening.screening_flags` against its
    instrument's codebook rows (items, ``min..max``, matrix questions), then
    :func:`~fusion_study.ingest.screening.apply_screening` excludes (``policy="exclude"``)
    or flags (``policy="flag"``: kept, with ``flag_<rule>`` columns) the rows
    hit by a rule. Every (row, rule) goes to the ledger as ``screening:<rule>``
    with its detail (e.g. ``time taken 20s < 0.3 × median 300s``); nothing
    leaves silently. The returned study's own ledger holds the same entries
    after those it already had, and ``study.meta["screening"]`` records the
    policy, the thresholds and, per table, ``rows_in``, ``excluded`` and
    ``flagged``.

    Parameters
    ----------
    study : Study
    policy : {"exclude", "flag"}
        ``"flag"`` keeps the flagged rows (a response with no respondent id is
        always excluded).
    speeder_fraction, straightline_min_items
        Thresholds of the speeder and straight-liner rules (see
        :mod:`fusion_study.ingest.screening`).

    Returns
    -------
    (Study, Ledger)
        The screened study and its screening ledger (:func:`screening_ledger`:
        one row per excluded or flagged (row, rule), columns ``table,
        source_file, source_row, rule, action, detail``; per table, rows read =
        rows kept + rows excluded).

    Notes
    -----
    Screening twice is a no-op: on a study already screened the same study is
    returned, with its screening ledger. The one exception is a study screened
    with ``policy="flag"`` and asked for ``"exclude"`` (what the analyses ask
    for): its flagged rows are then excluded and recorded as such. A study
    without survey tables, without a codebook or without codebook items for a
    survey's instrument has nothing to screen there: it is returned unchanged
    (with an empty ledger when nothing at all was screened).

    Raises
    ------
    MissingColumnsError
        A survey table lacks its respondent column or ``wave``.

    Validated against: a hand-made study with one speeder, one straight-liner,
    one duplicate and one out-of-range answer (``tests/test_ingest_screen_study.py``);
    on the bundled example the analyses give what their own screening gave
    before (same rows, same estimates).

    Examples
    --------
    >>> from fusion_study import load_study
    >>> from fusion_study.data.paths import example_study_path
    >>> screened, ledger = screen_study(load_study(example_study_path()))
    >>> ledger.balance(screened.tables)[["table", "rows_read", "rows_kept", "rows_excluded"]]
                 table  rows_read  rows_kept  rows_excluded
    0  customer_survey       3600       3302            298
    1     staff_survey       1152       1111             41
    >>> screen_study(screened)[0] is screened
    True
    """
    check_choice("policy", policy, POLICIES)
    if is_screened(study):
        if policy == "exclude" and study.meta[_META].get("policy") == "flag":
            study = _exclude_flagged(study)
        return study, screening_ledger(study)
    surveys = [t for t in SURVEY_TABLES if t in study.tables]
    codebook = study.codebook
    if not surveys:
        return study, Ledger()
    if codebook is None:
        logger.info("study %r has no codebook: its survey tables %s are not screened", study.name, surveys)
        return study, Ledger()
    new_entries = Ledger()
    tables = dict(study.tables)
    counts = {}
    for table in surveys:
        instrument = SURVEY_TABLES[table]
        items = codebook[codebook["instrument"] == instrument]
        if len(items):  # text and id questions are not scored: they have no range to screen
            from fusion_study.data.validation import item_types

            items = items[item_types(items).eq("scale").to_numpy()]
        if items.empty:
            logger.info("the codebook has no items of instrument %r: table %s is not screened", instrument, table)
            continue
        data = tables[table]
        respondent = RESPONDENT_COLUMNS[table]
        require_columns(data, [respondent, "wave"], what="screen_study", table=table)
        flags = screening_flags(data, items, respondent=respondent, speeder_fraction=speeder_fraction,
                                straightline_min_items=straightline_min_items)
        part = Ledger()
        kept, part = apply_screening(data, flags, policy=policy, table=table,
                                     source_file=study.files.get(table, ""), ledger=part)
        new_entries.extend(part)
        tables[table] = kept
        entries = part.to_frame()
        counts[table] = {
            "rows_in": int(len(data)),
            "excluded": int(len(data) - len(kept)),
            "flagged": int(entries.loc[entries["action"] == "flagged", "source_row"].nunique()),
        }
    if not counts:
        return study, Ledger()
    ledger = Ledger()
    ledger.extend(study.ledger)
    ledger.extend(new_entries)
    ledger.rows_read = dict(study.ledger.rows_read)  # the rows read from the sources are unchanged
    meta = {
        **study.meta,
        _META: {
            "policy": policy,
            "speeder_fraction": float(speeder_fraction),
            "straightline_min_items": int(straightline_min_items),
            "tables": counts,
        },
    }
    screened = _copy(study, tables, ledger, meta)
    return screened, screening_ledger(screened)

