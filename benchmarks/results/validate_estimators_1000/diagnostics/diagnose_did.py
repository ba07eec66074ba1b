"""Diagnose the CS-DiD coverage of the Monte Carlo (not part of the package; run from the repo root).

Usage: ``python diagnose_did.py FIRST STOP PRESET [setting=value ...]`` -- replications FIRST..STOP-1,
the same studies as ``validate-estimators`` (seed 20240101 + r), same screened frame and CS-DiD calls.
Per replication and estimator (RC clustered by branch / unclustered / clustered by retailer, branch x wave
panel) it writes ``att, se``, the simulator's truth and an *aligned* truth: the individual effects of the
responses in each post-treatment cell (g, t) the estimator actually uses, averaged per cell (panel: per
branch, then over branches) and weighted by the simple aggregation's cohort shares. The individual effects
are recomputed from the simulator's internals (it wraps ``generate.true_att`` to capture its inputs).
Output: ``diag_out/diag_<preset>_<first>_<stop>.csv`` and one file per replication in ``diag_out/parts_*``.
"""
import sys, warnings, numpy as np, pandas as pd
import fusion_study.simulate.generate as gen
from fusion_study.simulate.measurement import satisfaction_index
from fusion_study.effects.study import exposures
from fusion_study.effects.staggered import staggered_did

CAP = {}
_orig = gen.true_att
def _cap(cfg, **kw):
    CAP.clear(); CAP.update(kw); CAP["cfg"] = cfg
    return _orig(cfg, **kw)

def response_effects(study):
    k = CAP; r, t = k["r_idx"], k["t_idx"]; b = k["cust_branch"][r]
    from fusion_study.simulate.effects import _components
    from fusion_study.simulate.presets import INTERVENTIONS
    s = k["S"][r, t]
    comps = _components(k["cfg"], k["bgrowth"], b, k["cust_segment"][r], t, k["K"][r, t] - k["K0"][r, t])
    tot = sum(sum(comps[n]) for n in INTERVENTIONS)
    eff = satisfaction_index(s) - satisfaction_index(s - tot)
    return pd.Series(eff, index=study.customer_survey["response_id"].to_numpy())

def aligned(res, ex, eff, panel=False):
    at = res.att_gt_
    post = at[at["post"] & np.isfinite(at["estimate"])]
    # weights as the simple aggregation: pg by cohort
    if panel:
        units = ex.groupby("branch_id")["cohort_programme"].first()
        pg = units.value_counts(normalize=True)
    else:
        pg = ex["cohort_programme"].value_counts(normalize=True)
    e = ex.assign(eff=ex["response_id"].map(eff))
    vals, w = [], []
    for g, t in zip(post["group"], post["time"]):
        cell = e[(e["cohort_programme"] == g) & (e["period"] == t)]
        if panel:
            v = cell.groupby("branch_id")["eff"].mean().mean()
        else:
            v = cell["eff"].mean()
        vals.append(v); w.append(pg[g])
    w = np.array(w) / np.sum(w)
    return float(np.dot(w, vals))

def rep(r, preset="p_city", **ov):
    gen.true_att = _cap
    study, truth = gen.simulate_study(preset, seed=20240101 + r, **ov)
    eff = response_effects(study)
    tr = truth.overall_att("index"); target = float(tr.loc[tr["intervention"] == "programme", "att_index"].iloc[0])
    ex = exposures(study, screen=False).dropna(subset=["satisfaction", "branch_id"])
    flagged = set(truth.screening.loc[truth.screening["table"] == "customer_survey", "response_id"])
    ex = ex[~ex["response_id"].isin(flagged)]
    kw = dict(outcome="satisfaction", time="period", cohort="cohort_programme")
    out = []
    nbr = ex["branch_id"].nunique()
    nnever = ex.loc[ex["cohort_programme"] == 0, "branch_id"].nunique()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for cl in ("branch_id", None, "customer_id"):
            res = staggered_did(ex, unit="response_id", panel=False, cluster=cl, **kw)
            a = res.aggregate("simple").iloc[0]
            out.append(dict(rep=r, est="RC " + str(cl), att=a["estimate"], se=a["se"], truth=target,
                            aligned=aligned(res, ex, eff), G=nbr if cl != "customer_id" else ex["customer_id"].nunique(), never=nnever))
        panel = ex.groupby(["branch_id", "period"], as_index=False).agg(
            satisfaction=("satisfaction", "mean"), cohort_programme=("cohort_programme", "first"))
        n_per = panel.groupby("branch_id")["period"].transform("size")
        keepb = set(panel.loc[n_per == panel["period"].nunique(), "branch_id"])
        panel = panel[panel["branch_id"].isin(keepb)]
        res = staggered_did(panel, unit="branch_id", panel=True, **kw)
        a = res.aggregate("simple").iloc[0]
        out.append(dict(rep=r, est="panel", att=a["estimate"], se=a["se"], truth=target,
                        aligned=aligned(res, ex[ex["branch_id"].isin(keepb)], eff, panel=True), G=len(keepb), never=nnever))
    import os
    tag = "_".join([preset] + [f"{k}={v}" for k, v in ov.items()])
    os.makedirs(f"diag_out/parts_{tag}", exist_ok=True)  # partial results survive an interrupted run
    pd.DataFrame(out).to_csv(f"diag_out/parts_{tag}/{r}.csv", index=False)
    return out

if __name__ == "__main__":
    from joblib import Parallel, delayed
    start, stop, preset = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    ov = {}
    for a in sys.argv[4:]:
        k, v = a.split("="); ov[k] = type(getattr(__import__("fusion_study.simulate.presets", fromlist=["x"]).SimulationConfig(), k))(v)
    rows = Parallel(n_jobs=2)(delayed(rep)(r, preset, **ov) for r in range(start, stop))
    df = pd.DataFrame([x for rr in rows for x in rr])
    tag = "_".join([preset] + sys.argv[4:])
    df.to_csv(f"diag_out/diag_{tag}_{start}_{stop}.csv", index=False)
