"""The effect of each of several staggered interventions, net of the others (imputation estimator).

Branches launch several interventions within a few waves of each other. A one-intervention DiD
compares branches that already run the others, so its estimate carries their effects.
:func:`several_interventions` estimates each intervention's effect with the Borusyak–Jaravel–Spiess
(2024) imputation estimator extended to several additive treatments:

1. fit unit and period fixed effects (and optional covariates) by OLS on the observations exposed
   to **no** intervention;
2. impute ``Y(0)`` for every exposed observation, ``τ̂_it = Y_it − Ŷ_it(0)``;
3. regress ``τ̂`` over the exposed observations on the additive design of per-intervention
   event-time indicators ``1{k on, e_k = e}`` (event times pooled at ``max_event``), giving
   ``τ_k(e)``; the overall effect of ``k`` weights its event times ``e >= 0`` by their numbers of
   exposed observations.

Before reporting, each intervention's separating variation is checked
(:mod:`fusion_study.effects.identification`, the core shared with
:func:`fusion_study.planning.rollout.separability`); an intervention the data cannot separate is
refused (estimate ``NaN``, ``identified`` False, a reason in Chinese and English) rather than
given a biased number.
"""

from __future__ import annotations

import math
from typing import Iterable, Mapping

import numpy as np
import pandas as pd
from scipy import stats

from fusion_study.data.checks import check_alpha, check_choice, check_lang, require_columns
from fusion_study.effects.identification import RANK_TOL, alone_switch_ons, collinearity
from fusion_study.effects.twoway import TwoWayFE, group_sums, psd_pinv, sum_matrix

__all__ = ["several_interventions", "SeveralInterventions", "MAX_VIF", "VCOV_TYPES"]

#: An intervention whose overall effect has a variance inflation factor above this is refused:
#: its exposure overlaps so much with the others' that the estimate would be more than
#: ``sqrt(MAX_VIF)`` ≈ 3.2 times less precise than with separate timing (the usual rule of thumb).
MAX_VIF = 10.0

#: ``vcov=`` choices: ``"jackknife"`` (leave-one-cluster-out, the default: honest in few clusters)
#: and ``"cr1"`` (cluster-robust sandwich with ``G/(G-1)``, as diff-diff and R ``sandwich``).
VCOV_TYPES = ("jackknife", "cr1")

_EFFECT_COLUMNS = ["intervention", "event_time", "estimate", "se", "ci_lower", "ci_upper", "p_value", "n_obs",
                   "n_clusters", "identified", "note"]
_AGG_COLUMNS = ["intervention", "estimate", "se", "ci_lower", "ci_upper", "p_value", "n_obs", "n_clusters",
                "identified", "note"]
_ID_COLUMNS = ["intervention", "n_switch_alone", "n_exposed_alone", "vif", "condition_number", "identified",
               "reason_zh", "reason_en"]
_WHAT = "several_interventions"


def several_interventions(data: pd.DataFrame, *, outcome: str, cohorts, unit: str = "branch_id",
                          time: str = "period", cluster: str = "branch_id", max_event: int | None = None,
                          covariates: Iterable[str] | None = None, anticipation: int = 0,
                          alpha: float = 0.05, vcov: str = "jackknife") -> "SeveralInterventions":
    """Fit :class:`SeveralInterventions` (see there for parameters, outputs and assumptions).

    Examples
    --------
    >>> from fusion_study.data.paths import example_study_path
    >>> from fusion_study.data.study import load_study
    >>> from fusion_study.effects import exposures
    >>> ex = exposures(load_study(example_study_path()))
    >>> res = several_interventions(ex, outcome="satisfaction", cohorts=["cohort_brand", "cohort_points_platform"],
    ...                             max_event=0)
    >>> res.aggregate()[["intervention", "identified"]]
          intervention  identified
    0            brand        True
    1  points_platform        True
    """
    return SeveralInterventions(outcome=outcome, cohorts=cohorts, unit=unit, time=time, cluster=cluster,
                                max_event=max_event, covariates=covariates, anticipation=anticipation,
                                alpha=alpha, vcov=vcov).fit(data)


class SeveralInterventions:
    """Imputation estimator of several staggered, absorbing interventions (panel or repeated cross-section).

    Parameters
    ----------
    outcome : str
        Outcome column (numeric; rows where it is missing are left out and counted in ``excluded_``).
    cohorts : dict or list of str
        ``{"brand": "cohort_brand", ...}``, or a list of cohort columns named ``cohort_<name>``
        (the intervention is then ``<name>``). A cohort is the unit's first exposed period on the
        ``time`` scale (whole number), ``0`` = never; it must be constant within a unit
        (absorbing: an intervention starts once and stays on), as
        :func:`fusion_study.effects.exposures` produces.
    unit : str
        The level at which treatment varies and fixed effects are fitted (``"branch_id"``: for the
        survey, a repeated cross-section of retailers nested in branches; a panel id for a panel).
    time : str
        Consecutive period numbers (whole numbers).
    cluster : str
        Clusters for the standard errors (default the branch).
    max_event : int, optional
        Pool event times ``e >= max_event`` into one bin (reported at ``event_time = max_event``).
        ``None``: one bin per observed event time. ``0`` gives one static effect per intervention.
    covariates : list of str, optional
        Covariates in the step-1 model of ``Y(0)`` (time-varying controls; rows with a missing
        value are left out and counted).
    anticipation : int
        Periods before the start in which an intervention may already act (exposed, event times
        ``-anticipation … -1``); ``0`` = none.
    alpha : float
        Significance level: ``1 - alpha`` intervals with ``t(G - 1)`` critical values.
    vcov : {"jackknife", "cr1"}
        Standard errors. ``"jackknife"`` (default): leave-one-cluster-out jackknife of the whole
        two-step estimator, ``(G-1)/G Σ_g (θ̂_(-g) - θ̄)²`` for every reported estimate; the
        CR1 sandwich is too small with a few dozen clusters (the fit shrinks the residuals).
        ``"cr1"``: the cluster-robust sandwich with ``G/(G-1)`` (what diff-diff and R ``sandwich``
        give). See Notes.

    Attributes
    ----------
    effects_ : DataFrame
        One row per intervention and event time, then its overall row: ``intervention``,
        ``event_time`` (``<NA>`` = the overall effect over ``e >= 0``), ``estimate``, ``se``,
        ``ci_lower``, ``ci_upper``, ``p_value``, ``n_obs`` (exposed observations averaged over),
        ``n_clusters``, ``identified`` (bool), ``note``.
    identification_ : DataFrame
        One row per intervention: ``intervention``; ``n_switch_alone`` (units where it switches on,
        inside their observed window, in a period where no other intervention switches on);
        ``n_exposed_alone`` (observations where it is the only intervention on);
        ``vif`` (variance inflation of its overall effect by the overlap with the others in the
        step-3 design, 1 = no overlap, ``inf`` = not separable); ``condition_number`` (of the
        step-3 design with unit-length columns, the same in every row); ``identified``;
        ``reason_zh`` / ``reason_en`` (why it is or is not separable, in plain words).
    coef_ : Series
        ``τ̂_k(e)`` indexed by ``(intervention, event_time)`` (``NaN`` where not estimable).
    vcov_ : DataFrame
        Their covariance (jackknife or CR1, as ``vcov``; jackknife: ``NaN`` for a bin that some
        leave-one-cluster-out replicate cannot estimate).
    tau_ : DataFrame
        The imputed effects: ``row`` (index label in ``data``), ``unit``, ``time``, ``tau``.
    excluded_ : DataFrame
        ``reason, n_rows``: every row of ``data`` left out, with why.
    n_obs_, n_clusters_ : int
        Rows used (untreated + exposed) and clusters.

    Notes
    -----
    *Assumptions.* (1) Parallel trends: without any intervention, outcomes follow unit + period
    effects (+ covariates). (2) Additivity: an observation's effect is the sum of the effects of
    the interventions on, each depending only on its own event time — no interaction between
    interventions. (3) No spill-over between interventions or between units (a unit's outcome
    depends only on its own exposures). (4) No anticipation beyond ``anticipation`` periods.
    (5) Absorbing interventions (once on, stays on). (6) Effects of the *other* interventions that
    do not vary with the overlap: the overall effect of ``k`` equals the mean, over the rows where
    ``k`` is on (``e >= 0``), of ``τ̂`` minus the others' fitted ``τ̂_j(e_j)`` (OLS residuals sum to
    zero on each of ``k``'s bins); it is unbiased for the truth's average of ``k``'s own effects when
    each other intervention's effect at an event time is, on average, the same in the rows where
    ``k`` is on as in all its rows. Heterogeneous effects correlated with the rollout order (e.g. a
    brand effect only in strong, early branches) break this and bias the others slightly.

    *Inference.* The estimator is linear in ``Y``: ``β̂ = A Y``. Standard errors are
    cluster-robust, ``V = G/(G-1) Σ_g (Σ_{i∈g} a_i ε̂_i)(Σ_{i∈g} a_i ε̂_i)'`` with ``ε̂`` the
    step-1 residuals for untreated observations and ``τ̂ − Xβ̂`` for exposed ones (the
    stacked-estimating-equations sandwich of steps 1 and 3; ``vcov="cr1"``). Those residuals are
    shrunk by the fit (the leverage of the fixed effects and of the step-3 bins in few clusters),
    so CR1 standard errors run 10–20 % below the spread of the estimates in P-city-sized designs.
    The default ``vcov="jackknife"`` re-estimates everything without each cluster in turn
    (step-1 fixed effects, imputation, step 3, the count weights of the overall effects) and
    uses ``(G-1)/G Σ_g (θ̂_(-g) - θ̄)²`` (CV3). It is computed exactly without refits: when
    units are nested in clusters, each cluster's within-unit sums are subtracted from the step-1
    normal equations of the period/covariate coefficients and from the step-3 sums per design
    pattern (one pass over the rows, then a small solve per cluster); for clusters that cut across
    units its rows are subtracted from the full step-1 system and re-imputed. When leaving out some cluster makes an estimate
    unidentified (e.g. the only never-adopting branch), its SE is ``NaN`` and the note names
    that cluster. Intervals and p-values use ``t(G − 1)`` in both cases (Monte Carlo:
    ``benchmarks/validate_several.py``, results under ``benchmarks/results/validate_several_*``).

    *Refusals.* An intervention is not identified (all its rows ``NaN``) when it is never
    adopted; when every unit adopts it in the same period; when no exposed observation can be
    imputed; when it never switches on alone (always with another intervention); when its
    overall effect is not estimable from the step-3 design (rank deficiency: e.g. the same lag
    to another intervention everywhere, with separate event-time effects); or when its VIF
    exceeds :data:`MAX_VIF`. Exposed rows whose ``Y(0)`` cannot be imputed (their unit or period
    has no unexposed observation) are left out and counted in ``excluded_``.

    Validated against
    -----------------
    diff-diff 3.13 ``ImputationDiD`` (one intervention, mpdta panel): event-time and overall
    estimates to 1e-6; SEs to 1e-6 relative against its Theorem-3 variance with
    ``aux_partition="horizon"`` times ``sqrt(G/(G-1))`` (diff-diff applies no small-cluster factor;
    its default ``"cohort_horizon"`` residualises ``τ̂`` on cohort x event-time means instead of
    event-time means, 0.4 % smaller SEs on mpdta; with ``anticipation`` its overall ATT also averages
    the anticipation periods, ours only ``e >= 0``).
    R 4 ``lm`` + ``sandwich::vcovCL`` (two interventions, a hand data set, stacked estimating
    equations of steps 1 and 3, ``type="HC0"``, ``cadjust=TRUE``): estimates and SEs to 1e-8
    (both with ``vcov="cr1"``). Jackknife: equal to refits without each cluster to 1e-10 (clusters =
    units, coarser than units, and cutting across units; with and without covariates).
    """

    def __init__(self, *, outcome: str, cohorts, unit: str = "branch_id", time: str = "period",
                 cluster: str = "branch_id", max_event: int | None = None, covariates: Iterable[str] | None = None,
                 anticipation: int = 0, alpha: float = 0.05, vcov: str = "jackknife") -> None:
        self.outcome = outcome
        self.cohorts = cohorts
        self.unit = unit
        self.time = time
        self.cluster = cluster
        self.max_event = max_event
        self.covariates = covariates
        self.anticipation = anticipation
        self.alpha = alpha
        self.vcov = vcov

    def __repr__(self) -> str:
        names = list(_cohort_map(self.cohorts)) if _cohort_ok(self.cohorts) else self.cohorts
        return (f"SeveralInterventions(outcome={self.outcome!r}, interventions={names!r}, unit={self.unit!r}, "
                f"max_event={self.max_event!r})")

    # ------------------------------------------------------------------ fitting
    def fit(self, data: pd.DataFrame) -> "SeveralInterventions":
        """Estimate every intervention's effect on ``data`` (see the class docstring); returns ``self``."""
        alpha = check_alpha(self.alpha)
        check_choice("vcov", self.vcov, VCOV_TYPES)
        d = _Prepared(data, self)
        self.excluded_ = d.excluded
        names = d.names
        # ---- step 1: unit + period (+ covariate) model of Y(0) on the untreated observations
        fe, keep_t, why_t = d.step1()
        y_u, y_t = d.y[d.untreated], d.y[d.exposed][keep_t]
        rows_u = (d.ui[d.untreated], d.ti[d.untreated], d.x[d.untreated])
        rows_t = (d.ui[d.exposed][keep_t], d.ti[d.exposed][keep_t], d.x[d.exposed][keep_t])
        theta = fe.solve(*fe.rhs(*rows_u, y_u[:, None]))
        for reason, n in why_t:
            d.exclude(reason, n)
        self.excluded_ = d.excluded
        tau = y_t - fe.predict(*theta, *rows_t)[:, 0]
        eps_u = y_u - fe.predict(*theta, *rows_u)[:, 0]
        # ---- step 3: additive event-time design over the imputed exposed observations, held as its
        # distinct rows (patterns) and each row's pattern: z = patterns[pid], never the tall matrix
        on = d.on[d.exposed][keep_t]                # exposed x K
        ev = d.event[d.exposed][keep_t]
        cols = []                                   # (k index, bin)
        for k in range(len(names)):
            cols += [(k, int(b)) for b in np.unique(ev[on[:, k], k])]
        patterns, pid, count = _design_patterns(on, ev, cols)
        n_col = count @ patterns
        q = len(cols)
        pinv = (_design_pinv(patterns, count, n_col) / n_col[:, None] if q
                else np.zeros((0, len(patterns))))     # beta = pinv @ (tau summed by pattern)
        beta = pinv @ np.bincount(pid, weights=tau, minlength=len(patterns))
        eps_t = tau - (patterns @ beta)[pid]
        # ---- the linear map beta = A y and the cluster-robust covariance
        # exposed rows' weights a_t = pinv[:, pid]; the untreated rows': minus the step-1 projection of those
        cl_u, cl_t = d.cluster_codes[d.untreated], d.cluster_codes[d.exposed][keep_t]
        used = np.unique(np.concatenate([cl_u, cl_t]))
        g = len(used)
        if g < 2:
            raise ValueError(f"{_WHAT}: standard errors clustered by {self.cluster!r} need at least 2 clusters "
                             f"among the rows used; got {g}")
        n_cl = int(d.cluster_codes.max()) + 1
        theta_a = fe.solve(*fe.rhs(*rows_t, pinv.T, pid=pid))
        psi = (sum_matrix(cl_t, pid, eps_t, (n_cl, len(patterns))) @ pinv.T
               - fe.weighted_fit_sums(*theta_a, *rows_u, cl_u, eps_u, n_cl))
        vcov = g / (g - 1) * psi.T @ psi
        self._jack = None
        if self.vcov == "jackknife":
            self._jack = _Jackknife(fe, rows_u, y_u, cl_u, rows_t, y_t, cl_t, patterns, pid, d.cluster_labels[used])
            vcov = self._jack.vcov(q)
        # ---- contrasts: each event time, each overall effect (e >= 0 weighted by exposed counts)
        overall = np.zeros((len(names), q))
        for j, (k, b) in enumerate(cols):
            if b >= 0:
                overall[k, j] = n_col[j]
        n_overall = overall.sum(axis=1)
        overall = np.divide(overall, n_overall[:, None], out=np.zeros_like(overall), where=n_overall[:, None] > 0)
        zc = _gram_root(patterns, count)  # z'z without the tall z
        cond, vif_cols = collinearity(zc) if q else (math.inf, np.zeros(0))
        _, vif_overall = collinearity(zc, overall) if q else (math.inf, np.full(len(names), math.inf))
        vif_overall = np.where(n_overall > 0, vif_overall, math.inf)
        self._names, self._cols, self._beta, self._vcov, self._n_col = names, cols, beta, vcov, n_col
        self._dof = g - 1
        self._estimable = np.isfinite(vif_cols)
        self._t = stats.t.ppf(1 - alpha / 2, g - 1)
        # ---- identification table
        ident = _identification(d, n_overall, vif_overall, cond, zc / np.where(n_col > 0, n_col, 1.0), cols)
        self.identification_ = ident
        ok = ident["identified"].to_numpy()
        # ---- tidy effect table
        key = np.unique(cl_t.astype(np.int64) * len(patterns) + pid)   # (cluster, pattern) pairs present
        key_cl, key_pat = key // len(patterns), key % len(patterns)
        rows = []
        common = _common_notes(d, self)
        for k, name in enumerate(names):
            note_k = ident.loc[k, "reason_en"] if not ok[k] else common
            for j, (kk, b) in enumerate(cols):
                if kk != k:
                    continue
                n_clusters = len(np.unique(key_cl[patterns[key_pat, j] > 0]))
                est_ok = ok[k] and self._estimable[j]
                note = note_k if not ok[k] else (common if est_ok else "not separable at this event time "
                                                 "(its timing coincides with another intervention's)")
                if est_ok and n_clusters == 1:
                    note = "; ".join(x for x in ("rests on a single cluster: its SE is not reliable", note) if x)
                if est_ok and self.max_event is not None and b == self.max_event:
                    note = "; ".join(x for x in (f"event times >= {b} pooled", note) if x)
                rows.append(self._row(name, b, np.eye(q)[j] if est_ok else None, int(n_col[j]),
                                      n_clusters, bool(est_ok), note))
            on_k = (patterns @ (overall[k] > 0) > 0)[key_pat] if q else np.zeros(len(key), bool)
            rows.append(self._row(name, pd.NA, overall[k] if ok[k] else None, int(n_overall[k]),
                                  len(np.unique(key_cl[on_k])), bool(ok[k]), note_k, by_count=True))
        self.effects_ = _tidy(rows, _EFFECT_COLUMNS)
        idx = pd.MultiIndex.from_tuples([(names[k], b) for k, b in cols], names=["intervention", "event_time"])
        coef = np.where(self._estimable, beta, np.nan)
        self.coef_ = pd.Series(coef, index=idx, name="estimate")
        self.vcov_ = pd.DataFrame(vcov, index=idx, columns=idx)
        self.tau_ = pd.DataFrame({"row": d.index[d.exposed][keep_t], "unit": d.units[d.exposed][keep_t],
                                  "time": d.t[d.exposed][keep_t], "tau": tau})
        self.n_obs_ = int(len(y_u) + len(tau))
        self.n_clusters_ = int(g)
        return self

    def _row(self, name, event_time, contrast, n_obs, n_clusters, identified, note, by_count=False) -> dict:
        """One tidy row for ``contrast @ beta``; ``by_count``: its weights are the bins' exposed counts
        (recomputed in each jackknife replicate, as a refit would)."""
        est = se = lo = hi = p = np.nan
        if contrast is not None:
            est = float(contrast @ self._beta)
            if self._jack is None:
                se = float(np.sqrt(max(contrast @ self._vcov @ contrast, 0.0)))
            else:
                se, lost = self._jack.se(contrast, by_count)
                if lost is not None:
                    why = (f"leaving out cluster {lost} makes it unidentified, so it has no jackknife SE "
                           f"(vcov='cr1' gives one)")
                    note = "; ".join(x for x in (why, note) if x)
            lo, hi = est - self._t * se, est + self._t * se
            p = float(2 * stats.t.sf(abs(est / se), self._dof)) if se > 0 else np.nan
        return {"intervention": name, "event_time": event_time, "estimate": est, "se": se, "ci_lower": lo,
                "ci_upper": hi, "p_value": p, "n_obs": n_obs, "n_clusters": n_clusters, "identified": identified,
                "note": note}

    def _check_fitted(self) -> None:
        if not hasattr(self, "effects_"):
            raise RuntimeError("SeveralInterventions is not fitted yet; call .fit(data) first")

    # ------------------------------------------------------------------ outputs
    def aggregate(self, type: str = "simple") -> pd.DataFrame:
        """One row per intervention: its overall effect.

        ``type="simple"``: event times ``e >= 0`` weighted by their numbers of exposed
        observations (the simulator's ``truth`` estimand); ``"dynamic"``: the plain average of the
        event-time effects ``e >= 0`` (``NaN`` when one of them is not separable). Columns:
        ``intervention, estimate, se, ci_lower, ci_upper, p_value, n_obs, n_clusters, identified, note``.
        """
        self._check_fitted()
        check_choice("type", type, ("simple", "dynamic"))
        over = self.effects_[self.effects_["event_time"].isna()].reset_index(drop=True)
        if type == "simple":
            return over[_AGG_COLUMNS].copy()
        rows = []
        for k, name in enumerate(self._names):
            js = [j for j, (kk, b) in enumerate(self._cols) if kk == k and b >= 0]
            r = over.loc[k]
            ok = bool(r["identified"]) and bool(js) and bool(self._estimable[js].all())
            c = np.zeros(len(self._cols))
            c[js] = 1.0 / max(len(js), 1)
            note = r["note"] if ok or not r["identified"] else "an event-time effect is not separable"
            rows.append(self._row(name, pd.NA, c if ok else None, int(r["n_obs"]), int(r["n_clusters"]), ok, note))
        return _tidy(rows, _EFFECT_COLUMNS)[_AGG_COLUMNS]

    def to_frame(self) -> pd.DataFrame:
        """The event-time and overall effects (a copy of ``effects_``)."""
        self._check_fitted()
        return self.effects_.copy()

    def summary(self) -> pd.DataFrame:
        """Overall effects with the identification diagnostics: ``intervention, estimate, se, ci_lower,
        ci_upper, p_value, n_obs, identified, n_switch_alone, vif, reason_en``."""
        self._check_fitted()
        agg = self.aggregate("simple")
        ident = self.identification_[["intervention", "n_switch_alone", "vif", "reason_en"]]
        out = agg.drop(columns=["identified", "note", "n_clusters"]).merge(ident, on="intervention")
        out.insert(out.columns.get_loc("n_switch_alone"), "identified", agg["identified"].to_numpy())
        return out

    def __str__(self) -> str:
        self._check_fitted()
        head = (f"Several interventions (imputation estimator): outcome {self.outcome!r}, {self.n_obs_} rows, "
                f"{self.n_clusters_} clusters by {self.cluster!r}, {int(100 * (1 - self.alpha))}% intervals")
        with pd.option_context("display.width", 120, "display.max_columns", 20, "display.max_colwidth", 60):
            return head + "\n" + self.summary().round(4).to_string(index=False)

    def plot(self, ax=None, *, lang: str = "zh"):
        """Forest plot of the overall effects; interventions the data cannot separate are marked as such."""
        import matplotlib.pyplot as plt

        from fusion_study.reporting.fonts import ensure_cjk_font
        from fusion_study.reporting.labels import label

        self._check_fitted()
        check_lang(lang)
        if lang == "zh":
            ensure_cjk_font()
        agg = self.aggregate("simple")
        if ax is None:
            _, ax = plt.subplots(figsize=(6.4, 0.5 * len(agg) + 1.5))
        y = np.arange(len(agg))[::-1]
        ok = agg["identified"].to_numpy(bool)
        est = agg["estimate"].to_numpy(float)
        ax.errorbar(est[ok], y[ok], xerr=[est[ok] - agg["ci_lower"].to_numpy(float)[ok],
                                          agg["ci_upper"].to_numpy(float)[ok] - est[ok]],
                    fmt="o", color="#C44E52", capsize=3)
        refused = "无法与其他措施分开" if lang == "zh" else "not separable from the others"
        for yi in y[~ok]:
            ax.text(0, yi, refused, ha="center", va="center", color="0.35", fontsize=9,
                    bbox={"facecolor": "white", "edgecolor": "0.8", "boxstyle": "round,pad=0.2"})
        ax.axvline(0, color="0.4", lw=0.8)
        ax.set_yticks(y)
        ax.set_yticklabels([label(n, lang) for n in agg["intervention"]])
        ax.set_ylim(-0.7, len(agg) - 0.3)
        ax.set_xlabel(label("att_axis", lang))
        title = "各项措施的效果（扣除其他措施）" if lang == "zh" else "Effect of each intervention, net of the others"
        ax.set_title(title)
        return ax


# ---------------------------------------------------------------------- jackknife
class _Jackknife:
    """Leave-one-cluster-out replicates of the whole two-step estimator, computed exactly but cheaply.

    Leaving out cluster ``g`` changes the step-1 fit, the imputed ``τ̂`` of the exposed rows of the
    other clusters (those that are no longer imputable drop out, as in a refit) and step 3, which is
    solved on the distinct rows of its design weighted by their counts (the same minimum-norm
    solution and rank rule as the full fit). ``beta_[g]`` are the replicate coefficients (``NaN``
    where a bin has no row left), ``basis_[g]`` the row space of the replicate's scaled design.

    Two exact routes to the step-1 fit without ``g``:

    * units nested in clusters (a branch, or a county of branches): ``g`` takes its units away
      whole, so the other units' effects are their means given the period/covariate coefficients
      ``c``, and the normal equations of ``c`` lose ``g``'s within-unit sums ``M_g`` and ``r_g``:
      ``c_(-g) = (S - M_g)⁺ (r - r_g)``. Then ``τ̂_i = (y_i - ȳ_u) - h_i c_(-g)`` with ``h_i`` the
      row's centred period/covariate columns, and the step-3 sums per design pattern are the full
      sums less ``g``'s. The cost is one pass over the rows plus a small solve per cluster.
      When ``S - M_g`` loses rank (e.g. ``g`` holds every untreated row of some period), that
      replicate takes the general route;
    * otherwise (clusters that cut across units): the cluster's untreated rows are subtracted from
      the normal equations (:meth:`TwoWayFE.without`) and the exposed rows re-imputed.
    """

    def __init__(self, fe, rows_u, y_u, cl_u, rows_t, y_t, cl_t, patterns, pid, labels) -> None:
        self._patterns, self._n_pat = patterns, len(patterns)
        codes = np.unique(np.concatenate([cl_u, cl_t]))
        q = patterns.shape[1]
        self.labels = list(labels)
        self.beta_ = np.full((len(codes), q), np.nan)
        self.n_col_ = np.zeros((len(codes), q))
        self.basis_ = []
        nested = _NestedUpdate.build(fe, rows_u, y_u, cl_u, rows_t, y_t, cl_t, pid, len(patterns))
        for r, g in enumerate(codes):
            sums = nested.without(g) if nested is not None else None
            if sums is None:
                sums = self._general(fe, rows_u, y_u, cl_u, rows_t, y_t, cl_t, pid, g)
            self._step3(r, *sums)

    def _general(self, fe, rows_u, y_u, cl_u, rows_t, y_t, cl_t, pid, g):
        """Pattern counts and ``τ̂`` sums without cluster ``g``, by re-solving the reduced normal equations."""
        fe_g = fe.without(cl_u == g)
        keep_u = cl_u != g
        theta = fe_g.solve(*fe_g.rhs(*(a[keep_u] for a in rows_u), y_u[keep_u][:, None]))
        sel = np.flatnonzero(cl_t != g)
        rows = tuple(a[sel] for a in rows_t)
        ok = fe_g.imputable(*rows)
        sel = sel[ok]
        tau = y_t[sel] - fe_g.predict(*theta, *(a[ok] for a in rows))[:, 0]
        return (np.bincount(pid[sel], minlength=self._n_pat).astype(float),
                np.bincount(pid[sel], weights=tau, minlength=self._n_pat))

    def _step3(self, r: int, count: np.ndarray, tau_sum: np.ndarray) -> None:
        """Replicate ``r``'s step-3 coefficients from its pattern counts and ``τ̂`` sums."""
        patterns = self._patterns
        n_col = count @ patterns
        present = n_col > 0
        self.n_col_[r] = n_col
        if not present.any():
            self.basis_.append((present, np.zeros((0, 0))))
            return
        m = np.sqrt(count)[:, None] * patterns[:, present] / n_col[present]
        _, sv, vt = np.linalg.svd(m, full_matrices=False)
        keep = sv > RANK_TOL * sv[0]
        v, sv = vt[keep].T, sv[keep]
        ztau = patterns[:, present].T @ tau_sum
        gamma = v @ ((v.T @ (ztau / n_col[present])) / sv ** 2)
        self.beta_[r, present] = gamma / n_col[present]
        self.basis_.append((present, v))

    def values(self, contrast: np.ndarray, by_count: bool) -> tuple[np.ndarray, int | None]:
        """The contrast in each replicate (``NaN`` where it is not estimable) and the first such replicate."""
        out = np.full(len(self.basis_), np.nan)
        for r, (present, v) in enumerate(self.basis_):
            c = contrast.astype(float)
            if by_count:
                c = np.where(contrast > 0, self.n_col_[r], 0.0)
                if c.sum() <= 0:
                    continue
                c = c / c.sum()
            if np.any(c[~present] != 0):
                continue
            cs = c[present] / self.n_col_[r, present]          # the contrast on the scaled coefficients
            if v.size == 0 or np.linalg.norm(cs - v @ (v.T @ cs)) > 1e-8 * max(np.linalg.norm(cs), 1e-300):
                continue
            out[r] = c[present] @ self.beta_[r, present]
        bad = np.flatnonzero(np.isnan(out))
        return out, (int(bad[0]) if len(bad) else None)

    def se(self, contrast: np.ndarray, by_count: bool) -> tuple[float, object]:
        """``sqrt((G-1)/G Σ_g (θ_(-g) - θ̄)²)`` and, when a replicate cannot estimate it, that cluster."""
        vals, bad = self.values(contrast, by_count)
        if bad is not None:
            return math.nan, self.labels[bad]
        g = len(vals)
        return float(math.sqrt((g - 1) / g * np.sum((vals - vals.mean()) ** 2))), None

    def vcov(self, q: int) -> np.ndarray:
        """Jackknife covariance of the bin coefficients (``NaN`` for a bin some replicate cannot estimate)."""
        vals = np.column_stack([self.values(np.eye(q)[j], False)[0] for j in range(q)]) if q else \
            np.zeros((len(self.basis_), 0))
        g = len(vals)
        dev = vals - vals.mean(axis=0)
        return (g - 1) / g * dev.T @ dev


class _NestedUpdate:
    """The nested-clusters route of :class:`_Jackknife` (see there): per-cluster within-unit sums, then
    the step-1 coefficients and the step-3 pattern sums without each cluster by subtraction."""

    @classmethod
    def build(cls, fe, rows_u, y_u, cl_u, rows_t, y_t, cl_t, pid, n_pat) -> "_NestedUpdate | None":
        """The update, or ``None`` when some unit has rows in more than one cluster."""
        ui_u, ui_t = rows_u[0], rows_t[0]
        unit_cl = np.full(fe.nu, -1, dtype=np.int64)
        unit_cl[ui_u] = cl_u
        if np.any(unit_cl[ui_u] != cl_u) or np.any(unit_cl[ui_t] != cl_t):
            return None
        self = object.__new__(cls)
        self.fe, self.n_pat = fe, n_pat
        self.rank = fe.n_c - fe.null_c.shape[1] if fe.n_c else 0
        ybar = np.bincount(ui_u, weights=y_u, minlength=fe.nu) * fe.d_inv
        # untreated rows, centred within their unit, sorted by cluster: per-cluster M_g and r_g
        order = np.argsort(cl_u, kind="stable")
        cw = fe.centred(*(a[order] for a in rows_u))
        yw = (y_u - ybar[ui_u])[order]
        self.cl_u = cl_u[order]
        self.cw, self.yw = cw, yw
        self.r = cw.T @ yw
        # exposed rows: τ̂_i = τ0_i - h_i c, summed by (cluster, pattern)
        h = fe.centred(*rows_t)
        tau0 = y_t - ybar[ui_t]
        self.count_all = np.bincount(pid, minlength=n_pat).astype(float)
        self.t0_all = np.bincount(pid, weights=tau0, minlength=n_pat)
        self.h_all = group_sums(pid, h, n_pat)
        key = cl_t.astype(np.int64) * n_pat + pid
        ukey, inv = np.unique(key, return_inverse=True)
        inv = inv.ravel()
        self.key_cl, self.key_pat = ukey // n_pat, ukey % n_pat
        self.key_count = np.bincount(inv, minlength=len(ukey)).astype(float)
        self.key_t0 = np.bincount(inv, weights=tau0, minlength=len(ukey))
        self.key_h = group_sums(inv, h, len(ukey))
        return self

    def without(self, g) -> tuple[np.ndarray, np.ndarray] | None:
        """Pattern counts and ``τ̂`` sums without cluster ``g``; ``None`` when the step-1 fit without it
        loses rank (the general route then decides which rows stay imputable)."""
        fe = self.fe
        lo, hi = np.searchsorted(self.cl_u, [g, g + 1])
        cw, yw = self.cw[lo:hi], self.yw[lo:hi]
        s_g = fe.s - cw.T @ cw
        s_inv, null = psd_pinv((s_g + s_g.T) / 2)
        if fe.n_c and fe.n_c - null.shape[1] < self.rank:
            return None
        c = s_inv @ (self.r - cw.T @ yw)
        a, b = np.searchsorted(self.key_cl, [g, g + 1])
        pat = self.key_pat[a:b]
        count = self.count_all.copy()
        count[pat] -= self.key_count[a:b]
        t0 = self.t0_all.copy()
        t0[pat] -= self.key_t0[a:b]
        h = self.h_all.copy()
        h[pat] -= self.key_h[a:b]
        return count, np.where(count > 0, t0 - h @ c, 0.0)


# ---------------------------------------------------------------------- input
def _patterns(z: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The distinct rows of a 0/1 design ``z`` (n x k): ``(patterns, pid, count)``, ``z == patterns[pid]``."""
    k = z.shape[1]
    if k < 63:
        key = (z > 0) @ (np.int64(1) << np.arange(k, dtype=np.int64))
        _, first, pid = np.unique(key, return_index=True, return_inverse=True)
        patterns = z[first]
    else:
        patterns, pid = np.unique(z, axis=0, return_inverse=True)
    pid = np.asarray(pid).ravel()
    return patterns, pid, np.bincount(pid, minlength=len(patterns)).astype(float)


def _design_patterns(on: np.ndarray, ev: np.ndarray, cols: list) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`_patterns` of the step-3 design ``z[:, j] = on[:, k] & (ev[:, k] == b)`` for ``cols[j] = (k, b)``,
    from each row's bit key (bit ``j`` = column ``j``) when there are fewer than 63 columns, without ``z``."""
    q = len(cols)
    if q >= 63:
        z = np.zeros((len(on), q))
        for j, (k, b) in enumerate(cols):
            z[:, j] = on[:, k] & (ev[:, k] == b)
        return _patterns(z)
    key = np.zeros(len(on), dtype=np.int64)
    for k in range(on.shape[1]):
        js = [j for j, (kk, _) in enumerate(cols) if kk == k]
        if js:
            hit = np.flatnonzero(on[:, k])
            bins = np.array([cols[j][1] for j in js])
            key[hit] |= np.int64(1) << (js[0] + np.searchsorted(bins, ev[hit, k])).astype(np.int64)
    ukey, pid = np.unique(key, return_inverse=True)
    pid = np.asarray(pid).ravel()
    patterns = ((ukey[:, None] >> np.arange(q, dtype=np.int64)) & 1).astype(float)
    return patterns, pid, np.bincount(pid, minlength=len(patterns)).astype(float)


def _gram_root(patterns: np.ndarray, count: np.ndarray) -> np.ndarray:
    """A matrix ``m`` with ``m'm = z'z`` and at least k rows (``sqrt(count) * pattern``, zero rows added):
    the same column norms, singular values and right singular vectors as ``z`` (for
    :func:`~fusion_study.effects.identification.collinearity`) without the tall matrix."""
    m = np.sqrt(count)[:, None] * patterns
    short = patterns.shape[1] - len(m)
    return np.vstack([m, np.zeros((short, m.shape[1]))]) if short > 0 else m


def _design_pinv(patterns: np.ndarray, count: np.ndarray, n_col: np.ndarray) -> np.ndarray:
    """``pinv(z / n_col)`` for the 0/1 design ``z = patterns[pid]``, from its distinct rows: the
    columns of the distinct rows (``pinv(z / n_col) = result[:, pid]``).

    The SVD is taken of ``sqrt(count) * pattern / n_col`` (same right singular vectors and
    singular values as ``z / n_col``); then ``pinv = V S^-2 V' (z / n_col)'`` with the singular
    values at or below ``RANK_TOL`` times the largest dropped, as
    ``numpy.linalg.pinv(z / n_col, rcond=RANK_TOL)`` does: the same numbers to rounding
    (tests/effects/test_several.py), without an SVD of the tall matrix.
    """
    scaled = patterns / n_col
    _, sv, vt = np.linalg.svd(np.sqrt(count)[:, None] * scaled, full_matrices=False)
    keep = sv > RANK_TOL * sv[0]
    v = vt[keep].T
    return (v / sv[keep] ** 2) @ (v.T @ scaled.T)


def _cohort_ok(cohorts) -> bool:
    try:
        _cohort_map(cohorts)
        return True
    except (TypeError, ValueError):
        return False


def _cohort_map(cohorts) -> dict:
    """``{intervention: cohort column}`` from a dict, a list of ``cohort_<name>`` columns or one column."""
    if isinstance(cohorts, str):
        cohorts = [cohorts]
    if isinstance(cohorts, Mapping):
        out = {str(k): v for k, v in cohorts.items()}
    elif isinstance(cohorts, Iterable):
        cols = list(cohorts)
        out = {(c[len("cohort_"):] if isinstance(c, str) and c.startswith("cohort_") else str(c)): c for c in cols}
        if len(out) < len(cols):
            raise ValueError(f"{_WHAT}: cohorts= repeats an intervention: {cols}")
    else:
        raise TypeError(f"{_WHAT}: cohorts= must be a dict {{intervention: cohort column}} or a list of "
                        f"cohort columns, got {type(cohorts).__name__}")
    if not out:
        raise ValueError(f"{_WHAT}: cohorts= names no intervention")
    return out


def _whole_number(name: str, value, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{_WHAT}: {name} must be a whole number >= {minimum}, got {value!r}")
    return int(value)


def _first_bad(data: pd.DataFrame, mask: pd.Series) -> tuple:
    row = mask[mask].index[0]
    return row, data.loc[row]


class _Prepared:
    """The validated arrays of one fit: outcome, periods, cohorts, exposures, event times."""

    def __init__(self, data, est: SeveralInterventions) -> None:
        if not isinstance(data, pd.DataFrame):
            raise TypeError(f"{_WHAT}: data must be a pandas DataFrame, got {type(data).__name__}")
        self.cmap = _cohort_map(est.cohorts)
        self.names = list(self.cmap)
        covs = [] if est.covariates is None else ([est.covariates] if isinstance(est.covariates, str)
                                                  else list(est.covariates))
        self.covs = covs
        self.anticipation = _whole_number("anticipation", est.anticipation, 0)
        max_event = None if est.max_event is None else _whole_number("max_event", est.max_event, 0)
        need = [est.outcome, est.unit, est.time, est.cluster, *self.cmap.values(), *covs]
        require_columns(data, list(dict.fromkeys(need)), what=_WHAT)
        data = data[list(dict.fromkeys(need))]
        data.attrs = {}  # (a study frame's ledger would be deep-copied by every pandas step below)
        self._excluded: list[tuple[str, int]] = []
        for col, role in [(est.unit, "unit"), (est.time, "time"), (est.cluster, "cluster"),
                          *[(c, "cohort") for c in self.cmap.values()]]:
            miss = data[col].isna()
            if miss.any():
                row = miss[miss].index[0]
                raise ValueError(f"{_WHAT}: column {col!r} ({role}) is missing in {int(miss.sum())} row(s), "
                                 f"first at row {row!r}; every row needs a {role}")
        for col, role in [(est.time, "time"), *[(c, "cohort") for c in self.cmap.values()]]:
            _check_period_numbers(data, col, role)
        for col in [est.outcome, *covs]:
            if not pd.api.types.is_numeric_dtype(data[col]) or pd.api.types.is_bool_dtype(data[col]):
                bad = pd.to_numeric(data[col], errors="coerce").isna() & data[col].notna()
                row = bad[bad].index[0] if bad.any() else data.index[0]
                raise ValueError(f"{_WHAT}: column {col!r} must be numeric; row {row!r} has {data.loc[row, col]!r}")
        for col in self.cmap.values():
            n_per_unit = data.groupby(est.unit, sort=False)[col].nunique()
            bad = n_per_unit[n_per_unit > 1]
            if len(bad):
                u = bad.index[0]
                vals = sorted(data.loc[data[est.unit] == u, col].unique().tolist())
                raise ValueError(
                    f"{_WHAT}: cohort column {col!r} must be constant within each {est.unit!r} (an absorbing "
                    f"intervention starts once and stays on); {len(bad)} unit(s) have several start periods, "
                    f"e.g. {u!r} with {vals}")
        keep = data[est.outcome].notna()
        self.exclude(f"missing outcome {est.outcome!r}", int((~keep).sum()))
        for c in covs:
            miss = keep & data[c].isna()
            self.exclude(f"missing covariate {c!r}", int(miss.sum()))
            keep &= data[c].notna()
        df = data.loc[keep]
        if df.empty:
            raise ValueError(f"{_WHAT}: no row has a value of {est.outcome!r}")
        self.index = df.index.to_numpy()
        self.y = df[est.outcome].to_numpy(float)
        self.t = df[est.time].to_numpy(np.int64)
        self.units = df[est.unit].to_numpy()
        self.cluster_codes, self.cluster_labels = pd.factorize(df[est.cluster], sort=True)
        self.x = df[covs].to_numpy(float) if covs else np.zeros((len(df), 0))
        g = np.column_stack([df[c].to_numpy(np.int64) for c in self.cmap.values()])
        self.g = g
        start = np.where(g > 0, g - self.anticipation, np.iinfo(np.int64).max)
        self.on = self.t[:, None] >= start
        ev = self.t[:, None] - g
        self.event = np.minimum(ev, max_event) if max_event is not None else ev
        self.exposed = self.on.any(axis=1)
        self.untreated = ~self.exposed
        if not self.untreated.any():
            raise ValueError(f"{_WHAT}: every row is exposed to some intervention; the estimator needs rows "
                             f"exposed to none (before any start, or never-adopting units) to learn Y(0)")
        if not self.exposed.any():
            raise ValueError(f"{_WHAT}: no row is exposed to any of {self.names}; nothing to estimate")
        self.est = est

    def exclude(self, reason: str, n: int) -> None:
        if n:
            self._excluded.append((reason, int(n)))

    @property
    def excluded(self) -> pd.DataFrame:
        return pd.DataFrame(self._excluded, columns=["reason", "n_rows"])

    def step1(self) -> tuple[TwoWayFE, np.ndarray, list]:
        """The step-1 model on the untreated rows, which exposed rows it can impute, and why not the others."""
        est = self.est
        u_code = pd.Index(pd.unique(self.units[self.untreated]))
        t_code = pd.Index(np.unique(self.t[self.untreated]))
        ui = u_code.get_indexer(self.units)
        ti = t_code.get_indexer(self.t)
        self.ui, self.ti = ui, ti
        fe = TwoWayFE(ui[self.untreated], ti[self.untreated], self.x[self.untreated], len(u_code), len(t_code))
        ex = self.exposed
        no_unit = ui[ex] < 0
        no_time = (ti[ex] < 0) & ~no_unit
        ok = ~no_unit & ~no_time
        unconnected = np.zeros_like(ok)
        unconnected[ok] = ~fe.imputable(ui[ex][ok], ti[ex][ok], self.x[ex][ok])
        ok &= ~unconnected
        why = [(f"exposed, in a {est.unit!r} with no unexposed row (its Y(0) cannot be imputed)", int(no_unit.sum())),
               (f"exposed, in a {est.time!r} with no unexposed row (its Y(0) cannot be imputed)", int(no_time.sum())),
               ("exposed, fixed effects not connected to the unexposed rows (Y(0) cannot be imputed)",
                int(unconnected.sum()))]
        return fe, ok, why


def _check_period_numbers(data: pd.DataFrame, col: str, role: str) -> None:
    s = data[col]
    what = "period numbers" if role == "time" else "first exposed period numbers (0 = never)"
    if pd.api.types.is_bool_dtype(s) or not pd.api.types.is_numeric_dtype(s):
        num = pd.to_numeric(s, errors="coerce")
        bad = num.isna()
        row = bad[bad].index[0] if bad.any() else s.index[0]
        raise ValueError(f"{_WHAT}: column {col!r} ({role}) must hold {what}; row {row!r} has {s.loc[row]!r}, "
                         f"which is not a number")
    v = s.to_numpy(float)
    bad = (v % 1 != 0) | (v < 0)
    if bad.any():
        row = s.index[np.flatnonzero(bad)[0]]
        raise ValueError(f"{_WHAT}: column {col!r} ({role}) must hold whole numbers >= 0 ({what}); row {row!r} "
                         f"has {s.loc[row]!r}")


# ---------------------------------------------------------------------- identification
def _identification(d: _Prepared, n_overall, vif_overall, cond, zs, cols) -> pd.DataFrame:
    """The identification table: separating variation and the verdict, with reasons in zh and en
    (``zs``: a root of the Gram matrix of the column-scaled step-3 design, at least as many rows as columns)."""
    from fusion_study.reporting.labels import label

    est = d.est
    unit_word = ("支部", "branch") if est.unit == "branch_id" else ("单位", "unit")
    per_unit = pd.DataFrame({"u": d.units, "t": d.t})
    first = per_unit.groupby("u", sort=False)["t"].min()
    last = per_unit.groupby("u", sort=False)["t"].max()
    units = first.index
    gm = pd.DataFrame(d.g, columns=d.names).assign(u=d.units).groupby("u", sort=False).first().reindex(units)
    start = gm[d.names].to_numpy(float)
    start = np.where(start > 0, start - d.anticipation, np.nan)
    alone = alone_switch_ons(start, first=first.to_numpy(float), last=last.to_numpy(float))
    inwin = np.isfinite(start) & (start > first.to_numpy(float)[:, None]) & (start <= last.to_numpy(float)[:, None])
    exposed_alone = (d.on & (d.on.sum(axis=1) == 1)[:, None]).sum(axis=0)
    # null space of the step-3 design: which interventions' columns are confounded together
    partners_null: dict[int, set] = {k: set() for k in range(len(d.names))}
    if len(cols):
        _, sv, vt = np.linalg.svd(zs, full_matrices=False)
        null = vt[sv <= RANK_TOL * sv[0]]
        col_k = np.array([k for k, _ in cols])
        for vec in null:
            involved = set(col_k[np.abs(vec) > 1e-8].tolist())
            for k in involved:
                partners_null[k] |= involved - {k}

    def names_zh(ks):
        return "、".join(label(d.names[j], "zh") for j in sorted(ks))

    def names_en(ks):
        return ", ".join(label(d.names[j], "en") for j in sorted(ks))

    rows = []
    for k, name in enumerate(d.names):
        zh_k, en_k = label(name, "zh"), label(name, "en")
        adopted = np.isfinite(start[:, k])
        ok = False
        if not adopted.any():
            zh = f"{zh_k}在数据中没有任何{unit_word[0]}实施过，无法估计效果。"
            en = f"No {unit_word[1]} in the data adopted the {en_k}, so its effect cannot be estimated."
        elif adopted.all() and len(np.unique(start[:, k])) == 1:
            zh = (f"所有{unit_word[0]}在同一期同时实施{zh_k}，没有可比较的{unit_word[0]}，"
                  f"其效果与当期的共同变化无法分开。")
            en = (f"Every {unit_word[1]} started the {en_k} in the same period, so there is no {unit_word[1]} to "
                  f"compare with: its effect cannot be told apart from what changed everywhere in that period.")
        elif n_overall[k] == 0:
            zh = f"实施{zh_k}后的观测都无法找到未实施任何措施的对照，无法估计效果。"
            en = (f"None of the observations exposed to the {en_k} can be compared with unexposed ones "
                  f"(no unexposed observation in their {unit_word[1]} or period).")
        elif not inwin[:, k].any():
            zh = f"没有{unit_word[0]}在{zh_k}上线前后都有观测，数据无法显示它带来的变化。"
            en = f"No {unit_word[1]} was observed both before and after starting the {en_k}."
        elif alone[k] == 0:
            clash = [j for j in range(len(d.names)) if j != k
                     and np.all(start[inwin[:, k], j] == start[inwin[:, k], k])]
            if clash:
                zh = f"{zh_k}与{names_zh(clash)}在每个{unit_word[0]}同时上线，数据无法把两者的效果分开。"
                en = (f"The {en_k} started in the same period as the {names_en(clash)} in every {unit_word[1]}, "
                      f"so the data cannot separate their effects.")
            else:
                zh = f"{zh_k}在每个{unit_word[0]}都与其他措施同一期上线，数据无法把它的效果单独分开。"
                en = (f"In every {unit_word[1]} the {en_k} started in the same period as another intervention, "
                      f"so the data cannot separate its effect.")
        elif not np.isfinite(vif_overall[k]):
            who = partners_null[k]
            zh = (f"{zh_k}与{names_zh(who) if who else '其他措施'}在各{unit_word[0]}的上线间隔完全相同，"
                  f"分期效果无法分开；可以把事件时间合并（减小 max_event）再试。")
            en = (f"The {en_k} follows the {names_en(who) if who else 'other interventions'} with the same lag in "
                  f"every {unit_word[1]}, so their effects by event time cannot be separated; pool event times "
                  f"(a smaller max_event) and try again.")
        elif vif_overall[k] > MAX_VIF:
            zh = (f"{zh_k}的实施时间与其他措施重叠太多（方差膨胀因子 {vif_overall[k]:.1f} > {MAX_VIF:g}），"
                  f"估计的精度会差到原来的 {math.sqrt(vif_overall[k]):.1f} 倍，不予报告。")
            en = (f"The {en_k} was on at almost the same times as other interventions (variance inflation "
                  f"{vif_overall[k]:.1f} > {MAX_VIF:g}): its estimate would be {math.sqrt(vif_overall[k]):.1f} "
                  f"times less precise, so it is not reported.")
        else:
            ok = True
            zh = f"可以单独估计：{zh_k}在 {int(alone[k])} 个{unit_word[0]}中单独上线。"
            en = f"Separable: the {en_k} switched on alone in {int(alone[k])} {unit_word[1]}(es)."
            if unit_word[1] == "unit":
                en = en.replace("(es)", "(s)")
        rows.append({"intervention": name, "n_switch_alone": int(alone[k]), "n_exposed_alone": int(exposed_alone[k]),
                     "vif": float(vif_overall[k]), "condition_number": float(cond), "identified": ok,
                     "reason_zh": zh, "reason_en": en})
    return pd.DataFrame(rows, columns=_ID_COLUMNS)


def _common_notes(d: _Prepared, est: SeveralInterventions) -> str:
    ex = d.excluded
    if ex.empty:
        return ""
    return "; ".join(f"{n} rows left out: {r}" for r, n in zip(ex["reason"], ex["n_rows"]))


def _tidy(rows: list[dict], columns: list[str]) -> pd.DataFrame:
    out = pd.DataFrame(rows, columns=columns)
    out["event_time"] = pd.array(out["event_time"].tolist(), dtype="Int64") if "event_time" in out else None
    for c in ("n_obs", "n_clusters"):
        out[c] = out[c].astype(np.int64)
    out["identified"] = out["identified"].astype(bool)
    out["note"] = out["note"].fillna("").astype(str)
    return out
