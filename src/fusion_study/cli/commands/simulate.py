"""``fusion-study simulate``: write a simulated study (and its truth.json) to a folder."""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def register(sub) -> None:
    p = sub.add_parser(
        "simulate",
        help="draw a synthetic study with known effects (the bundled example is --preset p_city)",
    )
    p.add_argument("--preset", default="p_city", help="p_city (default), validation (Monte Carlo design, 96 branches) or province")
    p.add_argument("--seed", type=int, default=20240101, help="random seed (default 20240101)")
    p.add_argument("--out", type=Path, required=True, help="study folder to write")
    p.add_argument("--format", choices=["csv", "parquet", "xlsx"], default="csv")
    p.add_argument(
        "--exports",
        action="append",
        choices=["code", "text"],
        default=[],
        help="also write the surveys as 问卷星 exports (code = 按序号, text = 按文本) under OUT/exports/",
    )
    p.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="override one setting, e.g. --set n_retailers=500 (repeatable)",
    )
    p.set_defaults(func=run)


def _parse_override(text: str) -> tuple[str, object]:
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise ValueError(f"--set expects NAME=VALUE, got {text!r}")
    try:
        parsed = json.loads(value)
    except json.JSONDecodeError:
        parsed = value
    if isinstance(parsed, list):
        parsed = tuple(parsed)
    return name.strip(), parsed


def run(args: argparse.Namespace) -> int:
    from fusion_study.simulate import save_simulated_study

    overrides = dict(_parse_override(t) for t in args.overrides)
    study, truth = save_simulated_study(
        args.out, preset=args.preset, seed=args.seed, format=args.format, exports=args.exports, **overrides
    )
    print(study.summary()[["table", "table_zh", "rows"]].to_string(index=False))
    print(f"\nSimulated study ({args.preset}, seed {args.seed}) written to {args.out}/ with truth.json")
    return 0
