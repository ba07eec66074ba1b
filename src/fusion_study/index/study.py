"""The domain layer: a study's integration index, coupling and two-skins test in one call.

Indicators per branch (党支部) and survey wave:

* the staff survey's four fusion scales (目标/成效/能力/服务融合): each respondent's
  scale score from :func:`fusion_study.measurement.scores.score_scales` (mean of
  the answered items, reverse items reversed from the codebook, missing when
  fewer than all-but-one items are answered), then the mean over the branch's
  respondents in that wave (``staff_survey.unit_id`` is the branch);
* KPIs from the ``kpis`` table for the same branch and period (``period ==
  wave``); if KPIs are kept for a higher unit (e.g. the county), the branch takes
  its nearest ancestor's values. ``<metric>_per_retailer`` is the KPI divided by
  the number of retailers the branch serves (``customers.branch_id``), which
  removes branch size from totals such as complaints or revenue.

:data:`DEFAULT_INDICATORS` is the default indicator set. Why each KPI is in or
out — checked on the bundled simulated ``p_city`` example against the
simulator's true fusion level (Spearman correlation of branch means over the 12
waves, entropy weights, screened staff survey; ``tests/test_index_truth.py``):

* four fusion scales only: 0.95;
* + ``complaints_per_retailer`` (cost) + ``non_tobacco_revenue_per_retailer``:
  0.92 — the default: integration should show in service outcomes, not only in
  staff opinion, and both KPIs are size-free;
* raw totals ``complaints`` + ``non_tobacco_revenue`` instead: 0.61, and
  ``sales`` totals 0.61 — totals measure branch *size* (number of retailers),
  which entropy weighting rewards for its spread, so they dilute the index;
  ``sales_per_retailer`` also adds nothing (0.90) because tobacco sales follow
  retailer size mix and season, not integration;
* ``party_assessment`` / ``business_assessment`` are left out although they do
  not dilute the ranking (0.95): they are the two sides of the "two skins" test
  (:func:`study_alignment`), and using them in the index would make that test
  circular.
"""

from __future__ import annotations

import logging
import warnings

import numpy as np
import pandas as pd

from fusion_study.data.codebook import scales
from fusion_study.data.instruments import STAFF_SCALES, standard_codebook
from fusion_study.data.ledger import Ledger
from fusion_study.index._validate import IndexInputError
from fusion_study.index.alignment import AssessmentAlignment, assessment_alignment
from fusion_study.index.composite import IntegrationIndex
from fusion_study.index.coupling import coupling_coordination

__all__ = [
    "DEFAULT_INDICATORS",
    "DEFAULT_DIRECTION",
    "study_indicators",
    "study_index",
    "study_coupling",
    "study_alignment",
    "STAFF_WEIGHT_COLUMN",
]

logger = logging.getLogger(__name__)

FUSION_SCALES = tuple(STAFF_SCALES)  # goal, outcome, capability, service

#: Default dimensions -> indicators. The four fusion dimensions come from the
#: staff survey; KPIs enter as a fifth "business" dimension.
DEFAULT_INDICATORS: dict[str, list[str]] = {
    "goal": ["goal"],
    "outcome": ["outcome"],
    "capability": ["capability"],
    "service": ["service"],
    "business": ["complaints_per_retailer", "non_tobacco_revenue_per_retailer"],
}
#: Cost-type indicators (used when present among the indicators).
DEFAULT_DIRECTION = ["complaints", "complaints_per_retailer"]
_PER_RETAILER = "_per_retailer"
#: A ``staff_survey`` column of analyst-supplied respondent weights the report uses when weighting is on.
STAFF_WEIGHT_COLUMN = "weight"


def _codebook(study) -> pd.DataFrame:
    cb = getattr(study, "codebook", None)
    if cb is None or not (cb["instrument"] == "staff_survey").any():
        return standard_codebook()
    return cb


def _screened(study, ledger: Ledger | None):
    """The screened study (:func:`fusion_study.ingest.screen_study`; a no-op when already screened),
    its staff-survey screening entries added to ``ledger``."""
    from fusion_study.ingest.screen import screen_study, screening_ledger

    study, _ = screen_study(study)
    if ledger is not None:
        ledger.extend(screening_ledger(study, tables=["staff_survey"]))
    return study


def _fusion_scores(study, response_weights=None) -> pd.DataFrame:
    if "staff_survey" not in study:
        raise IndexInputError("this study has no staff_survey table (员工党业融合调查); the four-fusion "
                              "indicators come from it")
    cb = _codebook(study)
    survey = study.staff_survey
    sc = scales(cb, "staff_survey")
    missing_scales = [s for s in FUSION_SCALES if not any(i in survey.columns for i in sc.get(s, []))]
    if missing_scales:
        raise IndexInputError(f"staff_survey has no items of the fusion scale(s) {missing_scales}; "
                              f"expected items {[sc.get(s, []) for s in missing_scales]}")
    from fusion_study.measurement.scores import score_scales

    staff_items = cb[cb["instrument"] == "staff_survey"]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        scores = score_scales(survey, staff_items, method="mean")
    for w in caught:  # a respondent's missing scale score leaves that scale's branch mean to the others
        logger.info("staff survey: %s", w.message)
    per = pd.concat([survey[["unit_id", "wave"]], scores[list(FUSION_SCALES)]], axis=1)
    per = per.rename(columns={"wave": "period"})
    per["unit_id"] = per["unit_id"].astype(str)
    per["period"] = per["period"].astype(str)
    keys = ["unit_id", "period"]
    if response_weights is None:
        out = per.groupby(keys, sort=True)[list(FUSION_SCALES)].mean()
    else:
        w = _staff_weights(survey, response_weights)
        vals = per[list(FUSION_SCALES)]
        wmat = vals.notna().mul(w, axis=0)  # a missing scale score carries no weight
        num = (vals.fillna(0.0) * wmat).groupby([per[k] for k in keys], sort=True).sum()
        den = wmat.groupby([per[k] for k in keys], sort=True).sum()
        out = num / den.where(den > 0)
    out["n_staff"] = per.groupby(keys, sort=True).size()
    return out.reset_index()


def _staff_weights(survey: pd.DataFrame, response_weights) -> pd.Series:
    """The staff respondents' weights (a column name or a Series aligned on the survey's index), checked."""
    if isinstance(response_weights, str):
        if response_weights not in survey.columns:
            raise IndexInputError(f"response_weights={response_weights!r} is not a column of staff_survey "
                                  f"(员工党业融合调查); its columns are {list(survey.columns)}")
        w = survey[response_weights]
    else:
        w = pd.Series(response_weights).reindex(survey.index)
    w = pd.to_numeric(w, errors="coerce")
    bad = w.isna() | ~np.isfinite(w) | (w <= 0)
    if bad.any():
        rows = survey.index[bad.to_numpy()].tolist()[:10]
        raise IndexInputError(f"staff_survey weights must be positive numbers; {int(bad.sum())} response(s) "
                              f"have a missing, zero, negative or non-numeric weight (rows {rows})")
    return w.astype(float)


def _ancestors(units: pd.DataFrame | None) -> dict[str, list[str]]:
    if units is None:
        return {}
    parent = dict(zip(units["unit_id"].astype(str), units["parent_id"]))
    out = {}
    for u in parent:
        chain, p = [], parent.get(u)
        while isinstance(p, str) and p and p not in chain:
            chain.append(p)
            p = parent.get(p)
        out[u] = chain
    return out


def _kpi_wide(study, branches: pd.DataFrame, metrics) -> pd.DataFrame:
    if "kpis" not in study or not len(metrics):
        return branches[["unit_id", "period"]].copy()
    k = study.kpis.copy()
    k["unit_id"] = k["unit_id"].astype(str)
    k["period"] = k["period"].astype(str)
    absent = [m for m in metrics if not (k["metric"] == m).any()]
    if absent:
        raise IndexInputError(f"KPI metric(s) {absent} not in the kpis table (考核指标); metrics present: "
                              f"{sorted(k['metric'].astype(str).unique())}")
    k = k[k["metric"].isin(metrics)]
    wide = k.pivot_table(index=["unit_id", "period"], columns="metric", values="value", aggfunc="mean")
    out = branches[["unit_id", "period"]].copy()
    anc = _ancestors(study.units if "units" in study else None)
    have = set(wide.index.get_level_values(0))
    source = []
    for u in out["unit_id"]:
        if u in have:
            source.append(u)
        else:
            up = next((a for a in anc.get(u, []) if a in have), u)
            source.append(up)
    n_up = sum(s != u for s, u in zip(source, out["unit_id"]))
    if n_up:
        logger.info("KPIs for %d branch-periods taken from a parent unit", n_up)
    key = pd.MultiIndex.from_arrays([source, out["period"]])
    vals = wide.reindex(key)
    for m in metrics:
        out[m] = vals[m].to_numpy() if m in vals.columns else np.nan
    return out


def study_indicators(study, *, kpi_metrics=None, screen: bool = True, ledger: Ledger | None = None,
                     response_weights=None) -> pd.DataFrame:
    """One row per branch and wave: four-fusion scale means, staff count and KPIs.

    ``response_weights`` (a ``staff_survey`` column name, or a Series aligned on its
    index; default ``None``: every respondent counts equally) makes each branch-wave's
    scale mean the weighted mean ``Σ w_i x_i / Σ w_i`` over the respondents with that
    scale score. The study has no staff population table (only ``members``, the party
    members), so the package cannot rake the staff survey itself: the weights come
    from the analyst (e.g. the inverse of each staff group's response rate from the HR
    roster). Weights must be positive; ``n_staff`` stays the number of respondents.

    With ``screen=True`` (default) the indicators come from the screened study
    (:func:`fusion_study.ingest.screen_study`, a no-op when the study is already
    screened): staff responses failing the survey screening rules (speeders,
    straight-liners, duplicates, out-of-range answers) are left out and recorded
    in ``ledger`` (table ``staff_survey``, rule ``screening:<rule>``).
    ``screen=False`` uses the staff survey as it is.

    Returns
    -------
    DataFrame
        ``unit_id, period, goal, outcome, capability, service, n_staff`` and one
        column per KPI metric in ``kpi_metrics`` (default: every KPI used by
        :data:`DEFAULT_INDICATORS`).
    """
    if kpi_metrics is None:
        kpi_metrics = [c for cols in DEFAULT_INDICATORS.values() for c in cols if c not in FUSION_SCALES]
    kpi_metrics = list(kpi_metrics)
    base = list(dict.fromkeys(m[: -len(_PER_RETAILER)] if m.endswith(_PER_RETAILER) else m for m in kpi_metrics))
    if screen:
        study = _screened(study, ledger)
    fusion = _fusion_scores(study, response_weights)
    kp = _kpi_wide(study, fusion, base)
    out = fusion.merge(kp, on=["unit_id", "period"], how="left")
    per = [m for m in kpi_metrics if m.endswith(_PER_RETAILER)]
    if per:
        if "customers" not in study:
            raise IndexInputError(f"{per} need the customers table (零售客户) to count each branch's retailers")
        n_ret = study.customers.groupby(study.customers["branch_id"].astype(str)).size()
        n = out["unit_id"].map(n_ret)
        if n.isna().any():
            lacking = sorted(out.loc[n.isna(), "unit_id"].unique())
            logger.warning("branches %s serve no retailers in the customers table; per-retailer KPIs missing", lacking)
        for m in per:
            out[m] = out[m[: -len(_PER_RETAILER)]] / n
        out = out.drop(columns=[b for b in base if b not in kpi_metrics])
    return out


def study_index(study, *, indicators=None, normalise: str = "minmax", weights="entropy", aggregate: str = "linear",
                direction=None, screen: bool = True, response_weights=None) -> IntegrationIndex:
    """The study's integration index per branch and wave, fitted.

    Parameters
    ----------
    study : Study
        Needs ``staff_survey`` (and ``kpis`` for KPI indicators).
    indicators : mapping, optional
        Dimensions -> indicator columns of :func:`study_indicators`
        (default :data:`DEFAULT_INDICATORS`).
    normalise, weights, aggregate : as :class:`IntegrationIndex`
    direction : list or mapping, optional
        Cost-type indicators (default :data:`DEFAULT_DIRECTION` where present).
    screen : bool
        Screen the staff survey first (see :func:`study_indicators`).
    response_weights : str or Series, optional
        Staff respondents' weights for the respondent → branch means (see
        :func:`study_indicators`); ``weights`` is the *indicator* weighting.

    Returns
    -------
    IntegrationIndex
        Fitted on the branch x wave table (kept as ``data_``); ``ledger_`` lists
        screened-out staff responses and branch-waves excluded for missing
        indicators.
    """
    indicators = DEFAULT_INDICATORS if indicators is None else indicators
    cols = [c for v in indicators.values() for c in ([v] if isinstance(v, str) else v)]
    kpis = [c for c in cols if c not in FUSION_SCALES and c != "n_staff"]
    screening_ledger = Ledger()
    data = study_indicators(study, kpi_metrics=kpis, screen=screen, ledger=screening_ledger,
                            response_weights=response_weights)
    if direction is None:
        direction = [c for c in DEFAULT_DIRECTION if c in cols]
    idx = IntegrationIndex(indicators, normalise=normalise, weights=weights, aggregate=aggregate,
                           direction=direction, missing="exclude")
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r".*excluded from the index", category=UserWarning)
        idx.fit(data)
    idx.data_ = data
    idx.ledger_.extend(screening_ledger)
    return idx


def study_coupling(study, *, party=None, business=None, weight: float = 0.5, weights="entropy") -> pd.DataFrame:
    """Coupling coordination of the party subsystem and the business subsystem per branch and wave.

    Each subsystem is a min-max, linearly aggregated sub-index (in [0, 1]) of its
    indicators: by default the four fusion scales (party) and the default KPIs
    (business); ``weight`` is subsystem a's weight in T (see
    :func:`~fusion_study.index.coupling.coupling_coordination`).

    Returns
    -------
    DataFrame
        ``unit_id, period, u1, u2, C, T, D, level, level_zh, level_en``.
    """
    party = list(FUSION_SCALES) if party is None else list(party)
    if business is None:
        business = [c for c in DEFAULT_INDICATORS["business"]]
    idx = study_index(study, indicators={"party": party, "business": business}, weights=weights)
    s = idx.scores_
    cc = coupling_coordination(s["party"].to_numpy(), s["business"].to_numpy(), weight=weight)
    return pd.concat([s[["unit_id", "period"]].reset_index(drop=True), cc.reset_index(drop=True)], axis=1)


def study_alignment(study, *, by=("unit_id", "period"), cut="median", n_boot: int = 2000,
                    seed=None, alpha: float = 0.05) -> AssessmentAlignment:
    """The two-skins test on the study's ``kpis``: party_assessment vs business_assessment.

    By default each branch x quarter assessment round is a point (the two
    assessments of the same round compared) and the bootstrap resamples
    branches, keeping a branch's quarters together; ``by=("unit_id",)`` compares
    branch averages instead (a different, typically larger correlation, since
    averaging removes round-to-round noise). Only branch-level units are used
    when the ``units`` table marks levels. ``alpha`` sets the intervals (see
    :func:`~fusion_study.index.alignment.assessment_alignment`).
    """
    if "kpis" not in study:
        raise IndexInputError("this study has no kpis table (考核指标); the two-skins test needs "
                              "party_assessment and business_assessment KPIs")
    k = study.kpis
    if "units" in study and "level" in study.units.columns:
        branches = set(study.units.loc[study.units["level"] == "branch", "unit_id"].astype(str))
        sub = k[k["unit_id"].astype(str).isin(branches)]
        if len(sub):
            k = sub
    return assessment_alignment(k, by=by, cut=cut, n_boot=n_boot, seed=seed, alpha=alpha)
