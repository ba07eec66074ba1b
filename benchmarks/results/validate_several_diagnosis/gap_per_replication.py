"""Per replication and intervention, the first-in minus last-in gap on the index (see additivity_gap.py).

    PYTHONPATH=src python benchmarks/results/validate_several_diagnosis/gap_per_replication.py DESIGN FIRST REPS OUT.csv
"""

from __future__ import annotations

import sys

import pandas as pd

from fusion_study.simulate.effects import _components
from fusion_study.simulate.generate import draw_latent
from fusion_study.simulate.measurement import satisfaction_index
from fusion_study.simulate.presets import INTERVENTIONS

design, first, reps, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
rows = []
for r in range(first, first + reps):
    L = draw_latent(design, seed=20240101 + r, sat_trend=0.0)
    b, seg, t = L.org.cust_branch[L.r_idx], L.org.cust_segment[L.r_idx], L.t_idx
    S = L.S[L.r_idx, t]
    comps = _components(L.cfg, L.bgrowth, b, seg, t, L.K[L.r_idx, t] - L.K0[L.r_idx, t])
    tau = {k: sum(comps[k]) for k in INTERVENTIONS}
    S0 = S - sum(tau.values())
    for i, k in enumerate(INTERVENTIONS):
        on = L.event[b, i, t] >= 0
        last = satisfaction_index(S[on]) - satisfaction_index(S[on] - tau[k][on])
        first_in = satisfaction_index(S0[on] + tau[k][on]) - satisfaction_index(S0[on])
        rows.append({"replication": r, "intervention": k, "gap": (first_in - last).mean()})
pd.DataFrame(rows).to_csv(out, index=False)
