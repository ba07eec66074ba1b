"""``fusion-study index STUDY``: the integration index per branch and wave, with rank intervals."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(sub) -> None:
    from fusion_study.index import AGGREGATIONS, NORMALISATIONS, WEIGHT_METHODS

    p = sub.add_parser("index", help="compute the integration index (党业融合指数) of a study's branches")
    p.add_argument("study", type=Path, help="the study folder")
    p.add_argument("--weights", default="entropy", choices=WEIGHT_METHODS, help="weighting method (default entropy)")
    p.add_argument("--normalise", default="minmax", choices=NORMALISATIONS, help="normalisation (default minmax)")
    p.add_argument("--aggregate", default="linear", choices=AGGREGATIONS, help="aggregation (default linear)")
    p.add_argument("--draws", type=int, default=0, help="Monte Carlo draws for rank intervals (0 = none)")
    p.add_argument("--seed", type=int, default=20240101, help="seed for the rank intervals")
    p.add_argument("--out", type=Path, help="write the scores (and rank intervals) as CSV to this file")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from fusion_study.index import index_uncertainty
    from fusion_study.index.study import study_index
    from fusion_study.data.study import load_study

    study = load_study(args.study)
    idx = study_index(study, weights=args.weights, normalise=args.normalise, aggregate=args.aggregate)
    print(idx.weights_.round(3).to_string(index=False))
    table = idx.scores_
    if args.draws > 0:
        table = index_uncertainty(idx, idx.data_, n_draws=args.draws, seed=args.seed).ranks_
    last = sorted(table["period"].astype(str).unique())[-1]
    print(f"\n{last}:")
    print(table[table["period"].astype(str) == last].sort_values("rank").round(3).to_string(index=False))
    excluded = idx.ledger_.to_frame()
    if len(excluded):
        print(f"\n{len(excluded)} branch-wave(s) excluded for missing indicators:")
        print(excluded[["rule", "detail"]].to_string(index=False))
    if args.out:
        table.to_csv(args.out, index=False, encoding="utf-8-sig")
        print(f"\nScores written to {args.out}")
    return 0
