"""Confirmatory factor analysis and structural equation models by maximum likelihood (lavaan conventions)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import optimize, special, stats

from fusion_study.data.checks import check_alpha, check_choice, critical_value, require_columns
from fusion_study.measurement._data import check_variances, item_frame, resolve_scales, warn
from fusion_study.measurement.sem.estimation import GroupData, RamModel, _group_terms, fit_ml, objective
from fusion_study.measurement.sem.formulas import ConstrainedModel, ParameterFunctions
from fusion_study.measurement.sem.spec import build_spec
from fusion_study.measurement.sem.syntax import model_from_scales, parse_model

__all__ = ["SEM", "CFA", "NotConvergedError"]

_MISSING = ("listwise", "fiml")
_ESTIMATORS = ("ML", "MLR", "WLSMV")


class NotConvergedError(RuntimeError):
    """The optimiser did not reach a solution; estimates would be meaningless."""


def _rmsea_ci(chisq, df, n, level):
    """Bound of the noncentrality for which P(X² ≤ chisq | ncp) = level (0 if none)."""
    if df <= 0:
        return np.nan
    # scipy.special's ufuncs are what stats.chi2/ncx2.cdf evaluate, without their ~0.3 ms call overhead
    if special.chdtr(df, chisq) < level:
        return 0.0
    f = lambda lam: special.chndtr(chisq, df, lam) - level if lam > 0 else special.chdtr(df, chisq) - level
    hi = max(chisq, 1.0)
    while f(hi) > 0:
        hi *= 2
    lam = optimize.brentq(f, 0.0, hi, xtol=1e-12, rtol=1e-14, maxiter=500)
    return np.sqrt(lam / (n * df))


class SEM:
    """A structural equation model in lavaan syntax, fitted by maximum likelihood.

    Parameters
    ----------
    model : str
        lavaan-style syntax: ``f =~ x1 + x2`` (loadings), ``y ~ x`` (regressions),
        ``a ~~ b`` (covariances), ``x ~ 1`` (intercepts), fixed values ``1*x1``,
        free-by-default ``NA*x1`` and labels ``a*x2`` (equal labels = equal parameters);
        defined parameters ``ind := a*b`` (delta-method SEs; std.all evaluated at the
        standardized parameters, as lavaan) and linear equality constraints ``a == b``,
        ``a == 2*b``, ``a + b == 1`` (see :mod:`.formulas`).
    estimator : {"ML", "MLR", "WLSMV"}, optional
        MLR: ML estimates with Huber–White standard errors (observed information) and the
        Yuan–Bentler (Mplus) scaled χ² (``chisq_scaled``, ``chisq_scaling_factor``); complete
        data, single group, no mean structure. WLSMV: ordinal items (see ``ordered``).
        Default: "WLSMV" when ``ordered`` is given, else "ML".
    ordered : list of str or True, optional
        Ordinal (Likert) indicators, as lavaan's ``ordered=``: polychoric correlations and
        DWLS with robust standard errors and the scaled-shifted χ² (lavaan's WLSMV; see
        :mod:`fusion_study.measurement.sem.ordinal`). All observed variables must be ordinal;
        single group; ``missing`` "listwise" or "pairwise". Parameter table adds threshold
        rows (``op == "|"``); ``moments_`` holds the polychoric statistics.
    missing : {"listwise", "fiml"}
        Listwise deletion, or full-information ML over missingness patterns
        (standard errors then from the observed information, as lavaan).
    meanstructure : bool
        Estimate intercepts (always on for FIML and for several groups).
    std_lv : bool
        Identify factors by unit variance instead of a marker loading.
    group : str, optional
        Column defining groups (multi-group model); ``group_equal`` may hold
        ``"loadings"`` and ``"intercepts"``. Groups are numbered 1, 2, … in the order of
        their first appearance in the data, as lavaan's; the first is the reference group
        whose latent means are fixed at 0 under scalar invariance.
    group_levels : list, optional
        The groups to fit and their order (lavaan's ``group.label``); respondents of other
        groups are left out with a warning. Default: every group, in order of appearance.
    alpha : float
        Significance level of the Wald intervals ``ci_lower, ci_upper`` (0.05 gives 95%).
    fixed_x : bool
        lavaan's ``fixed.x`` (default True, as lavaan's ``sem()``/``cfa()``): the variances,
        covariances (and means) of observed exogenous covariates — observed variables that
        only predict (``f ~ age``) — are fixed at their sample values and are not free
        parameters (df as lavaan: their moments are not counted either; ``logl`` is then
        the likelihood of the other variables given the covariates, as lavaan reports it).
        With FIML, respondents missing a covariate are excluded (with a warning), as lavaan
        does. ``False`` estimates them as free parameters.
    max_iter : int
        Fisher-scoring iterations before :class:`NotConvergedError` is raised.

    Attributes (after ``fit``)
    --------------------------
    params_ : DataFrame ``lhs, op, rhs, group, label, free, est, se, std_all, z, pvalue, ci_lower,
        ci_upper`` — lavaan's ``parameterEstimates`` names (``ci_lower, ci_upper``: Wald intervals
        at ``alpha``); defined parameters are rows with ``op == ":="``, ``rhs`` the expression and
        ``group`` 0. :meth:`to_frame` gives the same table in the package's vocabulary.
    fit_indices_ : Series ``chisq, df, pvalue, cfi, tli, rmsea, rmsea_ci_lower, rmsea_ci_upper,
        rmsea_pvalue, srmr, aic, bic, logl, unrestricted_logl, npar, baseline_chisq, baseline_df, n``
        (lavaan's ``fitMeasures`` names; the RMSEA interval is lavaan's 90% one).
    factor_correlations_ : DataFrame (first group).
    groups_ : list of the group values in the order they are numbered (``[None]`` for one group).
    n_, converged_, n_iter_.

    Notes
    -----
    Conventions are lavaan's ``sem()``: covariance with divisor N in the fit
    function, χ² = N·F_ML, marker-variable identification, exogenous factor
    covariances free, covariances among endogenous variables that predict
    nothing free, expected information for standard errors (observed with FIML).
    Observed exogenous regressors follow ``fixed_x``. Equality constraints reduce
    ``npar`` and raise ``df`` by their rank, as lavaan's.

    Validated against: R lavaan 0.6 (HolzingerSwineford1939 CFA with and without
    mean structure, std.lv, FIML and MLR; PoliticalDemocracy SEM; multi-group invariance;
    the simulated example study's 5-factor customer survey, listwise and FIML; defined
    parameters (mediation on PoliticalDemocracy, ML and MLR), ``==`` constraints and
    observed covariates with ``fixed.x`` TRUE/FALSE, listwise and FIML; the latent means of
    the second school under scalar invariance, with lavaan's group order and with
    ``group.label`` reversed) — estimates,
    SEs, std.all and fit indices to 1e-5 relative (1e-4 where lavaan's own stopping rule
    limits its accuracy, and for FIML/MLR SEs from a numerical Hessian). With ``ordered``
    (WLSMV): lavaan 0.6-14 ``cfa(..., ordered = TRUE)`` to 2e-6 (estimates, SEs) and 1e-5
    (fit measures); see :mod:`fusion_study.measurement.sem.ordinal`.
    """

    _cfa = False

    def __init__(self, model: str, *, estimator: str | None = None, missing: str = "listwise",
                 meanstructure: bool = False, std_lv: bool = False, group: str | None = None,
                 group_equal=(), group_levels=None, fixed_x: bool = True, max_iter: int = 500, ordered=None,
                 alpha: float = 0.05):
        self.model = model
        self.alpha = alpha
        self.group_levels = group_levels
        self.ordered = ordered
        self.fixed_x = fixed_x
        self.max_iter = max_iter
        self.estimator = estimator
        self.missing = missing
        self.meanstructure = meanstructure
        self.std_lv = std_lv
        self.group = group
        self.group_equal = tuple([group_equal] if isinstance(group_equal, str) else group_equal)

    def __repr__(self) -> str:
        ordinal = self.ordered is not None and self.ordered is not False
        est = self.estimator or ("WLSMV" if ordinal else "ML")
        extra = f", ordered={self.ordered!r}" if ordinal else ""
        return f"{type(self).__name__}(estimator={est!r}, missing={self.missing!r}{extra})"

    # ------------------------------------------------------------------ fit
    def fit(self, data: pd.DataFrame, *, codebook: pd.DataFrame | None = None):
        ordinal = self.ordered is not None and self.ordered is not False
        self.estimator_ = self.estimator or ("WLSMV" if ordinal else "ML")
        check_choice("estimator", self.estimator_, _ESTIMATORS)
        check_alpha(self.alpha)
        if ordinal or self.estimator_ == "WLSMV":
            if self.estimator_ != "WLSMV":
                raise ValueError(f"ordered items are fitted by estimator='WLSMV', not {self.estimator_!r}")
            from fusion_study.measurement.sem.ordinal import fit_ordinal

            return fit_ordinal(self, data, codebook)
        check_choice("missing", self.missing, _MISSING)
        for ge in self.group_equal:
            check_choice("group_equal", ge, ("loadings", "intercepts"))
        terms = parse_model(self.model)
        levels, data = self._group_levels(data)
        fiml = self.missing == "fiml"
        n_groups = len(levels)
        means = self.meanstructure or fiml or n_groups > 1
        spec = build_spec(terms, data.columns, n_groups=n_groups, meanstructure=means, std_lv=self.std_lv,
                          cfa=self._cfa, group_equal=self.group_equal, fixed_x=bool(self.fixed_x))
        fns = ParameterFunctions(spec, spec.formulas) if spec.formulas else None
        xcols = [spec.observed.index(v) for v in spec.exogenous_x] if spec.fixed_x else []
        n_dropped_x = 0
        frame = item_frame(data, spec.observed, codebook=codebook, what=f"{type(self).__name__} model variables")
        gcol = data[self.group] if self.group is not None else None
        groups = []
        n_dropped = 0
        for lev in levels:
            x = frame.to_numpy(dtype=float, na_value=np.nan)
            if gcol is not None:
                x = x[(gcol == lev).to_numpy()]
            if fiml:
                if xcols:  # lavaan (fixed.x): covariates are conditioned on, so they must be observed
                    xmiss = np.isnan(x[:, xcols]).any(axis=1)
                    n_dropped_x += int(xmiss.sum())
                    x = x[~xmiss]
                allmiss = np.isnan(x).all(axis=1)
                n_dropped += int(allmiss.sum())
                x = x[~allmiss]
            else:
                ok = ~np.isnan(x).any(axis=1)
                if not ok.all():
                    n_dropped += int((~ok).sum())
                    x = x[ok]
            if x.shape[0] < 2:
                raise ValueError(f"group {lev!r}: fewer than 2 usable respondents")
            gd = GroupData(x, fiml=fiml)
            if self.estimator == "MLR":
                if fiml or means:
                    raise NotImplementedError("estimator='MLR' is implemented for complete data without a mean "
                                              "structure (single group); use estimator='ML' otherwise")
                gd.x = x
            check_variances(gd.cov, spec.observed, f"{type(self).__name__} (group {lev})" if lev is not None
                            else type(self).__name__)
            if gd.n <= spec.__dict__.get("_p", len(spec.observed)) and not fiml:
                raise ValueError(f"{type(self).__name__}: {len(spec.observed)} observed variables but only "
                                 f"{gd.n} complete respondents{'' if lev is None else f' in group {lev!r}'}; "
                                 "the covariance matrix is singular")
            ev = np.linalg.eigvalsh(gd.cov)
            if ev[0] <= 1e-10 * ev[-1]:
                raise np.linalg.LinAlgError(
                    f"{type(self).__name__}: the sample covariance matrix is not positive definite "
                    f"(smallest eigenvalue {ev[0]:.3g}); some observed variables are exact linear "
                    "combinations of others — drop the redundant ones")
            groups.append(gd)
        if n_dropped_x:
            warn(f"{type(self).__name__}: {n_dropped_x} respondents with a missing covariate "
                 f"{spec.exogenous_x} were excluded (fixed_x=True conditions on the covariates, as lavaan's "
                 "fixed.x; use fixed_x=False to model them)")
        if n_dropped:
            warn(f"{type(self).__name__}: {n_dropped} respondents with missing values were excluded "
                 f"({'all items missing' if fiml else 'listwise deletion'})")
        for par in spec.params:  # fixed.x: covariate moments at their sample values
            if par.sample:
                gd = groups[par.group]
                i = spec.observed.index(par.lhs)
                par.value = float(gd.mean[i] if par.op == "~1" else gd.cov[i, spec.observed.index(par.rhs)])
        self.spec_ = spec
        self.groups_ = levels
        self._data = groups
        self._means = means
        model = RamModel(spec)
        self._ram = model
        theta0 = self._start(spec, groups)
        fmodel = model
        if fns is not None and fns.constraints:
            fmodel = ConstrainedModel(model, *fns.reparametrization(theta0))
            theta0 = fmodel.reduce(theta0)
        x, ok, it = fit_ml(fmodel, theta0, groups, means, max_iter=self.max_iter)
        if not ok:
            raise NotConvergedError(f"{type(self).__name__}: ML estimation did not converge after {it} "
                                    "iterations; check the model is identified (enough indicators per factor) "
                                    "and the data fit it")
        theta = x if fmodel is model else fmodel.full(x)
        self.converged_ = ok
        self.n_iter_ = it
        self.theta_ = theta
        self.n_ = sum(gd.n for gd in groups)
        self._npar = fmodel.q
        self._vcov(fmodel, x, groups, means, fiml or self.estimator == "MLR")
        if self.estimator == "MLR":
            self._robust(fmodel, x, groups)
        if fmodel is not model:
            self.vcov_ = fmodel.null @ self.vcov_ @ fmodel.null.T
        self._tables(model, theta, groups, means)
        if fns is not None and fns.defined:
            self._defined(fns, theta)
        self._fit_indices(model, theta, groups, means)
        return self

    def _group_levels(self, data: pd.DataFrame) -> tuple[list, pd.DataFrame]:
        """The groups in lavaan's order (first appearance, or ``group_levels``) and the rows to fit."""
        if self.group is None:
            if self.group_levels is not None:
                raise ValueError("group_levels= needs group= (the column holding the groups)")
            return [None], data
        require_columns(data, [self.group], what=f"{type(self).__name__}(group={self.group!r})")
        present = pd.unique(data[self.group].dropna()).tolist()
        if self.group_levels is None:
            return present, data
        levels = list(self.group_levels)
        if len(set(levels)) != len(levels):
            raise ValueError(f"group_levels lists a group twice: {levels}")
        absent = [g for g in levels if g not in present]
        if absent:
            raise ValueError(f"group_levels: group(s) {absent} do not occur in column {self.group!r}; "
                             f"its groups are {present}")
        keep = data[self.group].isin(levels)
        if not keep.all():
            warn(f"{type(self).__name__}: {int((~keep).sum())} respondents of groups not in group_levels "
                 f"({[g for g in present if g not in levels]}) were left out")
            data = data[keep]
        return levels, data

    def _start(self, spec, groups):
        theta = np.zeros(spec.n_free)
        seen = set()
        obs = {v: i for i, v in enumerate(spec.observed)}
        for par in spec.params:
            if par.index < 0 or par.index in seen:
                continue
            seen.add(par.index)
            s = groups[par.group].cov
            mu = groups[par.group].mean
            val = 0.0
            if par.op == "=~":
                marker = next(p.rhs for p in spec.params if p.group == par.group and p.op == "=~"
                              and p.lhs == par.lhs)
                if self.std_lv or marker == par.rhs:
                    val = np.sqrt(0.5 * s[obs[par.rhs], obs[par.rhs]]) if par.rhs in obs else 1.0
                elif par.rhs in obs and marker in obs:
                    val = s[obs[par.rhs], obs[marker]] / (0.5 * s[obs[marker], obs[marker]])
                else:
                    val = 1.0
            elif par.op == "~~" and par.lhs == par.rhs:
                if par.lhs in obs:
                    val = 0.5 * s[obs[par.lhs], obs[par.lhs]]
                else:
                    marker = next((p.rhs for p in spec.params if p.group == par.group and p.op == "=~"
                                   and p.lhs == par.lhs), None)
                    val = 1.0 if self.std_lv or marker not in obs else 0.5 * s[obs[marker], obs[marker]]
                    if any(p.op == "~" and p.lhs == par.lhs for p in spec.params):
                        val *= 0.5
            elif par.op == "~1" and par.lhs in obs:
                val = mu[obs[par.lhs]]
            theta[par.index] = val
        return theta

    def _robust(self, model, theta, groups):
        """Huber–White sandwich SEs (observed information) and the Yuan–Bentler (Mplus) scaled χ²."""
        gd = groups[0]
        n = gd.n
        sigma, _, dsig, _ = model.implied(theta, 0, derivatives=True)
        a0 = np.linalg.inv(self.vcov_)  # observed information (N/2 · Hessian of F)
        si = np.linalg.inv(sigma)
        q = model.q
        b0 = np.zeros((q, q))
        c0 = np.einsum("ij,kji->k", si, dsig)
        for lo in range(0, n, 100_000):
            e = (gd.x[lo:lo + 100_000] - gd.mean) @ si
            sc = 0.5 * (np.einsum("ni,kij,nj->nk", e, dsig, e, optimize=True) - c0)
            b0 += sc.T @ sc
        self.vcov_ = np.linalg.solve(a0, np.linalg.solve(a0, b0).T)
        t1, d1 = _saturated_trace(gd, np.arange(gd.p))
        t0, d0 = np.trace(np.linalg.solve(a0, b0)), q
        if self.spec_.fixed_x:
            # fixed covariates: their saturated block is neither free nor counted in df (lavaan's scaling
            # equals the fixed_x=False one; the log-likelihood separates into x and y-given-x parts)
            tx, dx = _saturated_trace(gd, [self.spec_.observed.index(v) for v in self.spec_.exogenous_x])
            t1, d1 = t1 - tx, d1 - dx
        self._scaling = (t1 - t0) / (d1 - d0) if d1 > d0 else np.nan

    def _vcov(self, model, theta, groups, means, fiml):
        n = self.n_
        if fiml:
            h = np.zeros((model.q, model.q))
            for k in range(model.q):
                e = np.zeros(model.q)
                step = 1e-5 * max(1.0, abs(theta[k]))
                e[k] = step
                gp = objective(model, theta + e, groups, means, derivatives=True, with_info=False)[1]
                gm = objective(model, theta - e, groups, means, derivatives=True, with_info=False)[1]
                h[:, k] = (gp - gm) / (2 * step)
            info = 0.5 * n * (h + h.T) / 2
        else:
            last = getattr(model, "last_information_", None)
            if last is not None and np.array_equal(last[0], theta):
                info = 0.5 * n * last[1]  # the expected information at the solution, from fit_ml
            else:
                info = 0.5 * n * objective(model, theta, groups, means, derivatives=True)[2]
        try:
            vcov = np.linalg.inv(info)
            if np.any(np.diag(vcov) < 0):
                raise np.linalg.LinAlgError
        except np.linalg.LinAlgError:
            warn("the information matrix is singular: the model is not identified; standard errors are NaN")
            vcov = np.full_like(info, np.nan)
        self.vcov_ = vcov

    def _tables(self, model, theta, groups, means):
        spec = self.spec_
        se = np.sqrt(np.diag(self.vcov_))
        implied = {}
        for g in range(spec.n_groups):
            a, s, m = model.matrices(theta, g)
            b = np.linalg.inv(np.eye(model.nv) - a)
            sall = b @ s @ b.T
            implied[g] = (a, s, m, sall)
        pos = model.pos
        params = spec.params
        index = np.array([par.index for par in params], dtype=int)
        free = index >= 0
        est = np.array([theta[par.index] if par.index >= 0 else par.value for par in params], dtype=float)
        std = np.empty(len(params))
        for r, par in enumerate(params):
            a, s, m, sall = implied[par.group]
            if par.op == "=~":
                std[r] = est[r] * np.sqrt(max(sall[pos[par.lhs], pos[par.lhs]], 0)) / \
                    np.sqrt(max(sall[pos[par.rhs], pos[par.rhs]], 0))
            elif par.op == "~":
                std[r] = est[r] * np.sqrt(max(sall[pos[par.rhs], pos[par.rhs]], 0)) / \
                    np.sqrt(max(sall[pos[par.lhs], pos[par.lhs]], 0))
            elif par.op == "~~":
                i, j = pos[par.lhs], pos[par.rhs]
                std[r] = est[r] / sall[i, i] if i == j else est[r] / np.sqrt(s[i, i] * s[j, j])
            else:
                std[r] = est[r] / np.sqrt(max(sall[pos[par.lhs], pos[par.lhs]], 0))
        se_all = np.where(free, se[np.maximum(index, 0)], 0.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            z = np.where(free, est / se_all, np.nan)
        out = pd.DataFrame({"lhs": [par.lhs for par in params], "op": [par.op for par in params],
                            "rhs": [par.rhs for par in params],
                            "group": np.array([par.group + 1 for par in params], dtype=np.int64),
                            "label": [par.label or "" for par in params], "free": free, "est": est,
                            "se": se_all, "std_all": std, "z": z, "pvalue": 2 * special.ndtr(-np.abs(z)),
                            **_wald_ci(est, se_all, self.alpha)})
        self.params_ = out
        a, s, m, sall = implied[0]
        lv = spec.latent
        idx = [pos[v] for v in lv]
        c = sall[np.ix_(idx, idx)]
        d = np.sqrt(np.diag(c))
        self.factor_correlations_ = pd.DataFrame(c / np.outer(d, d), index=lv, columns=lv)
        self._implied = implied
        bad = [par.lhs for par, e in zip(params, est) if par.op == "~~" and par.lhs == par.rhs and e < 0]
        if bad:
            warn(f"Heywood case: negative variance estimate for {bad}; the solution is "
                 "improper (too few indicators, misspecification or a small sample)")

    def _defined(self, fns, theta):
        """Rows for the ``:=`` parameters: delta-method SEs; std.all from the standardized parameters."""
        est = fns.defined_values(theta)
        jac = fns.defined_jacobian(theta)
        se = np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", jac, self.vcov_, jac), 0))
        theta_std = np.zeros_like(theta)
        seen = set()
        for par, std in zip(self.spec_.params, self.params_["std_all"]):
            if par.index >= 0 and par.index not in seen:
                seen.add(par.index)
                theta_std[par.index] = std
        with np.errstate(all="ignore"):
            std_all = fns.defined_values(theta_std)
            z = est / se
        rows = pd.DataFrame({"lhs": [n for n, _ in fns.defined], "op": ":=",
                             "rhs": [f.text for _, f in fns.defined], "group": 0,
                             "label": [n for n, _ in fns.defined], "free": False, "est": est, "se": se,
                             "std_all": std_all, "z": z, "pvalue": 2 * special.ndtr(-np.abs(z)),
                             **_wald_ci(est, se, self.alpha)})
        self.params_ = pd.concat([self.params_, rows], ignore_index=True)

    def _loglik(self, model, theta, groups, means):
        total = 0.0
        for g, gd in enumerate(groups):
            f, _, _ = _group_terms(model, theta, g, gd, means, False)
            pobs = sum(k * len(obs) for obs, k, _, _ in gd.patterns)
            total += -0.5 * (gd.n * f + pobs * np.log(2 * np.pi))
        return total

    def _sat_loglik(self, gd, columns=None):
        """Saturated log-likelihood (of ``columns`` only when given) at the sample/EM moments."""
        total = 0.0
        for obs, k, m, c in gd.patterns:
            if columns is not None:
                keep = np.flatnonzero(np.isin(obs, columns))
                if keep.size == 0:
                    continue
                obs, m, c = obs[keep], m[keep], c[np.ix_(keep, keep)]
            so = gd.cov[np.ix_(obs, obs)]
            d = m - gd.mean[obs]
            si = np.linalg.inv(so)
            total += -0.5 * k * (len(obs) * np.log(2 * np.pi) + np.linalg.slogdet(so)[1]
                                 + np.sum(si * (c + np.outer(d, d))))
        return total

    def _base_loglik(self, gd, columns=None):
        if len(gd.patterns) == 1 and len(gd.patterns[0][0]) == gd.p:  # complete data: closed form
            var = np.diag(gd.cov) if columns is None else np.diag(gd.cov)[columns]
            return float(-0.5 * gd.n * np.sum(np.log(2 * np.pi * var) + 1))
        total = 0.0
        p = gd.p
        for j in range(p) if columns is None else columns:
            num = sum(k for obs, k, _, _ in gd.patterns if j in obs)
            mean = sum(k * m[list(obs).index(j)] for obs, k, m, _ in gd.patterns if j in obs) / num
            ss = sum(k * (c[list(obs).index(j), list(obs).index(j)] + (m[list(obs).index(j)] - mean) ** 2)
                     for obs, k, m, c in gd.patterns if j in obs)
            var = ss / num
            total += -0.5 * num * (np.log(2 * np.pi * var) + 1)
        return total

    def _fit_indices(self, model, theta, groups, means):
        spec = self.spec_
        n = self.n_
        p = len(spec.observed)
        ng = len(groups)
        logl = self._loglik(model, theta, groups, means)
        logl1 = sum(self._sat_loglik(gd) for gd in groups)
        logl_b = sum(self._base_loglik(gd) for gd in groups)
        npar = self._npar
        nx = len(spec.exogenous_x)
        nfix = nx if spec.fixed_x else 0
        moments = ng * (p * (p + 1) // 2 + (p if means else 0) - nfix * (nfix + 1) // 2 - (nfix if means else 0))
        df = moments - npar
        if nx:  # as lavaan, the baseline model keeps the covariates' (co)variances
            ix = [spec.observed.index(v) for v in spec.exogenous_x]
            logl_x = sum(self._sat_loglik(gd, ix) for gd in groups)
            logl_b += logl_x - sum(self._base_loglik(gd, ix) for gd in groups)
            if spec.fixed_x:  # lavaan reports the log-likelihood given the fixed covariates
                logl, logl1, logl_b = logl - logl_x, logl1 - logl_x, logl_b - logl_x
        chisq = max(2 * (logl1 - logl), 0.0)
        chisq_b = 2 * (logl1 - logl_b)
        df_b = ng * (p * (p - 1) // 2 - nx * (nx - 1) // 2)
        pvalue = special.chdtrc(df, chisq) if df > 0 else np.nan
        cfi_den = max(chisq - df, chisq_b - df_b, 0)
        cfi = 1 - max(chisq - df, 0) / cfi_den if cfi_den > 0 else 1.0
        # a saturated model (df = 0) fits perfectly: TLI 1 and RMSEA 0, as lavaan reports
        sat = 1.0 if df == 0 else np.nan
        tli = (chisq_b / df_b - chisq / df) / (chisq_b / df_b - 1) if df > 0 else sat
        rmsea = np.sqrt(max((chisq - df) / (n * df), 0)) * np.sqrt(ng) if df > 0 else sat - 1
        lo = _rmsea_ci(chisq, df, n, 0.95) * np.sqrt(ng) if df > 0 else sat - 1
        hi = _rmsea_ci(chisq, df, n, 0.05) * np.sqrt(ng) if df > 0 else sat - 1
        pclose = stats.ncx2.sf(chisq, df, n * df * 0.05**2 / ng) if df > 0 else np.nan
        # SRMR (Bentler), complete-data or EM moments as "observed"
        srmr_g = []
        for g, gd in enumerate(groups):
            sigma, mu, _, _ = model.implied(theta, g)
            sd = np.sqrt(np.diag(gd.cov))
            res = (gd.cov - sigma) / np.outer(sd, sd)
            vals = list(res[np.tril_indices(p)])
            if means:
                vals += list((gd.mean - mu) / sd)
            srmr_g.append(np.sqrt(np.mean(np.square(vals))))
        srmr = float(sum(gd.n / n * s for gd, s in zip(groups, srmr_g)))
        self.fit_indices_ = pd.Series({
            "chisq": chisq, "df": float(df), "pvalue": pvalue, "cfi": cfi, "tli": tli, "rmsea": rmsea,
            "rmsea_ci_lower": lo, "rmsea_ci_upper": hi, "rmsea_pvalue": pclose, "srmr": srmr,
            "aic": -2 * logl + 2 * npar, "bic": -2 * logl + np.log(n) * npar, "logl": logl,
            "unrestricted_logl": logl1, "npar": float(npar), "baseline_chisq": chisq_b,
            "baseline_df": float(df_b), "n": float(n)}, name="value")
        if self.estimator == "MLR":
            self.fit_indices_["chisq_scaling_factor"] = self._scaling
            self.fit_indices_["chisq_scaled"] = chisq / self._scaling
            self.fit_indices_["pvalue_scaled"] = stats.chi2.sf(chisq / self._scaling, df)

    # ------------------------------------------------------------ outputs
    def to_frame(self) -> pd.DataFrame:
        """The parameter table in the package's vocabulary.

        Returns
        -------
        DataFrame ``lhs, op, rhs, group, label, free, estimate, se, std_all, z, p_value, ci_lower,
        ci_upper`` (``params_`` with ``est`` → ``estimate``, ``pvalue`` → ``p_value``).
        """
        return self.params_.rename(columns=_STANDARD_NAMES)

    def summary(self) -> pd.DataFrame:
        """The parameters (``lhs, op, rhs, group, estimate, se, z, p_value, ci_lower, ci_upper, std_all``);
        ``attrs["fit_indices"]`` holds ``fit_indices_`` and ``str(model)`` prints both as text."""
        cols = ["lhs", "op", "rhs", "group", "estimate", "se", "z", "p_value", "ci_lower", "ci_upper", "std_all"]
        out = self.to_frame()[cols]
        out.attrs["fit_indices"] = self.fit_indices_.to_dict()
        return out

    def __str__(self) -> str:
        if not hasattr(self, "params_"):
            return repr(self)
        fi = self.fit_indices_
        head = (f"{type(self).__name__} ({self.estimator_}, n={self.n_}): chisq={fi['chisq']:.3f}, df={fi['df']:.0f}, "
                f"p={fi['pvalue']:.4f}, CFI={fi['cfi']:.3f}, TLI={fi['tli']:.3f}, RMSEA={fi['rmsea']:.3f} "
                f"[{fi['rmsea_ci_lower']:.3f}, {fi['rmsea_ci_upper']:.3f}], SRMR={fi['srmr']:.3f}")
        if self.estimator_ == "WLSMV":
            head = (f"{type(self).__name__} (WLSMV, ordinal, n={self.n_}): scaled-shifted chisq="
                    f"{fi['chisq_scaled']:.3f}, df={fi['df']:.0f}, p={fi['pvalue_scaled']:.4f}, CFI={fi['cfi_scaled']:.3f}"
                    f", TLI={fi['tli_scaled']:.3f}, RMSEA={fi['rmsea_scaled']:.3f} (scaled), SRMR={fi['srmr']:.3f}")
        cols = ["lhs", "op", "rhs", "estimate", "se", "z", "p_value", "std_all"]
        return head + "\n" + self.to_frame()[cols].round(3).to_string(index=False)

    def loadings(self) -> pd.DataFrame:
        """Loadings rows of the parameter table.

        Returns
        -------
        DataFrame ``factor, item, group, estimate, se, ci_lower, ci_upper, std_all``.
        """
        p = self.to_frame()
        return p[p["op"] == "=~"].rename(columns={"lhs": "factor", "rhs": "item"})[
            ["factor", "item", "group", "estimate", "se", "ci_lower", "ci_upper", "std_all"]].reset_index(drop=True)

    @property
    def validity_(self) -> pd.DataFrame:
        from fusion_study.measurement.validity import composite_validity

        return composite_validity(self)

    @property
    def fornell_larcker_(self) -> pd.DataFrame:
        from fusion_study.measurement.validity import fornell_larcker

        return fornell_larcker(self)

    @property
    def htmt_(self) -> pd.DataFrame:
        from fusion_study.measurement.validity import htmt_matrix

        return htmt_matrix(self._data[0].cov, self.spec_)


def _saturated_trace(gd, cols) -> tuple[float, int]:
    """tr(A⁻¹B) of the saturated covariance model of columns ``cols`` at Σ = S, and its vech size."""
    cols = np.asarray(cols)
    p = len(cols)
    s_inv = np.linalg.inv(gd.cov[np.ix_(cols, cols)])
    iu = np.triu_indices(p)
    mult = np.where(iu[0] == iu[1], 1.0, 2.0)
    b1 = np.zeros((len(iu[0]), len(iu[0])))
    for lo in range(0, gd.n, 100_000):
        e1 = (gd.x[lo:lo + 100_000, cols] - gd.mean[cols]) @ s_inv
        sc1 = 0.5 * (e1[:, iu[0]] * e1[:, iu[1]] - s_inv[iu]) * mult
        b1 += sc1.T @ sc1
    # saturated-model information for the vech(Σ) parameters at Σ = S
    dup = np.zeros((p * p, len(iu[0])))
    for k, (i, j) in enumerate(zip(*iu)):
        dup[i * p + j, k] = 1
        dup[j * p + i, k] = 1
    a1 = 0.5 * gd.n * dup.T @ np.kron(s_inv, s_inv) @ dup
    return float(np.trace(np.linalg.solve(a1, b1))), len(iu[0])


#: lavaan's parameterEstimates names -> the package's vocabulary (see :meth:`SEM.to_frame`)
_STANDARD_NAMES = {"est": "estimate", "pvalue": "p_value"}


def _wald_ci(est: np.ndarray, se: np.ndarray, alpha: float = 0.05) -> dict[str, np.ndarray]:
    """Wald interval ``est ± z_{1-alpha/2} se``."""
    z = critical_value(alpha)
    return {"ci_lower": est - z * se, "ci_upper": est + z * se}


class CFA(SEM):
    """Confirmatory factor analysis: one factor per scale, or lavaan syntax.

    ``CFA({"visual": ["x1", "x2", "x3"], ...}).fit(df)`` is the same as
    ``CFA("visual =~ x1 + x2 + x3 ...")``; a codebook DataFrame also works (its
    reverse flags are applied at ``fit``). See :class:`SEM` for options and outputs.

    Validated against: R lavaan 0.6 ``cfa()`` on HolzingerSwineford1939 to 1e-5 relative.

    >>> import numpy as np
    >>> rng = np.random.default_rng(3)
    >>> f = rng.normal(size=(500, 1))
    >>> df = pd.DataFrame(f * [0.8, 0.7, 0.6] + rng.normal(scale=0.6, size=(500, 3)), columns=["a", "b", "c"])
    >>> round(float(CFA({"F": ["a", "b", "c"]}).fit(df).fit_indices_["df"]), 1)
    0.0
    """

    _cfa = True

    def __init__(self, scales_or_model, *, estimator: str | None = None, missing: str = "listwise",
                 meanstructure: bool = False, std_lv: bool = False, group: str | None = None, group_equal=(),
                 group_levels=None, fixed_x: bool = True, max_iter: int = 500, ordered=None, alpha: float = 0.05):
        self.scales_or_model = scales_or_model
        if isinstance(scales_or_model, str):
            model, self._codebook = scales_or_model, None
        else:
            scales, self._codebook = resolve_scales(scales_or_model)
            model = model_from_scales(scales)
        super().__init__(model, estimator=estimator, missing=missing, meanstructure=meanstructure,
                         std_lv=std_lv, group=group, group_equal=group_equal, group_levels=group_levels,
                         fixed_x=fixed_x, max_iter=max_iter, ordered=ordered, alpha=alpha)

    def fit(self, data: pd.DataFrame, *, codebook: pd.DataFrame | None = None):
        return super().fit(data, codebook=codebook if codebook is not None else self._codebook)
