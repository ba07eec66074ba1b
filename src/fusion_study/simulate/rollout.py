"""Staggered adoption of the six interventions by branch, confounded by strength.

Each branch ``b`` has a programme wave
``G_b = round(rollout_mean_wave - rollout_strength * z_b + rollout_sd * N(0, 1))``,
at least ``min_start_wave`` (so waves before it are pre-periods for every
branch). Intervention ``i`` starts ``lag_bi ~ Uniform{0..rollout_lag_max}``
waves later; a start after the last wave means the branch never adopts ``i``
within the study window (no row in the interventions table). Stronger branches
(larger ``z_b``) thus adopt earlier *and* have higher baseline satisfaction —
the confounding that biases naive treated-vs-untreated comparisons.

With ``rollout_lags="independent"`` every intervention gets its own wave,
``start_bi = max(min_start_wave, round(rollout_mean_wave + rollout_lag_max / 2
- rollout_strength * z_b + rollout_sd * N(0, 1)))``, drawn independently for
each ``i`` (same mean start and strength confounding as the anchored design,
but the gap between two interventions of a branch has SD ``sqrt(2) *
rollout_sd`` instead of at most ``rollout_lag_max`` waves): the design on
which each intervention's own effect can be told apart from the others'.
"""

from __future__ import annotations

import numpy as np

from fusion_study.simulate.presets import INTERVENTIONS, SimulationConfig

__all__ = ["draw_rollout", "draw_brand_types", "exposure", "BRAND_TYPES"]

BRAND_TYPES = ("distinctive", "generic", "copied")


def draw_rollout(cfg: SimulationConfig, strength: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Start wave of each intervention (columns in :data:`INTERVENTIONS` order) by branch; 0 = never."""
    nb = len(strength)
    if cfg.rollout_lags == "independent":
        ni = len(INTERVENTIONS)
        mean = cfg.rollout_mean_wave + cfg.rollout_lag_max / 2 - cfg.rollout_strength * strength
        start = np.rint(mean[:, None] + cfg.rollout_sd * rng.standard_normal((nb, ni)))
        start = np.maximum(start, cfg.min_start_wave).astype(np.int64)
        start[start > cfg.n_waves] = 0
        return start
    g = np.rint(cfg.rollout_mean_wave - cfg.rollout_strength * strength + cfg.rollout_sd * rng.standard_normal(nb))
    g = np.maximum(g, cfg.min_start_wave).astype(np.int64)
    lags = rng.integers(0, cfg.rollout_lag_max + 1, size=(nb, len(INTERVENTIONS)))
    start = g[:, None] + lags
    start[start > cfg.n_waves] = 0
    return start


def draw_brand_types(cfg: SimulationConfig, strength: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Brand type index per branch (0 distinctive, 1 generic, 2 copied).

    ``P(distinctive) = logistic(logit(brand_distinctive_share) + brand_strength_logit * z)``;
    the remainder splits between copied and generic in the proportion
    ``brand_copied_share : (1 - brand_distinctive_share - brand_copied_share)``.
    """
    pd_ = np.clip(cfg.brand_distinctive_share, 1e-9, 1 - 1e-9)
    logit = np.log(pd_ / (1 - pd_)) + cfg.brand_strength_logit * strength
    p_dist = 1 / (1 + np.exp(-logit))
    rest = 1 - cfg.brand_distinctive_share
    copied_frac = cfg.brand_copied_share / rest if rest > 0 else 0.0
    u = rng.random(len(strength))
    v = rng.random(len(strength))
    return np.where(u < p_dist, 0, np.where(v < copied_frac, 2, 1)).astype(np.int64)


def exposure(start: np.ndarray, n_waves: int) -> np.ndarray:
    """Event time ``e = wave - start`` per unit × intervention × wave (``-1`` when not adopted yet).

    Shape ``(n_units, n_interventions, n_waves)``; never-adopters are ``-1`` throughout.

    >>> exposure(np.array([[3, 0]]), 4)[0].tolist()
    [[-1, -1, 0, 1], [-1, -1, -1, -1]]
    """
    waves = np.arange(1, n_waves + 1)
    e = waves[None, None, :] - start[:, :, None]
    e = np.where((start[:, :, None] > 0) & (e >= 0), e, -1)
    return e.astype(np.int64)
