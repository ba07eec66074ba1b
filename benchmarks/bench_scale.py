"""Scale: validation and exposure building on large Parquet logs, DuckDB (lazy) path against the pandas path.

Two studies, each measured once per path in a fresh process (so peak memory is that path's own):

* ``province`` — the ``province`` simulation preset (300,000 retailers by default; ``--province-retailers``),
  saved as Parquet with the log tables (activities, tickets, member points, evaluations) hive-partitioned by
  county (``<table>/county_id=…/*.parquet``);
* ``synthetic`` — an activities log of ``--rows`` rows (10^7 by default) in parts of 10^6 rows, generated
  chunk by chunk with a fixed seed (numpy + pyarrow), beside a matching units / customers / members roster.

For each path it prints the seconds and rows per second of loading, of validation (every rule, as
``Study.validate``) and of the exposure aggregates (``team_contacts`` + ``ticket_counts``), and the peak
resident memory of the process (``getrusage``: includes DuckDB's native memory). The pandas path is the
same study loaded with ``lazy=False`` (every table in pandas). Run:

    nice -n 10 python benchmarks/bench_scale.py --rows 10000000 --out benchmarks/results/bench_scale
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

SEED = 20240101
PART_ROWS = 1_000_000
LOGS = ("activities", "tickets", "member_points", "evaluations")


# ---------------------------------------------------------------------------------------------- data
def write_province(folder: Path, n_retailers: int, seed: int) -> Path:
    import duckdb

    from fusion_study import simulate_study

    if (folder / "study.json").exists():
        return folder
    out = simulate_study(preset="province", seed=seed, n_retailers=n_retailers)
    study = out[0] if isinstance(out, tuple) else out
    folder.mkdir(parents=True, exist_ok=True)
    logs = {n: study.tables.pop(n) for n in LOGS if n in study.tables}
    study.save(folder, format="parquet")
    county = study.customers[["customer_id", "county_id"]]
    branch_county = study.units.loc[study.units["level"] == "branch", ["unit_id", "parent_id"]]
    members = study.members[["member_id", "branch_id"]].merge(
        branch_county.rename(columns={"unit_id": "branch_id", "parent_id": "county_id"}), on="branch_id")
    con = duckdb.connect()
    con.execute("SET threads = 1")  # one writer thread: the same files every run
    con.register("county", county)
    con.register("mcounty", members[["member_id", "county_id"]])
    for name, df in logs.items():
        con.register(name, df.reset_index(drop=True))
        key = "customer_id" if "customer_id" in df.columns else "member_id"
        ref = "county" if key == "customer_id" else "mcounty"
        con.execute(f"COPY (SELECT l.*, r.county_id FROM {name} l LEFT JOIN {ref} r USING ({key}) "
                    f"ORDER BY r.county_id, l.{df.columns[0]}) TO '{(folder / name).as_posix()}' "
                    "(FORMAT parquet, PARTITION_BY (county_id))")
    return folder


def write_synthetic(folder: Path, n_rows: int, seed: int) -> Path:
    """Units, customers, members and an activities log of ``n_rows`` rows in parts of 10^6 (fixed seed)."""
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    done = folder / "study.json"
    if done.exists() and json.loads(done.read_text())["rows"] == n_rows:
        return folder
    (folder / "activities").mkdir(parents=True, exist_ok=True)
    for old in (folder / "activities").glob("*.parquet"):
        old.unlink()
    n_county, n_branch, n_cust, n_mem = 50, 200, 300_000, 20_000
    counties = [f"K{i:03d}" for i in range(n_county)]
    branches = [f"B{i:04d}" for i in range(n_branch)]
    units = pd.DataFrame({
        "unit_id": ["CITY", *counties, *branches],
        "name": ["市局", *[f"县局{i}" for i in range(n_county)], *[f"支部{i}" for i in range(n_branch)]],
        "level": ["city"] + ["county"] * n_county + ["branch"] * n_branch,
        "parent_id": [None] + ["CITY"] * n_county + [counties[i % n_county] for i in range(n_branch)],
    })
    rng = np.random.default_rng([seed, 0])
    b = rng.integers(0, n_branch, n_cust)
    customers = pd.DataFrame({
        "customer_id": [f"R{i:07d}" for i in range(n_cust)],
        "county_id": [counties[i % n_county] for i in b], "branch_id": [branches[i] for i in b],
        "segment": rng.choice(["urban", "rural", "modern_terminal"], n_cust), "size_tier": "small"})
    members = pd.DataFrame({
        "member_id": [f"M{i:06d}" for i in range(n_mem)], "branch_id": [branches[i % n_branch] for i in range(n_mem)],
        "role": "member", "position": "customer_manager", "joined_year": 2000})
    for name, df in (("units", units), ("customers", customers), ("members", members)):
        df.to_parquet(folder / f"{name}.parquet", index=False)
    teams = pa.array(["publicity_team", "vanguard_team", "cloud_team"])
    kinds = pa.array(["visit", "guidance", "store_image", "publicity", "policy_briefing", "livestream", "short_video"])
    start = np.datetime64("2022-01-01")

    def ids(prefix, numbers, width):
        text = pc.utf8_lpad(pc.cast(pa.array(numbers), pa.string()), width, "0")
        return pc.binary_join_element_wise(prefix, text, "")

    for k, lo in enumerate(range(0, n_rows, PART_ROWS)):
        n = min(PART_ROWS, n_rows - lo)
        r = np.random.default_rng([seed, k + 1])
        member = r.integers(0, n_mem, n)
        table = pa.table({
            "activity_id": ids("A", np.arange(lo, lo + n), 10),
            "date": pa.array(start + r.integers(0, 3 * 365, n).astype("timedelta64[D]")),
            "team": pc.take(teams, pa.array(r.integers(0, 3, n))),
            "kind": pc.take(kinds, pa.array(r.integers(0, 7, n))),
            "customer_id": ids("R", r.integers(0, n_cust, n), 7),
            "member_id": pc.if_else(pa.array(r.random(n) < 0.05), pa.nulls(n, pa.string()), ids("M", member, 6)),
        })
        pq.write_table(table, folder / "activities" / f"part-{k:04d}.parquet")
    done.write_text(json.dumps({"name": "synthetic", "rows": n_rows}))
    return folder


# ----------------------------------------------------------------------------------------- measuring
def measure(folder: Path, lazy: bool) -> dict:
    """Load, validate and aggregate one study in this process; return timings and peak memory."""
    from fusion_study import load_study
    from fusion_study.data.aggregates import team_contacts, ticket_counts

    t0 = time.perf_counter()
    study = load_study(folder, lazy=lazy)
    t1 = time.perf_counter()
    log_rows = sum(len(study.tables[n]) for n in LOGS if n in study.tables)
    report = study.validate()
    t2 = time.perf_counter()
    agg_rows = 0
    if "activities" in study:
        agg_rows += len(study.activities)
        team_contacts(study.activities)
    if "tickets" in study:
        agg_rows += len(study.tickets)
        ticket_counts(study.tickets)
    t3 = time.perf_counter()
    return {"log_rows": log_rows, "load_s": t1 - t0, "validate_s": t2 - t1, "problems": len(report.problems),
            "agg_rows": agg_rows, "exposures_s": t3 - t2,
            "peak_rss_mb": peak_rss_mb()}


def peak_rss_mb() -> float:
    """Peak resident memory of this process in MB: ``VmHWM`` (Linux; reset by exec, unlike ``ru_maxrss``,
    which a child inherits from the parent that forked it), else ``getrusage``."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _in_subprocess(folder: Path, lazy: bool) -> dict:
    cmd = [sys.executable, __file__, "--measure", str(folder), "--lazy", str(int(lazy))]
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode != 0:
        return {"error": (res.stderr.strip().splitlines() or ["failed"])[-1]}
    return json.loads(res.stdout.strip().splitlines()[-1])


def _line(study: str, path: str, m: dict) -> str:
    if "error" in m:
        return f"{study:<10} {path:<7} failed: {m['error']}"
    rate = lambda rows, s: f"{rows / s:>12,.0f}" if s > 0 else f"{'-':>12}"  # noqa: E731
    return (f"{study:<10} {path:<7} {m['log_rows']:>12,} {m['load_s']:>8.1f} {m['validate_s']:>8.1f} "
            f"{rate(m['log_rows'], m['load_s'] + m['validate_s'])} {m['exposures_s']:>8.1f} "
            f"{rate(m['agg_rows'], m['exposures_s'])} {m['peak_rss_mb']:>9,.0f} {m['problems']:>8}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=10_000_000, help="rows of the synthetic activities log")
    ap.add_argument("--province-retailers", type=int, default=300_000, help="n_retailers of the province study")
    ap.add_argument("--skip-province", action="store_true")
    ap.add_argument("--pandas-max-rows", type=int, default=20_000_000,
                    help="skip the pandas path on the synthetic log above this many rows (it would not fit)")
    ap.add_argument("--work", type=Path, default=Path("out/bench_scale"), help="where the studies are written")
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--out", type=Path, default=None, help="folder for output.txt and results.json")
    ap.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--lazy", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.measure is not None:
        print(json.dumps(measure(args.measure, bool(args.lazy))))
        return 0
    import duckdb
    import pandas as pd

    lines = [f"bench_scale: python {platform.python_version()}, pandas {pd.__version__}, duckdb {duckdb.__version__}, "
             f"{platform.machine()}, seed {args.seed}",
             f"{'study':<10} {'path':<7} {'log rows':>12} {'load s':>8} {'valid. s':>8} {'rows/s l+v':>12} "
             f"{'expo. s':>8} {'rows/s expo':>12} {'peak MB':>9} {'problems':>8}"]
    print("\n".join(lines), flush=True)
    results = {}
    studies = []
    if not args.skip_province:
        studies.append(("province", write_province(args.work / "province", args.province_retailers, args.seed),
                        True))
    syn = write_synthetic(args.work / "synthetic", args.rows, args.seed)
    studies.append((f"synth {args.rows:.0e}", syn, args.rows <= args.pandas_max_rows))
    for name, folder, with_pandas in studies:
        for path, lazy in (("duckdb", True), ("pandas", False)):
            if path == "pandas" and not with_pandas:
                m = {"error": f"skipped above --pandas-max-rows {args.pandas_max_rows:,}"}
            else:
                m = _in_subprocess(folder, lazy)
            results[f"{name}/{path}"] = m
            lines.append(_line(name, path, m))
            print(lines[-1], flush=True)
    lines.append("rows/s l+v: log rows / (load + validation seconds); rows/s expo: activities + tickets rows / "
                 "seconds of team_contacts + ticket_counts; peak MB: maximum resident memory of the process.")
    print(lines[-1])
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "output.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
        (args.out / "results.json").write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
