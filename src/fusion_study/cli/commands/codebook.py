"""``fusion-study codebook``: print or export the bilingual data dictionary."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(sub) -> None:
    p = sub.add_parser("codebook", help="print or export the schema of every study table (bilingual)")
    p.add_argument("--lang", choices=["zh", "en", "both"], default="both")
    p.add_argument("--table", help="only this table")
    p.add_argument("--out", type=Path, help="write to .csv, .xlsx or .md instead of printing")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from fusion_study.data.schema import TABLES, schema_frame

    df = schema_frame(lang=args.lang)
    if args.table:
        if args.table not in set(df["table"]):
            raise ValueError(f"unknown table {args.table!r}; known: {', '.join([*TABLES, 'codebook'])}")
        df = df[df["table"] == args.table]
    if args.out is None:
        for table, part in df.groupby("table", sort=False):
            print(f"\n## {table}")
            print(part.drop(columns=[c for c in ("table", "table_zh") if c in part]).to_string(index=False))
        return 0
    suffix = args.out.suffix.lower()
    if suffix == ".csv":
        df.to_csv(args.out, index=False, encoding="utf-8-sig")
    elif suffix == ".xlsx":
        df.to_excel(args.out, index=False)
    elif suffix == ".md":
        args.out.write_text(_markdown(df), encoding="utf-8")
    else:
        raise ValueError(f"--out must end in .csv, .xlsx or .md, got {args.out.name!r}")
    print(f"Codebook written to {args.out}")
    return 0


def _markdown(df) -> str:
    lines = []
    for table, part in df.groupby("table", sort=False):
        lines.append(f"## {table}\n")
        cols = [c for c in part.columns if c not in ("table", "table_zh")]
        lines.append("| " + " | ".join(cols) + " |")
        lines.append("|" + "---|" * len(cols))
        for _, row in part.iterrows():
            lines.append("| " + " | ".join(str(row[c]) for c in cols) + " |")
        lines.append("")
    return "\n".join(lines)
