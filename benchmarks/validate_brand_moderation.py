"""Monte Carlo validation of brand_type_moderation against the simulator's true brand effects.

Each replication r simulates a study larger than the bundled example (preset ``p_city`` with
``n_counties=12, branches_per_county=8, n_retailers=8000, survey_per_wave=1200``: 96 branches, so
roughly 25-35 distinctive, 30-45 generic and 10-20 copied brands), builds the analysis frame with
``brand_moderation_frame`` (the study's own screening and the measured brand flags) and runs
``brand_type_moderation`` with ``method="csdid"`` and ``method="twfe"``.

Truth (``Truth.brand_effects``, index scale): the brand's own effect averaged over the genuine
responses after the launch, by type (0 for generic and copied). The contrasts' truth is the difference
of those. The type rows' "truth" is the brand's own effect only: their estimates also carry the
interventions launched around the brand, so their bias is expected (and shown).

Usage (about 4 minutes on 2 cores)::

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 nice -n 10 .venv/bin/python \
        benchmarks/validate_brand_moderation.py --reps 100 --jobs 2 \
        --out benchmarks/results/validate_brand_moderation_100

``--set NAME=VALUE`` (repeatable) overrides one simulator setting on top of the design, parsed and
checked as ``fusion-study simulate --set`` does (e.g. ``--set sat_trend=0.0``; an unknown name fails
before any replication runs).
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


def one_replication(r: int, seed: int = SEED, overrides: dict | None = None) -> pd.DataFrame:
    from fusion_study.brands.moderation import brand_type_moderation
    from fusion_study.brands.study import brand_moderation_frame
    from fusion_study.brands.distinctiveness import brand_distinctiveness
    from fusion_study.simulate import simulate_study

    study, truth = simulate_study("p_city", seed=seed + r, **{**DESIGN, **(overrides or {})})
    flags = brand_distinctiveness(study.brands)
    true_type = dict(zip(truth.branches["branch_id"], truth.branches["brand_type"]))
    flag_accuracy = float((flags["flag"] == flags["branch_id"].map(true_type)).mean())
    be = truth.brand_effects.set_index("brand_type")["att_index"].astype(float).fillna(0.0)
    frame = brand_moderation_frame(study, flags=flags)
    out = []
    for method in ("csdid", "twfe"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = brand_type_moderation(frame, method=method)
        for _, row in res.iterrows():
            if row["kind"] == "type ATT":
                tr = be.get(row["term"], 0.0)
            else:
                a, b = row["term"].split("_minus_")
                tr = be.get(a, 0.0) - be.get(b, 0.0)
            out.append({"rep": r, "method": row["method"], "term": row["term"], "kind": row["kind"],
                        "estimate": row["estimate"], "se": row["se"], "ci_lower": row["ci_lower"],
                        "ci_upper": row["ci_upper"], "p_value": row["p_value"], "truth": tr,
                        "covered": bool(row["ci_lower"] <= tr <= row["ci_upper"]), "rejects_0": bool(row["p_value"] < 0.05),
                        "n_branches": row["n_branches"], "flag_accuracy": flag_accuracy})
    return pd.DataFrame(out)


def summarise(reps: pd.DataFrame) -> pd.DataFrame:
    g = reps.groupby(["method", "kind", "term"], sort=False)
    s = g.agg(reps=("rep", "nunique"), truth=("truth", "mean"), mean_estimate=("estimate", "mean"),
              sd_estimate=("estimate", "std"), mean_se=("se", "mean"), coverage=("covered", "mean"),
              rejects_0=("rejects_0", "mean"), mean_branches=("n_branches", "mean")).reset_index()
    s["bias"] = s["mean_estimate"] - s["truth"]
    s["mc_se_bias"] = s["sd_estimate"] / np.sqrt(s["reps"])
    return s[["method", "kind", "term", "reps", "truth", "mean_estimate", "bias", "mc_se_bias", "sd_estimate",
              "mean_se", "coverage", "rejects_0", "mean_branches"]]


def main(argv=None) -> int:
    a = mc.parser(__doc__, reps=100).parse_args(argv)
    overrides = mc.simulator_overrides(a.overrides, DESIGN)
    t0 = time.time()
    parts = mc.run(one_replication, a.reps, a.jobs, a.seed, overrides)
    reps = pd.concat(parts, ignore_index=True)
    summ = summarise(reps)
    pd.set_option("display.width", 200)
    print(summ.round(3).to_string(index=False))
    print(f"mean flag accuracy {reps['flag_accuracy'].mean():.3f}")
    cs = summ[(summ["method"].str.startswith("CS")) & (summ["kind"] == "contrast")]
    ok = bool((cs["coverage"] >= 0.90).all())
    print(f"CS-DiD contrasts: coverage {cs['coverage'].round(3).tolist()} (target >= 0.90): {'PASS' if ok else 'FAIL'}")
    mc.footer(t0)
    mc.write(a.out, replications=reps, summary=summ)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
