"""Survey weights from a known population: raking, post-stratification, diagnostics.

Retailer surveys are not simple random samples (问卷星 links pushed through WeChat
groups reach some counties and segments more than others), but the analyst knows the
whole retailer population: the ``customers`` table (county, branch, segment). The
functions here turn that population into weights for the responses.

* :func:`rake` — iterative proportional fitting (raking) to one-way population margins,
  optionally with weights capped relative to their mean (``trim=``);
* :func:`poststratify` — weights that reproduce the population counts of the cells of a
  cross-classification;
* :func:`weight_diagnostics` — spread of the weights, Kish's design effect due to
  weighting and the effective sample size.

Every response must belong to a population cell: a missing or unknown margin value is
an error naming the column and the values (nothing is dropped silently), and a
population level that no response falls in is an error too (its count cannot be
carried by anyone; merge it with a neighbouring level first).

Maintained libraries exist: weightipy (Apache-2.0; 0.4.2, 2026-02: RIM raking with
caps) and samplics (MIT; 0.6.1, 2026-09: raking, post-stratification, calibration and
design-based estimation). This first increment does not add a dependency: raking is a
few lines, and ours is checked against R ``survey`` (``rake``, ``postStratify``) on the
``api`` data (tests/reference/survey/make_reference.R); a later increment may compare
or switch to samplics.

>>> from fusion_study import load_study, example_study_path
>>> s = load_study(example_study_path())
>>> customers = s.tables["customers"]
>>> wave = s.tables["customer_survey"].query("wave == '2022Q1'")
>>> responses = wave.merge(customers, on="customer_id", how="left")
>>> w = rake(responses, customers, margins=["county_id", "segment"])
>>> round(float(w.sum()), 6) == len(customers)
True
>>> w.groupby(responses["segment"].to_numpy()).sum().round(6).to_dict()
{'modern_terminal': 200.0, 'rural': 873.0, 'urban': 927.0}
>>> weight_diagnostics(w).columns.tolist()
['n', 'min', 'max', 'max_min_ratio', 'deff', 'n_eff']
"""

from __future__ import annotations

import warnings
from typing import Sequence

import numpy as np
import pandas as pd

from fusion_study.data.checks import require_columns
from fusion_study.survey.calibration import Cells, make_calibration

__all__ = ["rake", "poststratify", "weight_diagnostics", "RakingConvergenceWarning"]


class RakingConvergenceWarning(UserWarning):
    """Raking stopped at ``max_iter`` before the weighted margins matched the population."""


def _shown(values, limit: int = 10) -> list:
    values = list(values)
    return values[:limit] + (["..."] if len(values) > limit else [])


def _cells(responses: pd.DataFrame, population: pd.DataFrame, cols: list[str], *, what: str):
    """Codes of each response's population cell of ``cols``, the population count of each cell, the cells.

    Raises ``ValueError`` on a missing value, on a response value (combination) absent
    from the population, and on a population cell no response falls in.
    """
    require_columns(responses, cols, what=what, table="responses")
    require_columns(population, cols, what=what, table="population")
    label = cols[0] if len(cols) == 1 else cols
    for frame, name in ((responses, "responses"), (population, "population")):
        miss = frame[cols].isna().any(axis=1).to_numpy()
        if miss.any():
            raise ValueError(
                f"{what}: column {label!r} of the {name} is missing in {int(miss.sum())} row(s) "
                f"(index {_shown(frame.index[miss])}); every {'response' if name == 'responses' else 'unit'} "
                "needs a value — fill or recode them, nothing is dropped silently"
            )
    levels, pop_codes = Cells.of(population, cols)
    codes = levels.encode(responses)
    unknown = codes < 0
    if unknown.any():
        bad = responses.loc[unknown, cols].drop_duplicates().astype(object).to_numpy().tolist()
        bad = [k[0] if len(cols) == 1 else tuple(k) for k in bad]
        raise ValueError(
            f"{what}: column {label!r} of the responses has value(s) {_shown(bad)} ({int(unknown.sum())} row(s)) "
            "that do not occur in the population; every response must belong to a population cell — "
            "fix or recode them, nothing is dropped silently"
        )
    target = np.bincount(pop_codes, minlength=len(levels)).astype(float)
    empty = np.bincount(codes, minlength=len(levels)) == 0
    if empty.any():
        lv = levels.labels(empty)
        raise ValueError(
            f"{what}: no response falls in the population level(s) {_shown(lv)} of {label!r} "
            f"(population count {target[empty].astype(int).tolist()}); merge them with a neighbouring level"
        )
    return codes, target, levels


def _base_weights(responses: pd.DataFrame, weight: str | None, *, what: str) -> np.ndarray:
    if weight is None:
        return np.ones(len(responses))
    require_columns(responses, [weight], what=what, table="responses")
    w = pd.to_numeric(responses[weight], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    _check_weight_values(w, responses.index, what=what, name=f"base weight column {weight!r}")
    return w


def _check_weight_values(w: np.ndarray, index, *, what: str, name: str) -> None:
    bad = ~np.isfinite(w)
    if bad.any():
        raise ValueError(f"{what}: {name} is missing or not a finite number in {int(bad.sum())} row(s) "
                         f"(index {_shown(index[bad])})")
    nonpos = w <= 0
    if nonpos.any():
        raise ValueError(f"{what}: {name} must be positive; {int(nonpos.sum())} row(s) are not "
                         f"(index {_shown(index[nonpos])}, values {_shown(w[nonpos])})")


def rake(
    responses: pd.DataFrame,
    population: pd.DataFrame,
    *,
    margins: Sequence[str] = ("county_id", "segment"),
    weight: str | None = None,
    trim: tuple[float, float] | None = None,
    max_iter: int = 100,
    tol: float = 1e-10,
) -> pd.Series:
    """Rake the responses to the one-way population margins (iterative proportional fitting).

    Starting from the base weights, each sweep rescales the weights so that their sum
    in every level of each margin in turn equals the population count of that level
    (counted from ``population``, e.g. the ``customers`` table); sweeps repeat until
    every weighted margin is within ``tol`` (relative) of its population count. The
    raked weights sum to the population size.

    Parameters
    ----------
    responses : DataFrame
        One row per response, with the margin columns (e.g. merged from ``customers``).
    population : DataFrame
        One row per population unit, with the same margin columns.
    margins : sequence of str
        The columns whose population distributions the weights must reproduce.
    weight : str, optional
        Column of base (design) weights; all ones when omitted.
    trim : (lo, hi), optional
        Cap the weights to ``[lo, hi]`` times their mean (``0 <= lo < 1 < hi``) after
        every sweep, so raking and capping alternate until the margins hold; on convergence
        the returned weights reproduce the margins and lie within the caps, both to ``tol``
        (relative). Caps can make the margins unreachable: then a
        :class:`RakingConvergenceWarning` is raised.
    max_iter : int
        Maximum number of sweeps.
    tol : float
        Largest allowed relative gap between a weighted margin and its population count.

    Returns
    -------
    Series
        The raked weights, named ``"weight"``, on the index of ``responses``. On
        convergence ``attrs["calibration"]`` holds the margins and their population
        counts (:class:`~fusion_study.survey.calibration.Calibration`), from which
        :func:`~fusion_study.survey.design.survey_mean` computes calibration-aware SEs.

    Raises
    ------
    ValueError
        A margin value missing in the responses or population, a response value not
        in the population, a population level without responses, base weights missing
        or not positive, or a bad ``trim``.

    Notes
    -----
    Validated against R survey 4.1 ``rake()`` run to convergence on ``apiclus1`` (margins
    ``stype``, ``sch.wide`` from ``apipop``) and ``apistrat`` (three margins, unequal base
    weights): weights equal to 1e-8 (tests/reference/survey).
    """
    what = "rake"
    margins = list(margins)
    if not margins:
        raise ValueError(f"{what}: margins must name at least one column")
    if trim is not None:
        try:
            lo, hi = (float(t) for t in trim)
        except (TypeError, ValueError):
            raise ValueError(f"{what}: trim must be a pair (lo, hi) of numbers, got {trim!r}") from None
        if not (0.0 <= lo < 1.0 < hi):
            raise ValueError(f"{what}: trim=(lo, hi) needs 0 <= lo < 1 < hi (multiples of the mean weight), got {trim!r}")
    w = _base_weights(responses, weight, what=what).copy()
    cells = [_cells(responses, population, [m], what=what) for m in margins]
    gap = np.inf
    for _ in range(max_iter):
        for codes, target, _ in cells:
            w *= (target / np.bincount(codes, weights=w, minlength=len(target)))[codes]
        if trim is not None:
            mean = w.mean()
            np.clip(w, lo * mean, hi * mean, out=w)
        gap = max(np.max(np.abs(np.bincount(c, weights=w, minlength=len(t)) / t - 1.0)) for c, t, _ in cells)
        if gap < tol:
            out = pd.Series(w, index=responses.index, name="weight")
            out.attrs["calibration"] = make_calibration("rake", [[m] for m in margins], cells)
            return out
    else:
        warnings.warn(
            f"{what}: the weighted margins of {margins} still differ from the population by up to "
            f"{gap:.3g} (relative) after max_iter={max_iter} sweeps"
            + ("; the caps in trim may be too tight for these margins" if trim is not None else "")
            + "; survey_mean will treat these weights as fixed (no calibration information attached)",
            RakingConvergenceWarning,
            stacklevel=2,
        )
    return pd.Series(w, index=responses.index, name="weight")


def poststratify(
    responses: pd.DataFrame,
    population: pd.DataFrame,
    *,
    by: Sequence[str],
    weight: str | None = None,
) -> pd.Series:
    """Post-stratify: weights that reproduce the population count of every cell of ``by``.

    Each response's weight is its base weight times ``N_g / sum of base weights in g``
    for its cell ``g`` of the cross-classification of the ``by`` columns (counted from
    ``population``).

    Parameters
    ----------
    responses, population : DataFrame
        As in :func:`rake`.
    by : sequence of str
        The columns whose joint cells define the post-strata.
    weight : str, optional
        Column of base weights; all ones when omitted (then ``N_g / n_g``).

    Returns
    -------
    Series
        The weights, named ``"weight"``, on the index of ``responses``, with
        ``attrs["calibration"]`` (the cells and their population counts) for
        calibration-aware SEs in :func:`~fusion_study.survey.design.survey_mean`.

    Raises
    ------
    ValueError
        As :func:`rake`, for the cells of ``by``.

    Notes
    -----
    Validated against R survey 4.1 ``postStratify()`` on ``apiclus1`` by ``stype``:
    weights to 1e-8.
    """
    by = [by] if isinstance(by, str) else list(by)
    if not by:
        raise ValueError("poststratify: by must name at least one column")
    w = _base_weights(responses, weight, what="poststratify")
    cells = _cells(responses, population, by, what="poststratify")
    codes, target, _ = cells
    w = w * (target / np.bincount(codes, weights=w, minlength=len(target)))[codes]
    out = pd.Series(w, index=responses.index, name="weight")
    out.attrs["calibration"] = make_calibration("poststratify", [by], [cells])
    return out


def weight_diagnostics(weights) -> pd.DataFrame:
    """How unequal the weights are, and what that costs in precision.

    Parameters
    ----------
    weights : Series or array-like
        Positive, finite weights (e.g. from :func:`rake`).

    Returns
    -------
    DataFrame
        One row: ``n`` (number of weights), ``min``, ``max``, ``max_min_ratio``
        (max / min), ``deff`` (Kish's design effect due to weighting, ``1 + CV²`` with
        the CV computed with divisor n, i.e. ``n Σw² / (Σw)²``) and ``n_eff`` (the
        effective sample size ``(Σw)² / Σw² = n / deff``).

    >>> weight_diagnostics([1.0, 1.0, 2.0, 4.0])
       n  min  max  max_min_ratio   deff     n_eff
    0  4  1.0  4.0            4.0  1.375  2.909091
    """
    s = weights if isinstance(weights, pd.Series) else pd.Series(np.asarray(weights))
    w = pd.to_numeric(s, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    if w.size == 0:
        raise ValueError("weight_diagnostics: no weights given")
    _check_weight_values(w, s.index, what="weight_diagnostics", name="the weights")
    n = w.size
    total, sq = w.sum(), np.square(w).sum()
    return pd.DataFrame({
        "n": [n], "min": [w.min()], "max": [w.max()], "max_min_ratio": [w.max() / w.min()],
        "deff": [n * sq / total**2], "n_eff": [total**2 / sq],
    })
