"""Screening survey responses: speeders, straight-liners, duplicates, invalid answers.

:func:`screening_flags` marks rows (one boolean column per rule, plus a
``<rule>_detail`` text column); :func:`apply_screening` then either excludes
the flagged rows (policy ``"exclude"``, the default) or keeps them with
``flag_<rule>`` columns (policy ``"flag"``). Every flagged row is recorded in a
:class:`~fusion_study.data.ledger.Ledger` with its source row, rule and detail, so
rows read = rows kept + rows excluded.

Rules
-----
``speeder``
    time taken below ``speeder_fraction`` × the median time taken (default
    0.3, i.e. under 30 % of the median — a common cut-off in survey
    methodology, e.g. Greszki, Meyer & Schoen 2015).
``straight_liner``
    every answered sub-item of a matrix question identical, for a matrix with
    at least ``straightline_min_items`` answered sub-items (default 4; with a
    reverse-coded item in the matrix identical answers contradict each other).
``duplicate``
    the same respondent already answered in the same wave, or the same IP
    address sent identical answers (the IP is used in memory only). The first
    submission is kept, later ones are flagged.
``out_of_range``
    an answer outside the codebook's ``min..max``.
``unknown_option``
    an answer text that matches no option in the codebook (按文本 exports).
``missing_respondent``
    no respondent id.
``invalid_date``
    the submission time (提交答卷时间) cannot be read as a date and time, or lies
    outside the plausible range (:data:`fusion_study.data.readers.DATE_RANGE`;
    ``9999/12/31`` is a placeholder, not a date).

``missing_respondent`` and ``invalid_date`` rows are excluded under either
policy (:data:`ALWAYS_EXCLUDED`): a response with no respondent, or that cannot
be placed in time, cannot be used.
"""

from __future__ import annotations

from fusion_study.data.checks import check_choice

import numpy as np
import pandas as pd

from fusion_study.data.ledger import Ledger

__all__ = ["screening_flags", "apply_screening", "RULES", "POLICIES", "ALWAYS_EXCLUDED", "matrix_questions"]

RULES = ("missing_respondent", "invalid_date", "unknown_option", "out_of_range", "speeder", "straight_liner",
         "duplicate")
#: rules whose rows are excluded under ``policy="flag"`` too
ALWAYS_EXCLUDED = ("missing_respondent", "invalid_date")
POLICIES = ("exclude", "flag")


def matrix_questions(codebook_items: pd.DataFrame) -> dict[str, list[str]]:
    """Item ids grouped by matrix question.

    A matrix question's rows are the items whose source column is ``N(子项)``, or
    the items that share one bare question number ``N`` (rows a codebook leaves to
    be matched by their label, as ``5、(服务质量)—客户经理态度`` is).

    >>> from fusion_study.data.instruments import standard_codebook
    >>> cb = standard_codebook()
    >>> matrix_questions(cb[cb.instrument == "customer_survey"])["3"]
    ['qual1', 'qual2', 'qual3', 'qual4']
    >>> bare = pd.DataFrame({"item_id": ["a", "b", "c", "d"], "source_column": ["5", "5", "5", "6"]})
    >>> matrix_questions(bare)
    {'5': ['a', 'b', 'c']}
    """
    from fusion_study.ingest.headers import normalise_source_column

    out: dict[str, list[str]] = {}
    bare: dict[str, list[str]] = {}
    for item_id, source in zip(codebook_items["item_id"], codebook_items["source_column"]):
        key = normalise_source_column(source)
        if key and "(" in key:
            out.setdefault(key.split("(")[0], []).append(str(item_id))
        elif key:
            bare.setdefault(key, []).append(str(item_id))
    for key, items in bare.items():
        if len(items) >= 2:
            out.setdefault(key, []).extend(items)
    return out


def _fmt(values: pd.Series) -> pd.Series:
    return values.round(0).astype("Int64").astype("string").fillna("?")


def screening_flags(
    data: pd.DataFrame,
    codebook_items: pd.DataFrame,
    *,
    respondent: str,
    ip: pd.Series | None = None,
    unknown: pd.DataFrame | None = None,
    invalid_dates: pd.Series | None = None,
    speeder_fraction: float = 0.3,
    straightline_min_items: int = 4,
) -> pd.DataFrame:
    """Flag rows by every screening rule.

    Parameters
    ----------
    data : canonical responses (``duration_s``, ``wave``, the respondent column, item columns).
    codebook_items : the instrument's codebook rows (``item_id, min, max, source_column``).
    respondent : the respondent column (``customer_id`` or ``staff_id``).
    ip : the export's IP column, aligned with ``data`` (optional; never stored).
    unknown : boolean frame, item columns, marking answer texts that matched no option.
    invalid_dates : text aligned with ``data``: why the row's submission time is unusable
        (missing where it is fine).

    Returns
    -------
    DataFrame indexed like ``data`` with, for every rule in :data:`RULES`, a
    boolean column ``<rule>`` and a text column ``<rule>_detail`` (empty where
    not flagged).

    Validated against: injected cases with exact expected rows
    (``tests/test_ingest_screening.py``) and the simulator's injected speeders and
    straight-liners (``tests/test_simulate_screening.py``: recall 1).

    >>> from fusion_study.data.instruments import standard_codebook
    >>> cb = standard_codebook(); cb = cb[cb.instrument == "customer_survey"]
    >>> d = pd.DataFrame({"customer_id": ["a", "b", "c"], "wave": "2024Q1",
    ...                   "duration_s": [300.0, 20.0, 280.0], "sat1": [5, 11, 6]})
    >>> f = screening_flags(d, cb, respondent="customer_id")
    >>> f["speeder"].tolist(), f["out_of_range"].tolist()
    ([False, True, False], [False, True, False])
    """
    if not 0 < speeder_fraction < 1:
        raise ValueError(f"speeder_fraction must lie strictly between 0 and 1, got {speeder_fraction!r}")
    if int(straightline_min_items) < 2:
        raise ValueError(f"straightline_min_items must be at least 2, got {straightline_min_items!r}")
    idx = data.index
    n = len(data)
    flags: dict[str, np.ndarray] = {}
    details: dict[str, pd.Series] = {}
    empty = pd.Series(pd.NA, index=idx, dtype="string")

    # missing respondent
    miss = data[respondent].isna().to_numpy()
    flags["missing_respondent"] = miss
    details["missing_respondent"] = empty.mask(miss, f"no {respondent}")

    # unreadable or implausible submission time
    if invalid_dates is not None:
        why = pd.Series(invalid_dates, dtype="string").reindex(idx)
        bad_date = why.notna().to_numpy()
    else:
        why, bad_date = empty, np.zeros(n, bool)
    flags["invalid_date"] = bad_date
    details["invalid_date"] = empty.mask(bad_date, why)

    from fusion_study.data.validation import item_types

    scored = codebook_items["item_id"][item_types(codebook_items).eq("scale").to_numpy()]  # not text or id questions
    items = [str(i) for i in scored if str(i) in data.columns]
    bounds = codebook_items.set_index(codebook_items["item_id"].astype(str))

    # unknown option text
    unk = np.zeros(n, bool)
    unk_detail = empty.copy()
    if unknown is not None and len(unknown.columns):
        u = unknown.reindex(index=idx, fill_value=False).fillna(False).astype(bool)
        unk = u.to_numpy().any(axis=1)
        if unk.any():
            cols = np.array(u.columns, dtype=object)
            sub = u.to_numpy()[unk]
            unk_detail.loc[idx[unk]] = ["unknown option text in " + ", ".join(cols[r]) for r in sub]
    flags["unknown_option"] = unk
    details["unknown_option"] = unk_detail

    # out of range
    oor = np.zeros(n, bool)
    first_item = np.full(n, "", dtype=object)
    for item in items:
        lo, hi = bounds.at[item, "min"], bounds.at[item, "max"]
        x = data[item].to_numpy(dtype="float64", na_value=np.nan)
        bad = ((x < float(lo)) | (x > float(hi))) & ~np.isnan(x)
        new = bad & ~oor
        if new.any():
            first_item[new] = [f"{item}={v:g} outside {lo}..{hi}" for v in x[new]]
        oor |= bad
    flags["out_of_range"] = oor
    details["out_of_range"] = empty.mask(oor, pd.Series(first_item, index=idx, dtype="string"))

    # speeders
    dur = data["duration_s"].to_numpy(dtype="float64", na_value=np.nan) if "duration_s" in data else np.full(n, np.nan)
    median = float(np.nanmedian(dur)) if np.isfinite(dur).any() else np.nan
    threshold = speeder_fraction * median
    speed = (dur < threshold) & ~np.isnan(dur)
    flags["speeder"] = speed
    det = empty.copy()
    if speed.any():
        det.loc[idx[speed]] = (
            "time taken " + _fmt(pd.Series(dur[speed])).to_numpy(dtype=object)
            + f"s < {speeder_fraction:g} × median {median:g}s"
        )
    details["speeder"] = det

    # straight-liners
    straight = np.zeros(n, bool)
    straight_detail = np.full(n, "", dtype=object)
    for question, qitems in matrix_questions(codebook_items).items():
        qitems = [i for i in qitems if i in data.columns]
        if len(qitems) < int(straightline_min_items):
            continue
        arr = data[qitems].to_numpy(dtype="float64", na_value=np.nan)
        answered = (~np.isnan(arr)).sum(axis=1)
        same = (np.nanmax(np.where(np.isnan(arr), -np.inf, arr), axis=1)
                == np.nanmin(np.where(np.isnan(arr), np.inf, arr), axis=1))
        hit = same & (answered >= int(straightline_min_items))
        new = hit & ~straight
        if new.any():
            straight_detail[new] = f"matrix question {question}: all {len(qitems)} sub-items identical"
        straight |= hit
    flags["straight_liner"] = straight
    details["straight_liner"] = empty.mask(straight, pd.Series(straight_detail, index=idx, dtype="string"))

    # duplicates
    dup = np.zeros(n, bool)
    dup_detail = empty.copy()
    src = pd.Series(np.asarray(idx), index=idx)
    # same respondent and wave: one integer key per (respondent, wave), then a hash-based duplicated()
    r_codes, _ = pd.factorize(data[respondent])
    w_codes, w_uniques = pd.factorize(data["wave"])
    has_key = (r_codes >= 0) & (w_codes >= 0)
    key = pd.Series(r_codes.astype("int64") * (len(w_uniques) + 1) + w_codes, index=idx)
    by_id = key.duplicated(keep="first").to_numpy() & has_key
    if by_id.any():
        first = src.groupby(key.to_numpy()).transform("first")
        dup_detail.loc[idx[by_id]] = (
            f"same {respondent} and wave as row " + first[by_id].astype("int64").astype("string")
        ).to_numpy()
    dup |= by_id
    if ip is not None and items:
        ip_s = pd.Series(ip.to_numpy(), index=idx).astype("string")
        # Only rows sharing an IP with another row can be duplicates by IP: compare those exactly.
        candidates = (ip_s.duplicated(keep=False) & ip_s.notna()).to_numpy()
        by_ip = np.zeros(n, bool)
        if candidates.any():
            cand = data.loc[candidates, items].copy()
            cand["__ip"] = ip_s[candidates]
            exact = cand.duplicated(keep="first").to_numpy()
            by_ip[np.flatnonzero(candidates)[exact]] = True
            new = by_ip & ~dup
            if new.any():
                group = cand.groupby(list(cand.columns), dropna=False, sort=False).ngroup()
                first = src[candidates].groupby(group.to_numpy()).transform("first")
                rows = pd.Series(first.to_numpy(), index=idx[candidates])
                dup_detail.loc[idx[new]] = (
                    "same IP and identical answers as row " + rows.loc[idx[new]].astype("int64").astype("string")
                ).to_numpy()
        dup |= by_ip
    flags["duplicate"] = dup
    details["duplicate"] = dup_detail

    out = {}
    for rule in RULES:
        out[rule] = flags[rule]
        out[f"{rule}_detail"] = details[rule].where(flags[rule], pd.NA)
    return pd.DataFrame(out, index=idx)


def apply_screening(
    data: pd.DataFrame,
    flags: pd.DataFrame,
    *,
    policy: str = "exclude",
    table: str,
    source_file: str = "",
    ledger: Ledger | None = None,
) -> tuple[pd.DataFrame, Ledger]:
    """Exclude (``"exclude"``) or keep-and-flag (``"flag"``) the flagged rows.

    Each (row, rule) is recorded in the ledger as ``screening:<rule>`` with
    action ``excluded`` or ``flagged``. With ``"flag"`` the kept table gains
    one boolean ``flag_<rule>`` column per rule. Rows flagged by a rule in
    :data:`ALWAYS_EXCLUDED` (no respondent, unusable submission time) are
    excluded under either policy.

    Returns ``(kept, ledger)``.
    """
    check_choice("policy", policy, POLICIES)
    ledger = ledger if ledger is not None else Ledger()
    drop = np.zeros(len(data), bool)
    for rule in RULES:
        hit = flags[rule].to_numpy()
        if not hit.any():
            continue
        action = "excluded" if (policy == "exclude" or rule in ALWAYS_EXCLUDED) else "flagged"
        ledger.record(
            table,
            data.index[hit],
            rule=f"screening:{rule}",
            action=action,
            detail=flags.loc[hit, f"{rule}_detail"].astype(str).to_numpy(),
            source_file=source_file,
        )
        if action == "excluded":
            drop |= hit
    kept = data.loc[~drop]
    if policy == "flag":
        for rule in RULES:
            if rule not in ALWAYS_EXCLUDED:
                kept[f"flag_{rule}"] = flags.loc[~drop, rule].astype("boolean").to_numpy()
    return kept, ledger
