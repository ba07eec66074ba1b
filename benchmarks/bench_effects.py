"""Benchmarks for intervention effects (issue 6).

1. staggered_did on a 200,000-unit x 10-period panel (2M rows): <= 5 s and <= 1.5 GB peak memory.
2. evaluate_interventions on the simulator's ``province`` preset: <= 120 s (the simulation itself is
   not timed).

Run:  .venv/bin/python benchmarks/bench_effects.py [--skip-province]
Prints the figures and PASS/FAIL; never used by the test-suite.
"""

from __future__ import annotations

import resource
import sys
import time
import warnings

import numpy as np
import pandas as pd

from fusion_study.effects import staggered_did

N_UNITS, N_PERIODS = 200_000, 10
TARGET_S, TARGET_MB = 5.0, 1536.0


def make_panel(seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    g = rng.choice([0, 4, 5, 6, 7, 8], N_UNITS)
    t = np.tile(np.arange(1, N_PERIODS + 1), N_UNITS)
    G = np.repeat(g, N_PERIODS)
    tau = np.where((G > 0) & (t >= G), 0.3, 0.0)
    y = np.repeat(rng.normal(size=N_UNITS), N_PERIODS) + 0.1 * t + tau + rng.normal(size=t.size)
    return pd.DataFrame({"unit": np.repeat(np.arange(N_UNITS), N_PERIODS), "t": t, "g": G, "y": y})


def main() -> None:
    df = make_panel()
    t0 = time.perf_counter()
    res = staggered_did(df, outcome="y", unit="unit", time="t", cohort="g", control="notyet")
    agg = {a: res.aggregate(a) for a in ("simple", "dynamic", "group", "calendar")}
    secs = time.perf_counter() - t0
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"staggered_did + 4 aggregations, {N_UNITS:,} units x {N_PERIODS} periods ({len(df):,} rows), "
          f"{len(res.att_gt_)} ATT(g,t)")
    print(f"simple ATT = {agg['simple']['estimate'].iloc[0]:.4f} (truth 0.3000)")
    print(f"seconds: {secs:.2f} (target <= {TARGET_S}) {'PASS' if secs <= TARGET_S else 'FAIL'}")
    print(f"peak MB (whole process, incl. data): {peak_mb:.0f} (target <= {TARGET_MB:.0f}) "
          f"{'PASS' if peak_mb <= TARGET_MB else 'FAIL'}")


def province() -> None:
    from fusion_study.effects.study import evaluate_interventions
    from fusion_study.simulate import simulate_study

    study, _ = simulate_study("province", seed=1)
    n = len(study.customer_survey)
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = evaluate_interventions(study)
    secs = time.perf_counter() - t0
    print(f"evaluate_interventions on the province preset ({n:,} survey responses, {len(table)} rows): "
          f"{secs:.1f} s (target <= 120) {'PASS' if secs <= 120 else 'FAIL'}")


if __name__ == "__main__":
    main()
    if "--skip-province" not in sys.argv:
        province()
