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

import numpy as np
import pandas as pd

__all__ = ["participation_by_week", "plot_participation_calendar"]

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
    activities : the ``activities`` table (needs ``date, member_id``). Rows without
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
    for name, df, cols in [("activities", activities, ["date", "member_id"]), ("members", members, ["member_id", "branch_id"])]:
        missing = [c for c in cols if c not in df.columns]
        if missing:
            raise ValueError(f"table {name!r} lacks column(s) {missing}; it has {list(df.columns)}")
    a = activities[["date", "member_id"]].copy()
    a["date"] = pd.to_datetime(a["date"])
    n_unattr = int(a["member_id"].isna().sum())
    a = a.dropna(subset=["member_id"])
    a = a.merge(members[["member_id", "branch_id"]], on="member_id", how="left")
    unknown = a["branch_id"].isna()
    if unknown.any():
        raise ValueError(
            f"activities: {int(unknown.sum())} row(s) name a member not in the members table "
            f"(first: {a.loc[unknown, 'member_id'].iloc[0]!r})"
        )
    a["week"] = (a["date"] - pd.to_timedelta(a["date"].dt.day_of_week, unit="D")).dt.normalize()
    lo = pd.Timestamp(start) if start is not None else a["date"].min()
    hi = pd.Timestamp(end) if end is not None else a["date"].max()
    lo = lo - pd.Timedelta(days=lo.day_of_week)
    weeks = pd.date_range(lo.normalize(), hi.normalize(), freq="7D")
    a = a[(a["week"] >= weeks.min()) & (a["week"] <= weeks.max())]
    roster = members.groupby("branch_id", observed=True)["member_id"].nunique().rename("n_members")
    g = a.groupby(["branch_id", "week"], observed=True)
    counts = pd.DataFrame({"n_active": g["member_id"].nunique(), "n_activities": g.size()})
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


def plot_participation_calendar(
    participation: pd.DataFrame,
    *,
    value: str = "heat",
    branch: str | None = None,
    branch_labels: dict[str, str] | None = None,
    lang: str = "zh",
    ax=None,
):
    """Calendar heat-map of weekly participation.

    With ``branch`` given: rows are years and columns ISO weeks 1–53 (a calendar of
    that branch). Without: rows are branches and columns are weeks in time order.
    ``value`` is one of ``heat`` (activities per member), ``participation_rate``,
    ``n_activities``.
    """
    import matplotlib.pyplot as plt

    if value not in VALUES:
        raise ValueError(f"value must be one of {VALUES}, got {value!r}")
    if lang not in ("zh", "en"):
        raise ValueError(f"lang must be 'zh' or 'en', got {lang!r}")
    p = participation
    label = {
        "heat": ("活跃度（人均活动次数/周）", "heat (activities per member per week)"),
        "participation_rate": ("参与率（本周有活动的党员占比）", "participation rate (share of members active)"),
        "n_activities": ("活动次数", "activities"),
    }[value][lang == "en"]
    if branch is not None:
        p = p[p["branch_id"] == branch]
        if p.empty:
            raise ValueError(f"no participation rows for branch {branch!r}")
        grid = p.pivot_table(index="year", columns="week_of_year", values=value, aggfunc="sum").reindex(
            columns=range(1, 54)
        )
        ylabels = [str(y) for y in grid.index]
        xlabel = "周（ISO）" if lang == "zh" else "ISO week"
        title = (branch_labels or {}).get(branch, branch)
    else:
        grid = p.pivot_table(index="branch_id", columns="week", values=value, aggfunc="sum")
        ylabels = [(branch_labels or {}).get(b, b) for b in grid.index]
        xlabel = "周" if lang == "zh" else "week"
        title = "各支部每周活跃情况" if lang == "zh" else "weekly activity by branch"
    if ax is None:
        _, ax = plt.subplots(figsize=(10, max(2.0, 0.25 * len(grid) + 1.2)))
    im = ax.imshow(np.ma.masked_invalid(grid.to_numpy(dtype=float)), aspect="auto", cmap="YlOrRd", interpolation="nearest")
    ax.grid(False)  # grid lines would cross the cells
    ax.set_yticks(range(len(ylabels)))
    ax.set_yticklabels(ylabels, fontsize=7)
    if branch is None:
        cols = list(grid.columns)
        step = max(1, len(cols) // 12)
        ax.set_xticks(range(0, len(cols), step))
        ax.set_xticklabels([pd.Timestamp(c).strftime("%Y-%m") for c in cols[::step]], rotation=45, fontsize=7)
    else:
        ax.set_xticks(range(0, 53, 4))
        ax.set_xticklabels([str(w) for w in range(1, 54, 4)], fontsize=7)
    ax.set_xlabel(xlabel)
    ax.set_title(title)
    ax.figure.colorbar(im, ax=ax, fraction=0.03, label=label)
    return ax
