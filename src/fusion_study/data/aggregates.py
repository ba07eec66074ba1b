"""The aggregates the analyses build from the log tables, in pandas or in DuckDB.

Each function takes a log table as a pandas DataFrame *or* a lazy Parquet table
(:class:`~fusion_study.data.lazy.LazyTable`) and returns the same small frame:
for a lazy table DuckDB scans the files and only the aggregate reaches pandas.
One function per aggregate, used by every analysis that needs it:

* :func:`team_contacts` — team activities per customer × quarter
  (:func:`fusion_study.effects.study.exposures`);
* :func:`ticket_counts` — tickets opened, resolved and resolved in time per
  customer × quarter (``exposures``,
  :func:`fusion_study.problems.tickets.next_wave_satisfaction`);
* :func:`member_weeks` — activities per member × ISO week
  (:func:`fusion_study.participation.calendar.participation_by_week`).

Rows the aggregate cannot place (no customer or member, no date) are left out
and counted in ``frame.attrs`` (``n_undated``, ``n_unattributed``).

Validated against: each other — the pandas and SQL paths give equal frames
(after sorting) on the bundled example and on a province-like simulation written
as partitioned Parquet (``tests/data/test_aggregates.py``).
"""

from __future__ import annotations

import pandas as pd

from fusion_study.data.checks import require_columns
from fusion_study.data.lazy import _lit, _q, is_lazy

__all__ = ["team_contacts", "ticket_counts", "member_weeks"]


def _quarter_number(dates: pd.Series) -> pd.Series:
    """Consecutive quarter number of each date (:func:`~fusion_study.data.periods.period_number`)."""
    d = pd.to_datetime(dates)
    return (d.dt.year * 4 + d.dt.quarter - 1).astype("int64")


_SQL_QUARTER = "(year({c}) * 4 + quarter({c}) - 1)"


def team_contacts(activities) -> pd.DataFrame:
    """Team activities with each customer in each quarter.

    Returns
    -------
    DataFrame
        One row per customer × quarter with any activity, sorted: ``customer_id``,
        ``period`` (quarter number, as :func:`~fusion_study.data.periods.period_number`),
        ``contacts_<team>`` (int, one column per team in the log, sorted by team).
        ``attrs["n_undated"]``: activities without a date (left out).
    """
    require_columns(activities, ["customer_id", "date", "team"], what="team_contacts", table="activities")
    if is_lazy(activities):
        q = _SQL_QUARTER.format(c="date")
        keep = "WHERE customer_id IS NOT NULL AND team IS NOT NULL AND date IS NOT NULL"
        teams = sorted(activities.fetch(f"SELECT DISTINCT team FROM {{t}} {keep}")["team"].astype(str))
        counts = ", ".join(f"count(*) FILTER (WHERE team = {_lit(tm)}) AS {_q('contacts_' + tm)}" for tm in teams)
        out = activities.fetch(f"SELECT CAST(customer_id AS VARCHAR) AS customer_id, {q} AS period"
                               f"{', ' + counts if counts else ''} FROM {{t}} {keep} GROUP BY ALL")
        n_undated = int(activities.fetch("SELECT count(*) AS n FROM {t} WHERE date IS NULL")["n"].iloc[0])
    else:
        a = activities[["customer_id", "date", "team"]]
        dated = a["date"].notna()
        n_undated = int((~dated).sum())
        a = a[dated & a["customer_id"].notna() & a["team"].notna()]
        out = (pd.DataFrame({"customer_id": a["customer_id"], "period": _quarter_number(a["date"]),
                             "team": a["team"].astype(str)})
               .groupby(["customer_id", "period", "team"]).size().unstack("team", fill_value=0))
        out = out.reindex(columns=sorted(out.columns))
        out.columns = [f"contacts_{c}" for c in out.columns]
        out = out.reset_index()
    out = out.sort_values(["customer_id", "period"]).reset_index(drop=True)
    out = out.astype({c: "int64" for c in out.columns if c.startswith("contacts_")})
    out["customer_id"] = out["customer_id"].astype("string")
    out["period"] = out["period"].astype("int64")
    out.columns.name = None
    out.attrs["n_undated"] = n_undated
    return out


def ticket_counts(tickets) -> pd.DataFrame:
    """Tickets opened by each customer in each quarter, and how many were resolved.

    Returns
    -------
    DataFrame
        One row per customer × quarter with a ticket, sorted: ``customer_id``, ``period``
        (quarter of ``opened``), ``tickets_opened``, ``tickets_resolved`` (status
        ``resolved``), ``tickets_resolved_in_time`` (resolved, with a closed date before the
        next quarter began). ``attrs["n_undated"]``: tickets without an opened date (left out).
    """
    require_columns(tickets, ["customer_id", "opened", "closed", "status"], what="ticket_counts", table="tickets")
    if is_lazy(tickets):
        q = _SQL_QUARTER.format(c="opened")
        out = tickets.fetch(
            f"SELECT CAST(customer_id AS VARCHAR) AS customer_id, {q} AS period, count(*) AS tickets_opened, "
            "count(*) FILTER (WHERE status = 'resolved') AS tickets_resolved, "
            "count(*) FILTER (WHERE status = 'resolved' AND closed IS NOT NULL AND "
            "closed < date_trunc('quarter', opened) + INTERVAL 3 MONTH) AS tickets_resolved_in_time "
            "FROM {t} WHERE customer_id IS NOT NULL AND opened IS NOT NULL GROUP BY ALL")
        n_undated = int(tickets.fetch("SELECT count(*) AS n FROM {t} WHERE opened IS NULL")["n"].iloc[0])
    else:
        t = tickets[["customer_id", "opened", "closed", "status"]]
        dated = t["opened"].notna()
        n_undated = int((~dated).sum())
        t = t[dated & t["customer_id"].notna()]
        opened, closed = pd.to_datetime(t["opened"]), pd.to_datetime(t["closed"])
        resolved = (t["status"].astype("string") == "resolved").fillna(False).to_numpy(bool)
        next_start = opened.dt.to_period("Q").dt.end_time.dt.normalize() + pd.Timedelta(days=1)
        in_time = resolved & (closed.notna() & (closed < next_start)).to_numpy(bool)
        out = (pd.DataFrame({"customer_id": t["customer_id"].to_numpy(), "period": _quarter_number(opened).to_numpy(),
                             "resolved": resolved.astype("int64"), "in_time": in_time.astype("int64")})
               .groupby(["customer_id", "period"])
               .agg(tickets_opened=("resolved", "size"), tickets_resolved=("resolved", "sum"),
                    tickets_resolved_in_time=("in_time", "sum"))
               .reset_index())
    out = out.sort_values(["customer_id", "period"]).reset_index(drop=True)
    out = out.astype({"customer_id": "string", "period": "int64", "tickets_opened": "int64",
                      "tickets_resolved": "int64", "tickets_resolved_in_time": "int64"})
    out.attrs["n_undated"] = n_undated
    return out


def member_weeks(activities) -> pd.DataFrame:
    """Activities of each member in each ISO week (weeks start on Monday).

    Returns
    -------
    DataFrame
        One row per member × week with an activity, sorted: ``member_id``, ``week`` (the
        Monday, ``datetime64[ns]``), ``n_activities``. ``attrs``: ``n_unattributed``
        (activities without a member, left out), ``n_undated`` (attributed, no date, left
        out), ``first`` and ``last`` (earliest and latest date of the attributed activities,
        ``NaT`` when none).
    """
    require_columns(activities, ["date", "member_id"], what="member_weeks", table="activities")
    if is_lazy(activities):
        out = activities.fetch(
            "SELECT CAST(member_id AS VARCHAR) AS member_id, CAST(date_trunc('week', date) AS TIMESTAMP) AS week, "
            "count(*) AS n_activities FROM {t} WHERE member_id IS NOT NULL AND date IS NOT NULL GROUP BY ALL")
        s = activities.fetch(
            "SELECT count(*) FILTER (WHERE member_id IS NULL) AS n_unattributed, "
            "count(*) FILTER (WHERE member_id IS NOT NULL AND date IS NULL) AS n_undated, "
            "CAST(min(date) FILTER (WHERE member_id IS NOT NULL) AS TIMESTAMP) AS first, "
            "CAST(max(date) FILTER (WHERE member_id IS NOT NULL) AS TIMESTAMP) AS last FROM {t}").iloc[0]
        attrs = {"n_unattributed": int(s["n_unattributed"]), "n_undated": int(s["n_undated"]),
                 "first": pd.Timestamp(s["first"]), "last": pd.Timestamp(s["last"])}
    else:
        a = activities[["date", "member_id"]]
        n_unattr = int(a["member_id"].isna().sum())
        a = a[a["member_id"].notna()]
        date = pd.to_datetime(a["date"])
        attrs = {"n_unattributed": n_unattr, "n_undated": int(date.isna().sum()),
                 "first": date.min(), "last": date.max()}
        a, date = a[date.notna()], date[date.notna()]
        week = (date - pd.to_timedelta(date.dt.day_of_week, unit="D")).dt.normalize()
        out = (pd.DataFrame({"member_id": a["member_id"].to_numpy(), "week": week.to_numpy()})
               .groupby(["member_id", "week"]).size().rename("n_activities").reset_index())
    out = out.sort_values(["member_id", "week"]).reset_index(drop=True)
    out = out.astype({"member_id": "string", "week": "datetime64[ns]", "n_activities": "int64"})
    for k in ("first", "last"):  # one resolution whichever path: calendars built from them compare equal
        attrs[k] = pd.Timestamp(attrs[k]).as_unit("ns") if pd.notna(attrs[k]) else pd.NaT
    out.attrs.update(attrs)
    return out

