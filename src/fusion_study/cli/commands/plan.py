"""``fusion-study plan``: plan the next rollout — schedule, separability, power and survey size."""

from __future__ import annotations

import argparse
from pathlib import Path

#: The ICC the planning assumes without data (the example study's pre-programme survey: about 0.15).
DEFAULT_ICC = 0.15

#: Files ``--out`` writes (besides the figure).
OUTPUT_FILES = ("plan.csv", "plan.xlsx", "separability.csv", "power.csv", "survey.csv", "rollout_calendar.png")


def register(sub) -> None:
    p = sub.add_parser(
        "plan",
        help="plan the next rollout (推广计划): a randomised staggered schedule, its separability, "
             "the power per intervention and the survey size",
    )
    p.add_argument("study", type=Path, nargs="?", default=None,
                   help="a study folder: its units table gives the branches (or use --branches)")
    p.add_argument("--branches", type=int, default=None, help="number of branches when no study is given (B01, B02, ...)")
    p.add_argument("--interventions", default=None,
                   help="comma-separated interventions to roll out (default: the six of the programme)")
    p.add_argument("--waves", type=int, default=None,
                   help="survey waves including the baseline wave 0 (default: interventions + 2)")
    p.add_argument("--max-new-per-wave", type=int, default=None,
                   help="most (branch, intervention) starts in one wave (default: no limit)")
    p.add_argument("--hold-out", type=int, default=0,
                   help="branches that start nothing during the plan (a wait-list comparison group; default 0)")
    p.add_argument("--effect-sizes", default="0.2",
                   help="effect(s) to detect in SD of one response: one number for all, one per intervention "
                        "(comma-separated, in --interventions order) or name=value pairs (default 0.2)")
    p.add_argument("--icc", type=float, default=None,
                   help="intraclass correlation of responses within a branch (default: estimated from the study's "
                        f"pre-programme satisfaction when a study is given, else {DEFAULT_ICC})")
    p.add_argument("--responses-per-branch", type=int, default=12,
                   help="survey responses per branch and wave (default 12)")
    p.add_argument("--half-widths", default="0.1,0.2,0.3",
                   help="target CI half-widths (SD units) to size the survey for (default 0.1,0.2,0.3)")
    p.add_argument("--reps", type=int, default=200, help="simulated studies for the power (default 200; 0 = skip)")
    p.add_argument("--ramp", type=float, default=0.0, help="ramp-up time constant of the effects in waves (default 0)")
    p.add_argument("--seed", type=int, default=20240101, help="seed of the schedule and the simulations")
    p.add_argument("--jobs", type=int, default=1, help="parallel worker processes (joblib)")
    p.add_argument("--dask", metavar="ADDRESS", default=None,
                   help="run the simulations on a Dask cluster (scheduler address); needs the [dask] extra")
    p.add_argument("--lang", choices=("zh", "en"), default="zh", help="language of the summary and headers (default zh)")
    p.add_argument("--out", type=Path, default=None, help="write " + ", ".join(OUTPUT_FILES) + " to this folder")
    p.set_defaults(func=run)


def _list(text: str | None, what: str) -> list[str]:
    items = [t.strip() for t in (text or "").split(",")]
    if not all(items):
        raise ValueError(f"{what}: expected comma-separated values, got {text!r}")
    return items


def _float(text: str, what: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"{what}: {text!r} is not a number") from None


def parse_effect_sizes(text: str, names: list[str]):
    """``"0.2"`` → 0.2; ``"0.2,0.1"`` → one per intervention; ``"brand=0.2,cloud_team=0.1"`` → a dict."""
    parts = _list(text, "--effect-sizes")
    if all("=" in p for p in parts):
        out = {}
        for p in parts:
            k, _, v = p.partition("=")
            out[k.strip()] = _float(v.strip(), f"--effect-sizes {k.strip()}")
        return out
    if any("=" in p for p in parts):
        raise ValueError(f"--effect-sizes: give either numbers or name=value pairs, not both: {text!r}")
    values = [_float(p, "--effect-sizes") for p in parts]
    if len(values) == 1:
        return values[0]
    if len(values) != len(names):
        raise ValueError(f"--effect-sizes: {len(values)} numbers for {len(names)} interventions ({', '.join(names)}); "
                         f"give one number for all, one per intervention, or name=value pairs")
    return dict(zip(names, values))


#: Columns whose header label differs from the catalogue's general one (key -> catalogue key).
HEADER_KEYS = {"start_wave": "plan_start_wave"}


def bilingual(df, lang: str = "zh"):
    """The table with headers ``name（中文）`` (``name (English)`` for ``lang="en"``) from the label catalogue."""
    from fusion_study.reporting.labels import label

    def head(c):
        text = label(HEADER_KEYS.get(c, c), lang, default="")
        return f"{c}（{text}）" if lang == "zh" and text else (f"{c} ({text})" if text and text != c else c)

    return df.rename(columns={c: head(c) for c in df.columns})


def _units(args):
    """The branches to plan for, and the study they come from (``None`` with ``--branches``)."""
    if args.study is not None and args.branches is not None:
        raise ValueError("give a study folder or --branches, not both")
    if args.study is not None:
        from fusion_study.data.study import load_study

        study = load_study(args.study)
        if "units" not in study:
            raise ValueError(f"{args.study}: the study has no 'units' table to take the branches from; "
                             "add one or use --branches N")
        return study.units, study
    if args.branches is None:
        raise ValueError("give a study folder (its units table lists the branches) or --branches N")
    if args.branches < 2:
        raise ValueError(f"--branches must be at least 2 (a staggered rollout compares branches), got {args.branches}")
    width = len(str(args.branches))
    return [f"B{i:0{width}d}" for i in range(1, args.branches + 1)], None


def _icc(args, study) -> tuple[float, str]:
    """The ICC to plan with and a sentence saying where it comes from."""
    zh = args.lang == "zh"
    if args.icc is not None:
        return args.icc, (f"组内相关系数：{args.icc:g}（--icc 指定）。" if zh else f"ICC: {args.icc:g} (given by --icc).")
    if study is not None and all(t in study for t in ("customer_survey", "customers")):
        from fusion_study.planning.study import study_icc

        r = study_icc(study).iloc[0]
        if zh:
            return float(r["estimate"]), (
                f"组内相关系数：{r['estimate']:.3f}（95%区间{r['ci_lower']:.3f}–{r['ci_upper']:.3f}），由本研究推广前"
                f"{int(r['n_obs'])}份满意度应答估计；1个标准差约为{r['sd']:.1f}分（0–100分制）。")
        return float(r["estimate"]), (
            f"ICC: {r['estimate']:.3f} (95% CI {r['ci_lower']:.3f}–{r['ci_upper']:.3f}), estimated from the study's "
            f"{int(r['n_obs'])} pre-programme satisfaction responses; 1 SD is about {r['sd']:.1f} points (0–100).")
    return DEFAULT_ICC, (f"组内相关系数：{DEFAULT_ICC:g}（默认值，与示例研究相近）。" if zh
                         else f"ICC: {DEFAULT_ICC:g} (the default, close to the example study's).")


def run(args: argparse.Namespace) -> int:
    import matplotlib

    matplotlib.use("Agg")
    from fusion_study.data.study import write_frame
    from fusion_study.planning import plan_rollout, rollout_power, separability, survey_precision
    from fusion_study.planning.plain import describe_plan
    from fusion_study.planning.plots import plot_rollout_calendar
    from fusion_study.reporting.figures import save_figure
    from fusion_study.reporting.style import use_house_style
    from fusion_study.simulate.presets import INTERVENTIONS

    names = _list(args.interventions, "--interventions") if args.interventions else list(INTERVENTIONS)
    waves = args.waves if args.waves is not None else len(names) + 2
    effects = parse_effect_sizes(args.effect_sizes, names)
    half_widths = [_float(h, "--half-widths") for h in _list(args.half_widths, "--half-widths")]
    if args.reps < 0:
        raise ValueError(f"--reps must be 0 (skip the power) or at least 2, got {args.reps}")
    units, study = _units(args)
    icc, icc_note = _icc(args, study)
    plan = plan_rollout(units, interventions=names, waves=waves, max_new_per_wave=args.max_new_per_wave,
                        hold_out=args.hold_out, seed=args.seed)
    sep = separability(plan)
    survey = survey_precision(plan["unit_id"].nunique(), icc=icc, responses_per_branch=args.responses_per_branch,
                              half_widths=half_widths)
    power = None
    if args.reps:
        power = rollout_power(plan, effect_sizes=effects, icc=icc, responses_per_branch=args.responses_per_branch,
                              reps=args.reps, seed=args.seed, n_jobs=args.jobs, dask=args.dask, ramp=args.ramp)
    print(icc_note)
    for line in describe_plan(plan, sep, power, survey, max_new_per_wave=args.max_new_per_wave, lang=args.lang):
        print(line)
    if args.out:
        import matplotlib.pyplot as plt

        args.out.mkdir(parents=True, exist_ok=True)
        write_frame(bilingual(plan, args.lang), args.out / "plan.csv")
        write_frame(bilingual(plan, args.lang), args.out / "plan.xlsx")
        write_frame(bilingual(sep, args.lang), args.out / "separability.csv")
        write_frame(bilingual(survey, args.lang), args.out / "survey.csv")
        written = ["plan.csv", "plan.xlsx", "separability.csv", "survey.csv"]
        if power is not None:
            write_frame(bilingual(power, args.lang), args.out / "power.csv")
            written.append("power.csv")
        use_house_style(args.lang)
        ax = plot_rollout_calendar(plan, lang=args.lang)
        save_figure(ax.figure, "rollout_calendar", folder=args.out)
        plt.close(ax.figure)
        written.append("rollout_calendar.png")
        print(("\n已写入 " if args.lang == "zh" else "\nwritten to ") + f"{args.out}/ ({', '.join(written)})")
    return 0
