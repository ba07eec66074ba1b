"""``fusion-study report STUDY --out DIR``: the HTML report, the same report as ``report.docx``, figures and Word/Excel tables.

Exit status 0 when every section was built or skipped for lack of data (a
skipped section says in one sentence what the study lacks), 1 when some section
failed (the report is still written, with an error box in place of each failed
section, the tracebacks in ``DIR/report.log``), 2 for unusable input.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(sub) -> None:
    p = sub.add_parser("report", help="build the HTML report (figures, Word/Excel tables) of a study")
    p.add_argument("study", type=Path, help="study folder")
    p.add_argument("--out", type=Path, default=Path("out/report"), help="output folder (default out/report)")
    p.add_argument("--lang", choices=("zh", "en"), default="zh", help="report language (default zh)")
    p.add_argument("--seed", type=int, default=20240101, help="random seed passed to every section")
    p.add_argument("--min-cell", type=int, default=5, help="suppress figures from fewer respondents (default 5)")
    p.add_argument("--weights", choices=("rake", "none"), default="rake",
                   help="weight the customer survey to the customers table's county and segment distribution "
                        "(rake, default) or not (none)")
    p.set_defaults(func=run)


def make_report(study_path: Path, out: Path, *, lang: str, seed: int, min_cell: int, weights: str = "rake") -> int:
    import matplotlib

    matplotlib.use("Agg")
    from fusion_study.reporting.report import render_report
    from fusion_study.data.study import load_study

    study = load_study(study_path)
    result = render_report(study, out, lang=lang, seed=seed, min_cell=min_cell, weights=weights)
    print(f"Report written: {result.path}  ({len(result.figures)} figures, {len(result.tables)} tables)")
    print(f"Open it in a browser: {result.path.resolve().as_uri()}")
    print(f"Word version (to paste from): {result.docx}")
    if result.skipped:
        print(f"{len(result.skipped)} section(s) skipped (the study lacks what they need):")
        for key, reason in result.skipped.items():
            print(f"  {key}: {reason}")
    if result.failed:
        print(f"{len(result.failed)} section(s) failed and are shown as error boxes "
              f"(details in {result.path.parent / 'report.log'}):", file=sys.stderr)
        for key, msg in result.failed.items():
            print(f"  {key}: {msg}", file=sys.stderr)
        return 1
    return 0


def run(args: argparse.Namespace) -> int:
    return make_report(args.study, args.out, lang=args.lang, seed=args.seed, min_cell=args.min_cell,
                       weights=getattr(args, "weights", "rake"))
