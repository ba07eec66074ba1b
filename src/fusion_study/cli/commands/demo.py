"""``fusion-study demo``: the main job on the bundled example study."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(sub) -> None:
    p = sub.add_parser("demo", help="validate the bundled example study and build its report (out/demo/report.html)")
    p.add_argument("--study", type=Path, default=None, help="study folder (default: data/example)")
    p.add_argument("--out", type=Path, default=Path("out/demo"), help="where to write the outputs")
    p.add_argument("--lang", choices=("zh", "en"), default="zh", help="report language (default zh)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from fusion_study.data.paths import example_study_path
    from fusion_study.data.study import load_study

    path = args.study or example_study_path()
    study = load_study(path)
    report = study.validate()
    print(f"Study {study.name!r} at {path}")
    print(study.summary().to_string(index=False))
    print()
    print(report)
    args.out.mkdir(parents=True, exist_ok=True)
    study.summary().to_csv(args.out / "tables.csv", index=False, encoding="utf-8-sig")
    report.to_frame().to_csv(args.out / "validation.csv", index=False, encoding="utf-8-sig")
    (args.out / "validation.txt").write_text(str(report) + "\n", encoding="utf-8")
    print(f"\nValidation written to {args.out}/ (tables.csv, validation.csv, validation.txt)\n")
    from fusion_study.cli.commands.report import make_report

    status = make_report(path, args.out, lang=args.lang, seed=20240101, min_cell=5)
    return 1 if not report.ok else status
