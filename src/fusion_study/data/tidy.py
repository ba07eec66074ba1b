"""The standard tidy table of a fitted statsmodels regression: one row per term.

Shared by the regressions of the analysis stages (members' fairness checks, the
problems' next-wave regression) so that every coefficient table names its
columns the same way: ``term, estimate, se, ci_lower, ci_upper, p_value, n``.
"""

from __future__ import annotations

import pandas as pd

from fusion_study.data.checks import check_alpha

__all__ = ["model_terms"]


def model_terms(fit, terms: list[str], *, alpha: float = 0.05) -> pd.DataFrame:
    """``term, estimate, se, ci_lower, ci_upper, p_value, n`` of ``terms`` of a statsmodels results object.

    The interval and p-value are statsmodels' own (``conf_int(alpha=alpha)``,
    ``pvalues``), so they follow the fit's covariance type (e.g. clustered) and
    reference distribution.

    Examples
    --------
    >>> import statsmodels.formula.api as smf
    >>> d = pd.DataFrame({"x": [0.0, 1, 2, 3, 4, 5], "y": [1.1, 2.9, 5.2, 6.8, 9.1, 11.0]})
    >>> model_terms(smf.ols("y ~ x", d).fit(), ["x"]).round(3).to_dict("records")
    [{'term': 'x', 'estimate': 1.991, 'se': 0.039, 'ci_lower': 1.883, 'ci_upper': 2.1, 'p_value': 0.0, 'n': 6}]
    """
    ci = fit.conf_int(alpha=check_alpha(alpha))
    terms = list(terms)
    return pd.DataFrame(
        {
            "term": terms,
            "estimate": fit.params[terms].to_numpy(),
            "se": fit.bse[terms].to_numpy(),
            "ci_lower": ci.loc[terms].iloc[:, 0].to_numpy(),
            "ci_upper": ci.loc[terms].iloc[:, 1].to_numpy(),
            "p_value": fit.pvalues[terms].to_numpy(),
            "n": int(fit.nobs),
        }
    )
