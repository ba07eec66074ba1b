"""Does resolving a retailer's problem in time raise its next-wave satisfaction? (急难愁盼 → 满意度)

The causal companion of :func:`fusion_study.problems.tickets.next_wave_satisfaction`
(a naive regression kept for contrast). The unit is a retailer × quarter *w*
in which the retailer opened **exactly one** ticket and answered the customer
survey at waves *w* and *w + 1*:

* treatment ``resolved`` = 1 when that ticket was closed as resolved before
  quarter *w + 1* began ("resolved in time"), 0 otherwise (still open then, or
  closed unresolved 办结未解决);
* outcome ``sat_next`` = 0–100 satisfaction at *w + 1* (the scoring of
  :func:`fusion_study.measurement.scores.satisfaction_score`);
* covariates, all fixed before the ticket's fate is known: ``sat_lag``
  (satisfaction at *w*), the ticket's category (急 urgent is the reference), the
  share of the quarter elapsed when it was opened, whether the branch's
  problem mechanism was active in *w* (from the launches), the retailer's
  segment and size tier (when the customers table has them) and wave dummies.

The effect is estimated by AIPW with cross-fitting
(:func:`fusion_study.effects.doubly_robust`). Why a causal estimator: tickets
are resolved faster once the branch's mechanism has launched, and stronger
branches launch earlier and have more satisfied retailers — conditioning on the
mechanism being active (and on lagged satisfaction) removes that path. What
the design cannot remove: anything else about a branch that both speeds
resolution and raises satisfaction within a mechanism status.

Retailer-quarters with two or more tickets are excluded (their treatment is
not binary), as are those without a survey answer at *w* or *w + 1*; every
excluded retailer-quarter is recorded in a :class:`~fusion_study.data.ledger.Ledger`
(table ``retailer_quarters``) with its reason. Retailer-quarters without any
ticket are not candidates.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from fusion_study.data.checks import check_alpha, check_choice, critical_value, require_columns
from fusion_study.data.ledger import Ledger
from fusion_study.data.periods import date_to_period, period_number
from fusion_study.problems.tickets import _retailer_wave_satisfaction
from fusion_study.problems.study import study_resolution_effect  # noqa: F401  moved to problems/study.py; old path kept

__all__ = ["resolution_units", "resolution_effect", "study_resolution_effect", "EXCLUSION_REASONS"]

EXCLUSION_REASONS = (
    "unknown_customer",
    "no_next_wave_in_study",
    "two_or_more_tickets",
    "no_survey_answer_next_wave",
    "no_survey_answer_this_wave",
)
_CATEGORIES = ("difficult", "worry", "expectation")  # 急 urgent = reference
_ESTIMANDS = ("ate", "att")
_UNIT_TABLE = "retailer_quarters"


def _dates(t: pd.DataFrame, col: str) -> pd.Series:
    """Parse a date column of the tickets table; a value that is not a date is an error naming its rows."""
    parsed = pd.to_datetime(t[col], errors="coerce")
    bad = parsed.isna() & t[col].notna() & (t[col].astype("string").str.strip() != "")
    if bad.any():
        rows = t.index[bad.to_numpy()][:5].tolist()
        vals = t.loc[bad, col].astype(str).head(5).tolist()
        raise ValueError(f"table 'tickets', column {col!r}: {int(bad.sum())} value(s) are not dates, e.g. rows "
                         f"{rows} = {vals}; rule: dates as YYYY-MM-DD")
    return parsed


def resolution_units(
    tickets: pd.DataFrame,
    survey: pd.DataFrame,
    customers: pd.DataFrame,
    *,
    codebook: pd.DataFrame | None = None,
    items: list[str] | None = None,
    launches: pd.Series | None = None,
) -> pd.DataFrame:
    """The analysis frame of :func:`resolution_effect`: one row per usable retailer-quarter.

    Parameters
    ----------
    tickets, survey, customers : the ``tickets``, ``customer_survey`` (screened
        first: unscreened noise responses attenuate the effect) and ``customers`` tables.
    codebook, items : how satisfaction is scored (see ``satisfaction_score``).
    launches : optional Series ``branch_id -> start period`` of the problem
        mechanism (:func:`fusion_study.problems.tickets.branch_launch_periods`); adds
        ``mechanism_active``.

    Returns
    -------
    DataFrame ``customer_id, branch_id, wave`` (quarter *w*), ``period`` (its
    number), ``ticket_id, category, quarter_elapsed`` (0–1), ``resolved``
    (0/1), ``sat_lag, sat_next`` (0–100), ``segment``/``size_tier`` when
    present and ``mechanism_active`` (0/1) with ``launches``. ``attrs["ledger"]``
    records every excluded retailer-quarter (source_row ``customer_id@wave``)
    and ``attrs["exclusions"]`` counts them by reason (``EXCLUSION_REASONS``,
    first applicable reason wins; ``candidates`` = retailer-quarters with a ticket;
    ``tickets_without_opened_date`` = tickets left out because they have no quarter).
    """
    what = "resolution_units"
    require_columns(survey, ["customer_id", "wave"], what=what, table="customer_survey")
    require_columns(customers, ["customer_id", "branch_id"], what=what, table="customers")
    require_columns(tickets, ["ticket_id", "customer_id", "category", "opened", "closed", "status"], what=what,
                    table="tickets")
    s = _retailer_wave_satisfaction(survey, codebook=codebook, items=items)
    last_wave = s["wn"].max() if len(s) else -np.inf

    t = tickets[["ticket_id", "customer_id", "category", "opened", "closed", "status"]].copy()
    opened, closed = _dates(t, "opened"), _dates(t, "closed")
    no_date = opened.isna().to_numpy()
    t, opened, closed = t[~no_date], opened[~no_date], closed[~no_date]
    q = opened.dt.to_period("Q")
    q_start = q.dt.start_time.dt.normalize()
    next_start = q.dt.end_time.dt.normalize() + pd.Timedelta(days=1)
    t["wave"] = date_to_period(opened).astype("string").to_numpy()
    t["wn"] = np.asarray(period_number(t["wave"]), dtype=float)
    t["quarter_elapsed"] = ((opened - q_start).dt.days / (next_start - q_start).dt.days).to_numpy(float)
    t["resolved"] = ((t["status"].astype("string") == "resolved").fillna(False) & closed.notna() & (closed < next_start)).astype(int)
    n_tickets = t.groupby(["customer_id", "wn"])["ticket_id"].transform("size")
    t["n_tickets"] = n_tickets.to_numpy()
    cand = t.drop_duplicates(["customer_id", "wn"]).reset_index(drop=True)

    answered = set(zip(s["customer_id"], s["wn"]))
    known = set(customers["customer_id"])
    reason = pd.Series(pd.NA, index=cand.index, dtype="string")

    def mark(mask, why):
        mask = np.asarray(mask, dtype=bool) & reason.isna().to_numpy()
        reason[mask] = why

    mark(~cand["customer_id"].isin(known), "unknown_customer")
    mark(cand["wn"] >= last_wave, "no_next_wave_in_study")
    mark(cand["n_tickets"] >= 2, "two_or_more_tickets")
    mark([(c, w + 1) not in answered for c, w in zip(cand["customer_id"], cand["wn"])], "no_survey_answer_next_wave")
    mark([(c, w) not in answered for c, w in zip(cand["customer_id"], cand["wn"])], "no_survey_answer_this_wave")

    ledger = Ledger()
    ledger.record_read(_UNIT_TABLE, len(cand))
    ids = cand["customer_id"].astype(str) + "@" + cand["wave"].astype(str)
    for why in EXCLUSION_REASONS:
        m = (reason == why).fillna(False).to_numpy()
        ledger.record(_UNIT_TABLE, ids[m], rule=f"resolution_effect:{why}")
    counts = {"candidates": len(cand), **{w: int((reason == w).sum()) for w in EXCLUSION_REASONS},
              "tickets_without_opened_date": int(no_date.sum())}

    d = cand[reason.isna().to_numpy()].copy()
    d = d.merge(s.rename(columns={"sat": "sat_lag"}), on=["customer_id", "wn"], how="left")
    d = d.merge(s.assign(wn=s["wn"] - 1).rename(columns={"sat": "sat_next"}), on=["customer_id", "wn"], how="left")
    keep_c = [c for c in ("customer_id", "branch_id", "segment", "size_tier") if c in customers.columns]
    d = d.merge(customers[keep_c].drop_duplicates("customer_id"), on="customer_id", how="left")
    d["branch_id"] = d["branch_id"].astype("string")
    d["period"] = d["wn"].astype(int)
    if launches is not None:
        start = d["branch_id"].map(launches)
        sn = start.map(lambda v: period_number(v) if isinstance(v, str) else np.nan).astype(float)
        d["mechanism_active"] = (d["period"].astype(float) >= sn).astype(int)
    cols = ["customer_id", "branch_id", "wave", "period", "ticket_id", "category", "quarter_elapsed", "resolved",
            "sat_lag", "sat_next"]
    cols += [c for c in ("segment", "size_tier", "mechanism_active") if c in d.columns]
    out = d[cols].sort_values(["period", "customer_id"], kind="stable").reset_index(drop=True)
    out.attrs["ledger"] = ledger
    out.attrs["exclusions"] = counts
    return out


def _design(units: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Numeric covariates (0/1 dummies) for the nuisance models; constant columns dropped."""
    X = pd.DataFrame({"sat_lag": units["sat_lag"].astype(float), "quarter_elapsed": units["quarter_elapsed"]})
    cat = units["category"].astype("string")
    for c in _CATEGORIES:
        X[f"category_{c}"] = (cat == c).fillna(False).astype(float)
    if "mechanism_active" in units.columns:
        X["mechanism_active"] = units["mechanism_active"].astype(float)
    for col in ("segment", "size_tier"):
        if col in units.columns:
            v = units[col].astype("string").fillna("missing")
            for lev in sorted(v.unique())[1:]:
                X[f"{col}_{lev}"] = (v == lev).astype(float)
    periods = sorted(units["period"].unique())
    for p in periods[1:]:
        X[f"wave_{p}"] = (units["period"] == p).astype(float)
    keep = [c for c in X.columns if X[c].nunique() > 1]
    return X[keep], keep


def resolution_effect(
    tickets: pd.DataFrame,
    survey: pd.DataFrame,
    customers: pd.DataFrame,
    *,
    codebook: pd.DataFrame | None = None,
    items: list[str] | None = None,
    launches: pd.Series | None = None,
    estimand: str = "ate",
    learner=None,
    n_folds: int = 5,
    trim: float = 0.01,
    min_units: int = 30,
    alpha: float = 0.05,
    seed=None,
) -> pd.DataFrame:
    """Effect of resolving a retailer's (single) ticket in time on its next-wave satisfaction (0–100).

    Design: see the module docstring and :func:`resolution_units`. AIPW with
    ``n_folds`` cross-fitting folds (:func:`fusion_study.effects.doubly_robust`,
    default unpenalised logistic propensity and linear outcome models) on the
    covariates ``sat_lag``, ``quarter_elapsed``, category dummies,
    ``mechanism_active`` (with ``launches``), segment / size-tier dummies and
    wave dummies. Without ``launches`` the mechanism path is not blocked and the
    note says so.

    Parameters
    ----------
    tickets, survey, customers, codebook, items, launches : see :func:`resolution_units`.
    estimand : ``"ate"`` (all units) or ``"att"`` (units whose ticket was resolved in time).
    learner, n_folds, trim : passed to ``doubly_robust``.
    min_units : fewest usable retailer-quarters to attempt an estimate.
    alpha : 1 − confidence level of the (normal) intervals.
    seed : int, Generator or None — the cross-fitting folds.

    Returns
    -------
    DataFrame, two rows (``method`` = ``"aipw"``, then ``"naive"``: the raw
    difference in mean ``sat_next`` between resolved and not, Welch SE):
    ``method, estimand, estimate, se, ci_lower, ci_upper`` (``1 - alpha``), ``p_value, n,
    n_treated, n_trimmed, note``. ``attrs``: ``ledger`` (excluded
    retailer-quarters), ``exclusions`` (counts by reason), ``model`` (the fitted
    ``DoublyRobust``: ``overlap_``, ``balance_``), ``units`` (the analysis frame).

    Raises
    ------
    ValueError
        Unknown ``estimand``; fewer than ``min_units`` usable retailer-quarters;
        no resolved (treated) or no unresolved (control) units.

    Validated against
    -----------------
    The simulator's ``Truth.tickets["resolution_effect_index"]`` (ATE) and
    ``["resolution_effect_index_treated"]`` (ATT): the 95 % CI covers it on a
    large simulated study (tests/test_problem_resolution.py) and in
    benchmarks/validate_resolution_effect.py (coverage and bias over 100+
    replications; figures in benchmarks/results/). The AIPW arithmetic itself is
    validated in :mod:`fusion_study.effects.aipw`.
    """
    from fusion_study.effects import doubly_robust

    check_choice("estimand", estimand, _ESTIMANDS)
    z = critical_value(check_alpha(alpha))
    units = resolution_units(tickets, survey, customers, codebook=codebook, items=items, launches=launches)
    exclusions = units.attrs["exclusions"]
    n, n1 = len(units), int(units["resolved"].sum())
    excl_txt = ", ".join(f"{k} {v}" for k, v in exclusions.items() if k != "candidates" and v)
    where = f"{exclusions['candidates']} retailer-quarters with a ticket; excluded: {excl_txt or 'none'}"
    if n < min_units:
        raise ValueError(f"resolution_effect: only {n} usable retailer-quarters (min_units={min_units}); {where}")
    if n1 == 0 or n1 == n:
        which = "resolved in time (no treated units)" if n1 == 0 else "unresolved in time (no control units)"
        raise ValueError(f"resolution_effect: none of the {n} usable tickets was {which}; no contrast to estimate")
    X, covs = _design(units)
    data = X.assign(resolved=units["resolved"].to_numpy(), sat_next=units["sat_next"].to_numpy())
    fit = doubly_robust(data, outcome="sat_next", treatment="resolved", covariates=covs, learner=learner,
                        n_folds=n_folds, estimand=estimand, trim=trim, seed=seed)
    note = where
    if "mechanism_active" not in units.columns:
        note += "; no mechanism launches given: the mechanism path is not adjusted for (confounded)"
    aipw = fit.result_.assign(method="aipw", note=note)
    aipw = aipw.assign(ci_lower=aipw["estimate"] - z * aipw["se"], ci_upper=aipw["estimate"] + z * aipw["se"])

    y1 = units.loc[units["resolved"] == 1, "sat_next"].to_numpy(float)
    y0 = units.loc[units["resolved"] == 0, "sat_next"].to_numpy(float)
    diff = y1.mean() - y0.mean()
    se = float(np.sqrt(y1.var(ddof=1) / len(y1) + y0.var(ddof=1) / len(y0))) if min(len(y1), len(y0)) > 1 else np.nan
    naive = pd.DataFrame(
        {
            "method": ["naive"],
            "estimand": ["difference in means"],
            "estimate": [diff],
            "se": [se],
            "ci_lower": [diff - z * se],
            "ci_upper": [diff + z * se],
            "p_value": [float(2 * stats.norm.sf(abs(diff / se)))],
            "n": [n],
            "n_treated": [n1],
            "n_trimmed": [0],
            "note": ["unadjusted: confounded by branch strength and mechanism launch"],
        }
    )
    cols = ["method", "estimand", "estimate", "se", "ci_lower", "ci_upper", "p_value", "n", "n_treated",
            "n_trimmed", "note"]
    out = pd.concat([aipw[cols], naive[cols]], ignore_index=True)
    out.attrs.update(ledger=units.attrs["ledger"], exclusions=exclusions, model=fit, units=units)
    return out

