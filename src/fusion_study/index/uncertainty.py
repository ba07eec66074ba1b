"""Uncertainty of the index ranks: Monte Carlo over the modeller's choices.

Each draw picks one (normalisation, weighting, aggregation) combination
uniformly among the valid ones (z-scores are not combined with entropy or
coefficient-of-variation weights nor with geometric aggregation, which need
non-negative values) and perturbs that method's weights with a Dirichlet draw
centred on them: w ~ Dirichlet(κ · m · w_method) (κ = ``concentration``,
m = number of indicators; larger κ = smaller perturbation; ``None`` = none).
Every unit is ranked within its period in every draw (rank 1 = best; ties get
the lowest rank). Reported per unit-period: the median rank and the rank
interval ``ci_lower``–``ci_upper`` (the ``alpha/2`` and ``1 - alpha/2`` quantiles
of the rank distribution, inverted-CDF definition, i.e. observed ranks; 95% for
the default ``alpha=0.05``, 90% — the 5th and 95th percentiles — for ``alpha=0.10``).

How much each choice matters is the first-order sensitivity index of the
discrete factor X (normalisation, weighting, aggregation) by variance
decomposition, S_X = Var(E[rank | X]) / Var(rank), pooled over units as
sum over units of Var(E[rank|X]) divided by sum of Var(rank) (Saltelli et al.
2008, Global Sensitivity Analysis; JRC/OECD Handbook 2008, step 7). The
remainder 1 - sum S_X is due to the weight perturbation and interactions.

Computation is vectorised across draws: draws sharing a method combination
are scored with one matrix product per chunk and ranked with ``argsort``; rank
distributions are accumulated as counts, so memory does not grow with
``n_draws``.
"""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pandas as pd

from fusion_study.data.checks import check_alpha, check_choice
from fusion_study.index._validate import cost_mask
from fusion_study.index.aggregate import AGGREGATIONS, GEOMETRIC_FLOOR
from fusion_study.index.normalise import NORMALISATIONS, normalise_matrix
from fusion_study.index.weights import WEIGHT_METHODS, objective_weights

__all__ = ["IndexUncertainty", "index_uncertainty"]

_FACTORS = ("normalise", "weights", "aggregate")
_INVALID = {("zscore", "entropy"), ("zscore", "cv"), ("zscore", "geometric")}


class IndexUncertainty:
    """Result of :func:`index_uncertainty`.

    Attributes
    ----------
    ranks_ : DataFrame
        ``id columns…, index, rank`` (the fitted index), ``median_rank``,
        ``ci_lower``, ``ci_upper`` (the rank interval at ``alpha_``), ``mean_rank``,
        ``n_units`` (units ranked in that period); ``attrs["alpha"]`` is ``alpha_``.
    sensitivity_ : DataFrame
        ``factor, first_order`` — share of rank variance explained by each
        choice; the last row ``weights_perturbation_and_interactions`` is the rest.
    draws_ : DataFrame
        One row per draw: ``normalise, weights, aggregate``.
    """

    def __init__(self, ranks: pd.DataFrame, sensitivity: pd.DataFrame, draws: pd.DataFrame, id_columns,
                 alpha: float = 0.05):
        self.ranks_ = ranks
        self.sensitivity_ = sensitivity
        self.draws_ = draws
        self.id_columns_ = list(id_columns)
        self.alpha_ = alpha
        self.ranks_.attrs["alpha"] = alpha

    def __repr__(self) -> str:
        return f"IndexUncertainty(n_draws={len(self.draws_)}, rows={len(self.ranks_)})"

    def to_frame(self) -> pd.DataFrame:
        """The rank table (``ranks_``)."""
        return self.ranks_.copy()

    def summary(self) -> pd.DataFrame:
        """The sensitivity shares (``sensitivity_``)."""
        return self.sensitivity_.copy()

    def plot(self, ax=None, *, period=None, lang: str = "zh", top: int | None = 30):
        """Median rank and rank interval per unit for one period (default: the last)."""
        from fusion_study.index.plots import plot_rank_intervals

        return plot_rank_intervals(self.ranks_, period=period, lang=lang, ax=ax, top=top,
                                   unit=self.id_columns_[0], alpha=self.alpha_,
                                   period_column=self.id_columns_[-1] if len(self.id_columns_) > 1 else None)


def _min_ranks(S: np.ndarray) -> np.ndarray:
    """Ranks (1 = largest) along the last axis; ties share the lowest rank."""
    order = np.argsort(-S, axis=-1, kind="stable")
    s_sorted = np.take_along_axis(S, order, axis=-1)
    n = S.shape[-1]
    pos = np.broadcast_to(np.arange(n, dtype=np.int32), S.shape)
    new = np.ones(S.shape, dtype=bool)
    new[..., 1:] = s_sorted[..., 1:] != s_sorted[..., :-1]
    start = np.maximum.accumulate(np.where(new, pos, 0), axis=-1)
    ranks = np.empty(S.shape, dtype=np.int32)
    np.put_along_axis(ranks, order, start + 1, axis=-1)
    return ranks


def index_uncertainty(
    index,
    data: pd.DataFrame,
    *,
    n_draws: int = 1000,
    seed=None,
    normalisations=("minmax", "zscore", "rank"),
    weightings=("equal", "entropy", "critic", "cv", "pca"),
    aggregations=AGGREGATIONS,
    concentration: float | None = 50.0,
    alpha: float = 0.05,
) -> IndexUncertainty:
    """Monte Carlo rank uncertainty and sensitivity of an :class:`IntegrationIndex`.

    Parameters
    ----------
    index : IntegrationIndex
        Defines the indicators, directions, id columns and missing-value policy
        (fitted or not; it is fitted on ``data`` here for the point ranks).
    data : DataFrame
        The indicator data the index is built from.
    n_draws : int
        Number of Monte Carlo draws.
    seed : int, Generator or None
        Randomness; same seed → identical results.
    normalisations, weightings, aggregations : sequences of str
        The choices sampled (a single-element tuple fixes that choice).
    concentration : float or None
        Dirichlet concentration κ of the weight perturbation; None = no perturbation.
    alpha : float
        The rank interval holds the central ``1 - alpha`` of the draws' ranks (0.05: 95%).

    Returns
    -------
    IndexUncertainty
        ``ranks_`` (median rank and rank interval ``ci_lower, ci_upper`` per unit-period),
        ``sensitivity_`` (first-order variance shares), ``draws_``.

    Validated against: an independent re-computation that refits
    :class:`~fusion_study.index.composite.IntegrationIndex` with each draw's choices and takes
    ``numpy.quantile(method="inverted_cdf")`` of the ranks and the variance decomposition with
    pandas (exact; ``tests/test_index_uncertainty.py``); a unit dominating on every indicator
    has interval [1, 1]; same seed gives identical output.
    """
    alpha = check_alpha(alpha)
    if int(n_draws) < 1:
        raise ValueError(f"n_draws must be a positive integer, got {n_draws}")
    n_draws = int(n_draws)
    for name, vals, allowed in (("normalisations", normalisations, NORMALISATIONS),
                                ("weightings", weightings, WEIGHT_METHODS),
                                ("aggregations", aggregations, AGGREGATIONS)):
        if not len(vals):
            raise ValueError(f"{name} must name at least one choice from {list(allowed)}")
        for v in vals:
            check_choice(name, v, allowed)
    if concentration is not None and concentration <= 0:
        raise ValueError(f"concentration must be positive or None, got {concentration}")
    rng = np.random.default_rng(seed)

    fitted = type(index)(index.indicators, normalise=index.normalise, weights=index.weights,
                         aggregate=index.aggregate, direction=index.direction,
                         id_columns=index.id_columns, missing=index.missing)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitted.fit(data)
    ids_df = fitted.scores_[fitted.id_columns_]
    X = fitted._X
    cols = fitted.columns
    m = len(cols)
    cost = cost_mask(cols, index.direction)

    combos = [c for c in itertools.product(normalisations, weightings, aggregations)
              if (c[0], c[1]) not in _INVALID and (c[0], c[2]) not in _INVALID]
    if not combos:
        raise ValueError("no valid combination of the given choices (z-scores need 'linear'/'topsis' "
                         "and equal/CRITIC/PCA weights)")
    choice = rng.integers(len(combos), size=n_draws)

    # normalised matrices and base weights, once per choice
    Zs, base_w = {}, {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for nm in set(c[0] for c in combos):
            Zs[nm] = normalise_matrix(X, method=nm, cost=cost, names=cols)
        for nm, wm, _ in combos:
            if (nm, wm) not in base_w:
                base_w[nm, wm] = objective_weights(Zs[nm], wm)

    # layout: cells grouped by period into a (P, U) grid, padded
    if len(fitted.id_columns_) > 1:
        pcol = fitted.id_columns_[-1]
        pcodes, periods = pd.factorize(ids_df[pcol], sort=True)
    else:
        pcodes, periods = np.zeros(len(ids_df), dtype=int), pd.Index(["all"])
    P = len(periods)
    within = pd.Series(np.arange(len(ids_df))).groupby(pcodes).cumcount().to_numpy()
    U = int(within.max()) + 1
    grid = np.full(P * U, -1, dtype=np.int64)
    grid[pcodes * U + within] = np.arange(len(ids_df))
    valid = grid >= 0
    cell_of = grid[valid]  # data-row of each valid grid slot
    n_cells = len(ids_df)

    counts = np.zeros(n_cells * (U + 1), dtype=np.int64)
    level_sums = {f: np.zeros((len(set(c[k] for c in combos)), n_cells)) for k, f in enumerate(_FACTORS)}
    level_index = {f: {v: i for i, v in enumerate(sorted(set(c[k] for c in combos)))} for k, f in enumerate(_FACTORS)}
    level_n = {f: np.zeros(len(level_index[f])) for f in _FACTORS}
    sum_r = np.zeros(n_cells)
    sum_r2 = np.zeros(n_cells)
    cell_offsets = (np.arange(n_cells) * (U + 1))

    chunk = max(1, int(2_000_000 // max(P * U, 1)))
    for ci, (nm, wm, ag) in enumerate(combos):
        draws = np.flatnonzero(choice == ci)
        if not len(draws):
            continue
        Z = Zs[nm]
        w0 = base_w[nm, wm]
        if ag == "linear":
            A = Z.T
        elif ag == "geometric":
            A = np.log(GEOMETRIC_FLOOR + (1.0 - GEOMETRIC_FLOOR) * Z).T
        else:
            nrm = np.sqrt((Z**2).sum(axis=0))
            R = Z / np.where(nrm > 0, nrm, 1.0)
            Ap = ((R - R.max(axis=0)) ** 2).T
            Am = ((R - R.min(axis=0)) ** 2).T
        for start in range(0, len(draws), chunk):
            b = len(draws[start:start + chunk])
            if concentration is None:
                W = np.tile(w0, (b, 1))
            else:
                W = rng.dirichlet(np.maximum(concentration * m * w0, 1e-3), size=b)
            if ag == "topsis":
                W2 = W**2
                dp = np.sqrt(np.maximum(W2 @ Ap, 0.0))
                dm = np.sqrt(np.maximum(W2 @ Am, 0.0))
                tot = dp + dm
                S = np.where(tot > 0, dm / np.where(tot > 0, tot, 1.0), 0.5)
            else:
                S = W @ A
            G = np.full((b, P * U), -np.inf)
            G[:, valid] = S[:, cell_of]
            ranks = _min_ranks(G.reshape(b, P, U)).reshape(b, P * U)[:, valid]
            r_cell = np.empty((b, n_cells), dtype=np.int32)
            r_cell[:, cell_of] = ranks
            counts += np.bincount((r_cell + cell_offsets).ravel(), minlength=counts.size)
            s = r_cell.sum(axis=0, dtype=np.float64)
            sum_r += s
            sum_r2 += (r_cell.astype(np.float64) ** 2).sum(axis=0)
            for f, v in zip(_FACTORS, (nm, wm, ag)):
                level_sums[f][level_index[f][v]] += s
                level_n[f][level_index[f][v]] += b

    counts = counts.reshape(n_cells, U + 1)
    cdf = np.cumsum(counts, axis=1) / n_draws

    def q(p):
        return (cdf >= p - 1e-12).argmax(axis=1)

    out = ids_df.reset_index(drop=True).copy()
    out["index"] = fitted.scores_["index"].to_numpy()
    out["rank"] = fitted.scores_["rank"].to_numpy()
    out["median_rank"] = q(0.5)
    out["ci_lower"] = q(alpha / 2)
    out["ci_upper"] = q(1 - alpha / 2)
    out["mean_rank"] = sum_r / n_draws
    out["n_units"] = np.bincount(pcodes, minlength=P)[pcodes]

    mean = sum_r / n_draws
    total_var = (sum_r2 / n_draws - mean**2).sum()
    rows = []
    for f in _FACTORS:
        nl = level_n[f]
        used = nl > 0
        cond = level_sums[f][used] / nl[used, None]
        between = ((nl[used, None] / n_draws) * (cond - mean) ** 2).sum()
        rows.append({"factor": f, "first_order": between / total_var if total_var > 0 else 0.0})
    rest = 1.0 - sum(r["first_order"] for r in rows)
    rows.append({"factor": "weights_perturbation_and_interactions", "first_order": max(rest, 0.0)})
    draws_df = pd.DataFrame([combos[c] for c in choice], columns=list(_FACTORS))
    return IndexUncertainty(out, pd.DataFrame(rows), draws_df, fitted.id_columns_, alpha)
