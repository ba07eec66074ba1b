"""Platform participation: who takes part, and how "hot" activity is, by branch and week.

Smart party-affairs platforms (seed 003) report participation rates and activity
"heat" (活跃度). From the ``activities`` log (one row per team activity, with the
member who carried it out) and the ``members`` roster:

* ``participation_rate`` — share of the branch's members who logged at least one
  activity in the week;
* ``heat`` — activities per member of the branch in the week (the roster size is
  the denominator, so a branch where two members do everything is not "hot").

Weeks start on Monday (ISO weeks); weeks with no activity in a branch appear with
zeros between the branch's first and last active week of the study.
"""

from __future__ import annotations

import pandas as pd

from fusion_study.data.aggregates import member_weeks
from fusion_study.data.checks import require_columns

__all__ = ["participation_by_week"]

VALUES = ("heat", "participation_rate", "n_activities")


def participation_by_week(
    activities: pd.DataFrame,
    members: pd.DataFrame,
    *,
    start=None,
    end=None,
) -> pd.DataFrame:
    """Weekly participation rate and heat per branch.

    Parameters
    ----------
    activities : the ``activities`` table (needs ``date, member_id``), a DataFrame or a lazy
        Parquet table (aggregated by DuckDB, :func:`~fusion_study.data.aggregates.member_weeks`). Rows without
        a member (``member_id`` missing) cannot be attributed to a branch's members;
        they are left out and counted in ``frame.attrs["n_unattributed"]``.
    members : the ``members`` table (``member_id, branch_id``).
    start, end : the calendar to cover (default: first and last activity date).

    Returns
    -------
    One row per branch × week: ``branch_id, week`` (Monday, a date), ``year,
    week_of_year, n_members, n_active, participation_rate, n_activities, heat``.
    ``frame.attrs["n_unattributed"]`` counts activities with no member.

    Validated against hand counts (tests).

    Examples
    --------
    >>> m = pd.DataFrame({"member_id": ["a", "b"], "branch_id": ["B1", "B1"]})
    >>> a = pd.DataFrame({"date": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-09"]),
    ...                   "member_id": ["a", "a", "b"]})
    >>> participation_by_week(a, m)[["week", "n_active", "participation_rate", "heat"]]
            week  n_active  participation_rate  heat
    0 2024-01-01         1                 0.5   1.0
    1 2024-01-08         1                 0.5   0.5
    """
    require_columns(activities, ["date", "member_id"], what="participation_by_week", table="activities")
    require_columns(members, ["member_id", "branch_id"], what="participation_by_week", table="members")
    mw = member_weeks(activities)  # in DuckDB when the log is a lazy Parquet table
    n_unattr = int(mw.attrs["n_unattributed"])
    a = mw.merge(members[["member_id", "branch_id"]].astype({"member_id": "string"}), on="member_id", how="left")
    unknown = a["branch_id"].isna()
    if unknown.any():
        n_rows = int(a.loc[unknown, "n_activities"].sum())
        raise ValueError(
            f"activities: {n_rows} row(s) name a member not in the members table "
            f"(first: {a.loc[unknown, 'member_id'].iloc[0]!r})"
        )
    lo = pd.Timestamp(start) if start is not None else mw.attrs["first"]
    hi = pd.Timestamp(end) if end is not None else mw.attrs["last"]
    lo = lo - pd.Timedelta(days=lo.day_of_week)
    weeks = pd.date_range(lo.normalize(), hi.normalize(), freq="7D")
    a = a[(a["week"] >= weeks.min()) & (a["week"] <= weeks.max())]
    roster = members.groupby("branch_id", observed=True)["member_id"].nunique().rename("n_members")
    g = a.groupby(["branch_id", "week"], observed=True)
    counts = pd.DataFrame({"n_active": g["member_id"].nunique(), "n_activities": g["n_activities"].sum()})
    branches = sorted(roster.index.astype(str))
    full = pd.MultiIndex.from_product([branches, weeks], names=["branch_id", "week"])
    out = counts.reindex(full, fill_value=0).reset_index()
    out = out.merge(roster.reset_index().astype({"branch_id": str}), on="branch_id", how="left")
    out["participation_rate"] = out["n_active"] / out["n_members"]
    out["heat"] = out["n_activities"] / out["n_members"]
    iso = out["week"].dt.isocalendar()
    out.insert(2, "year", iso["year"].astype(int).to_numpy())
    out.insert(3, "week_of_year", iso["week"].astype(int).to_numpy())
    out = out[
        ["branch_id", "week", "year", "week_of_year", "n_members", "n_active", "participation_rate", "n_activities", "heat"]
    ]
    out.attrs["n_unattributed"] = n_unattr
    return out


