"""Generate aipw_data.csv for the R AIPW reference (aipw_sandwich.R); run from the repo root."""

from pathlib import Path

import numpy as np
import pandas as pd

rng = np.random.default_rng(20240611)
n = 600
x1, x2 = rng.normal(size=n), rng.normal(size=n)
d = (rng.random(n) < 1 / (1 + np.exp(-(0.8 * x1 - 0.5 * x2)))).astype(int)
y = 2 + x1 + 0.5 * x2 + 1.0 * d + 0.5 * d * x1 + rng.normal(size=n)
pd.DataFrame({"x1": x1.round(6), "x2": x2.round(6), "d": d, "y": y.round(6)}).to_csv(
    Path(__file__).with_name("aipw_data.csv"), index=False
)
