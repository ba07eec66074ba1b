"""Monte Carlo check of several_interventions (each intervention net of the others) against the simulator's truth.

Each replication r simulates a 96-branch study (preset ``p_city`` with the shared ``DESIGN``: 12
counties x 8 branches, 8,000 retailers, 1,200 responses per wave; seed ``seed + r``; simulator
settings changed with ``--set``, e.g. ``--set rollout_lag_max=6`` for more separate timing), builds
the response-level frame with :func:`fusion_study.effects.exposures` and fits
:func:`fusion_study.effects.several_interventions` on all six interventions (``max_event=3``,
clusters = branches). Each identified intervention's overall effect is compared with the truth
(``Truth.overall_att()``, index scale); refused ones are counted.

This is a quick check of the estimator (a few dozen replications); the full Monte Carlo of the
intervention analysis is ``fusion-study validate-estimators``.

Usage (about 10 s per replication on a quiet 2-core machine)::

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 nice -n 10 .venv/bin/python benchmarks/validate_several.py \
        --reps 30 --jobs 1 --out benchmarks/results/validate_several_30
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


def one_replication(r: int, seed: int = SEED, overrides: dict | None = None) -> pd.DataFrame:
    from fusion_study.effects import exposures, several_interventions
    from fusion_study.simulate import simulate_study
    from fusion_study.simulate.presets import INTERVENTIONS

    study, truth = simulate_study("p_city", seed=seed + r, **{**DESIGN, **(overrides or {})})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ex = exposures(study)
    t0 = time.perf_counter()
    res = several_interventions(ex, outcome="satisfaction", cohorts=[f"cohort_{k}" for k in INTERVENTIONS],
                                max_event=MAX_EVENT)
    secs = time.perf_counter() - t0
    out = res.aggregate().merge(truth.overall_att().rename(columns={"att_index": "truth", "n": "truth_n"}),
                                on="intervention")
    out = out.merge(res.identification_[["intervention", "vif", "n_switch_alone"]], on="intervention")
    out["covered"] = (out["ci_lower"] <= out["truth"]) & (out["truth"] <= out["ci_upper"])
    out["rep"] = r
    out["fit_seconds"] = secs
    out["n_rows"] = res.n_obs_
    return out.drop(columns=["note"])


def summarise(reps: pd.DataFrame) -> pd.DataFrame:
    ok = reps[reps["identified"]]
    g = ok.groupby("intervention", sort=False)
    s = g.agg(identified=("rep", "size"), truth=("truth", "mean"), mean_estimate=("estimate", "mean"),
              sd_estimate=("estimate", "std"), mean_se=("se", "mean"), coverage=("covered", "mean"))
    s["bias"] = s["mean_estimate"] - s["truth"]
    s["mc_se_bias"] = s["sd_estimate"] / np.sqrt(s["identified"])
    allr = reps.groupby("intervention", sort=False).agg(reps=("rep", "size"), median_vif=("vif", "median"))
    s = allr.join(s).reset_index()
    return s[["intervention", "reps", "identified", "median_vif", "truth", "mean_estimate", "bias", "mc_se_bias",
              "sd_estimate", "mean_se", "coverage"]]


def main(argv=None) -> int:
    a = mc.parser(__doc__, reps=30).parse_args(argv)
    overrides = mc.simulator_overrides(a.overrides, DESIGN)
    t0 = time.time()
    parts = mc.run(one_replication, a.reps, a.jobs, a.seed, overrides)
    reps = pd.concat(parts, ignore_index=True)
    summ = summarise(reps)
    pd.set_option("display.width", 200)
    print(summ.round(3).to_string(index=False))
    ok = reps[reps["identified"]]
    print(f"identified: {len(ok)} of {len(reps)} intervention-replications; pooled coverage "
          f"{ok['covered'].mean():.3f} (nominal 0.95)")
    print(f"fit seconds per replication: median {reps.groupby('rep')['fit_seconds'].first().median():.2f} "
          f"({int(reps['n_rows'].median())} responses)")
    mc.footer(t0)
    mc.write(a.out, replications=reps, summary=summ)
    return 0


if __name__ == "__main__":
    sys.exit(main())
