"""Does a branch brand's effect on retailer satisfaction depend on its type? (research question 3)

The brand type (distinctive / generic / copied, from
:func:`fusion_study.brands.distinctiveness.brand_distinctiveness`) as a moderator of the
brand launch's effect.

* :func:`~fusion_study.brands.study.brand_moderation_frame` — domain layer (in
  :mod:`fusion_study.brands.study`; importable here too): the retailer × wave
  analysis frame of :func:`fusion_study.effects.study.exposures` (screened
  responses) with each branch's brand flag as ``brand_type``;
* :func:`brand_type_moderation` — the estimator on that plain frame: by default
  Callaway–Sant'Anna staggered DiD (:func:`fusion_study.effects.staggered_did`)
  with one set of cohorts per brand type, the type-specific ATTs and their
  contrasts with clustered standard errors from the stacked influence
  functions (``estimate, se, ci_lower, ci_upper, p_value``, Holm-adjusted
  ``p_adjusted`` for the contrasts); ``method="twfe"`` gives the naive two-way
  fixed-effects version for comparison;
* :func:`plot_brand_moderation` — a forest plot of the table.

What can be identified. In the seed programme a branch launches its brand
together with its teams, platform and problem mechanism (all within a few
quarters). A brand-launch cohort's before/after change therefore carries the
effects of those **co-timed interventions**: the type-specific ATTs are
"brand launch + whatever started around it", not the brand's own effect (a
generic brand's row is typically positive although a generic brand itself
does nothing). The **contrast** between types (distinctive − generic,
distinctive − copied) removes the co-timed effects when their timing
relative to the brand launch does not depend on the brand type; it is the
estimand to read. generic − copied is a placebo contrast (neither kind of
brand is expected to work; a clear non-zero value casts doubt on the others).
"""

from __future__ import annotations

import logging
import warnings

import numpy as np
import pandas as pd
from scipy import stats

from fusion_study.brands.distinctiveness import FLAGS
from fusion_study.data.checks import check_alpha, check_choice, critical_value, require_columns
from fusion_study.reporting.labels import label
from fusion_study.brands.study import brand_moderation_frame  # noqa: F401  moved to brands/study.py; old path kept

__all__ = ["brand_moderation_frame", "brand_type_moderation", "MIN_BRANCHES_PER_TYPE"]

log = logging.getLogger(__name__)

_METHODS = ("csdid", "twfe")
_CONTROLS = ("notyet", "never")
#: fewer branches of a type than this and the output notes say the comparison is underpowered
MIN_BRANCHES_PER_TYPE = 10
# Cohort codes: brand-launch quarter minus a type offset (< 1), so one staggered_did fit holds
# separate cohorts per type while "not yet treated" (G > t for integer periods) is unchanged.
_OFFSET = {"distinctive": 0.0, "generic": 0.25, "copied": 0.5}
_CONTRASTS = (("distinctive", "generic"), ("distinctive", "copied"), ("generic", "copied"))
_CSDID = "CS-DiD (RC, DR)"
_TWFE = "TWFE (branch + wave)"
_REQUIRED = ("response_id", "period", "branch_id")




def _prepare(data: pd.DataFrame, outcome: str, brand_type: str, cohort: str):
    if not isinstance(data, pd.DataFrame):
        raise TypeError("data must be a pandas DataFrame (e.g. from brand_moderation_frame(study))")
    need = [*_REQUIRED, outcome, brand_type, cohort]
    require_columns(data, need, what="brand_type_moderation (build the frame with brand_moderation_frame(study))")
    d = data[list(dict.fromkeys(need))].copy()
    notes = []
    n0 = len(d)
    d = d.dropna(subset=[outcome, "branch_id", "period"])
    if len(d) < n0:
        notes.append(f"{n0 - len(d)} responses without a {outcome} score or branch left out")
    try:
        d[cohort] = pd.to_numeric(d[cohort], errors="raise").fillna(0).astype(float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"brand_type_moderation: column {cohort!r} must hold the brand launch as a period number "
                         f"(0 = no launch), as exposures() gives; could not read it: {exc}") from exc
    for col in ("period", cohort):
        v = d[col].to_numpy(float)
        if not np.allclose(v, np.round(v)):
            raise ValueError(f"brand_type_moderation: column {col!r} must hold whole period numbers "
                             "(consecutive quarters, as exposures() gives)")
    bt = d[brand_type]
    bad = sorted(set(bt.dropna().astype(str)) - set(FLAGS))
    if bad:
        raise ValueError(f"brand_type_moderation: column {brand_type!r} has value(s) {bad}; allowed: {list(FLAGS)}")
    last = d["period"].max()
    d.loc[d[cohort] > last, cohort] = 0.0  # launched after the last wave: not treated in the window
    launched = d[cohort] > 0
    untyped = launched & bt.isna()
    if untyped.any():
        nb = d.loc[untyped, "branch_id"].nunique()
        notes.append(f"{int(untyped.sum())} responses from {nb} launched branch(es) without a brand type left out")
        d = d[~untyped]
    return d, notes


def _types_present(d, brand_type, cohort):
    launched = d[d[cohort] > 0]
    counts = launched.groupby(brand_type)["branch_id"].nunique()
    present = [t for t in FLAGS if counts.get(t, 0) > 0]
    if len(present) < 2:
        raise ValueError(
            "brand_type_moderation: a contrast needs launched brands of at least two types; branches with a "
            f"brand launched within the survey window by type: {counts.to_dict() or 'none'}"
        )
    return present, {t: int(counts.get(t, 0)) for t in present}


def _cluster_vcov(psi: np.ndarray, clusters: np.ndarray) -> np.ndarray:
    """``G/(G-1) * S'S / n^2`` with ``S`` the within-cluster sums of the influence functions
    (the clustered covariance of :class:`~fusion_study.effects.StaggeredDiD`)."""
    n = psi.shape[0]
    k = int(clusters.max()) + 1
    S = np.column_stack([np.bincount(clusters, weights=psi[:, j], minlength=k) for j in range(psi.shape[1])])
    return k / (k - 1) * (S.T @ S) / n**2


def _last_launch_as_comparison(d, cohort):
    """No branch without a brand launch in the window: as R ``did``, the branches launched in the last
    launch period (all types) become the comparison and the periods from it on are dropped."""
    g = d[cohort].to_numpy(float)
    if (g == 0).any():
        return d, []
    q = g.max()
    d = d[d["period"].to_numpy(float) < q].copy()
    d.loc[d[cohort] == q, cohort] = 0.0
    return d, [f"no branch without a brand launch: branches launched in the last launch period ({q:g}) "
               "serve as comparison; later waves dropped"]


def _csdid(d, outcome, brand_type, cohort, control, present):
    from fusion_study.effects.staggered import DiDSpecificationError, EmptyCellWarning, FewClustersWarning, staggered_did

    notes = []
    off = d[brand_type].map(_OFFSET).fillna(0.0).to_numpy()
    g_int = d[cohort].to_numpy(float)
    G = np.where(g_int > 0, g_int - off, 0.0)
    d = d.assign(_brand_cohort=G)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", FewClustersWarning)
            warnings.simplefilter("always", EmptyCellWarning)
            res = staggered_did(d, outcome=outcome, unit="response_id", time="period", cohort="_brand_cohort",
                                control=control, panel=False, cluster="branch_id")
    except DiDSpecificationError as exc:
        raise DiDSpecificationError(f"brand_type_moderation (brand launch cohorts by type): {exc}") from exc
    for w in caught:
        if issubclass(w.category, (FewClustersWarning, EmptyCellWarning)):
            notes.append(str(w.message).split(";")[0])
        else:  # pragma: no cover - pass other warnings on
            warnings.warn(w.message, w.category, stacklevel=3)
    at = res.att_gt_
    grp = at["group"].to_numpy(float)
    att = at["estimate"].to_numpy(float)
    ok = at["post"].to_numpy(bool) & np.isfinite(att)
    frac = np.round(np.ceil(grp) - grp, 6)
    theta, psi = {}, {}
    for t in present:
        sel = np.flatnonzero(ok & np.isclose(frac, _OFFSET[t]))
        if len(sel) == 0:
            raise DiDSpecificationError(
                f"brand_type_moderation: no post-launch effect of {t} brands can be estimated: no branch without "
                "a brand yet (or never launched) is observed in the same waves as a comparison"
            )
        # simple aggregation as R did::aggte: cells weighted by their cohort's share of responses,
        # the estimated weights' influence function included
        ind = np.column_stack([(G == g).astype(float) for g in grp[sel]])
        pg = ind.mean(0)
        s = pg.sum()
        w = pg / s
        theta[t] = float(w @ att[sel])
        wif = (ind - pg) / s - (ind - pg).sum(1, keepdims=True) * pg / s**2
        psi[t] = res.influence_[:, sel] @ w + wif @ att[sel]
    clusters = pd.factorize(d["branch_id"])[0]
    return theta, psi, clusters, len(d), notes


def _twfe(d, outcome, brand_type, cohort, present):
    import statsmodels.api as sm

    post = (d[cohort].to_numpy(float) > 0) & (d["period"].to_numpy(float) >= d[cohort].to_numpy(float))
    X = pd.DataFrame({t: (post & (d[brand_type] == t).to_numpy()).astype(float) for t in present}, index=d.index)
    fe = pd.get_dummies(d[["branch_id"]].astype(str), drop_first=True, dtype=float)
    fw = pd.get_dummies(d["period"].astype(int).astype(str), prefix="w", drop_first=True, dtype=float)
    Z = pd.concat([X, fe, fw], axis=1)
    Z.insert(0, "const", 1.0)
    clusters = pd.factorize(d["branch_id"])[0]
    fit = sm.OLS(d[outcome].to_numpy(float), Z.to_numpy()).fit(cov_type="cluster", cov_kwds={"groups": clusters})
    k = len(present)
    return fit.params[1 : k + 1], fit.cov_params()[1 : k + 1, 1 : k + 1]


def brand_type_moderation(
    data: pd.DataFrame,
    *,
    outcome: str = "satisfaction",
    brand_type: str = "brand_type",
    cohort: str = "cohort_brand",
    method: str = "csdid",
    control: str = "notyet",
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Effect of the brand launch on retailer satisfaction by brand type, and the contrasts between types.

    ``method="csdid"`` (default): Callaway–Sant'Anna staggered DiD on the survey
    responses as repeated cross-sections (R ``did``'s ``panel=FALSE``), cohorts
    = the serving branch's brand-launch quarter **separately by brand type**,
    comparisons = branches whose brand is not yet launched (or never is), of
    any type (``control="notyet"``; ``"never"``: never-launched only), doubly
    robust 2×2 comparisons without covariates, standard errors clustered by
    branch. Each type's ATT is the simple aggregation (cohort-share weighted
    post-launch ATT(g, t), as R ``did::aggte(type="simple")``). All types share
    one comparison group, so the contrasts' standard errors come from the
    stacked influence functions (clustered by branch). p-values of the
    contrasts are Holm-adjusted (``p_adjusted``, statsmodels ``multipletests``)
    over the contrasts reported.

    ``method="twfe"``: the naive regression
    ``y = α_branch + γ_wave + Σ_type β_type·post·1{type} + e`` (clustered by
    branch), biased when effects build up over time under staggered launches.

    What is identified: a type's ATT is the change after the brand launch
    *including the effects of interventions launched around the same time*
    (teams, platform, problem mechanism). The contrasts remove those effects
    when their timing relative to the brand launch does not depend on the
    brand type — read the contrasts, not the type rows. With fewer than
    :data:`MIN_BRANCHES_PER_TYPE` branches of a type the note says the
    comparison is underpowered (wide CIs, unreliable clustered SEs).

    Parameters
    ----------
    data : DataFrame
        One row per survey response with ``response_id``, ``period`` (whole
        quarter numbers), ``branch_id``, the outcome, the brand type and the
        brand-launch cohort (period number, 0 = no launch) — as
        :func:`brand_moderation_frame` gives. Branches without a brand launch
        serve as comparisons; launched branches without a type are left out.
    outcome, brand_type, cohort : str
        Column names.
    method : {"csdid", "twfe"}
    control : {"notyet", "never"}
        Comparison branches for ``"csdid"``.
    alpha : float
        1 − confidence level of the intervals.

    Returns
    -------
    DataFrame
        One row per present type, then per contrast: ``term`` (``distinctive``,
        ``generic``, ``copied``, ``distinctive_minus_generic``,
        ``distinctive_minus_copied``, ``generic_minus_copied``), ``kind``
        (``"type ATT"`` or ``"contrast"``), ``label_zh``, ``label_en``,
        ``method`` (``"CS-DiD (RC, DR)"`` or ``"TWFE (branch + wave)"``),
        ``estimate``, ``se``, ``ci_lower``, ``ci_upper`` (normal, ``1 - alpha``),
        ``p_value`` (two-sided), ``p_adjusted`` (Holm over the contrasts; ``NaN``
        on the type rows), ``n_branches`` (branches with
        a brand of the type(s) launched in the window), ``n_responses`` (their
        responses, all waves), ``note``.

    Raises
    ------
    ValueError
        Missing columns, unknown brand types, fewer than two types with
        launched brands; :class:`~fusion_study.effects.DiDSpecificationError`
        when a type has no comparison branches.

    Notes
    -----
    Why one comparison group for all types (not comparisons within the type):
    a contrast of two ATTs estimated against the *same* not-yet-launched
    branches removes whatever those comparison branches went through (their
    own teams and platform starting); type-specific comparison groups would
    leave that in, and would leave 3–5 branches per type on a city-sized study.
    Implementation: one :func:`~fusion_study.effects.staggered_did` fit whose
    cohort codes are the launch quarter minus a type offset below one quarter,
    so each type has its own cohorts while "not yet launched" is unchanged;
    the contrasts' covariance comes from the cells' influence functions
    (including that of the estimated cohort weights), clustered by branch.

    On the 0–100 index the contrast identifies the distinctive brand's own
    index effect plus the difference in how many index points the common
    trend and the co-timed interventions add at the two types' satisfaction
    levels: the index is bounded, so where distinctive-brand branches sit
    higher (stronger branches, plus the brand itself) a rising common trend
    adds fewer points there and the contrast runs low — about −0.2 of a true
    1.9 points in the simulator, mostly from the latent trend (the co-timed
    interventions' compression: −0.04 ± 0.03); without the common trend the
    remaining bias is within Monte Carlo error
    (``benchmarks/results/validate_brand_moderation_notrend``).

    Validated against
    -----------------
    The type ATTs: a hand-computed difference of mean changes (closed form,
    1e-8); with a single type the estimate and SE equal
    :func:`~fusion_study.effects.staggered_did`'s simple aggregation (itself
    checked against R ``did`` 2.5.1) to 1e-10. The contrasts: the simulator's
    true brand effects by type, 200 simulated studies of 96 branches
    (``benchmarks/validate_brand_moderation.py``,
    ``benchmarks/results/validate_brand_moderation_200``): 95 % CI coverage
    0.93 (distinctive − generic, − copied) and 0.91 (placebo); mean estimate
    1.53 against a true 1.90 index points (systematic part about −0.2, the
    rest Monte Carlo noise of those seeds; see the Notes).

    Examples
    --------
    >>> from fusion_study import load_study
    >>> from fusion_study.data.paths import example_study_path
    >>> study = load_study(example_study_path())
    >>> res = brand_type_moderation(brand_moderation_frame(study))
    >>> res["term"].tolist()[:3]
    ['distinctive', 'generic', 'copied']
    """
    check_choice("method", method, _METHODS)
    check_choice("control", control, _CONTROLS)
    z = critical_value(check_alpha(alpha))
    d, notes = _prepare(data, outcome, brand_type, cohort)
    if method == "csdid" and control == "notyet":
        d, more = _last_launch_as_comparison(d, cohort)
        notes += more
    present, nbranch = _types_present(d, brand_type, cohort)
    if method == "csdid":
        theta, psi, clusters, _n, more = _csdid(d, outcome, brand_type, cohort, control, present)
        notes += more
        present = list(theta)
        est = np.array([theta[t] for t in present])
        V = _cluster_vcov(np.column_stack([psi[t] for t in present]), clusters)
    else:
        est, V = _twfe(d, outcome, brand_type, cohort, present)
        est = np.asarray(est, float)
    nresp = d[d[cohort] > 0].groupby(brand_type).size()
    method_name = _CSDID if method == "csdid" else _TWFE
    rows = []
    weak = [t for t in present if nbranch[t] < MIN_BRANCHES_PER_TYPE]
    weak_note = (f"underpowered: only {', '.join(f'{nbranch[t]} {t}' for t in weak)} branches "
                 f"(< {MIN_BRANCHES_PER_TYPE} per type); CIs wide and clustered SEs unreliable") if weak else ""
    common = "; ".join(notes)
    for i, t in enumerate(present):
        se = float(np.sqrt(V[i, i]))
        note = "; ".join(x for x in ["includes the effects of interventions launched around the brand", weak_note
                                     if t in weak else "", common] if x)
        rows.append({"term": t, "kind": "type ATT", "label_zh": label(f"brand_{t}", "zh"),
                     "label_en": label(f"brand_{t}", "en"),
                     "estimate": float(est[i]), "se": se, "n_branches": nbranch[t],
                     "n_responses": int(nresp.get(t, 0)), "note": note})
    for a, b in _CONTRASTS:
        if a not in present or b not in present:
            continue
        L = np.zeros(len(present))
        L[present.index(a)], L[present.index(b)] = 1.0, -1.0
        zh = f"{label(f'brand_{a}', 'zh')} − {label(f'brand_{b}', 'zh')}"
        en = f"{label(f'brand_{a}', 'en')} − {label(f'brand_{b}', 'en')}"
        note = "co-timed interventions cancel if their timing relative to the brand launch does not differ by type"
        if (a, b) == ("generic", "copied"):
            note = "placebo: neither brand type is expected to work; " + note
        if a in weak or b in weak:
            note += "; " + weak_note
        if common:
            note += "; " + common
        rows.append({"term": f"{a}_minus_{b}", "kind": "contrast", "label_zh": zh, "label_en": en,
                     "estimate": float(L @ est), "se": float(np.sqrt(L @ V @ L)),
                     "n_branches": nbranch[a] + nbranch[b],
                     "n_responses": int(nresp.get(a, 0) + nresp.get(b, 0)), "note": note})
    out = pd.DataFrame(rows)
    out["method"] = method_name
    out["ci_lower"] = out["estimate"] - z * out["se"]
    out["ci_upper"] = out["estimate"] + z * out["se"]
    out["p_value"] = 2 * stats.norm.sf(np.abs(out["estimate"] / out["se"]))
    out["p_adjusted"] = np.nan
    con = (out["kind"] == "contrast").to_numpy()
    if con.any():
        from statsmodels.stats.multitest import multipletests

        out.loc[con, "p_adjusted"] = multipletests(out.loc[con, "p_value"].to_numpy(), method="holm")[1]
    cols = ["term", "kind", "label_zh", "label_en", "method", "estimate", "se", "ci_lower", "ci_upper", "p_value",
            "p_adjusted", "n_branches", "n_responses", "note"]
    return out[cols]


