"""Shared helpers for the effects tests: the public reference data and a small simulator."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

#: the checkout (tests/.. )
REPO = Path(__file__).resolve().parents[1]

#: R did's example panel, stored with the tests (see ``mpdta.README.md`` beside it).
MPDTA = Path(__file__).resolve().parent / "reference" / "effects" / "mpdta.csv"


def mpdta() -> pd.DataFrame:
    """R ``did``'s ``mpdta`` panel (500 counties × 2003–2007), from ``tests/reference/effects/``."""
    return pd.read_csv(MPDTA)


def simulate_staggered(n_units=600, periods=6, *, seed=0, effect=0.5, dynamic=0.1, selection=0.0):
    """Small staggered panel with a known ATT: effect + dynamic * event_time after treatment.

    ``selection`` makes early cohorts have higher levels (not trends), which
    breaks naive comparisons but not DiD.
    """
    rng = np.random.default_rng(seed)
    cohorts = np.array([0, 3, 4, 5])
    g = rng.choice(cohorts, n_units, p=[0.4, 0.2, 0.2, 0.2])
    alpha = rng.normal(size=n_units) + selection * np.where(g > 0, 6 - g, -1)
    x = rng.normal(size=n_units)
    t = np.arange(1, periods + 1)
    U = np.repeat(np.arange(n_units), periods)
    T = np.tile(t, n_units)
    Gr = np.repeat(g, periods)
    e = T - Gr
    treated = (Gr > 0) & (e >= 0)
    tau = np.where(treated, effect + dynamic * e, 0.0)
    y = np.repeat(alpha, periods) + 0.2 * T + 0.3 * np.repeat(x, periods) * T / periods + tau
    y = y + rng.normal(scale=1.0, size=len(y))
    return pd.DataFrame({"id": U, "t": T, "g": Gr, "x": np.repeat(x, periods), "y": y, "tau": tau})
