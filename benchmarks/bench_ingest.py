"""Benchmark: read, validate and screen a 1,000,000-response, 20-item 问卷星 export.

    .venv/bin/python benchmarks/bench_ingest.py [--rows N]

Generates the export once into ``benchmarks/.cache/`` (git-ignored) as CSV
(UTF-8 with BOM, 按序号) and as Parquet, then times :func:`import_survey` on
each in a fresh subprocess (so peak memory is the import's alone).
Target (issue 2): ≤ 10 s and ≤ 2 GB peak memory on a 2-core machine.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

CACHE = Path(__file__).resolve().parent / ".cache"
TARGET_S, TARGET_MB = 10.0, 2048.0
N_MATRIX, PER_MATRIX = 5, 4  # 20 items


def bench_codebook() -> pd.DataFrame:
    rows = []
    for q in range(N_MATRIX):
        for j in range(PER_MATRIX):
            rows.append({
                "item_id": f"q{q + 2}_{j + 1}", "instrument": "customer_survey", "scale": f"s{q + 2}",
                "text_zh": f"题项{q + 2}-{j + 1}", "text_en": f"item {q + 2}-{j + 1}", "reverse": j == 3,
                "min": 1, "max": 7, "source_column": f"{q + 2}(子项{j + 1})",
                "options": "1=非常不同意;2=不同意;3=比较不同意;4=一般;5=比较同意;6=同意;7=非常同意",
            })
    return pd.DataFrame(rows)


def generate(n: int, seed: int = 20240101) -> tuple[Path, Path]:
    from fusion_study.ingest import wenjuanxing_frame

    CACHE.mkdir(exist_ok=True)
    csv, parquet = CACHE / f"wjx_{n}.csv", CACHE / f"wjx_{n}.parquet"
    if csv.exists() and parquet.exists():
        return csv, parquet
    rng = np.random.default_rng(seed)
    cb = bench_codebook()
    base = rng.integers(2, 7, size=(n, 1))
    answers = np.clip(base + rng.integers(-2, 3, size=(n, len(cb))), 1, 7)
    r = pd.DataFrame(answers, columns=cb["item_id"])
    r.insert(0, "customer_id", "R" + pd.Series(rng.permutation(n)).astype("string").str.zfill(7))
    r.insert(1, "submitted", pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 90 * 86400, n), unit="s"))
    r.insert(2, "duration_s", np.round(rng.lognormal(np.log(300), 0.4, n)))
    skip = rng.random((n, len(cb))) < 0.01
    r[cb["item_id"].tolist()] = r[cb["item_id"].tolist()].mask(skip)
    frame = wenjuanxing_frame(r, cb)
    frame.to_csv(csv, index=False, encoding="utf-8-sig", lineterminator="\r\n")
    frame.to_parquet(parquet, index=False)
    return csv, parquet


def measure(path: Path) -> None:
    from fusion_study.ingest import import_survey

    cb = bench_codebook()
    t0, c0 = time.perf_counter(), time.process_time()
    result = import_survey(path, cb)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    counts = result.counts()
    print(f"{path.suffix[1:]:8s} rows read {result.rows_read:>9,d}  kept {len(result.responses):>9,d}  "
          f"excluded {int(counts.loc[counts.outcome == 'excluded', 'n_rows'].iloc[0]):>7,d}  "
          f"problems {len(result.problems.problems):>3d}  wall {seconds:6.2f} s  cpu {cpu:6.2f} s  "
          f"peak {peak_mb:6.0f} MB  "
          f"{'PASS' if seconds <= TARGET_S and peak_mb <= TARGET_MB else 'FAIL'}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        measure(args.measure)
        return 0
    t0 = time.perf_counter()
    csv, parquet = generate(args.rows)
    print(f"export: {args.rows:,d} responses × 20 items (generated/cached in {time.perf_counter() - t0:.1f} s)")
    print(f"target: ≤ {TARGET_S:g} s and ≤ {TARGET_MB:g} MB peak per import (read + map + code + screen + validate)")
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} (wall time grows with other load; "
          "cpu time is this process's own)")
    for path in (csv, parquet):
        subprocess.run([sys.executable, __file__, "--measure", str(path)], check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
