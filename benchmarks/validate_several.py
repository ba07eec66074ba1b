"""Monte Carlo check of several_interventions (each intervention net of the others) against the simulator's truth.

Each replication r simulates a 96-branch study (preset ``p_city`` with the shared ``DESIGN``: 12
counties x 8 branches, 8,000 retailers, 1,200 responses per wave; seed ``seed + r``; simulator
settings changed with ``--set``, e.g. ``--set rollout_lag_max=6`` for more separate timing), builds
the response-level frame with :func:`fusion_study.effects.exposures` and fits
:func:`fusion_study.effects.several_interventions` on all six interventions (``max_event=3``
unless ``--max-event``, clusters = branches). Each identified intervention's overall effect is compared with the truth
(``Truth.overall_att()``, index scale); refused ones are counted.

``--preset p_city`` / ``--preset validation`` use that preset's own sizes instead of the shared
design (p_city: 24 branches, the bundled example's size; validation: 96 branches in 24 counties).
``--vcov`` picks the standard errors (``jackknife``, the estimator's default, or ``cr1``).

This is a quick check of the estimator (a few dozen replications); the full Monte Carlo of the
intervention analysis is ``fusion-study validate-estimators``.

Usage (about 10 s per replication on a quiet 2-core machine)::

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 nice -n 10 .venv/bin/python benchmarks/validate_several.py \
        --reps 30 --jobs 1 --out benchmarks/results/validate_several_30
    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 nice -n 10 .venv/bin/python benchmarks/validate_several.py \
        --preset p_city --vcov both --reps 200 --jobs 1 --out /tmp/pcity   # see results/validate_several_pcity_both_200
"""

from __future__ import annotations

import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _montecarlo as mc  # noqa: E402
from _montecarlo import DESIGN, SEED  # noqa: E402

MAX_EVENT = 3


def one_replication(r: int, seed: int = SEED, overrides: dict | None = None, preset: str | None = None,
                    vcov: str = "jackknife", max_event: int | None = MAX_EVENT) -> pd.DataFrame:
    from fusion_study.effects import exposures, several_interventions
    from fusion_study.simulate import simulate_study
    from fusion_study.simulate.presets import INTERVENTIONS

    design = DESIGN if preset is None else {}
    study, truth = simulate_study(preset or "p_city", seed=seed + r, **{**design, **(overrides or {})})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ex = exposures(study)
    return pd.concat([_fit(ex, truth, r, v, INTERVENTIONS, several_interventions, max_event)
                      for v in (["cr1", "jackknife"] if vcov == "both" else [vcov])], ignore_index=True)


def _fit(ex, truth, r, vcov, interventions, several_interventions, max_event) -> pd.DataFrame:
    t0 = time.perf_counter()
    res = several_interventions(ex, outcome="satisfaction", cohorts=[f"cohort_{k}" for k in interventions],
                                max_event=max_event, vcov=vcov)
    secs = time.perf_counter() - t0
    out = res.aggregate().merge(truth.overall_att().rename(columns={"att_index": "truth", "n": "truth_n"}),
                                on="intervention")
    out = out.merge(res.identification_[["intervention", "vif", "n_switch_alone"]], on="intervention")
    out["covered"] = (out["ci_lower"] <= out["truth"]) & (out["truth"] <= out["ci_upper"])
    out["rep"] = r
    out["vcov"] = vcov
    out["fit_seconds"] = secs
    out["n_rows"] = res.n_obs_
    out["n_branches"] = res.n_clusters_
    return out.drop(columns=["note"])


def summarise(reps: pd.DataFrame) -> pd.DataFrame:
    ok = reps[reps["identified"]]
    g = ok.groupby(["vcov", "intervention"], sort=False)
    s = g.agg(identified=("rep", "size"), no_se=("se", lambda x: int(x.isna().sum())), truth=("truth", "mean"), mean_estimate=("estimate", "mean"),
              sd_estimate=("estimate", "std"), mean_se=("se", "mean"), coverage=("covered", "mean"))
    s["bias"] = s["mean_estimate"] - s["truth"]
    s["se_over_sd"] = s["mean_se"] / s["sd_estimate"]
    s["bias_over_se"] = s["bias"] / s["mean_se"]
    s["mc_se_bias"] = s["sd_estimate"] / np.sqrt(s["identified"])
    allr = reps.groupby(["vcov", "intervention"], sort=False).agg(reps=("rep", "size"), median_vif=("vif", "median"))
    s = allr.join(s).reset_index()
    return s[["vcov", "intervention", "reps", "identified", "no_se", "median_vif", "truth", "mean_estimate", "bias",
              "mc_se_bias", "bias_over_se", "sd_estimate", "mean_se", "se_over_sd", "coverage"]]


def main(argv=None) -> int:
    ap = mc.parser(__doc__, reps=30)
    ap.add_argument("--preset", choices=["p_city", "validation", "validation_independent"], default=None,
                    help="use this preset's own sizes (default: p_city's process with the shared 96-branch design)")
    ap.add_argument("--vcov", choices=["jackknife", "cr1", "both"], default="jackknife",
                    help="standard errors; 'both' fits each simulated study with cr1 and with the jackknife")
    ap.add_argument("--max-event", type=lambda v: None if v == "none" else int(v), default=MAX_EVENT,
                    help=f"pool event times from this one on (default {MAX_EVENT}, the study layer's; 'none': one bin each)")
    a = ap.parse_args(argv)
    overrides = mc.simulator_overrides(a.overrides, DESIGN if a.preset is None else {}, a.preset or "p_city")
    print(f"preset {a.preset or 'p_city + shared 96-branch design'}; vcov {a.vcov}; max_event {a.max_event}")
    t0 = time.time()
    parts = mc.run(one_replication, a.reps, a.jobs, a.seed, overrides, a.preset, a.vcov, a.max_event)
    reps = pd.concat(parts, ignore_index=True)
    summ = summarise(reps)
    pd.set_option("display.width", 200)
    print(summ.round(3).to_string(index=False))
    ok = reps[reps["identified"]]
    for v, okv in ok.groupby("vcov", sort=False):
        n_all = int((reps["vcov"] == v).sum())
        print(f"{v}: identified {len(okv)} of {n_all} intervention-replications; pooled coverage "
              f"{okv['covered'].mean():.3f} (nominal 0.95); fit seconds per replication: median "
              f"{reps[reps['vcov'] == v].groupby('rep')['fit_seconds'].first().median():.2f} "
              f"({int(reps['n_rows'].median())} responses, {int(reps['n_branches'].median())} branches)")
    mc.footer(t0)
    mc.write(a.out, replications=reps, summary=summ)
    return 0


if __name__ == "__main__":
    sys.exit(main())
