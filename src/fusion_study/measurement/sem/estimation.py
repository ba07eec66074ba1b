"""Maximum-likelihood estimation of covariance-structure models (RAM form), complete data and FIML.

The model-implied moments are ``Σ = F B S Bᵀ Fᵀ`` and ``μ = F B m`` with
``B = (I - A)⁻¹`` (McArdle & McDonald's RAM). Everything works on sufficient
statistics: one covariance pass for complete data, one per missingness
pattern for FIML; the optimiser never loops over respondents.
"""

from __future__ import annotations

import numpy as np

from fusion_study.measurement.sem.spec import ModelSpec

__all__ = ["GroupData", "RamModel", "fit_ml", "em_saturated"]


class GroupData:
    """Sufficient statistics of one group: counts, means and N-divisor covariances per pattern."""

    def __init__(self, x: np.ndarray, *, fiml: bool):
        self.n = x.shape[0]
        self.p = x.shape[1]
        miss = np.isnan(x)
        self.complete = not miss.any()
        self.fiml = fiml and not self.complete
        if not self.fiml:
            self.mean, self.cov = _moments(x)
            self.patterns = [(np.arange(self.p), self.n, self.mean, self.cov)]
        else:
            keys, inverse = np.unique(miss, axis=0, return_inverse=True)
            inverse = np.asarray(inverse).ravel()
            self.patterns = []
            for i, key in enumerate(keys):
                obs = np.flatnonzero(~key)
                if obs.size == 0:
                    continue
                rows = x[inverse == i][:, obs]
                m = rows.mean(axis=0)
                c = (rows - m).T @ (rows - m) / rows.shape[0]
                self.patterns.append((obs, rows.shape[0], m, c))
            self.n = sum(p[1] for p in self.patterns)
            self.mean, self.cov = em_saturated(self.patterns, self.p)


def _moments(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and N-divisor covariance in one pass (raw cross-products; centred when means are large)."""
    n = x.shape[0]
    mean = x.mean(axis=0)
    cov = x.T @ x / n - np.outer(mean, mean)
    if np.any(mean**2 > 1e4 * np.maximum(np.diag(cov), 1e-300)):
        xc = x - mean
        cov = xc.T @ xc / n
    return mean, cov


def em_saturated(patterns, p: int, *, tol: float = 1e-12, max_iter: int = 10_000):
    """EM estimates of the unrestricted mean and covariance from pattern statistics."""
    n = sum(pt[1] for pt in patterns)
    mu = np.zeros(p)
    cnt = np.zeros(p)
    for obs, k, m, _ in patterns:
        mu[obs] += k * m
        cnt[obs] += k
    mu = mu / np.maximum(cnt, 1)
    sig = np.zeros((p, p))
    for obs, k, m, c in patterns:
        sig[obs, obs] += k * (c.diagonal() + (m - mu[obs]) ** 2)
    sig = np.diag(np.diag(sig) / np.maximum(cnt, 1))
    for _ in range(max_iter):
        t1 = np.zeros(p)
        t2 = np.zeros((p, p))
        for obs, k, m, c in patterns:
            mis = np.setdiff1d(np.arange(p), obs)
            if mis.size == 0:
                t1 += k * m
                t2 += k * (c + np.outer(m, m))
                continue
            so = sig[np.ix_(obs, obs)]
            beta = np.linalg.solve(so, sig[np.ix_(obs, mis)])  # o x m
            xm = mu[mis] + (m - mu[obs]) @ beta
            full_m = np.empty(p)
            full_m[obs] = m
            full_m[mis] = xm
            cond = sig[np.ix_(mis, mis)] - sig[np.ix_(mis, obs)] @ beta
            ss = np.zeros((p, p))
            ss[np.ix_(obs, obs)] = c
            ss[np.ix_(obs, mis)] = c @ beta
            ss[np.ix_(mis, obs)] = beta.T @ c
            ss[np.ix_(mis, mis)] = beta.T @ c @ beta + cond
            t1 += k * full_m
            t2 += k * (ss + np.outer(full_m, full_m))
        new_mu = t1 / n
        new_sig = t2 / n - np.outer(new_mu, new_mu)
        delta = max(np.max(np.abs(new_mu - mu)), np.max(np.abs(new_sig - sig)))
        mu, sig = new_mu, new_sig
        if delta < tol:
            break
    return mu, sig


class RamModel:
    """Model matrices and their derivatives for a :class:`ModelSpec`."""

    def __init__(self, spec: ModelSpec):
        self.spec = spec
        v = spec.variables
        self.pos = {name: i for i, name in enumerate(v)}
        self.nv = len(v)
        self.p = len(spec.observed)
        self.q = spec.n_free
        # per group: list of (kind, i, j, param_index or -1, fixed value)
        self.entries = [[] for _ in range(spec.n_groups)]
        for par in spec.params:
            if par.op == "=~":
                kind, i, j = "A", self.pos[par.rhs], self.pos[par.lhs]
            elif par.op == "~":
                kind, i, j = "A", self.pos[par.lhs], self.pos[par.rhs]
            elif par.op == "~~":
                kind, i, j = "S", self.pos[par.lhs], self.pos[par.rhs]
            else:
                kind, i, j = "m", self.pos[par.lhs], 0
            self.entries[par.group].append((kind, i, j, par.index, par.value))
        self.index = []
        for ents in self.entries:
            idx = {}
            for kind in ("A", "S", "m"):
                sel = [(i, j, k) for kd, i, j, k, _ in ents if kd == kind and k >= 0]
                arr = np.array(sel, dtype=int).reshape(-1, 3)
                idx[kind] = (arr[:, 0], arr[:, 1], arr[:, 2])
            self.index.append(idx)
        # parameter indices that occur once in a group (no equality labels): plain fancy-index adds
        # are then exact and much faster than np.add.at
        self._unique = [{kind: len(np.unique(ix[kind][2])) == len(ix[kind][2]) for kind in ix}
                        for ix in self.index]

    def matrices(self, theta: np.ndarray, g: int):
        a = np.zeros((self.nv, self.nv))
        s = np.zeros((self.nv, self.nv))
        m = np.zeros(self.nv)
        for kind, i, j, k, val in self.entries[g]:
            x = theta[k] if k >= 0 else (val if val is not None else 0.0)
            if kind == "A":
                a[i, j] = x
            elif kind == "S":
                s[i, j] = s[j, i] = x
            else:
                m[i] = x
        return a, s, m

    def implied(self, theta: np.ndarray, g: int, *, derivatives: bool = False):
        """Σ, μ and (optionally) dΣ/dθ (q×p×p), dμ/dθ (q×p) for group ``g``."""
        a, s, m = self.matrices(theta, g)
        b = np.linalg.inv(np.eye(self.nv) - a)
        sall = b @ s @ b.T
        muall = b @ m
        p = self.p
        sigma = sall[:p, :p]
        mu = muall[:p]
        if not derivatives:
            return sigma, mu, None, None
        dsig = np.zeros((self.q, p, p))
        dmu = np.zeros((self.q, p))
        bo = b[:p]
        idx = self.index[g]
        unique = self._unique[g]

        def add(target, kind, k, values):
            if unique[kind]:
                target[k] += values
            else:
                np.add.at(target, k, values)

        i, j, k = idx["A"]
        if k.size:
            d = bo[:, i].T[:, :, None] * sall[j, :p][:, None, :]
            add(dsig, "A", k, d + d.transpose(0, 2, 1))
            add(dmu, "A", k, bo[:, i].T * muall[j][:, None])
        i, j, k = idx["S"]
        if k.size:
            d = bo[:, i].T[:, :, None] * bo[:, j].T[:, None, :]
            d = np.where((i != j)[:, None, None], d + d.transpose(0, 2, 1), d)
            add(dsig, "S", k, d)
        i, j, k = idx["m"]
        if k.size:
            add(dmu, "m", k, bo[:, i].T)
        return sigma, mu, dsig, dmu


def _group_terms(
    model: RamModel, theta, g, data: GroupData, means: bool, derivatives: bool, with_info: bool = True
):
    """-2 log-likelihood (minus constants) / n of one group, gradient and expected information.

    ``with_info=False`` skips the information matrix (returned as zeros): the
    numerical Hessian of FIML standard errors needs gradients only.
    """
    sigma, mu, dsig, dmu = model.implied(theta, g, derivatives=derivatives)
    f = 0.0
    grad = np.zeros(model.q) if derivatives else None
    info = np.zeros((model.q, model.q)) if derivatives else None
    for obs, k, m, c in data.patterns:
        so = sigma[np.ix_(obs, obs)]
        sign, logdet = np.linalg.slogdet(so)
        if sign <= 0:
            return np.inf, None, None
        si = np.linalg.inv(so)
        d = m - mu[obs] if means else np.zeros(len(obs))
        sp = c + np.outer(d, d)
        w = k / data.n
        f += w * (logdet + np.sum(si * sp))
        if derivatives:
            ds = dsig if len(obs) == model.p else dsig[:, obs][:, :, obs]
            q = ds.shape[0]
            r = si - si @ sp @ si
            grad += w * (ds.reshape(q, -1) @ r.T.ravel())
            if with_info:
                msd = np.matmul(si, ds)
                info += w * (msd.reshape(q, -1) @ msd.transpose(0, 2, 1).reshape(q, -1).T)
            if means:
                dm = dmu[:, obs]
                grad -= w * 2 * dm @ (si @ d)
                if with_info:
                    info += w * 2 * dm @ si @ dm.T
    return f, grad, info


def objective(model: RamModel, theta, groups, means, derivatives=False, with_info=True):
    """Sum over groups of n_g/N · F_g (F without constants); gradient and expected information."""
    n = sum(gd.n for gd in groups)
    f = 0.0
    grad = np.zeros(model.q)
    info = np.zeros((model.q, model.q))
    for g, gd in enumerate(groups):
        fg, gg, ig = _group_terms(model, theta, g, gd, means, derivatives, with_info)
        if not np.isfinite(fg):
            return np.inf, None, None
        f += gd.n / n * fg
        if derivatives:
            grad += gd.n / n * gg
            info += gd.n / n * ig
    return f, grad, info


def fit_ml(model: RamModel, theta0: np.ndarray, groups, means: bool, *, tol: float = 1e-10,
           max_iter: int = 500):
    """Fisher scoring with step halving; returns ``(theta, converged, n_iter)``."""
    theta = theta0.copy()
    f, g, info = objective(model, theta, groups, means, derivatives=True)
    if not np.isfinite(f):
        raise np.linalg.LinAlgError("the starting values give a non-positive-definite implied covariance")
    for it in range(1, max_iter + 1):
        try:
            step = np.linalg.solve(info, g)
        except np.linalg.LinAlgError:
            step = np.linalg.lstsq(info, g, rcond=None)[0]
        lam = 1.0
        for trial in range(40):
            cand = theta - lam * step
            # the full step is nearly always accepted: evaluate its derivatives at once (same f)
            fc, gc, ic = objective(model, cand, groups, means, derivatives=trial == 0)
            if np.isfinite(fc) and fc <= f + 1e-14 * abs(f):
                break
            lam /= 2
        else:
            # no decrease possible at machine precision: converged when the gradient is negligible
            return theta, bool(np.max(np.abs(g)) < 1e-6), it
        theta = cand
        f_old = f
        if trial == 0:
            f, g, info = fc, gc, ic
        else:
            f, g, info = objective(model, theta, groups, means, derivatives=True)
        if np.max(np.abs(g)) < tol or (abs(f_old - f) < 1e-15 and np.max(np.abs(lam * step)) < 1e-10):
            model.last_information_ = (theta.copy(), info)  # reused for the standard errors
            return theta, True, it
    return theta, False, max_iter
