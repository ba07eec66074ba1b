"""The one vocabulary of tidy outputs (support for the tests that walk the public API).

Every public tidy output names the same quantity the same way: ``estimate, se, ci_lower,
ci_upper, p_value, p_adjusted``. :func:`assert_standard_columns` fails on a frame that uses
one of the old spellings, listing the offending columns.
"""

from __future__ import annotations

import pandas as pd

STANDARD = ("estimate", "se", "ci_lower", "ci_upper", "p_value", "p_adjusted")

#: old spellings -> the standard name
FORBIDDEN = {
    "pvalue": "p_value", "p": "p_value", "pval": "p_value", "p.value": "p_value", "p_val": "p_value",
    "Pr(>|z|)": "p_value", "P>|z|": "p_value",
    "p_adj": "p_adjusted", "padj": "p_adjusted", "p_holm": "p_adjusted", "p_bh": "p_adjusted",
    "lower": "ci_lower", "upper": "ci_upper", "ci_low": "ci_lower", "ci_high": "ci_upper",
    "ci_lo": "ci_lower", "ci_hi": "ci_upper", "lcl": "ci_lower", "ucl": "ci_upper",
    "ci.lower": "ci_lower", "ci.upper": "ci_upper", "conf_low": "ci_lower", "conf_high": "ci_upper",
    "est": "estimate", "att": "estimate", "coef": "estimate", "effect": "estimate",
    "std_err": "se", "stderr": "se", "std_error": "se", "se_": "se", "bse": "se",
}


def assert_standard_columns(frame: pd.DataFrame, where: str = "") -> None:
    """Fail when ``frame`` (a public tidy output) uses an old spelling of a standard column."""
    assert isinstance(frame, pd.DataFrame), f"{where}: expected a DataFrame, got {type(frame).__name__}"
    cols = [c for c in frame.columns if isinstance(c, str)]
    bad = {c: FORBIDDEN[c] for c in cols if c in FORBIDDEN}
    assert not bad, f"{where}: non-standard column name(s) {bad} (old -> standard)"
    if "ci_lower" in cols or "ci_upper" in cols:
        assert {"ci_lower", "ci_upper"} <= set(cols), f"{where}: an interval needs both ci_lower and ci_upper"
