"""Branch KPIs per quarter: sales, complaints, non-tobacco revenue, assessments.

Per retailer and quarter (万元 = 10,000 yuan): tobacco sales
``base_size * (1 + 0.01 t) * season_q * LN(0, 0.1)`` with base 6/12/25 for
small/medium/large and season 1.15 in Q1 (Spring Festival), 0.95 otherwise;
non-tobacco revenue ``base_size * (1 + cloud_revenue_lift * g(e_cloud)) * LN(0, 0.15)``
with base 0.8/1.6/3.2. Branch sums are the KPIs ``sales`` and
``non_tobacco_revenue``. ``complaints`` ~ Poisson(sum_r 0.03 exp(-0.6 S_rt)).

Assessments (0–100): with ``B_bt = 0.6 z_b + 0.8 n_bt`` (standard normal)
``business_assessment = 85 + 4 B_bt`` and
``party_assessment = 85 + 4 (alignment * B_bt + sqrt(1 - alignment**2) * n'_bt)``,
so their true correlation is ``alignment`` (the "two skins" parameter).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fusion_study.simulate.outcomes import growth
from fusion_study.simulate.presets import INTERVENTIONS, SimulationConfig

__all__ = ["simulate_kpis", "retailer_kpi_sums", "branch_kpis", "KPI_METRICS"]

KPI_METRICS = ("sales", "complaints", "non_tobacco_revenue", "party_assessment", "business_assessment")


def retailer_kpi_sums(
    cfg: SimulationConfig,
    *,
    cust_branch: np.ndarray,
    cust_size: np.ndarray,
    event: np.ndarray,
    S: np.ndarray,
    periods: list[str],
    n_branches: int,
    rng: np.random.Generator,
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """The retailer-level draws of the KPIs, summed by branch (branches × waves).

    Returns ``(sums, revenue)``: ``sums`` has ``sales``, ``non_tobacco_revenue`` and
    ``complaints_rate`` (branch sums that add up over chunks of retailers, as the
    streamed simulator uses them); ``revenue`` the retailer-level non-tobacco
    revenue with and without the cloud team (``nontob``, ``nontob_without_cloud``).
    """
    n, nt = S.shape
    quarter = np.array([int(p[-1]) for p in periods])
    season = np.where(quarter == 1, 1.15, 0.95)
    sales_base = np.array([6.0, 12.0, 25.0])[cust_size]
    sales = sales_base[:, None] * (1 + 0.01 * np.arange(nt))[None, :] * season[None, :] * rng.lognormal(0, 0.1, (n, nt))
    g_cloud = growth(event[cust_branch, INTERVENTIONS.index("cloud_team"), :], cfg.effect_tau)
    nt_base = np.array([0.8, 1.6, 3.2])[cust_size]
    nontob0 = nt_base[:, None] * rng.lognormal(0, 0.15, (n, nt))
    nontob = nontob0 * (1 + cfg.cloud_revenue_lift * g_cloud)
    complaints_rate = 0.03 * np.exp(-0.6 * S)

    def by_branch(x):
        out = np.zeros((n_branches, nt))
        for t in range(nt):
            out[:, t] = np.bincount(cust_branch, weights=x[:, t], minlength=n_branches)
        return out

    sums = {"sales": by_branch(sales), "non_tobacco_revenue": by_branch(nontob), "complaints_rate": by_branch(complaints_rate)}
    return sums, {"nontob": nontob, "nontob_without_cloud": nontob0}


def branch_kpis(
    cfg: SimulationConfig,
    sums: dict[str, np.ndarray],
    *,
    strength: np.ndarray,
    periods: list[str],
    branch_ids: np.ndarray,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """The kpis table (long) from the branch sums of :func:`retailer_kpi_sums` and the branch-level draws."""
    nb, nt = sums["sales"].shape
    complaints_b = rng.poisson(sums["complaints_rate"]).astype(float)
    B = 0.6 * strength[:, None] + 0.8 * rng.standard_normal((nb, nt))
    business = np.clip(85 + 4 * B, 0, 100)
    a = cfg.alignment
    party = np.clip(85 + 4 * (a * B + np.sqrt(1 - a**2) * rng.standard_normal((nb, nt))), 0, 100)
    values = {
        "sales": np.round(sums["sales"], 2),
        "complaints": complaints_b,
        "non_tobacco_revenue": np.round(sums["non_tobacco_revenue"], 2),
        "party_assessment": np.round(party, 1),
        "business_assessment": np.round(business, 1),
    }
    frames = []
    for metric in KPI_METRICS:
        frames.append(
            pd.DataFrame(
                {
                    "unit_id": np.repeat(branch_ids, nt),
                    "period": np.tile(np.asarray(periods, dtype=object), nb),
                    "metric": metric,
                    "value": values[metric].ravel(),
                }
            )
        )
    df = pd.concat(frames, ignore_index=True)
    return df.sort_values(["unit_id", "period", "metric"], kind="stable").reset_index(drop=True)


def simulate_kpis(
    cfg: SimulationConfig,
    *,
    cust_branch: np.ndarray,
    cust_size: np.ndarray,
    strength: np.ndarray,
    event: np.ndarray,
    S: np.ndarray,
    periods: list[str],
    branch_ids: np.ndarray,
    rng: np.random.Generator,
) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """The kpis table (long) and the retailer-level non-tobacco revenue pieces the truth needs."""
    sums, revenue = retailer_kpi_sums(
        cfg, cust_branch=cust_branch, cust_size=cust_size, event=event, S=S, periods=periods,
        n_branches=len(strength), rng=rng
    )
    df = branch_kpis(cfg, sums, strength=strength, periods=periods, branch_ids=branch_ids, rng=rng)
    return df, revenue
