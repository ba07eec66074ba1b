"""``fusion-study validate-estimators``: Monte Carlo coverage and bias against the simulator's truth."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(sub) -> None:
    p = sub.add_parser(
        "validate-estimators",
        help="Monte Carlo: CI coverage and bias of the effect estimators on simulated studies",
    )
    p.add_argument("--reps", type=int, default=200, help="replications (default 200)")
    p.add_argument("--jobs", type=int, default=1, help="parallel worker processes (joblib)")
    p.add_argument("--seed", type=int, default=20240101, help="base seed (replication r uses seed + r)")
    p.add_argument("--first", type=int, default=0,
                   help="number of the first replication (run a long study in chunks: --first 0, 100, ...)")
    p.add_argument("--preset", default="p_city",
                   help="simulator preset (default p_city; the committed full study uses validation)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="NAME=VALUE",
                   help="override one simulator setting on top of the preset, e.g. --set sat_trend=0 (repeatable)")
    p.add_argument("--estimators", choices=("effects", "several", "all"), default="effects",
                   help="effects: the programme-level estimators (default); several: the several-interventions "
                        "estimator, one row per intervention; all: both")
    p.add_argument("--n-boot", type=int, default=199, help="bootstrap replications for mediation CIs")
    p.add_argument("--dask", metavar="ADDRESS", default=None,
                   help="run on a Dask cluster (scheduler address); needs the [dask] extra")
    p.add_argument("--out", type=Path, default=None,
                   help="write <out>/validation_replications.csv and validation_summary.csv")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from fusion_study.effects.montecarlo import run_validation, summarise_validation
    from fusion_study.cli.commands.simulate import _parse_override

    overrides = dict(_parse_override(t) for t in args.overrides)
    rows = run_validation(args.reps, jobs=args.jobs, seed=args.seed, preset=args.preset, n_boot=args.n_boot,
                          dask_address=args.dask, first=args.first,
                          overrides=overrides or None, estimators=args.estimators)
    summary = summarise_validation(rows)
    with_cols = ["estimator", "reps", "mean_truth", "bias", "bias_over_se", "sd_error", "mean_se", "coverage"]
    if summary["refused"].any():
        with_cols.append("refused")
    print(summary[with_cols].round(3).to_string(index=False))
    failed = rows.loc[rows["estimator"] == "error"]
    if len(failed):
        print(f"\n{len(failed)} replication(s) failed (rows with estimator 'error' in the output):")
        print(failed[["replication", "error"]].to_string(index=False))
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        rows.to_csv(args.out / "validation_replications.csv", index=False)
        summary.to_csv(args.out / "validation_summary.csv", index=False)
        print(f"\nwritten to {args.out}/ (validation_replications.csv, validation_summary.csv)")
    return 0
