"""Generate mediation_data.csv for the lavaan / p.adjust reference (run from the repo root)."""

from pathlib import Path

import numpy as np
import pandas as pd

rng = np.random.default_rng(20240602)
n = 400
x = rng.normal(size=n)
t = (rng.random(n) < 1 / (1 + np.exp(-0.5 * x))).astype(int)
m = 0.6 * t + 0.3 * x + rng.normal(size=n)
y = 0.4 * m + 0.25 * t + 0.2 * x + rng.normal(size=n)
pd.DataFrame({"t": t, "m": m.round(6), "y": y.round(6), "x": x.round(6)}).to_csv(
    Path(__file__).with_name("mediation_data.csv"), index=False
)
