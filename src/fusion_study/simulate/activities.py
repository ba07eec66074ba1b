"""The three teams' activity records (visits, publicity contacts, live-streams).

While its branch's team is active (waves at or after the team's start), a
retailer receives ``Poisson(rate * intensity_b * f_team(segment, size))``
activities of the team per quarter, on uniform days of the quarter, each by a
random party member of the retailer's branch:

========================  =================  ===================================  ==========================
team                      rate (per quarter)  kinds (shares)                       f: segment × size
========================  =================  ===================================  ==========================
vanguard_team 先锋队       ``vanguard_rate``    visit .5, guidance .3, store_image .2 rural 1.3 / small 1.2
publicity_team 宣传队      ``publicity_rate``   publicity .6, policy_briefing .4     1
cloud_team 云台创收队       ``cloud_rate``       livestream .5, short_video .5        modern terminal 1.5, urban 1.2
========================  =================  ===================================  ==========================

``intensity_b`` (uniform 0.7–1.3) is the branch's team intensity, stored in the
interventions table. No team activity is recorded before a team starts.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fusion_study.simulate.presets import INTERVENTIONS, SimulationConfig

__all__ = ["simulate_activities", "TEAM_SPEC", "TEAMS", "ACTIVITY_KINDS"]

#: team -> (rate setting, kinds, kind shares, segment factor, size factor)
TEAM_SPEC = {
    "vanguard_team": ("vanguard_rate", ("visit", "guidance", "store_image"), (0.5, 0.3, 0.2), (1.0, 1.3, 1.0), (1.2, 1.0, 0.8)),
    "publicity_team": ("publicity_rate", ("publicity", "policy_briefing"), (0.6, 0.4), (1.0, 1.0, 1.0), (1.0, 1.0, 1.0)),
    "cloud_team": ("cloud_rate", ("livestream", "short_video"), (0.5, 0.5), (1.2, 0.8, 1.5), (1.0, 1.0, 1.0)),
}  # fmt: skip

#: code order of the ``team`` and ``kind`` columns returned (alphabetical, so codes sort like the names)
TEAMS = tuple(sorted(TEAM_SPEC))
ACTIVITY_KINDS = tuple(sorted(k for spec in TEAM_SPEC.values() for k in spec[1]))


def simulate_activities(
    cfg: SimulationConfig,
    *,
    event: np.ndarray,
    intensity: np.ndarray,
    cust_branch: np.ndarray,
    cust_segment: np.ndarray,
    cust_size: np.ndarray,
    member_offset: np.ndarray,
    member_count: np.ndarray,
    quarter_starts: np.ndarray,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """Activity rows ``retailer, member, team, kind, date``, sorted by date.

    ``retailer`` and ``member`` are positions, ``team`` and ``kind`` codes into
    :data:`TEAMS` and :data:`ACTIVITY_KINDS` (ids and names are added by the caller).
    """
    n, nt = len(cust_branch), cfg.n_waves
    qdays = (quarter_starts[1:] - quarter_starts[:-1]).astype(np.int64)
    parts = []
    for team, (rate_name, kinds, shares, seg_f, size_f) in TEAM_SPEC.items():
        i = INTERVENTIONS.index(team)
        active = event[cust_branch, i, :] >= 0  # (n, nt)
        lam = (
            getattr(cfg, rate_name)
            * intensity[cust_branch, i]
            * np.asarray(seg_f)[cust_segment]
            * np.asarray(size_f)[cust_size]
        )
        counts = rng.poisson(lam[:, None] * active)
        flat = counts.ravel()
        r = np.repeat(np.repeat(np.arange(n), nt), flat)
        t = np.repeat(np.tile(np.arange(nt), n), flat)
        m = len(r)
        day = (rng.random(m) * qdays[t]).astype(np.int64)
        kind = rng.choice(len(kinds), size=m, p=np.asarray(shares))
        kind_code = np.array([ACTIVITY_KINDS.index(k) for k in kinds])[kind]
        b = cust_branch[r]
        member = member_offset[b] + (rng.random(m) * member_count[b]).astype(np.int64)
        parts.append(
            pd.DataFrame(
                {
                    "retailer": r,
                    "member": member,
                    "team": np.full(m, TEAMS.index(team)),
                    "kind": kind_code,
                    "date": (quarter_starts[t] + day.astype("timedelta64[D]")).astype("datetime64[ns]"),
                }
            )
        )
    df = pd.concat(parts, ignore_index=True)
    return df.sort_values(["date", "retailer", "team", "kind"], kind="stable").reset_index(drop=True)
