"""The rollout designs: anchored lags (the default, every preset but ``validation_independent``)
and independently drawn intervention starts (``rollout_lags="independent"``)."""

from __future__ import annotations

import numpy as np
import pytest

from fusion_study.simulate.presets import INTERVENTIONS, make_config
from fusion_study.simulate.rollout import draw_rollout


def _starts(lags, n=6000, seed=3):
    cfg = make_config("p_city", rollout_lags=lags, n_waves=40)  # long window: no start is censored
    z = np.random.default_rng(seed).standard_normal(n)
    return cfg, z, draw_rollout(cfg, z, np.random.default_rng(seed + 1))


def test_anchored_starts_lie_within_lag_max_of_the_first():
    cfg, _, s = _starts("anchored")
    spread = s.max(axis=1) - s.min(axis=1)
    assert spread.max() <= cfg.rollout_lag_max


def test_independent_starts_are_independent_given_strength_but_still_confounded():
    cfg, z, s = _starts("independent")
    assert (s > 0).all() and s.shape == (len(z), len(INTERVENTIONS))
    # confounding kept: stronger branches start earlier, by rollout_strength waves per SD
    slope = np.polyfit(z, s[:, 1], 1)[0]
    assert slope == pytest.approx(-cfg.rollout_strength, abs=0.15)
    # same mean start as the anchored design (programme wave + mean lag)
    _, _, a = _starts("anchored")
    assert s.mean() == pytest.approx(a.mean(), abs=0.1)
    # given strength, the starts of two interventions are uncorrelated (anchored: strongly correlated)
    res = s - (np.outer(z, np.polyfit(z, s, 1)[0]) + np.polyfit(z, s, 1)[1])
    r = np.corrcoef(res.T)[np.triu_indices(len(INTERVENTIONS), 1)]
    assert np.abs(r).max() < 0.06
    res_a = a - (np.outer(z, np.polyfit(z, a, 1)[0]) + np.polyfit(z, a, 1)[1])
    assert np.corrcoef(res_a.T)[0, 1] > 0.5
    # gaps between two interventions of a branch: SD sqrt(2) * rollout_sd (clipping at min_start_wave aside)
    assert np.std(s[:, 0] - s[:, 2]) == pytest.approx(np.sqrt(2) * cfg.rollout_sd, rel=0.1)


def test_starts_after_the_window_mean_never_and_none_before_min_start_wave():
    cfg = make_config("validation_independent")
    z = np.random.default_rng(0).standard_normal(4000)
    s = draw_rollout(cfg, z, np.random.default_rng(1))
    adopted = s[s > 0]
    assert adopted.min() >= cfg.min_start_wave and adopted.max() <= cfg.n_waves
    assert 0.05 < (s == 0).mean() < 0.5


def test_rollout_lags_is_validated_and_written_only_when_changed():
    with pytest.raises(ValueError, match="rollout_lags must be one of anchored, independent"):
        make_config("p_city", rollout_lags="random")
    assert "rollout_lags" not in make_config("p_city").to_dict()  # the bundled example's truth.json unchanged
    assert make_config("validation_independent").to_dict()["rollout_lags"] == "independent"
    v, vi = make_config("validation").to_dict(), make_config("validation_independent").to_dict()
    assert {k for k in vi if vi[k] != v.get(k)} == {"rollout_lags"}


def test_independent_study_records_its_design_in_the_truth(tmp_path):
    from fusion_study.simulate import Truth, simulate_study

    _, truth = simulate_study("p_city", seed=5, rollout_lags="independent", n_retailers=300, survey_per_wave=60)
    back = Truth.load(truth.save(tmp_path))
    assert back.params["rollout_lags"] == "independent"
    adopt = back.adoption[back.adoption["start_wave"] > 0]
    spread = adopt.groupby("unit_id")["start_wave"].agg(lambda w: w.max() - w.min())
    assert spread.max() > make_config("p_city").rollout_lag_max  # impossible in the anchored design
