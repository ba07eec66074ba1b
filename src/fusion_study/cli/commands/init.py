"""``fusion-study init DIR``: write an empty study folder (Excel templates, codebook, README) to fill in."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(sub) -> None:
    p = sub.add_parser(
        "init",
        help="start a study: write one Excel template per table, a codebook template and a README (中文/English)",
    )
    p.add_argument("folder", type=Path, help="the new study folder (must not exist or be empty)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from fusion_study.data.template import write_template

    files = write_template(args.folder)
    print(f"Wrote an empty study to {args.folder}/ ({len(files)} files):")
    for f in files:
        print(f"  {f.name}")
    print(
        f"\nNext: replace the example rows (ids EXAMPLE-…) with your data, read {args.folder}/README.md, "
        f"then run `fusion-study validate {args.folder}`.\n"
        f"下一步：用自己的数据替换示例行（编号 EXAMPLE-…），阅读 README.md，然后运行 fusion-study validate。"
    )
    return 0
