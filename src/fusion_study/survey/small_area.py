"""Branch-level (small-area) means that do not over-rank noise, and rank intervals.

A branch with 12 answers has a noisy mean: ranking branches by their raw means
puts the smallest branches at both ends of the league table by chance.
:func:`branch_means` fits the random-intercept model (REML)::

    y_ij = x_ij' β + u_j + e_ij,   u_j ~ N(0, τ²),   e_ij ~ N(0, σ²)

and reports each branch's shrunken mean (the empirical BLUP of the branch mean
``θ_j = x̄_j' β + u_j``)::

    θ̂_j = γ_j ȳ_j + (1 - γ_j) x̄_j' β̂,   γ_j = τ² / (τ² + σ² / n_j)

``γ_j`` (column ``shrinkage``) is the weight on the branch's own mean: near 1
for a large branch, near 0 for a branch with few answers, which borrows from
the fixed part. Its mean squared error, at the estimated variance components, is

    MSE_j = g1_j + g2_j + 2 g3_j,   g1_j = (1 - γ_j) τ²,   g2_j = (1 - γ_j)² x̄_j' Cov(β̂) x̄_j

``g1`` is the conditional variance of ``u_j`` given the data (lme4's
``postVar``), ``g2`` the uncertainty of the estimated fixed part
(``Cov(β̂) = (X' V⁻¹ X)⁻¹``), and ``g3`` (Prasad & Rao 1990; the ``2 g3`` form
for REML, Datta & Lahiri 2000) the uncertainty of the estimated τ², σ²::

    g3_j = n_j⁻² (τ² + σ²/n_j)⁻³ [σ⁴ V_ττ + τ⁴ V_σσ − 2 σ² τ² V_τσ]

with ``V`` the inverse of the Fisher information of (τ², σ²), whose entries are
``½ Σ_j n_j² / λ_j²``, ``½ Σ_j n_j / λ_j²`` and ``½ Σ_j [(n_j − 1)/σ⁴ + 1/λ_j²]``,
``λ_j = σ² + n_j τ²``. ``mse="g1g2"`` leaves g3 out.

:func:`rank_intervals` turns the estimates into ranks with honest uncertainty:
median rank, rank interval and the probability of being among the top / bottom
k, by simulation from independent normals N(estimate, se²).
"""

from __future__ import annotations

import logging
import warnings

import numpy as np
import pandas as pd

from fusion_study.data.checks import check_alpha, check_choice, critical_value, require_columns

__all__ = ["branch_means", "rank_intervals", "NoBranchVarianceWarning", "DroppedRowsWarning"]

METHODS = ("blup", "raw")

logger = logging.getLogger(__name__)


class NoBranchVarianceWarning(UserWarning):
    """The REML estimate of the between-branch variance is zero: every branch gets the pooled mean."""


class DroppedRowsWarning(UserWarning):
    """Rows with a missing response, branch or covariate were left out (the count is in the message)."""


def _prepare(data, y, by, covariates, what):
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"{what}: data must be a DataFrame, got {type(data).__name__}")
    covariates = [] if covariates is None else ([covariates] if isinstance(covariates, str) else list(covariates))
    cols = [by, y, *covariates]
    if len(set(cols)) < len(cols):
        raise ValueError(f"{what}: by={by!r}, y={y!r} and covariates={covariates} must be different columns")
    require_columns(data, cols, what=what)
    d = data[cols]
    for c in [y, *covariates]:
        if not pd.api.types.is_numeric_dtype(d[c]) or pd.api.types.is_bool_dtype(d[c]):
            raise ValueError(f"{what}: column {c!r} must be numeric, got dtype {d[c].dtype}")
    keep = d.notna().all(axis=1).to_numpy()
    n_dropped = int((~keep).sum())
    if n_dropped:
        counts = {c: int(d[c].isna().sum()) for c in cols if d[c].isna().any()}
        warnings.warn(
            f"{what}: left out {n_dropped} of {len(d)} rows with a missing value (missing per column: {counts})",
            DroppedRowsWarning,
            stacklevel=3,
        )
    d = d.loc[keep]
    if d.empty:
        raise ValueError(f"{what}: no rows with {y!r}, {by!r} and the covariates all present")
    codes, levels = pd.factorize(d[by], sort=True)
    if len(levels) < 2:
        raise ValueError(f"{what}: need at least 2 groups in column {by!r}, got {len(levels)} ({list(levels)})")
    yv = d[y].to_numpy(dtype=float)
    X = np.column_stack([np.ones(len(d)), *(d[c].to_numpy(dtype=float) for c in covariates)])
    if np.linalg.matrix_rank(X) < X.shape[1]:
        raise ValueError(f"{what}: the covariates {covariates} are constant or collinear with each other")
    return yv, X, codes, levels, covariates, n_dropped


def _sums(yv, X, codes, k):
    n = np.bincount(codes, minlength=k).astype(float)
    s = np.zeros((k, X.shape[1]))
    np.add.at(s, codes, X)
    t = np.bincount(codes, weights=yv, minlength=k)
    return n, s, t


def _gls(lam, yv, X, n, s, t):
    """GLS at variance ratio ``lam`` = τ²/σ²: (β̂, X'H⁻¹X, r'H⁻¹r) with V = σ² H."""
    c = lam / (1.0 + n * lam)
    xhx = X.T @ X - (s * c[:, None]).T @ s
    xhy = X.T @ yv - (s * (c * t)[:, None]).sum(axis=0)
    beta = np.linalg.solve(xhx, xhy)
    yhy = yv @ yv - np.sum(c * t**2)
    return beta, xhx, float(yhy - beta @ xhy)


def _reml_deviance(lam, yv, X, n, s, t):
    """Profiled REML deviance (up to a constant) of the random-intercept model at ratio ``lam``."""
    _, xhx, rss = _gls(lam, yv, X, n, s, t)
    dof = len(yv) - X.shape[1]
    return dof * np.log(rss) + np.sum(np.log1p(n * lam)) + np.linalg.slogdet(xhx)[1]


def _g3(tau2: float, sigma2: float, n: np.ndarray) -> np.ndarray:
    """Prasad–Rao g3 of each branch mean (see the module notes); 0 when τ² = 0 would divide by 0 only if σ² = 0."""
    lam = sigma2 + n * tau2
    info = 0.5 * np.array([
        [np.sum(n**2 / lam**2), np.sum(n / lam**2)],
        [np.sum(n / lam**2), np.sum((n - 1.0) / sigma2**2 + 1.0 / lam**2)],
    ])
    v = np.linalg.inv(info)
    return (sigma2**2 * v[0, 0] + tau2**2 * v[1, 1] - 2.0 * sigma2 * tau2 * v[0, 1]) / (n**2 * (tau2 + sigma2 / n) ** 3)


def _fit_reml(yv, X, codes, n, s, t, what):
    """REML variance components (τ², σ²) of the random-intercept model.

    statsmodels ``MixedLM`` (REML) gives the fit; the variance ratio is then polished
    by a bounded one-dimensional search of the closed-form profiled REML deviance
    (so the result does not hinge on the optimizer's tolerance), and compared with
    the boundary ratio 0.
    """
    import statsmodels.api as sm
    from scipy.optimize import minimize_scalar

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # statsmodels' boundary / retry chatter; checked below
        try:
            res = sm.MixedLM(yv, X, groups=codes).fit(reml=True)
            lam0 = float(np.asarray(res.cov_re)[0, 0]) / float(res.scale)
            converged = bool(res.converged) and np.isfinite(lam0)
        except (np.linalg.LinAlgError, ValueError):
            lam0, converged = np.nan, False
    if not converged:  # typically tau2 on the boundary 0; the profiled search below settles it
        logger.debug("%s: statsmodels MixedLM did not converge; using the profiled REML search alone", what)
    lam0 = lam0 if np.isfinite(lam0) and lam0 > 0 else 1.0
    hi = np.sqrt(max(25.0 * lam0, 10.0))  # search in θ = sqrt(τ²/σ²), as lme4 does

    def dev(theta):
        return _reml_deviance(theta**2, yv, X, n, s, t)

    opt = minimize_scalar(dev, bounds=(0.0, hi), method="bounded", options={"xatol": 1e-10 * hi})
    theta = float(opt.x)
    if dev(0.0) - dev(theta) < 1e-8:  # the boundary fits as well (a deviance gain below 1e-8 is rounding)
        theta = 0.0
    lam = theta**2
    _, _, rss = _gls(lam, yv, X, n, s, t)
    sigma2 = rss / (len(yv) - X.shape[1])
    return lam * sigma2, sigma2


def branch_means(
    data: pd.DataFrame,
    y: str,
    *,
    by: str = "branch_id",
    method: str = "blup",
    covariates=None,
    alpha: float = 0.05,
    mse: str = "prasad_rao",
    seed=None,
) -> pd.DataFrame:
    """Small-area estimates of each branch's mean of ``y`` (shrunken, with MSE-based intervals).

    Parameters
    ----------
    data : DataFrame
        One row per response, with columns ``by``, ``y`` and the covariates.
        Rows with any of them missing are left out (:class:`DroppedRowsWarning`).
    y : str
        Numeric response column (e.g. a 0–100 satisfaction score).
    by : str
        Branch (small area) column. A branch with a single response is allowed.
    method : {"blup", "raw"}
        ``"blup"``: random-intercept model ``y ~ covariates + (1 | by)`` fitted by
        REML (statsmodels ``MixedLM``; the variance ratio polished by a
        one-dimensional profiled-REML search) and the empirical BLUP of each
        branch mean. ``"raw"``: the branch's sample mean and its SE
        ``sd / sqrt(n)`` (``ddof=1``; NaN for a branch with one response).
    covariates : str or list of str, optional
        Numeric response-level covariates of the fixed part (``"blup"`` only).
        The branch mean is then ``x̄_j' β + u_j``, with ``x̄_j`` the branch's own
        respondents' mean covariates: the covariates sharpen the part a small
        branch borrows, they do not re-weight the branch to a common mix.
    alpha : float
        Intervals are ``estimate ± z_{1-alpha/2} · se`` (normal; 0.05: 95%).
    mse : {"prasad_rao", "g1g2"}
        ``"prasad_rao"`` (default): ``MSE = g1 + g2 + 2 g3`` (see the module notes),
        which accounts for the estimated variance components; ``"g1g2"`` leaves out
        the g3 term (the MSE at known τ², σ²; the version before g3 was added).
    seed : int, Generator or None
        Not used by the current methods (both are deterministic); reserved for
        the bootstrap MSE of a later version.

    Returns
    -------
    DataFrame
        One row per branch, sorted by ``by``: ``<by>, n`` (responses used),
        ``raw_mean``, ``estimate`` (shrunken mean; the raw mean for ``"raw"``),
        ``se`` (``sqrt(MSE)`` = ``sqrt(g1 + g2 + 2 g3)``, see the module notes: the
        conditional variance of the BLUP, the fixed-part uncertainty and the
        uncertainty of τ², σ²; ``sqrt(g1 + g2)`` with ``mse="g1g2"``; for ``"raw"``
        the SE of the mean),
        ``ci_lower, ci_upper``, ``shrinkage`` (γ_j, the weight on the branch's own
        mean; 1 for ``"raw"``).
        ``attrs``: ``method, by, y, alpha, n_dropped``; for ``"blup"`` also
        ``branch_variance`` (τ²), ``residual_variance`` (σ²), ``fixed_effects``
        and ``fixed_se`` (dicts term → value; terms ``Intercept`` and the covariates),
        ``mse`` and ``mse_terms`` (a frame ``<by>, g1, g2, g3``).

    Warns
    -----
    NoBranchVarianceWarning
        The REML estimate of τ² is 0: every branch gets the pooled (fixed-part)
        mean, ``shrinkage`` is 0 and ``se`` is that of the pooled mean.
    DroppedRowsWarning
        Rows with missing values were left out.

    Validated against
    -----------------
    R lme4 1.1-31 ``lmer(REML=TRUE)`` on ``tests/reference/survey/small_area_data.csv``
    (24 branches of 1–40 responses; ``y ~ 1`` and ``y ~ tenure``): τ², σ², the
    fixed effects, ``fixef + ranef`` and ``g1`` (``postVar``) to 1e-5 relative;
    ``g1 + g2`` against the diagonal of the inverse of Henderson's mixed-model
    equations (computed in R) to 1e-5 relative; ``g3`` against the same formula
    evaluated in R with the explicit covariance matrices of the branches
    (tests/reference/survey/small_area_lme4.R) to 1e-5 relative. Simulated truth (100 seeds, 30
    branches of 10–40 responses): the 95% intervals cover the true branch means
    at least 90% of the time and the shrunken means have a lower mean squared
    error than the raw means.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> n = rng.integers(10, 41, 12)
    >>> b = np.repeat([f"B{i:02d}" for i in range(12)], n)
    >>> u = rng.normal(0, 6, 12)
    >>> df = pd.DataFrame({"branch_id": b, "sat": 70 + np.repeat(u, n) + rng.normal(0, 12, n.sum())})
    >>> est = branch_means(df, "sat")
    >>> list(est.columns)
    ['branch_id', 'n', 'raw_mean', 'estimate', 'se', 'ci_lower', 'ci_upper', 'shrinkage']
    >>> bool(((est.shrinkage > 0) & (est.shrinkage < 1)).all())
    True
    """
    what = "branch_means"
    check_choice("method", method, METHODS)
    check_choice("mse", mse, ("prasad_rao", "g1g2"))
    z = critical_value(check_alpha(alpha))
    if method == "raw" and covariates:
        raise ValueError("branch_means: covariates apply only to method='blup'; method='raw' is the plain mean")
    yv, X, codes, levels, covariates, n_dropped = _prepare(data, y, by, covariates, what)
    k = len(levels)
    n, s, t = _sums(yv, X, codes, k)
    ybar = t / n
    attrs = {"method": method, "by": by, "y": y, "alpha": float(alpha), "n_dropped": n_dropped}
    if method == "raw":
        ss = np.bincount(codes, weights=(yv - ybar[codes]) ** 2, minlength=k)
        with np.errstate(invalid="ignore", divide="ignore"):
            se = np.where(n > 1, np.sqrt(ss / np.maximum(n - 1, 1) / n), np.nan)
        est, gamma = ybar, np.ones(k)
    else:
        tau2, sigma2 = _fit_reml(yv, X, codes, n, s, t, what)
        if tau2 == 0.0:
            warnings.warn(
                f"{what}: the estimated variance between groups of {by!r} is 0 (no branch differs beyond "
                f"chance); every branch gets the pooled mean of {y!r}",
                NoBranchVarianceWarning,
                stacklevel=2,
            )
        lam = tau2 / sigma2
        beta, xhx, _ = _gls(lam, yv, X, n, s, t)
        cov_beta = sigma2 * np.linalg.inv(xhx)
        gamma = n * lam / (1.0 + n * lam)
        xbar = s / n[:, None]
        fixed = xbar @ beta
        est = fixed + gamma * (ybar - fixed)
        g1 = (1.0 - gamma) * tau2
        g2 = (1.0 - gamma) ** 2 * np.einsum("ij,jk,ik->i", xbar, cov_beta, xbar)
        g3 = _g3(tau2, sigma2, n)
        se = np.sqrt(g1 + g2 + 2.0 * g3) if mse == "prasad_rao" else np.sqrt(g1 + g2)
        terms = ["Intercept", *covariates]
        attrs |= {
            "branch_variance": float(tau2),
            "residual_variance": float(sigma2),
            "fixed_effects": dict(zip(terms, map(float, beta))),
            "fixed_se": dict(zip(terms, map(float, np.sqrt(np.diag(cov_beta))))),
            "mse": mse,
            "mse_terms": pd.DataFrame({by: levels, "g1": g1, "g2": g2, "g3": g3}),
        }
    out = pd.DataFrame(
        {
            by: levels,
            "n": n.astype(int),
            "raw_mean": ybar,
            "estimate": est,
            "se": se,
            "ci_lower": est - z * se,
            "ci_upper": est + z * se,
            "shrinkage": gamma,
        }
    )
    out.attrs = attrs
    return out


def rank_intervals(
    estimates: pd.DataFrame,
    *,
    n_draws: int = 4000,
    top: int = 3,
    bottom: int = 3,
    alpha: float = 0.05,
    seed=None,
) -> pd.DataFrame:
    """Ranks of branches with their uncertainty, by simulation from N(estimate, se²).

    Each draw takes every branch's mean independently from a normal with its
    ``estimate`` and ``se`` (the approximate posterior; the small correlation
    between BLUPs through the common fixed part is ignored) and ranks the
    branches, 1 = highest. Per branch: the median rank, the rank interval (the
    ``alpha/2`` and ``1 - alpha/2`` quantiles of its ranks, inverted-CDF
    definition, so they are ranks that occurred) and the share of draws in which
    it is among the ``top`` highest / ``bottom`` lowest.

    Parameters
    ----------
    estimates : DataFrame
        Output of :func:`branch_means` (or any frame with the id column,
        ``estimate`` and ``se``; the id column is ``attrs["by"]`` when set,
        otherwise ``branch_id``). ``se`` must be finite and ≥ 0.
    n_draws : int
        Number of simulation draws.
    top, bottom : int
        k of the top-k / bottom-k probabilities (1 ≤ k ≤ number of branches).
    alpha : float
        The rank interval holds the central ``1 - alpha`` of the draws (0.05: 95%).
    seed : int, Generator or None
        Randomness; the same seed gives identical results.

    Returns
    -------
    DataFrame
        One row per branch, sorted by ``rank``: ``<by>, estimate, se``,
        ``rank`` (rank of the estimate itself, ties share the lowest rank),
        ``median_rank, ci_lower, ci_upper`` (the rank interval), ``prob_top``,
        ``prob_bottom``. ``attrs``: ``by, n_draws, top, bottom, alpha``.

    Validated against
    -----------------
    Closed forms: with two branches, ``prob_top`` (k = 1) equals
    ``Φ((μ1 - μ2) / sqrt(se1² + se2²))`` within Monte Carlo error; the top-k
    probabilities sum to k; exchangeable branches each have probability k/K.
    Simulated truth (30 seeds, 30 branches of 10–40 responses, ranks of the
    :func:`branch_means` BLUPs): the 95% rank intervals contain the true rank at
    least 90% of the time.

    Examples
    --------
    >>> est = pd.DataFrame({"branch_id": ["A", "B", "C"], "estimate": [80.0, 70.0, 60.0], "se": [0.1, 0.1, 0.1]})
    >>> rank_intervals(est, top=1, bottom=1, seed=1)[["branch_id", "median_rank", "prob_top", "prob_bottom"]]
      branch_id  median_rank  prob_top  prob_bottom
    0         A            1       1.0          0.0
    1         B            2       0.0          0.0
    2         C            3       0.0          1.0
    """
    from scipy.stats import rankdata

    what = "rank_intervals"
    if not isinstance(estimates, pd.DataFrame):
        raise TypeError(f"{what}: estimates must be a DataFrame, got {type(estimates).__name__}")
    by = estimates.attrs.get("by", "branch_id")
    require_columns(estimates, [by, "estimate", "se"], what=what, table="estimates")
    check_alpha(alpha)
    k = len(estimates)
    if k < 2:
        raise ValueError(f"{what}: need at least 2 branches to rank, got {k}")
    if estimates[by].duplicated().any():
        dup = estimates.loc[estimates[by].duplicated(), by].tolist()
        raise ValueError(f"{what}: column {by!r} has duplicated branches {dup[:10]}")
    for name, v, lo in (("n_draws", n_draws, 1), ("top", top, 1), ("bottom", bottom, 1)):
        if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v < lo:
            raise ValueError(f"{what}: {name} must be a positive integer, got {v!r}")
    if top > k or bottom > k:
        raise ValueError(f"{what}: top={top} and bottom={bottom} must not exceed the {k} branches")
    mu = pd.to_numeric(estimates["estimate"], errors="coerce").to_numpy(dtype=float)
    sd = pd.to_numeric(estimates["se"], errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(mu) | ~np.isfinite(sd) | (sd < 0)
    if bad.any():
        ids = estimates.loc[bad, by].tolist()
        raise ValueError(
            f"{what}: branches {ids[:10]} have a missing/infinite estimate or se (or se < 0); "
            "a branch with one response has no raw SE — use method='blup' or drop it"
        )
    rng = np.random.default_rng(seed)
    counts = np.zeros((k, k), dtype=np.int64)  # counts[branch, rank - 1]
    rows = np.arange(k)
    chunk = max(1, min(n_draws, 2_000_000 // k))
    done = 0
    while done < n_draws:
        m = min(chunk, n_draws - done)
        draws = mu + sd * rng.standard_normal((m, k))
        ranks = rankdata(-draws, method="min", axis=1).astype(np.int64) - 1
        counts += np.bincount((rows * k + ranks).ravel(), minlength=k * k).reshape(k, k)
        done += m
    cdf = np.cumsum(counts, axis=1) / n_draws

    def quantile(q):  # inverted-CDF: the smallest rank whose CDF reaches q
        return (cdf < q - 1e-12).sum(axis=1) + 1

    share = counts / n_draws
    out = pd.DataFrame(
        {
            by: estimates[by].to_numpy(),
            "estimate": mu,
            "se": sd,
            "rank": rankdata(-mu, method="min").astype(int),
            "median_rank": quantile(0.5),
            "ci_lower": quantile(alpha / 2),
            "ci_upper": quantile(1 - alpha / 2),
            "prob_top": share[:, :top].sum(axis=1),
            "prob_bottom": _bottom_share(counts, bottom) / n_draws,
        }
    )
    out = out.sort_values(["rank", by], kind="stable").reset_index(drop=True)
    out.attrs = {"by": by, "n_draws": int(n_draws), "top": int(top), "bottom": int(bottom), "alpha": float(alpha)}
    return out


def _bottom_share(counts: np.ndarray, bottom: int) -> np.ndarray:
    """Draws in which a branch is among the ``bottom`` lowest (its min-rank > K - bottom)."""
    k = counts.shape[1]
    return counts[:, k - bottom:].sum(axis=1)
