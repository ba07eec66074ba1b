"""Benchmark the simulator: p_city <= 3 s; province <= 60 s and <= 4 GB peak memory.

    .venv/bin/python benchmarks/bench_simulate.py [--save]

Each preset runs in a fresh subprocess so its peak memory (ru_maxrss) is its
own. ``--save`` also times writing the study as CSV (not part of the targets).
"""

from __future__ import annotations

import json
import subprocess
import sys

TARGETS = {"p_city": (3.0, None), "province": (60.0, 4096.0)}

_CHILD = r"""
import json, resource, sys, tempfile, time
t0 = time.perf_counter()
from fusion_study.simulate import simulate_study
t_import = time.perf_counter() - t0
t0 = time.perf_counter()
study, truth = simulate_study(sys.argv[1], seed=20240101)
t_sim = time.perf_counter() - t0
t_save = None
if sys.argv[2] == "1":
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as d:
        study.save(d)
        truth.save(d)
    t_save = time.perf_counter() - t0
rows = {k: len(v) for k, v in study.tables.items()}
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"simulate_s": t_sim, "save_s": t_save, "import_s": t_import, "peak_mb": peak, "rows": rows}))
"""


def main(argv: list[str]) -> int:
    save = "--save" in argv
    ok = True
    for preset, (max_s, max_mb) in TARGETS.items():
        out = subprocess.run(
            [sys.executable, "-c", _CHILD, preset, "1" if save else "0"],
            check=True,
            capture_output=True,
            text=True,
        )
        r = json.loads(out.stdout.strip().splitlines()[-1])
        passed = r["simulate_s"] <= max_s and (max_mb is None or r["peak_mb"] <= max_mb)
        ok &= passed
        total_rows = sum(r["rows"].values())
        print(f"{preset:9s} simulate {r['simulate_s']:6.2f} s (target <= {max_s:g} s)   "
              f"peak {r['peak_mb']:7.0f} MB" + (f" (target <= {max_mb:g} MB)" if max_mb else "")
              + f"   rows {total_rows:,}   {'PASS' if passed else 'FAIL'}")
        if r["save_s"] is not None:
            print(f"{'':9s} save as CSV {r['save_s']:6.2f} s (not a target)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
