"""Latent outcomes: the four fusions by branch, and retailer satisfaction.

Notation (waves ``t = 1..T``, branch ``b``, retailer ``r`` served by ``b``,
intervention ``i``, event time ``e_bit = t - start_bi``):

* growth ``g(e) = 1 - exp(-(e + 1) / effect_tau)`` for ``e >= 0``, else 0;
  ``a_bi = 1`` except ``a_b,brand = 0`` for generic and copied brands.
* fusion (dimension ``d`` of goal/outcome/capability/service)
  ``F_bdt = fusion_strength * z_b + fusion_lift * sum_i a_bi g(e_bit) + fusion_noise_sd * w_bdt``;
  ``Fbar_bt`` is its mean over the four dimensions.
* satisfaction
  ``S_rt = shift(segment_r) + sat_strength * z_b + sat_retailer_sd * u_r + sat_trend * (t - 1)
  + sat_occasion_sd * eps_rt + fusion_on_satisfaction * Fbar_bt
  + m(segment_r) * sum_i effect_i a_bi g(e_bit) + K_rt``
  with ``m`` = 1 (urban), ``multiplier_rural``, ``multiplier_modern_terminal``
  and ``K_rt`` the ticket term (:mod:`.tickets`).

The points platform's ``effect_points_platform`` stands for the better service
that comes with higher member engagement (the engagement lift itself is in
:mod:`.members`); the cloud team's revenue effect is in :mod:`.kpis`.

The effect of intervention ``i`` on ``S_rt`` is therefore
``(m(segment_r) * effect_i + fusion_on_satisfaction * fusion_lift) * a_bi * g(e_bit)``
(direct + indirect through fusion), plus for the problem mechanism the change
in ``K_rt`` caused by faster ticket resolution.
"""

from __future__ import annotations

import numpy as np

from fusion_study.simulate.presets import INTERVENTIONS, SimulationConfig

__all__ = ["growth", "branch_growth", "fusion_latent", "satisfaction_base", "segment_multiplier", "FUSION_DIMENSIONS"]

FUSION_DIMENSIONS = ("goal", "outcome", "capability", "service")


def growth(e: np.ndarray, tau: float) -> np.ndarray:
    """Share of the saturated effect reached ``e`` waves after adoption (0 before).

    >>> growth(np.array([-1, 0, 1]), 2.0).round(3).tolist()
    [0.0, 0.393, 0.632]
    """
    e = np.asarray(e)
    return np.where(e >= 0, 1.0 - np.exp(-(np.maximum(e, 0) + 1.0) / tau), 0.0)


def branch_growth(cfg: SimulationConfig, event: np.ndarray, brand_type: np.ndarray) -> np.ndarray:
    """``a_bi * g(e_bit)``, shape (branches, interventions, waves)."""
    g = growth(event, cfg.effect_tau)
    active = np.ones((event.shape[0], len(INTERVENTIONS)))
    active[:, INTERVENTIONS.index("brand")] = (brand_type == 0).astype(float)
    return g * active[:, :, None]


def segment_multiplier(cfg: SimulationConfig, segment: np.ndarray) -> np.ndarray:
    return np.array([1.0, cfg.multiplier_rural, cfg.multiplier_modern_terminal])[segment]


def fusion_latent(
    cfg: SimulationConfig, strength: np.ndarray, bgrowth: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Fusion ``F`` (branches, 4 dimensions, waves) and its programme lift (branches, waves)."""
    lift = cfg.fusion_lift * bgrowth.sum(axis=1)
    nb, nt = lift.shape
    noise = cfg.fusion_noise_sd * rng.standard_normal((nb, len(FUSION_DIMENSIONS), nt))
    F = cfg.fusion_strength * strength[:, None, None] + lift[:, None, :] + noise
    return F, lift


def satisfaction_base(
    cfg: SimulationConfig,
    strength: np.ndarray,
    cust_branch: np.ndarray,
    cust_segment: np.ndarray,
    F: np.ndarray,
    bgrowth: np.ndarray,
    rng: np.random.Generator,
) -> dict[str, np.ndarray]:
    """Satisfaction of every retailer × wave without the ticket term.

    Returns ``{"S": S, "u": u}``: ``S`` (retailers, waves) and ``u`` (the
    standard-normal persistent retailer effect, which also drives customer
    expectations).
    """
    n, nt = len(cust_branch), cfg.n_waves
    shift = np.array([0.0, cfg.sat_rural, cfg.sat_modern_terminal])[cust_segment]
    u = rng.standard_normal(n)
    eps = rng.standard_normal((n, nt)).astype(np.float64)
    effects = np.array([cfg.effect(i) for i in INTERVENTIONS])
    direct_b = np.einsum("bit,i->bt", bgrowth, effects)  # per branch, urban scale
    mult = segment_multiplier(cfg, cust_segment)
    fbar = F.mean(axis=1)  # (branches, waves)
    S = (
        shift[:, None]
        + cfg.sat_strength * strength[cust_branch][:, None]
        + cfg.sat_retailer_sd * u[:, None]
        + cfg.sat_trend * np.arange(nt)[None, :]
        + cfg.sat_occasion_sd * eps
        + cfg.fusion_on_satisfaction * fbar[cust_branch]
        + mult[:, None] * direct_b[cust_branch]
    )
    return {"S": S, "u": u}
