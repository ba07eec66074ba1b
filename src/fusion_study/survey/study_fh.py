"""Domain layer: Fay–Herriot branch satisfaction from a study (direct estimates + branch auxiliaries).

For each wave, the screened responses with a 0–100 satisfaction score are raked to
the customers' margins (:func:`~fusion_study.survey.weights.rake`, on the scored
responses so that the calibration holds for them); each branch's direct estimate and
its calibration-aware SE come from :func:`~fusion_study.survey.design.survey_mean`
with ``by="branch_id"``; :class:`~fusion_study.survey.fay_herriot.FayHerriot` then
combines them with branch-level auxiliaries from the organisational tables: the
branch's ``county_id`` and ``log_customers`` (log of its number of customers).
"""

from __future__ import annotations

import warnings
from typing import Sequence

import numpy as np
import pandas as pd

from fusion_study.data.checks import check_alpha, check_choice
from fusion_study.survey.design import survey_mean
from fusion_study.survey.fay_herriot import FayHerriot
from fusion_study.survey.small_area import NoBranchVarianceWarning
from fusion_study.survey.study import _responses, _scored, latest_wave
from fusion_study.survey.weights import rake

__all__ = ["study_branch_fay_herriot"]

AUXILIARIES = ("county_id", "log_customers", "n_customers")


def study_branch_fay_herriot(
    study,
    *,
    wave: str | Sequence[str] | None = None,
    covariates: Sequence[str] = ("county_id",),
    margins: Sequence[str] = ("county_id", "segment"),
    method: str = "REML",
    variances: str = "smoothed",
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Each branch's mean 0–100 satisfaction: direct (weighted) and Fay–Herriot EBLUP, per wave.

    Parameters
    ----------
    study : Study
        Needs ``customer_survey``, ``customers`` and a codebook with ``satisfaction`` items.
    wave : str or sequence of str, optional
        The wave(s); default the latest one. One model is fitted per wave.
    covariates : sequence of str
        Branch auxiliaries among ``county_id``, ``log_customers``, ``n_customers``.
    margins : sequence of str
        Raking margins (columns of ``customers``).
    method : {"REML", "ML", "FH"}
        Estimator of the between-branch variance (:class:`FayHerriot`).
    variances : {"smoothed", "direct"}
        The sampling variances ``ψ_i`` the model takes as known: ``"direct"`` the
        squared design SEs, which are noisy for branches with ~10 answers (and too
        small as often as too large); ``"smoothed"`` (default) a generalised variance
        function ``ψ_i = c / n_eff_i`` with ``c`` the median of ``se_i² · n_eff_i``
        over the wave's branches (``n_eff`` the branch's Kish effective sample size).
        On the bundled example (12 waves × 24 branches, against the simulator's true
        branch means) smoothing raised the 95% interval coverage from 0.90 to 0.93.
    alpha : float
        Intervals hold ``1 - alpha``.

    Returns
    -------
    DataFrame
        One row per wave and branch with a direct estimate: ``wave, branch_id, n`` and the
        :meth:`FayHerriot.to_frame` columns (``direct, direct_se`` — the SE the model used —,
        ``estimate, se, ci_lower, ci_upper, synthetic, shrinkage, g1, g2, g3, mse``), with
        ``design_se`` (the branch's own design-based SE) after ``direct_se``. ``attrs``: ``method``,
        ``alpha``, ``covariates``, ``models`` (wave → :meth:`FayHerriot.summary`),
        ``excluded`` (wave, branch_id, n, reason: branches whose direct SE is 0 or
        undefined — one response, or all answers equal — left out of the model) and
        ``n_no_score`` (responses without a satisfaction score).
    """
    what = "study_branch_fay_herriot"
    check_alpha(alpha)
    variances = check_choice("variances", variances, ("smoothed", "direct"))
    covariates = [covariates] if isinstance(covariates, str) else list(covariates)
    unknown = [c for c in covariates if c not in AUXILIARIES]
    if unknown:
        raise ValueError(f"{what}: covariates {unknown} are not branch auxiliaries; choose from {list(AUXILIARIES)}")
    resp, study = _responses(study, what=what)
    customers = study.customers
    waves = [latest_wave(resp["wave"])] if wave is None else ([wave] if isinstance(wave, str) else list(wave))
    have = set(resp["wave"].astype(str))
    missing = [w for w in waves if str(w) not in have]
    if missing:
        raise ValueError(f"{what}: wave(s) {missing} are not in the customer survey (waves {sorted(have)})")
    aux = customers.groupby("branch_id").agg(county_id=("county_id", "first"), n_customers=("customer_id", "size"))
    aux["log_customers"] = np.log(aux["n_customers"])
    frames, models, excluded, n_no_score = [], {}, [], 0
    for wv in waves:
        d, n_none = _scored(resp[resp["wave"].astype(str) == str(wv)], study.codebook, what=what)
        n_no_score += n_none
        w = rake(d, customers, margins=list(margins))
        direct = survey_mean(d, "satisfaction", weights=w, by="branch_id", alpha=alpha)
        bad = ~(direct["se"] > 0)
        gone = direct.loc[bad, ["branch_id", "n"]]
        excluded.append(gone.assign(wave=str(wv), reason=np.where(
            gone["n"] < 2, "one response", "direct SE is 0 (all answers equal)")))
        direct = direct[~bad].merge(aux, left_on="branch_id", right_index=True, how="left")
        direct["design_se"] = direct["se"]
        if variances == "smoothed":
            c = float(np.median(direct["se"] ** 2 * direct["n_eff"]))
            direct["se"] = np.sqrt(c / direct["n_eff"])
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", NoBranchVarianceWarning)
            fh = FayHerriot(area="branch_id", covariates=covariates, method=method, alpha=alpha).fit(direct)
        for c in caught:
            warnings.warn(f"{what}: wave {wv}: {c.message}", c.category, stacklevel=2)
        out = fh.to_frame().rename(columns={"area": "branch_id"})
        out.insert(0, "wave", str(wv))
        out.insert(2, "n", direct["n"].to_numpy())
        out.insert(5, "design_se", direct["design_se"].to_numpy())
        frames.append(out)
        models[str(wv)] = fh.summary()
    result = pd.concat(frames, ignore_index=True)
    result.attrs = {"method": method, "alpha": float(alpha), "covariates": covariates, "models": models,
                    "excluded": pd.concat(excluded, ignore_index=True)[["wave", "branch_id", "n", "reason"]],
                    "n_no_score": n_no_score}
    return result
