"""IntegrationIndex: scores, sub-indices, ranks, contributions, degenerate input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fusion_study.index import ConstantIndicatorWarning, IndexInputError, IntegrationIndex, ahp_weights
from fusion_study.data.checks import MissingColumnsError


def panel(n_units=6, periods=("2024Q1", "2024Q2"), seed=1):
    rng = np.random.default_rng(seed)
    rows = []
    for p in periods:
        for u in range(n_units):
            rows.append({"unit_id": f"B{u + 1}", "period": p, "goal": rng.uniform(2, 5), "service": rng.uniform(2, 5),
                         "sales": rng.uniform(50, 150), "complaints": rng.integers(0, 20)})
    return pd.DataFrame(rows)


DIMS = {"party": ["goal", "service"], "business": ["sales", "complaints"]}


def test_linear_index_by_hand():
    df = panel()
    idx = IntegrationIndex(DIMS, weights="equal", direction=["complaints"]).fit(df)
    X = df[["goal", "service", "sales", "complaints"]].to_numpy(float)
    Z = (X - X.min(0)) / (X.max(0) - X.min(0))
    Z[:, 3] = 1 - Z[:, 3]
    np.testing.assert_allclose(idx.scores_["index"], Z.mean(1), atol=1e-12)
    np.testing.assert_allclose(idx.scores_["party"], Z[:, :2].mean(1), atol=1e-12)
    np.testing.assert_allclose(idx.scores_["business"], Z[:, 2:].mean(1), atol=1e-12)
    # ranks within period, 1 = best
    for p, g in idx.scores_.groupby("period"):
        assert sorted(g["rank"]) == list(range(1, len(g) + 1))
        assert g.loc[g["index"].idxmax(), "rank"] == 1
    # contributions: shares summing to one, equal to w z / score
    C = idx.contributions_[["goal", "service", "sales", "complaints"]].to_numpy()
    np.testing.assert_allclose(C.sum(1), 1.0, atol=1e-12)
    np.testing.assert_allclose(C, 0.25 * Z / Z.mean(1, keepdims=True), atol=1e-12)
    assert set(idx.weights_.columns) == {"dimension", "indicator", "direction", "weight", "weight_in_dimension"}
    assert idx.weights_.set_index("indicator").loc["complaints", "direction"] == "cost"
    assert list(idx.to_frame().columns) == ["unit_id", "period", "index", "party", "business", "rank"]
    assert len(idx.summary()) == 4
    assert "IntegrationIndex(dimensions=['party', 'business']" in repr(idx)


@pytest.mark.parametrize("norm", ["minmax", "rank", "target", "zscore"])
@pytest.mark.parametrize("agg", ["linear", "geometric", "topsis"])
@pytest.mark.parametrize("w", ["equal", "entropy", "critic", "cv", "pca"])
def test_all_combinations_or_clear_error(norm, agg, w):
    idx = IntegrationIndex(DIMS, normalise=norm, weights=w, aggregate=agg, direction=["complaints"])
    bad = norm == "zscore" and (agg == "geometric" or w in ("entropy", "cv"))
    if bad:
        with pytest.raises((ValueError, IndexInputError), match="zscore|mean 0|non-negative"):
            idx.fit(panel())
        return
    idx.fit(panel())
    assert idx.scores_["index"].notna().all()
    np.testing.assert_allclose(idx.weights_["weight"].sum(), 1.0)


def test_geometric_and_topsis_by_hand():
    df = pd.DataFrame({"unit_id": ["a", "b", "c"], "x": [0.0, 5.0, 10.0], "y": [10.0, 10.0, 0.0]})
    g = IntegrationIndex(["x", "y"], weights="equal", aggregate="geometric", id_columns="unit_id").fit(df)
    f = lambda z: 0.01 + 0.99 * z  # noqa: E731 - the stated floor
    np.testing.assert_allclose(g.scores_["index"], [np.sqrt(f(0) * f(1)), np.sqrt(f(0.5) * f(1)), np.sqrt(f(1) * f(0))])
    t = IntegrationIndex(["x", "y"], weights="equal", aggregate="topsis", id_columns="unit_id").fit(df)
    # vector normalisation of the min-max values, then distances to the ideal / anti-ideal
    R = np.array([[0.0, 1.0], [0.5, 1.0], [1.0, 0.0]]) / np.sqrt([1.25, 2.0]) * 0.5
    dp = np.sqrt(((R - R.max(0)) ** 2).sum(1))
    dm = np.sqrt(((R - R.min(0)) ** 2).sum(1))
    np.testing.assert_allclose(t.scores_["index"], dm / (dp + dm), atol=1e-12)
    assert t.scores_["rank"].tolist() == [3, 1, 2]


def test_bad_options_list_allowed_values():
    with pytest.raises(ValueError, match=r"normalise='log' is not supported; use one of \['minmax', 'zscore', 'rank', 'target'\]"):
        IntegrationIndex(DIMS, normalise="log").fit(panel())
    with pytest.raises(ValueError, match="weights='ewm' is not supported; use one of"):
        IntegrationIndex(DIMS, weights="ewm").fit(panel())
    with pytest.raises(ValueError, match="aggregate='sum' is not supported; use one of"):
        IntegrationIndex(DIMS, aggregate="sum").fit(panel())
    with pytest.raises(IndexInputError, match="two dimensions"):
        IntegrationIndex({"a": ["goal"], "b": ["goal"]}).fit(panel())
    with pytest.raises(MissingColumnsError, match=r"lacks column\(s\) \['nope'\]"):
        IntegrationIndex(["goal", "nope"]).fit(panel())
    with pytest.raises(IndexInputError, match="share their"):
        IntegrationIndex(["goal", "sales"]).fit(pd.concat([panel(), panel().head(1)]))


def test_constant_indicator_warns_and_gets_zero_weight():
    df = panel().assign(flat=3.0)
    with pytest.warns(ConstantIndicatorWarning, match="flat"):
        idx = IntegrationIndex({"party": ["goal", "flat"], "business": ["sales"]}).fit(df)
    assert idx.weights_.set_index("indicator").loc["flat", "weight"] == 0.0


def test_unit_with_all_missing_indicators_is_named_or_ledgered():
    df = panel()
    df.loc[(df["unit_id"] == "B3") & (df["period"] == "2024Q2"), ["goal", "service", "sales", "complaints"]] = np.nan
    with pytest.raises(IndexInputError, match=r"B3/2024Q2: missing goal, service, sales, complaints \(all indicators\)"):
        IntegrationIndex(DIMS).fit(df)
    with pytest.warns(UserWarning, match="excluded"):
        idx = IntegrationIndex(DIMS, missing="exclude").fit(df)
    assert len(idx.scores_) == len(df) - 1
    led = idx.ledger_.to_frame()
    assert len(led) == 1 and led.loc[0, "rule"] == "missing_indicator" and "B3/2024Q2" in led.loc[0, "detail"]
    assert idx.ledger_.rows_read["index_indicators"] == len(df)


def test_explicit_and_ahp_weights():
    ahp = ahp_weights([[1, 3, 5, 5], [1 / 3, 1, 3, 3], [1 / 5, 1 / 3, 1, 1], [1 / 5, 1 / 3, 1, 1]],
                      labels=["goal", "service", "sales", "complaints"])
    idx = IntegrationIndex(DIMS, weights=ahp).fit(panel())
    np.testing.assert_allclose(idx.weights_.set_index("indicator")["weight"].reindex(ahp.weights_.index), ahp.weights_)
    with pytest.raises(IndexInputError, match="non-negative"):
        IntegrationIndex(DIMS, weights={"goal": -1, "service": 1, "sales": 1, "complaints": 1}).fit(panel())


def test_plot_labels():
    import matplotlib.pyplot as plt

    idx = IntegrationIndex(DIMS).fit(panel())
    ax = idx.plot(lang="en")
    assert ax.get_xlabel() == "integration index" and "2024Q2" in ax.get_title()
    ax = idx.plot(lang="zh", period="2024Q1")
    assert ax.get_xlabel() == "党业融合指数" and len(ax.patches) == 6
    plt.close("all")


def test_weights_figure_labels():
    import matplotlib.pyplot as plt

    from fusion_study.index import plot_weights

    w = pd.DataFrame({"equal": [0.5, 0.5], "entropy": [0.7, 0.3]}, index=["goal", "complaints_per_retailer"])
    ax = plot_weights(w, lang="en")
    assert [t.get_text() for t in ax.get_xticklabels()] == ["goal fusion", "complaints per retailer"]
    assert len(ax.patches) == 4 and ax.get_ylabel() == "weight"
    ax = plot_weights(w, lang="zh")
    assert ax.get_xticklabels()[0].get_text() == "目标融合"
    plt.close("all")


def test_distance_to_explicit_target():
    df = pd.DataFrame({"unit_id": list("abcd"), "sales": [80.0, 100.0, 120.0, 140.0], "trust": [1.0, 2.0, 3.0, 4.0]})
    idx = IntegrationIndex(["sales", "trust"], normalise=("target", {"sales": 100.0}), weights="equal",
                           id_columns="unit_id").fit(df)
    # sales: 1 - |x - 100| / 40; trust: best observed (4) as the reference
    np.testing.assert_allclose(idx.normalised_["sales"], [0.5, 1.0, 0.5, 0.0])
    np.testing.assert_allclose(idx.normalised_["trust"], [0.0, 1 / 3, 2 / 3, 1.0])
    with pytest.raises(IndexInputError, match="targets name"):
        IntegrationIndex(["sales"], normalise=("target", {"x": 1}), id_columns="unit_id").fit(df)
    with pytest.raises(ValueError, match="tuple"):
        IntegrationIndex(["sales"], normalise=("minmax", {}), id_columns="unit_id").fit(df)
