"""``simulate_study``: draw a whole study and its truth from one seed."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd

from fusion_study.data.instruments import standard_codebook
from fusion_study.data.periods import period_range
from fusion_study.data.schema import DTYPES, TABLES
from fusion_study.data.study import Study
from fusion_study.simulate.activities import ACTIVITY_KINDS, TEAMS, simulate_activities
from fusion_study.simulate.brands import brand_texts
from fusion_study.simulate.effects import true_att
from fusion_study.simulate.kpis import simulate_kpis
from fusion_study.simulate.measurement import CONSTRUCT_PATHS, loadings_frame, satisfaction_index, thresholds_frame
from fusion_study.simulate.members import EVALUATION_DIMENSIONS, POINTS_DIMENSIONS, simulate_evaluations, simulate_points
from fusion_study.simulate.organisation import build_organisation
from fusion_study.simulate.outcomes import FUSION_DIMENSIONS, branch_growth, fusion_latent, satisfaction_base, segment_multiplier
from fusion_study.simulate.presets import INTERVENTIONS, TICKET_CATEGORIES, SimulationConfig, make_config
from fusion_study.simulate.rollout import BRAND_TYPES, draw_brand_types, draw_rollout, exposure
from fusion_study.simulate.surveys import QUALITY, customer_survey, sample_customer_survey, staff_survey
from fusion_study.simulate.strings import from_codes, sequential_ids
from fusion_study.simulate.text import THEME_TICKET_CATEGORY, simulate_suggestions, suggestion_codebook
from fusion_study.simulate.tickets import TICKET_STATUSES, resolution_effect_truth, simulate_tickets
from fusion_study.simulate.truth import Truth

__all__ = ["simulate_study", "draw_latent"]

_TEAMS = ("publicity_team", "vanguard_team", "cloud_team")


def _quarter_starts(periods: list[str]) -> np.ndarray:
    starts = []
    for p in periods:
        y, q = int(p[:4]), int(p[-1])
        starts.append(np.datetime64(f"{y:04d}-{3 * (q - 1) + 1:02d}-01"))
    y, q = int(periods[-1][:4]), int(periods[-1][-1])
    y2, q2 = (y + 1, 1) if q == 4 else (y, q + 1)
    starts.append(np.datetime64(f"{y2:04d}-{3 * (q2 - 1) + 1:02d}-01"))
    return np.array(starts, dtype="datetime64[D]")


def _typed(df: pd.DataFrame, table: str) -> pd.DataFrame:
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



def draw_latent(preset: str = "p_city", seed: int | np.random.Generator | None = 20240101,
                **overrides) -> SimpleNamespace:
    """The first draws of :func:`simulate_study`: organisation, rollout, latent satisfaction, tickets, survey sample.

    Same random streams as ``simulate_study(preset, seed, **overrides)`` (which calls this), so
    diagnostics can work with the latent quantities behind a simulated study. Attributes: ``cfg,
    rngs`` (the 13 spawned generators; 0–5 used here; 12 draws the free-text answers), ``periods, qstarts, org, start`` (start wave by
    branch × intervention), ``brand_type, intensity, event, bgrowth, F`` (fusion), ``base``
    (:func:`.outcomes.satisfaction_base`), ``tk, K, K0`` (tickets and their satisfaction terms with and
    without the mechanism), ``S`` (latent satisfaction, retailers × waves) and ``r_idx, t_idx`` (the
    customer survey's retailer and wave indices).
    """
    cfg = make_config(preset, **overrides)
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    rngs = rng.spawn(13)
    periods = period_range(cfg.start_period, cfg.n_waves)
    qstarts = _quarter_starts(periods)
    org = build_organisation(cfg, rngs[0])
    start = draw_rollout(cfg, org.strength, rngs[1])
    brand_type = draw_brand_types(cfg, org.strength, rngs[1])
    intensity = rngs[1].uniform(0.7, 1.3, size=(len(org.branch_ids), len(INTERVENTIONS)))
    event = exposure(start, cfg.n_waves)
    bgrowth = branch_growth(cfg, event, brand_type)
    F, _lift = fusion_latent(cfg, org.strength, bgrowth, rngs[2])
    base = satisfaction_base(cfg, org.strength, org.cust_branch, org.cust_segment, F, bgrowth, rngs[3])
    tk, K, K0 = simulate_tickets(cfg, cust_branch=org.cust_branch, cust_segment=org.cust_segment, start=start,
                                 quarter_starts=qstarts, rng=rngs[4])
    r_idx, t_idx = sample_customer_survey(cfg, rngs[5])
    return SimpleNamespace(cfg=cfg, rngs=rngs, periods=periods, qstarts=qstarts, org=org, start=start,
                           brand_type=brand_type, intensity=intensity, event=event, bgrowth=bgrowth, F=F,
                           base=base, tk=tk, K=K, K0=K0, S=base["S"] + K, r_idx=r_idx, t_idx=t_idx)


def simulate_study(
    preset: str = "p_city",
    seed: int | np.random.Generator | None = 20240101,
    **overrides,
) -> tuple[Study, Truth]:
    """Draw a synthetic study with known effects: ``(study, truth)``.

    Parameters
    ----------
    preset : ``"p_city"`` (the bundled example: 6 counties, 24 branches,
        ~300 members, 2,000 retailers, 12 waves), ``"validation"`` (the
        Monte Carlo design: 24 counties, 96 branches, 8,000 retailers, 1,200
        survey responses per wave) or ``"province"`` (100 counties, 400
        branches, 300,000 retailers).
    seed : int, Generator or None. The same seed gives the same study, byte
        for byte once saved; different seeds give different studies drawn
        from the same truth parameters.
    **overrides : any setting of :class:`~fusion_study.simulate.presets.SimulationConfig`
        (sizes, rates, effects); an unknown name raises ``ValueError``
        listing the allowed ones.

    Returns
    -------
    study : :class:`~fusion_study.Study` with every canonical table and the
        standard codebook; it passes :meth:`Study.validate` with no errors.
    truth : :class:`~fusion_study.simulate.Truth`.

    Notes
    -----
    Validated against its own truth: ``tests/test_simulate_moments.py`` checks
    that item correlations match those implied by the loadings and thresholds
    (within 4 SE), a Cox model recovers the ticket hazard ratio (10 %),
    Callaway–Sant'Anna (``diff-diff``) recovers the programme ATT (3 SE) while
    static TWFE and the naive comparison do not, and the assessment alignment,
    rater leniencies and cloud-team revenue lift are recovered.

    Examples
    --------
    >>> study, truth = simulate_study("p_city", seed=1, n_retailers=300, survey_per_wave=60, n_counties=2)
    >>> study.validate().ok
    True
    >>> sorted(truth.overall_att()["intervention"])[:3]
    ['brand', 'cloud_team', 'points_platform']
    """
    d = draw_latent(preset, seed, **overrides)
    cfg, rngs, periods, qstarts, nt = d.cfg, d.rngs, d.periods, d.qstarts, d.cfg.n_waves
    org, start, brand_type, intensity, event, bgrowth = d.org, d.start, d.brand_type, d.intensity, d.event, d.bgrowth
    F, base, tk, K, K0, S, r_idx, t_idx = d.F, d.base, d.tk, d.K, d.K0, d.S, d.r_idx, d.t_idx
    nb = len(org.branch_ids)
    cust_ids = org.customers["customer_id"].to_numpy()
    cs, cs_quality, cs_constructs = customer_survey(
        cfg,
        r_idx=r_idx,
        t_idx=t_idx,
        S=S,
        u=base["u"],
        customer_ids=cust_ids,
        periods=periods,
        quarter_starts=qstarts,
        rng=rngs[6],
    )
    text = simulate_suggestions(r_idx=r_idx, t_idx=t_idx, quality=cs_quality, tickets=tk,
                                cust_branch=org.cust_branch, n_waves=nt, rng=rngs[12])
    cs["suggestion"] = text["text"].to_numpy()
    ss, ss_quality, ss_constructs = staff_survey(
        cfg,
        F=F,
        staff_ids=org.staff_ids,
        branch_ids=org.branch_ids,
        periods=periods,
        quarter_starts=qstarts,
        rng=rngs[7],
    )

    member_count = np.bincount(org.member_branch, minlength=nb)
    member_offset = np.concatenate([[0], np.cumsum(member_count)[:-1]])
    member_ids = org.members["member_id"].to_numpy()
    act = simulate_activities(
        cfg,
        event=event,
        intensity=intensity,
        cust_branch=org.cust_branch,
        cust_segment=org.cust_segment,
        cust_size=org.cust_size,
        member_offset=member_offset,
        member_count=member_count,
        quarter_starts=qstarts,
        rng=rngs[8],
    )
    points, _eng = simulate_points(
        cfg, member_branch=org.member_branch, member_skill=org.member_skill, event=event, rng=rngs[9]
    )
    order = np.argsort(org.cust_branch, kind="stable")
    bounds = np.concatenate([[0], np.cumsum(np.bincount(org.cust_branch, minlength=nb))])
    branch_customers = [order[bounds[b] : bounds[b + 1]] for b in range(nb)]
    ev = simulate_evaluations(
        cfg,
        member_branch=org.member_branch,
        member_skill=org.member_skill,
        member_ids=member_ids,
        member_offset=member_offset,
        member_count=member_count,
        branch_county=org.branch_county,
        county_ids=org.county_ids,
        branch_customers=branch_customers,
        customer_ids=cust_ids,
        periods=periods,
        rng=rngs[9],
    )
    kpis, _rev = simulate_kpis(
        cfg,
        cust_branch=org.cust_branch,
        cust_size=org.cust_size,
        strength=org.strength,
        event=event,
        S=S,
        periods=periods,
        branch_ids=org.branch_ids,
        rng=rngs[10],
    )
    brands_text = brand_texts(brand_type, org.county_names[org.branch_county], org.branch_kind, rngs[11])

    # -- tables ---------------------------------------------------------------------
    per = np.asarray(periods, dtype=object)
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
    activities = pd.DataFrame(
        {
            "activity_id": sequential_ids("A", len(act), 6),
            "date": act["date"].to_numpy(),
            "team": from_codes(act["team"].to_numpy(), TEAMS),
            "kind": from_codes(act["kind"].to_numpy(), ACTIVITY_KINDS),
            "customer_id": from_codes(act["retailer"].to_numpy(), cust_ids),
            "member_id": from_codes(act["member"].to_numpy(), member_ids),
        }
    )
    tk = tk.sort_values(["opened", "retailer"], kind="stable").reset_index(drop=True)
    retailer = tk["retailer"].to_numpy()
    tickets = pd.DataFrame(
        {
            "ticket_id": sequential_ids("T", len(tk), 6),
            "customer_id": from_codes(retailer, cust_ids),
            "branch_id": from_codes(org.cust_branch[retailer], org.branch_ids),
            "category": from_codes(tk["category"].to_numpy(), TICKET_CATEGORIES),
            "opened": tk["opened"].to_numpy(),
            "closed": tk["closed"].to_numpy(),
            "status": from_codes(tk["status"].to_numpy(), TICKET_STATUSES),
        }
    )
    nm = len(member_ids)
    nd = len(POINTS_DIMENSIONS)
    member_points = pd.DataFrame(
        {
            "member_id": from_codes(np.repeat(np.arange(nm), nt * nd), member_ids),
            "period": from_codes(np.tile(np.repeat(np.arange(nt), nd), nm), periods),
            "dimension": from_codes(np.tile(np.arange(nd), nm * nt), POINTS_DIMENSIONS),
            "points": points.reshape(-1),
        }
    )
    evaluations = pd.DataFrame(
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
    raw = {
        "units": org.units,
        "customers": org.customers,
        "members": org.members,
        "interventions": interventions,
        "brands": brands,
        "activities": activities,
        "tickets": tickets,
        "customer_survey": cs,
        "staff_survey": ss,
        "member_points": member_points,
        "evaluations": evaluations,
        "kpis": kpis,
    }
    tables = {name: _typed(df, name) for name, df in raw.items()}
    tables["customer_survey"]["suggestion"] = tables["customer_survey"]["suggestion"].astype("string")
    codebook = standard_codebook()
    codebook = pd.concat([codebook, suggestion_codebook(int(codebook.index[-1]) + 1)])
    study = Study(
        tables,
        codebook,
        name=f"simulated_{preset}",
        meta={
            "description": (
                f"Simulated study (preset {preset!r}): a synthetic P city with known effects; "
                "see truth.json for the true parameters and estimands."
            ),
            "simulated": {"preset": preset, "seed": seed if isinstance(seed, int) else None},
        },
    )

    # -- truth ------------------------------------------------------------------------
    genuine = cs_quality == 0
    att = true_att(
        cfg,
        r_idx=r_idx,
        t_idx=t_idx,
        genuine=genuine,
        cust_branch=org.cust_branch,
        cust_segment=org.cust_segment,
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
    brand_effects = _brand_effects(cfg, r_idx, t_idx, genuine, org, event, bgrowth, brand_type, S)
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
        "n_after_launch": int(tk["after_launch"].sum()),
        **resolution_effect_truth(cfg, tickets=tk, S=S, K=K, r_idx=r_idx, t_idx=t_idx, genuine=genuine),
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
        branch_satisfaction=_branch_satisfaction(S, org.cust_branch, org.branch_ids, per),
        text_themes=pd.DataFrame({"response_id": cs["response_id"].to_numpy(), "theme": text["theme"].to_numpy(),
                                  "pii": text["pii"].to_numpy()}),
        notes={
            "index": "satisfaction index = mean over sat1-sat3 of 100*(answer-1)/(points-1)",
            "evaluation_dimensions": list(EVALUATION_DIMENSIONS),
            "first_wave_treated": "no branch adopts before wave min_start_wave",
            "text_theme_ticket_category": dict(THEME_TICKET_CATEGORY),
        },
    )
    return study, truth


def _branch_satisfaction(S, cust_branch, branch_ids, per) -> pd.DataFrame:
    nb, nt = len(branch_ids), S.shape[1]
    count = np.bincount(cust_branch, minlength=nb).astype(float)
    count[count == 0] = np.nan
    idx = satisfaction_index(S)
    sat = np.stack([np.bincount(cust_branch, weights=S[:, t], minlength=nb) for t in range(nt)], axis=1)
    ind = np.stack([np.bincount(cust_branch, weights=idx[:, t], minlength=nb) for t in range(nt)], axis=1)
    return pd.DataFrame(
        {
            "branch_id": np.repeat(branch_ids, nt),
            "period": np.tile(per, nb),
            "satisfaction": (sat / count[:, None]).reshape(-1),
            "index": (ind / count[:, None]).reshape(-1),
        }
    )


def _brand_effects(cfg: SimulationConfig, r_idx, t_idx, genuine, org, event, bgrowth, brand_type, S) -> pd.DataFrame:
    i = INTERVENTIONS.index("brand")
    r, t = r_idx[genuine], t_idx[genuine]
    b = org.cust_branch[r]
    keep = event[b, i, t] >= 0
    r, t, b = r[keep], t[keep], b[keep]
    g = bgrowth[b, i, t]
    total = (segment_multiplier(cfg, org.cust_segment[r]) * cfg.effect_brand + cfg.fusion_on_satisfaction * cfg.fusion_lift) * g
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
