"""Design-based estimation: weighted means and proportions with Taylor-linearised SEs.

The design is the one of R ``svydesign(ids=~cluster, strata=~strata, weights=~w,
fpc=~fpc, nest=TRUE)``: primary sampling units (PSUs: clusters, or single responses
when there is no ``cluster=``) drawn with replacement within strata; a finite
population correction applies at the first stage when ``fpc=`` is given. Clusters are
identified within their stratum (R's ``nest=TRUE``).

The weighted mean ``ȳ = Σ w y / Σ w`` is a ratio; its linearised scores are
``u_i = w_i (y_i − ȳ) / Σ w`` and

    Var(ȳ) = Σ_h (1 − f_h) n_h / (n_h − 1) Σ_{j ∈ h} (z_hj − z̄_h)²,

with ``z_hj`` the total of the scores in PSU ``j`` of stratum ``h``, ``n_h`` the number
of PSUs in the stratum and ``f_h`` its first-stage sampling fraction (0 without
``fpc=``). A proportion is the mean of a level's indicator. Per-group results
(``by=``) are domain estimates: the scores are zero outside the domain but the whole
design (all strata and PSUs) is kept, as R ``svyby``/``subset`` does — not the same
as analysing each group's rows as if they were the sample.

Weights from :func:`~fusion_study.survey.weights.rake` or
:func:`~fusion_study.survey.weights.poststratify` carry what they were calibrated to;
the SE then uses the scores' residuals from the calibration margins (as R ``svymean``
on a ``rake()`` / ``postStratify()`` design; see :mod:`.calibration`), which is usually
smaller than the SE with the weights taken as fixed (``calibration=None``). Replicate
weights (jackknife, bootstrap; :mod:`.replicates`) are an alternative to linearisation.

>>> import pandas as pd
>>> d = pd.DataFrame({"y": [1.0, 2.0, 3.0, 4.0], "w": [1.0, 1.0, 2.0, 2.0]})
>>> survey_mean(d, "y", weights="w").round(6)
  variable  estimate       se  ci_lower  ci_upper  n  n_eff
0        y  2.833333  0.59663   1.66396  4.002706  4    3.6
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd
from scipy import sparse

from fusion_study.data.checks import check_alpha, check_choice, critical_value, require_columns
from fusion_study.survey.calibration import Calibration, Cells, sparse_sum
from fusion_study.survey.replicates import ReplicateWeights, replicate_weights
from fusion_study.survey.weights import _check_weight_values, _shown

__all__ = ["survey_mean"]

DENSE_LIMIT = 20_000_000  # PSUs × (domains × levels) of the dense PSU-total table (160 MB)


def _no_missing(data: pd.DataFrame, cols: list[str], *, what: str, role: str) -> None:
    for c in cols:
        miss = data[c].isna().to_numpy()
        if miss.any():
            raise ValueError(f"{what}: {role} column {c!r} is missing in {int(miss.sum())} row(s) "
                             f"(index {_shown(data.index[miss])}); fill or drop them explicitly first")


def _design(data: pd.DataFrame, weights, cluster, strata, fpc, *, what: str):
    """Weights, PSU codes, the stratum of each PSU, PSU counts and sampling fractions per stratum."""
    n = len(data)
    if isinstance(weights, str):
        require_columns(data, [weights], what=what, table=None)
        _no_missing(data, [weights], what=what, role="weights")
        w = pd.to_numeric(data[weights], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        wname = f"weights column {weights!r}"
    else:
        if weights is None:
            raise ValueError(f"{what}: weights= is required (a column name or one weight per row)")
        if isinstance(weights, pd.Series):  # aligned on the index, as the Series from rake()
            absent = ~data.index.isin(weights.index)
            if absent.any():
                raise ValueError(f"{what}: the weights Series has no weight for {int(absent.sum())} row(s) of the "
                                 f"data (index {_shown(data.index[absent])})")
            weights = weights.reindex(data.index)
        w = pd.to_numeric(pd.Series(np.asarray(weights)), errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        if w.shape != (n,):
            raise ValueError(f"{what}: weights has {w.size} value(s) for {n} row(s) of data")
        wname = "weights"
    _check_weight_values(w, data.index, what=what, name=wname)
    roles = {"strata": strata, "cluster": cluster, "fpc": fpc}
    cols = [c for c in roles.values() if c is not None]
    require_columns(data, cols, what=what)
    for role, c in roles.items():
        if c is not None:
            _no_missing(data, [c], what=what, role=role)
    stratum, labels = (pd.factorize(data[strata], sort=True) if strata is not None
                       else (np.zeros(n, dtype=np.intp), ["(all)"]))
    if cluster is None:
        psu = np.arange(n)
    else:
        cc = pd.factorize(data[cluster])[0].astype(np.int64)
        psu = pd.factorize(stratum.astype(np.int64) * (int(cc.max()) + 1) + cc)[0]
    psu_stratum = np.zeros(psu.max() + 1, dtype=np.intp)
    psu_stratum[psu] = stratum
    n_h = np.bincount(psu_stratum).astype(float)
    lonely = n_h < 2
    if lonely.any():
        raise ValueError(f"{what}: stratum/strata {_shown(np.asarray(labels, dtype=object)[lonely])} have a "
                         "single primary sampling unit, so their variance cannot be estimated; merge them "
                         "with a neighbouring stratum")
    f_h = np.zeros(len(n_h))
    if fpc is not None:
        values = pd.to_numeric(data[fpc], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        per = pd.Series(values).groupby(stratum)
        if (per.nunique(dropna=False) > 1).any() or not np.isfinite(values).all():
            raise ValueError(f"{what}: fpc column {fpc!r} must be one finite number per stratum")
        v = per.first().to_numpy()
        f_h = np.where(v <= 1.0, v, n_h / v)  # a sampling fraction, or the population number of PSUs
        if ((f_h < 0) | (f_h > 1)).any():
            raise ValueError(f"{what}: fpc column {fpc!r} implies a sampling fraction outside [0, 1] in "
                             f"stratum/strata {_shown(np.asarray(labels, dtype=object)[(f_h < 0) | (f_h > 1)])} "
                             "(give the population number of PSUs per stratum, or the fraction sampled)")
    return w, psu, psu_stratum, n_h, f_h


def _variance(z: np.ndarray, psu_stratum, n_h, f_h) -> np.ndarray:
    """Stratified with-replacement variance from the PSU totals ``z`` (n_psu × k) of the score columns."""
    zbar = sparse_sum(psu_stratum, z, len(n_h)) / n_h[:, None]
    ss = sparse_sum(psu_stratum, (z - zbar[psu_stratum]) ** 2, len(n_h))
    return (((1.0 - f_h) * n_h / (n_h - 1.0))[:, None] * ss).sum(axis=0)


def _psu_totals(w, e, col, n_col, adjust, codes, psu, n_psu) -> np.ndarray:
    """PSU totals (n_psu × n_col) of the domain scores ``w e`` minus the calibration adjustments."""
    z = np.bincount((psu[:, None] * n_col + col).ravel(), weights=(w[:, None] * e).ravel(),
                    minlength=n_psu * n_col).reshape(n_psu, n_col)
    for c, a in zip(codes or [], adjust):
        z -= sparse.csr_matrix((w, (psu, c)), shape=(n_psu, a.shape[0])) @ a
    return z


def _variance_by_row(w, e, col, n_col, adjust, codes, stratum, n_h, f_h) -> np.ndarray:
    """:func:`_variance` when every row is its own PSU, without the rows × columns table.

    Row ``i``'s score in column ``c`` is ``u_ic − w_i A[g_i, c]``: ``u`` is non-zero in the
    row's own domain columns only, and ``A = Σ_m a_m[level_m(g)]`` depends on the row's
    joint calibration cell ``g``. The stratum sums of the scores and of their squares
    then need only tables over (stratum, cell, column).
    """
    n_str = len(n_h)
    rows = np.repeat(np.arange(len(w)), col.shape[1])
    u = (w[:, None] * e).ravel()
    sc = stratum[rows] * n_col + col.ravel()
    s1 = np.bincount(sc, weights=u, minlength=n_str * n_col).reshape(n_str, n_col)
    s2 = np.bincount(sc, weights=u**2, minlength=n_str * n_col).reshape(n_str, n_col)
    if adjust:
        cells, g = Cells.of(pd.DataFrame({i: c for i, c in enumerate(codes)}), list(range(len(codes))))
        first = np.zeros(len(cells), dtype=np.intp)
        first[g[::-1]] = np.arange(len(g))[::-1]  # a row of each joint cell
        big_a = sum(a[c[first]] for c, a in zip(codes, adjust))  # (cells, n_col)
        n_g = len(cells)
        hg = stratum * n_g + g
        wt = np.bincount(hg, weights=w, minlength=n_str * n_g).reshape(n_str, n_g)
        w2 = np.bincount(hg, weights=w**2, minlength=n_str * n_g).reshape(n_str, n_g)
        t = np.bincount((hg[rows] * n_col + col.ravel()), weights=u * w[rows],
                        minlength=n_str * n_g * n_col).reshape(n_str, n_g, n_col)
        s1 = s1 - wt @ big_a
        s2 = s2 - 2.0 * np.einsum("hgc,gc->hc", t, big_a) + w2 @ big_a**2
    ss = s2 - s1**2 / n_h[:, None]
    return (((1.0 - f_h) * n_h / (n_h - 1.0))[:, None] * ss).sum(axis=0)


def _calibration(weights, calibration, data, w, *, what: str):
    """The :class:`Calibration` in effect (or None) and the level codes of the data in its margins."""
    if isinstance(calibration, str):
        check_choice("calibration", calibration, ("auto",))
        calibration = weights.attrs.get("calibration") if isinstance(weights, pd.Series) else None
    elif calibration is not None and not isinstance(calibration, Calibration):
        raise ValueError(f"{what}: calibration must be 'auto', None or the Calibration in the attrs of the weights "
                         f"from rake()/poststratify(), got {type(calibration).__name__}")
    if calibration is None:
        return None, None
    codes = calibration.codes(data, what=what)
    calibration.check(w, codes, what=what)
    return calibration, codes


def _replicates(replicates, data, cluster, strata, fpc, *, what: str):
    if replicates is None or isinstance(replicates, ReplicateWeights):
        if replicates is not None:
            if any(c is not None for c in (cluster, strata, fpc)):
                raise ValueError(f"{what}: with replicates= given as ReplicateWeights the design is in the "
                                 "replicate weights; omit cluster=, strata= and fpc=")
            if replicates.factors.shape[0] != len(data) or (
                    replicates.index is not None and not replicates.index.equals(data.index)):
                raise ValueError(f"{what}: the replicate weights were made for {replicates.factors.shape[0]} other "
                                 f"row(s) than the {len(data)} row(s) of the data; make them from this data")
        return replicates
    if replicates == "bootstrap":
        raise ValueError(f"{what}: bootstrap replicates need a seed: make them with "
                         "replicate_weights(data, method='bootstrap', seed=...) and pass the result")
    check_choice("replicates", replicates, ("jk1", "jkn"))
    return replicate_weights(data, method=replicates, cluster=cluster, strata=strata, fpc=fpc)


def survey_mean(
    data: pd.DataFrame,
    y: str,
    *,
    weights,
    cluster: str | None = None,
    strata: str | None = None,
    fpc: str | None = None,
    by: str | Sequence[str] | None = None,
    alpha: float = 0.05,
    calibration="auto",
    replicates=None,
) -> pd.DataFrame:
    """Weighted mean (numeric ``y``) or level proportions (categorical ``y``) with design-based SEs.

    Parameters
    ----------
    data : DataFrame
        One row per response.
    y : str
        The variable. Numeric columns give the weighted mean; other columns (strings,
        categories, booleans) give the weighted proportion of every level (all
        categories of a categorical, sorted observed values otherwise).
    weights : str or array-like
        Column name of the sampling weights, or one positive weight per row: a Series
        (e.g. from :func:`~fusion_study.survey.weights.rake`) is aligned on the index of
        ``data``, an array taken in row order.
    cluster : str, optional
        Column identifying the primary sampling units (within strata); each row is its
        own PSU when omitted.
    strata : str, optional
        Column identifying the strata.
    fpc : str, optional
        First-stage finite population correction, constant within a stratum: the
        population number of PSUs in the stratum (values > 1) or the sampling fraction
        (values <= 1), as R ``svydesign(fpc=)``.
    by : str or sequence of str, optional
        Per-group (domain) results, one set of rows per observed combination.
    alpha : float
        Significance level of the normal-theory intervals.
    calibration : "auto", None or Calibration
        Calibration-aware SEs (see :mod:`~fusion_study.survey.calibration`): ``"auto"``
        uses the ``attrs["calibration"]`` of a weights Series from ``rake`` /
        ``poststratify`` (weights given as a column name carry none: pass the
        Calibration itself, ``w.attrs["calibration"]``); ``None`` treats the weights as
        fixed. The weights must still reproduce the calibration counts (error otherwise).
    replicates : None, "jk1", "jkn" or ReplicateWeights
        Replicate-weight SEs instead of Taylor linearisation: ``"jk1"``/``"jkn"`` build
        the jackknife of the ``cluster``/``strata``/``fpc`` design; a
        :class:`~fusion_study.survey.replicates.ReplicateWeights` (e.g. a seeded
        bootstrap from :func:`~fusion_study.survey.replicates.replicate_weights`)
        carries its own design. Calibrated weights are re-calibrated in every replicate.

    Returns
    -------
    DataFrame
        The ``by`` columns, ``variable`` (= ``y``), ``level`` (categorical ``y`` only),
        ``estimate``, ``se``, ``ci_lower``, ``ci_upper`` (``estimate ± z_{1-α/2} se``),
        ``n`` (responses in the group) and ``n_eff`` (Kish's effective sample size of the
        group's weights, ``(Σw)² / Σw²``).

    Raises
    ------
    ValueError
        Missing values in ``y``, the weights or a design column; non-positive weights;
        a stratum with a single PSU; an inconsistent ``fpc``; calibrated weights that no
        longer reproduce their margins.

    Notes
    -----
    Validated against R survey 4.1 (``svymean``, ``svyby``, ``confint``) on ``apistrat``
    (stratified, with and without fpc) and ``apiclus1`` (one-stage cluster, cluster within
    strata), on ``rake()`` / ``postStratify()`` designs and on ``as.svrepdesign`` (JK1,
    JKn, bootstrap with R's replicate weights): estimates to 1e-8, SEs to 1e-6
    (tests/reference/survey).
    """
    what = "survey_mean"
    alpha = check_alpha(alpha)
    by_cols = [] if by is None else ([by] if isinstance(by, str) else list(by))
    require_columns(data, [y, *by_cols], what=what)
    if len(data) == 0:
        raise ValueError(f"{what}: the data has no rows")
    _no_missing(data, [y], what=what, role="y")
    _no_missing(data, by_cols, what=what, role="by")
    reps = _replicates(replicates, data, cluster, strata, fpc, what=what)
    if reps is None:
        w, psu, psu_stratum, n_h, f_h = _design(data, weights, cluster, strata, fpc, what=what)
    else:
        w = _design(data, weights, None, None, None, what=what)[0]
    cal, cal_codes = _calibration(weights, calibration, data, w, what=what)
    if reps is not None:
        rep_w = w[:, None] * reps.factors
        if cal is not None:
            rep_w = cal.recalibrate(rep_w, cal_codes)

    col = data[y]
    categorical = not pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col)
    if categorical:
        if isinstance(col.dtype, pd.CategoricalDtype):
            levels = list(col.cat.categories)
        else:
            levels = sorted(pd.unique(col.astype(object)))
        values = col.astype(object).to_numpy()
        ymat = np.column_stack([values == lv for lv in levels]).astype(float)
    else:
        levels = [None]
        ymat = col.to_numpy(dtype=float).reshape(-1, 1)

    if by_cols:
        cells, dom = Cells.of(data, by_cols)
        keys = [(k,) if len(by_cols) == 1 else k for k in cells.labels()]
    else:
        dom, keys = np.zeros(len(data), dtype=np.intp), [()]
    n_dom, k_lev = len(keys), ymat.shape[1]
    n_d = np.bincount(dom, minlength=n_dom)
    total = np.bincount(dom, weights=w, minlength=n_dom)
    n_eff = total**2 / np.bincount(dom, weights=w**2, minlength=n_dom)
    est = sparse_sum(dom, w[:, None] * ymat, n_dom) / total[:, None]  # (domains, levels)
    if reps is not None:
        thetas = np.stack([sparse_sum(dom, ymat, n_dom, weights=rep_w[:, r]) for r in range(reps.n_replicates)])
        thetas /= np.stack([np.bincount(dom, weights=rep_w[:, r], minlength=n_dom) for r in range(reps.n_replicates)])[..., None]
        se = np.sqrt(reps.variance(thetas.reshape(reps.n_replicates, -1), est.reshape(-1))).reshape(n_dom, k_lev)
    else:
        # the domain score of row i is w_i e_i, e_i = (y_i − ȳ_d) / W_d in the columns of its own domain d
        e = (ymat - est[dom]) / total[dom][:, None]
        col = dom[:, None] * k_lev + np.arange(k_lev)
        adjust = [] if cal is None else cal.adjustments(e, col, n_dom * k_lev, w, cal_codes)
        if cluster is None and len(psu) * n_dom * k_lev > DENSE_LIMIT:
            var = _variance_by_row(w, e, col, n_dom * k_lev, adjust, cal_codes, psu_stratum, n_h, f_h)
        else:
            var = _variance(_psu_totals(w, e, col, n_dom * k_lev, adjust, cal_codes, psu, len(psu_stratum)),
                            psu_stratum, n_h, f_h)
        se = np.sqrt(var).reshape(n_dom, k_lev)

    crit = critical_value(alpha)
    rows = []
    for d, key in enumerate(keys):
        for k, lv in enumerate(levels):
            row = dict(zip(by_cols, key))
            row["variable"] = y
            if categorical:
                row["level"] = lv
            e_, s_ = est[d, k], se[d, k]
            row.update(estimate=e_, se=s_, ci_lower=e_ - crit * s_, ci_upper=e_ + crit * s_, n=int(n_d[d]),
                       n_eff=n_eff[d])
            rows.append(row)
    return pd.DataFrame(rows)
