"""Coupling coordination: the corrected formula and the range of the mis-copied one."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fusion_study.index import IndexInputError, coupling_coordination, coupling_degree
from fusion_study.index.coupling import COUPLING_LEVELS, coupling_level


def test_corrected_formula_by_hand():
    # U1 = 0.2, U2 = 0.8: sqrt(0.16) / 0.5 = 0.8; T = 0.5; D = sqrt(0.4)
    res = coupling_coordination([0.2], [0.8])
    assert res.loc[0, "C"] == pytest.approx(0.8, abs=1e-12)
    assert res.loc[0, "T"] == pytest.approx(0.5, abs=1e-12)
    assert res.loc[0, "D"] == pytest.approx(np.sqrt(0.4), abs=1e-12)
    assert res.loc[0, "level"] == 7 and res.loc[0, "level_zh"] == "初级协调"
    # the three written forms of the corrected two-system formula agree
    u1, u2 = np.array([0.1, 0.35, 0.9]), np.array([0.7, 0.35, 0.05])
    c = coupling_degree(u1, u2)
    np.testing.assert_allclose(c, 2 * np.sqrt(u1 * u2) / (u1 + u2), atol=1e-12)
    np.testing.assert_allclose(c, (u1 * u2 / ((u1 + u2) / 2) ** 2) ** 0.5, atol=1e-12)


def test_range_difference_between_corrected_and_erroneous_formula():
    """Wang et al. (2021): C = [U1 U2 / (U1+U2)^2]^(1/2) never exceeds 0.5, so D never reaches the
    coordinated bands for balanced systems; the corrected C spans [0, 1] and equals 1 when U1 = U2."""
    g = np.linspace(0.0, 1.0, 101)
    u1, u2 = [a.ravel() for a in np.meshgrid(g, g)]
    good = coupling_degree(u1, u2)
    bad = coupling_degree(u1, u2, formula="erroneous")
    assert good.min() == pytest.approx(0.0) and good.max() == pytest.approx(1.0)
    assert bad.max() == pytest.approx(0.5) and bad.max() < 0.5 + 1e-12
    np.testing.assert_allclose(good[u1 + u2 > 0], 2 * bad[u1 + u2 > 0], atol=1e-12)  # off by exactly 2 for k = 2
    # two perfectly balanced, fully developed systems: corrected D = 1 (优质协调),
    # the erroneous formula calls them only 'barely coordinated' at best
    res = coupling_coordination([1.0], [1.0])
    assert res.loc[0, "D"] == pytest.approx(1.0) and res.loc[0, "level_en"] == "high-quality coordination"
    d_bad = np.sqrt(coupling_degree([1.0], [1.0], formula="erroneous") * 1.0)
    assert d_bad[0] == pytest.approx(np.sqrt(0.5))
    assert COUPLING_LEVELS[coupling_level(d_bad)[0] - 1][0] == "中级协调"


def test_weight_weights_t_and_levels_cover_ten_bands():
    res = coupling_coordination(pd.Series([0.6, 0.2], index=["B1", "B2"]), [0.2, 0.6], weight=0.75)
    assert list(res.index) == ["B1", "B2"]
    assert res["T"].tolist() == pytest.approx([0.5, 0.3])
    assert coupling_level([0.0, 0.0999, 0.1, 0.55, 0.9, 1.0]).tolist() == [1, 1, 2, 6, 10, 10]
    assert len(COUPLING_LEVELS) == 10
    with pytest.warns(DeprecationWarning, match="use weight="):
        old = coupling_coordination([0.6, 0.2], [0.2, 0.6], alpha=0.75)
    assert old["T"].tolist() == pytest.approx([0.5, 0.3])


def test_bad_input():
    with pytest.raises(IndexInputError, match=r"in \[0, 1\]"):
        coupling_coordination([1.2], [0.5])
    with pytest.raises(IndexInputError, match="missing"):
        coupling_coordination([np.nan], [0.5])
    with pytest.raises(ValueError, match=r"weight must be in \[0, 1\]"):
        coupling_coordination([0.5], [0.5], weight=2)
    assert coupling_coordination([0.0], [0.0]).loc[0, "C"] == 0.0
