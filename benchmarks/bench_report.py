"""Benchmark: ``fusion-study report`` on the bundled example study (target ≤ 30 s on 2 cores).

Run: ``.venv/bin/python benchmarks/bench_report.py``
"""

from __future__ import annotations

import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_S = 30.0


def main() -> int:
    from fusion_study.data.paths import example_study_path

    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-m", "fusion_study", "report", str(example_study_path()), "--out", tmp],
            capture_output=True, text=True,
        )
        seconds = time.perf_counter() - t0
        out = Path(tmp)
        n_fig = len(list((out / "figures").glob("*.png")))
        n_tab = len(list((out / "tables").glob("*.docx")))
        size_kb = (out / "report.html").stat().st_size / 1024 if (out / "report.html").exists() else 0
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    ok = proc.returncode == 0 and seconds <= TARGET_S
    print(f"fusion-study report data/example: {seconds:.1f} s (target <= {TARGET_S:.0f} s), "
          f"peak {peak_mb:.0f} MB, exit {proc.returncode}")
    print(f"  {n_fig} figures, {n_tab} tables, report.html {size_kb:.0f} KB")
    if proc.returncode:
        print(proc.stderr[-2000:])
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
