"""Closed-form survey planning for cluster samples (customers sampled within branches).

Four planning numbers, each a plain function of the design's inputs:

* :func:`design_effect` — Kish's design effect of a cluster sample with unequal weights;
* :func:`responses_per_branch` — the responses per branch a target confidence-interval
  half-width needs, for one branch's mean or for the overall mean over ``n_branches``;
* :func:`power_two_means` — power of, or group size for, a two-sided comparison of two means
  (normal approximation, or the t test as R ``pwr::pwr.t.test``);
* :func:`mde_cluster` — the minimum detectable effect of a two-arm cluster-randomised design.

Throughout, ``sd`` is the *total* standard deviation of one response (between plus within
branches, as from a pilot pooled over branches) and ``icc`` the intraclass correlation ρ, the
share of that variance lying between branches: ``σ_between² = ρσ²`` and ``σ_within² = (1-ρ)σ²``.

>>> round(design_effect(0.05, 20), 6)
1.95
>>> responses_per_branch(0.1, sd=1.0, icc=0.05)
365
>>> responses_per_branch(0.1, sd=1.0, icc=0.05, n_branches=40)
18
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import optimize, stats

from fusion_study.data.checks import check_alpha, check_choice, critical_value

__all__ = ["design_effect", "responses_per_branch", "power_two_means", "mde_cluster", "survey_precision",
           "branch_icc", "POWER_METHODS"]

#: Methods of :func:`power_two_means`.
POWER_METHODS = ("t", "normal")

# a computed size within this (relative) distance above an integer is that integer, not the next one
_CEIL_TOL = 1e-9


def _number(name: str, value, *, low: float | None = None, high: float | None = None,
            low_open: bool = False, high_open: bool = False) -> float:
    """``value`` as a finite float inside the stated range, or a ``ValueError`` saying the rule."""
    if isinstance(value, bool):
        raise ValueError(f"{name} must be a number, got {value!r}")
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, got {value!r}") from None
    if not math.isfinite(x):
        raise ValueError(f"{name} must be finite, got {value!r}")
    if low is not None and (x < low or (low_open and x == low)):
        raise ValueError(f"{name} must be {'>' if low_open else '>='} {low:g}, got {value!r}")
    if high is not None and (x > high or (high_open and x == high)):
        raise ValueError(f"{name} must be {'<' if high_open else '<='} {high:g}, got {value!r}")
    return x


def _ceil(x: float) -> int:
    """Round a required size up, without turning 17.000000000001 (rounding noise) into 18."""
    return int(math.ceil(x * (1.0 - _CEIL_TOL)))


def design_effect(icc: float, m: float, *, cv_weights: float = 0.0) -> float:
    """Kish's design effect of a cluster sample: ``(1 + (m - 1)ρ) · (1 + CV²)``.

    The factor by which clustering (``m`` responses per cluster with intraclass correlation
    ``ρ``) and unequal weights (coefficient of variation ``CV`` of the weights) inflate the
    variance of a mean over that of a simple random sample of the same size.

    Parameters
    ----------
    icc : float
        Intraclass correlation ρ in [0, 1].
    m : float
        Responses per cluster (branch), ``>= 1``; the mean cluster size when sizes vary.
    cv_weights : float, default 0
        Coefficient of variation (sd / mean) of the survey weights, ``>= 0``; 0 for equal weights.

    Returns
    -------
    float
        The design effect, ``>= 1``.

    Notes
    -----
    Kish (1965, 1987): ``deff = deff_cluster · deff_weights`` with ``deff_cluster = 1 + (m-1)ρ`` and
    ``deff_weights = 1 + CV²``; the effective sample size is ``n / deff``.

    Validated against: hand computation of the published formula (tolerance 1e-12).

    Examples
    --------
    >>> round(design_effect(0.05, 20), 6), round(design_effect(0.05, 20, cv_weights=0.5), 6)
    (1.95, 2.4375)
    """
    rho = _number("icc", icc, low=0.0, high=1.0)
    m = _number("m", m, low=1.0)
    cv = _number("cv_weights", cv_weights, low=0.0)
    return (1.0 + (m - 1.0) * rho) * (1.0 + cv * cv)


def responses_per_branch(half_width: float, *, sd: float, icc: float, n_branches: int | None = None,
                         alpha: float = 0.05, deff_weights: float = 1.0) -> int:
    """Responses per branch for a target half-width of a ``1 - alpha`` confidence interval.

    Parameters
    ----------
    half_width : float
        Target half-width ``h`` of the interval, in the units of the response (``> 0``).
    sd : float
        Total standard deviation σ of one response, pooled over branches (``> 0``).
    icc : float
        Intraclass correlation ρ in [0, 1): the share of σ² lying between branches.
    n_branches : int, optional
        ``None`` (default): the size for the mean of **one branch**. An integer ``k``: the size per
        branch for the **overall mean** over ``k`` sampled branches with equally many responses each.
    alpha : float, default 0.05
        Significance level; ``z = z_{1-alpha/2}``.
    deff_weights : float, default 1
        Design effect of unequal weights within a branch, ``1 + CV²`` (``>= 1``).

    Returns
    -------
    int
        The responses per branch, rounded up.

    Raises
    ------
    ValueError
        For an unreachable target: with ``n_branches`` too small no number of responses per
        branch reaches ``h`` (the error states the fewest branches that can).

    Notes
    -----
    Write ``z = z_{1-alpha/2}`` and ``A = z²σ²·deff_weights / h²`` (the size of a simple random
    sample reaching ``h``).

    *One branch's mean.* The target is that branch's own mean, so the between-branch component
    ``ρσ²`` is not sampling error: every response comes from the same branch, there is no
    clustering inside it and the clustering design effect ``1 + (m-1)ρ`` does not apply. What
    remains is the within-branch variance ``(1-ρ)σ²``::

        n = z² (1-ρ) σ² · deff_weights / h²  =  (1-ρ) · A

    The ICC therefore *lowers* the size rather than raising it; ``icc=0`` (``n = A``, the plain
    ``z²σ²/h²``) is the conservative choice when ``sd`` is already a within-branch sd or ρ is
    unknown.

    *The overall mean over k branches* (branches a sample of the branches the mean refers to,
    ``m`` responses in each, equal weight per branch). Its variance is
    ``σ²(1 + (m-1)ρ)·deff_weights / (k m) = (ρσ² + (1-ρ)σ²/m)·deff_weights / k``; setting
    ``z²·Var = h²`` and solving for ``m``::

        m = (1-ρ) / (k/A - ρ),   which needs   k > ρ A = z² ρ σ² · deff_weights / h².

    Below that number of branches the between-branch variance alone is wider than the target:
    add branches, not responses.

    No finite-population correction is applied (conservative for small branches surveyed almost
    completely).

    Validated against: hand computation of the formulas above (tolerance 1e-12 before rounding).

    Examples
    --------
    >>> responses_per_branch(0.1, sd=1.0, icc=0.0)        # 1.959964² / 0.1² = 384.1
    385
    >>> responses_per_branch(0.1, sd=1.0, icc=0.05, n_branches=40)
    18
    """
    h = _number("half_width", half_width, low=0.0, low_open=True)
    sigma = _number("sd", sd, low=0.0, low_open=True)
    rho = _number("icc", icc, low=0.0, high=1.0, high_open=True)
    dw = _number("deff_weights", deff_weights, low=1.0)
    z = critical_value(check_alpha(alpha))
    a = z * z * sigma * sigma * dw / (h * h)
    if n_branches is None:
        return _ceil((1.0 - rho) * a)
    if isinstance(n_branches, bool) or not float(n_branches).is_integer() or n_branches < 1:
        raise ValueError(f"n_branches must be a positive whole number of branches (or None), got {n_branches!r}")
    k = int(n_branches)
    if k <= rho * a:
        need = math.floor(rho * a) + 1
        raise ValueError(
            f"responses_per_branch: with icc={rho:g} the between-branch variance alone makes the "
            f"{1 - alpha:.0%} half-width of the overall mean wider than {h:g} with {k} branches; "
            f"no number of responses per branch reaches it. Survey at least {need} branches "
            f"(more than z²·icc·sd²·deff_weights/half_width² = {rho * a:.4g}) or accept a wider interval."
        )
    return _ceil((1.0 - rho) / (k / a - rho))


def _power(d: float, n: float, alpha: float, method: str) -> float:
    """Two-sided power of the two-sample test of standardised difference ``d`` with ``n`` per group."""
    ncp = abs(d) * math.sqrt(n / 2.0)
    if method == "normal":
        z = critical_value(alpha)
        return float(stats.norm.sf(z - ncp) + stats.norm.cdf(-z - ncp))
    nu = 2.0 * (n - 1.0)
    q = float(stats.t.isf(alpha / 2.0, nu))
    upper = float(stats.nct.sf(q, nu, ncp))
    lower = float(stats.nct.cdf(-q, nu, ncp))
    # scipy's non-central t returns NaN deep in a tail: there the tail is 0 (or the power 1) to precision
    if math.isnan(lower) and ncp > 10.0:
        lower = 0.0
    if math.isnan(upper) and ncp > q + 10.0:
        upper = 1.0
    if math.isnan(upper) or math.isnan(lower):
        raise ValueError(f"power_two_means: the t power is not computable at d={d:g}, n_per_group={n:g}; "
                         f"try method='normal'")
    return upper + lower


def power_two_means(effect: float, *, sd: float, n_per_group: float | None = None, power: float | None = None,
                    alpha: float = 0.05, method: str = "t") -> pd.DataFrame:
    """Power of, or the group size for, a two-sided comparison of two independent means.

    Give exactly one of ``n_per_group`` (the power is computed) and ``power`` (the group size is
    solved for).

    Parameters
    ----------
    effect : float
        The difference in means to detect, in the units of the response (non-zero).
    sd : float
        The common standard deviation σ (``> 0``); ``d = effect / sd`` is Cohen's d.
    n_per_group : float, optional
        Responses in each of the two groups (``> 1``; fractional sizes are allowed, as in R pwr).
    power : float, optional
        The target power in (alpha, 1).
    alpha : float, default 0.05
        Two-sided significance level.
    method : {"t", "normal"}, default "t"
        ``"t"``: the two-sample t test with ``2n - 2`` degrees of freedom and the non-central t
        distribution (as R ``pwr::pwr.t.test(type="two.sample", alternative="two.sided")``).
        ``"normal"``: the z test with known σ, ``Φ(d√(n/2) - z) + Φ(-d√(n/2) - z)``.

    Returns
    -------
    pandas.DataFrame
        One row: ``mean_difference`` (``effect``), ``sd``, ``d`` (``|effect| / sd``),
        ``n_per_group`` (given, or the exact real solution — round it up to plan),
        ``power``, ``alpha``, ``method``.

    Notes
    -----
    Both tails are counted, as R pwr does; the familiar closed form
    ``n = 2(z_{1-α/2} + z_{1-β})² / d²`` is the normal method without the far tail and is slightly
    larger. Solving for ``n`` uses Brent's method to ``1e-12``.

    Validated against: R pwr 1.3.0 ``pwr.t.test`` and ``pwr.norm.test`` (with ``d/√2``), power
    and ``n`` to 1e-6 (``tests/reference/planning/pwr_reference.R``).

    Examples
    --------
    >>> res = power_two_means(0.5, sd=1.0, power=0.8)
    >>> round(float(res.loc[0, "n_per_group"]), 4)
    63.7656
    >>> round(float(power_two_means(0.5, sd=1.0, n_per_group=64).loc[0, "power"]), 6)
    0.801460
    """
    method = check_choice("method", method, POWER_METHODS)
    alpha = check_alpha(alpha)
    diff = _number("effect", effect)
    if diff == 0.0:
        raise ValueError("effect must be a non-zero difference in means (the power against 0 is alpha)")
    sigma = _number("sd", sd, low=0.0, low_open=True)
    d = abs(diff) / sigma
    if (n_per_group is None) == (power is None):
        raise ValueError("power_two_means: give exactly one of n_per_group= (to get the power) "
                         "and power= (to get the group size)")
    if n_per_group is not None:
        n = _number("n_per_group", n_per_group, low=1.0, low_open=True)
        pw = _power(d, n, alpha, method)
    else:
        pw = _number("power", power, low=alpha, high=1.0, low_open=True, high_open=True)
        lo = 2.0 + 1e-10 if method == "t" else 1e-10  # as R pwr: the t test needs 2 per group
        f = lambda x: _power(d, x, alpha, method) - pw  # noqa: E731
        if f(lo) >= 0.0:
            raise ValueError(f"power_two_means: d={d:g} is so large that 2 per group already give power "
                             f"{_power(d, lo, alpha, method):.4f} >= {pw:g}; the t test needs at least 2 per group")
        else:
            hi = 4.0
            while f(hi) < 0.0:
                hi *= 4.0
                if hi > 1e12:
                    raise ValueError(f"power_two_means: the group size for power={pw:g} exceeds 1e12")
            n = float(optimize.brentq(f, lo, hi, xtol=1e-12, rtol=4 * np.finfo(float).eps, maxiter=500))
    return pd.DataFrame(
        {"mean_difference": [diff], "sd": [sigma], "d": [d], "n_per_group": [n], "power": [pw],
         "alpha": [alpha], "method": [method]}
    )


def mde_cluster(n_clusters: int, m: float, *, icc: float, sd: float, alpha: float = 0.05, power: float = 0.8,
                treated_share: float = 0.5) -> pd.DataFrame:
    """Minimum detectable effect of a two-arm cluster-randomised design (normal approximation).

    ``n_clusters`` branches in all, a share ``P`` of them treated, ``m`` responses in each:

    ``MDE = (z_{1-α/2} + z_{power}) · σ · sqrt( ρ / (P(1-P)J) + (1-ρ) / (P(1-P)J m) )``

    (Bloom 1995, 2005, with z- instead of t-multipliers). The square root times σ is the standard
    error of the difference in arm means, ``sqrt(σ²(1 + (m-1)ρ) / (P(1-P) J m))``.

    Parameters
    ----------
    n_clusters : int
        Total number of clusters (branches) ``J`` over both arms (``>= 2``).
    m : float
        Responses per cluster (``>= 1``).
    icc : float
        Intraclass correlation ρ in [0, 1].
    sd : float
        Total standard deviation σ of one response (``> 0``).
    alpha : float, default 0.05
        Two-sided significance level.
    power : float, default 0.8
        Power in (0, 1).
    treated_share : float, default 0.5
        Share ``P`` of the clusters assigned to treatment, in (0, 1).

    Returns
    -------
    pandas.DataFrame
        One row: ``n_clusters``, ``m``, ``icc``, ``sd``, ``alpha``, ``power``, ``treated_share``,
        ``design_effect`` (``1 + (m-1)ρ``), ``multiplier`` (``z_{1-α/2} + z_{power}``), ``se`` (of the
        difference in arm means), ``mde`` (response units) and ``mde_sd`` (``mde / sd``, Cohen's d).

    Notes
    -----
    With few clusters the z-multiplier understates the MDE; Bloom's t-multiplier with ``J - 2``
    degrees of freedom is larger (2.96 instead of 2.80 at 20 clusters, alpha 0.05, power 0.8).

    Validated against: hand computation of Bloom's (1995) formula (tolerance 1e-12).

    Examples
    --------
    >>> res = mde_cluster(40, 20, icc=0.05, sd=1.0)
    >>> round(float(res.loc[0, "mde"]), 4), round(float(res.loc[0, "design_effect"]), 2)
    (0.2766, 1.95)
    """
    if isinstance(n_clusters, bool) or not float(n_clusters).is_integer() or n_clusters < 2:
        raise ValueError(f"n_clusters must be a whole number of clusters >= 2 (both arms together), got {n_clusters!r}")
    j = int(n_clusters)
    m = _number("m", m, low=1.0)
    rho = _number("icc", icc, low=0.0, high=1.0)
    sigma = _number("sd", sd, low=0.0, low_open=True)
    alpha = check_alpha(alpha)
    pw = _number("power", power, low=0.0, high=1.0, low_open=True, high_open=True)
    p = _number("treated_share", treated_share, low=0.0, high=1.0, low_open=True, high_open=True)
    multiplier = critical_value(alpha) + float(stats.norm.ppf(pw))
    se = sigma * math.sqrt(rho / (p * (1 - p) * j) + (1 - rho) / (p * (1 - p) * j * m))
    mde = multiplier * se
    return pd.DataFrame(
        {"n_clusters": [j], "m": [m], "icc": [rho], "sd": [sigma], "alpha": [alpha], "power": [pw],
         "treated_share": [p], "design_effect": [1.0 + (m - 1.0) * rho], "multiplier": [multiplier],
         "se": [se], "mde": [mde], "mde_sd": [mde / sigma]}
    )


def survey_precision(n_branches: int, *, icc: float, responses_per_branch: int, sd: float = 1.0,
                     half_widths=(0.1, 0.2, 0.3), alpha: float = 0.05) -> pd.DataFrame:
    """Survey precision of one wave: the half-widths ``m`` responses per branch give, and the ``m`` targets need.

    Two targets per wave:

    * ``branch_mean`` — one branch's mean (the within-branch variance ``(1-ρ)σ²`` only; see
      :func:`responses_per_branch` with ``n_branches=None``): half-width
      ``z σ sqrt((1-ρ)/m)``;
    * ``city_mean`` — the mean over **all** ``n_branches`` branches of the city, each surveyed with
      ``m`` responses and weighted equally. The branches are the whole population, not a sample, so
      the between-branch variance is no sampling error: half-width ``z σ sqrt((1-ρ)/(k m))``, and
      ``m = (1-ρ) z²σ²/(k h²)``, i.e. :func:`responses_per_branch` at half-width ``h·sqrt(k)``.
      (For branches *sampled* from more, use ``responses_per_branch(..., n_branches=k)``.)

    The design effect ``1 + (m-1)ρ`` is reported for comparison with a simple random sample of
    ``k·m`` retailers from a population whose branches are sampled.

    Parameters
    ----------
    n_branches : int
        Branches surveyed each wave ``k`` (``>= 1``).
    icc : float
        Intraclass correlation ρ in [0, 1).
    responses_per_branch : int
        The planned responses per branch and wave ``m`` (``>= 1``).
    sd : float, default 1
        Total standard deviation σ of one response (1: half-widths in standard deviations).
    half_widths : sequence of float
        Target half-widths (units of ``sd``) to size the survey for.
    alpha : float, default 0.05
        For ``1 - alpha`` intervals.

    Returns
    -------
    pandas.DataFrame
        One row per target (``"branch_mean"``, ``"city_mean"``) and half-width: ``target``,
        ``n_branches``, ``icc``, ``responses_per_branch`` (the plan's ``m``), ``design_effect``,
        ``planned_half_width`` (what ``m`` gives), ``half_width`` (the target) and
        ``responses_needed`` (per branch and wave, rounded up).

    Validated against: :func:`responses_per_branch` and the formulas above (tolerance 1e-12).

    Examples
    --------
    >>> t = survey_precision(24, icc=0.2, responses_per_branch=12, half_widths=[0.1])
    >>> t[["target", "planned_half_width", "responses_needed"]].round(3)
            target  planned_half_width  responses_needed
    0  branch_mean               0.506               308
    1    city_mean               0.103                13
    """
    if isinstance(n_branches, bool) or not float(n_branches).is_integer() or n_branches < 1:
        raise ValueError(f"n_branches must be a positive whole number of branches, got {n_branches!r}")
    k = int(n_branches)
    rho = _number("icc", icc, low=0.0, high=1.0, high_open=True)
    m = _number("responses_per_branch", responses_per_branch, low=1.0)
    m = int(m) if m.is_integer() else m
    sigma = _number("sd", sd, low=0.0, low_open=True)
    z = critical_value(check_alpha(alpha))
    targets = [_number("half_widths", h, low=0.0, low_open=True) for h in np.atleast_1d(half_widths)]
    deff = design_effect(rho, m)
    rows = []
    for target, k_eff in (("branch_mean", 1), ("city_mean", k)):
        planned = z * sigma * math.sqrt((1.0 - rho) / (k_eff * m))
        for h in targets:
            rows.append({"target": target, "n_branches": k, "icc": rho, "responses_per_branch": m,
                         "design_effect": deff, "planned_half_width": planned, "half_width": h,
                         "responses_needed": _RESPONSES(h * math.sqrt(k_eff), sd=sigma, icc=rho, alpha=alpha)})
    return pd.DataFrame(rows)


def branch_icc(data: pd.DataFrame, *, outcome: str, cluster: str = "branch_id", alpha: float = 0.05) -> pd.DataFrame:
    """The intraclass correlation of responses within branches (one-way random-effects ANOVA).

    ``ρ̂ = (MSB - MSW) / (MSB + (n₀ - 1) MSW)``, with ``MSB`` and ``MSW`` the between- and
    within-branch mean squares and ``n₀ = (N - Σ n_j² / N) / (k - 1)`` the mean branch size adjusted
    for unequal sizes (Searle 1971); the between-branch variance ``(MSB - MSW) / n₀`` is truncated at
    0. The interval is the F-based one of Shrout & Fleiss's ICC(1) (exact for equal sizes):
    ``(F/F_hi - 1) / (F/F_hi + n₀ - 1)`` to ``(F/F_lo - 1) / (F/F_lo + n₀ - 1)``, ``F = MSB/MSW``,
    ``F_lo, F_hi`` the ``alpha/2`` and ``1 - alpha/2`` quantiles of ``F(k-1, N-k)``.

    Use responses from one wave, or outcomes already centred on their wave means (else wave-to-wave
    change counts as within-branch variance), from before any intervention.

    Parameters
    ----------
    data : DataFrame
        One row per response.
    outcome : str
        The response column (numeric; rows where it is missing are left out and counted in
        ``n_missing``).
    cluster : str, default "branch_id"
        The branch column.
    alpha : float, default 0.05

    Returns
    -------
    pandas.DataFrame
        One row: ``estimate`` (ρ̂, truncated at 0), ``ci_lower``, ``ci_upper`` (clipped to [0, 1]),
        ``between_var``, ``within_var``, ``sd`` (total, ``sqrt(between + within)``),
        ``n_clusters``, ``n_obs``, ``n0``, ``n_missing``.

    Validated against: R ``psych::ICC`` (ICC1 and its bounds, equal sizes) and the mean squares of
    R ``aov`` (unequal sizes), tolerance 1e-8 (``tests/reference/planning/icc_reference.R``).

    Examples
    --------
    >>> d = pd.DataFrame({"branch_id": list("aaabbbccc"), "y": [1, 2, 3, 4, 5, 6, 2, 2, 3]})
    >>> round(float(branch_icc(d, outcome="y").loc[0, "estimate"]), 4)
    0.7586
    """
    from fusion_study.data.checks import require_columns

    require_columns(data, [outcome, cluster], what="branch_icc")
    alpha = check_alpha(alpha)
    y = pd.to_numeric(data[outcome], errors="coerce")
    bad = data[outcome].notna() & y.isna()
    if bad.any():
        row = data.index[bad][0]
        raise ValueError(f"branch_icc: row {row}, column {outcome!r} = {data.loc[row, outcome]!r} is not a number")
    if data[cluster].isna().any():
        row = data.index[data[cluster].isna()][0]
        raise ValueError(f"branch_icc: row {row}, column {cluster!r} is missing (every response needs its branch)")
    keep = y.notna()
    d = pd.DataFrame({"g": data.loc[keep, cluster].to_numpy(), "y": y[keep].to_numpy(dtype=float)})
    grp = d.groupby("g", sort=False)["y"]
    n = grp.size().to_numpy(dtype=float)
    k, big_n = len(n), float(n.sum())
    if k < 2 or big_n - k < 1:
        raise ValueError(f"branch_icc: needs at least 2 branches and more responses than branches; "
                         f"got {k} branch(es) and {int(big_n)} response(s) with {outcome!r}")
    means = grp.mean().to_numpy()
    grand = d["y"].mean()
    msb = float((n * (means - grand) ** 2).sum()) / (k - 1)
    msw = float(((d["y"] - grp.transform("mean")) ** 2).sum()) / (big_n - k)
    n0 = (big_n - float((n * n).sum()) / big_n) / (k - 1)
    between = max((msb - msw) / n0, 0.0)
    icc = between / (between + msw) if between + msw > 0 else math.nan
    if msw > 0:
        f = msb / msw
        f_hi = float(stats.f.ppf(1 - alpha / 2, k - 1, big_n - k))
        f_lo = float(stats.f.ppf(alpha / 2, k - 1, big_n - k))
        lo = (f / f_hi - 1) / (f / f_hi + n0 - 1)
        hi = (f / f_lo - 1) / (f / f_lo + n0 - 1)
    else:
        lo = hi = math.nan
    return pd.DataFrame({
        "estimate": [icc], "ci_lower": [min(max(lo, 0.0), 1.0)], "ci_upper": [min(max(hi, 0.0), 1.0)],
        "between_var": [between], "within_var": [msw], "sd": [math.sqrt(between + msw)], "n_clusters": [k],
        "n_obs": [int(big_n)], "n0": [n0], "n_missing": [int((~keep).sum())],
    })


_RESPONSES = responses_per_branch  # survey_precision's parameter of that name shadows the function
