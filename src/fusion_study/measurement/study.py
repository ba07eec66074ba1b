"""Domain layer: validity reports of a study's survey instruments from its codebook."""

from __future__ import annotations

import pandas as pd

from .. import codebook as _codebook
from .validity_tables import validity_report

__all__ = ["instrument_frame", "study_validity", "study_scores", "INSTRUMENTS"]

_ID_COLUMNS = ("response_id", "customer_id", "staff_id", "unit_id", "wave")

INSTRUMENTS = {"customer_survey": "customer_survey", "staff_survey": "staff_survey"}


def instrument_frame(study, instrument: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The responses of one instrument and its codebook rows (raises if either is missing)."""
    if instrument not in INSTRUMENTS:
        raise ValueError(f"instrument={instrument!r} is not supported; use one of {sorted(INSTRUMENTS)}")
    if getattr(study, "codebook", None) is None:
        raise ValueError("the study has no codebook; scales and reverse-coded items come from it")
    if INSTRUMENTS[instrument] not in study:
        raise ValueError(f"the study has no {INSTRUMENTS[instrument]} table")
    cb = _codebook.items(study.codebook, instrument)
    if cb.empty:
        raise ValueError(f"the codebook lists no items for instrument {instrument!r}")
    return study.tables[INSTRUMENTS[instrument]], cb


def study_validity(study, *, instruments=("customer_survey", "staff_survey"),
                   missing: str = "listwise") -> dict[str, dict[str, pd.DataFrame]]:
    """Validity report (see :func:`validity_report`) for each survey instrument of a study.

    Scales and reverse-coded items come from the study's codebook.

    Returns
    -------
    ``{instrument: {table name: DataFrame}}``.
    """
    out = {}
    for inst in instruments:
        data, cb = instrument_frame(study, inst)
        out[inst] = validity_report(data, cb, missing=missing)
    return out


def study_scores(study, instrument: str = "customer_survey", *, method: str = "mean",
                 min_items: int | float | None = None) -> pd.DataFrame:
    """Scale scores of one instrument, with the response identifiers, for the index and effects modules.

    Reverse-coded items are reversed from the codebook; see :func:`score_scales`.

    Returns
    -------
    DataFrame: the identifier columns present (``response_id, customer_id`` or
    ``staff_id, unit_id``, ``wave``) and one column per scale.
    """
    from .scores import score_scales

    data, cb = instrument_frame(study, instrument)
    scores = score_scales(data, cb, method=method, min_items=min_items)
    ids = data[[c for c in _ID_COLUMNS if c in data.columns]]
    return pd.concat([ids, scores], axis=1).reset_index(drop=True)
