"""Benchmark: raking and weighted estimates with design-based SEs for 1,000,000 survey responses.

Run: PYTHONPATH=src .venv/bin/python benchmarks/bench_survey.py [n_responses]
Target (issue 15): raking plus weighted means with SEs for 1M responses <= 5 s in total.
Prints the wall time of each step and the peak resident memory of the process.

The synthetic population has 2,000,000 customers in 20 counties x 3 segments x 400 branches; the
responses are a 1M sample that over-represents one segment and some counties (so raking has work).
Steps: rake to county and segment; the mean with calibration-aware linearised SEs (branches as
clusters); the same by segment (3 domains), by county (20 domains) and by branch (400 domains,
each response its own PSU); post-stratification to
county x segment and its calibrated mean; the mean with weights taken as fixed.
Replicate weights are not timed: their factors are an n x R array (1M x 400 jackknife replicates
would need 3.2 GB), so they are meant for survey-sized data.
"""

from __future__ import annotations

import resource
import sys
import time

import numpy as np
import pandas as pd

from fusion_study.survey import poststratify, rake, survey_mean


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _data(n: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    n_pop, n_branch = 2 * n, 400
    branch = rng.integers(0, n_branch, n_pop)
    county = branch // 20
    segment = rng.choice(3, n_pop, p=[0.45, 0.45, 0.10])
    pop = pd.DataFrame({"county_id": county, "segment": segment})
    p = 0.35 + 0.25 * (segment == 0) + 0.01 * county  # unequal response propensity
    take = rng.random(n_pop) < p * n / p.sum()
    resp = pd.DataFrame({"branch_id": branch[take], "county_id": county[take], "segment": segment[take]})
    u = rng.normal(0, 4, n_branch)
    resp["satisfaction"] = 70 + 3 * resp["segment"] + u[resp["branch_id"]] + rng.normal(0, 12, len(resp))
    return resp, pop


def main(n: int = 1_000_000) -> None:
    resp, pop = _data(n)
    print(f"responses: {len(resp):,}  population: {len(pop):,}  branches: {resp['branch_id'].nunique()}")
    times = {}

    def timed(name, fn):
        t = time.perf_counter()
        out = fn()
        times[name] = time.perf_counter() - t
        print(f"{name:<48s} {times[name]:7.3f} s")
        return out

    w = timed("rake (county 20 x segment 3 margins)", lambda: rake(resp, pop, margins=["county_id", "segment"]))
    timed("survey_mean, calibrated SE, cluster=branch", lambda: survey_mean(resp, "satisfaction", weights=w,
                                                                             cluster="branch_id"))
    timed("survey_mean by segment (3), calibrated", lambda: survey_mean(resp, "satisfaction", weights=w,
                                                                         cluster="branch_id", by="segment"))
    timed("survey_mean by county (20), calibrated", lambda: survey_mean(resp, "satisfaction", weights=w,
                                                                         cluster="branch_id", by="county_id"))
    timed("survey_mean by branch (400), calibrated", lambda: survey_mean(resp, "satisfaction", weights=w,
                                                                          by="branch_id"))
    ps = timed("poststratify (county x segment, 60 cells)",
               lambda: poststratify(resp, pop, by=["county_id", "segment"]))
    timed("survey_mean, post-stratified SE", lambda: survey_mean(resp, "satisfaction", weights=ps, cluster="branch_id"))
    timed("survey_mean, weights fixed", lambda: survey_mean(resp, "satisfaction", weights=w, cluster="branch_id",
                                                            calibration=None))
    core = times["rake (county 20 x segment 3 margins)"] + times["survey_mean, calibrated SE, cluster=branch"]
    print(f"{'rake + calibrated mean (the target, <= 5 s)':<48s} {core:7.3f} s")
    print(f"{'all steps':<48s} {sum(times.values()):7.3f} s")
    print(f"peak resident memory: {_peak_mb():.0f} MB")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
