"""Weights, normalisation and aggregation against R, Saaty and Hwang & Yoon."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fusion_study.index import (
    CombinedWeights,
    ConstantIndicatorWarning,
    InconsistentJudgementsError,
    InconsistentJudgementsWarning,
    IndexInputError,
    IntegrationIndex,
    ahp_weights,
    combine_weights,
    critic_weights,
    cv_weights,
    entropy_weights,
    normalise,
    pca_weights,
    topsis,
)

REF = json.loads((Path(__file__).parents[1] / "reference" / "index" / "index_reference.json").read_text())
DATA = pd.DataFrame(REF["data"])
COST = ["complaints"]
TOL = 1e-10


@pytest.fixture
def z():
    return normalise(DATA, direction=COST)


def test_minmax_matches_r(z):
    np.testing.assert_allclose(z.to_numpy(), pd.DataFrame(REF["minmax"]).to_numpy(), atol=TOL)


def test_entropy_matches_r_with_zero_log_zero_convention(z):
    # the min-max table has a 0 in every column: 0 * ln 0 is taken as 0 (its limit)
    assert (z.to_numpy() == 0).any(axis=0).all()
    np.testing.assert_allclose(entropy_weights(z).to_numpy(), REF["entropy"], atol=TOL)


def test_entropy_shift_matches_r(z):
    np.testing.assert_allclose(entropy_weights(z, shift=1e-4).to_numpy(), REF["entropy_shift_1e4"], atol=TOL)


def test_entropy_on_raw_positive_data_matches_r():
    raw = DATA[["sales", "revenue", "party_score", "trust"]]
    np.testing.assert_allclose(entropy_weights(raw).to_numpy(), REF["entropy_raw"], atol=TOL)


def test_critic_matches_r(z):
    np.testing.assert_allclose(critic_weights(z).to_numpy(), REF["critic"], atol=TOL)


PYMCDM = json.loads((Path(__file__).parents[1] / "reference" / "index" / "pymcdm_reference.json").read_text())


def test_entropy_and_critic_match_pymcdm(z):
    """A second, independent implementation (pymcdm 1.4.0, MIT; script in tests/reference/index/)."""
    np.testing.assert_allclose(entropy_weights(z, shift=1e-4).to_numpy(), PYMCDM["entropy_minmax_shift_1e4"], atol=TOL)
    raw = DATA[["sales", "revenue", "party_score", "trust"]]
    np.testing.assert_allclose(entropy_weights(raw).to_numpy(), PYMCDM["entropy_raw"], atol=TOL)
    np.testing.assert_allclose(critic_weights(z).to_numpy(), PYMCDM["critic_minmax"], atol=TOL)


def test_cv_matches_r():
    np.testing.assert_allclose(cv_weights(DATA).to_numpy(), REF["cv_raw"], atol=TOL)


def test_topsis_matches_r():
    res = topsis(DATA, REF["entropy"], direction=COST)
    np.testing.assert_allclose(res["closeness"], REF["topsis_raw_entropy"], atol=TOL)
    res = topsis(DATA, [0.2] * 5, direction=COST)
    np.testing.assert_allclose(res["closeness"], REF["topsis_raw_equal"], atol=TOL)


def test_topsis_hwang_yoon_fighter_aircraft():
    """Hwang & Yoon (1981), Multiple Attribute Decision Making, fighter-aircraft example:
    relative closeness C* = 0.643, 0.268, 0.613, 0.312 (ranking A1 > A3 > A4 > A2)."""
    planes = pd.DataFrame(
        {
            "max_speed": [2.0, 2.5, 1.8, 2.2],
            "ferry_range": [1500, 2700, 2000, 1800],
            "max_payload": [20000, 18000, 21000, 20000],
            "cost": [5.5, 6.5, 4.5, 5.0],
            "reliability": [5, 3, 7, 5],
            "maneuverability": [9, 5, 7, 5],
        },
        index=["A1", "A2", "A3", "A4"],
    )
    res = topsis(planes, [0.2, 0.1, 0.1, 0.1, 0.2, 0.3], direction=["cost"])
    np.testing.assert_allclose(res["closeness"], [0.643, 0.268, 0.613, 0.312], atol=1.5e-3)
    assert res["rank"].tolist() == [1, 4, 2, 3]


def test_topsis_ideal_solutions_match_r_mcda_documentation():
    """R package MCDA, TOPSIS() help-page example (Corsa/Clio/Fiesta): its documented
    positive and negative ideal solutions of the weighted vector-normalised matrix."""
    from fusion_study.index.aggregate import _topsis_parts

    cars = np.array([[5490, 51.4, 8.5, 285], [6500, 70.6, 7, 288], [6489, 54.3, 7.5, 290]], dtype=float)
    _, best, worst = _topsis_parts(cars, np.array([0.35, 0.25, 0.25, 0.15]), np.array([True, False, False, False]))
    np.testing.assert_allclose(best, [0.179573776, 0.171636015, 0.159499658, 0.087302767], atol=1e-9)
    np.testing.assert_allclose(worst, [0.212610118, 0.124958799, 0.131352659, 0.085797547], atol=1e-9)


def test_ahp_matches_r_eigen():
    res = ahp_weights(np.array(REF["ahp_matrix"]), on_inconsistent="ignore")
    np.testing.assert_allclose(res.weights_.to_numpy(), REF["ahp_weights"], atol=1e-8)
    assert res.lambda_max_ == pytest.approx(REF["ahp_lambda_max"][0], abs=1e-8)
    assert res.cr_ == pytest.approx(REF["ahp_cr"][0], abs=1e-8)


def test_ahp_saaty_drinks_example():
    """Saaty (2008), 'Decision making with the analytic hierarchy process', Int. J. Services
    Sciences 1(1): relative consumption of drinks in the US (also in Saaty 1980):
    eigenvector .177 .019 .042 .116 .190 .129 .327, CR = .022."""
    drinks = ["coffee", "wine", "tea", "beer", "sodas", "milk", "water"]
    A = [
        [1, 9, 5, 2, 1, 1, 1 / 2],
        [1 / 9, 1, 1 / 3, 1 / 9, 1 / 9, 1 / 9, 1 / 9],
        [1 / 5, 3, 1, 1 / 3, 1 / 4, 1 / 3, 1 / 9],
        [1 / 2, 9, 3, 1, 1 / 2, 1, 1 / 3],
        [1, 9, 4, 2, 1, 2, 1 / 2],
        [1, 9, 3, 1, 1 / 2, 1, 1 / 3],
        [2, 9, 9, 3, 2, 3, 1],
    ]
    res = ahp_weights(A, labels=drinks)
    np.testing.assert_allclose(res.weights_.to_numpy(), [0.177, 0.019, 0.042, 0.116, 0.190, 0.129, 0.327], atol=6e-4)
    assert res.cr_ == pytest.approx(0.022, abs=6e-4)
    assert res.ri_ == 1.32 and res.consistent_


def test_ahp_consistent_matrix_has_lambda_n_and_cr_zero():
    w = np.array([0.5, 0.3, 0.2])
    res = ahp_weights(w[:, None] / w[None, :])
    np.testing.assert_allclose(res.weights_, w, atol=1e-12)
    assert res.lambda_max_ == pytest.approx(3.0, abs=1e-10)
    assert res.cr_ == pytest.approx(0.0, abs=1e-10)


INCONSISTENT = [[1, 9, 1 / 9], [1 / 9, 1, 9], [9, 1 / 9, 1]]  # a > b > c > a


def test_ahp_inconsistent_matrix_refused_or_warned():
    with pytest.raises(InconsistentJudgementsError, match="CR ="):
        ahp_weights(INCONSISTENT)
    with pytest.warns(InconsistentJudgementsWarning):
        res = ahp_weights(INCONSISTENT, on_inconsistent="warn")
    assert res.cr_ >= 0.1 and not res.consistent_
    res = ahp_weights(INCONSISTENT, on_inconsistent="ignore", threshold=100)
    assert res.consistent_


def test_ahp_result_old_attribute_names_warn_but_work():
    res = ahp_weights([[1, 3], [1 / 3, 1]], labels=["party", "business"])
    with pytest.warns(DeprecationWarning, match=r"AHPResult.cr is deprecated; use .cr_"):
        assert res.cr == res.cr_
    with pytest.warns(DeprecationWarning, match="weights_"):
        pd.testing.assert_series_equal(res.weights, res.weights_)
    with pytest.warns(DeprecationWarning):
        assert res.consistent is True
    s = res.summary().set_index("statistic")["value"]
    assert s["lambda_max"] == pytest.approx(2.0) and s["cr"] == 0.0 and "CR=0.0000" in str(res)


def test_ahp_non_reciprocal_matrix_names_the_cell():
    with pytest.raises(IndexInputError, match=r"not reciprocal: a\[goal, service\] = 3 but a\[service, goal\] = 3"):
        ahp_weights([[1, 2, 3], [1 / 2, 1, 1], [3, 1, 1]], labels=["goal", "outcome", "service"])
    with pytest.raises(IndexInputError, match="diagonal"):
        ahp_weights([[2, 1], [1, 1]])
    with pytest.raises(IndexInputError, match="square"):
        ahp_weights([[1, 2, 3]])
    # rounded reciprocals typed by users are accepted
    ahp_weights([[1, 3], [0.333, 1]])


def test_constant_indicator_gets_zero_weight_with_warning(z):
    z = z.assign(flat=0.5)
    for fn in (entropy_weights, critic_weights, cv_weights, pca_weights):
        with pytest.warns(ConstantIndicatorWarning, match="flat"):
            w = fn(z)
        assert w["flat"] == 0.0
        assert w.sum() == pytest.approx(1.0)
    with pytest.raises(ValueError, match="every indicator is constant"):
        entropy_weights(pd.DataFrame({"a": [1.0, 1.0], "b": [2.0, 2.0]}))


def test_entropy_rejects_negative_values():
    with pytest.raises(IndexInputError, match="non-negative"):
        entropy_weights(normalise(DATA, method="zscore"))


def test_combined_weights():
    s = pd.Series({"a": 0.6, "b": 0.3, "c": 0.1})
    o = pd.Series({"a": 0.2, "b": 0.2, "c": 0.6})
    m = combine_weights(s, o)
    np.testing.assert_allclose(m, np.array([0.12, 0.06, 0.06]) / 0.24)
    lin = combine_weights(s, o, rule="linear", lam=0.25)
    np.testing.assert_allclose(lin, 0.25 * s + 0.75 * o)
    with pytest.raises(ValueError, match="rule='average' is not supported; use one of"):
        combine_weights(s, o, rule="average")


def test_pca_matches_r(z):
    np.testing.assert_allclose(pca_weights(z).to_numpy(), REF["pca"], atol=TOL)


def test_pca_weights_sum_to_one_and_are_sign_invariant(z):
    w1 = pca_weights(z)
    w2 = pca_weights(-z + 1)
    np.testing.assert_allclose(w1, w2, atol=1e-12)
    assert w1.sum() == pytest.approx(1.0)


def test_normalise_methods_by_hand():
    df = pd.DataFrame({"x": [1.0, 2.0, 4.0], "c": [10.0, 30.0, 20.0]})
    assert normalise(df, method="zscore", direction=["c"])["c"].tolist() == pytest.approx([1.0, -1.0, 0.0])
    assert normalise(df, method="rank", direction=["c"])["c"].tolist() == [1.0, 0.0, 0.5]
    # distance to a target: 3 is ideal, deviations count alike in both directions
    assert normalise(df, method="target", target={"x": 3.0})["x"].tolist() == pytest.approx([0.0, 0.5, 0.5])
    assert normalise(df, method="target")["x"].tolist() == pytest.approx(normalise(df)["x"].tolist(), abs=1e-12)
    with pytest.warns(ConstantIndicatorWarning):
        out = normalise(df.assign(k=7.0))
    assert out["k"].tolist() == [0.5] * 3
    with pytest.raises(ValueError, match="is not supported; use one of"):
        normalise(df, method="log")
    with pytest.raises(IndexInputError, match="not an indicator"):
        normalise(df, direction=["y"])


def test_index_with_ahp_and_combined_weights(z):
    ids = pd.DataFrame({"unit_id": [f"u{i}" for i in range(10)], "period": "2024Q1"})
    data = pd.concat([ids, DATA], axis=1)
    dims = {"business": ["sales", "revenue", "complaints"], "party": ["party_score", "trust"]}
    ahp = ahp_weights(np.array(REF["ahp_matrix"])[:4, :4][:, :4], labels=["sales", "revenue", "complaints", "party_score"],
                      on_inconsistent="ignore")
    with pytest.raises(IndexInputError, match="name exactly the indicators"):
        IntegrationIndex(dims, weights=ahp).fit(data)
    sub = {"sales": 0.3, "revenue": 0.2, "complaints": 0.2, "party_score": 0.2, "trust": 0.1}
    idx = IntegrationIndex(dims, weights=CombinedWeights(sub, "entropy"), direction=COST).fit(data)
    expect = combine_weights(pd.Series(sub), pd.Series(REF["entropy"], index=DATA.columns))
    np.testing.assert_allclose(idx.weights_["weight"], expect.to_numpy(), atol=1e-10)
