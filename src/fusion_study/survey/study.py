"""Domain layer: from a :class:`~fusion_study.Study` to weights, weighted means and branch estimates.

The generic modules (:mod:`.weights`, :mod:`.design`, :mod:`.small_area`) take
plain tables; the functions here take a study and use its **screened**
customer survey (:func:`fusion_study.ingest.screen_study`, a no-op when the
study is already screened). Each response's ``county_id``, ``segment`` and
``branch_id`` come from the ``customers`` table (joined on ``customer_id``);
satisfaction is the 0–100 score of the codebook's ``satisfaction`` items
(:func:`fusion_study.measurement.scores.satisfaction_score`).

* :func:`study_weights` — the responses with weights raked to the customers' margins;
* :func:`study_weighted_means` — weighted against unweighted mean satisfaction;
* :func:`study_satisfaction_by_branch` — shrunken branch means with rank intervals;
* :func:`study_descriptives` — satisfaction and dependency per wave, weighted or not
  (the study-level switch ``weights="rake" | None``, :data:`WEIGHTINGS`);
* :func:`study_standard_errors` — one wave's weighted mean with fixed-weight,
  calibration-aware and jackknife standard errors;
* :func:`study_planning` — responses per branch a target half-width of a branch's
  satisfaction interval needs, from the observed ICC and the weighting design effect.

>>> from fusion_study import load_study, example_study_path
>>> s = load_study(example_study_path())
>>> w = study_weights(s)
>>> w.attrs["diagnostics"].columns.tolist()
['wave', 'n', 'min', 'max', 'max_min_ratio', 'deff', 'n_eff']
>>> study_weighted_means(s)["weighting"].tolist()
['weighted', 'unweighted']
"""

from __future__ import annotations

import warnings
from typing import Sequence

import numpy as np
import pandas as pd

from fusion_study.data.checks import check_alpha, critical_value, require_columns, require_tables
from fusion_study.survey.design import survey_mean
from fusion_study.survey.small_area import DroppedRowsWarning, branch_means, rank_intervals
from fusion_study.survey.weights import _shown, rake, weight_diagnostics

__all__ = [
    "study_weights",
    "study_weighted_means",
    "study_satisfaction_by_branch",
    "study_descriptives",
    "study_planning",
    "study_standard_errors",
    "SE_METHODS",
    "latest_wave",
    "check_weighting",
    "WEIGHTINGS",
]

#: The study-level weighting switch: ``"rake"`` (weights raked to the ``customers`` table's
#: county and segment margins, the default of the report) or ``None`` (every response weight 1).
WEIGHTINGS = ("rake", None)

#: 0–100 scales of the customer survey the descriptive table shows (those the codebook has)
DESCRIPTIVE_SCALES = ("satisfaction", "dependency")

#: columns a response takes from the customers table
CUSTOMER_COLUMNS = ("branch_id", "county_id", "segment")


def _screened(study):
    from fusion_study.ingest.screen import screen_study

    return screen_study(study)[0]


def check_weighting(weights) -> str | None:
    """``weights`` as one of :data:`WEIGHTINGS` (the text ``"none"`` is ``None``), or an error listing them."""
    if weights is None or (isinstance(weights, str) and weights.lower() == "none"):
        return None
    if isinstance(weights, str) and weights.lower() == "rake":
        return "rake"
    raise ValueError(f"weights must be one of 'rake' or None (no weighting), got {weights!r}")


def latest_wave(waves: pd.Series) -> str:
    """The latest wave among ``waves`` (quarters in time order; other labels in sort order)."""
    values = pd.Series(pd.unique(waves.dropna().astype(str)))
    if values.empty:
        raise ValueError("the customer survey has no wave values")
    from fusion_study.data.periods import period_number

    num = period_number(values)
    if num.notna().all():
        return str(values.iloc[int(np.argmax(num.to_numpy(dtype=float)))])
    return str(values.sort_values().iloc[-1])


def _responses(study, *, what: str):
    """Screened responses with the customers' branch, county and segment joined on ``customer_id``; the screened study."""
    require_tables(study, ["customer_survey", "customers"], what=what)
    study = _screened(study)
    survey, customers = study.customer_survey, study.customers
    require_columns(survey, ["customer_id", "wave"], what=what, table="customer_survey")
    require_columns(customers, ["customer_id", "branch_id"], what=what, table="customers")
    dup = customers["customer_id"][customers["customer_id"].duplicated()]
    if len(dup):
        raise ValueError(f"{what}: the customers table lists customer_id {_shown(dup.unique())} more than once")
    extra = [c for c in CUSTOMER_COLUMNS if c in customers.columns]
    info = customers[["customer_id", *extra]].set_index("customer_id")
    unknown = ~survey["customer_id"].isin(info.index)
    if unknown.any():
        ids = survey.loc[unknown, "customer_id"].astype(str).unique()
        raise ValueError(
            f"{what}: {int(unknown.sum())} customer_survey response(s) (rows {_shown(survey.index[unknown])}) have "
            f"customer_id {_shown(ids)} not in the customers table; add them to customers (they need a branch, "
            "county and segment) or remove the responses"
        )
    out = survey.drop(columns=[c for c in extra if c in survey.columns])
    joined = info.reindex(out["customer_id"].to_numpy())
    for c in extra:
        out[c] = joined[c].to_numpy()
    return out, study


def study_weights(
    study,
    *,
    margins: Sequence[str] = ("county_id", "segment"),
    trim: tuple[float, float] | None = None,
) -> pd.DataFrame:
    """The screened customer-survey responses with weights raked to the customers' margins.

    Each wave is raked separately (:func:`~fusion_study.survey.weights.rake`): it is
    its own sample of the same population, so each wave's weights sum to the number
    of customers and reproduce the customers' counts in every level of each margin.

    Parameters
    ----------
    study : Study
        Needs ``customer_survey`` and ``customers`` (``customer_id``, ``branch_id`` and
        the margin columns).
    margins : sequence of str
        Columns of ``customers`` whose distributions the weights reproduce. A margin
        the customers table does not have is dropped, with a note in
        ``attrs["notes"]``; when none is left the weights are not raked (error).
    trim : (lo, hi), optional
        Caps on the weights as multiples of their mean (see :func:`rake`).

    Returns
    -------
    DataFrame
        The screened ``customer_survey`` rows (its index and columns) with
        ``branch_id``, ``county_id``, ``segment`` (those the customers table has) from
        ``customers``, and ``weight``. ``attrs``: ``diagnostics`` (one row per wave:
        ``wave`` and the columns of :func:`~fusion_study.survey.weights.weight_diagnostics`),
        ``margins`` (used), ``notes`` (list of str).

    Raises
    ------
    ValueError
        A table or column missing, a response whose ``customer_id`` is not in
        ``customers`` (the ids are named), no usable margin, or the errors of
        :func:`rake` (a margin value missing, a level without responses in a wave).
    """
    what = "study_weights"
    margins = [margins] if isinstance(margins, str) else list(margins)
    resp, study = _responses(study, what=what)
    customers = study.customers
    notes = []
    absent = [m for m in margins if m not in customers.columns]
    if absent:
        notes.append(f"margin(s) {absent} are not columns of the customers table and were not used")
    used = [m for m in margins if m in customers.columns]
    if not used:
        raise ValueError(f"{what}: none of the margins {margins} is a column of the customers table "
                         f"(it has {list(customers.columns)}); nothing to rake to")
    for m in used:
        if m not in resp.columns:
            resp[m] = customers.set_index("customer_id")[m].reindex(resp["customer_id"].to_numpy()).to_numpy()
    if resp["wave"].isna().any():
        raise ValueError(f"{what}: column 'wave' of the customer_survey is missing in rows "
                         f"{_shown(resp.index[resp['wave'].isna()])}")
    weights = pd.Series(np.nan, index=resp.index, name="weight")
    diags = []
    for wave, idx in resp.groupby(resp["wave"].astype(str), sort=True).groups.items():
        sub = resp.loc[idx]
        try:
            w = rake(sub, customers, margins=used, trim=trim)
        except ValueError as err:
            raise ValueError(f"{what}: wave {wave}: {err}") from None
        weights.loc[idx] = w.to_numpy()
        diags.append(weight_diagnostics(w).assign(wave=wave))
    out = resp.assign(weight=weights.to_numpy())
    diag = pd.concat(diags, ignore_index=True)
    out.attrs = {
        "diagnostics": diag[["wave", *[c for c in diag.columns if c != "wave"]]],
        "margins": used,
        "notes": notes,
    }
    return out


def _scored(resp: pd.DataFrame, codebook, *, what: str) -> tuple[pd.DataFrame, int]:
    """Rows with a satisfaction score (column ``satisfaction``), and how many had none."""
    from fusion_study.measurement.scores import satisfaction_score

    try:
        score = satisfaction_score(resp, codebook=codebook)
    except ValueError as err:
        raise ValueError(f"{what}: cannot score satisfaction: {err}") from None
    d = resp.assign(satisfaction=score.to_numpy())
    keep = d["satisfaction"].notna() & d["branch_id"].notna()
    return d[keep], int((~keep).sum())


def study_weighted_means(
    study,
    *,
    by: str | Sequence[str] | None = None,
    wave: str | None = None,
    margins: Sequence[str] = ("county_id", "segment"),
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Mean 0–100 satisfaction with and without the raked weights (does weighting change the picture?).

    Both means are :func:`~fusion_study.survey.design.survey_mean` with
    ``cluster="branch_id"`` (responses of a branch are not independent); the
    unweighted one gives every response weight 1.

    Parameters
    ----------
    study : Study
    by : str or sequence of str, optional
        Per-group results (columns of the responses, e.g. ``"segment"`` or ``"wave"``).
    wave : str, optional
        The wave to use; default the latest one, or every wave when ``by`` includes ``"wave"``.
    margins : sequence of str
        Raking margins (:func:`study_weights`).
    alpha : float
        Significance level of the intervals.

    Returns
    -------
    DataFrame
        ``weighting`` (``"weighted"``, ``"unweighted"``), the ``by`` columns,
        ``variable`` (``"satisfaction"``), ``estimate, se, ci_lower, ci_upper, n, n_eff``.
        ``attrs``: ``wave`` (or ``None`` for all waves), ``diagnostics`` (the
        :func:`study_weights` diagnostics of the waves used), ``n_no_score``
        (responses without a satisfaction score, left out), ``notes``.

    Notes
    -----
    Weights are raked on all screened responses of a wave; responses without a
    satisfaction score are then left out of the means (counted in ``n_no_score``).
    """
    what = "study_weighted_means"
    check_alpha(alpha)
    by_cols = [] if by is None else ([by] if isinstance(by, str) else list(by))
    w = study_weights(study, margins=margins)
    if wave is None and "wave" not in by_cols:
        wave = latest_wave(w["wave"])
    if wave is not None:
        if str(wave) not in set(w["wave"].astype(str)):
            raise ValueError(f"{what}: wave {wave!r} is not in the customer survey (waves "
                             f"{sorted(w['wave'].astype(str).unique())})")
        w = w[w["wave"].astype(str) == str(wave)]
    d, n_no_score = _scored(w, study.codebook, what=what)
    if d.empty:
        raise ValueError(f"{what}: no response with a satisfaction score" + (f" in wave {wave}" if wave else ""))
    rows = []
    for name, weights in (("weighted", "weight"), ("unweighted", np.ones(len(d)))):
        est = survey_mean(d, "satisfaction", weights=weights, cluster="branch_id", by=by_cols or None, alpha=alpha)
        rows.append(est.assign(weighting=name))
    out = pd.concat(rows, ignore_index=True)
    out = out[["weighting", *[c for c in out.columns if c != "weighting"]]]
    diag = w.attrs["diagnostics"]
    out.attrs = {
        "wave": None if wave is None else str(wave),
        "diagnostics": diag if wave is None else diag[diag["wave"] == str(wave)].reset_index(drop=True),
        "n_no_score": n_no_score,
        "notes": list(w.attrs["notes"]),
        "alpha": float(alpha),
    }
    return out


def study_satisfaction_by_branch(
    study,
    *,
    wave: str | None = None,
    method: str = "blup",
    top: int = 3,
    bottom: int = 3,
    alpha: float = 0.05,
    seed=None,
) -> pd.DataFrame:
    """Each branch's mean 0–100 satisfaction: raw, shrunken (small-area BLUP) and its rank with uncertainty.

    :func:`~fusion_study.survey.small_area.branch_means` of the satisfaction score of
    the screened responses of one wave, by the customers' ``branch_id``, merged with
    :func:`~fusion_study.survey.small_area.rank_intervals` of the estimates.

    Parameters
    ----------
    study : Study
        Needs ``customer_survey``, ``customers`` and a codebook with ``satisfaction`` items.
    wave : str, optional
        The wave; default the latest one.
    method : {"blup", "raw"}
        As in :func:`branch_means`.
    top, bottom : int
        k of ``prob_top`` / ``prob_bottom`` (capped at the number of branches).
    alpha : float
        Intervals hold ``1 - alpha``.
    seed : int, Generator or None
        Randomness of the rank simulation.

    Returns
    -------
    DataFrame
        One row per branch, sorted by ``estimate`` (highest first): ``branch_id``,
        ``branch_name`` (from ``units.name`` when the study has units, else the id),
        ``n``, ``raw_mean``, ``raw_se``, ``raw_ci_lower``, ``raw_ci_upper`` (the raw
        mean's interval; NaN for a branch with one response), ``estimate, se,
        ci_lower, ci_upper``, ``shrinkage`` (as :func:`branch_means`), ``rank,
        median_rank, rank_ci_lower, rank_ci_upper, prob_top, prob_bottom`` (as
        :func:`rank_intervals`; 1 = highest; ``prob_top``/``prob_bottom`` are NaN
        when the estimated branch variance is 0: then no branch can be ranked).
        ``attrs``: ``wave``, ``method``, ``no_branch_variance``,
        ``alpha``, ``overall_mean`` (the pooled mean the branches shrink towards: the
        model intercept for ``"blup"``, the mean of the responses for ``"raw"``),
        ``n_no_score`` (responses without a score, left out), ``top``, ``bottom``,
        and the :func:`branch_means` attrs under ``model``.

    Raises
    ------
    ValueError
        Missing tables, columns or satisfaction items; a response whose customer is
        not in ``customers``; an unknown wave; fewer than 2 branches with answers.
    """
    what = "study_satisfaction_by_branch"
    check_alpha(alpha)
    resp, study = _responses(study, what=what)
    if wave is None:
        wave = latest_wave(resp["wave"])
    if str(wave) not in set(resp["wave"].astype(str)):
        raise ValueError(f"{what}: wave {wave!r} is not in the customer survey (waves "
                         f"{sorted(resp['wave'].astype(str).unique())})")
    resp = resp[resp["wave"].astype(str) == str(wave)]
    d, n_no_score = _scored(resp, study.codebook, what=what)
    k = d["branch_id"].nunique()
    if k < 2:
        raise ValueError(f"{what}: wave {wave} has satisfaction answers from {k} branch(es); need at least 2")
    est = branch_means(d, "satisfaction", by="branch_id", method=method, alpha=alpha)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DroppedRowsWarning)  # nothing is missing: rows were filtered above
        raw = branch_means(d, "satisfaction", by="branch_id", method="raw", alpha=alpha)
    ranks = rank_intervals(est, top=min(top, k), bottom=min(bottom, k), alpha=alpha, seed=seed)
    ranks = ranks.rename(columns={"ci_lower": "rank_ci_lower", "ci_upper": "rank_ci_upper"})
    out = est.merge(
        raw[["branch_id", "se", "ci_lower", "ci_upper"]].rename(
            columns={"se": "raw_se", "ci_lower": "raw_ci_lower", "ci_upper": "raw_ci_upper"}),
        on="branch_id",
    ).merge(ranks.drop(columns=["estimate", "se"]), on="branch_id")
    units = study.tables.get("units")
    names = (units.set_index("unit_id")["name"] if units is not None and {"unit_id", "name"} <= set(units.columns)
             else pd.Series(dtype=object))
    names = names[~names.index.duplicated()]
    out.insert(1, "branch_name", [str(names.get(b)) if pd.notna(names.get(b)) else str(b) for b in out["branch_id"]])
    cols = ["branch_id", "branch_name", "n", "raw_mean", "raw_se", "raw_ci_lower", "raw_ci_upper", "estimate", "se",
            "ci_lower", "ci_upper", "shrinkage", "rank", "median_rank", "rank_ci_lower", "rank_ci_upper", "prob_top",
            "prob_bottom"]
    out = out[cols].sort_values(["estimate", "branch_id"], ascending=[False, True], kind="stable")
    model = dict(est.attrs)
    overall = model["fixed_effects"]["Intercept"] if method == "blup" else float(d["satisfaction"].mean())
    out = out.reset_index(drop=True)
    no_variance = method == "blup" and model["branch_variance"] == 0.0
    if no_variance:  # every branch has the pooled mean: P(top k) would only be k / K by symmetry, not evidence
        out[["prob_top", "prob_bottom"]] = np.nan
    out.attrs = {
        "wave": str(wave), "method": method, "alpha": float(alpha), "overall_mean": float(overall),
        "n_no_score": n_no_score, "top": int(ranks.attrs["top"]), "bottom": int(ranks.attrs["bottom"]),
        "no_branch_variance": bool(no_variance), "model": model,
    }
    return out


def _weighted_responses(study, weights, *, margins, what: str) -> tuple[pd.DataFrame, object, list[str]]:
    """Screened responses with a ``weight`` column (raked, or 1 for ``weights=None``), the screened study, notes."""
    if weights == "rake":
        w = study_weights(study, margins=margins)
        return w, _screened(study), list(w.attrs["notes"])
    resp, screened = _responses(study, what=what)
    return resp.assign(weight=1.0), screened, []


def _scales_present(codebook, survey: pd.DataFrame, scales) -> list[str]:
    if codebook is None or "scale" not in codebook.columns:
        return []
    cb = codebook[codebook["item_id"].isin(survey.columns)]
    return [s for s in scales if (cb["scale"] == s).any()]


def study_descriptives(
    study,
    *,
    weights: str | None = "rake",
    scales: Sequence[str] = DESCRIPTIVE_SCALES,
    margins: Sequence[str] = ("county_id", "segment"),
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Mean and spread of the 0–100 satisfaction and dependency scores per wave, weighted or not.

    The descriptive table of the report's overview. Each wave's mean is
    :func:`~fusion_study.survey.design.survey_mean` of the scale score (the codebook's
    items rescaled to 0–100 and averaged, :func:`fusion_study.measurement.scores.satisfaction_score`)
    with ``cluster="branch_id"``; ``weights="rake"`` uses :func:`study_weights` (each wave
    raked to the customers' margins), ``weights=None`` gives every response weight 1.

    Parameters
    ----------
    study : Study
        Needs ``customer_survey``, ``customers`` and a codebook with items of the scales.
    weights : {"rake", None}
        The study-level weighting switch (:data:`WEIGHTINGS`).
    scales : sequence of str
        Scale names of the codebook; those the survey has no items of are left out
        (named in ``attrs["notes"]``).
    margins : sequence of str
        Raking margins (:func:`study_weights`).
    alpha : float
        Significance level of the intervals.

    Returns
    -------
    DataFrame
        One row per scale and wave (waves in time order): ``variable`` (the scale),
        ``wave``, ``weighting`` (``"weighted"`` or ``"unweighted"``), ``n`` (responses
        with a score), ``estimate`` (the mean), ``sd`` (weighted standard deviation,
        divisor Σw), ``se`` (branch-clustered, design-based), ``ci_lower, ci_upper``,
        ``n_eff``. ``attrs``: ``weighting``, ``margins`` (``[]`` when unweighted),
        ``n_no_score`` (dict scale → responses without a score, left out), ``notes``.

    Raises
    ------
    ValueError
        An unknown ``weights``; none of ``scales`` in the codebook; the errors of
        :func:`study_weights`.

    Validated against: hand-computed weighted means and standard deviations
    (tests/survey/test_survey_weighting.py, 1e-10); the SEs are those of
    :func:`~fusion_study.survey.design.survey_mean` (R survey 4.1, 1e-6).

    Examples
    --------
    >>> from fusion_study import load_study, example_study_path
    >>> d = study_descriptives(load_study(example_study_path()))
    >>> d[["variable", "weighting"]].drop_duplicates().values.tolist()
    [['satisfaction', 'weighted'], ['dependency', 'weighted']]
    """
    what = "study_descriptives"
    weights = check_weighting(weights)
    check_alpha(alpha)
    margins = [margins] if isinstance(margins, str) else list(margins)
    resp, screened, notes = _weighted_responses(study, weights, margins=margins, what=what)
    present = _scales_present(screened.codebook, resp, scales)
    absent = [s for s in scales if s not in present]
    if not present:
        raise ValueError(f"{what}: the codebook has no customer_survey items of the scale(s) {list(scales)}")
    if absent:
        notes.append(f"scale(s) {absent} have no items in the customer survey and are not shown")
    from fusion_study.data.periods import period_number
    from fusion_study.measurement.scores import satisfaction_score

    rows, n_no_score = [], {}
    for scale in present:
        score = satisfaction_score(resp, codebook=screened.codebook, scale=scale)
        d = resp.assign(**{scale: score.to_numpy()})
        keep = d[scale].notna() & d["branch_id"].notna()
        n_no_score[scale] = int((~keep).sum())
        d = d[keep].assign(wave=lambda x: x["wave"].astype(str))
        if d.empty:
            continue
        est = survey_mean(d, scale, weights="weight", cluster="branch_id", by="wave", alpha=alpha)
        sd = {}
        for wave, g in d.groupby("wave"):
            wv, yv = g["weight"].to_numpy(float), g[scale].to_numpy(float)
            m = float(np.average(yv, weights=wv))
            sd[wave] = float(np.sqrt(np.average((yv - m) ** 2, weights=wv)))
        rows.append(est.assign(sd=est["wave"].map(sd)))
    out = pd.concat(rows, ignore_index=True)
    out["weighting"] = "unweighted" if weights is None else "weighted"
    order = period_number(out["wave"])
    out = out.assign(_o=order.to_numpy() if order.notna().all() else np.arange(len(out)))
    out["_v"] = out["variable"].map({s: i for i, s in enumerate(present)})
    out = out.sort_values(["_v", "_o", "wave"], kind="stable").reset_index(drop=True)
    out = out[["variable", "wave", "weighting", "n", "estimate", "sd", "se", "ci_lower", "ci_upper", "n_eff"]]
    out.attrs = {"weighting": out["weighting"].iloc[0], "margins": margins if weights else [],
                 "n_no_score": n_no_score, "notes": notes, "alpha": float(alpha)}
    return out


def study_planning(
    study,
    *,
    half_width: float | Sequence[float] = (2.0, 3.0, 5.0),
    wave: str | None = None,
    weights: str | None = "rake",
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Responses per branch and wave needed for a target half-width of a branch's satisfaction interval.

    The planning numbers of the survey section: from the wave's random-intercept fit
    of the 0–100 satisfaction score (:func:`~fusion_study.survey.small_area.branch_means`,
    REML), the total standard deviation ``sd = sqrt(τ² + σ²)`` and the intraclass
    correlation ``icc = τ² / (τ² + σ²)``; from the raked weights
    (:func:`study_weights`) the design effect of weighting ``deff_weights = 1 + CV²``.
    :func:`fusion_study.planning.samples.responses_per_branch` then gives the responses
    one branch needs for its own mean's ``1 - alpha`` interval to be ``± half_width``.

    Parameters
    ----------
    study : Study
        Needs ``customer_survey``, ``customers`` and ``satisfaction`` items.
    half_width : float or sequence of float
        Target half-widths, in points of the 0–100 score.
    wave : str, optional
        The wave whose answers give the ICC, sd and weights (default: the latest).
    weights : {"rake", None}
        ``None``: plan for equal weights (``deff_weights = 1``).
    alpha : float
        The intervals hold ``1 - alpha``.

    Returns
    -------
    DataFrame
        One row per target: ``half_width``, ``responses_needed`` (per branch
        and wave), ``current_per_branch`` (mean responses per branch now), ``icc``,
        ``sd``, ``deff_weights``, ``design_effect`` (of the overall mean of the current
        survey, :func:`~fusion_study.planning.samples.design_effect` with the current
        mean branch size and ``cv_weights``), ``alpha``. ``attrs``: ``wave``,
        ``n_branches``, ``current_half_width`` (the half-width a branch with the current
        mean number of responses gets), ``weighting``, ``retailers_per_branch`` (mean number
        of retailers the surveyed branches serve: a size above it is out of reach).

    Notes
    -----
    The size is for a branch's own (direct) mean; the shrunken estimate of a small
    branch is narrower because it borrows from the others. The between-branch part
    ``τ²`` is not sampling error of a branch's own mean, so a larger ICC lowers the
    size (see :func:`~fusion_study.planning.samples.responses_per_branch`).

    Validated against: the closed forms of :mod:`fusion_study.planning.samples` evaluated
    by hand on the fitted τ², σ² and weights (tests/survey/test_survey_weighting.py, exact).
    """
    from fusion_study.planning.samples import design_effect, responses_per_branch

    what = "study_planning"
    weights = check_weighting(weights)
    check_alpha(alpha)
    targets = [half_width] if np.isscalar(half_width) else list(half_width)
    resp, study = _responses(study, what=what)
    if wave is None:
        wave = latest_wave(resp["wave"])
    resp = resp[resp["wave"].astype(str) == str(wave)]
    if resp.empty:
        raise ValueError(f"{what}: wave {wave!r} is not in the customer survey")
    d, _ = _scored(resp, study.codebook, what=what)
    k = d["branch_id"].nunique()
    if k < 2:
        raise ValueError(f"{what}: wave {wave} has satisfaction answers from {k} branch(es); need at least 2")
    from fusion_study.survey.small_area import NoBranchVarianceWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NoBranchVarianceWarning)  # icc = 0 is a valid planning input
        fit = branch_means(d, "satisfaction", by="branch_id")
    tau2, sigma2 = fit.attrs["branch_variance"], fit.attrs["residual_variance"]
    total = tau2 + sigma2
    icc, sd = tau2 / total, float(np.sqrt(total))
    deff_w = 1.0
    if weights == "rake":
        diag = study_weights(study).attrs["diagnostics"]
        deff_w = float(diag.loc[diag["wave"] == str(wave), "deff"].iloc[0])
    cv = float(np.sqrt(max(deff_w - 1.0, 0.0)))
    m_now = len(d) / k
    z = critical_value(alpha)
    rows = [{
        "half_width": float(h),
        "responses_needed": responses_per_branch(h, sd=sd, icc=min(icc, 1 - 1e-12), alpha=alpha,
                                                     deff_weights=deff_w),
        "current_per_branch": m_now, "icc": icc, "sd": sd, "deff_weights": deff_w,
        "design_effect": design_effect(icc, m_now, cv_weights=cv), "alpha": float(alpha),
    } for h in targets]
    out = pd.DataFrame(rows)
    sizes = study.customers.groupby("branch_id").size()
    out.attrs = {"wave": str(wave), "n_branches": int(k), "weighting": "weighted" if weights else "unweighted",
                 "retailers_per_branch": float(sizes.reindex(d["branch_id"].unique()).mean()),
                 "current_half_width": float(z * np.sqrt((1 - icc) * total * deff_w / m_now))}
    return out


#: The standard errors :func:`study_standard_errors` compares.
SE_METHODS = ("fixed_weights", "calibrated", "jackknife")


def study_standard_errors(
    study,
    *,
    wave: str | None = None,
    margins: Sequence[str] = ("county_id", "segment"),
    alpha: float = 0.05,
) -> pd.DataFrame:
    """The weighted mean satisfaction of one wave with three standard errors: how much does the SE method matter?

    The wave's responses with a satisfaction score are raked to the customers' margins
    (:func:`~fusion_study.survey.weights.rake`, on the scored responses so that the
    calibration holds for exactly these rows) and
    :func:`~fusion_study.survey.design.survey_mean` (``cluster="branch_id"``) gives the
    mean with the weights taken as fixed (``calibration=None``), with calibration-aware
    linearisation (the weights' ``attrs["calibration"]``, as R ``svymean`` on a raked
    design) and with the delete-one-branch jackknife (``replicates="jk1"``).

    Returns
    -------
    DataFrame
        One row per :data:`SE_METHODS` entry: ``method``, ``estimate, se, ci_lower,
        ci_upper``, ``n``, ``n_eff``. ``attrs``: ``wave``, ``margins``, ``n_no_score``.

    Validated against: :func:`~fusion_study.survey.design.survey_mean` (R survey 4.1
    parity for all three variance methods is in tests/survey of that module).
    """
    from fusion_study.survey.weights import rake

    what = "study_standard_errors"
    check_alpha(alpha)
    margins = [margins] if isinstance(margins, str) else list(margins)
    resp, study = _responses(study, what=what)
    wave = latest_wave(resp["wave"]) if wave is None else str(wave)
    resp = resp[resp["wave"].astype(str) == wave]
    if resp.empty:
        raise ValueError(f"{what}: wave {wave!r} is not in the customer survey")
    d, n_no_score = _scored(resp, study.codebook, what=what)
    try:
        w = rake(d, study.customers, margins=margins)
    except ValueError as err:
        raise ValueError(f"{what}: wave {wave}: {err}") from None
    rows = []
    for method, kw in zip(SE_METHODS, (dict(calibration=None), dict(), dict(replicates="jk1"))):
        est = survey_mean(d, "satisfaction", weights=w, cluster="branch_id", alpha=alpha, **kw)
        rows.append(est.assign(method=method))
    out = pd.concat(rows, ignore_index=True)
    out = out[["method", "estimate", "se", "ci_lower", "ci_upper", "n", "n_eff"]]
    out.attrs = {"wave": wave, "margins": margins, "n_no_score": n_no_score}
    return out
