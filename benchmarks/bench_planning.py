"""Benchmark for rollout_power (issue 14): 200 simulated studies of P city size in < 2 min on 2 cores.

P city (the simulator's ``p_city`` preset): 24 branches, 12 waves, 300 retailer responses per wave
(12 per branch and wave). The plan rolls out the programme's six interventions over the 12 waves,
with 4 branches held back as a wait-list comparison group; each replication simulates the lean
branch x wave survey and runs the several-interventions estimator.

Run:  OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_planning.py [--reps 200] [--jobs 2]
Prints the figures and PASS/FAIL; never used by the test-suite.
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import pandas as pd

from fusion_study.planning import plan_rollout, rollout_power
from fusion_study.simulate.presets import INTERVENTIONS, make_config

TARGET_S = 120.0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=200)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--seed", type=int, default=20240101)
    args = ap.parse_args()
    cfg = make_config("p_city")
    n_branches = cfg.n_counties * cfg.branches_per_county
    m = cfg.survey_per_wave // n_branches
    branches = [f"B{i:02d}" for i in range(1, n_branches + 1)]
    plan = plan_rollout(branches, interventions=list(INTERVENTIONS), waves=cfg.n_waves, hold_out=4, seed=args.seed)
    print(f"P city: {n_branches} branches, {cfg.n_waves} waves, {m} responses per branch and wave, "
          f"{len(INTERVENTIONS)} interventions, 4 held out; {args.reps} replications, n_jobs={args.jobs}")
    print(f"python {platform.python_version()}, {os.cpu_count()} CPUs visible, "
          f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}")
    t0 = time.perf_counter()
    res = rollout_power(plan, effect_sizes=0.2, icc=0.15, responses_per_branch=m, reps=args.reps, seed=args.seed,
                        n_jobs=args.jobs)
    secs = time.perf_counter() - t0
    with pd.option_context("display.width", 160, "display.max_columns", 20):
        print(res[["intervention", "power", "mcse_power", "bias", "mean_se", "sd_estimate", "coverage",
                   "mean_ci_width", "share_exposed_used", "n_estimated"]].round(3).to_string(index=False))
    print(f"seconds: {secs:.1f} for {args.reps} simulated studies ({1000 * secs / args.reps:.0f} ms each; "
          f"target <= {TARGET_S:.0f} s for 200) {'PASS' if secs * 200 / args.reps <= TARGET_S else 'FAIL'}")
    # The machine may be shared: CPU time per study (one process) says what an idle machine would take.
    n_cpu = 20
    c0 = time.process_time()
    rollout_power(plan, effect_sizes=0.2, icc=0.15, responses_per_branch=m, reps=n_cpu, seed=args.seed, n_jobs=1)
    cpu = (time.process_time() - c0) / n_cpu
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"CPU seconds per simulated study (n_jobs=1, {n_cpu} studies): {cpu:.3f}; 200 studies on "
          f"{args.jobs} idle cores would take about {200 * cpu / args.jobs:.0f} s (load average now {load:.1f})")


if __name__ == "__main__":
    main()
