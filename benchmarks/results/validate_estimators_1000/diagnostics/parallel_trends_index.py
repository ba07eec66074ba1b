"""Do parallel trends hold on the satisfaction index? (diagnostic; not part of the package)

For each simulated study (seed 20240101 + r, as validate-estimators), the *untreated* potential outcome of
every retailer and wave is rebuilt from the simulator's internals (it wraps ``generate.satisfaction_base``
and ``generate.true_att`` to capture them): latent ``S0 = S - tau`` without the occasion noise, its
expected index ``E[I(S0 + sat_occasion_sd * eps)]`` by 15-point Gauss-Hermite quadrature over ``eps``,
averaged over all the branch's retailers (not only the surveyed ones). CS-DiD (panel, not-yet-treated,
simple aggregation) on these branch x wave means estimates 0 exactly when parallel trends hold; its
mean over replications is the bias parallel-trend violations alone give. Done for the expected index,
the latent ``S0`` and the counterfactual ticket term ``K0``.

Usage: ``PT_PRESET=p_city PT_N=30 [PT_TREND=0.0] python parallel_trends_index.py`` (output: parallel_trends_index.txt;
``PT_TREND`` overrides the latent trend ``sat_trend``, default 0.02 as in the presets).
"""
import os, warnings, numpy as np, pandas as pd
import fusion_study.simulate.generate as gen
from fusion_study.simulate.measurement import satisfaction_index
from fusion_study.simulate.effects import _components
from fusion_study.simulate.presets import INTERVENTIONS
from fusion_study.effects.staggered import staggered_did
CAP = {}
_sb = gen.satisfaction_base
def sb(cfg, strength, cust_branch, cust_segment, F, bgrowth, rng):
    out = _sb(cfg, strength, cust_branch, cust_segment, F, bgrowth, rng)
    CAP.update(cfg=cfg, strength=strength, cust_branch=cust_branch, cust_segment=cust_segment, F=F, bgrowth=bgrowth, base=out)
    return out
_ta = gen.true_att
def ta(cfg, **kw):
    CAP.update(kw); return _ta(cfg, **kw)
gen.satisfaction_base = sb; gen.true_att = ta
nodes, weights = np.polynomial.hermite_e.hermegauss(15); weights = weights / weights.sum()
def one(r, preset):
    study, truth = gen.simulate_study(preset, seed=20240101 + r, sat_trend=float(os.environ.get("PT_TREND", "0.02")))
    k = CAP; cfg = k["cfg"]; S = k["S"]; nret, nt = S.shape
    base = k["base"]["S"]
    # deterministic part of base: recompute without eps
    shift = np.array([0.0, cfg.sat_rural, cfg.sat_modern_terminal])[k["cust_segment"]]
    from fusion_study.simulate.outcomes import segment_multiplier
    effects = np.array([cfg.effect(i) for i in INTERVENTIONS])
    direct_b = np.einsum("bit,i->bt", k["bgrowth"], effects)
    mult = segment_multiplier(cfg, k["cust_segment"])
    det = (shift[:, None] + cfg.sat_strength * k["strength"][k["cust_branch"]][:, None] + cfg.sat_retailer_sd * k["base"]["u"][:, None]
           + cfg.sat_trend * np.arange(nt)[None, :] + cfg.fusion_on_satisfaction * k["F"].mean(axis=1)[k["cust_branch"]]
           + mult[:, None] * direct_b[k["cust_branch"]])
    Ktot = S - base
    rr = np.repeat(np.arange(nret), nt); tt = np.tile(np.arange(nt), nret)
    b = k["cust_branch"][rr]
    comps = _components(cfg, k["bgrowth"], b, k["cust_segment"][rr], tt, (k["K"] - k["K0"])[rr, tt])
    tau = sum(sum(comps[n]) for n in INTERVENTIONS).reshape(nret, nt)
    m0 = det + Ktot - tau  # untreated mean, without occasion noise
    y0 = sum(w * satisfaction_index(m0 + cfg.sat_occasion_sd * z) for z, w in zip(nodes, weights))
    first = np.where(k["start"] > 0, k["start"], 99).min(axis=1); coh = np.where(first <= nt, first, 0)
    df = pd.DataFrame({"branch": np.repeat(np.arange(len(coh)), nt), "period": np.tile(np.arange(1, nt + 1), len(coh))})
    yb = np.zeros((len(coh), nt))
    np.add.at(yb, k["cust_branch"], y0); yb /= np.bincount(k["cust_branch"], minlength=len(coh))[:, None]
    df["y0"] = yb.reshape(-1); df["g"] = coh[df["branch"]]
    lb = np.zeros((len(coh), nt)); np.add.at(lb, k["cust_branch"], m0); lb /= np.bincount(k["cust_branch"], minlength=len(coh))[:, None]
    df["lat"] = lb.reshape(-1)
    kb = np.zeros((len(coh), nt)); np.add.at(kb, k["cust_branch"], k["K0"]); kb /= np.bincount(k["cust_branch"], minlength=len(coh))[:, None]
    df["k0"] = kb.reshape(-1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = [staggered_did(df, outcome=y, unit="branch", time="period", cohort="g").aggregate("simple")["estimate"].iloc[0] for y in ("y0", "lat", "k0")]
    return a
preset = os.environ.get("PT_PRESET", "p_city"); n = int(os.environ.get("PT_N", "30"))
vals = [one(r, preset) for r in range(n)]
v = np.array(vals)
for j, nm in enumerate(["index y0", "latent S0", "ticket K0 (latent)"]):
    print(preset, nm, "DiD on untreated population means: mean %.4f sd %.4f mcse %.4f" % (v[:, j].mean(), v[:, j].std(ddof=1), v[:, j].std(ddof=1)/np.sqrt(n)))
