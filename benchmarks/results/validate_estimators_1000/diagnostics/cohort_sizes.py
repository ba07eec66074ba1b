"""Rollout cohort sizes (branches per programme cohort) of the Monte Carlo's studies, without simulating them.

Usage: ``python cohort_sizes.py PRESET N`` (replications 0..N-1, seed 20240101 + r, the simulator's own
random streams for the organisation and the rollout). Writes ``diag_out/cohorts_<preset>.csv``.
"""
import numpy as np, pandas as pd, sys
from fusion_study.simulate.presets import make_config
from fusion_study.simulate.organisation import build_organisation
from fusion_study.simulate.rollout import draw_rollout
preset = sys.argv[1]; n = int(sys.argv[2])
cfg = make_config(preset)
out = []
for r in range(n):
    rngs = np.random.default_rng(20240101 + r).spawn(12)
    org = build_organisation(cfg, rngs[0])
    start = draw_rollout(cfg, org.strength, rngs[1])
    first = np.where(start > 0, start, 99).min(axis=1)
    treated = first[first <= cfg.n_waves]
    sizes = pd.Series(treated).value_counts()
    out.append(dict(rep=r, n_cohorts=len(sizes), singleton_cohorts=int((sizes == 1).sum()),
                    share_in_singletons=float(sizes[sizes == 1].sum() / len(treated)), median_size=float(sizes.median())))
import os; os.makedirs("diag_out", exist_ok=True)
df = pd.DataFrame(out); df.to_csv(f"diag_out/cohorts_{preset}.csv", index=False)
print(df.describe().round(2))
