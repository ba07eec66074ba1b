"""Benchmark: the several-interventions estimator against the single-intervention staggered_did (issue 14).

Target: ``several_interventions`` (each intervention net of the others) no slower than 3x
``staggered_did`` (one intervention, CS-DiD) on the same data:

1. a 2M-row panel: 200,000 units x 10 periods in 1,000 clusters, three staggered interventions with
   independently drawn starts; ``staggered_did`` on the first intervention's cohort (clustered by the
   same clusters) against ``several_interventions`` on all three (``max_event=3``), with CR1 and with
   the jackknife (the estimator's default);
2. the simulator's ``province`` preset (the survey responses as the study layer builds them):
   ``staggered_did`` on the programme cohort (repeated cross-sections, clustered by branch) against
   ``several_interventions`` on the six interventions as ``evaluate_interventions`` fits them.

Run:  OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_several.py [--skip-province] [--units N]
Prints seconds and the ratio with PASS/FAIL; never used by the test-suite.
"""

from __future__ import annotations

import argparse
import resource
import time
import warnings

import numpy as np
import pandas as pd

N_PERIODS, N_CLUSTERS, RATIO = 10, 1_000, 3.0


def make_panel(n_units: int, seed: int = 0) -> pd.DataFrame:
    """Three interventions with independent start periods (0 = never) and additive effects 0.3, 0.2, 0.1."""
    rng = np.random.default_rng(seed)
    t = np.tile(np.arange(1, N_PERIODS + 1), n_units)
    y = np.repeat(rng.normal(size=n_units), N_PERIODS) + 0.1 * t + rng.normal(size=t.size)
    out = {"unit": np.repeat(np.arange(n_units), N_PERIODS), "t": t,
           "cluster": np.repeat(np.arange(n_units) % N_CLUSTERS, N_PERIODS)}
    for k, tau in zip("abc", (0.3, 0.2, 0.1)):
        g = np.repeat(rng.choice([0, 3, 4, 5, 6, 7, 8], n_units), N_PERIODS)
        y = y + np.where((g > 0) & (t >= g), tau, 0.0)
        out[f"g_{k}"] = g
    out["y"] = y
    return pd.DataFrame(out)


def _timed(fn):
    t0 = time.perf_counter()
    res = fn()
    return res, time.perf_counter() - t0


def _verdict(single: float, several: float, what: str) -> None:
    ratio = several / single
    print(f"  {what}: {several:.2f} s = {ratio:.2f} x staggered_did (target <= {RATIO:.0f} x) "
          f"{'PASS' if ratio <= RATIO else 'FAIL'}")


def panel(n_units: int) -> None:
    from fusion_study.effects import several_interventions, staggered_did

    df = make_panel(n_units)
    print(f"panel: {n_units:,} units x {N_PERIODS} periods ({len(df):,} rows), {N_CLUSTERS:,} clusters, "
          "3 interventions")
    cs, single = _timed(lambda: staggered_did(df, outcome="y", unit="unit", time="t", cohort="g_a",
                                              cluster="cluster").aggregate("simple"))
    print(f"  staggered_did (one intervention) + simple ATT: {single:.2f} s (ATT {cs['estimate'].iloc[0]:.3f}, "
          "co-timed with two others)")
    for vcov in ("cr1", "jackknife"):
        res, secs = _timed(lambda: several_interventions(
            df, outcome="y", cohorts=["g_a", "g_b", "g_c"], unit="unit", time="t", cluster="cluster",
            max_event=3, vcov=vcov).aggregate())
        est = ", ".join(f"{e:.3f}" for e in res["estimate"])
        _verdict(single, secs, f"several_interventions (3, vcov={vcov}; ATTs {est}, truth 0.3, 0.2, 0.1)")


def province() -> None:
    from fusion_study.effects import several_interventions, staggered_did
    from fusion_study.effects.study import SEVERAL_MAX_EVENT, _analysis_frame
    from fusion_study.simulate import simulate_study

    study, _ = simulate_study("province", seed=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ex, _, _ = _analysis_frame(study, "satisfaction")
        print(f"province: {len(ex):,} screened survey responses, {ex['branch_id'].nunique()} branches")
        _, single = _timed(lambda: staggered_did(ex, outcome="satisfaction", unit="branch_id", time="period",
                                                 cohort="cohort_programme", panel=False,
                                                 cluster="branch_id").aggregate("simple"))
        print(f"  staggered_did (programme, repeated cross-sections) + simple ATT: {single:.2f} s")
        cohorts = [c for c in ex.columns if c.startswith("cohort_") and c != "cohort_programme"]
        for vcov in ("cr1", "jackknife"):
            _, secs = _timed(lambda: several_interventions(
                ex, outcome="satisfaction", cohorts=cohorts, unit="branch_id", time="period",
                cluster="branch_id", max_event=SEVERAL_MAX_EVENT, vcov=vcov).aggregate())
            _verdict(single, secs, f"several_interventions ({len(cohorts)} interventions, vcov={vcov})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--units", type=int, default=200_000)
    ap.add_argument("--skip-province", action="store_true")
    a = ap.parse_args()
    panel(a.units)
    if not a.skip_province:
        province()
    print(f"peak MB (whole process): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}")


if __name__ == "__main__":
    main()
