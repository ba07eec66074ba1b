"""Factor rotations: varimax, promax and oblimin (gradient projection).

Algorithms from the published literature: varimax as in Kaiser (1958) with the
SVD update of R ``stats::varimax``; promax (Hendrickson & White, 1964) as in R
``stats::promax``; oblimin by the gradient-projection algorithm of Jennrich
(2002) and Bernaards & Jennrich (2005).
"""

from __future__ import annotations

import numpy as np

__all__ = ["varimax", "promax", "oblimin", "rotate"]


def varimax(loadings: np.ndarray, *, normalize: bool = True, eps: float = 1e-15,
            max_iter: int = 10_000) -> tuple[np.ndarray, np.ndarray]:
    """Varimax rotation; returns ``(rotated loadings, rotation matrix)``.

    Validated against: R ``stats::varimax`` (eps=1e-14) to 1e-6 (R's stopping rule
    is on the criterion, so its loadings are accurate to about 1e-7).
    """
    x = np.asarray(loadings, dtype=float)
    p, k = x.shape
    if k < 2:
        return x.copy(), np.eye(k)
    sc = np.sqrt((x**2).sum(axis=1)) if normalize else np.ones(p)
    xs = x / sc[:, None]
    rot = np.eye(k)
    d = 0.0
    for _ in range(max_iter):
        z = xs @ rot
        b = xs.T @ (z**3 - z * ((z**2).sum(axis=0) / p))
        u, s, vt = np.linalg.svd(b)
        rot = u @ vt
        d_past, d = d, s.sum()
        if d < d_past * (1 + eps):
            break
    return (xs @ rot) * sc[:, None], rot


def promax(loadings: np.ndarray, *, m: float = 4.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Promax rotation (power ``m``) from Kaiser-normalised varimax.

    Returns ``(rotated loadings, rotation matrix, factor correlations)``.
    Validated against: R ``stats::promax`` to 1e-8.
    """
    x = np.asarray(loadings, dtype=float)
    k = x.shape[1]
    if k < 2:
        return x.copy(), np.eye(k), np.eye(k)
    xv, rv = varimax(x)
    q = xv * np.abs(xv) ** (m - 1)
    u = np.linalg.lstsq(xv, q, rcond=None)[0]
    d = np.diag(np.linalg.inv(u.T @ u))
    u = u * np.sqrt(d)[None, :]
    z = xv @ u
    rot = rv @ u
    ui = np.linalg.inv(rot)
    phi = ui @ ui.T
    return z, rot, phi


def _oblimin_criterion(lam: np.ndarray, gamma: float) -> tuple[float, np.ndarray]:
    p, k = lam.shape
    l2 = lam**2
    n = np.ones((k, k)) - np.eye(k)
    if gamma != 0:
        l2 = l2 - gamma / p * l2.sum(axis=0, keepdims=True)
    x = l2 @ n
    return float((lam**2 * x).sum() / 4), lam * x


def oblimin(loadings: np.ndarray, *, gamma: float = 0.0, eps: float = 1e-8,
            max_iter: int = 20_000) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Direct oblimin (``gamma=0``: quartimin) by gradient projection.

    Returns ``(rotated loadings, transformation T, factor correlations T'T)``;
    rotated loadings are ``A (T')^{-1}``.

    Validated against: R ``GPArotation::oblimin`` (eps=1e-8) to 1e-6.
    """
    a = np.asarray(loadings, dtype=float)
    k = a.shape[1]
    if k < 2:
        return a.copy(), np.eye(k), np.eye(k)
    t = np.eye(k)
    lam = a @ np.linalg.inv(t).T
    f, gq = _oblimin_criterion(lam, gamma)
    g = -(lam.T @ gq @ np.linalg.inv(t)).T
    al = 1.0
    converged = False
    for _ in range(max_iter):
        gp = g - t @ np.diag((t * g).sum(axis=0))
        s = np.sqrt((gp**2).sum())
        if s < eps:
            converged = True
            break
        al *= 2
        for _ in range(11):
            x = t - al * gp
            tt = x / np.sqrt((x**2).sum(axis=0))[None, :]
            lam = a @ np.linalg.inv(tt).T
            ft, gq = _oblimin_criterion(lam, gamma)
            if f - ft > 0.5 * s**2 * al:
                break
            al /= 2
        t = tt
        f = ft
        g = -(lam.T @ gq @ np.linalg.inv(t)).T
    if not converged:
        from fusion_study.measurement._data import warn

        warn(f"oblimin rotation did not converge in {max_iter} iterations; loadings are approximate")
    return lam, t, t.T @ t


def rotate(loadings: np.ndarray, rotation: str | None) -> tuple[np.ndarray, np.ndarray]:
    """Rotate ``loadings``; returns ``(rotated loadings, factor correlations)``."""
    k = loadings.shape[1]
    if rotation is None or rotation == "none" or k < 2:
        return np.asarray(loadings, dtype=float).copy(), np.eye(k)
    if rotation == "varimax":
        return varimax(loadings)[0], np.eye(k)
    if rotation == "promax":
        lam, _, phi = promax(loadings)
        return lam, phi
    if rotation == "oblimin":
        lam, _, phi = oblimin(loadings)
        return lam, phi
    raise ValueError(f"rotation={rotation!r} is not supported; use one of ['oblimin', 'promax', 'varimax', None]")
