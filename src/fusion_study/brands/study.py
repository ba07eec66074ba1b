"""Domain layer: from a :class:`~fusion_study.Study` to the branch-brand analyses.

The generic modules take plain tables (:mod:`.distinctiveness` the ``brands``
table, :mod:`.moderation` a retailer × wave frame); the functions here take a
study and use its **screened** customer survey
(:func:`fusion_study.ingest.screen_study`, a no-op when the study is already
screened):

* :func:`study_brand_distinctiveness` — each brand's similarity, genericness and flag;
* :func:`brand_moderation_frame` — the retailer × wave analysis frame of
  :func:`fusion_study.effects.study.exposures` with each branch's brand flag as ``brand_type``;
* :func:`study_brand_moderation` — :func:`~fusion_study.brands.moderation.brand_type_moderation`
  on that frame.
"""

from __future__ import annotations

import pandas as pd

from fusion_study.brands.distinctiveness import brand_distinctiveness

__all__ = ["study_brand_distinctiveness", "brand_moderation_frame", "study_brand_moderation"]


def _brands(study) -> pd.DataFrame:
    if "brands" not in study or study.brands.empty:
        raise ValueError("the study has no 'brands' table (支部品牌); brand analyses need the branch brands")
    return study.brands


def study_brand_distinctiveness(study, **kwargs) -> pd.DataFrame:
    """:func:`~fusion_study.brands.distinctiveness.brand_distinctiveness` of the study's ``brands`` table.

    Keyword arguments (``reference``, ``generic_phrases``, thresholds) go to
    ``brand_distinctiveness``; the returned columns are its columns (one row per
    brand, with ``flag`` = ``distinctive``, ``generic`` or ``copied``).
    """
    return brand_distinctiveness(_brands(study), **kwargs)


def brand_moderation_frame(study, *, flags: pd.DataFrame | None = None, screen: bool = True) -> pd.DataFrame:
    """The analysis frame for :func:`~fusion_study.brands.moderation.brand_type_moderation` from a study.

    Parameters
    ----------
    study : Study
        Needs ``customer_survey``, ``customers``, ``units``, ``interventions``
        (the ``brand`` intervention's start quarters) and ``brands``.
    flags : DataFrame, optional
        ``branch_id, flag`` per brand; default :func:`study_brand_distinctiveness`.
    screen : bool
        Use the screened study (default; speeders, straight-liners, duplicates
        and out-of-range answers left out, see :func:`~fusion_study.effects.study.exposures`).

    Returns
    -------
    DataFrame
        The columns of :func:`~fusion_study.effects.study.exposures`
        (``response_id, period, branch_id, satisfaction, cohort_brand``, …) with
        ``brand_type`` = the serving branch's flag (missing for branches without
        a brand). The screening ledger is in ``attrs["ledger"]``.
    """
    from fusion_study.effects.study import exposures

    brands = _brands(study)
    if flags is None:
        flags = brand_distinctiveness(brands)
    missing = [c for c in ("branch_id", "flag") if c not in flags.columns]
    if missing:
        raise ValueError(f"flags lacks column(s) {missing}; pass the output of brand_distinctiveness")
    ex = exposures(study, screen=screen)
    attrs = dict(ex.attrs)
    if "cohort_brand" not in ex.columns:
        raise ValueError("the study's interventions table has no 'brand' intervention (no brand launch quarters)")
    ex = ex.drop(columns=["brand_type"], errors="ignore")
    ex = ex.merge(flags[["branch_id", "flag"]].rename(columns={"flag": "brand_type"}), on="branch_id", how="left")
    ex.attrs.update(attrs)
    return ex


def study_brand_moderation(study, *, flags: pd.DataFrame | None = None, **kwargs) -> pd.DataFrame:
    """Brand type as a moderator of the brand launch's effect, on the study's screened responses.

    :func:`~fusion_study.brands.moderation.brand_type_moderation` of
    :func:`brand_moderation_frame`; keyword arguments (``method``, ``control``,
    ``alpha``, …) go to ``brand_type_moderation``, whose table is returned
    (``attrs["ledger"]``: the screening ledger of the responses).
    """
    from fusion_study.brands.moderation import brand_type_moderation

    frame = brand_moderation_frame(study, flags=flags)
    out = brand_type_moderation(frame, **kwargs)
    out.attrs["ledger"] = frame.attrs.get("ledger")
    return out
