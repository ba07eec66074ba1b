"""Monte Carlo: do ordinal CFA (WLSMV) intervals cover the simulator's true standardized loadings?

Replication r simulates ``simulate_study("p_city", seed=20240101 + r)`` and runs
:func:`fusion_study.measurement.study.loading_recovery` on the genuine pre-programme responses of the
retailer survey and the staff survey (WLSMV, 95% Wald intervals), plus normal-theory ML on the same
data for comparison (point estimates only: the attenuation of Likert categories).

Run:
    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 nice -n 10 .venv/bin/python benchmarks/validate_loadings.py \\
        --reps 200 --jobs 2 --out benchmarks/results/validate_loadings_200

Target (issue 8): overall coverage of the 95% intervals within [0.92, 0.98]; prints PASS/FAIL.
"""

from __future__ import annotations

import argparse
import resource
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from joblib import Parallel, delayed

from fusion_study.measurement import MeasurementWarning
from fusion_study.measurement.study import loading_recovery
from fusion_study.simulate import simulate_study

BASE_SEED = 20240101
INSTRUMENTS = ("customer_survey", "staff_survey")
REP_COLUMNS = ["replication", "instrument", "estimator", "item", "n", "true_std", "estimate", "se", "covered"]


def replicate(r: int) -> pd.DataFrame:
    study, truth = simulate_study("p_city", seed=BASE_SEED + r)
    parts = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MeasurementWarning)
        for inst in INSTRUMENTS:
            for est in ("WLSMV", "ML"):
                part = loading_recovery(study, truth, instrument=inst, estimator=est)
                parts.append(part.assign(replication=r, instrument=inst, estimator=est))
    return pd.concat(parts, ignore_index=True)


def summarise(reps: pd.DataFrame) -> pd.DataFrame:
    """Per instrument, estimator and item (and ``item == "all"``): coverage, bias, SE calibration."""
    rows = []
    for (inst, est), part in reps.groupby(["instrument", "estimator"], sort=False):
        groups = list(part.groupby(["scale", "item"], sort=False)) + [(("all", "all"), part)]
        for (scale, item), g in groups:
            err = g["estimate"] - g["true_std"]
            rows.append({
                "instrument": inst, "estimator": est, "scale": scale, "item": item, "n_ci": len(g),
                "true_std": g["true_std"].mean(), "mean_est": g["estimate"].mean(), "bias": err.mean(),
                "rel_bias": (err / g["true_std"]).mean(), "mc_se_bias": err.std(ddof=1) / np.sqrt(len(g)),
                "sd_error": err.std(ddof=1), "mean_se": g["se"].mean(),
                "se_ratio": g["se"].mean() / err.std(ddof=1),
                "coverage": g["covered"].astype(float).mean() if est == "WLSMV" else np.nan,
            })
    return pd.DataFrame(rows)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=200)
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    reps = pd.concat(Parallel(n_jobs=args.jobs)(delayed(replicate)(r) for r in range(1, args.reps + 1)),
                     ignore_index=True)
    seconds = time.perf_counter() - t0
    summary = summarise(reps)
    pd.set_option("display.width", 200)
    print(summary.round(4).to_string(index=False))
    overall = summary.query("item == 'all' and estimator == 'WLSMV'").set_index("instrument")["coverage"]
    ok = bool(overall.between(0.92, 0.98).all())
    print(f"\n{args.reps} replications in {seconds:.1f} s; peak RSS "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    for inst, cov in overall.items():
        print(f"overall coverage of 95% WLSMV intervals ({inst}): {cov:.4f} (target [0.92, 0.98])")
    print("PASS" if ok else "FAIL")
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        reps[REP_COLUMNS].to_csv(args.out / "loading_replications.csv", index=False, float_format="%.6g")
        summary.to_csv(args.out / "loading_summary.csv", index=False, float_format="%.6g")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
