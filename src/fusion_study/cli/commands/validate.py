"""``fusion-study validate STUDY``: check every rule and print all problems."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(sub) -> None:
    p = sub.add_parser("validate", help="check a study folder against the schema and print every problem")
    p.add_argument("study", type=Path, help="the study folder")
    p.add_argument("--out", type=Path, help="also write the problems as CSV to this file")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from fusion_study.data.study import load_study
    from fusion_study.data.template import with_template_checks

    study = load_study(args.study)
    report = with_template_checks(study, study.validate())  # example rows left from `init`, empty required tables
    print(study.summary().to_string(index=False))
    print()
    print(report)
    if args.out:
        report.to_frame().to_csv(args.out, index=False, encoding="utf-8-sig")
        print(f"\nProblems written to {args.out}")
    return 0 if report.ok else 1
