"""Power of a planned rollout, by simulating lean studies and running the several-interventions estimator.

* :func:`simulate_rollout_data` — one lean simulated survey for a rollout plan: retailer responses
  nested in branches and waves, a branch random effect giving the intraclass correlation, the
  plan's exposures and additive effects (optionally ramping up);
* :func:`rollout_power` — per intervention, the share of simulated studies whose confidence
  interval excludes 0 (the power), with the bias, coverage and width of the intervals of
  :func:`fusion_study.effects.several.several_interventions`.

The lean simulation is the part of :func:`fusion_study.simulate_study` the estimator sees — a
repeated cross-section of responses per branch and wave — and nothing else, so that hundreds of
studies run in a minute. Its scale is the *standardised response*: total variance 1 (``icc``
between branches, ``1 - icc`` within), so an effect size is in standard deviations of one response
(Cohen's d); multiply by a study's own outcome standard deviation to read it in points.
"""

from __future__ import annotations

import math
from typing import Mapping

import numpy as np
import pandas as pd

from fusion_study.data.checks import check_alpha
from fusion_study.planning.rollout import _exposures, _positive_int
from fusion_study.planning.samples import _number

__all__ = ["rollout_power", "simulate_rollout_data", "POWER_COLUMNS"]

#: Columns of :func:`rollout_power`, in order.
POWER_COLUMNS = (
    "intervention", "effect_size", "truth", "responses_per_branch", "icc", "reps", "n_estimated",
    "n_refused", "n_failed", "share_exposed_used", "power", "mcse_power", "mean_estimate", "bias", "mean_se", "sd_estimate",
    "coverage", "mean_ci_width",
)

OUTCOME = "outcome"


def _effects(effect_sizes, names: list) -> dict:
    """``{intervention: effect}`` from one number (every intervention) or a mapping naming each."""
    if isinstance(effect_sizes, Mapping):
        unknown = sorted(str(k) for k in effect_sizes if k not in names)
        if unknown:
            raise ValueError(f"effect_sizes names intervention(s) {unknown} that are not in the plan; "
                             f"the plan's interventions: {names}")
        missing = [k for k in names if k not in effect_sizes]
        if missing:
            raise ValueError(f"effect_sizes gives no effect for intervention(s) {missing}; give one number per "
                             f"intervention of the plan (0 for none), or one number for all")
        return {k: _number(f"effect_sizes[{k!r}]", effect_sizes[k]) for k in names}
    if isinstance(effect_sizes, (list, tuple, np.ndarray, pd.Series)):
        raise ValueError("effect_sizes must be one number (the same for every intervention) or a mapping "
                         f"{{intervention: effect}}; got a sequence {list(effect_sizes)!r}")
    x = _number("effect_sizes", effect_sizes)
    return {k: x for k in names}


def _design(plan: pd.DataFrame, waves: int | None):
    units, names, start, w = _exposures(plan, waves)
    if len(units) < 2:
        raise ValueError(f"rollout_power: the plan has {len(units)} branch; a rollout needs at least 2")
    return units, names, start, w


def _effect_matrix(start: np.ndarray, w: int, effects: np.ndarray, ramp: float) -> np.ndarray:
    """True effect of each intervention in each branch and wave: branch x wave x intervention."""
    with np.errstate(invalid="ignore"):
        e = np.arange(w, dtype=float)[None, :, None] - start[:, None, :]   # event time (NaN: never)
        on = e >= 0
    g = np.where(on, 1.0 - np.exp(-(np.nan_to_num(e) + 1.0) / ramp), 0.0) if ramp > 0 else on.astype(float)
    return g * effects[None, None, :]


def _simulate(start: np.ndarray, w: int, effects: np.ndarray, icc: float, m: int, ramp: float,
              rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Arrays of one lean study: branch index, wave, outcome and true effects (row x intervention), per response."""
    n_b = start.shape[0]
    branch = np.repeat(np.arange(n_b), w * m)
    wave = np.tile(np.repeat(np.arange(w), m), n_b)
    u = rng.normal(0.0, math.sqrt(icc), size=n_b)
    eps = rng.normal(0.0, math.sqrt(1.0 - icc), size=branch.size)
    tau = _effect_matrix(start, w, effects, ramp)[branch, wave, :]
    return branch, wave, u[branch] + tau.sum(axis=1) + eps, tau


def _simulate_cells(start: np.ndarray, w: int, tau: np.ndarray, icc: float, m: int,
                    rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One lean study as its branch-wave means: exactly the distribution of :func:`_simulate`'s cell means.

    The mean of ``m`` responses is ``u_b + τ_bw + ε̄_bw`` with ``ε̄_bw ~ N(0, (1 - ρ)/m)``. With equally many
    responses in every cell, the several-interventions estimator gives the same estimates and
    branch-clustered SEs on the cell means as on the responses (a test checks this to 1e-10), at a
    fraction of the cost.
    """
    n_b = start.shape[0]
    branch = np.repeat(np.arange(n_b), w)
    wave = np.tile(np.arange(w), n_b)
    u = rng.normal(0.0, math.sqrt(icc), size=n_b)
    eps = rng.normal(0.0, math.sqrt((1.0 - icc) / m), size=branch.size)
    return branch, wave, u[branch] + tau.sum(axis=2).reshape(-1) + eps


def simulate_rollout_data(plan: pd.DataFrame, *, effect_sizes, icc: float, responses_per_branch: int,
                          waves: int | None = None, ramp: float = 0.0,
                          seed: int | np.random.Generator | None = None) -> pd.DataFrame:
    """One lean simulated survey of a rollout: responses per branch and wave, with the plan's effects.

    Response ``i`` of branch ``b`` in wave ``w`` (waves ``0 … W-1`` of the plan) is

    ``y_ibw = u_b + Σ_k δ_k g(w - s_bk) 1[w >= s_bk] + ε_ibw``,
    ``u_b ~ N(0, ρ)``, ``ε_ibw ~ N(0, 1 - ρ)``,

    with ``s_bk`` the plan's start wave of intervention ``k`` in branch ``b``, ``δ_k`` its effect
    size and ``g(e) = 1 - exp(-(e + 1) / ramp)`` the ramp-up (``g = 1`` for ``ramp=0``; the
    simulator's ``effect_tau`` is such a ramp). New respondents every wave (a repeated
    cross-section, as the retailer survey is), no common trend (the estimator's wave effects
    absorb any).

    Parameters
    ----------
    plan : DataFrame
        ``unit_id``, ``intervention``, ``start_wave`` as from
        :func:`~fusion_study.planning.rollout.plan_rollout` (missing start wave: never).
    effect_sizes : float or dict
        The effect of each intervention at saturation, in standard deviations of one response:
        one number for all, or ``{intervention: effect}`` naming every intervention of the plan.
    icc : float
        Intraclass correlation ρ in [0, 1): the share of a response's variance between branches.
    responses_per_branch : int
        Responses per branch and wave ``m`` (``>= 1``).
    waves : int, optional
        Number of waves; default ``plan.attrs["waves"]``, else the latest start wave + 1.
    ramp : float, default 0
        Ramp-up time constant in waves (``>= 0``); 0: the full effect from the start wave on.
    seed : int, numpy Generator or None
        Randomness (one ``np.random.default_rng``).

    Returns
    -------
    pandas.DataFrame
        One row per response: ``branch_id``, ``period`` (wave + 1), ``outcome``, one
        ``cohort_<intervention>`` per intervention (start wave + 1, 0 = never: the convention of
        :func:`fusion_study.effects.study.exposures`) and ``true_effect_<intervention>`` (that
        intervention's true effect on the response).

    Validated against: the simulated ICC (one-way ANOVA) and effects match the inputs within Monte
    Carlo error (``tests/planning/test_planning_power.py``).

    Examples
    --------
    >>> from fusion_study.planning import plan_rollout
    >>> plan = plan_rollout([f"B{i}" for i in range(6)], interventions=["hotline"], waves=4, seed=1)
    >>> df = simulate_rollout_data(plan, effect_sizes=0.2, icc=0.1, responses_per_branch=5, seed=2)
    >>> df.shape, list(df.columns)
    ((120, 5), ['branch_id', 'period', 'outcome', 'cohort_hotline', 'true_effect_hotline'])
    """
    units, names, start, w = _design(plan, waves)
    eff = _effects(effect_sizes, names)
    rho = _number("icc", icc, low=0.0, high=1.0, high_open=True)
    m = _positive_int("responses_per_branch", responses_per_branch)
    ramp = _number("ramp", ramp, low=0.0)
    rng = np.random.default_rng(seed)
    branch, wave, y, tau = _simulate(start, w, np.array([eff[k] for k in names]), rho, m, ramp, rng)
    return _frame(units, names, start, branch, wave, y, tau)


def _frame(units, names, start, branch, wave, y, tau) -> pd.DataFrame:
    cohort = np.where(np.isnan(start), 0, start + 1).astype(np.int64)
    out = {"branch_id": np.asarray(units, dtype=object)[branch], "period": wave + 1, OUTCOME: y}
    for j, k in enumerate(names):
        out[f"cohort_{k}"] = cohort[branch, j]
    for j, k in enumerate(names):
        out[f"true_effect_{k}"] = tau[:, j]
    return pd.DataFrame(out)


def _estimator():
    """The analysis a study of the plan will get: the study layer's several-interventions fit."""
    from functools import partial

    from fusion_study.effects.several import several_interventions
    from fusion_study.effects.study import SEVERAL_MAX_EVENT

    return partial(several_interventions, max_event=SEVERAL_MAX_EVENT)


def _one_rep(r: int, seed_seq, units, names, start, w, tau, rho, m, alpha) -> list[dict]:
    """Simulate and estimate one study; one row per intervention (failures recorded, never dropped)."""
    rng = np.random.default_rng(seed_seq)
    branch, wave, y = _simulate_cells(start, w, tau, rho, m, rng)
    data = _frame(units, names, start, branch, wave, y, tau.reshape(-1, len(names)))
    rows = []
    try:
        res = _estimator()(data, outcome=OUTCOME, cohorts={k: f"cohort_{k}" for k in names}, unit="branch_id",
                           time="period", cluster="branch_id", alpha=alpha)
        eff = res.effects_
        overall = eff[eff["event_time"].isna()].set_index("intervention")
        error = ""
    except Exception as exc:  # noqa: BLE001 - recorded in the output, counted as a failed replication
        overall, error = None, f"{type(exc).__name__}: {exc}"
    for j, k in enumerate(names):
        row = {"replication": r, "intervention": k, "truth": _truth(start, w, tau, j), "estimate": math.nan,
               "se": math.nan, "ci_lower": math.nan, "ci_upper": math.nan, "identified": False, "n_used": 0,
               "error": error}
        if overall is not None and k in overall.index:
            o = overall.loc[k]
            row.update(estimate=float(o["estimate"]), se=float(o["se"]), ci_lower=float(o["ci_lower"]),
                       ci_upper=float(o["ci_upper"]), identified=bool(o["identified"]), n_used=int(o["n_obs"]))
        elif overall is not None:
            row["error"] = "the estimator returned no overall row for this intervention"
        rows.append(row)
    return rows


def _truth(start: np.ndarray, w: int, tau: np.ndarray, j: int) -> float:
    """The overall effect of intervention ``j``: its mean true effect over exposed branch-waves (= responses)."""
    with np.errstate(invalid="ignore"):
        on = np.arange(w)[None, :] >= start[:, j][:, None]
    return float(tau[:, :, j][on].mean()) if on.any() else math.nan


def _chunk(reps: list, seeds: list, **kw) -> list[dict]:
    out = []
    for r, s in zip(reps, seeds):
        out.extend(_one_rep(r, s, **kw))
    return out


def _run_parallel(tasks: list, n_jobs: int, dask: str | None) -> list:
    """Run joblib ``delayed`` tasks locally (``n_jobs`` processes) or on a Dask cluster (scheduler address)."""
    from joblib import Parallel, parallel_backend

    if dask:
        try:
            from dask.distributed import Client
        except ImportError as exc:
            raise ValueError("dask= needs the optional extra: pip install 'fusion_study[dask]' "
                             "(dask, distributed)") from exc
        with Client(dask) as client:  # noqa: F841 - registers the joblib 'dask' backend
            with parallel_backend("dask"):
                return Parallel(verbose=0)(tasks)
    return Parallel(n_jobs=n_jobs, verbose=0)(tasks)


def rollout_power(plan: pd.DataFrame, *, effect_sizes, icc: float, responses_per_branch: int, reps: int = 200,
                  seed: int | np.random.Generator | None = None, n_jobs: int = 1, dask: str | None = None,
                  alpha: float = 0.05, ramp: float = 0.0, waves: int | None = None,
                  replications: bool = False) -> pd.DataFrame:
    """Power, bias, coverage and interval width per intervention of a rollout plan, by simulation.

    Each of ``reps`` replications simulates a lean study of the plan
    (:func:`simulate_rollout_data`) and estimates every intervention's overall effect net of the
    others with :func:`fusion_study.effects.several.several_interventions` as the study layer fits
    it (event times from :data:`~fusion_study.effects.study.SEVERAL_MAX_EVENT` on pooled,
    branch-clustered jackknife standard errors, ``1 - alpha`` intervals with ``t(G - 1)``).

    Parameters
    ----------
    plan : DataFrame
        ``unit_id``, ``intervention``, ``start_wave`` (as from
        :func:`~fusion_study.planning.rollout.plan_rollout`).
    effect_sizes : float or dict
        Effect at saturation in standard deviations of one response: one number for all
        interventions or ``{intervention: effect}`` for each (0 gives the false-positive rate).
    icc : float
        Intraclass correlation of responses within branches, in [0, 1).
    responses_per_branch : int
        Survey responses per branch and wave.
    reps : int, default 200
        Simulated studies (``>= 2``). The Monte Carlo SE of a power ``p`` is ``sqrt(p(1-p)/reps)``.
    seed : int, numpy Generator or None
        Replication ``r`` uses child ``r`` of ``np.random.SeedSequence`` spawned from ``seed``, so
        the result is identical for any ``n_jobs`` and backend.
    n_jobs : int, default 1
        Worker processes (joblib); ``-1`` for all cores.
    dask : str, optional
        A Dask scheduler address: run the replications on that cluster (joblib's dask backend;
        needs the ``[dask]`` extra).
    alpha : float, default 0.05
        Significance level of the intervals.
    ramp : float, default 0
        Ramp-up time constant in waves (see :func:`simulate_rollout_data`).
    waves : int, optional
        Number of waves; default ``plan.attrs["waves"]``.
    replications : bool, default False
        Return the per-replication rows instead of the summary (see below).

    Returns
    -------
    pandas.DataFrame
        One row per intervention (plan order), columns :data:`POWER_COLUMNS`: ``intervention``,
        ``effect_size``; ``truth`` (mean true overall effect: the average effect over exposed
        responses, below ``effect_size`` during a ramp-up); ``responses_per_branch``, ``icc``,
        ``reps``; ``n_estimated`` (replications with an identified, finite estimate),
        ``n_refused`` (the estimator declined: not identified), ``n_failed`` (it raised);
        ``share_exposed_used`` (share of the exposed branch-waves the estimator could use: an
        exposed branch-wave in a wave where every branch already runs some intervention has no
        comparison and is left out — the truth still averages over all of them, so a ramp-up then
        shows as bias);
        ``power`` (share of **all** replications whose interval excludes 0 — a refused or failed
        replication detects nothing), ``mcse_power``; over the estimated replications:
        ``mean_estimate``, ``bias`` (mean of estimate − truth), ``mean_se``, ``sd_estimate``,
        ``coverage`` (share of intervals containing the truth), ``mean_ci_width`` (expected
        interval width). With ``replications=True``: one row per replication and intervention,
        ``replication``, ``intervention``, ``truth``, ``estimate``, ``se``, ``ci_lower``,
        ``ci_upper``, ``identified``, ``n_used`` (exposed branch-waves used), ``error`` (empty
        when the estimator ran).

    Notes
    -----
    Branch fixed effects remove the persistent between-branch variance, so with fresh
    respondents each wave an effect's precision is driven by the within-branch variance
    ``(1 - icc) / m`` of a branch-wave mean, by the number of branches and by how the starts are
    spread over waves. Branch-by-wave shocks (a bad quarter in one branch) are not simulated:
    they would lower the power.

    Validated against: the closed-form power of a two-period, two-group design
    (:func:`~fusion_study.planning.samples.power_two_means` on branch changes) within 3 Monte Carlo
    SEs, and coverage of 0.95 within Monte Carlo error (``tests/planning/test_planning_power.py``).

    Examples
    --------
    >>> from fusion_study.planning import plan_rollout
    >>> plan = plan_rollout([f"B{i}" for i in range(12)], interventions=["hotline", "visits"], waves=5, seed=1)
    >>> res = rollout_power(plan, effect_sizes=0.3, icc=0.1, responses_per_branch=10, reps=20, seed=3)
    >>> res[["intervention", "reps", "n_estimated"]]
      intervention  reps  n_estimated
    0      hotline    20           20
    1       visits    20           20
    """
    from joblib import delayed

    units, names, start, w = _design(plan, waves)
    eff = _effects(effect_sizes, names)
    rho = _number("icc", icc, low=0.0, high=1.0, high_open=True)
    m = _positive_int("responses_per_branch", responses_per_branch)
    n_reps = _positive_int("reps", reps, minimum=2)
    jobs = n_jobs if n_jobs == -1 else _positive_int("n_jobs", n_jobs)
    ramp = _number("ramp", ramp, low=0.0)
    alpha = check_alpha(alpha)
    if dask is not None and (not isinstance(dask, str) or not dask.strip()):
        raise ValueError(f"dask must be a Dask scheduler address such as 'tcp://127.0.0.1:8786', got {dask!r}")
    _estimator()  # a missing estimator is one clear ImportError now, not one per replication
    if isinstance(seed, np.random.Generator):
        seqs = seed.bit_generator.seed_seq.spawn(n_reps)
    else:
        seqs = np.random.SeedSequence(seed).spawn(n_reps)
    tau = _effect_matrix(start, w, np.array([eff[k] for k in names]), ramp)
    kw = dict(units=units, names=names, start=start, w=w, tau=tau, rho=rho, m=m, alpha=alpha)
    n_chunks = min(n_reps, max(1, 4 * (jobs if jobs > 0 else 8)) if (jobs != 1 or dask) else 1)
    bounds = np.linspace(0, n_reps, n_chunks + 1).astype(int)
    tasks = [delayed(_chunk)(list(range(a, b)), seqs[a:b], **kw) for a, b in zip(bounds[:-1], bounds[1:]) if b > a]
    parts = _run_parallel(tasks, jobs, dask)
    rows = pd.DataFrame([row for part in parts for row in part])
    rows = rows.sort_values(["replication"], kind="stable").reset_index(drop=True)
    if replications:
        return rows
    with np.errstate(invalid="ignore"):
        n_exposed = (np.arange(w)[None, :, None] >= start[:, None, :]).sum(axis=(0, 1))
    return _summarise(rows, names, eff, m, rho, n_reps, dict(zip(names, n_exposed.tolist())))


def _summarise(rows: pd.DataFrame, names: list, eff: dict, m: int, rho: float, n_reps: int,
               n_exposed: dict) -> pd.DataFrame:
    recs = []
    for k in names:
        r = rows[rows["intervention"] == k]
        failed = r["error"] != ""
        est = r[~failed & r["identified"] & np.isfinite(r["estimate"]) & np.isfinite(r["se"])]
        detected = ((est["ci_lower"] > 0) | (est["ci_upper"] < 0)).sum()
        p = detected / n_reps
        n_est = len(est)
        covered = ((est["ci_lower"] <= est["truth"]) & (est["truth"] <= est["ci_upper"])).mean() if n_est else math.nan
        recs.append({
            "intervention": k, "effect_size": eff[k], "truth": float(r["truth"].mean()),
            "responses_per_branch": m, "icc": rho, "reps": n_reps, "n_estimated": n_est,
            "n_refused": int((~failed & ~r["identified"]).sum()), "n_failed": int(failed.sum()),
            "share_exposed_used": est["n_used"].mean() / n_exposed[k] if n_est and n_exposed[k] else math.nan,
            "power": p, "mcse_power": math.sqrt(p * (1 - p) / n_reps),
            "mean_estimate": est["estimate"].mean() if n_est else math.nan,
            "bias": (est["estimate"] - est["truth"]).mean() if n_est else math.nan,
            "mean_se": est["se"].mean() if n_est else math.nan,
            "sd_estimate": est["estimate"].std(ddof=1) if n_est > 1 else math.nan,
            "coverage": float(covered),
            "mean_ci_width": (est["ci_upper"] - est["ci_lower"]).mean() if n_est else math.nan,
        })
    return pd.DataFrame(recs, columns=list(POWER_COLUMNS))
