"""Placebo: the several-interventions estimator on the simulator's *untreated* outcome.

For each replication this takes the simulator's latent draws (``draw_latent``, the same random
streams as ``simulate_study``), removes every intervention's effect from latent satisfaction
(``S0 = S - sum_k tau_k``, the ticket channel included) and gives the estimator the expected
satisfaction index ``I(S0)`` of every survey response, with the real rollout (cohorts) and the
study layer's settings (``max_event=3``, clusters = branches). No intervention acts on this outcome,
so every estimate should be 0 up to noise: its mean over replications is the part of the bias that
comes from ``Y(0)`` not following unit + period effects on the index (parallel trends failing),
not from the interventions' effects or their estimator.

    PYTHONPATH=src python benchmarks/results/validate_several_diagnosis/trend/placebo_y0.py REPS SAT_TREND [PRESET [CSV]]

(``CSV``: also write the per-replication estimates there.)
"""

from __future__ import annotations

import sys
import warnings

import numpy as np
import pandas as pd

from fusion_study.effects import several_interventions
from fusion_study.simulate.effects import _components
from fusion_study.simulate.generate import draw_latent
from fusion_study.simulate.measurement import satisfaction_index
from fusion_study.simulate.presets import INTERVENTIONS

REPS = int(sys.argv[1]) if len(sys.argv) > 1 else 50
TREND = float(sys.argv[2]) if len(sys.argv) > 2 else 0.02
PRESET = sys.argv[3] if len(sys.argv) > 3 else "validation_independent"
CSV = sys.argv[4] if len(sys.argv) > 4 else None

rows = []
for r in range(REPS):
    L = draw_latent(PRESET, seed=20240101 + r, sat_trend=TREND)
    b, seg, t = L.org.cust_branch[L.r_idx], L.org.cust_segment[L.r_idx], L.t_idx
    S = L.S[L.r_idx, t]
    comps = _components(L.cfg, L.bgrowth, b, seg, t, L.K[L.r_idx, t] - L.K0[L.r_idx, t])
    S0 = S - sum(sum(comps[k]) for k in INTERVENTIONS)
    frame = pd.DataFrame({"branch_id": b, "period": t + 1, "y0": satisfaction_index(S0)})
    for i, k in enumerate(INTERVENTIONS):
        frame[f"cohort_{k}"] = L.start[b, i]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = several_interventions(frame, outcome="y0", cohorts=[f"cohort_{k}" for k in INTERVENTIONS],
                                    max_event=3)
    agg = res.aggregate()
    agg["replication"] = r
    rows.append(agg[["replication", "intervention", "estimate", "se", "identified"]])
out = pd.concat(rows, ignore_index=True)
ok = out[out["identified"]]
s = ok.groupby("intervention", sort=False).agg(n=("estimate", "size"), mean_placebo=("estimate", "mean"),
                                               sd=("estimate", "std"), mean_se=("se", "mean"))
s["mcse"] = s["sd"] / np.sqrt(s["n"])
s["placebo_over_se"] = s["mean_placebo"] / s["mean_se"]
print(f"preset {PRESET}, sat_trend {TREND}, {REPS} replications: estimates on I(S0) (no intervention acts)")
print(s.round(3).to_string())
if CSV:
    out.to_csv(CSV, index=False)
