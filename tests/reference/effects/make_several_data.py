"""A small hand-made repeated cross-section with two staggered interventions (``several_data.csv``).

8 branches x 6 periods x 3 respondents; intervention ``a`` and ``b`` start at different periods in
most branches (branch B8 never adopts either; B7 adopts ``b`` only), a respondent covariate ``x``.
Effects: ``a`` 2 at its start, 3 afterwards; ``b`` 1 throughout; noise with a branch-period
shock. Read by ``several_lm_sandwich.R`` and ``tests/effects/test_several.py``.

Run from the repo root: ``.venv/bin/python tests/reference/effects/make_several_data.py``
"""

from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).parent
rng = np.random.default_rng(20261203)
starts = {"B1": (2, 4), "B2": (3, 2), "B3": (2, 5), "B4": (4, 3), "B5": (5, 2), "B6": (3, 5), "B7": (0, 3),
          "B8": (0, 0)}
rows = []
for i, (b, (ga, gb)) in enumerate(starts.items()):
    alpha = rng.normal(0, 1)
    for t in range(1, 7):
        shock = rng.normal(0, 0.5)
        for r in range(3):
            x = rng.normal(0, 1)
            on_a, on_b = ga > 0 and t >= ga, gb > 0 and t >= gb
            tau = (2.0 if t == ga else 3.0) * on_a + 1.0 * on_b
            y = 10 + alpha + 0.3 * t + 0.5 * x + tau + shock + rng.normal(0, 1)
            rows.append({"row_id": f"{b}-{t}-{r}", "branch": b, "period": t, "x": round(x, 6), "y": round(y, 6),
                         "cohort_a": ga, "cohort_b": gb})
pd.DataFrame(rows).to_csv(HERE / "several_data.csv", index=False)
