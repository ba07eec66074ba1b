"""Writes the data sets of icc_reference.R (run once; the CSVs are committed).

    /work/main/.venv/bin/python tests/reference/planning/icc_reference.py
"""

from pathlib import Path

import numpy as np
import pandas as pd

here = Path(__file__).parent
rng = np.random.default_rng(20261203)
# balanced: 12 branches x 7 responses, ICC about 0.2
u = rng.normal(0, np.sqrt(0.2), 12)
bal = pd.DataFrame({"branch_id": np.repeat([f"B{i:02d}" for i in range(12)], 7)})
bal["y"] = np.round(u[np.repeat(np.arange(12), 7)] + rng.normal(0, np.sqrt(0.8), len(bal)), 6)
bal.to_csv(here / "icc_balanced.csv", index=False)
# unbalanced: 9 branches with 2..15 responses
sizes = rng.integers(2, 16, 9)
u = rng.normal(0, np.sqrt(0.3), 9)
unb = pd.DataFrame({"branch_id": np.repeat([f"U{i}" for i in range(9)], sizes)})
unb["y"] = np.round(u[np.repeat(np.arange(9), sizes)] + rng.normal(0, np.sqrt(0.7), len(unb)), 6)
unb.to_csv(here / "icc_unbalanced.csv", index=False)
