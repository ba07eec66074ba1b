"""Benchmark: index_uncertainty with 10,000 draws for 300 units x 12 periods x 12 indicators.

Target (issue 5): <= 10 s on 2 cores. Prints seconds, peak memory and PASS/FAIL.
Run: .venv/bin/python benchmarks/bench_index.py
"""

from __future__ import annotations

import resource
import time

import numpy as np
import pandas as pd

from fusion_study.index import IntegrationIndex, index_uncertainty

N_UNITS, N_PERIODS, N_IND, N_DRAWS, TARGET_S = 300, 12, 12, 10_000, 10.0


def make_data(seed=0):
    rng = np.random.default_rng(seed)
    level = rng.normal(size=N_UNITS)
    rows = []
    for p in range(N_PERIODS):
        X = level[:, None] + rng.normal(scale=1.0, size=(N_UNITS, N_IND))
        df = pd.DataFrame(X, columns=[f"x{j:02d}" for j in range(N_IND)])
        df.insert(0, "period", f"{2022 + p // 4}Q{p % 4 + 1}")
        df.insert(0, "unit_id", [f"B{u:03d}" for u in range(N_UNITS)])
        rows.append(df)
    return pd.concat(rows, ignore_index=True)


def main():
    data = make_data()
    cols = [f"x{j:02d}" for j in range(N_IND)]
    idx = IntegrationIndex({"goal": cols[:3], "outcome": cols[3:6], "capability": cols[6:9], "service": cols[9:]},
                           direction=["x11"])
    t0 = time.perf_counter()
    res = index_uncertainty(idx, data, n_draws=N_DRAWS, seed=1)
    secs = time.perf_counter() - t0
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"index_uncertainty: {N_UNITS} units x {N_PERIODS} periods x {N_IND} indicators, {N_DRAWS} draws")
    print(f"  seconds: {secs:.2f}  (target <= {TARGET_S:.0f} s)  {'PASS' if secs <= TARGET_S else 'FAIL'}")
    print(f"  peak memory: {peak_mb:.0f} MB")
    print(f"  rows: {len(res.ranks_)}; mean 95% interval width: {(res.ranks_['ci_upper'] - res.ranks_['ci_lower']).mean():.1f} ranks")
    print(res.sensitivity_.round(3).to_string(index=False))


if __name__ == "__main__":
    main()
