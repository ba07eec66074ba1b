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
    p.add_argument(
        "--preset",
        default="p_city",
        help="p_city (default), validation (Monte Carlo design, 96 branches), province, "
        "or national (5,000,000 retailers, always streamed to partitioned Parquet)",
    )
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
        "--streaming",
        action="store_true",
        help="simulate chunk by chunk and write the big tables as OUT/<table>/part-<k>.parquet "
        "(automatic for --preset national); OUT must be new or empty",
    )
    p.add_argument("--chunk-size", type=int, default=None, help="retailers per chunk when streaming (default 250000)")
    p.add_argument("--force", action="store_true", help="when streaming, replace a simulated study already in OUT")
    p.add_argument("--no-progress", action="store_true", help="when streaming, no progress bar on stderr")
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
    from fusion_study.simulate.presets import STREAMED_PRESETS

    overrides = dict(_parse_override(t) for t in args.overrides)
    if args.streaming or args.preset in STREAMED_PRESETS:
        return _run_streaming(args, overrides)
    study, truth = save_simulated_study(
        args.out, preset=args.preset, seed=args.seed, format=args.format, exports=args.exports, **overrides
    )
    print(study.summary()[["table", "table_zh", "rows"]].to_string(index=False))
    print(f"\nSimulated study ({args.preset}, seed {args.seed}) written to {args.out}/ with truth.json")
    return 0


def _run_streaming(args: argparse.Namespace, overrides: dict) -> int:
    import sys

    from fusion_study.simulate import stream_study

    if args.exports:
        print("--exports is not available when streaming (问卷星 exports are written by the in-memory simulator)", file=sys.stderr)
        return 2
    if args.format == "xlsx":
        print("streaming writes the small tables as csv or parquet, not xlsx", file=sys.stderr)
        return 2
    try:
        info = stream_study(
            args.out,
            preset=args.preset,
            seed=args.seed,
            chunk_size=args.chunk_size,
            force=args.force,
            progress=not args.no_progress,
            small_format=args.format,
            **overrides,
        )
    except FileExistsError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    for name, rec in info["tables"].items():
        print(f"{name:16s} {rec['rows']:>13,} rows  {rec['path']}" + (f" ({rec['parts']} parts)" if rec["parts"] > 1 else ""))
    print(f"\nSimulated study ({args.preset}, seed {args.seed}) streamed to {args.out}/ with truth.json")
    return 0
