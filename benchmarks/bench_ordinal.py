"""Benchmark: ordinal 5-factor, 20-item CFA (polychorics + WLSMV) at n = 10k and 100k; R lavaan side by side.

Run: .venv/bin/python benchmarks/bench_ordinal.py [--no-r] [--sizes 10000,100000]
No target in issue 8 for the ordinal estimator; prints the times, peak memory, the scaled χ² of both
(they must agree to 1e-4 relative) and PASS when ours is at least as fast as lavaan's fit.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from fusion_study.measurement import CFA

SCALES = {f"f{k + 1}": [f"x{k * 4 + j + 1}" for j in range(4)] for k in range(5)}

R_SCRIPT = """
suppressPackageStartupMessages(library(lavaan))
d <- read.csv("{csv}")
m <- paste(sapply(1:5, function(k) paste0("f", k, " =~ ", paste0("x", (k - 1) * 4 + 1:4, collapse = " + "))),
           collapse = "\\n")
t <- system.time(fit <- cfa(m, data = d, ordered = TRUE))[["elapsed"]]
cat(t, fitMeasures(fit, "chisq.scaled"), "\\n")
"""


def simulate(n: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    f = rng.standard_normal((n, 5)) @ np.linalg.cholesky(0.3 + 0.7 * np.eye(5)).T
    lam = np.tile([0.8, 0.7, 0.6, 0.75], 5)
    y = np.repeat(f, 4, axis=1) * lam + rng.standard_normal((n, 20)) * np.sqrt(1 - lam**2)
    x = np.digitize(y, [-1.5, -0.5, 0.3, 1.2]) + 1  # 5-point answers
    return pd.DataFrame(x, columns=[f"x{i + 1}" for i in range(20)])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--no-r", action="store_true")
    ap.add_argument("--sizes", default="10000,100000")
    args = ap.parse_args(argv)
    use_r = not args.no_r and shutil.which("Rscript") is not None
    ok = True
    for n in [int(s) for s in args.sizes.split(",")]:
        df = simulate(n)
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = CFA(SCALES, ordered=True).fit(df)
        ours = time.perf_counter() - t0
        chisq = fit.fit_indices_["chisq_scaled"]
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        line = f"n={n:>9,}: fusion_study {ours:7.2f} s (peak {peak:.0f} MB), chisq_scaled {chisq:.4f}"
        if use_r:
            with tempfile.TemporaryDirectory() as tmp:
                csv = Path(tmp) / "d.csv"
                df.to_csv(csv, index=False)
                script = Path(tmp) / "b.R"
                script.write_text(R_SCRIPT.format(csv=csv))
                out = subprocess.run(["Rscript", str(script)], capture_output=True, text=True, check=True)
            r_time, r_chisq = map(float, out.stdout.split())
            agree = abs(chisq / r_chisq - 1) < 1e-4
            faster = ours <= r_time
            ok &= agree and faster
            line += (f" | lavaan {r_time:7.2f} s, chisq.scaled {r_chisq:.4f} | "
                     f"{'agree' if agree else 'DISAGREE'}, {'PASS' if faster else 'FAIL'} (speed)")
        print(line)
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
