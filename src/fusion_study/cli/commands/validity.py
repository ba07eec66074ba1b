"""``fusion-study validity STUDY``: reliability and validity tables of the survey instruments, as Word/Excel."""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path

_TITLES = {"customer_survey": ("零售客户满意度问卷", "Retailer satisfaction survey"),
           "staff_survey": ("员工“四个融合”问卷", "Staff four-fusion survey")}


def register(sub) -> None:
    p = sub.add_parser("validity", help="reliability and validity tables (信效度分析) of the survey instruments")
    p.add_argument("study", type=Path, help="the study folder")
    p.add_argument("--out", type=Path, default=Path("tables"),
                   help="folder for validity_<instrument>.docx/.xlsx (default ./tables)")
    p.add_argument("--instrument", action="append", choices=sorted(_TITLES),
                   help="instrument to analyse (repeatable; default: every instrument the study has)")
    p.add_argument("--lang", default="zh", choices=("zh", "en"), help="table language (default zh)")
    p.add_argument("--missing", default="listwise", choices=("listwise", "fiml"),
                   help="missing answers in the CFA: listwise deletion or full-information ML")
    p.set_defaults(func=run)


def _summary(rep) -> str:
    """The headline rows printed to the console: reliability, or the single-item descriptives."""
    if "reliability" in rep:
        cols = [c for c in ("scale", "n_items", "n", "spearman_brown", "alpha", "omega_total", "cr", "ave")
                if c in rep["reliability"].columns and rep["reliability"][c].notna().any()]
        return rep["reliability"][cols].round(3).to_string(index=False, na_rep="")
    return rep["single_items"].round(3).to_string(index=False, na_rep="")


def run(args: argparse.Namespace) -> int:
    from fusion_study.data.study import load_study
    from fusion_study.measurement import MeasurementWarning, study_validity
    from fusion_study.measurement.study import INSTRUMENTS, instruments_present

    study = load_study(args.study)
    insts = args.instrument or instruments_present(study)
    if not insts:
        if getattr(study, "codebook", None) is None:
            raise ValueError(f"the study in {args.study} has no codebook (codebook.csv); it says which items form "
                             "each scale, so reliability and validity cannot be assessed without it")
        raise ValueError(f"the study in {args.study} has no survey responses ({', '.join(INSTRUMENTS.values())}) "
                         "whose items the codebook assigns to a scale")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MeasurementWarning)
        reports = study_validity(study, instruments=insts, missing=args.missing)
    for inst, rep in reports.items():
        title = _TITLES[inst][0 if args.lang == "zh" else 1]
        print(f"{title}:")
        print(_summary(rep))
        written = rep.to_docx(args.out / f"validity_{inst}.docx", lang=args.lang, title=title), \
            rep.to_xlsx(args.out / f"validity_{inst}.xlsx", lang=args.lang, title=title)
        print("written: " + ", ".join(str(p) for p in written) + "\n")
    return 0
