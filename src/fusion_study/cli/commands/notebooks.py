"""``fusion-study notebooks STUDY --out DIR``: run every notebook on a study; executed notebooks and HTML copies.

Exit status 0 when every notebook ran to the end, 1 when one failed (it is still
written, with the error shown in the cell that raised it), 2 for unusable input.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(sub) -> None:
    p = sub.add_parser("notebooks", help="execute the notebooks on a study (executed .ipynb + HTML copies)")
    p.add_argument("study", type=Path, help="study folder")
    p.add_argument("--out", type=Path, default=Path("out/notebooks"), help="output folder (default out/notebooks)")
    p.add_argument("--lang", choices=("zh", "en"), default="zh", help="language of figures and tables (default zh)")
    p.add_argument("--seed", type=int, default=20240101, help="random seed passed to every notebook")
    p.add_argument("--only", nargs="*", metavar="NN", help="run only these notebooks (e.g. 03 05)")
    p.add_argument("--notebooks", type=Path, default=None, help="folder holding the notebooks (default: the checkout's)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from fusion_study.reporting.notebook import run_notebooks

    def show(row):
        mark = "ok" if row["status"] == "ok" else "FAILED"
        print(f"  {row['notebook']}: {mark}{'  ' + row['error'] if row['error'] else ''}", flush=True)

    print(f"Running the notebooks on {args.study} ...", flush=True)
    res = run_notebooks(args.study, args.out, lang=args.lang, seed=args.seed, names=args.only,
                        folder=args.notebooks, progress=show)
    print(f"Executed notebooks and HTML copies written to {args.out}")
    failed = res[res["status"] != "ok"]
    if len(failed):
        print(f"{len(failed)} notebook(s) failed: {', '.join(failed['notebook'])}", file=sys.stderr)
        return 1
    return 0
