"""The 急难愁盼 problem tickets and their effect on next-wave satisfaction.

* Arrivals: retailer ``r`` logs ``Poisson(ticket_rate * f(segment))`` tickets per
  quarter (``f`` = 1 urban, 1.2 rural, 0.8 modern terminal), on a uniform day of
  the quarter; category urgent/difficult/worry/expectation (急/难/愁/盼) with
  ``ticket_category_shares``.
* Resolution time (days) without the mechanism: Weibull with shape
  ``ticket_weibull_shape`` and the category's median ``ticket_median_<category>``.
  A ticket opened in a quarter at or after its branch's mechanism launch has
  its hazard multiplied by ``ticket_hazard_ratio`` (proportional hazards: time
  divided by ``HR ** (1 / shape)``, so medians shrink by that factor). The same
  uniform draw gives the ticket's time with and without the mechanism
  (coupled potential outcomes). Closed date = opened + ceil(time) days.
* Censoring: tickets whose closed date would fall after the last day of the
  last wave stay ``open`` (no closed date). Of the closed ones a share
  ``ticket_unresolved_share`` is closed ``unresolved`` (办结未解决), else ``resolved``.
* Effect on satisfaction: each ticket opened in quarter ``t`` adds
  ``ticket_resolved_effect`` to the retailer's wave ``t + 1`` satisfaction if it
  was resolved before quarter ``t + 1`` began, and ``ticket_unresolved_effect``
  otherwise (still open then, or closed unresolved).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fusion_study.simulate.presets import INTERVENTIONS, TICKET_CATEGORIES, SimulationConfig

__all__ = ["simulate_tickets", "resolution_effect_truth", "SEGMENT_TICKET_FACTOR", "TICKET_STATUSES"]

TICKET_STATUSES = ("open", "resolved", "unresolved")

SEGMENT_TICKET_FACTOR = (1.0, 1.2, 0.8)


def simulate_tickets(
    cfg: SimulationConfig,
    *,
    cust_branch: np.ndarray,
    cust_segment: np.ndarray,
    start: np.ndarray,
    quarter_starts: np.ndarray,
    rng: np.random.Generator,
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Tickets (arrays, not yet with ids) and the ticket term ``K`` with and without the mechanism.

    ``quarter_starts`` holds ``n_waves + 1`` datetime64[D] values (the last is
    the day after the study ends). Returns ``(tickets, K, K_without_mechanism)``;
    ``K`` arrays have shape (retailers, waves).
    """
    n, nt = len(cust_branch), cfg.n_waves
    lam = cfg.ticket_rate * np.asarray(SEGMENT_TICKET_FACTOR)[cust_segment]
    counts = rng.poisson(np.repeat(lam[:, None], nt, axis=1))
    flat = counts.ravel()
    r_idx = np.repeat(np.repeat(np.arange(n), nt), flat)
    t_idx = np.repeat(np.tile(np.arange(nt), n), flat)
    m = len(r_idx)
    qdays = (quarter_starts[1:] - quarter_starts[:-1]).astype(np.int64)
    day = (rng.random(m) * qdays[t_idx]).astype(np.int64)
    opened = quarter_starts[t_idx] + day.astype("timedelta64[D]")
    cat = rng.choice(len(TICKET_CATEGORIES), size=m, p=np.asarray(cfg.ticket_category_shares))
    k = cfg.ticket_weibull_shape
    medians = np.array([getattr(cfg, f"ticket_median_{c}") for c in TICKET_CATEGORIES])
    scale = medians / np.log(2.0) ** (1.0 / k)
    u = rng.random(m)
    t0 = scale[cat] * (-np.log1p(-u)) ** (1.0 / k)
    mech_start = start[:, INTERVENTIONS.index("problem_mechanism")][cust_branch[r_idx]]
    treated = (mech_start > 0) & (t_idx + 1 >= mech_start)
    t1 = np.where(treated, t0 / cfg.ticket_hazard_ratio ** (1.0 / k), t0)
    unresolved_draw = rng.random(m) < cfg.ticket_unresolved_share
    end = quarter_starts[-1]  # first day after the study window

    def outcome(times):
        closed = opened + np.ceil(times).astype(np.int64).astype("timedelta64[D]")
        is_open = closed >= end
        # the effect on the next wave: resolved before the next quarter starts?
        next_q = quarter_starts[np.minimum(t_idx + 1, nt)]
        good = (~is_open) & (~unresolved_draw) & (closed < next_q)
        eff = np.where(good, cfg.ticket_resolved_effect, cfg.ticket_unresolved_effect)
        ok = t_idx + 1 < nt
        flat_idx = r_idx[ok] * nt + t_idx[ok] + 1
        K = np.bincount(flat_idx, weights=eff[ok], minlength=n * nt).reshape(n, nt)
        return closed, is_open, K

    closed, is_open, K = outcome(t1)
    _, _, K0 = outcome(t0)
    status = np.where(is_open, 0, np.where(unresolved_draw, 2, 1))  # codes into TICKET_STATUSES
    tickets = pd.DataFrame(
        {
            "retailer": r_idx,
            "wave_index": t_idx,
            "category": cat,  # code into TICKET_CATEGORIES
            "opened": opened.astype("datetime64[ns]"),
            "closed": np.where(is_open, np.datetime64("NaT"), closed).astype("datetime64[ns]"),
            "status": status,
            "after_launch": treated,
            "days_without_mechanism": t0,
        }
    )
    return tickets, K, K0


def resolution_effect_truth(
    cfg: SimulationConfig,
    *,
    tickets: pd.DataFrame,
    S: np.ndarray,
    K: np.ndarray,
    r_idx: np.ndarray,
    t_idx: np.ndarray,
    genuine: np.ndarray,
) -> dict:
    """True effect (index points) of resolving a retailer's single ticket in time rather than not.

    Units: retailer ``r`` and quarter ``w`` (``w + 1`` within the window) with
    exactly one ticket opened in ``w`` and a genuine customer-survey response at
    both ``w`` and ``w + 1`` — the units :func:`fusion_study.problems.tickets.resolution_effect`
    uses when screening removes exactly the speeders and straight-liners. With
    ``S0 = S[r, w+1] - K[r, w+1]`` (latent satisfaction without that ticket's term)
    and ``idx`` = :func:`~fusion_study.simulate.measurement.satisfaction_index`, the
    unit's effect is ``idx(S0 + resolved_effect) - idx(S0 + unresolved_effect)``.

    Returns ``resolution_effect_index`` (mean over all units; ATE),
    ``resolution_effect_index_treated`` (mean over the units whose ticket was
    resolved in time; ATT), ``resolution_effect_n`` and ``resolution_effect_n_treated``.
    Uses no random draws.
    """
    from fusion_study.simulate.measurement import satisfaction_index

    n, nt = S.shape
    counts = np.bincount(
        tickets["retailer"].to_numpy() * nt + tickets["wave_index"].to_numpy(), minlength=n * nt
    ).reshape(n, nt)
    answered = np.zeros((n, nt), dtype=bool)
    answered[r_idx[genuine], t_idx[genuine]] = True
    unit = np.zeros((n, nt), dtype=bool)  # indexed by the quarter w the ticket was opened
    unit[:, :-1] = (counts[:, :-1] == 1) & answered[:, :-1] & answered[:, 1:]
    r, w = np.nonzero(unit)
    k_next = K[r, w + 1]
    s0 = S[r, w + 1] - k_next
    eff = satisfaction_index(s0 + cfg.ticket_resolved_effect) - satisfaction_index(s0 + cfg.ticket_unresolved_effect)
    treated = np.isclose(k_next, cfg.ticket_resolved_effect)
    return {
        "resolution_effect_index": float(eff.mean()) if len(eff) else None,
        "resolution_effect_index_treated": float(eff[treated].mean()) if treated.any() else None,
        "resolution_effect_n": int(len(eff)),
        "resolution_effect_n_treated": int(treated.sum()),
    }
