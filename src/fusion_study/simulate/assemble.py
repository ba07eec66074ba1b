"""Assembling the simulator's draws into tables and the :class:`Truth` record.

Shared by the in-memory simulator (:func:`.generate.simulate_study`) and the
streamed one (:func:`.streaming.stream_study`), which builds the big tables
chunk by chunk with the same functions (ids numbered on from ``start``) and
the truth from the rows of the surveyed retailers only.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fusion_study.data.schema import DTYPES, TABLES
from fusion_study.simulate.activities import ACTIVITY_KINDS, TEAMS
from fusion_study.simulate.effects import true_att
from fusion_study.simulate.measurement import CONSTRUCT_PATHS, loadings_frame, satisfaction_index, thresholds_frame
from fusion_study.simulate.members import EVALUATION_DIMENSIONS, POINTS_DIMENSIONS
from fusion_study.simulate.outcomes import FUSION_DIMENSIONS, segment_multiplier
from fusion_study.simulate.presets import INTERVENTIONS, TICKET_CATEGORIES, SimulationConfig
from fusion_study.simulate.rollout import BRAND_TYPES
from fusion_study.simulate.strings import from_codes, sequential_ids
from fusion_study.simulate.surveys import QUALITY
from fusion_study.simulate.text import THEME_TICKET_CATEGORY
from fusion_study.simulate.tickets import TICKET_STATUSES, resolution_effect_truth
from fusion_study.simulate.truth import Truth

__all__ = [
    "typed",
    "programme_tables",
    "activities_frame",
    "tickets_frame",
    "points_frame",
    "evaluations_frame",
    "build_truth",
    "branch_satisfaction_sums",
    "branch_satisfaction_frame",
]

_TEAMS = ("publicity_team", "vanguard_team", "cloud_team")


def typed(df: pd.DataFrame, table: str) -> pd.DataFrame:
    """Schema dtypes, source-row index (as :func:`load_study` gives)."""
    spec = TABLES[table]
    out = df.copy()
    for col in spec.columns:
        if col.name in out.columns and col.dtype not in ("date", "datetime"):
            out[col.name] = out[col.name].astype(DTYPES[col.dtype])
        elif col.name in out.columns:
            out[col.name] = pd.to_datetime(out[col.name]).astype("datetime64[ns]")
    out.index = pd.RangeIndex(2, len(out) + 2, name="source_row")
    return out


def programme_tables(org, start, intensity, brands_text, per) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The ``interventions`` and ``brands`` tables (rows of the branches that adopted)."""
    bi, ii = np.nonzero(start > 0)
    interventions = pd.DataFrame(
        {
            "unit_id": org.branch_ids[bi],
            "intervention": np.asarray(INTERVENTIONS, dtype=object)[ii],
            "start_period": per[start[bi, ii] - 1],
            "end_period": pd.array([pd.NA] * len(bi), dtype="string"),
            "intensity": np.where(
                np.isin(np.asarray(INTERVENTIONS)[ii], _TEAMS), np.round(intensity[bi, ii], 2), np.nan
            ),
        }
    )
    b_brand = np.flatnonzero(start[:, INTERVENTIONS.index("brand")] > 0)
    brands = pd.DataFrame(
        {
            "branch_id": org.branch_ids[b_brand],
            "brand_name": brands_text["brand_name"].to_numpy()[b_brand],
            "slogan": brands_text["slogan"].to_numpy()[b_brand],
            "launch_period": per[start[b_brand, INTERVENTIONS.index("brand")] - 1],
        }
    )
    return interventions, brands


def activities_frame(act: pd.DataFrame, cust_ids, member_ids, *, start: int = 1, width: int = 6) -> pd.DataFrame:
    """The activities table from :func:`.activities.simulate_activities` rows (ids from ``start``)."""
    return pd.DataFrame(
        {
            "activity_id": sequential_ids("A", len(act), width, start=start),
            "date": act["date"].to_numpy(),
            "team": from_codes(act["team"].to_numpy(), TEAMS),
            "kind": from_codes(act["kind"].to_numpy(), ACTIVITY_KINDS),
            "customer_id": from_codes(act["retailer"].to_numpy(), cust_ids),
            "member_id": from_codes(act["member"].to_numpy(), member_ids),
        }
    )


def tickets_frame(tk: pd.DataFrame, cust_ids, cust_branch, branch_ids, *, start: int = 1, width: int = 6) -> pd.DataFrame:
    """The tickets table from :func:`.tickets.simulate_tickets` rows, sorted by opening day then retailer."""
    tk = tk.sort_values(["opened", "retailer"], kind="stable").reset_index(drop=True)
    retailer = tk["retailer"].to_numpy()
    return pd.DataFrame(
        {
            "ticket_id": sequential_ids("T", len(tk), width, start=start),
            "customer_id": from_codes(retailer, cust_ids),
            "branch_id": from_codes(cust_branch[retailer], branch_ids),
            "category": from_codes(tk["category"].to_numpy(), TICKET_CATEGORIES),
            "opened": tk["opened"].to_numpy(),
            "closed": tk["closed"].to_numpy(),
            "status": from_codes(tk["status"].to_numpy(), TICKET_STATUSES),
        }
    )


def points_frame(points: np.ndarray, member_ids, periods) -> pd.DataFrame:
    """The member_points table from the (members, waves, dimensions) points array."""
    nm, nt = len(member_ids), len(periods)
    nd = len(POINTS_DIMENSIONS)
    return pd.DataFrame(
        {
            "member_id": from_codes(np.repeat(np.arange(nm), nt * nd), member_ids),
            "period": from_codes(np.tile(np.repeat(np.arange(nt), nd), nm), periods),
            "dimension": from_codes(np.tile(np.arange(nd), nm * nt), POINTS_DIMENSIONS),
            "points": points.reshape(-1),
        }
    )


def evaluations_frame(ev: pd.DataFrame, member_ids) -> pd.DataFrame:
    """The evaluations table from :func:`.members.simulate_evaluations` rows."""
    return pd.DataFrame(
        {
            "evaluation_id": sequential_ids("E", len(ev), 6),
            "member_id": from_codes(ev["member"].to_numpy(), member_ids),
            "rater_type": ev["rater_type"].to_numpy(),
            "rater_id": ev["rater_id"].to_numpy(),
            "dimension": ev["dimension"].to_numpy(),
            "score": ev["score"].to_numpy(dtype=float),
            "wave": ev["wave"].to_numpy(),
        }
    )


def build_truth(
    cfg: SimulationConfig,
    *,
    preset: str,
    seed,
    org,
    start: np.ndarray,
    brand_type: np.ndarray,
    event: np.ndarray,
    bgrowth: np.ndarray,
    F: np.ndarray,
    sample,
    n_after_launch: int,
    surveys: tuple,
    periods: list[str],
    member_ids: np.ndarray,
    branch_satisfaction: pd.DataFrame,
    text: pd.DataFrame,
) -> Truth:
    """The :class:`Truth` of a simulated study.

    ``sample`` holds the retailer-level quantities the truth needs, for the
    retailers it covers (all of them in memory; the surveyed ones when streamed):
    ``r_idx, t_idx`` (customer-survey rows as positions into the sample's arrays),
    ``cust_branch, cust_segment`` (per sample retailer), ``S, K, K0`` (sample
    retailers × waves) and ``tickets`` (their tickets, ``retailer`` a sample position).
    ``surveys`` is ``(cs, cs_quality, cs_constructs, ss, ss_quality, ss_constructs)``;
    ``text`` the free-text answers of :func:`~fusion_study.simulate.text.simulate_suggestions`
    (one row per customer-survey response: ``theme``, ``pii``).
    """
    cs, cs_quality, cs_constructs, ss, ss_quality, ss_constructs = surveys
    r_idx, t_idx, S, K, K0 = sample.r_idx, sample.t_idx, sample.S, sample.K, sample.K0
    nt, nb = cfg.n_waves, len(org.branch_ids)
    per = np.asarray(periods, dtype=object)
    genuine = cs_quality == 0
    att = true_att(
        cfg,
        r_idx=r_idx,
        t_idx=t_idx,
        genuine=genuine,
        cust_branch=sample.cust_branch,
        cust_segment=sample.cust_segment,
        start=start,
        event=event,
        bgrowth=bgrowth,
        S=S,
        K=K,
        K0=K0,
    )
    overall = att[(att["segment"] == "all") & att["event_time"].isna()].set_index("intervention")
    with np.errstate(divide="ignore", invalid="ignore"):
        share = (overall["indirect"] / overall["att_latent"]).where(overall["att_latent"] != 0)
    indirect_share = pd.DataFrame(
        {"intervention": share.index.astype(object), "indirect_share": share.to_numpy(dtype=float)}
    )
    first = np.where(start > 0, start, nt + 1).min(axis=1)
    adoption = pd.DataFrame(
        {
            "unit_id": np.repeat(org.branch_ids, len(INTERVENTIONS)),
            "intervention": np.tile(np.asarray(INTERVENTIONS, dtype=object), nb),
            "start_wave": start.reshape(-1).astype("int64"),
            "start_period": [per[s - 1] if s > 0 else None for s in start.reshape(-1)],
            "programme_wave": np.repeat(np.where(first <= nt, first, 0), len(INTERVENTIONS)).astype("int64"),
        }
    )
    branches = pd.DataFrame(
        {
            "branch_id": org.branch_ids,
            "county_id": org.county_ids[org.branch_county],
            "strength": org.strength,
            "brand_type": np.asarray(BRAND_TYPES, dtype=object)[brand_type],
            "brand_effect": np.where(brand_type == 0, cfg.effect_brand, 0.0),
        }
    )
    brand_effects = _brand_effects(cfg, r_idx, t_idx, genuine, sample.cust_branch, sample.cust_segment, event, bgrowth, brand_type, S)
    pre = genuine & (t_idx + 1 < cfg.min_start_wave)
    ss_pre = (ss_quality == 0) & (np.asarray([periods.index(w) for w in ss["wave"]]) + 1 < cfg.min_start_wave)
    latent_variance = pd.DataFrame(
        [
            {"instrument": "customer_survey", "construct": k, "variance": float(np.var(v[pre]))}
            for k, v in cs_constructs.items()
        ]
        + [
            {"instrument": "staff_survey", "construct": k, "variance": float(np.var(v[ss_pre]))}
            for k, v in ss_constructs.items()
        ]
    )
    k = cfg.ticket_weibull_shape
    tickets_truth = {
        "hazard_ratio": cfg.ticket_hazard_ratio,
        "weibull_shape": k,
        "median_days_before": {c: getattr(cfg, f"ticket_median_{c}") for c in TICKET_CATEGORIES},
        "median_days_after": {
            c: getattr(cfg, f"ticket_median_{c}") / cfg.ticket_hazard_ratio ** (1 / k) for c in TICKET_CATEGORIES
        },
        "resolved_effect": cfg.ticket_resolved_effect,
        "unresolved_effect": cfg.ticket_unresolved_effect,
        "n_after_launch": int(n_after_launch),
        **resolution_effect_truth(cfg, tickets=sample.tickets, S=S, K=K, r_idx=r_idx, t_idx=t_idx, genuine=genuine),
    }
    screening = pd.concat(
        [
            pd.DataFrame(
                {
                    "table": table,
                    "response_id": df["response_id"].to_numpy()[q > 0],
                    "quality": np.asarray(QUALITY, dtype=object)[q[q > 0]],
                }
            )
            for table, df, q in (("customer_survey", cs, cs_quality), ("staff_survey", ss, ss_quality))
        ],
        ignore_index=True,
    ).astype(object)
    truth = Truth(
        preset=preset,
        seed=seed if isinstance(seed, int) else None,
        params=cfg.to_dict(),
        att=att,
        indirect_share=indirect_share,
        adoption=adoption,
        branches=branches,
        brand_effects=brand_effects,
        loadings=loadings_frame(),
        thresholds=thresholds_frame(),
        construct_paths={k_: list(v) for k_, v in CONSTRUCT_PATHS.items()},
        latent_variance=latent_variance,
        tickets=tickets_truth,
        alignment=cfg.alignment,
        rater_leniency={
            "customer": cfg.leniency_customer,
            "peer": cfg.leniency_peer,
            "leader": cfg.leniency_leader,
        },
        member_skill=pd.DataFrame({"member_id": member_ids, "skill": org.member_skill}),
        screening=screening,
        fusion=pd.DataFrame(
            {
                "branch_id": np.repeat(org.branch_ids, len(FUSION_DIMENSIONS) * nt),
                "period": np.tile(np.repeat(per, 1), nb * len(FUSION_DIMENSIONS)),
                "dimension": np.tile(np.repeat(np.asarray(FUSION_DIMENSIONS, dtype=object), nt), nb),
                "fusion": F.reshape(-1),
            }
        ),
        branch_satisfaction=branch_satisfaction,
        text_themes=pd.DataFrame(
            {"response_id": cs["response_id"].to_numpy(), "theme": text["theme"].to_numpy(), "pii": text["pii"].to_numpy()}
        ),
        notes={
            "index": "satisfaction index = mean over sat1-sat3 of 100*(answer-1)/(points-1)",
            "evaluation_dimensions": list(EVALUATION_DIMENSIONS),
            "first_wave_treated": "no branch adopts before wave min_start_wave",
            "text_theme_ticket_category": dict(THEME_TICKET_CATEGORY),
        },
    )
    return truth


def branch_satisfaction_sums(S, cust_branch, n_branches) -> dict[str, np.ndarray]:
    """Per branch × wave: sum of latent satisfaction, sum of its expected index, and the retailer count.

    Sums add up over chunks of retailers (:func:`branch_satisfaction_frame` turns them into means).
    """
    nt = S.shape[1]
    # elementwise, so computed in row blocks (bounded temporaries; same values)
    idx = np.concatenate([satisfaction_index(S[lo : lo + 50_000]) for lo in range(0, len(S), 50_000)] or [S])
    sat = np.stack([np.bincount(cust_branch, weights=S[:, t], minlength=n_branches) for t in range(nt)], axis=1)
    ind = np.stack([np.bincount(cust_branch, weights=idx[:, t], minlength=n_branches) for t in range(nt)], axis=1)
    return {"satisfaction": sat, "index": ind, "count": np.bincount(cust_branch, minlength=n_branches).astype(float)}


def branch_satisfaction_frame(sums: dict[str, np.ndarray], branch_ids, per) -> pd.DataFrame:
    """``Truth.branch_satisfaction`` from :func:`branch_satisfaction_sums`."""
    nb, nt = len(branch_ids), sums["satisfaction"].shape[1]
    count = sums["count"].copy()
    count[count == 0] = np.nan
    return pd.DataFrame(
        {
            "branch_id": np.repeat(branch_ids, nt),
            "period": np.tile(per, nb),
            "satisfaction": (sums["satisfaction"] / count[:, None]).reshape(-1),
            "index": (sums["index"] / count[:, None]).reshape(-1),
        }
    )


def _brand_effects(
    cfg: SimulationConfig, r_idx, t_idx, genuine, cust_branch, cust_segment, event, bgrowth, brand_type, S
) -> pd.DataFrame:
    i = INTERVENTIONS.index("brand")
    r, t = r_idx[genuine], t_idx[genuine]
    b = cust_branch[r]
    keep = event[b, i, t] >= 0
    r, t, b = r[keep], t[keep], b[keep]
    g = bgrowth[b, i, t]
    total = (segment_multiplier(cfg, cust_segment[r]) * cfg.effect_brand + cfg.fusion_on_satisfaction * cfg.fusion_lift) * g
    s = S[r, t]
    idx = satisfaction_index(s) - satisfaction_index(s - total)
    rows = []
    for k, name in enumerate(BRAND_TYPES):
        m = brand_type[b] == k
        rows.append(
            {
                "brand_type": name,
                "att_latent": float(total[m].mean()) if m.any() else None,
                "att_index": float(idx[m].mean()) if m.any() else None,
                "n": int(m.sum()),
            }
        )
    return pd.DataFrame(rows).astype({"brand_type": object})
