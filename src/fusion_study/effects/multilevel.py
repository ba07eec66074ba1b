"""Retailers nested in branches: linear mixed models and cluster-robust OLS.

:func:`multilevel` fits a linear mixed model by REML (statsmodels
``MixedLM``) and reports fixed effects with SEs, variance components, the
intra-class correlation and the design effect; :func:`cluster_ols` is the
ordinary least squares alternative with cluster-robust standard errors.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import stats

from fusion_study.data.checks import check_alpha, check_lang, critical_value, require_columns

__all__ = ["Multilevel", "multilevel", "cluster_ols"]


class Multilevel:
    """Linear mixed model with random effects by group, fitted by REML.

    Parameters
    ----------
    formula : str
        Fixed-effects formula (patsy), e.g. ``"satisfaction ~ visits + rural"``.
    groups : str
        Grouping column (e.g. ``"branch_id"``).
    re_formula : str, optional
        Random-effects formula, e.g. ``"~visits"`` for a random intercept and
        slope; default random intercept only.
    alpha : float
        Significance level of the fixed-effect intervals (normal, ``0.05``: 95 %).

    Attributes
    ----------
    fixed_ : DataFrame
        ``term``, ``estimate``, ``se``, ``z``, ``p_value``, ``ci_lower``, ``ci_upper``.
    result_ : statsmodels ``MixedLMResults``
        The best of the REML fits (highest log-likelihood).
    variance_components_ : DataFrame
        ``component`` (``"<groups>: Group"`` for the random intercept,
        ``"<groups>: <slope>"``, ``"<groups>: cov(Group, <slope>)"``,
        ``"residual"``), ``variance``.
    icc_ : float
        ``var(intercept) / (var(intercept) + var(residual))`` — the share of
        outcome variance between groups (for random-slope models, at the
        covariate value 0).
    design_effect_ : float
        ``1 + (m - 1) * icc_`` with ``m`` the mean group size.
    loglik_ : float
        REML log-likelihood.

    Validated against
    -----------------
    R ``lme4`` 1.1-31 ``lmer(REML=TRUE)`` (random intercept; intercept + slope;
    null model ICC) on ``tests/reference/effects/multilevel_data.csv``:
    random intercept — fixed effects, SEs, variance components, ICC and
    log-likelihood to 1e-5 relative; random slope — fixed effects 1e-5,
    SEs 5e-5, variances 1e-4, covariance 1e-3 (lme4's own convergence on a
    flat REML surface; our log-likelihood is at least lme4's).
    Fixed-effect SEs are ``sqrt(diag((X' V^-1 X)^-1))`` as in lme4.
    """

    def __init__(self, formula: str, *, groups: str, re_formula: str | None = None, alpha: float = 0.05) -> None:
        self.formula = formula
        self.groups = groups
        self.re_formula = re_formula
        self.alpha = alpha

    def __repr__(self) -> str:
        return f"Multilevel({self.formula!r}, groups={self.groups!r}, re_formula={self.re_formula!r})"

    def fit(self, data: pd.DataFrame) -> "Multilevel":
        import statsmodels.formula.api as smf

        check_alpha(self.alpha)
        require_columns(data, [self.groups], what="multilevel")
        n_groups = data[self.groups].nunique()
        if n_groups < 2:
            raise ValueError(
                f"multilevel: column {self.groups!r} has {n_groups} group(s); a random effect needs several groups"
            )
        model = smf.mixedlm(self.formula, data, groups=data[self.groups], re_formula=self.re_formula)
        fits = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # optimiser chatter; the best finite fit is checked below
            for method in (["bfgs"], ["powell", "bfgs"], ["lbfgs"]):
                try:
                    r = model.fit(reml=True, method=method, gtol=1e-10, maxiter=2000)
                except (np.linalg.LinAlgError, ValueError):  # pragma: no cover - optimiser failure
                    continue
                if np.isfinite(r.llf):
                    fits.append(r)
            if not fits:  # pragma: no cover
                raise RuntimeError("multilevel: the REML optimisation failed for every optimiser")
            res = max(fits, key=lambda r: r.llf)
        self.result_ = res
        se_gls = self._gls_se(model, res)
        est = res.fe_params
        se = pd.Series(se_gls, index=est.index)
        z = est / se
        q = critical_value(self.alpha)
        self.fixed_ = pd.DataFrame(
            {
                "term": est.index,
                "estimate": est.to_numpy(),
                "se": se.to_numpy(),
                "z": z.to_numpy(),
                "p_value": 2 * stats.norm.sf(np.abs(z.to_numpy())),
                "ci_lower": (est - q * se).to_numpy(),
                "ci_upper": (est + q * se).to_numpy(),
            }
        ).reset_index(drop=True)
        cov_re = res.cov_re
        names = list(cov_re.index)
        rows = [(f"{self.groups}: {n}", float(cov_re.loc[n, n])) for n in names]
        for i, a in enumerate(names):
            for b in names[i + 1 :]:
                rows.append((f"{self.groups}: cov({a}, {b})", float(cov_re.loc[a, b])))
        rows.append(("residual", float(res.scale)))
        self.variance_components_ = pd.DataFrame(rows, columns=["component", "variance"])
        v0 = float(cov_re.iloc[0, 0])
        self.icc_ = v0 / (v0 + float(res.scale))
        m = len(data) / n_groups
        self.design_effect_ = 1 + (m - 1) * self.icc_
        self.loglik_ = float(res.llf)
        self.n_obs_ = int(res.nobs)
        self.n_groups_ = int(n_groups)
        return self

    @staticmethod
    def _gls_se(model, res) -> np.ndarray:
        """SEs of the fixed effects from ``(X' V^-1 X)^-1`` at the REML variance
        estimates (as lme4 reports them; statsmodels' ``bse`` uses the joint
        information matrix and differs in the 4th digit)."""
        X = model.exog
        Z = model.exog_re
        D = np.asarray(res.cov_re)
        s2 = float(res.scale)
        k = X.shape[1]
        XtVX = np.zeros((k, k))
        for rows in model.row_indices.values():
            Xg, Zg = X[rows], Z[rows]
            Vg = Zg @ D @ Zg.T + s2 * np.eye(len(rows))
            XtVX += Xg.T @ np.linalg.solve(Vg, Xg)
        return np.sqrt(np.diag(np.linalg.inv(XtVX)))

    def to_frame(self) -> pd.DataFrame:
        """Fixed effects (a copy of ``fixed_``)."""
        return self.fixed_.copy()

    def summary(self, decimals: int = 4) -> pd.DataFrame:
        """Fixed effects, variance components, ICC and design effect in one rounded table.

        Columns: ``kind`` (``"fixed"``, ``"variance"``, ``"summary"``), ``term``, ``estimate``, ``se``.
        """
        fx = self.fixed_[["term", "estimate", "se"]].assign(kind="fixed")
        vc = self.variance_components_.rename(columns={"component": "term", "variance": "estimate"}).assign(
            se=np.nan, kind="variance"
        )
        extra = pd.DataFrame(
            {
                "term": ["ICC", "design effect", "n", "groups"],
                "estimate": [self.icc_, self.design_effect_, self.n_obs_, self.n_groups_],
                "se": np.nan,
                "kind": "summary",
            }
        )
        return pd.concat([fx, vc, extra], ignore_index=True)[["kind", "term", "estimate", "se"]].round(decimals)

    def plot(self, ax=None, *, lang: str = "zh"):
        """Fixed effects with their intervals (level ``1 - alpha``; coefficient plot)."""
        import matplotlib.pyplot as plt

        from fusion_study.reporting.fonts import ensure_cjk_font
        from fusion_study.reporting.labels import label

        if check_lang(lang) == "zh":
            ensure_cjk_font()
        if ax is None:
            _, ax = plt.subplots(figsize=(5, 0.5 * len(self.fixed_) + 1))
        f = self.fixed_
        yy = np.arange(len(f))
        ax.errorbar(f["estimate"], yy, xerr=[f["estimate"] - f["ci_lower"], f["ci_upper"] - f["estimate"]], fmt="o")
        ax.axvline(0, color="0.5", lw=0.8)
        ax.set_yticks(yy)
        ax.set_yticklabels(f["term"])
        ax.set_xlabel(label("coefficient_ci", lang))
        return ax


def multilevel(
    data: pd.DataFrame, formula: str, *, groups: str, re_formula: str | None = None, alpha: float = 0.05
) -> Multilevel:
    """Fit a :class:`Multilevel` model (REML) and return it.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> g = np.repeat(np.arange(20), 10)
    >>> df = pd.DataFrame({"g": g, "y": rng.normal(size=20)[g] + rng.normal(size=200)})
    >>> m = multilevel(df, "y ~ 1", groups="g")
    >>> 0 < m.icc_ < 1
    True
    """
    return Multilevel(formula, groups=groups, re_formula=re_formula, alpha=alpha).fit(data)


def cluster_ols(data: pd.DataFrame, formula: str, *, cluster: str, alpha: float = 0.05) -> pd.DataFrame:
    """OLS with cluster-robust (CR1) standard errors.

    ``alpha`` sets the interval level; the critical value is Student's t with
    G − 1 degrees of freedom (G clusters), ``t_{G-1}(1 - alpha/2)``, not the
    normal one: with few clusters the normal value is too small.

    Returns
    -------
    DataFrame
        ``term``, ``estimate``, ``se``, ``t``, ``p_value``, ``ci_lower``,
        ``ci_upper`` (t with G−1 df), ``n``, ``n_clusters``.

    Validated against
    -----------------
    R ``sandwich::vcovCL(type="HC1")`` 3.0 on the multilevel reference data, 1e-8.
    """
    import statsmodels.formula.api as smf

    check_alpha(alpha)
    require_columns(data, [cluster], what="cluster_ols")
    if data[cluster].isna().any():
        raise ValueError(f"cluster_ols: cluster column {cluster!r} has missing values")
    G = data[cluster].nunique()
    if G < 2:
        raise ValueError(f"cluster_ols: column {cluster!r} has a single cluster; cluster-robust SEs need several")
    codes = pd.factorize(data[cluster])[0]
    res = smf.ols(formula, data).fit(cov_type="cluster", cov_kwds={"groups": codes})
    q = stats.t.ppf(1 - alpha / 2, G - 1)
    t = res.params / res.bse
    return pd.DataFrame(
        {
            "term": res.params.index,
            "estimate": res.params.to_numpy(),
            "se": res.bse.to_numpy(),
            "t": t.to_numpy(),
            "p_value": 2 * stats.t.sf(np.abs(t.to_numpy()), G - 1),
            "ci_lower": (res.params - q * res.bse).to_numpy(),
            "ci_upper": (res.params + q * res.bse).to_numpy(),
            "n": int(res.nobs),
            "n_clusters": G,
        }
    )
