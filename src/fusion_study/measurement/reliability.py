"""Scale reliability: Cronbach's alpha (raw and standardized), Spearman–Brown, McDonald's omega, item analysis."""

from __future__ import annotations

import numpy as np
import pandas as pd

from fusion_study.data.checks import check_choice
from fusion_study.measurement._data import (check_variances, cov_to_cor, covariance, item_frame, listwise,
                    resolve_scales, warn)
from fusion_study.measurement.factor import fit_factors

__all__ = ["reliability", "item_analysis"]

_MISSING = ("listwise", "pairwise")


def _scale_cov(data, items, codebook, missing, what):
    frame = item_frame(data, items, codebook=codebook, what=what)
    if missing == "listwise":
        x = listwise(frame, what)
        n = x.shape[0]
        _, cov = covariance(x)
    else:
        cov = frame.cov().to_numpy()
        n = int(frame.notna().all(axis=1).sum())
        if np.isnan(cov).any():
            raise ValueError(f"{what}: some item pairs have fewer than 2 joint responses")
    check_variances(cov, items, what)
    return cov, n


def _alpha(cov: np.ndarray) -> float:
    k = cov.shape[0]
    return k / (k - 1) * (1 - np.trace(cov) / cov.sum())


def _omega_total(r: np.ndarray) -> float:
    lam, _ = fit_factors(r, 1, "minres")
    lam = lam[:, 0]
    if lam.sum() < 0:
        lam = -lam
    psi = 1 - lam**2
    return float(lam.sum() ** 2 / (lam.sum() ** 2 + psi.sum()))


def reliability(data: pd.DataFrame, scales, *, codebook: pd.DataFrame | None = None,
                missing: str = "listwise") -> pd.DataFrame:
    """Internal-consistency reliability per scale.

    Parameters
    ----------
    data : DataFrame with one column per item.
    scales : dict ``{scale: [items]}``, a list of items, or a codebook DataFrame
        (its ``scale`` column defines the scales and its ``reverse`` flags are applied).
    codebook : codebook DataFrame; reverse-coded items (``min + max - x``) are
        reversed before anything is computed.
    missing : {"listwise", "pairwise"}
        Listwise: respondents complete on the scale's items (``n`` counts them).
        Pairwise: covariances from all available pairs.

    Returns
    -------
    DataFrame, one row per scale: ``scale, n_items, n, alpha`` (raw Cronbach's
    alpha from covariances, as SPSS), ``alpha_std`` (from correlations),
    ``spearman_brown`` (two-item scales only: ``2r / (1 + r)`` of the two items'
    correlation ``r``, the reliability Eisinga, te Grotenhuis & Pelzer (2013) recommend
    for a two-item scale; NaN for other scales), ``omega_total`` (McDonald's omega from
    a one-factor minres model of the item correlations, (Σλ)²/((Σλ)²+Σψ); scales of 3+
    items), ``mean_r`` (mean inter-item correlation). A one-item scale gets a row of NaN
    coefficients (it has no internal consistency) and a :class:`MeasurementWarning`.

    Validated against: R psych ``alpha`` (raw_alpha, std.alpha, average_r) to 1e-8 and
    omega from psych ``fa(fm="minres", nfactors=1)`` loadings to 1e-6, on HolzingerSwineford1939;
    ``spearman_brown`` against 2r/(1+r), psych ``alpha`` std.alpha and ``splitHalf`` to 1e-10
    (tests/reference/measurement/make_reference_two_item.R).

    >>> df = pd.DataFrame({"a": [1, 2, 3, 4, 5], "b": [2, 2, 3, 5, 5], "c": [1, 3, 3, 4, 4]})
    >>> reliability(df, {"s": ["a", "b", "c"]})[["scale", "n_items", "n"]].to_dict("records")
    [{'scale': 's', 'n_items': 3, 'n': 5}]
    """
    check_choice("missing", missing, _MISSING)
    scales, codebook = resolve_scales(scales, codebook)
    rows = []
    for name, items in scales.items():
        what = f"reliability of scale {name!r}"
        if len(items) < 2:
            warn(f"{what}: a 1-item scale has no internal consistency; alpha and omega are reported as NaN")
            frame = item_frame(data, items, codebook=codebook, what=what)
            rows.append({"scale": name, "n_items": 1, "n": int(frame.notna().all(axis=1).sum()),
                         "alpha": np.nan, "alpha_std": np.nan, "spearman_brown": np.nan, "omega_total": np.nan,
                         "mean_r": np.nan})
            continue
        cov, n = _scale_cov(data, items, codebook, missing, what)
        if n <= len(items):
            warn(f"{what}: {len(items)} items but only {n} respondents; the estimates are unstable")
        r = cov_to_cor(cov)
        k = len(items)
        mean_r = (r.sum() - k) / (k * (k - 1))
        alpha_std = k * mean_r / (1 + (k - 1) * mean_r)
        alpha = _alpha(cov)
        if alpha < 0:
            warn(f"{what}: negative alpha ({alpha:.3f}); an item is probably not reverse-coded")
        try:
            omega = _omega_total(r) if k >= 3 else np.nan
        except np.linalg.LinAlgError:
            omega = np.nan
        sb = 2 * r[0, 1] / (1 + r[0, 1]) if k == 2 else np.nan
        rows.append({"scale": name, "n_items": k, "n": n, "alpha": alpha, "alpha_std": alpha_std,
                     "spearman_brown": sb, "omega_total": omega, "mean_r": mean_r})
    return pd.DataFrame(rows)


def item_analysis(data: pd.DataFrame, scales, *, codebook: pd.DataFrame | None = None,
                  missing: str = "listwise") -> pd.DataFrame:
    """Item statistics per scale: corrected item–total correlation and alpha if item deleted.

    Returns
    -------
    DataFrame, one row per item: ``scale, item, n, mean, sd, item_total_r``
    (correlation of the item with the sum of the *other* items of its scale),
    ``alpha_if_deleted`` (raw alpha of the scale without the item; NaN for a
    2-item scale).

    Validated against: R psych ``alpha`` (``item.stats$r.drop``, ``alpha.drop$raw_alpha``) to 1e-8.
    """
    check_choice("missing", missing, _MISSING)
    scales, codebook = resolve_scales(scales, codebook)
    rows = []
    for name, items in scales.items():
        what = f"item analysis of scale {name!r}"
        if len(items) < 2:
            warn(f"{what}: a 1-item scale has no item-total correlation")
            continue
        cov, n = _scale_cov(data, items, codebook, missing, what)
        frame = item_frame(data, items, codebook=codebook, what=what)
        if missing == "listwise":
            frame = frame.dropna()
        total = cov.sum(axis=1)
        tot_var = cov.sum()
        for i, item in enumerate(items):
            rest_var = tot_var - 2 * total[i] + cov[i, i]
            cov_ir = total[i] - cov[i, i]
            r_drop = cov_ir / np.sqrt(cov[i, i] * rest_var)
            keep = [j for j in range(len(items)) if j != i]
            a_del = _alpha(cov[np.ix_(keep, keep)]) if len(keep) >= 2 else np.nan
            rows.append({"scale": name, "item": item, "n": n, "mean": float(frame[item].mean()),
                         "sd": float(frame[item].std()), "item_total_r": r_drop, "alpha_if_deleted": a_del})
    return pd.DataFrame(rows)
