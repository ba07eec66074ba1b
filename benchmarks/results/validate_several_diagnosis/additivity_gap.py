"""How far the simulator's per-intervention truth is from an additive decomposition on the 0-100 index.

The truth of intervention i (truth.json, ``att_index``) is its "last-in" effect on the index,
``I(S) - I(S - tau_i)``, at the observed state with every other intervention on. The index
``I`` is concave over the range of latent satisfaction, so with other interventions on, this is
smaller than i's "first-in" effect ``I(S0 + tau_i) - I(S0)`` (``S0 = S - sum_j tau_j``: no
intervention). An additive estimator (each intervention's own coefficient) targets something in
between. This script prints, per intervention, the mean last-in (= the truth) and first-in effects
over the responses exposed to it, averaged over the first ``REPS`` replications of the
Monte Carlo design (noise-free: latent quantities of the simulator).

    PYTHONPATH=src python benchmarks/results/validate_several_diagnosis/additivity_gap.py [REPS]
"""

from __future__ import annotations

import sys

import pandas as pd

from fusion_study.simulate.effects import _components
from fusion_study.simulate.generate import draw_latent
from fusion_study.simulate.measurement import satisfaction_index
from fusion_study.simulate.presets import INTERVENTIONS

REPS = int(sys.argv[1]) if len(sys.argv) > 1 else 10
rows = []
for design in ("validation_independent", "validation"):
    for r in range(REPS):
        L = draw_latent(design, seed=20240101 + r, sat_trend=0.0)
        b, seg, t = L.org.cust_branch[L.r_idx], L.org.cust_segment[L.r_idx], L.t_idx
        S = L.S[L.r_idx, t]
        comps = _components(L.cfg, L.bgrowth, b, seg, t, L.K[L.r_idx, t] - L.K0[L.r_idx, t])
        tau = {k: sum(comps[k]) for k in INTERVENTIONS}
        S0 = S - sum(tau.values())
        for i, k in enumerate(INTERVENTIONS):
            on = L.event[b, i, t] >= 0
            last = satisfaction_index(S[on]) - satisfaction_index(S[on] - tau[k][on])
            first = satisfaction_index(S0[on] + tau[k][on]) - satisfaction_index(S0[on])
            rows.append({"design": design, "replication": r, "intervention": k, "last_in": last.mean(),
                         "first_in": first.mean()})
out = pd.DataFrame(rows).groupby(["design", "intervention"], sort=False)[["last_in", "first_in"]].mean()
out["gap"] = out["first_in"] - out["last_in"]
print(f"mean over {REPS} replications (all responses, speeders included; index points)")
print(out.round(3).to_string())
