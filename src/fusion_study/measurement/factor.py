"""Exploratory factor analysis: KMO/Bartlett, extraction (minres, ML, principal axis), parallel analysis, Harman."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, stats

from fusion_study.data.checks import check_choice
from fusion_study.measurement._data import (check_variances, cov_to_cor, covariance, item_frame, listwise,
                                            renamed_attribute, warn)
from fusion_study.measurement.rotation import rotate

__all__ = ["kmo_bartlett", "efa", "EFAResult", "parallel_analysis", "harman_single_factor", "fit_factors"]

_METHODS = ("minres", "ml", "principal")
_ROTATIONS = ("oblimin", "promax", "varimax", None, "none")


def _correlation(data: pd.DataFrame, items: list[str], what: str) -> tuple[np.ndarray, int]:
    items = list(items)
    if len(items) < 2:
        raise ValueError(f"{what} needs at least 2 items, got {items}")
    x = listwise(item_frame(data, items, what=what), what)
    if x.shape[0] <= len(items):
        raise ValueError(f"{what}: {len(items)} items but only {x.shape[0]} complete respondents; "
                         "the correlation matrix is singular (need more respondents than items)")
    _, cov = covariance(x)
    check_variances(cov, items, what)
    return cov_to_cor(cov), x.shape[0]


def _check_pd(r: np.ndarray, items: list[str], what: str) -> None:
    ev = np.linalg.eigvalsh(r)
    if ev[0] <= 1e-10:
        raise np.linalg.LinAlgError(
            f"{what}: the item correlation matrix is not positive definite (smallest eigenvalue {ev[0]:.3g}); "
            f"some of {items} are exact linear combinations of others or duplicated — drop one of them")


def kmo_bartlett(data: pd.DataFrame, items: list[str]) -> pd.DataFrame:
    """Kaiser–Meyer–Olkin sampling adequacy and Bartlett's test of sphericity.

    Returns
    -------
    DataFrame with one row per item plus a final row ``item="overall"``; columns
    ``item, msa`` (the overall row holds the overall KMO) and, repeated on every
    row, ``bartlett_chi2, bartlett_df, bartlett_p_value, n``.

    Validated against: R psych ``KMO`` and ``cortest.bartlett`` on HolzingerSwineford1939: MSA and χ²
    to 1e-10, the p-value to 1e-6 relative.

    >>> import numpy as np
    >>> rng = np.random.default_rng(1)
    >>> f = rng.normal(size=(200, 1))
    >>> df = pd.DataFrame(f + rng.normal(size=(200, 3)), columns=["a", "b", "c"])
    >>> kmo_bartlett(df, ["a", "b", "c"])["item"].tolist()
    ['a', 'b', 'c', 'overall']
    """
    items = list(items)
    r, n = _correlation(data, items, "kmo_bartlett")
    _check_pd(r, items, "kmo_bartlett")
    inv = np.linalg.inv(r)
    d = np.sqrt(np.diag(inv))
    partial = -inv / np.outer(d, d)
    off = ~np.eye(len(items), dtype=bool)
    r2 = np.where(off, r**2, 0.0)
    p2 = np.where(off, partial**2, 0.0)
    msa = r2.sum(axis=0) / (r2.sum(axis=0) + p2.sum(axis=0))
    overall = r2.sum() / (r2.sum() + p2.sum())
    p = len(items)
    chi2 = -(n - 1 - (2 * p + 5) / 6) * np.linalg.slogdet(r)[1]
    df = p * (p - 1) / 2
    out = pd.DataFrame({"item": items + ["overall"], "msa": np.append(msa, overall)})
    out["bartlett_chi2"] = chi2
    out["bartlett_df"] = df
    out["bartlett_p_value"] = stats.chi2.sf(chi2, df)
    out["n"] = n
    return out


# ---------------------------------------------------------------- extraction
def _loadings_from_psi(r: np.ndarray, psi: np.ndarray, k: int, method: str) -> np.ndarray:
    if method == "ml":
        s = 1 / np.sqrt(psi)
        ev, vec = np.linalg.eigh(r * np.outer(s, s))
        ev, vec = ev[::-1][:k], vec[:, ::-1][:, :k]
        return np.sqrt(psi)[:, None] * vec * np.sqrt(np.maximum(ev - 1, 0))[None, :]
    ev, vec = np.linalg.eigh(r - np.diag(psi))
    ev, vec = ev[::-1][:k], vec[:, ::-1][:, :k]
    return vec * np.sqrt(np.maximum(ev, 0))[None, :]


def _objective(psi, r, k, method):
    lam = _loadings_from_psi(r, psi, k, method)
    sigma = lam @ lam.T + np.diag(psi)
    if method == "ml":
        s = 1 / np.sqrt(psi)
        ev = np.linalg.eigvalsh(r * np.outer(s, s))[::-1][k:]
        f = float(np.sum(ev - np.log(ev) - 1))
        grad = np.diag(sigma - r) / psi**2
        return f, grad
    res = r - sigma
    f = 0.5 * float((res**2).sum())
    grad = -np.diag(res)
    return f, grad


def fit_factors(r: np.ndarray, k: int, method: str = "minres", *, tol: float = 1e-12,
                max_iter: int = 10_000) -> tuple[np.ndarray, bool]:
    """Unrotated loadings of ``k`` factors from a correlation matrix; returns ``(loadings, converged)``.

    ``minres`` (unweighted least squares) and ``ml`` minimise over the
    uniquenesses with the loadings concentrated out (Jöreskog 1967); ``principal``
    is iterated principal-axis factoring from squared multiple correlations.
    """
    p = r.shape[0]
    try:
        smc = 1 - 1 / np.diag(np.linalg.inv(r))
    except np.linalg.LinAlgError:
        smc = np.full(p, 0.5)
    if method == "principal":
        h2 = smc.copy()
        converged = False
        for _ in range(max_iter):
            lam = _loadings_from_psi(r, 1 - h2, k, "minres")
            new = (lam**2).sum(axis=1)
            if np.max(np.abs(new - h2)) < tol:
                converged = True
                h2 = new
                break
            h2 = new
        lam = _loadings_from_psi(r, 1 - h2, k, "minres")
        return lam, converged
    start = np.clip(1 - smc, 0.005, 1.0)
    res = optimize.minimize(_objective, start, args=(r, k, method), jac=True, method="L-BFGS-B",
                            bounds=[(0.005, 1.0)] * p,
                            options={"ftol": 1e-16, "gtol": 1e-11, "maxiter": max_iter, "maxcor": 20})
    lam = _loadings_from_psi(r, res.x, k, method)
    converged = bool(res.success) or np.max(np.abs(res.jac)) < 1e-7
    return lam, converged


def _sort_and_sign(lam: np.ndarray, phi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    ss = np.diag(phi @ lam.T @ lam)
    order = np.argsort(-ss, kind="stable")
    lam, phi = lam[:, order], phi[np.ix_(order, order)]
    sign = np.where(lam.sum(axis=0) < 0, -1.0, 1.0)
    return lam * sign, phi * np.outer(sign, sign)


@dataclass
class EFAResult:
    """Result of :func:`efa`: ``loadings_``, ``communalities_``, ``uniquenesses_``, ``variance_``, ``phi_``.

    ``method`` and ``rotation`` are the options used; ``n_`` the complete respondents and
    ``converged_`` whether the extraction converged. The names without the trailing ``_``
    (``loadings``, ``phi`` …) are deprecated aliases.
    """

    loadings_: pd.DataFrame
    communalities_: pd.Series
    uniquenesses_: pd.Series
    variance_: pd.DataFrame
    phi_: pd.DataFrame
    method: str
    rotation: str | None
    n_: int
    converged_: bool

    loadings = renamed_attribute("loadings", "loadings_")
    communalities = renamed_attribute("communalities", "communalities_")
    uniquenesses = renamed_attribute("uniquenesses", "uniquenesses_")
    variance = renamed_attribute("variance", "variance_")
    phi = renamed_attribute("phi", "phi_")
    n = renamed_attribute("n", "n_")
    converged = renamed_attribute("converged", "converged_")

    def to_frame(self) -> pd.DataFrame:
        """One row per item: ``item, F1..Fk`` (loadings), ``communality, uniqueness``."""
        out = self.loadings_.copy()
        out["communality"] = self.communalities_
        out["uniqueness"] = self.uniquenesses_
        return out.reset_index()

    def summary(self) -> pd.DataFrame:
        """Variance accounted for: rows ``ss_loadings, proportion_var, cumulative_var,
        proportion_explained, cumulative_proportion``, one column per factor (``variance_``)."""
        return self.variance_.copy()

    def __str__(self) -> str:
        return (f"{self!r}\n" + self.to_frame().round(3).to_string(index=False) + "\n\n"
                + self.summary().round(3).to_string())

    def __repr__(self) -> str:
        return (f"EFAResult(method={self.method!r}, rotation={self.rotation!r}, n_factors="
                f"{self.loadings_.shape[1]}, n={self.n_})")


def efa(data: pd.DataFrame, items: list[str], *, n_factors: int, method: str = "minres",
        rotation: str | None = "oblimin") -> EFAResult:
    """Exploratory factor analysis of the item correlation matrix (listwise complete rows).

    Parameters
    ----------
    method : {"minres", "ml", "principal"}
        Minimum residual (unweighted least squares), maximum likelihood, or
        iterated principal-axis factoring.
    rotation : {"oblimin", "promax", "varimax", None}

    Returns
    -------
    EFAResult
        ``loadings_`` (items × factors ``F1..Fk``, pattern loadings for oblique
        rotations), ``communalities_``, ``uniquenesses_``, ``variance_`` (rows
        ``ss_loadings, proportion_var, cumulative_var, proportion_explained,
        cumulative_proportion`` as in psych's ``Vaccounted``) and ``phi_``
        (factor correlations; identity for orthogonal solutions). Factors are
        sorted by variance explained and signed so loadings sum positive.

    Validated against: R psych 2.x ``fa`` (fm = minres/ml/pa, rotate = none/varimax/
    oblimin/promax, min.err=1e-12) on HolzingerSwineford1939 to 1e-5; rotations alone
    against GPArotation/stats to 1e-6.
    """
    check_choice("method", method, _METHODS)
    check_choice("rotation", rotation, _ROTATIONS)
    items = list(items)
    if not isinstance(n_factors, (int, np.integer)) or n_factors < 1:
        raise ValueError(f"n_factors must be a positive integer, got {n_factors!r}")
    p = len(items)
    dof = ((p - n_factors) ** 2 - (p + n_factors)) / 2
    if n_factors >= p:
        raise ValueError(f"efa: n_factors={n_factors} must be smaller than the number of items ({p})")
    if dof < 0:
        warn(f"efa: {n_factors} factors for {p} items leave negative degrees of freedom ({dof:g}); "
             "the solution is not identified — use fewer factors")
    r, n = _correlation(data, items, "efa")
    _check_pd(r, items, "efa")
    lam, converged = fit_factors(r, n_factors, method)
    if not converged:
        warn(f"efa: {method} extraction did not converge; loadings may be unreliable")
    h2 = (lam**2).sum(axis=1)
    if np.any(h2 >= 0.995):
        warn(f"efa: Heywood case — communality ≥ 1 for {[items[i] for i in np.flatnonzero(h2 >= 0.995)]}")
    rot = None if rotation == "none" else rotation
    lam_r, phi = rotate(lam, rot)
    lam_r, phi = _sort_and_sign(lam_r, phi)
    cols = [f"F{i + 1}" for i in range(n_factors)]
    ss = np.diag(phi @ lam_r.T @ lam_r)
    prop = ss / p
    var = pd.DataFrame([ss, prop, np.cumsum(prop), ss / ss.sum(), np.cumsum(ss / ss.sum())],
                       index=["ss_loadings", "proportion_var", "cumulative_var", "proportion_explained",
                              "cumulative_proportion"], columns=cols)
    return EFAResult(
        loadings_=pd.DataFrame(lam_r, index=pd.Index(items, name="item"), columns=cols),
        communalities_=pd.Series(h2, index=pd.Index(items, name="item"), name="communality"),
        uniquenesses_=pd.Series(1 - h2, index=pd.Index(items, name="item"), name="uniqueness"),
        variance_=var, phi_=pd.DataFrame(phi, index=cols, columns=cols), method=method, rotation=rot,
        n_=n, converged_=converged)


def parallel_analysis(data: pd.DataFrame, items: list[str], *, n_iter: int = 100, quantile: float = 0.95,
                      seed: int | np.random.Generator | None = None) -> pd.DataFrame:
    """Horn's parallel analysis on principal-component eigenvalues.

    Random normal data of the same size are drawn ``n_iter`` times; a
    component is retained while its observed eigenvalue exceeds the
    ``quantile`` of the random eigenvalues.

    Returns
    -------
    DataFrame with columns ``component, observed, random_mean, random_quantile,
    retain``; ``attrs["n_factors"]`` holds the suggested number (leading run of
    retained components).

    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> f = rng.normal(size=(300, 2))
    >>> x = np.hstack([f[:, [0]] + rng.normal(size=(300, 3)), f[:, [1]] + rng.normal(size=(300, 3))])
    >>> df = pd.DataFrame(x, columns=list("abcdef"))
    >>> parallel_analysis(df, list("abcdef"), n_iter=50, seed=1).attrs["n_factors"]
    2
    """
    r, n = _correlation(data, items, "parallel_analysis")
    rng = np.random.default_rng(seed)
    p = len(items)
    obs = np.linalg.eigvalsh(r)[::-1]
    sims = np.empty((n_iter, p))
    for i in range(n_iter):
        z = rng.standard_normal((n, p))
        sims[i] = np.linalg.eigvalsh(np.corrcoef(z, rowvar=False))[::-1]
    q = np.quantile(sims, quantile, axis=0)
    retain = obs > q
    out = pd.DataFrame({"component": np.arange(1, p + 1), "observed": obs, "random_mean": sims.mean(axis=0),
                        "random_quantile": q, "retain": retain})
    out.attrs["n_factors"] = int(np.argmin(np.append(retain, False)))
    return out


def harman_single_factor(data: pd.DataFrame, items: list[str]) -> pd.DataFrame:
    """Harman's single-factor test for common-method bias.

    The share of total variance taken by the first unrotated principal
    component of all items (as in SPSS "principal components, 1 factor,
    unrotated"); above 50% is the usual warning sign.

    Returns
    -------
    One-row DataFrame: ``n_items, n, first_eigenvalue, variance_share, above_50``.

    Validated against: eigenvalues of R ``cor`` on HolzingerSwineford1939 to 1e-8.
    """
    r, n = _correlation(data, items, "harman_single_factor")
    ev = np.linalg.eigvalsh(r)[::-1]
    share = ev[0] / len(items)
    return pd.DataFrame({"n_items": [len(items)], "n": [n], "first_eigenvalue": [ev[0]],
                         "variance_share": [share], "above_50": [bool(share > 0.5)]})
