"""Domain layer: from a :class:`~fusion_study.Study` to the intervention-effect analyses.

* :func:`exposures` — the analysis frame: one row per retailer survey
  response (retailer × wave), with satisfaction and dependency scale scores,
  each intervention's cohort (the quarter the retailer's serving branch
  adopted it), team contact counts, ticket outcomes, segment and county;
* :func:`evaluate_interventions` — the recommended analysis for each
  intervention (and the programme as a whole) in one tidy effect table, with
  the naive estimators beside it for contrast;
* :func:`intervention_identification` — whether each intervention's own effect,
  net of the others, can be told apart in the study's rollout (the
  several-interventions estimator's diagnostics);
* :func:`plot_intervention_effects` — a forest plot of that table.

The survey responses are those of the screened study
(:func:`fusion_study.ingest.screen_study`, called here when the study given is
not screened yet; a no-op when it is).
"""

from __future__ import annotations

import logging
import warnings

import numpy as np
import pandas as pd

from fusion_study.data.aggregates import team_contacts, ticket_counts
from fusion_study.data.checks import check_alpha, require_columns
from fusion_study.data.periods import period_from_number, period_number
from fusion_study.reporting.labels import label

__all__ = ["exposures", "evaluate_interventions", "intervention_identification", "TEAMS", "SEVERAL_ESTIMAND",
           "SEVERAL_ESTIMATOR", "SEVERAL_MAX_EVENT"]

log = logging.getLogger(__name__)

TEAMS = ("publicity_team", "vanguard_team", "cloud_team")
_SCALES = ("satisfaction", "dependency")
#: evaluate_interventions' names of the per-intervention rows of the several-interventions estimator
SEVERAL_ESTIMAND = "ATT net of other interventions"
SEVERAL_ESTIMATOR = "imputation (several interventions)"
#: event times from this one on are pooled into one bin by the study-level several-interventions fit:
#: with every intervention 0-3 quarters after the programme, one bin per late event time is collinear
#: with the other interventions' bins (P city: every intervention refused; pooled: brand and points platform identified), while the pooled tail is
#: not. Validated at this value: benchmarks/results/validate_several_pcity_both_200 (24 branches,
#: jackknife coverage 0.95-1.00) and validate_several_validation_* (96 branches).
SEVERAL_MAX_EVENT = 3


def _scale_scores(survey: pd.DataFrame, codebook: pd.DataFrame | None, instrument: str) -> pd.DataFrame:
    """0–100 scale scores (POMP: each item rescaled by its codebook range, reverse items
    reversed, averaged over the answered items) — the simulator's satisfaction index."""
    from fusion_study.measurement import score_scales

    if codebook is None:
        from fusion_study.data.instruments import standard_codebook

        codebook = standard_codebook()
    cb = codebook[codebook["instrument"] == instrument]
    present = cb[cb["scale"].isin(_SCALES) & cb["item_id"].isin(survey.columns)]
    if present.empty:
        return pd.DataFrame(index=survey.index)
    return score_scales(survey, present, codebook=cb, percent=True, min_items=1, quiet=True)


def _branch_of_units(units: pd.DataFrame) -> dict[str, list[str]]:
    """Map every unit id to the branch ids under it (a branch maps to itself)."""
    children: dict[str, list[str]] = {}
    for uid, parent in zip(units["unit_id"], units["parent_id"]):
        if isinstance(parent, str):
            children.setdefault(parent, []).append(uid)
    level = dict(zip(units["unit_id"], units["level"]))
    out: dict[str, list[str]] = {}

    def leaves(u):
        if level.get(u) == "branch":
            return [u]
        res = []
        for c in children.get(u, []):
            res.extend(leaves(c))
        return res

    for u in units["unit_id"]:
        out[u] = leaves(u)
    return out


def adoption_cohorts(study) -> pd.DataFrame:
    """Branch × intervention adoption quarters (period numbers; 0 = not adopted).

    Returns
    -------
    DataFrame
        One row per branch: ``branch_id`` and ``cohort_<intervention>`` for
        each intervention in the study plus ``cohort_programme`` (the first
        adoption of any intervention).
    """
    units = study.units
    branches = units.loc[units["level"] == "branch", "unit_id"].tolist()
    iv = study.interventions.copy() if "interventions" in study else pd.DataFrame(
        columns=["unit_id", "intervention", "start_period"]
    )
    under = _branch_of_units(units)
    rows = []
    for uid, name, start in zip(iv["unit_id"], iv["intervention"], iv["start_period"]):
        if pd.isna(start):
            continue
        for b in under.get(uid, []):
            rows.append((b, str(name), int(period_number(str(start)))))
    long = pd.DataFrame(rows, columns=["branch_id", "intervention", "start"])
    wide = long.groupby(["branch_id", "intervention"])["start"].min().unstack("intervention")
    wide = wide.reindex(branches)
    wide.columns = [f"cohort_{c}" for c in wide.columns]
    wide["cohort_programme"] = wide.min(axis=1)
    wide = wide.fillna(0).astype(int)
    wide.index.name = "branch_id"
    return wide.reset_index()


def exposures(study, *, screen: bool = True) -> pd.DataFrame:
    """The retailer × wave analysis frame (one row per customer-survey response).

    With ``screen=True`` (default) the frame is built from the screened study
    (:func:`fusion_study.ingest.screen_study`, a no-op when the study is already
    screened): responses flagged by the screening rules (speeders,
    straight-liners, duplicates, out-of-range answers) are left out and
    recorded in a :class:`~fusion_study.data.ledger.Ledger`, returned in
    ``frame.attrs["ledger"]`` (its ``customer_survey`` entries;
    ``frame.attrs["n_screened_out"]`` holds the count). Unscreened noise
    responses carry no treatment effect and attenuate every estimate (see the
    Monte Carlo study). ``screen=False`` uses the study's responses as they are.

    Columns
    -------
    ``response_id``, ``customer_id``, ``wave`` (quarter label), ``period``
    (consecutive quarter number), ``branch_id``, ``county_id``, ``segment``,
    ``size_tier``; ``satisfaction`` and ``dependency`` (0–100 scale scores,
    reverse items reversed via the codebook); ``cohort_<intervention>`` and
    ``cohort_programme`` (adoption quarter of the serving branch as a period
    number, 0 = never); ``contacts_<team>`` (team activities with this
    retailer in the wave's quarter); ``tickets_opened``, ``tickets_resolved``
    (the retailer's tickets opened in the quarter, and those closed as
    resolved); ``brand_type`` when the study's ``brands`` table carries one.

    Raises
    ------
    ValueError
        If the study lacks ``customer_survey``, ``customers`` or ``units``.
    """
    for t in ("customer_survey", "customers", "units"):
        if t not in study:
            raise ValueError(f"exposures needs the {t!r} table; the study has {sorted(study.tables)}")
    ledger = None
    if screen:
        from fusion_study.ingest.screen import screen_study, screening_ledger

        study, _ = screen_study(study)
        ledger = screening_ledger(study, tables=["customer_survey"])
    sv = study.customer_survey
    cust = study.customers
    df = sv[["response_id", "customer_id", "wave"]].copy()
    df["period"] = period_number(df["wave"].astype("string")).astype(int)
    df = df.join(_scale_scores(sv, study.codebook, "customer_survey"))
    keep_c = [c for c in ("customer_id", "county_id", "branch_id", "segment", "size_tier") if c in cust.columns]
    n0 = len(df)
    df = df.merge(cust[keep_c], on="customer_id", how="left", validate="many_to_one")
    unknown = df["branch_id"].isna()
    if unknown.any():
        warnings.warn(
            f"{int(unknown.sum())} of {n0} survey responses name a customer_id not in the customers table; "
            "they are kept but have no branch (and no cohort)",
            UserWarning,
            stacklevel=2,
        )
    coh = adoption_cohorts(study)
    df = df.merge(coh, on="branch_id", how="left")
    for c in coh.columns[1:]:
        df[c] = df[c].fillna(0).astype(int)
    # the log aggregates: computed by DuckDB when the log is a lazy Parquet table
    if "activities" in study and len(study.activities):
        df = df.merge(team_contacts(study.activities), on=["customer_id", "period"], how="left")
    for tname in TEAMS:
        col = f"contacts_{tname}"
        df[col] = df[col].fillna(0).astype(int) if col in df.columns else 0
    if "tickets" in study and len(study.tickets):
        agg = ticket_counts(study.tickets).drop(columns="tickets_resolved_in_time")
        df = df.merge(agg, on=["customer_id", "period"], how="left")
    for col in ("tickets_opened", "tickets_resolved"):
        df[col] = df[col].fillna(0).astype(int) if col in df.columns else 0
    if "brands" in study and "brand_type" in study.brands.columns:
        df = df.merge(study.brands[["branch_id", "brand_type"]], on="branch_id", how="left")
    df = df.reset_index(drop=True)
    df.attrs["n_screened_out"] = 0 if ledger is None else int(len(ledger.excluded_rows("customer_survey")))
    df.attrs["ledger"] = ledger
    return df


def _analysis_frame(study, outcome: str) -> tuple[pd.DataFrame, int, int]:
    """The screened exposures with an ``outcome`` score and a branch; (frame, n left out, n screened out)."""
    ex = exposures(study)
    require_columns(ex, [outcome], what="evaluate_interventions (outcome=)", table="exposures")
    n_all = len(ex)
    ex = ex.dropna(subset=[outcome, "branch_id"])
    return ex, n_all - len(ex), int(ex.attrs.get("n_screened_out", 0))


def _fit_several(ex: pd.DataFrame, outcome: str, alpha: float):
    """The several-interventions imputation estimator on the analysis frame (branch units and clusters)."""
    from fusion_study.effects.several import several_interventions

    cohorts = [c for c in ex.columns if c.startswith("cohort_") and c != "cohort_programme"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # few-cluster and identification warnings: reported in the table instead
        return several_interventions(ex, outcome=outcome, cohorts=cohorts, unit="branch_id", time="period",
                                     cluster="branch_id", alpha=alpha, max_event=SEVERAL_MAX_EVENT)


def _identification_table(res) -> pd.DataFrame:
    ident = res.identification_.copy()
    ident["intervention"] = ident["intervention"].astype(str)
    ident.insert(1, "label_zh", [label(n, "zh") for n in ident["intervention"]])
    ident.insert(2, "label_en", [label(n, "en") for n in ident["intervention"]])
    return ident.reset_index(drop=True)


def intervention_identification(study, *, outcome: str = "satisfaction", alpha: float = 0.05) -> pd.DataFrame:
    """Can each intervention's own effect be told apart from the others' in this study?

    The diagnostics of the several-interventions imputation estimator
    (:func:`~fusion_study.effects.several.several_interventions`) on the
    screened survey responses: how many branches start the intervention
    alone (not in the same quarter as another), how many observations are
    exposed to it alone, and how collinear its exposure is with the others'.

    Returns
    -------
    DataFrame
        One row per intervention: ``intervention``, ``label_zh``, ``label_en``,
        ``n_switch_alone``, ``n_exposed_alone``, ``vif``, ``condition_number``,
        ``identified`` (bool), ``reason_zh``, ``reason_en`` (the plain sentence
        shown when an intervention is refused).

    Validated against: the simulator's rollout (tests/effects/test_effects_several_study.py:
    on the bundled example's co-timed rollout only brand and the points platform identified,
    with intervals covering the truth, the other four refused; most identified,
    with estimates within 3 SE of the truth, on an independent-lags simulation).
    """
    check_alpha(alpha)
    ex, _, _ = _analysis_frame(study, outcome)
    return _identification_table(_fit_several(ex, outcome, alpha))


def _several_note(ident: pd.Series | None, agg_row: pd.Series) -> str:
    if ident is None:
        return str(agg_row.get("note", "") or "")
    if not bool(ident["identified"]):
        return str(ident["reason_en"]).rstrip(".")
    parts = [f"{str(ident['reason_en']).rstrip('.')} (variance inflation {float(ident['vif']):.1f})"]
    extra = agg_row.get("note")
    if isinstance(extra, str) and extra:
        parts.append(extra)
    return "; ".join(parts)


def evaluate_interventions(
    study,
    *,
    outcome: str = "satisfaction",
    control: str = "notyet",
    naive: bool = True,
    several: bool = True,
    return_models: bool = False,
    alpha: float = 0.05,
):
    """Effect of each intervention (and the whole programme) on a retailer outcome.

    For each intervention, first (``several=True``) its own effect net of the
    other interventions: the several-interventions imputation estimator
    (:func:`~fusion_study.effects.several.several_interventions`; branch and
    quarter effects fitted on untreated responses, every intervention's
    exposure in one model, SEs clustered by branch). An intervention whose
    exposure cannot be told apart from the others' (e.g. always started in the
    same quarter as another) is *refused*: its row has no number, and the
    ``note`` gives the plain reason (:func:`intervention_identification`).
    Then, for contrast, Callaway–Sant'Anna staggered DiD on the survey
    waves as repeated cross-sections (``panel=False``) with that intervention's
    adoption quarter as cohort, not-yet-treated comparisons, SEs clustered by
    branch: the simple overall ATT and the average of the event-time effects
    (dynamic). For a single intervention these CS-DiD rows include the
    effects of the interventions co-timed with it (the note says so); for the
    programme (cohort = first adoption) they are the cleanly identified
    effect. With ``naive=True`` the programme row is followed by what a naive
    analysis would report (TWFE with branch and wave effects, before/after,
    treated vs untreated). ``alpha`` sets the level of every interval (normal critical
    values; the several-interventions rows: ``t`` with branches − 1 degrees of freedom).

    Returns
    -------
    DataFrame
        ``intervention``, ``label_zh``, ``label_en`` (from the label
        catalogue), ``estimand`` (``"ATT net of other interventions"``,
        ``"ATT (simple)"``, ``"ATT (event-time average)"``, ``"pre-trend
        test"``, ``"ATT (naive)"``), ``estimator`` (``"imputation (several
        interventions)"``, ``"CS-DiD (RC, DR)"``, ...), ``estimate`` (for the
        pre-trend test: the Wald chi-square statistic), ``se``, ``ci_lower``,
        ``ci_upper``, ``p_value``, ``n`` (responses), ``note``.
        With ``return_models=True``: ``(table, models)``, ``models`` mapping each
        intervention (and ``"programme"``) to its ``StaggeredDiD`` and
        ``"several"`` to the several-interventions result (its
        ``identification_`` is the identification table).

    Validated against: the simulator's truth (Monte Carlo,
    benchmarks/results/validate_several_* and validate_estimators_*).
    """
    from fusion_study.effects.naive import naive_before_after, naive_treated_vs_untreated, twfe_event_study
    from fusion_study.effects.staggered import DiDSpecificationError, FewClustersWarning, staggered_did

    check_alpha(alpha)
    ex, n_left_out, screened = _analysis_frame(study, outcome)
    cohorts = [c for c in ex.columns if c.startswith("cohort_")]
    order = [c for c in cohorts if c != "cohort_programme"] + ["cohort_programme"]
    common = []
    if n_left_out:
        common.append(f"{n_left_out} responses without a {outcome} score or branch left out")
    if screened:
        common.append(f"{screened} responses screened out (speeders, straight-liners, duplicates; see ledger)")
    rows, models = [], {}
    net = {}
    res_s = None
    if several and len(order) > 2:  # at least two interventions
        try:
            res_s = _fit_several(ex, outcome, alpha)
        except ValueError as exc:  # e.g. no response exposed to no intervention: no imputation possible
            nan = dict.fromkeys(("estimate", "se", "ci_lower", "ci_upper", "p_value"), np.nan)
            for col in order[:-1]:
                net[col[len("cohort_"):]] = {"estimand": SEVERAL_ESTIMAND, "estimator": SEVERAL_ESTIMATOR, **nan,
                                             "n": len(ex), "note": f"not estimable: {exc}"}
    if res_s is not None:
        models["several"] = res_s
        ident = res_s.identification_.assign(intervention=lambda d: d["intervention"].astype(str))
        ident = ident.set_index("intervention")
        for _, r in res_s.aggregate("simple").iterrows():
            name = str(r["intervention"])
            idr = ident.loc[name] if name in ident.index else None
            ok = bool(idr["identified"]) if idr is not None else bool(r.get("identified", True))
            inf = _inference(r) if ok else dict.fromkeys(("estimate", "se", "ci_lower", "ci_upper", "p_value"),
                                                         np.nan)
            net[name] = {"estimand": SEVERAL_ESTIMAND, "estimator": SEVERAL_ESTIMATOR, **inf, "n": len(ex),
                         "note": "; ".join([_several_note(idr, r), *common])}
    for col in order:
        name = col[len("cohort_"):]
        base = {"intervention": name, "label_zh": label(name, "zh"), "label_en": label(name, "en"), "n": len(ex)}
        if name in net:
            rows.append({**base, **net[name]})
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", FewClustersWarning)  # reported in the note column instead
                res = staggered_did(ex, outcome=outcome, unit="response_id", time="period", cohort=col,
                                    control=control, panel=False, cluster="branch_id", alpha=alpha)
        except DiDSpecificationError as exc:
            rows.append({**base, "estimand": "ATT (simple)", "estimator": "CS-DiD (RC, DR)",
                         "estimate": np.nan, "se": np.nan, "ci_lower": np.nan, "ci_upper": np.nan,
                         "p_value": np.nan, "note": f"not estimable: {exc}"})
            continue
        models[name] = res
        notes = [] if name == "programme" else [
            "for contrast: co-timed with other interventions, includes their effects"
            + ("; its own effect is the 'ATT net of other interventions' row" if name in net else "")]
        if len(res.few_clusters_):
            notes.append(f"{len(res.few_clusters_)} of {len(res.att_gt_)} ATT(g,t) rest on a single branch "
                         "(cohort or comparison): SEs may be too small")
        if len(getattr(res, "skipped_", ())):
            notes.append(f"{len(res.skipped_)} ATT(g,t) not estimable (no responses in a period)")
        note = "; ".join(notes + common)
        for agg, estimand in (("simple", "ATT (simple)"), ("dynamic", "ATT (event-time average)")):
            r = res.aggregate(agg).iloc[0]
            rows.append({**base, "estimand": estimand, "estimator": "CS-DiD (RC, DR)", **_inference(r), "note": note})
        pt = res.pretrend_test(over="event_time").iloc[0]
        rows.append({**base, "estimand": "pre-trend test", "estimator": f"Wald chi2({pt['df']})",
                     "estimate": pt["statistic"], "se": np.nan, "ci_lower": np.nan, "ci_upper": np.nan,
                     "p_value": pt["p_value"],
                     "note": "chi-square statistic and p-value of H0: all pre-treatment event-time effects = 0"})
    if naive:
        col = "cohort_programme"
        base = {"intervention": "programme", "label_zh": label("programme", "zh"),
                "label_en": label("programme", "en"), "estimand": "ATT (naive)", "n": len(ex)}
        tw = twfe_event_study(ex, outcome=outcome, unit="branch_id", time="period", cohort=col,
                              cluster="branch_id", alpha=alpha).iloc[0]
        rows.append({**base, "estimator": "TWFE (branch + wave)", **_inference(tw),
                     "note": "biased under staggered adoption with growing effects"})
        for fn, name, why in (
            (naive_before_after, "before/after", "ignores the common trend"),
            (naive_treated_vs_untreated, "treated vs untreated", "ignores that early adopters are stronger"),
        ):
            r = fn(ex, outcome=outcome, time="period", cohort=col, alpha=alpha).iloc[0]
            rows.append({**base, "estimator": name, **_inference(r), "note": why + " (SE ignores clustering)"})
    cols = ["intervention", "label_zh", "label_en", "estimand", "estimator", "estimate", "se", "ci_lower",
            "ci_upper", "p_value", "n", "note"]
    table = pd.DataFrame(rows)[cols]
    return (table, models) if return_models else table


def _inference(row: pd.Series) -> dict:
    return {k: row[k] for k in ("estimate", "se", "ci_lower", "ci_upper", "p_value")}


def _period_label(p: int) -> str:
    return str(period_from_number(int(p)))
