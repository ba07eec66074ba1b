"""Generate multilevel_data.csv (retailers nested in branches) for the lme4 reference.

Run from the repo root: .venv/bin/python tests/reference/effects/make_multilevel_data.py
"""

from pathlib import Path

import numpy as np
import pandas as pd

rng = np.random.default_rng(20240601)
n_branch = 40
sizes = rng.integers(5, 25, n_branch)
branch = np.repeat(np.arange(n_branch), sizes)
n = len(branch)
u0 = rng.normal(0, 0.6, n_branch)
u1 = rng.normal(0, 0.12, n_branch)
visits = rng.poisson(3, n).astype(float)
rural = rng.integers(0, 2, n).astype(float)
y = 6 + 0.15 * visits - 0.3 * rural + u0[branch] + u1[branch] * visits + rng.normal(0, 1.0, n)
df = pd.DataFrame({"branch": [f"B{b:02d}" for b in branch], "visits": visits, "rural": rural, "satisfaction": y.round(6)})
df.to_csv(Path(__file__).with_name("multilevel_data.csv"), index=False)
