"""``fusion-study validate STUDY``: check every rule and print all problems.

Exit status 0 when there is no error (warnings are only reported), 1 when some
rule is broken, 2 for unusable input (no such folder, an unreadable file).
"""

from __future__ import annotations

import argparse
from pathlib import Path


def register(sub) -> None:
    p = sub.add_parser("validate", help="check a study folder against the schema and print every problem")
    p.add_argument("study", type=Path, help="the study folder")
    p.add_argument("--out", type=Path, help="also write the problems as CSV to this file")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from fusion_study.data.study import load_study, write_frame
    from fusion_study.data.template import with_template_checks

    if args.out is not None and args.out.suffix.lower() != ".csv":
        raise ValueError(f"--out must name a .csv file, got {args.out.name!r}")
    study = load_study(args.study)
    report = with_template_checks(study, study.validate())  # example rows left from `init`, empty required tables
    print(study.summary().to_string(index=False))
    print()
    print(report)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        write_frame(report.to_frame(), args.out)  # the user's values, with formula-looking text neutralised
        print(f"\nProblems written to {args.out}")
    n_errors, n_warnings = len(report.errors), len(report.warnings)
    if n_errors:
        print(f"\n{n_errors} error(s): fix them in the files named above and run `fusion-study validate "
              f"{args.study}` again.")
        return 1
    if n_warnings:
        print(f"\nNo errors: the study can be analysed ({n_warnings} warning(s) above, for your information).")
    return 0
