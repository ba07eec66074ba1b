"""Benchmark: member_profiles with bootstrap (10,000 members x 12 periods) and brand_distinctiveness (5,000 brands).

Run: .venv/bin/python benchmarks/bench_members.py
Targets (issue 7): member_profiles <= 10 s; brand_distinctiveness <= 10 s.
"""

from __future__ import annotations

import resource
import time

import numpy as np
import pandas as pd

from fusion_study.brands.distinctiveness import brand_distinctiveness
from fusion_study.members import DIMENSIONS, member_profiles


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _points(n_members=10_000, n_periods=12, seed=0):
    rng = np.random.default_rng(seed)
    periods = [f"{2022 + i // 4}Q{i % 4 + 1}" for i in range(n_periods)]
    ability = rng.normal(0, 1, n_members)
    m = np.repeat(np.arange(n_members), n_periods * len(DIMENSIONS))
    p = np.tile(np.repeat(np.arange(n_periods), len(DIMENSIONS)), n_members)
    d = np.tile(np.arange(len(DIMENSIONS)), n_members * n_periods)
    pts = 50 + 8 * ability[m] + rng.normal(0, 5, m.size)
    return pd.DataFrame(
        {
            "member_id": np.char.add("M", np.char.zfill(m.astype(str), 5)),
            "period": np.array(periods)[p],
            "dimension": np.array(DIMENSIONS)[d],
            "points": pts,
        }
    )


def _brands(n=5_000, seed=0):
    rng = np.random.default_rng(seed)
    places = [a + b for a in "青石高龙东湖白南北西金银" for b in "溪湖桥滩门田沙岭山港"]
    prods = ["茶乡", "橙乡", "竹乡", "稻香", "瓷韵", "米粉", "夏布", "油茶"]
    nouns = ["红管家", "暖心驿站", "连心桥", "便民站", "解忧铺", "致富帮"]
    generic = ["党旗引领 护航发展", "初心引领 服务先锋", "不忘初心 牢记使命"]
    rows = []
    for i in range(n):
        k = i % 3
        if k == 0:
            p, pr, no = places[rng.integers(len(places))], prods[rng.integers(8)], nouns[rng.integers(6)]
            rows.append((f"{p}{pr}·{no}", f"扎根{p} 做零售户的{no}"))
        elif k == 1:
            rows.append(("红色引擎", generic[rng.integers(3)]))
        else:
            rows.append(("星火先锋", "点滴满意 价值凝聚"))
    b = pd.DataFrame(rows, columns=["brand_name", "slogan"])
    b.insert(0, "branch_id", [f"B{i:05d}" for i in range(n)])
    b["launch_period"] = "2024Q1"
    return b


def main() -> None:
    mp = _points()
    t0 = time.perf_counter()
    prof = member_profiles(mp, n_boot=200, seed=1)
    t1 = time.perf_counter() - t0
    ok1 = t1 <= 10
    print(f"member_profiles: 10,000 members x 12 periods, 200 bootstrap replicates: {t1:.2f} s "
          f"(target <= 10 s) {'PASS' if ok1 else 'FAIL'}; rows={len(prof)}; peak RSS {_peak_mb():.0f} MB")
    b = _brands()
    t0 = time.perf_counter()
    res = brand_distinctiveness(b)
    t2 = time.perf_counter() - t0
    ok2 = t2 <= 10
    print(f"brand_distinctiveness: 5,000 brands: {t2:.2f} s (target <= 10 s) {'PASS' if ok2 else 'FAIL'}; "
          f"flags={res['flag'].value_counts().to_dict()}; peak RSS {_peak_mb():.0f} MB")


if __name__ == "__main__":
    main()
