"""Where does the distinctive − generic brand contrast's bias come from? A noise-free decomposition.

For replication r of the ``validate_brand_moderation.py`` design this script rebuilds the
simulator's latent satisfaction ``S`` of every sampled survey response (the first steps of
``simulate_study`` with the same random streams; checked against ``Truth.branch_satisfaction`` to
1e-9) and splits it into

* ``B`` — the brand's own effect (direct + through fusion; 0 unless distinctive),
* ``O`` — the co-timed interventions' effects (teams, platform, problem mechanism incl. its ticket
  channel),
* ``T`` — the common latent trend ``sat_trend * (t - 1)``,
* the rest (baseline, branch strength, retailer and occasion noise, pre-mechanism tickets).

The outcome is the index's expectation given ``S`` (``satisfaction_index``: no item noise, no
screening). ``brand_type_moderation(method="csdid")`` is linear in the outcome, so its
distinctive − generic contrast of ``I(S)`` is exactly the sum of its contrasts of the telescoping
pieces (order brand, others, trend)::

    I(S) = [I(S) - I(S-B)] + [I(S-B) - I(S-B-O)] + [I(S-B-O) - I(S-B-O-T)] + I(S-B-O-T)
            brand's own       co-timed others      trend                   rest

and the truth is the mean of ``I(S) - I(S-B)`` over the distinctive post-launch responses (as
``Truth.brand_effects``, without screening). The other order (trend before others) is also shown.

Usage (about 3 s per replication on one core)::

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 nice -n 10 .venv/bin/python \\
        benchmarks/diagnose_brand_contrast.py --reps 40 --jobs 2 [--set NAME=VALUE ...]
"""

from __future__ import annotations

import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _montecarlo as mc  # noqa: E402
from _montecarlo import DESIGN, SEED  # noqa: E402

PIECES = ("brand", "others", "trend", "rest")


def _latent(seed: int, overrides: dict) -> dict:
    """The simulator's latent draws (``draw_latent``, the first steps of ``simulate_study``): S and its pieces."""
    from fusion_study.simulate.generate import draw_latent
    from fusion_study.simulate.outcomes import segment_multiplier
    from fusion_study.simulate.presets import INTERVENTIONS
    from fusion_study.simulate.rollout import BRAND_TYPES

    d = draw_latent("p_city", seed, **{**DESIGN, **overrides})
    cfg, org, start, brand_type, bgrowth, K, K0, periods = d.cfg, d.org, d.start, d.brand_type, d.bgrowth, d.K, d.K0, d.periods
    S_all = d.S
    r, t = d.r_idx, d.t_idx
    b = org.cust_branch[r]
    mult = segment_multiplier(cfg, org.cust_segment[r])
    theta_lift = cfg.fusion_on_satisfaction * cfg.fusion_lift
    per_i = [(mult * cfg.effect(name) + theta_lift) * bgrowth[b, i, t] for i, name in enumerate(INTERVENTIONS)]
    ib = INTERVENTIONS.index("brand")
    B = per_i[ib]
    O = sum(p for i, p in enumerate(per_i) if i != ib) + (K - K0)[r, t]
    T = cfg.sat_trend * t
    cohort = start[b, ib].astype(float)
    return {"S": S_all[r, t], "B": B, "O": O, "T": T, "period": t + 1.0, "branch": org.branch_ids[b],
            "cohort": cohort, "type": np.asarray(BRAND_TYPES, dtype=object)[brand_type[b]],
            "S_branch": (S_all, org.cust_branch, org.branch_ids, periods)}


def one_replication(r: int, seed: int = SEED, overrides: dict | None = None, check: bool = False) -> dict:
    from fusion_study.brands.moderation import brand_type_moderation
    from fusion_study.simulate.measurement import satisfaction_index as I

    overrides = overrides or {}
    z = _latent(seed + r, overrides)
    if check:  # the rebuilt S equals the simulator's (mean latent satisfaction by branch x wave)
        from fusion_study.simulate import simulate_study

        _, truth = simulate_study("p_city", seed=seed + r, **{**DESIGN, **overrides})
        S_all, cb, ids, periods = z["S_branch"]
        bs = truth.branch_satisfaction
        mine = pd.DataFrame(S_all).groupby(ids[cb]).mean()
        mine.columns = periods
        got = mine.stack().rename("mine").rename_axis(["branch_id", "period"]).reset_index()
        m = bs.merge(got, on=["branch_id", "period"])
        assert len(m) == len(bs) and np.allclose(m["satisfaction"], m["mine"], atol=1e-9), "rebuild differs"
    S, B, O, T = z["S"], z["B"], z["O"], z["T"]
    y = {"total": I(S), "brand": I(S) - I(S - B), "others": I(S - B) - I(S - B - O),
         "trend": I(S - B - O) - I(S - B - O - T), "rest": I(S - B - O - T),
         "trend_first": I(S - B) - I(S - B - T), "others_second": I(S - B - T) - I(S - B - T - O)}
    frame = pd.DataFrame({"response_id": np.arange(len(S)), "period": z["period"], "branch_id": z["branch"],
                          "cohort_brand": z["cohort"], "brand_type": z["type"], **y})
    post = (frame["cohort_brand"] > 0) & (frame["period"] >= frame["cohort_brand"])
    out = {"rep": r, "truth": float(frame.loc[post & (frame["brand_type"] == "distinctive"), "brand"].mean())}
    for name in y:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = brand_type_moderation(frame, outcome=name, method="csdid").set_index("term")
        out[name] = float(res.loc["distinctive_minus_generic", "estimate"])
    # satisfaction level (index) of the two types' post-launch responses: where on the curve they sit
    for ty in ("distinctive", "generic"):
        out[f"index_post_{ty}"] = float(frame.loc[post & (frame["brand_type"] == ty), "total"].mean())
    return out


def main(argv=None) -> int:
    ap = mc.parser(__doc__, reps=40)
    ap.set_defaults(out=None)
    a = ap.parse_args(argv)
    overrides = mc.simulator_overrides(a.overrides, DESIGN)
    t0 = time.time()
    one_replication(0, a.seed, overrides, check=True)
    print("rebuilt latent satisfaction matches the simulator's (replication 0)")
    rows = mc.run(one_replication, a.reps, a.jobs, a.seed, overrides)
    d = pd.DataFrame(rows)
    d["bias_total"] = d["total"] - d["truth"]
    d["brand_minus_truth"] = d["brand"] - d["truth"]
    cols = ["truth", "total", "bias_total", "brand", "brand_minus_truth", "others", "trend", "rest",
            "trend_first", "others_second", "index_post_distinctive", "index_post_generic"]
    s = pd.DataFrame({"mean": d[cols].mean(), "mc_se": d[cols].std() / np.sqrt(len(d))})
    pd.set_option("display.width", 200)
    print(f"CS-DiD distinctive - generic contrast of each piece, {len(d)} replications (index points):")
    print(s.round(3).to_string())
    mc.footer(t0)
    if a.out:  # one CSV of per-replication pieces
        a.out.parent.mkdir(parents=True, exist_ok=True)
        d.to_csv(a.out, index=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
