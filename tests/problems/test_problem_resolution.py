"""resolution_effect (AIPW effect of resolving a ticket in time) against the simulator's truth."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from fusion_study.effects import OverlapWarning
from fusion_study.problems.resolution import (
    EXCLUSION_REASONS,
    resolution_effect,
    resolution_units,
)
from fusion_study.problems.study import study_resolution_effect
from fusion_study.problems.tickets import branch_launch_periods
from fusion_study.simulate import simulate_study
from fusion_study.simulate.measurement import satisfaction_index
from fusion_study.simulate.presets import SimulationConfig
from fusion_study.simulate.tickets import resolution_effect_truth

DESIGN = dict(n_counties=12, branches_per_county=8, n_retailers=8000, survey_per_wave=1200)
SEED = 20240101  # replication 0 of benchmarks/validate_resolution_effect.py


@pytest.fixture(scope="module")
def big():
    return simulate_study("p_city", seed=SEED, **DESIGN)


def _fit(study, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", OverlapWarning)
        return study_resolution_effect(study, seed=1, **kw)


def test_aipw_ci_covers_true_ate_and_att(big):
    study, truth = big
    ate = _fit(study, estimand="ate")
    att = _fit(study, estimand="att")
    t_ate = truth.tickets["resolution_effect_index"]
    t_att = truth.tickets["resolution_effect_index_treated"]
    assert 5 < t_ate < 10  # 0.4 latent SD ≈ 7-8 index points
    for res, tr in ((ate, t_ate), (att, t_att)):
        row = res.iloc[0]
        assert row["method"] == "aipw"
        assert row["ci_lower"] <= tr <= row["ci_upper"], (row.to_dict(), tr)
        assert row["n"] > 1000 and 0 < row["n_treated"] < row["n"]
    assert list(ate["method"]) == ["aipw", "naive"]
    assert ate.loc[1, "estimand"] == "difference in means"
    assert "mechanism path" not in ate.loc[0, "note"]  # launches were found in the study


def test_alpha_sets_the_interval_level(big):
    """alpha=0.10: 90% normal intervals around the same estimates (half-width ratio z_.95 / z_.975)."""
    study, _ = big
    r05, r10 = _fit(study), _fit(study, alpha=0.10)
    pd.testing.assert_series_equal(r05["estimate"], r10["estimate"])
    ratio = (r10["ci_upper"] - r10["ci_lower"]) / (r05["ci_upper"] - r05["ci_lower"])
    np.testing.assert_allclose(ratio, 1.6448536269514722 / 1.959963984540054, rtol=1e-9)


def test_same_seed_same_result(big):
    study, _ = big
    a, b = _fit(study), _fit(study)
    pd.testing.assert_frame_equal(a, b)


def test_every_candidate_is_used_or_ledgered(big):
    study, _ = big
    res = _fit(study)
    ex = res.attrs["exclusions"]
    units = res.attrs["units"]
    assert set(ex) == {"candidates", *EXCLUSION_REASONS, "tickets_without_opened_date"}
    assert ex["tickets_without_opened_date"] == 0
    assert ex["candidates"] == len(units) + sum(ex[k] for k in EXCLUSION_REASONS)
    led = res.attrs["ledger"].to_frame()
    rq = led[led["table"] == "retailer_quarters"]
    assert len(rq) == sum(ex[k] for k in EXCLUSION_REASONS)
    assert rq["source_row"].is_unique
    assert not set(rq["source_row"]) & set(units["customer_id"].astype(str) + "@" + units["wave"].astype(str))
    assert (led["table"] == "customer_survey").any()  # the screening went into the same ledger
    for k in EXCLUSION_REASONS[1:]:
        assert f"{k} {ex[k]}" in res.loc[0, "note"]


def test_truth_units_and_treatment_match_the_tables(big):
    """With exactly the genuine responses, the estimator's units are the truth's units, and the
    treatment read from the tables (dates, status) agrees with the simulator's ticket term."""
    study, truth = big
    bad = set(truth.screening.loc[truth.screening["table"] == "customer_survey", "response_id"])
    sv = study.customer_survey[~study.customer_survey["response_id"].isin(bad)]
    launches = branch_launch_periods(study.units, study.interventions, "problem_mechanism")
    units = resolution_units(study.tickets, sv, study.customers, codebook=study.codebook, launches=launches)
    assert len(units) == truth.tickets["resolution_effect_n"]
    assert int(units["resolved"].sum()) == truth.tickets["resolution_effect_n_treated"]


def test_truth_helper_equals_direct_loop():
    cfg = SimulationConfig()
    rng = np.random.default_rng(3)
    n, nt = 40, 4
    tickets = pd.DataFrame({"retailer": rng.integers(0, n, 70), "wave_index": rng.integers(0, nt, 70)})
    eff = np.where(rng.random(70) < 0.6, cfg.ticket_resolved_effect, cfg.ticket_unresolved_effect)
    K = np.zeros((n, nt))
    for r, t, e in zip(tickets["retailer"], tickets["wave_index"], eff):
        if t + 1 < nt:
            K[r, t + 1] += e
    S = rng.normal(size=(n, nt)) + K
    r_idx = np.repeat(np.arange(n), nt)
    t_idx = np.tile(np.arange(nt), n)
    genuine = rng.random(n * nt) < 0.8
    got = resolution_effect_truth(cfg, tickets=tickets, S=S, K=K, r_idx=r_idx, t_idx=t_idx, genuine=genuine)
    ok = {(r, t) for r, t, g in zip(r_idx, t_idx, genuine) if g}
    effects, treated = [], []
    for r in range(n):
        for w in range(nt - 1):
            mine = [e for rr, tt, e in zip(tickets["retailer"], tickets["wave_index"], eff) if rr == r and tt == w]
            if len(mine) == 1 and (r, w) in ok and (r, w + 1) in ok:
                s0 = S[r, w + 1] - mine[0]
                d = satisfaction_index(np.array([s0 + 0.15]))[0] - satisfaction_index(np.array([s0 - 0.25]))[0]
                effects.append(d)
                treated.append(mine[0] > 0)
    assert got["resolution_effect_n"] == len(effects) > 5
    assert got["resolution_effect_n_treated"] == sum(treated) > 0
    assert got["resolution_effect_index"] == pytest.approx(np.mean(effects), abs=1e-10)
    assert got["resolution_effect_index_treated"] == pytest.approx(np.mean(np.array(effects)[treated]), abs=1e-10)


def test_without_launches_the_note_warns(big):
    study, _ = big
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", OverlapWarning)
        res = resolution_effect(study.tickets, study.customer_survey, study.customers, codebook=study.codebook, seed=1)
    assert "not adjusted for" in res.loc[0, "note"]


def test_errors(big):
    study, _ = big
    args = (study.tickets, study.customer_survey, study.customers)
    with pytest.raises(ValueError, match=r"estimand='atc' is not supported; use one of \['ate', 'att'\]"):
        resolution_effect(*args, codebook=study.codebook, estimand="atc")
    with pytest.raises(ValueError, match=r"only \d+ usable retailer-quarters \(min_units=100000\)"):
        resolution_effect(*args, codebook=study.codebook, min_units=100000)
    open_all = study.tickets.assign(status="open", closed=pd.NaT)
    with pytest.raises(ValueError, match="no treated units"):
        resolution_effect(open_all, *args[1:], codebook=study.codebook)
    fast = study.tickets.assign(status="resolved", closed=study.tickets["opened"])
    with pytest.raises(ValueError, match="no control units"):
        resolution_effect(fast, *args[1:], codebook=study.codebook)
    with pytest.raises(ValueError, match="table 'tickets' lacks column"):
        resolution_effect(study.tickets.drop(columns="status"), *args[1:], codebook=study.codebook)
    garbled = study.tickets.astype({"opened": object})
    row = garbled.index[3]
    garbled.loc[row, "opened"] = "next Tuesday"
    with pytest.raises(ValueError, match=rf"column 'opened': 1 value\(s\) are not dates, e.g. rows \[{row}\]"):
        resolution_effect(garbled, *args[1:], codebook=study.codebook)


def test_tickets_without_an_opened_date_are_counted(big):
    study, _ = big
    tk = study.tickets.astype({"opened": object})
    tk.loc[tk.index[:7], "opened"] = None
    units = resolution_units(tk, study.customer_survey, study.customers, codebook=study.codebook)
    assert units.attrs["exclusions"]["tickets_without_opened_date"] == 7


def test_report_section_shows_the_estimate_or_says_why_not():
    from fusion_study import load_study
    from fusion_study.data.paths import example_study_path
    from fusion_study.problems.report import _resolution_blocks
    from fusion_study.reporting.sections import ReportContext, Table, Text

    study = load_study(example_study_path())
    ctx = ReportContext(lang="en", quick=True)
    blocks = list(_resolution_blocks(study, ctx))
    table = next(b for b in blocks if isinstance(b, Table))
    assert table.name == "problems_resolution_effect"
    expected = _fit_seed(study, ctx.seed)
    from fusion_study.reporting.labels import label

    # the numbers are the estimator's; method and estimand are shown in words
    shown = expected.drop(columns="note").assign(
        method=[label(f"resolution_{m}", "en") for m in expected["method"]],
        estimand=[label(e, "en") for e in expected["estimand"]])
    pd.testing.assert_frame_equal(table.frame, shown)
    assert table.frame["method"].tolist() == ["doubly robust (AIPW)", "unadjusted difference"]
    text = next(b for b in blocks if isinstance(b, Text))
    assert "excluded: no next survey wave in the study" in text.en and "排除：无下一季度调查" in text.zh
    assert "no_next_wave_in_study" not in text.en
    study.tables["customer_survey"] = study.customer_survey.iloc[:50]
    blocks = list(_resolution_blocks(study, ctx))
    assert len(blocks) == 1 and "could not be estimated" in blocks[0].en


def _fit_seed(study, seed):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", OverlapWarning)
        return study_resolution_effect(study, seed=seed)
