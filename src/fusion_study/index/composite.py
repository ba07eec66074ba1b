"""The composite integration index (党业融合指数) as a model object.

Pipeline (JRC/OECD Handbook on Constructing Composite Indicators, 2008):
indicators → normalisation (:mod:`.normalise`, pooled over all unit-periods so
scores are comparable across periods) → weights (:mod:`.weights`, one weight per
indicator over the whole set) → aggregation (:mod:`.aggregate`). Each dimension
(e.g. goal, outcome, capability and service fusion; or party-work effectiveness
and business promotion) also gets a sub-index: the same aggregation over its own
indicators with the weights renormalised within the dimension.
"""

from __future__ import annotations

import logging
import warnings
from typing import Mapping

import numpy as np
import pandas as pd

from fusion_study.data.ledger import Ledger
from fusion_study.reporting.labels import label
from fusion_study.data.checks import check_choice, require_columns
from fusion_study.index._validate import IndexInputError, cost_mask
from fusion_study.index.aggregate import AGGREGATIONS, aggregate_matrix, contributions_matrix
from fusion_study.index.normalise import NORMALISATIONS, normalise_matrix
from fusion_study.index.weights import WEIGHT_METHODS, AHPResult, CombinedWeights, objective_weights

__all__ = ["IntegrationIndex", "dimension_label"]

logger = logging.getLogger(__name__)

def dimension_label(name: str, lang: str = "zh") -> str:
    """Display label of a dimension or known indicator from the label catalogue (else the name itself).

    >>> dimension_label("goal"), dimension_label("complaints_per_retailer", "en")
    ('目标融合', 'complaints per retailer')
    """
    return label(name, lang)


class IntegrationIndex:
    """Composite integration index: normalise, weight, aggregate; sub-indices per dimension.

    Parameters
    ----------
    indicators : mapping or list
        ``{dimension: [indicator columns]}``; a plain list means one dimension
        called ``"index"``. An indicator may appear in one dimension only.
    normalise : {"minmax", "zscore", "rank", "target"} or ("target", {indicator: value})
        ``"target"`` alone measures the distance to the best observed value;
        the tuple form gives explicit targets/references (e.g. plan values),
        other indicators still using their best observed value.
    weights : str, mapping, AHPResult or CombinedWeights
        ``"equal"``, ``"entropy"``, ``"critic"``, ``"cv"``, ``"pca"`` (computed
        from the normalised data); explicit ``{indicator: weight}``; the result
        of :func:`~fusion_study.index.weights.ahp_weights`; or
        :class:`~fusion_study.index.weights.CombinedWeights`.
    aggregate : {"linear", "geometric", "topsis"}
    direction : list or mapping, optional
        Cost-type indicators (smaller is better), e.g. ``["complaints"]``.
    id_columns : tuple of str
        Columns identifying a row (default ``("unit_id", "period")``); ranks are
        computed within the last one (the period) when there are two.
    missing : {"error", "exclude"}
        Rows with a missing indicator raise an error naming them (default) or
        are excluded and recorded in ``ledger_`` with the reason.

    Attributes
    ----------
    scores_ : DataFrame
        ``id_columns…, index, <one column per dimension>, rank`` (rank 1 = best
        within the period).
    weights_ : DataFrame
        ``dimension, indicator, direction, weight, weight_in_dimension``.
    contributions_ : DataFrame
        ``id_columns…`` and one column per indicator: its share of the unit's
        score (rows sum to one; see :func:`~.aggregate.contributions_matrix`).
    ledger_ : Ledger
        Rows excluded for missing indicators.

    Validated against: the component functions' references (R, Saaty, Hwang &
    Yoon); the composite itself against the simulator's true fusion level
    (``tests/test_index_study.py``).

    Examples
    --------
    >>> df = pd.DataFrame({"unit_id": ["A", "B", "C"], "period": "2024Q1",
    ...                    "sales": [10.0, 20.0, 30.0], "complaints": [5.0, 1.0, 3.0]})
    >>> idx = IntegrationIndex({"business": ["sales", "complaints"]}, weights="equal",
    ...                        direction=["complaints"]).fit(df)
    >>> idx.scores_[["unit_id", "index", "rank"]]
      unit_id  index  rank
    0       A   0.00     3
    1       B   0.75     1
    2       C   0.75     1
    """

    def __init__(
        self,
        indicators,
        *,
        normalise: str = "minmax",
        weights="entropy",
        aggregate: str = "linear",
        direction=None,
        id_columns=("unit_id", "period"),
        missing: str = "error",
    ) -> None:
        self.indicators = indicators
        self.normalise = normalise
        self.weights = weights
        self.aggregate = aggregate
        self.direction = direction
        self.id_columns = id_columns
        self.missing = missing

    def __repr__(self) -> str:
        w = self.weights if isinstance(self.weights, str) else type(self.weights).__name__
        n = self.normalise if isinstance(self.normalise, str) else "target"
        return (f"IntegrationIndex(dimensions={list(self.dimensions)}, normalise={n!r}, "
                f"weights={w!r}, aggregate={self.aggregate!r})")

    # -- configuration -----------------------------------------------------------
    @property
    def dimensions(self) -> dict[str, list[str]]:
        ind = self.indicators
        if isinstance(ind, Mapping):
            dims = {str(k): [str(c) for c in ([v] if isinstance(v, str) else v)] for k, v in ind.items()}
        else:
            dims = {"index": [str(c) for c in ind]}
        seen: dict[str, str] = {}
        for d, cols in dims.items():
            if not cols:
                raise IndexInputError(f"dimension {d!r} has no indicators")
            for c in cols:
                if c in seen:
                    raise IndexInputError(f"indicator {c!r} is listed in two dimensions ({seen[c]!r} and {d!r})")
                seen[c] = d
        return dims

    @property
    def columns(self) -> list[str]:
        return [c for cols in self.dimensions.values() for c in cols]

    def _normalise_spec(self) -> tuple[str, dict | None]:
        spec = self.normalise
        if isinstance(spec, tuple):
            if len(spec) != 2 or spec[0] != "target" or not isinstance(spec[1], Mapping):
                raise ValueError("normalise as a tuple must be ('target', {indicator: target value})")
            unknown = sorted(set(spec[1]) - set(self.columns))
            if unknown:
                raise IndexInputError(f"targets name {unknown}, which are not indicators; indicators: {self.columns}")
            return "target", dict(spec[1])
        return spec, None

    def _compatible_options(self) -> None:
        """Each option is valid (:func:`~fusion_study.data.checks.check_choice`) and they work together."""
        norm, _ = self._normalise_spec()
        check_choice("normalise", norm, NORMALISATIONS)
        check_choice("aggregate", self.aggregate, AGGREGATIONS)
        check_choice("missing", self.missing, ("error", "exclude"))
        if isinstance(self.weights, str):
            check_choice("weights", self.weights, WEIGHT_METHODS)
        if self.aggregate == "geometric" and norm == "zscore":
            raise ValueError("geometric aggregation needs non-negative normalised values; "
                             "use normalise='minmax', 'rank' or 'target' with aggregate='geometric'")
        method = self.weights.objective if isinstance(self.weights, CombinedWeights) else self.weights
        if method in ("entropy", "cv") and norm == "zscore":
            raise ValueError(f"{method} weights are undefined on z-scores (they need non-negative values with a "
                             f"non-zero mean); use normalise='minmax', 'rank' or 'target' with weights={method!r}")

    # -- fitting --------------------------------------------------------------------
    def _prepare(self, data: pd.DataFrame):
        """Validate ``data``; return (ids frame, raw matrix, ledger) after the missing-value policy."""
        if not isinstance(data, pd.DataFrame):
            raise TypeError(f"data must be a DataFrame with one row per unit (and period), got {type(data).__name__}")
        self._compatible_options()
        ids = [c for c in ([self.id_columns] if isinstance(self.id_columns, str) else self.id_columns)]
        cols = self.columns
        require_columns(data, ids + cols, what="IntegrationIndex.fit (id columns and indicators)")
        dup = data.duplicated(ids, keep=False)
        if dup.any():
            first = data.loc[dup, ids].iloc[0].to_dict()
            raise IndexInputError(f"{int(dup.sum())} rows share their {ids}, e.g. {first}; the index needs one row each")
        ledger = Ledger()
        ledger.record_read("index_indicators", len(data))
        raw = data[cols]
        try:
            X = raw.to_numpy(dtype=float, na_value=np.nan)
        except (TypeError, ValueError):
            bad = [c for c in cols if not pd.api.types.is_numeric_dtype(data[c])]
            raise IndexInputError(f"indicator column(s) {bad} are not numeric") from None
        miss = np.isnan(X)
        rows = miss.any(axis=1)
        if rows.any():
            where = data.loc[rows, ids].astype(str).agg("/".join, axis=1)
            which = [", ".join(np.array(cols)[m]) for m in miss[rows]]
            detail = [f"{w}: missing {c}" + (" (all indicators)" if m.all() else "")
                      for w, c, m in zip(where, which, miss[rows])]
            if self.missing == "error":
                shown = "; ".join(detail[:5]) + (" …" if len(detail) > 5 else "")
                raise IndexInputError(
                    f"{int(rows.sum())} unit-period row(s) have missing indicators ({shown}); "
                    "impute them, or pass missing='exclude' to leave them out (recorded in ledger_)"
                )
            ledger.record("index_indicators", data.index[rows], rule="missing_indicator", detail=detail)
            warnings.warn(f"{int(rows.sum())} unit-period row(s) with missing indicators excluded from the index "
                          "(see ledger_)", UserWarning, stacklevel=3)
        keep = ~rows
        if keep.sum() < 2:
            raise IndexInputError("fewer than two complete unit-period rows; an index needs at least two to compare")
        return data.loc[keep, ids].reset_index(drop=True), X[keep], ledger, ids

    def _resolve_weights(self, Z: np.ndarray) -> pd.Series:
        cols = self.columns
        w = self.weights
        if isinstance(w, str):
            return objective_weights(pd.DataFrame(Z, columns=cols), w, stacklevel=4)
        if isinstance(w, CombinedWeights):
            return w.resolve(Z, cols, stacklevel=4)
        if isinstance(w, AHPResult):
            w = w.weights_
        w = pd.Series(w, dtype=float)
        if set(w.index) != set(cols):
            raise IndexInputError(f"explicit weights must name exactly the indicators {cols}; got {list(w.index)}")
        if (w < 0).any() or w.sum() <= 0:
            raise IndexInputError("explicit weights must be non-negative and not all zero")
        w = (w / w.sum()).reindex(cols)
        w.index.name = "indicator"
        return w.rename("weight")

    def fit(self, data: pd.DataFrame) -> "IntegrationIndex":
        """Compute normalised values, weights, index, sub-indices, ranks and contributions."""
        ids_df, X, ledger, ids = self._prepare(data)
        cols = self.columns
        cost = cost_mask(cols, self.direction)
        norm, targets = self._normalise_spec()
        tvec = None if targets is None else np.array([targets.get(c, np.nan) for c in cols], dtype=float)
        Z = normalise_matrix(X, method=norm, cost=cost, target=tvec, names=cols, stacklevel=2)
        w = self._resolve_weights(Z)
        wv = w.to_numpy()
        scores = ids_df.copy()
        scores["index"] = aggregate_matrix(Z, wv, method=self.aggregate)
        rows = []
        for dim, dcols in self.dimensions.items():
            j = [cols.index(c) for c in dcols]
            wd = wv[j]
            tot = wd.sum()
            wdn = wd / tot if tot > 0 else np.full(len(j), np.nan)
            scores[dim] = aggregate_matrix(Z[:, j], wdn, method=self.aggregate) if tot > 0 else np.nan
            for c, a, b in zip(dcols, wd, wdn):
                rows.append({"dimension": dim, "indicator": c,
                             "direction": "cost" if cost[cols.index(c)] else "benefit",
                             "weight": a, "weight_in_dimension": b})
        group = ids[-1] if len(ids) > 1 else None
        if group is not None:
            scores["rank"] = scores.groupby(group)["index"].rank(ascending=False, method="min").astype(int)
        else:
            scores["rank"] = scores["index"].rank(ascending=False, method="min").astype(int)
        contrib = ids_df.copy()
        shares = contributions_matrix(Z, wv, method=self.aggregate)
        for k, c in enumerate(cols):
            contrib[c] = shares[:, k]
        normalised = ids_df.copy()
        for k, c in enumerate(cols):
            normalised[c] = Z[:, k]
        self.scores_ = scores
        self.weights_ = pd.DataFrame(rows)
        self.contributions_ = contrib
        self.normalised_ = normalised
        self.ledger_ = ledger
        self.id_columns_ = ids
        self._X = X
        self._Z = Z
        logger.debug("integration index fitted on %d rows, %d indicators", len(scores), len(cols))
        return self

    def _check_fitted(self):
        if not hasattr(self, "scores_"):
            raise RuntimeError("call fit(data) first")

    # -- outputs ----------------------------------------------------------------------
    def to_frame(self) -> pd.DataFrame:
        """The scores table (``scores_``)."""
        self._check_fitted()
        return self.scores_.copy()

    def summary(self) -> pd.DataFrame:
        """One row per indicator: ``dimension, indicator, direction, weight, weight_in_dimension,
        mean_normalised, mean_contribution``."""
        self._check_fitted()
        out = self.weights_.copy()
        out["mean_normalised"] = [float(np.mean(self._Z[:, k])) for k in range(len(self.columns))]
        out["mean_contribution"] = [float(np.nanmean(self.contributions_[c])) for c in self.columns]
        return out

    def plot(self, ax=None, *, period=None, lang: str = "zh", top: int | None = 30):
        """Bar chart of the index by unit for one period (default: the last), best at the top."""
        from fusion_study.index.plots import plot_index_bars

        self._check_fitted()
        return plot_index_bars(self, period=period, lang=lang, ax=ax, top=top)
