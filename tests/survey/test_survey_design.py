"""survey_mean beyond R parity: hand-computed variance, alpha, weights given as a Series,
categorical levels, domains, and errors on bad designs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from vocabulary import assert_standard_columns

from fusion_study.data.checks import critical_value
from fusion_study.survey import rake, survey_mean, weight_diagnostics

REF = Path(__file__).parents[1] / "reference" / "survey"
TINY = pd.DataFrame({
    "y": [1.0, 2.0, 3.0, 4.0, 6.0, 5.0],
    "w": [1.0, 1.0, 2.0, 2.0, 1.0, 3.0],
    "h": ["a", "a", "a", "b", "b", "b"],
    "c": [1, 1, 2, 3, 4, 4],
    "g": ["x", "y", "x", "y", "x", "y"],
})


def test_stratified_cluster_variance_by_hand():
    d = TINY
    w, y = d["w"].to_numpy(), d["y"].to_numpy()
    ybar = (w * y).sum() / w.sum()
    u = w * (y - ybar) / w.sum()
    # PSUs: (a,1) rows 0-1, (a,2) row 2, (b,3) row 3, (b,4) rows 4-5
    z = {"a": np.array([u[0] + u[1], u[2]]), "b": np.array([u[3], u[4] + u[5]])}
    var = sum(2 / 1 * ((zh - zh.mean()) ** 2).sum() for zh in z.values())
    got = survey_mean(d, "y", weights="w", cluster="c", strata="h").iloc[0]
    assert got["estimate"] == pytest.approx(ybar, abs=1e-12)
    assert got["se"] == pytest.approx(np.sqrt(var), abs=1e-12)
    # fpc as population PSU counts (4 per stratum: f = 1/2) and as fractions give the same
    f = survey_mean(d.assign(N=4), "y", weights="w", cluster="c", strata="h", fpc="N").iloc[0]
    assert f["se"] == pytest.approx(np.sqrt(var * 0.5), abs=1e-12)
    f2 = survey_mean(d.assign(N=0.5), "y", weights="w", cluster="c", strata="h", fpc="N").iloc[0]
    assert f2["se"] == pytest.approx(f["se"], abs=1e-12)


def test_alpha_sets_interval_width():
    got = survey_mean(TINY, "y", weights="w", alpha=0.10).iloc[0]
    assert (got["ci_upper"] - got["estimate"]) / got["se"] == pytest.approx(critical_value(0.10), abs=1e-12)
    assert (got["estimate"] - got["ci_lower"]) / got["se"] == pytest.approx(1.6448536269514722, abs=1e-12)


def test_weights_as_series_equal_column_and_n_eff():
    a = survey_mean(TINY, "y", weights="w", by="g")
    b = survey_mean(TINY, "y", weights=TINY["w"], by="g")
    pd.testing.assert_frame_equal(a, b)
    shuffled = TINY["w"].iloc[::-1]  # a Series is aligned on the index, not taken in order
    pd.testing.assert_frame_equal(a, survey_mean(TINY, "y", weights=shuffled, by="g"))
    with pytest.raises(ValueError, match=r"no weight for 1 row\(s\) of the data \(index \[5\]\)"):
        survey_mean(TINY, "y", weights=TINY["w"].iloc[:5])
    x = TINY[TINY["g"] == "x"]
    assert a.loc[a["g"] == "x", "n"].item() == 3
    assert a.loc[a["g"] == "x", "n_eff"].item() == pytest.approx(weight_diagnostics(x["w"])["n_eff"].item())


def test_domain_keeps_the_whole_design():
    """A domain SE is not the SE of the group's rows analysed alone (R svyby semantics)."""
    dom = survey_mean(TINY, "y", weights="w", by="g")
    alone = survey_mean(TINY[TINY["g"] == "x"], "y", weights="w").iloc[0]
    x = dom[dom["g"] == "x"].iloc[0]
    assert x["estimate"] == pytest.approx(alone["estimate"], abs=1e-12)
    assert abs(x["se"] - alone["se"]) > 1e-3


def test_categorical_levels_and_proportions():
    d = TINY.assign(k=pd.Categorical(["p", "q", "p", "q", "p", "p"], categories=["p", "q", "r"]))
    got = survey_mean(d, "k", weights="w")
    assert got["level"].tolist() == ["p", "q", "r"]
    assert got["estimate"].sum() == pytest.approx(1.0, abs=1e-12)
    assert got["estimate"].iloc[0] == pytest.approx(7 / 10, abs=1e-12)
    assert got.loc[2, ["estimate", "se"]].tolist() == [0.0, 0.0]
    b = survey_mean(TINY.assign(flag=TINY["y"] > 3), "flag", weights="w")
    assert b["level"].tolist() == [False, True]


def test_survey_mean_under_raked_weights_on_the_example_study():
    from fusion_study import example_study_path, load_study

    s = load_study(example_study_path())
    customers = s.tables["customers"]
    r = s.tables["customer_survey"].query("wave == '2022Q1'").merge(customers, on="customer_id", how="left")
    w = rake(r, customers)
    got = survey_mean(r, "segment", weights=w, strata="county_id")
    share = customers["segment"].value_counts(normalize=True)
    # raked to the segment margin: the weighted shares are the population shares
    np.testing.assert_allclose(got["estimate"], share.reindex(got["level"]).to_numpy(), atol=1e-10)


# --- bad input -----------------------------------------------------------------------

def test_missing_and_nonpositive_weights():
    with pytest.raises(ValueError, match=r"weights column 'w' is missing in 1 row\(s\) \(index \[2\]\)"):
        survey_mean(TINY.assign(w=[1.0, 1.0, np.nan, 1.0, 1.0, 1.0]), "y", weights="w")
    with pytest.raises(ValueError, match=r"weights column 'w' must be positive; 1 row\(s\)"):
        survey_mean(TINY.assign(w=[1.0, 1.0, 0.0, 1.0, 1.0, 1.0]), "y", weights="w")
    with pytest.raises(ValueError, match="weights= is required"):
        survey_mean(TINY, "y", weights=None)
    with pytest.raises(ValueError, match=r"weights has 2 value\(s\) for 6 row\(s\)"):
        survey_mean(TINY, "y", weights=[1.0, 2.0])


def test_design_errors():
    with pytest.raises(ValueError, match=r"y column 'y' is missing in 1 row"):
        survey_mean(TINY.assign(y=[1.0, None, 3.0, 4.0, 6.0, 5.0]), "y", weights="w")
    with pytest.raises(ValueError, match=r"lacks column\(s\) \['psu'\]"):
        survey_mean(TINY, "y", weights="w", cluster="psu")
    with pytest.raises(ValueError, match=r"\['b'\] have a single primary sampling unit"):
        survey_mean(TINY.assign(c=[1, 1, 2, 3, 3, 3]), "y", weights="w", cluster="c", strata="h")
    with pytest.raises(ValueError, match="one finite number per stratum"):
        survey_mean(TINY.assign(N=[4, 5, 4, 4, 4, 4]), "y", weights="w", strata="h", fpc="N")
    with pytest.raises(ValueError, match="sampling fraction outside"):
        survey_mean(TINY.assign(N=2), "y", weights="w", strata="h", fpc="N")  # 3 sampled of 2
    with pytest.raises(ValueError, match="alpha"):
        survey_mean(TINY, "y", weights="w", alpha=95)
    with pytest.raises(ValueError, match="no rows"):
        survey_mean(TINY.iloc[:0], "y", weights="w")


def test_vocabulary():
    data = pd.read_csv(REF / "apiclus1.csv")
    pop = pd.read_csv(REF / "apipop.csv")
    for frame, where in [
        (survey_mean(data, "api00", weights="pw", cluster="dnum", by="stype"), "survey_mean numeric by"),
        (survey_mean(data, "awards", weights="pw", cluster="dnum"), "survey_mean categorical"),
        (weight_diagnostics(rake(data, pop, margins=["stype", "sch_wide"])), "weight_diagnostics"),
    ]:
        assert_standard_columns(frame, where)
        if "estimate" in frame:
            assert {"estimate", "se", "ci_lower", "ci_upper", "n", "n_eff"} <= set(frame.columns)
