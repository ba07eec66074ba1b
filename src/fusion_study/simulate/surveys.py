"""The retailer survey and the staff four-fusion survey, wave by wave.

Retailer survey: each wave draws ``survey_per_wave`` retailers — a share
``panel_share`` from the previous wave's respondents (partial panel overlap),
the rest from the other retailers — so the table is a set of repeated cross
sections. Staff survey: each wave, ``staff_responses_per_branch`` of each
branch's ``staff_per_branch`` staff answer.

Response quality (recorded in ``Truth.screening``):

* genuine — items from the latent constructs (:mod:`.measurement`); each item
  missing at random with probability ``item_nonresponse``; duration
  log-normal, median 260 s (staff 200 s), log-sd 0.3;
* speeder — every item uniform over its points; duration uniform 20–70 s
  (staff 15–50 s), far below the genuine median;
* straight-liner — one answer ``c`` (uniform 1–5) to every item, reverse
  items included; duration log-normal, median 150 s.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fusion_study.data.instruments import CUSTOMER_SCALES, STAFF_SCALES, standard_codebook
from fusion_study.simulate.measurement import CONSTRUCT_PATHS, LOADINGS, discretise
from fusion_study.simulate.outcomes import FUSION_DIMENSIONS
from fusion_study.simulate.presets import SimulationConfig
from fusion_study.simulate.strings import from_codes

__all__ = ["sample_customer_survey", "customer_survey", "staff_survey", "QUALITY"]

QUALITY = ("genuine", "speeder", "straight_liner")


def sample_customer_survey(cfg: SimulationConfig, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Retailer index and wave index (0-based) of every response, wave by wave."""
    n = cfg.n_retailers
    k = min(cfg.survey_per_wave, n)
    rs, ts = [], []
    prev = np.empty(0, dtype=np.int64)
    for t in range(cfg.n_waves):
        n_panel = min(int(round(cfg.panel_share * k)), len(prev)) if t > 0 else 0
        panel = rng.choice(prev, size=n_panel, replace=False) if n_panel else np.empty(0, dtype=np.int64)
        taken = np.zeros(n, dtype=bool)
        taken[panel] = True
        fresh_pool = np.flatnonzero(~taken)
        fresh = rng.choice(fresh_pool, size=k - n_panel, replace=False)
        wave_r = rng.permutation(np.concatenate([panel, fresh]))
        rs.append(wave_r)
        ts.append(np.full(k, t))
        prev = wave_r
    return np.concatenate(rs), np.concatenate(ts)


def _quality(n: int, speeder: float, straight: float, rng: np.random.Generator) -> np.ndarray:
    u = rng.random(n)
    return np.where(u < speeder, 1, np.where(u < speeder + straight, 2, 0))


def _answers(
    constructs: dict[str, np.ndarray],
    scales: dict[str, list[str]],
    quality: np.ndarray,
    nonresponse: float,
    rng: np.random.Generator,
) -> dict[str, pd.arrays.IntegerArray]:
    cb = standard_codebook().set_index("item_id")
    n = len(quality)
    straight_value = rng.integers(1, 6, size=n)
    out = {}
    for scale, items in scales.items():
        c = constructs[scale]
        for item in items:
            points = int(cb.loc[item, "max"])
            lam = LOADINGS[item]
            cat = discretise(lam * c + np.sqrt(1 - lam**2) * rng.standard_normal(n), points)
            if bool(cb.loc[item, "reverse"]):
                cat = points + 1 - cat
            random_answer = rng.integers(1, points + 1, size=n)
            x = np.where(quality == 1, random_answer, np.where(quality == 2, straight_value, cat))
            missing = (quality == 0) & (rng.random(n) < nonresponse)
            out[item] = pd.arrays.IntegerArray(np.where(missing, 0, x).astype(np.int64), missing)
    return out


def _durations(quality: np.ndarray, genuine_median: float, speed_range, rng) -> np.ndarray:
    n = len(quality)
    genuine = rng.lognormal(np.log(genuine_median), 0.3, n)
    straight = rng.lognormal(np.log(150.0), 0.3, n)
    speed = rng.uniform(speed_range[0], speed_range[1], n)
    return np.round(np.where(quality == 1, speed, np.where(quality == 2, straight, genuine)), 1)


def _submitted(wave_idx: np.ndarray, quarter_starts: np.ndarray, rng) -> np.ndarray:
    day = rng.integers(5, 60, size=len(wave_idx))
    second = rng.integers(8 * 3600, 21 * 3600, size=len(wave_idx))
    return (
        quarter_starts[wave_idx].astype("datetime64[s]")
        + day.astype("timedelta64[D]")
        + second.astype("timedelta64[s]")
    ).astype("datetime64[ns]")


def _response_ids(prefix: str, wave_idx: np.ndarray, periods: list[str]) -> np.ndarray:
    # sequence number within each wave (responses are stored wave by wave)
    counts = np.bincount(wave_idx, minlength=len(periods))
    width = max(4, len(str(int(counts.max()) if len(counts) else 1)))
    seq = np.arange(len(wave_idx)) - np.repeat(np.cumsum(counts) - counts, counts) + 1
    per = np.asarray(periods, dtype=object)[wave_idx]
    return np.array([f"{prefix}{p}-{s:0{width}d}" for p, s in zip(per, seq)], dtype=object)


def customer_survey(
    cfg: SimulationConfig,
    *,
    r_idx: np.ndarray,
    t_idx: np.ndarray,
    S: np.ndarray,
    u: np.ndarray,
    customer_ids: np.ndarray,
    periods: list[str],
    quarter_starts: np.ndarray,
    rng: np.random.Generator,
) -> tuple[pd.DataFrame, np.ndarray, dict[str, np.ndarray]]:
    """The customer_survey table, the quality code per row, and the constructs per row."""
    n = len(r_idx)
    quality = _quality(n, cfg.speeder_rate, cfg.straightliner_rate, rng)
    s = S[r_idx, t_idx]
    constructs = {"satisfaction": s}
    for name, (source, coef) in CONSTRUCT_PATHS.items():
        base = s if source == "satisfaction" else u[r_idx]
        constructs[name] = coef * base + np.sqrt(1 - coef**2) * rng.standard_normal(n)
    answers = _answers(constructs, CUSTOMER_SCALES, quality, cfg.item_nonresponse, rng)
    df = pd.DataFrame(
        {
            "response_id": _response_ids("CS", t_idx, periods),
            "customer_id": from_codes(r_idx, customer_ids),
            "wave": from_codes(t_idx, periods),
            "submitted": _submitted(t_idx, quarter_starts, rng),
            "duration_s": _durations(quality, 260.0, (20.0, 70.0), rng),
            **answers,
        }
    )
    return df, quality, constructs


def staff_survey(
    cfg: SimulationConfig,
    *,
    F: np.ndarray,
    staff_ids: np.ndarray,
    branch_ids: np.ndarray,
    periods: list[str],
    quarter_starts: np.ndarray,
    rng: np.random.Generator,
) -> tuple[pd.DataFrame, np.ndarray, dict[str, np.ndarray]]:
    """The staff_survey table, the quality code per row, and the constructs per row."""
    nb, _, nt = F.shape
    spb, k = cfg.staff_per_branch, cfg.staff_responses_per_branch
    person = rng.standard_normal(nb * spb)
    order = np.argsort(rng.random((nt, nb, spb)), axis=2)[:, :, :k]  # (waves, branches, k)
    t_idx = np.repeat(np.arange(nt), nb * k)
    b_idx = np.tile(np.repeat(np.arange(nb), k), nt)
    p_idx = b_idx * spb + order.reshape(-1)
    n = len(t_idx)
    quality = _quality(n, cfg.staff_speeder_rate, cfg.staff_straightliner_rate, rng)
    constructs = {
        dim: F[b_idx, d, t_idx] + 0.5 * person[p_idx] + 0.55 * rng.standard_normal(n)
        for d, dim in enumerate(FUSION_DIMENSIONS)
    }
    answers = _answers(constructs, STAFF_SCALES, quality, cfg.item_nonresponse, rng)
    df = pd.DataFrame(
        {
            "response_id": _response_ids("SS", t_idx, periods),
            "staff_id": staff_ids[p_idx],
            "unit_id": branch_ids[b_idx],
            "wave": np.asarray(periods, dtype=object)[t_idx],
            "submitted": _submitted(t_idx, quarter_starts, rng),
            "duration_s": _durations(quality, 200.0, (15.0, 50.0), rng),
            **answers,
        }
    )
    return df, quality, constructs
