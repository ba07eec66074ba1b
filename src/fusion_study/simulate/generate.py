"""``simulate_study``: draw a whole study and its truth from one seed."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd

from fusion_study.data.instruments import standard_codebook
from fusion_study.data.periods import period_range
from fusion_study.data.study import Study
from fusion_study.simulate.activities import simulate_activities
from fusion_study.simulate.assemble import (
    activities_frame,
    branch_satisfaction_frame,
    branch_satisfaction_sums,
    build_truth,
    evaluations_frame,
    points_frame,
    programme_tables,
    tickets_frame,
    typed,
)
from fusion_study.simulate.brands import brand_texts
from fusion_study.simulate.kpis import simulate_kpis
from fusion_study.simulate.members import simulate_evaluations, simulate_points
from fusion_study.simulate.organisation import build_organisation
from fusion_study.simulate.outcomes import branch_growth, fusion_latent, satisfaction_base
from fusion_study.simulate.presets import IN_MEMORY_MAX_RETAILERS, INTERVENTIONS, SimulationConfig, make_config
from fusion_study.simulate.rollout import draw_brand_types, draw_rollout, exposure
from fusion_study.simulate.surveys import customer_survey, sample_customer_survey, staff_survey
from fusion_study.simulate.text import simulate_suggestions, suggestion_codebook
from fusion_study.simulate.tickets import simulate_tickets
from fusion_study.simulate.truth import Truth

__all__ = ["simulate_study", "draw_latent", "study_meta"]


def _quarter_starts(periods: list[str]) -> np.ndarray:
    starts = []
    for p in periods:
        y, q = int(p[:4]), int(p[-1])
        starts.append(np.datetime64(f"{y:04d}-{3 * (q - 1) + 1:02d}-01"))
    y, q = int(periods[-1][:4]), int(periods[-1][-1])
    y2, q2 = (y + 1, 1) if q == 4 else (y, q + 1)
    starts.append(np.datetime64(f"{y2:04d}-{3 * (q2 - 1) + 1:02d}-01"))
    return np.array(starts, dtype="datetime64[D]")


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
    if cfg.n_retailers > IN_MEMORY_MAX_RETAILERS:
        raise ValueError(
            f"preset {preset!r} has {cfg.n_retailers:,} retailers, more than the {IN_MEMORY_MAX_RETAILERS:,} "
            "simulated in memory; stream it to Parquet instead: "
            f"`fusion-study simulate --preset {preset} --out DIR` (fusion_study.simulate.stream_study)"
        )
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
        branches, 300,000 retailers). The ``"national"`` preset (5,000,000
        retailers) is too large for memory: use :func:`.streaming.stream_study`.
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
    cfg, rngs, periods, qstarts = d.cfg, d.rngs, d.periods, d.qstarts
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
                                cust_branch=org.cust_branch, n_waves=cfg.n_waves, rng=rngs[12])
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
    interventions, brands = programme_tables(org, start, intensity, brands_text, per)
    raw = {
        "units": org.units,
        "customers": org.customers,
        "members": org.members,
        "interventions": interventions,
        "brands": brands,
        "activities": activities_frame(act, cust_ids, member_ids),
        "tickets": tickets_frame(tk, cust_ids, org.cust_branch, org.branch_ids),
        "customer_survey": cs,
        "staff_survey": ss,
        "member_points": points_frame(points, member_ids, periods),
        "evaluations": evaluations_frame(ev, member_ids),
        "kpis": kpis,
    }
    tables = {name: typed(df, name) for name, df in raw.items()}
    tables["customer_survey"]["suggestion"] = tables["customer_survey"]["suggestion"].astype("string")
    study = Study(tables, simulated_codebook(), name=f"simulated_{preset}",
                  meta=study_meta(preset, seed, d.cfg))
    sample = SimpleNamespace(
        r_idx=r_idx, t_idx=t_idx, cust_branch=org.cust_branch, cust_segment=org.cust_segment, S=S, K=K, K0=K0, tickets=tk
    )
    truth = build_truth(
        cfg,
        preset=preset,
        seed=seed,
        org=org,
        start=start,
        brand_type=brand_type,
        event=event,
        bgrowth=bgrowth,
        F=F,
        sample=sample,
        n_after_launch=int(tk["after_launch"].sum()),
        surveys=(cs, cs_quality, cs_constructs, ss, ss_quality, ss_constructs),
        periods=periods,
        member_ids=member_ids,
        branch_satisfaction=branch_satisfaction_frame(
            branch_satisfaction_sums(S, org.cust_branch, nb), org.branch_ids, per
        ),
        text=text,
    )
    return study, truth


def simulated_codebook() -> pd.DataFrame:
    """The standard codebook plus the open question (``suggestion``) simulated studies carry."""
    codebook = standard_codebook()
    return pd.concat([codebook, suggestion_codebook(int(codebook.index[-1]) + 1)])


#: What each preset stands for, in ``study.json``'s description (sizes are added from the config).
_PRESET_WHAT = {
    "p_city": "a synthetic P city",
    "province": "a synthetic provincial tobacco bureau",
    "national": "a synthetic national retail-service system",
    "validation": "the Monte Carlo validation design (P city's process, four times the size)",
    "validation_independent": ("the Monte Carlo validation design with independently drawn intervention "
                               "starts"),
}


def study_meta(preset: str, seed, cfg: SimulationConfig | None = None) -> dict:
    """``study.json`` metadata of a simulated study.

    The description names what the preset stands for and, for presets other than P city (when
    ``cfg`` is given), its counties, branches, retailers and waves.

    >>> study_meta("national", 1, make_config("national"))["description"][:86]
    "Simulated study (preset 'national'): a synthetic national retail-service system (800 c"
    """
    what = _PRESET_WHAT.get(preset, f"a synthetic study drawn with preset {preset!r}")
    if cfg is not None and preset != "p_city":
        what += (f" ({cfg.n_counties:,} counties, {cfg.n_counties * cfg.branches_per_county:,} branches, "
                 f"{cfg.n_retailers:,} retailers, {cfg.n_waves} waves)")
    return {
        "description": (
            f"Simulated study (preset {preset!r}): {what} with known effects; "
            "see truth.json for the true parameters and estimands."
        ),
        "simulated": {"preset": preset, "seed": seed if isinstance(seed, int) else None},
    }
