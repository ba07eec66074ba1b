"""Monte Carlo validation of resolution_effect against the simulator's true resolution effect.

Each replication r simulates a study larger than the bundled example (preset ``p_city`` with
``n_counties=12, branches_per_county=8, n_retailers=8000, survey_per_wave=1200``: about 1,300 usable
retailer-quarters with exactly one ticket and survey answers in both waves) and runs
``study_resolution_effect`` (the study's own screening, mechanism launches from the interventions
table) with ``estimand="ate"`` and ``"att"``. The naive difference in means comes with the ATE run.

Truth (``Truth.tickets``, index scale): ``resolution_effect_index`` (ATE; mean over the genuine
retailer-quarters with one ticket and answers at w and w+1 of idx(S0 + 0.15) − idx(S0 − 0.25)) and
``resolution_effect_index_treated`` (the same over those whose ticket was resolved in time; ATT).
The naive row is compared with the ATE truth.

Usage (about 5 minutes on 2 cores)::

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 nice -n 10 .venv/bin/python \
        benchmarks/validate_resolution_effect.py --reps 200 --jobs 2 \
        --out benchmarks/results/validate_resolution_effect_200
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


def one_replication(r: int, seed: int = SEED) -> pd.DataFrame:
    from fusion_study.problems.study import study_resolution_effect
    from fusion_study.simulate import simulate_study

    study, truth = simulate_study("p_city", seed=seed + r, **DESIGN)
    tt = truth.tickets
    out = []
    for estimand in ("ate", "att"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = study_resolution_effect(study, estimand=estimand, seed=seed + r)
        rows = res if estimand == "ate" else res[res["method"] == "aipw"]
        for _, row in rows.iterrows():
            tr = tt["resolution_effect_index_treated"] if row["estimand"] == "att" else tt["resolution_effect_index"]
            name = row["method"] if row["method"] == "naive" else f"aipw_{estimand}"
            out.append({"rep": r, "method": name, "estimate": row["estimate"], "se": row["se"],
                        "ci_lower": row["ci_lower"], "ci_upper": row["ci_upper"], "p": row["p_value"],
                        "truth": tr, "covered": bool(row["ci_lower"] <= tr <= row["ci_upper"]),
                        "rejects_0": bool(row["p_value"] < 0.05), "n": row["n"], "n_treated": row["n_treated"],
                        "n_trimmed": row["n_trimmed"], "truth_n": tt["resolution_effect_n"]})
    return pd.DataFrame(out)


def summarise(reps: pd.DataFrame) -> pd.DataFrame:
    g = reps.groupby("method", sort=False)
    s = g.agg(reps=("rep", "nunique"), truth=("truth", "mean"), mean_estimate=("estimate", "mean"),
              sd_estimate=("estimate", "std"), mean_se=("se", "mean"), coverage=("covered", "mean"),
              rejects_0=("rejects_0", "mean"), mean_n=("n", "mean"), mean_truth_n=("truth_n", "mean"),
              mean_trimmed=("n_trimmed", "mean")).reset_index()
    s["bias"] = s["mean_estimate"] - s["truth"]
    s["mc_se_bias"] = s["sd_estimate"] / np.sqrt(s["reps"])
    return s[["method", "reps", "truth", "mean_estimate", "bias", "mc_se_bias", "sd_estimate", "mean_se",
              "coverage", "rejects_0", "mean_n", "mean_truth_n", "mean_trimmed"]]


def main(argv=None) -> int:
    a = mc.parser(__doc__, reps=100, overrides=False).parse_args(argv)
    t0 = time.time()
    parts = mc.run(one_replication, a.reps, a.jobs, a.seed)
    reps = pd.concat(parts, ignore_index=True)
    summ = summarise(reps)
    pd.set_option("display.width", 200)
    print(summ.round(3).to_string(index=False))
    aipw = summ[summ["method"].str.startswith("aipw")]
    ok_cov = bool(((aipw["coverage"] >= 0.92) & (aipw["coverage"] <= 0.98)).all())
    ok_bias = bool((aipw["bias"].abs() <= 3 * aipw["mc_se_bias"]).all())
    print(f"AIPW coverage {aipw['coverage'].round(3).tolist()} (target 0.92-0.98): {'PASS' if ok_cov else 'FAIL'}")
    print(f"AIPW |bias| <= 3 Monte Carlo SE: {aipw['bias'].round(3).tolist()}: {'PASS' if ok_bias else 'FAIL'}")
    mc.footer(t0)
    mc.write(a.out, replications=reps, summary=summ)
    return 0 if ok_cov and ok_bias else 1


if __name__ == "__main__":
    sys.exit(main())
