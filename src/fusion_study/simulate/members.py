"""Member points (党员积分) by dimension and the 360 evaluations (三亮三比三评).

Points: member ``m`` of branch ``b`` has engagement
``eng_mt = 0.5 * skill_m + platform_engagement_lift * g(e_b,platform,t) + 0.6 * n_mt``
in quarter ``t``; the points of dimension ``d`` are
``base_d + scale_d * (eng_mt + 0.5 * n_mtd)`` rounded to 0.5 and floored at 0,
with ``(base, scale)`` model_role (20, 4), education (25, 3),
self_improvement (15, 4), duty (30, 5). Points are recorded for every quarter
(the branch's points ledger predates the platform, which raises them).

Evaluations: in every fourth-quarter wave each member is rated on attitude,
dedication, policy and skill by ``raters_customer`` customers, ``raters_peer``
peers (other members of the branch) and ``raters_leader`` leaders:
``score = 75 + evaluation_skill_points * skill_m + 3 * trait_md + leniency_type
+ 3 * rater_effect + 4 * noise``, clipped to [0, 100] and rounded to integers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fusion_study.simulate.outcomes import growth
from fusion_study.simulate.presets import INTERVENTIONS, SimulationConfig

__all__ = ["simulate_points", "simulate_evaluations", "POINTS_DIMENSIONS", "EVALUATION_DIMENSIONS", "POINTS_SCALE"]

POINTS_DIMENSIONS = ("model_role", "education", "self_improvement", "duty")
POINTS_SCALE = {"model_role": (20.0, 4.0), "education": (25.0, 3.0), "self_improvement": (15.0, 4.0), "duty": (30.0, 5.0)}
EVALUATION_DIMENSIONS = ("attitude", "dedication", "policy", "skill")
RATER_TYPES = ("customer", "peer", "leader")


def simulate_points(
    cfg: SimulationConfig,
    *,
    member_branch: np.ndarray,
    member_skill: np.ndarray,
    event: np.ndarray,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Points array (members, waves, dimensions) and engagement (members, waves)."""
    nm, nt = len(member_branch), cfg.n_waves
    g = growth(event[member_branch, INTERVENTIONS.index("points_platform"), :], cfg.effect_tau)
    eng = 0.5 * member_skill[:, None] + cfg.platform_engagement_lift * g + 0.6 * rng.standard_normal((nm, nt))
    base = np.array([POINTS_SCALE[d][0] for d in POINTS_DIMENSIONS])
    scale = np.array([POINTS_SCALE[d][1] for d in POINTS_DIMENSIONS])
    raw = base + scale * (eng[:, :, None] + 0.5 * rng.standard_normal((nm, nt, len(POINTS_DIMENSIONS))))
    return np.maximum(np.round(raw * 2) / 2, 0.0), eng


def simulate_evaluations(
    cfg: SimulationConfig,
    *,
    member_branch: np.ndarray,
    member_skill: np.ndarray,
    member_ids: np.ndarray,
    member_offset: np.ndarray,
    member_count: np.ndarray,
    branch_county: np.ndarray,
    county_ids: np.ndarray,
    branch_customers: list[np.ndarray],
    customer_ids: np.ndarray,
    periods: list[str],
    rng: np.random.Generator,
) -> pd.DataFrame:
    """The evaluations table (without evaluation ids)."""
    waves = [t for t, p in enumerate(periods) if p.endswith("Q4")]
    nm = len(member_branch)
    trait = rng.standard_normal((nm, len(EVALUATION_DIMENSIONS)))
    n_r = {"customer": cfg.raters_customer, "peer": cfg.raters_peer, "leader": cfg.raters_leader}
    lenient = {"customer": cfg.leniency_customer, "peer": cfg.leniency_peer, "leader": cfg.leniency_leader}
    parts = []
    for t in waves:
        for rtype in RATER_TYPES:
            k = n_r[rtype]
            if k == 0:
                continue
            m = np.repeat(np.arange(nm), k)
            b = member_branch[m]
            if rtype == "customer":
                pick = [
                    customer_ids[bc[j]] if len(bc) else "KH"
                    for bc, j in zip(
                        (branch_customers[x] for x in b),
                        (rng.integers(0, max(len(branch_customers[x]), 1)) for x in b),
                    )
                ]
                rater = np.asarray(pick, dtype=object)
            elif rtype == "peer":
                # another member of the branch (uniform over the others)
                j = (rng.random(len(m)) * (member_count[b] - 1)).astype(np.int64)
                own = m - member_offset[b]
                j = np.where(j >= own, j + 1, j)
                rater = member_ids[member_offset[b] + j]
            else:
                rater = np.asarray([f"LD{county_ids[c]}" for c in branch_county[b]], dtype=object)
            rater_eff = rng.standard_normal(len(m))
            for d, dim in enumerate(EVALUATION_DIMENSIONS):
                score = (
                    75.0
                    + cfg.evaluation_skill_points * member_skill[m]
                    + 3.0 * trait[m, d]
                    + lenient[rtype]
                    + 3.0 * rater_eff
                    + 4.0 * rng.standard_normal(len(m))
                )
                parts.append(
                    pd.DataFrame(
                        {
                            "member": m,
                            "rater_type": rtype,
                            "rater_id": rater,
                            "dimension": dim,
                            "score": np.clip(np.round(score), 0, 100),
                            "wave": periods[t],
                        }
                    )
                )
    df = pd.concat(parts, ignore_index=True)
    return df.sort_values(["wave", "member", "rater_type", "dimension"], kind="stable").reset_index(drop=True)
