"""Planning inputs from a study: the branches' intraclass correlation and spread of an outcome."""

from __future__ import annotations

import numpy as np
import pandas as pd

from fusion_study.data.checks import require_tables

__all__ = ["study_icc"]


def study_icc(study, *, outcome: str = "satisfaction", alpha: float = 0.05) -> pd.DataFrame:
    """The ICC and standard deviation of a survey outcome before the programme, from a study.

    The responses of :func:`fusion_study.effects.study.exposures` (screened) taken before their
    branch's programme starts (``cohort_programme``; all waves of never-adopting branches),
    centred on their wave's mean so that common change between waves is not counted as
    within-branch spread, go into :func:`~fusion_study.planning.samples.branch_icc`.

    Parameters
    ----------
    study : Study
        With ``customer_survey``, ``customers`` and ``units``.
    outcome : str, default "satisfaction"
        A score column of the exposures frame (0–100 scale).
    alpha : float, default 0.05

    Returns
    -------
    pandas.DataFrame
        One row of :func:`~fusion_study.planning.samples.branch_icc` (``estimate`` is the ICC,
        ``sd`` the total standard deviation in the outcome's points), plus ``outcome`` and
        ``n_waves``.

    Validated against: the ANOVA estimator of ``branch_icc`` (R psych / aov); on the simulator's
    p_city studies its interval holds the planning default 0.15 (tests).
    """
    from fusion_study.effects.study import exposures
    from fusion_study.planning.samples import branch_icc

    require_tables(study, ["customer_survey", "customers", "units"], what="study_icc")
    ex = exposures(study)
    if outcome not in ex.columns:
        scores = [c for c in ("satisfaction", "dependency") if c in ex.columns]
        raise ValueError(f"study_icc: the study's survey gives no score {outcome!r}; scores present: {scores}")
    if "cohort_programme" in ex.columns:
        start = ex["cohort_programme"].where(ex["cohort_programme"] > 0, np.inf)
        ex = ex[ex["period"] < start]
    ex = ex[ex[outcome].notna()]
    if ex.empty:
        raise ValueError(f"study_icc: no survey response with {outcome!r} before the programme starts")
    centred = ex[outcome] - ex.groupby("period")[outcome].transform("mean")
    res = branch_icc(ex.assign(_centred=centred), outcome="_centred", alpha=alpha)
    res.insert(0, "outcome", outcome)
    res["n_waves"] = ex["period"].nunique()
    return res
