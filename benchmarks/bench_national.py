"""Benchmark the streamed national preset: <= 20 minutes and <= 8 GB peak on 2 cores, >= 10^8 activity rows.

    nice -n 10 .venv/bin/python benchmarks/bench_national.py [--scale 0.05] [--profile] [--keep DIR]

Runs ``fusion-study simulate --preset national --out DIR`` in a fresh subprocess
(so ``ru_maxrss`` of the children is the simulation's own peak), then prints the
wall time, peak RSS, rows and parts per table (from ``study.json``) and the
output size. ``--scale f`` runs a fraction of the national size (counties,
retailers and survey responses times ``f``); ``--profile`` runs it in process
under cProfile (CPU time) and prints where the time goes. The data are written to a
temporary folder and deleted unless ``--keep DIR`` names where to keep them.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_S, TARGET_MB, TARGET_ACTIVITIES = 20 * 60.0, 8192.0, 10**8


def _scaled(scale: float) -> list[str]:
    if scale == 1.0:
        return []
    from fusion_study.simulate.presets import PRESETS

    p = PRESETS["national"]
    sets = {
        "n_counties": max(2, round(p["n_counties"] * scale)),
        "n_retailers": round(p["n_retailers"] * scale),
        "survey_per_wave": round(p["survey_per_wave"] * scale),
    }
    return [x for k, v in sets.items() for x in ("--set", f"{k}={v}")]


def _size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def _profile(out: Path, scale: float) -> None:
    import cProfile
    import pstats

    from fusion_study.cli import main as cli_main

    args = ["simulate", "--preset", "national", "--out", str(out), "--no-progress", *_scaled(scale)]
    prof = cProfile.Profile(time.process_time)  # CPU time: robust to the machine's other load
    t0 = time.process_time()
    prof.runcall(cli_main, args)
    print(f"profiled run at scale {scale:g}: {time.process_time() - t0:.1f} CPU s (under cProfile)")
    pstats.Stats(prof).sort_stats("cumulative").print_stats(35)


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--keep", type=Path, default=None)
    args = ap.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="bench_national_"))
    out = args.keep or tmp / "study"
    try:
        if args.profile:
            _profile(out, args.scale)
            return 0
        cmd = [sys.executable, "-c", "import sys; from fusion_study.cli import main; sys.exit(main(sys.argv[1:]))", "simulate", "--preset", "national", "--out", str(out),
               "--no-progress", *_scaled(args.scale)]  # fmt: skip
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        wall = time.perf_counter() - t0
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        peak_mb, cpu = usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime
        meta = json.loads((out / "study.json").read_text(encoding="utf-8"))
        size = _size(out)
        print(f"national preset, scale {args.scale:g}, seed {meta['simulated']['seed']}, "
              f"chunk_size {meta['simulated']['streamed']['chunk_size']:,} ({meta['simulated']['streamed']['chunks']} chunks)")
        print(f"wall time {wall:8.1f} s  (target <= {TARGET_S:g} s for the full preset: {'PASS' if wall <= TARGET_S else 'FAIL'})")
        print(f"CPU time  {cpu:8.1f} s  (user + system; the wall time also depends on the machine's other load)")
        print(f"peak RSS  {peak_mb:8.0f} MB (target <= {TARGET_MB:g} MB: {'PASS' if peak_mb <= TARGET_MB else 'FAIL'})")
        print(f"output    {size / 2**20:8.0f} MiB on disk")
        for name, rec in meta["tables"].items():
            print(f"  {name:16s} {rec['rows']:>13,} rows  {rec['parts']:>4} part(s)  {rec['path']}")
        n_act = meta["tables"]["activities"]["rows"]
        print(f"activities {n_act:,} rows (target >= {TARGET_ACTIVITIES * args.scale:,.0f} at this scale: "
              f"{'PASS' if n_act >= TARGET_ACTIVITIES * args.scale else 'FAIL'})")
        ok = wall <= TARGET_S and peak_mb <= TARGET_MB and n_act >= TARGET_ACTIVITIES * args.scale
        return 0 if ok else 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
