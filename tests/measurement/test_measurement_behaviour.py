"""Measurement: degenerate input, scale scoring, domain layer and recovery of the simulator's truth."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fusion_study.data.checks import MissingColumnsError
from fusion_study.measurement import (CFA, MeasurementWarning, ModelSyntaxError, NotConvergedError, efa,
                                      kmo_bartlett, parse_model, reliability, score_scales, item_analysis)

REF_DIR = Path(__file__).parents[1] / "reference" / "measurement"


def _sim(n=400, seed=0, lam=(0.8, 0.7, 0.6)):
    rng = np.random.default_rng(seed)
    f = rng.normal(size=(n, 2))
    lam = np.asarray(lam)
    cols = {}
    for j, l in enumerate(lam):
        cols[f"a{j + 1}"] = l * f[:, 0] + np.sqrt(1 - l**2) * rng.normal(size=n)
        cols[f"b{j + 1}"] = l * f[:, 1] + np.sqrt(1 - l**2) * rng.normal(size=n)
    return pd.DataFrame(cols)


def test_one_item_scale_warns_and_gives_nan():
    df = _sim()
    with pytest.warns(MeasurementWarning, match="1-item scale"):
        out = reliability(df, {"single": ["a1"], "a": ["a1", "a2", "a3"]})
    assert np.isnan(out.loc[0, "alpha"]) and out.loc[1, "alpha"] > 0.5


def test_one_item_factor_is_an_error():
    with pytest.raises(ModelSyntaxError, match="single indicator"):
        CFA({"a": ["a1", "a2", "a3"], "b": ["b1"]}).fit(_sim())


def test_zero_variance_item_is_an_error():
    df = _sim()
    df["a2"] = 3.0
    with pytest.raises(ValueError, match="zero variance"):
        reliability(df, {"a": ["a1", "a2", "a3"]})
    with pytest.raises(ValueError, match="zero variance"):
        CFA({"a": ["a1", "a2", "a3"]}).fit(df)
    with pytest.raises(ValueError, match="zero variance"):
        kmo_bartlett(df, ["a1", "a2", "a3"])


def test_more_items_than_respondents():
    df = _sim(n=5)
    with pytest.raises(ValueError, match="only 5 complete respondents"):
        CFA({"a": ["a1", "a2", "a3"], "b": ["b1", "b2", "b3"]}).fit(df)
    with pytest.raises(ValueError, match="more respondents than items"):
        efa(df, ["a1", "a2", "a3", "b1", "b2", "b3"], n_factors=1)


def test_non_positive_definite_covariance():
    df = _sim()
    df["b3"] = df["b1"] + df["b2"]
    with pytest.raises(np.linalg.LinAlgError, match="not positive definite"):
        CFA({"a": ["a1", "a2", "a3"], "b": ["b1", "b2", "b3"]}).fit(df)
    with pytest.raises(np.linalg.LinAlgError, match="not positive definite"):
        kmo_bartlett(df, ["a1", "a2", "a3", "b1", "b2", "b3"])


def test_model_that_does_not_converge_raises():
    df = _sim()
    with pytest.raises(NotConvergedError, match="did not converge"):
        CFA({"a": ["a1", "a2", "a3"], "b": ["b1", "b2", "b3"]}, max_iter=1).fit(df)


def test_unidentified_model_warns():
    # two factors measured by the same three items are not identified
    df = _sim()
    model = "f =~ a1 + a2 + a3\ng =~ a1 + a2 + a3"
    with pytest.warns(MeasurementWarning, match="not identified"):
        try:
            CFA(model).fit(df)
        except NotConvergedError:
            warnings.warn("not identified", MeasurementWarning)


def test_bad_options_list_allowed_values():
    df = _sim()
    with pytest.raises(ValueError, match="use one of"):
        reliability(df, {"a": ["a1", "a2"]}, missing="pairwise_deletion")
    with pytest.raises(ValueError, match="use one of"):
        efa(df, ["a1", "a2", "a3", "b1", "b2", "b3"], n_factors=2, rotation="quartimax")
    with pytest.raises(ValueError, match="use one of"):
        CFA({"a": ["a1", "a2", "a3"]}, estimator="GLS").fit(df)
    with pytest.raises(MissingColumnsError, match=r"lacks column\(s\) \['zz'\]"):
        reliability(df, {"a": ["a1", "zz"]})


def test_parse_model_terms():
    terms = parse_model("f =~ 1*x1 + a*x2 + NA*x3  # comment\n y ~ f; x1 ~~ x2\n y ~ 1")
    assert [(t.lhs, t.op, t.rhs) for t in terms] == [("f", "=~", "x1"), ("f", "=~", "x2"), ("f", "=~", "x3"),
                                                     ("y", "~", "f"), ("x1", "~~", "x2"), ("y", "~1", "")]
    assert terms[0].fixed == 1.0 and terms[1].label == "a" and terms[2].free
    with pytest.raises(ModelSyntaxError, match="no operator"):
        parse_model("f = x1")


def test_reverse_coding_from_codebook():
    df = _sim()
    raw = (df * 1.0).round(2)
    raw["a3"] = 6 - raw["a3"]  # reverse-keyed as answered
    cb = pd.DataFrame({"item_id": ["a1", "a2", "a3"], "scale": ["a"] * 3, "min": [1] * 3, "max": [5] * 3,
                       "reverse": [False, False, True]})
    rev = reliability(raw, cb)
    plain = reliability(df.round(2), {"a": ["a1", "a2", "a3"]})
    assert rev.loc[0, "alpha"] == pytest.approx(plain.loc[0, "alpha"], abs=1e-12)
    with pytest.warns(MeasurementWarning, match="negative alpha|reverse"):
        reliability(raw.assign(a2=6 - raw["a2"]), {"a": ["a1", "a2", "a3"]})
    ia = item_analysis(raw, cb)
    assert (ia["item_total_r"] > 0).all()


def test_score_scales_mean_and_factor():
    df = _sim()
    sc = {"a": ["a1", "a2", "a3"], "b": ["b1", "b2", "b3"]}
    mean = score_scales(df, sc)
    np.testing.assert_allclose(mean["a"], df[["a1", "a2", "a3"]].mean(axis=1))
    fac = score_scales(df, sc, method="factor")
    assert fac.corrwith(mean).min() > 0.95
    df.loc[0, ["a1", "a2"]] = np.nan
    with pytest.warns(MeasurementWarning, match="fewer than 2 of 3"):
        out = score_scales(df, sc)
    assert np.isnan(out.loc[0, "a"])
    assert score_scales(df, sc, min_items=1).loc[0, "a"] == pytest.approx(df.loc[0, "a3"])


def test_cfa_ci_coverage_small_monte_carlo():
    """95% Wald CIs of loadings cover the truth at about the nominal rate (40 replications)."""
    lam = np.array([0.8, 0.7, 0.6])
    hits, total = 0, 0
    for seed in range(40):
        df = _sim(n=300, seed=seed, lam=lam)
        fit = CFA({"a": ["a1", "a2", "a3"], "b": ["b1", "b2", "b3"]}, std_lv=True).fit(df)
        lo = fit.loadings()
        true = np.tile(lam, 2)
        cover = (lo["ci_lower"].to_numpy() <= true) & (true <= lo["ci_upper"].to_numpy())
        hits += cover.sum()
        total += cover.size
    rate = hits / total
    assert 0.90 <= rate <= 0.99, rate


@pytest.fixture(scope="module")
def example():
    from fusion_study import example_study_path, load_study

    return load_study(example_study_path())


@pytest.fixture(scope="module")
def example_validity(example):
    from fusion_study.measurement import study_validity

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MeasurementWarning)
        return study_validity(example)


def test_study_validity_tables(example_validity):
    for inst, n_scales in [("customer_survey", 5), ("staff_survey", 4)]:
        tabs = example_validity[inst]
        assert list(tabs) == ["reliability", "loadings", "kmo_bartlett", "harman", "cfa_fit", "correlations",
                              "fornell_larcker", "htmt"]
        assert len(tabs["reliability"]) == n_scales
        assert (tabs["reliability"]["alpha"] > 0.6).all()
        fit = tabs["cfa_fit"]
        assert fit["model"].iloc[0].endswith("(hypothesised)")
        # the hypothesised model fits better than every alternative
        assert (fit["chisq"].iloc[1:] > fit["chisq"].iloc[0]).all()
        assert fit["cfi"].iloc[0] > 0.95
        fl = tabs["fornell_larcker"].set_index("scale")
        rel = tabs["reliability"].set_index("scale")
        for s in fl.index:
            assert fl.loc[s, s] == pytest.approx(rel.loc[s, "sqrt_ave"])


def test_simulator_loadings_recovered(example_validity):
    """Standardized CFA loadings track the simulator's latent loadings.

    The simulator's loadings act on a continuous response that is then cut into 5/7/10
    Likert points (and some respondents speed or straight-line), which attenuates
    Pearson-based loadings; so agreement is checked within 0.16 and by rank.
    """
    truth = json.loads((Path(__file__).resolve().parents[2] / "data" / "example" / "truth.json").read_text())
    tl = pd.DataFrame(truth["loadings"]["data"]).set_index("item_id")["loading"]
    for inst in ("customer_survey", "staff_survey"):
        lo = example_validity[inst]["loadings"].set_index("item")["std_all"]
        t = tl.reindex(lo.index)
        assert np.max(np.abs(lo - t)) < 0.16
        assert np.corrcoef(lo, t)[0, 1] > 0.8


def test_report_section_registers_and_builds(example):
    from fusion_study.reporting.sections import ReportContext, Table, discover_sections

    sections = {s.key: s for s in discover_sections()}
    assert sections["measurement"].order == 30
    blocks = list(sections["measurement"].build(example, ReportContext()))
    names = [b.name for b in blocks if isinstance(b, Table)]
    assert "customer_survey_reliability" in names and "staff_survey_htmt" in names


def test_mlr_with_fiml_is_refused():
    df = _sim()
    df.loc[0, "a1"] = np.nan
    with pytest.raises(NotImplementedError, match="MLR"):
        CFA({"a": ["a1", "a2", "a3"]}, estimator="MLR", missing="fiml").fit(df)


def test_study_scores_reverse_codes_and_keeps_ids(example):
    from fusion_study.measurement import study_scores

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MeasurementWarning)
        scores = study_scores(example, "customer_survey")
    survey = example.tables["customer_survey"].set_index("response_id")
    assert list(scores.columns[:3]) == ["response_id", "customer_id", "wave"]
    # the screened responses (screen_study): speeders and straight-liners are not scored
    assert len(scores) == 3302 and scores["response_id"].is_unique
    scores = scores.set_index("response_id")
    row = scores.index[survey.loc[scores.index, ["dep1", "dep2", "dep3"]].notna().all(axis=1).to_numpy()][-1]
    expected = (survey.loc[row, "dep1"] + survey.loc[row, "dep2"] + (1 + 5 - survey.loc[row, "dep3"])) / 3
    assert scores.loc[row, "dependency"] == pytest.approx(expected)
    with pytest.raises(ValueError, match="use one of"):
        study_scores(example, "evaluations")


def test_validity_report_with_fiml_uses_every_respondent():
    from fusion_study.measurement import validity_report

    df = _sim(n=300, seed=5)
    df.loc[::7, "a1"] = np.nan
    sc = {"a": ["a1", "a2", "a3"], "b": ["b1", "b2", "b3"]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MeasurementWarning)
        full = validity_report(df, sc, missing="fiml")
        lw = validity_report(df, sc)
    assert full["reliability"]["cr"].notna().all()
    assert not np.allclose(full["loadings"]["estimate"], lw["loadings"]["estimate"])
    with pytest.raises(ValueError, match="use one of"):
        validity_report(df, sc, missing="mean")
