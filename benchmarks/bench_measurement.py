"""Benchmark: 5-factor 20-item CFA at n = 10k, 100k, 1M; alpha for 5 scales at 1M; R lavaan side by side.

Run: .venv/bin/python benchmarks/bench_measurement.py [--no-r] [--sizes 10000,100000,1000000] [--jackknife-only]
Targets (issue 8): CFA fit within 3x of one numpy covariance pass; alpha for 5 scales within 2x.
Issue 12: peak memory of the PLS BCa jackknife at n = 50,000 (tracemalloc), O(n) rather than O(n²).
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

from fusion_study.measurement import CFA, reliability

SCALES = {f"f{k + 1}": [f"x{k * 4 + j + 1}" for j in range(4)] for k in range(5)}


def simulate(n: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    phi = 0.3 + 0.7 * np.eye(5)
    f = rng.standard_normal((n, 5)) @ np.linalg.cholesky(phi).T
    lam = np.tile([0.8, 0.7, 0.6, 0.75], 5)
    x = np.repeat(f, 4, axis=1) * lam + rng.standard_normal((n, 20)) * np.sqrt(1 - lam**2)
    return pd.DataFrame(x, columns=[f"x{i + 1}" for i in range(20)])


def best(fn, repeat=3):
    times = []
    out = None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return min(times), out


def cov_pass(df):
    x = df.to_numpy()
    xc = x - x.mean(axis=0)
    return xc.T @ xc / (len(x) - 1)


def lavaan_time(path: Path) -> tuple[float, float] | None:
    if shutil.which("Rscript") is None:
        return None
    model = "\n".join(f"{k} =~ {' + '.join(v)}" for k, v in SCALES.items())
    script = (f"t0 <- Sys.time(); suppressPackageStartupMessages(library(lavaan)); d <- read.csv('{path}');"
              f"t1 <- Sys.time(); fit <- cfa('{model}', data = d); t2 <- Sys.time();"
              "cat(as.numeric(difftime(t2, t1, units='secs')), '\\n')")
    t = time.perf_counter()
    res = subprocess.run(["Rscript", "-e", script], capture_output=True, text=True)
    whole = time.perf_counter() - t
    if res.returncode != 0:
        return None
    return float(res.stdout.split()[-1]), whole


def ours_process_time(path: Path) -> float:
    """Whole process: start Python, import, read the CSV, fit, print the fit summary."""
    import sys

    code = ("import pandas as pd, warnings; warnings.simplefilter('ignore');"
            "from fusion_study.measurement import CFA;"
            f"d = pd.read_csv('{path}', engine='pyarrow');"
            f"print(str(CFA({SCALES!r}).fit(d))[:80])")
    t = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return time.perf_counter() - t


def jackknife_memory(n: int = 50_000) -> None:
    """Peak Python memory of the PLS leave-one-out jackknife (the BCa acceleration) at ``n`` respondents."""
    import tracemalloc

    from fusion_study.measurement.pls import PLSPathModel

    df = simulate(n, seed=2).iloc[:, :12]
    meas = {f"f{k + 1}": [f"x{k * 4 + j + 1}" for j in range(4)] for k in range(3)}
    model = PLSPathModel(meas, [("f1", "f2"), ("f1", "f3"), ("f2", "f3")]).fit(df)
    data_mb = model._xz.nbytes / 2**20
    tracemalloc.start()
    t = time.perf_counter()
    jack = model._jackknife()
    elapsed = time.perf_counter() - t
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    old_mb = n * (n - 1) * 8 / 2**20  # the former n x (n - 1) int64 index array alone
    print(f"PLS jackknife at n={n:,} ({jack.shape[1]} statistics, 12 items): peak {peak / 2**20:.1f} MB traced "
          f"(data {data_mb:.1f} MB; the former index array alone: {old_mb:,.0f} MB), {elapsed:.1f} s")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--no-r", action="store_true")
    ap.add_argument("--sizes", default="10000,100000,1000000")
    ap.add_argument("--jackknife-only", action="store_true", help="only the PLS jackknife memory line")
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    if args.jackknife_only:
        jackknife_memory()
        return
    print(f"{'n':>9} {'cov pass s':>11} {'CFA fit s':>10} {'ratio':>6} {'target':>7} {'lavaan fit s':>13} "
          f"{'lavaan proc s':>14} {'speed-up':>9}")
    for n in [int(s) for s in args.sizes.split(",")]:
        df = simulate(n)
        t_cov, _ = best(lambda: cov_pass(df))
        t_fit, fit = best(lambda: CFA(SCALES).fit(df))
        ratio = t_fit / t_cov
        lav = None
        if not args.no_r:
            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / "d.csv"
                df.to_csv(path, index=False)
                lav = lavaan_time(path)
                proc = ours_process_time(path) if lav else None
        lav_s = f"{lav[0]:13.3f} {lav[1]:14.3f} {lav[0] / t_fit:8.1f}x" if lav else f"{'n/a':>13} {'n/a':>14} {'':>9}"
        if lav:
            lav_s += (f"  | whole process ours {proc:.2f} s vs lavaan {lav[1]:.2f} s = {lav[1] / proc:.1f}x "
                      f"(target 3x: {'PASS' if lav[1] / proc >= 3 else 'FAIL'})")
        print(f"{n:>9} {t_cov:11.4f} {t_fit:10.4f} {ratio:6.2f} {'PASS' if ratio <= 3 else 'FAIL':>7} {lav_s}")
        if n == max(int(s) for s in args.sizes.split(",")):
            t_alpha, _ = best(lambda: reliability(df, SCALES))
            print(f"alpha, 5 scales at n={n}: {t_alpha:.4f} s = {t_alpha / t_cov:.2f}x cov pass "
                  f"(target 2x: {'PASS' if t_alpha / t_cov <= 2 else 'FAIL'})")
            print(f"CFA chisq={fit.fit_indices_['chisq']:.3f} df={fit.fit_indices_['df']:.0f} iterations={fit.n_iter_}")
    small = simulate(1000)
    t_small, _ = best(lambda: CFA(SCALES).fit(small), 10)
    print(f"fixed cost: CFA fit at n=1,000 takes {t_small * 1000:.1f} ms (parsing, optimiser, tables; "
          "not the data pass)")
    mobi = pd.read_csv(Path(__file__).resolve().parents[1] / "tests" / "reference" / "satisfaction" / "mobi.csv")
    from fusion_study.measurement.pls import PLSPathModel

    meas = {"Image": [f"IMAG{i}" for i in range(1, 6)], "Expectation": ["CUEX1", "CUEX2", "CUEX3"],
            "Quality": [f"PERQ{i}" for i in range(1, 8)], "Value": ["PERV1", "PERV2"],
            "Satisfaction": ["CUSA1", "CUSA2", "CUSA3"], "Complaints": ["CUSCO"],
            "Loyalty": ["CUSL1", "CUSL2", "CUSL3"]}
    paths = [("Image", "Expectation"), ("Image", "Satisfaction"), ("Image", "Loyalty"), ("Expectation", "Quality"),
             ("Expectation", "Value"), ("Expectation", "Satisfaction"), ("Quality", "Value"),
             ("Quality", "Satisfaction"), ("Value", "Satisfaction"), ("Satisfaction", "Complaints"),
             ("Satisfaction", "Loyalty"), ("Complaints", "Loyalty")]
    model = PLSPathModel(meas, paths).fit(mobi)
    t = time.perf_counter()
    model.bootstrap(5000, seed=1)
    t_boot = time.perf_counter() - t
    print(f"PLS bootstrap, 5000 resamples on mobi (percentile + BCa with jackknife): {t_boot:.2f} s "
          f"(target 3 s: {'PASS' if t_boot <= 3 else 'FAIL'})")
    jackknife_memory()
    print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
