"""``fusion-study import-survey EXPORT --codebook CODEBOOK --study STUDY``: import a survey export."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(sub) -> None:
    p = sub.add_parser(
        "import-survey",
        help="import a 问卷星/腾讯问卷/SPSS survey export into a study folder (screened, PII removed)",
    )
    p.add_argument("export", type=Path, help="the export file (.xlsx, .csv, .parquet or .sav)")
    p.add_argument("--codebook", type=Path, required=True, help="codebook file (.csv, .xlsx or .parquet)")
    p.add_argument("--study", type=Path, required=True, help="the study folder to add the responses to")
    p.add_argument("--instrument", default="customer_survey", choices=["customer_survey", "staff_survey"])
    p.add_argument("--wave", help="survey wave such as 2024Q1 (default: quarter of 提交答卷时间)")
    p.add_argument("--policy", default="exclude", choices=["exclude", "flag"],
                   help="exclude screened rows (default) or keep them with flag_ columns")
    p.add_argument("--flavour", default="auto", choices=["auto", "code", "text"],
                   help="按序号 (code) or 按文本 (text) export; default: detect")
    p.add_argument("--respondent-column", help="header or question number of the respondent id, or 来源详情")
    p.add_argument("--unit-column", help="staff survey: header or question number of the branch (所在支部)")
    p.add_argument("--speeder-fraction", type=float, default=0.3,
                   help="speeders take less than this fraction of the median time (default 0.3)")
    p.add_argument("--id-prefix", help="prefix of the new response ids (default CS / SS)")
    p.add_argument("--map", action="append", default=[], metavar="COLUMN=ITEM",
                   help="map an export column (header or question number) to a codebook item; repeatable")
    p.add_argument("--text-column", action="append", default=[], metavar="COLUMN",
                   help="keep a free-text question (header or question number), personal data masked; repeatable "
                        "(codebook questions of type text/id are kept without it)")
    p.add_argument("--free-text", type=Path, metavar="FILE",
                   help="write the masked free-text answers to this .csv or .xlsx file")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from fusion_study.ingest import add_to_study, import_survey
    from fusion_study.data.readers import coerce_to_schema, read_table_file
    from fusion_study.data.schema import CODEBOOK
    from fusion_study.data.validation import ProblemLog

    raw, info = read_table_file(args.codebook, CODEBOOK)
    log = ProblemLog()
    codebook = coerce_to_schema(raw, CODEBOOK, file=info["file"], log=log)
    problems = log.to_frame()
    if len(problems):
        first = problems.iloc[0]
        raise ValueError(
            f"{info['file']}, row {first['row']}, column {first['column']}: value {first['value']!r}: {first['message']}"
        )
    mapping = {}
    for spec in args.map:
        column, sep, item = spec.rpartition("=")
        if not sep or not column.strip() or not item.strip():
            raise ValueError(f"--map {spec!r}: write COLUMN=ITEM, e.g. --map '3、(敷衍应付)=qual4'")
        mapping[column.strip()] = item.strip()
    result = import_survey(
        args.export, codebook, instrument=args.instrument, wave=args.wave, policy=args.policy,
        flavour=args.flavour, respondent_column=args.respondent_column, unit_column=args.unit_column,
        speeder_fraction=args.speeder_fraction, id_prefix=args.id_prefix, columns=mapping or None,
        text_columns=args.text_column,
    )
    if args.free_text is not None and args.free_text.suffix.lower() not in (".csv", ".xlsx"):
        raise ValueError(f"--free-text must end in .csv or .xlsx, got {args.free_text.name!r}")
    print(result)
    if len(result.problems.problems):
        print()
        print(result.problems)
    if args.free_text is not None:  # before the study is changed, so a bad path leaves the study as it was
        result.save_free_text(args.free_text)
        print(f"Free-text answers (personal data masked): {args.free_text}")
    study = add_to_study(result, args.study, codebook)
    print(f"\nAdded {len(result.responses)} response(s) to {args.study} "
          f"({result.table}: now {len(study.tables[result.table])} rows); ledger: {args.study / 'ledger.csv'}")
    return 0
