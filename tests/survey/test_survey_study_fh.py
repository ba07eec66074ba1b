"""study_branch_fay_herriot on the bundled example study, against the simulator's true branch means."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from fusion_study import example_study_path, load_study
from fusion_study.simulate.truth import Truth
from fusion_study.survey.study_fh import study_branch_fay_herriot


@pytest.fixture(scope="module")
def example():
    return load_study(example_study_path()), Truth.load(example_study_path())


def test_fay_herriot_branch_means_cover_the_true_means(example):
    # 12 waves x 24 branches; measured when written (log_customers, REML): coverage 0.934 smoothed variances
    # (0.899 with the direct ones), MSE 25.1 vs 30.0 for the direct weighted means
    study, truth = example
    waves = sorted(study.customer_survey["wave"].astype(str).unique())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = study_branch_fay_herriot(study, wave=waves, covariates=["log_customers"])
    true = truth.branch_satisfaction.set_index(["branch_id", "period"])["index"]
    t = true.reindex(pd.MultiIndex.from_frame(out[["branch_id", "wave"]])).to_numpy()
    assert np.isfinite(t).all()
    excluded = out.attrs["excluded"]
    assert len(out) + len(excluded) == 12 * 24  # every branch-wave is either estimated or listed as excluded
    assert set(excluded["reason"]) <= {"one response", "direct SE is 0 (all answers equal)"}
    covered = ((out["ci_lower"] <= t) & (t <= out["ci_upper"])).mean()
    assert covered >= 0.9
    assert np.mean((out["estimate"] - t) ** 2) < np.mean((out["direct"] - t) ** 2)
    assert set(out.attrs["models"]) == set(waves)
    assert out.columns[:6].tolist() == ["wave", "branch_id", "n", "direct", "direct_se", "design_se"]
    assert (out["se"] ** 2 >= out["g1"]).all()


def test_bad_options(example):
    study, _ = example
    with pytest.raises(ValueError, match="not branch auxiliaries"):
        study_branch_fay_herriot(study, covariates=["size_tier"])
    with pytest.raises(ValueError, match="variances='raw' is not supported"):
        study_branch_fay_herriot(study, variances="raw")
