"""The 急难愁盼 customer-problem mechanism: ticket volumes, time to resolution, launch effect.

Research question 4: does the mechanism resolve retailers' problems faster, and
does a resolved problem raise satisfaction?

Time to resolution is survival data. For each ticket (``tickets`` table):

* ``time`` = days from ``opened`` to ``closed`` for closed tickets; for open tickets
  days from ``opened`` to ``study_end`` (an argument — the date the data were
  extracted), and the ticket is **censored**;
* ``event`` = 1 when the ticket was **resolved** (status ``resolved``). A ticket
  closed as *unresolved* (办结未解决) leaves the risk set at its closing date without
  being resolved, so it is censored there (``event="resolved"``, the default).
  With ``event="closed"`` every closing counts as the event (time to closure).

The generic statistics live in :mod:`fusion_study.problems.survival`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fusion_study.data.aggregates import ticket_counts
from fusion_study.data.checks import check_choice, require_columns
from fusion_study.data.periods import date_to_period, period_number
from fusion_study.data.tidy import model_terms
from fusion_study.measurement.scores import satisfaction_score
from fusion_study.problems.survival import cox_clustered, kaplan_meier, km_quantile

__all__ = [
    "ticket_durations",
    "ticket_summary",
    "resolution_curves",
    "launch_hazard_ratio",
    "next_wave_satisfaction",
    "branch_launch_periods",
]

EVENTS = ("resolved", "closed")


def _study_end(tickets: pd.DataFrame, study_end) -> pd.Timestamp:
    if study_end is None:
        dates = pd.concat([pd.to_datetime(tickets["opened"]), pd.to_datetime(tickets["closed"])])
        return pd.Timestamp(dates.max())
    return pd.Timestamp(study_end)


def ticket_durations(
    tickets: pd.DataFrame,
    *,
    study_end=None,
    event: str = "resolved",
    launches: pd.Series | None = None,
) -> pd.DataFrame:
    """One survival record per ticket.

    Parameters
    ----------
    tickets : the ``tickets`` table.
    study_end : date the data were extracted; open tickets are censored there.
        Default: the latest opened/closed date in the table.
    event : ``"resolved"`` (default; closed-unresolved tickets censored at closing)
        or ``"closed"`` (any closing is the event).
    launches : optional Series ``branch_id -> start period`` of the mechanism
        (see :func:`branch_launch_periods`); adds ``after_launch`` (ticket opened in
        or after the launch quarter).

    Returns
    -------
    DataFrame ``ticket_id, customer_id, branch_id, category, period`` (quarter
    opened), ``opened, time`` (days), ``event`` (0/1), ``status`` and, with
    ``launches``, ``after_launch`` (0/1).
    """
    check_choice("event", event, EVENTS)
    require_columns(tickets, ["ticket_id", "branch_id", "category", "opened", "closed", "status"],
                    what="ticket_durations", table="tickets")
    end = _study_end(tickets, study_end)
    opened = pd.to_datetime(tickets["opened"])
    closed = pd.to_datetime(tickets["closed"])
    status = tickets["status"].astype("string")
    bad = closed.notna() & (closed < opened)
    if bad.any():
        row = tickets.index[np.flatnonzero(bad.to_numpy())[0]]
        raise ValueError(f"tickets: 'closed' precedes 'opened' in {int(bad.sum())} row(s), first at row {row!r}")
    late = opened > end
    if late.any():
        raise ValueError(f"tickets: {int(late.sum())} ticket(s) opened after study_end {end.date()}")
    stop = closed.where(closed.notna() & (closed <= end), end)
    time = (stop - opened).dt.days.astype(float)
    is_event = np.array((closed.notna() & (closed <= end)).to_numpy(dtype=bool))
    if event == "resolved":
        is_event = is_event & (status == "resolved").fillna(False).to_numpy(dtype=bool)
    out = pd.DataFrame(
        {
            "ticket_id": tickets["ticket_id"].to_numpy(),
            "customer_id": tickets["customer_id"].to_numpy() if "customer_id" in tickets else pd.NA,
            "branch_id": tickets["branch_id"].astype("string").to_numpy(),
            "category": tickets["category"].astype("string").to_numpy(),
            "period": date_to_period(opened).to_numpy(),
            "opened": opened.to_numpy(),
            "time": time.to_numpy(),
            "event": is_event.astype(int),
            "status": status.to_numpy(),
        },
        index=tickets.index,
    )
    if launches is not None:
        start = out["branch_id"].map(launches)
        pn = period_number(out["period"].astype("string"))
        sn = start.map(lambda s: period_number(s) if isinstance(s, str) else np.nan)
        out["after_launch"] = (pd.Series(pn, index=out.index).astype(float) >= sn.astype(float)).astype(int)
    return out


def branch_launch_periods(units: pd.DataFrame, interventions: pd.DataFrame, intervention: str) -> pd.Series:
    """Start period of ``intervention`` for every branch (a launch at a county/city unit covers its branches).

    Returns a Series ``branch_id -> start period`` (``NaN`` where never launched); the
    earliest start along the branch's ancestor chain wins.
    """
    require_columns(units, ["unit_id", "level", "parent_id"], what="branch_launch_periods", table="units")
    require_columns(interventions, ["unit_id", "intervention", "start_period"], what="branch_launch_periods",
                    table="interventions")
    iv = interventions[interventions["intervention"] == intervention]
    start = dict(zip(iv["unit_id"].astype(str), iv["start_period"].astype(str)))
    parent = dict(zip(units["unit_id"].astype(str), units["parent_id"]))
    result = {}
    for b in units.loc[units["level"] == "branch", "unit_id"].astype(str):
        best, u, seen = None, b, set()
        while isinstance(u, str) and u not in seen:
            seen.add(u)
            s = start.get(u)
            if s is not None and (best is None or period_number(s) < period_number(best)):
                best = s
            u = parent.get(u)
        result[b] = best if best is not None else np.nan
    return pd.Series(result, name="start_period", dtype="object")


def ticket_summary(
    tickets: pd.DataFrame,
    *,
    by: tuple[str, ...] | str | None = ("category", "period"),
    study_end=None,
    event: str = "resolved",
    conf_type: str = "log",
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Volume, resolution rate, Kaplan–Meier median days to resolution (with CI) and share still open.

    Parameters
    ----------
    tickets : the ``tickets`` table (or the output of :func:`ticket_durations`).
    by : grouping columns among ``category, period, branch_id`` (and ``after_launch``
        when present); ``None`` for one overall row.
    study_end, event : see :func:`ticket_durations`.
    conf_type : CI transform of the survival band the median's CI is read from
        (R ``conf.type``; default ``"log"`` as R).

    Returns
    -------
    DataFrame with the ``by`` columns, ``n_tickets, n_resolved, resolution_rate``
    (share of tickets resolved by ``study_end``), ``share_open``, ``median_days,
    median_ci_lower, median_ci_upper`` (Kaplan–Meier median and its ``1 - alpha`` CI,
    open tickets censored; ``NaN`` when not reached).

    Validated against R survival 3.5 ``quantile(survfit(...), 0.5)`` (see
    :func:`fusion_study.problems.survival.km_quantile`).

    Examples
    --------
    >>> t = pd.DataFrame({"ticket_id": list("abcd"), "branch_id": "B1",
    ...     "category": ["urgent"] * 4, "opened": pd.to_datetime(["2024-01-01"] * 4),
    ...     "closed": pd.to_datetime(["2024-01-03", "2024-01-05", "2024-01-11", None]),
    ...     "status": ["resolved", "resolved", "resolved", "open"]})
    >>> ticket_summary(t, by="category", study_end="2024-03-31")[["n_tickets", "share_open", "median_days"]]
       n_tickets  share_open  median_days
    0          4        0.25          7.0
    """
    if "time" in tickets.columns and "event" in tickets.columns:
        d = tickets.copy()
    else:
        d = ticket_durations(tickets, study_end=study_end, event=event)
    cols = [] if by is None else ([by] if isinstance(by, str) else list(by))
    require_columns(d, cols, what="ticket_summary: cannot group by=")
    d["_open"] = (d["status"] == "open").fillna(False).astype(float)
    grouped = d.groupby(cols, sort=True, observed=True) if cols else [((), d)]
    rows = []
    for key, sub in grouped:
        key = key if isinstance(key, tuple) else (key,)
        med = km_quantile(sub, time="time", event="event", conf_type=conf_type, alpha=alpha).iloc[0]
        rows.append(
            {
                **dict(zip(cols, key)),
                "n_tickets": len(sub),
                "n_resolved": int(sub["event"].sum()),
                "resolution_rate": float(sub["event"].mean()),
                "share_open": float(sub["_open"].mean()),
                "median_days": med["estimate"],
                "median_ci_lower": med["ci_lower"],
                "median_ci_upper": med["ci_upper"],
            }
        )
    return pd.DataFrame(rows)


def resolution_curves(
    durations: pd.DataFrame, *, by: str = "category", conf_type: str = "log", alpha: float = 0.05
) -> pd.DataFrame:
    """Kaplan–Meier curves of *still unresolved* by ``by`` (tidy; see :func:`fusion_study.problems.survival.kaplan_meier`)."""
    return kaplan_meier(durations, time="time", event="event", by=by, conf_type=conf_type, alpha=alpha)


def launch_hazard_ratio(
    durations: pd.DataFrame,
    *,
    adjust_category: bool = True,
    cluster: str = "branch_id",
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Cox hazard ratio of resolution for tickets opened after the mechanism's launch.

    HR > 1 means tickets are resolved faster after launch. Breslow ties; SEs
    robust to clustering of tickets within the ``cluster`` column (branches;
    statsmodels ``PHReg`` grouped sandwich, as R ``coxph(... + cluster(branch_id))``).
    With ``adjust_category`` the ticket category enters as dummies (reference: 急 urgent).

    Requires ``after_launch`` (from :func:`ticket_durations` with ``launches``).
    Returns the :func:`fusion_study.problems.survival.cox_clustered` table:
    ``estimate`` is the hazard ratio, ``ci_lower, ci_upper`` its ``1 - alpha`` CI.
    """
    if "after_launch" not in durations.columns:
        raise ValueError("launch_hazard_ratio needs 'after_launch'; call ticket_durations(..., launches=...) first")
    d = durations.copy()
    covs = ["after_launch"]
    if adjust_category:
        cats = [c for c in ("difficult", "worry", "expectation") if (d["category"] == c).any()]
        for c in cats:
            d[f"category_{c}"] = (d["category"] == c).astype(float)
        covs += [f"category_{c}" for c in cats]
    if d["after_launch"].nunique() < 2:
        raise ValueError("launch_hazard_ratio: all tickets are on one side of the launch; no contrast to estimate")
    return cox_clustered(d, time="time", event="event", covariates=covs, cluster=cluster, alpha=alpha)


def next_wave_satisfaction(
    tickets: pd.DataFrame,
    survey: pd.DataFrame,
    customers: pd.DataFrame,
    *,
    codebook: pd.DataFrame | None = None,
    items: list[str] | None = None,
    cluster: str = "branch_id",
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Does a problem resolved in time raise the retailer's satisfaction at the next wave?

    Design (documented, deliberately simple). For each retailer and quarter *w*
    with survey answers at waves *w* and *w+1*:

    * ``n_raised`` — tickets the retailer opened in quarter *w*;
    * ``n_resolved`` — of those, resolved (status ``resolved``) before quarter
      *w+1* began ("resolved in time", before the next survey quarter);
    * outcome ``sat_{w+1}`` (0–100: satisfaction items rescaled by their codebook
      ranges and averaged), regressed by OLS on ``sat_w`` (lagged outcome),
      ``n_raised``, ``n_resolved`` and wave fixed effects; SEs clustered by the
      ``cluster`` column of ``customers`` (default the serving branch).

    ``n_resolved`` is then the gain from a problem resolved in time *relative to
    the same problem left open or closed unresolved*; ``n_raised`` the change that
    goes with having an unresolved problem at all. This is an association, not a
    causal effect: branches that resolve quickly may serve better in other ways;
    the lagged outcome absorbs stable retailer differences only. The causal
    estimate (AIPW, adjusting for the mechanism's launch) is
    :func:`fusion_study.problems.resolution.resolution_effect`.

    Returns
    -------
    One row per term (``n_raised``, ``n_resolved``, ``sat_lag``): ``term, estimate,
    se, ci_lower, ci_upper, p_value, n, n_clusters`` (``1 - alpha`` CIs from the
    branch-clustered covariance).
    """
    import statsmodels.formula.api as smf

    require_columns(survey, ["customer_id", "wave"], what="next_wave_satisfaction", table="customer_survey")
    require_columns(customers, ["customer_id", cluster], what="next_wave_satisfaction", table="customers")
    require_columns(tickets, ["customer_id", "opened", "closed", "status"], what="next_wave_satisfaction",
                    table="tickets")
    s = _retailer_wave_satisfaction(survey, codebook=codebook, items=items)
    nxt = s.assign(wn=s["wn"] - 1).rename(columns={"sat": "sat_next"})
    d = s.rename(columns={"sat": "sat_lag"}).merge(nxt, on=["customer_id", "wn"], how="inner")
    counts = ticket_counts(tickets)  # in DuckDB when the tickets are a lazy Parquet table
    agg = pd.DataFrame({"customer_id": counts["customer_id"].astype(object),
                        "wn": counts["period"].astype(float),
                        "n_raised": counts["tickets_opened"].astype(float),
                        "n_resolved": counts["tickets_resolved_in_time"].astype(float)})
    d = d.merge(agg, on=["customer_id", "wn"], how="left")
    d[["n_raised", "n_resolved"]] = d[["n_raised", "n_resolved"]].fillna(0.0)
    d = d.merge(customers[list(dict.fromkeys(["customer_id", cluster]))], on="customer_id", how="inner")
    if len(d) < 10 or d["n_resolved"].sum() == 0:
        raise ValueError(
            f"next_wave_satisfaction: only {len(d)} retailer pairs of consecutive waves and "
            f"{int(d['n_resolved'].sum())} problems resolved in time; too few to estimate"
        )
    d["wave_fe"] = d["wn"].astype(int).astype(str)
    groups = pd.factorize(d[cluster].astype(str))[0]
    fit = smf.ols("sat_next ~ sat_lag + n_raised + n_resolved + C(wave_fe)", data=d).fit(
        cov_type="cluster", cov_kwds={"groups": groups}
    )
    return model_terms(fit, ["n_raised", "n_resolved", "sat_lag"], alpha=alpha).assign(n_clusters=int(groups.max() + 1))


def _retailer_wave_satisfaction(
    survey: pd.DataFrame, *, codebook: pd.DataFrame | None = None, items: list[str] | None = None
) -> pd.DataFrame:
    """Mean 0–100 satisfaction of each retailer in each wave: ``customer_id, wn`` (wave number), ``sat``.

    Responses without a satisfaction score are left out; a retailer answering
    twice in a wave gets the mean.
    """
    s = survey[["customer_id", "wave"]].copy()
    s["sat"] = satisfaction_score(survey, codebook=codebook, items=items).to_numpy()
    s["wn"] = np.asarray(period_number(s["wave"].astype("string")), dtype=float)
    return s.dropna(subset=["sat"]).groupby(["customer_id", "wn"], as_index=False)["sat"].mean()
