"""Benchmark themes of open answers: 100,000 answers in <= 60 s on 2 cores (time and peak memory printed).

    .venv/bin/python benchmarks/bench_themes.py [N]

The answers are drawn by the simulator's free-text generator
(:func:`fusion_study.simulate.text.simulate_suggestions`: six themes, blanks, 无,
fake names and phone numbers) for N responses (default 100,000), then
``themes(texts, n_themes=6, seed=1)`` runs in a fresh subprocess (so the import
of scikit-learn and rjieba and the peak memory, ru_maxrss, are its own). Also
printed: the share of answers whose theme matches the generator's (Hungarian
assignment).
"""

from __future__ import annotations

import json
import subprocess
import sys

TARGET_S = 60.0

_CHILD = r"""
import json, resource, sys, time
import numpy as np, pandas as pd
from scipy.optimize import linear_sum_assignment
from fusion_study.simulate.text import simulate_suggestions
n = int(sys.argv[1])
rng = np.random.default_rng(5)
n_ret, n_waves = max(n // 2, 10), 12
tickets = pd.DataFrame({"retailer": rng.integers(0, n_ret, n_ret * 4), "wave_index": rng.integers(0, n_waves, n_ret * 4),
                        "category": rng.integers(0, 4, n_ret * 4)})
sim = simulate_suggestions(r_idx=rng.integers(0, n_ret, n), t_idx=rng.integers(0, n_waves, n),
                           quality=(rng.random(n) < 0.05).astype(int), tickets=tickets,
                           cust_branch=np.arange(n_ret) % 96, n_waves=n_waves, rng=np.random.default_rng(6))
texts = sim["raw"]  # unmasked: themes() masks them itself
t0 = time.perf_counter()
from fusion_study.survey.themes import themes
m = themes(texts, n_themes=6, seed=1)
t = time.perf_counter() - t0
lt = m.answer_theme_["theme"].to_numpy(dtype=float, na_value=np.nan)
tt = sim["theme"].to_numpy()
ok = (tt != "none") & ~np.isnan(lt)
ct = pd.crosstab(tt[ok], lt[ok]).to_numpy()
r, c = linear_sum_assignment(-ct)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"n": n, "themes_s": t, "peak_mb": peak, "accuracy": float(ct[r, c].sum() / ok.sum()),
                  "labels": m.themes_["label"].tolist(), "excluded": dict(zip(m.excluded_["reason"], m.excluded_["n"].astype(int).tolist()))},
                 ensure_ascii=False))
"""


def main(argv: list[str]) -> int:
    n = int(argv[0]) if argv else 100_000
    out = subprocess.run([sys.executable, "-c", _CHILD, str(n)], capture_output=True, text=True, check=True)
    r = json.loads(out.stdout.strip().splitlines()[-1])
    ok = r["themes_s"] <= TARGET_S
    print(f"themes of {r['n']:,} answers: {r['themes_s']:.1f} s (target <= {TARGET_S:.0f} s, import of sklearn/rjieba "
          f"and masking included), peak memory {r['peak_mb']:.0f} MB, accuracy vs generator {r['accuracy']:.3f}")
    print(f"excluded: {r['excluded']}")
    print("themes: " + "; ".join(r["labels"]))
    print("OK" if ok else "SLOWER THAN TARGET")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
