"""Simulated free-text answers (simulate/text.py): masking, themes in the truth, link to tickets, own stream."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from fusion_study import example_study_path, load_study
from fusion_study.data.privacy import MASK_TOKENS
from fusion_study.simulate.presets import TICKET_CATEGORIES
from fusion_study.simulate.text import TEXT_THEMES, THEME_TICKET_CATEGORY, simulate_suggestions
from fusion_study.simulate.truth import Truth


@pytest.fixture(scope="module")
def example():
    return load_study(example_study_path()), Truth.load(example_study_path())


def test_truth_has_every_responses_theme(example):
    study, truth = example
    tt = truth.text_themes
    assert tt["response_id"].tolist() == study.customer_survey["response_id"].tolist()
    assert set(tt["theme"]) == set(TEXT_THEMES) | {"none"}
    text = study.customer_survey["suggestion"]
    content = tt["theme"].ne("none").to_numpy()
    assert text[content].notna().all()
    assert 0.2 < (~content).mean() < 0.4
    assert set(study.codebook.loc[study.codebook["item_id"] == "suggestion", "scale"]) == {"text"}


def test_personal_data_masked_in_the_table(example):
    study, truth = example
    text = study.customer_survey["suggestion"].astype("string")
    pii = truth.text_themes["pii"].to_numpy(dtype=bool)
    assert 50 < pii.sum() < 400
    has_token = text.str.contains("|".join(map(re.escape, MASK_TOKENS.values())), regex=True).fillna(False).to_numpy()
    assert (has_token == pii).all()
    assert not text.str.contains(r"1[3-9]\d{9}", regex=True).fillna(False).any()
    assert not text.str.contains("联系人：[^〔]", regex=True).fillna(False).any()


def test_raw_answers_are_masked_by_the_privacy_module():
    rng = np.random.default_rng(1)
    n = 400
    tickets = pd.DataFrame({"retailer": rng.integers(0, 50, 100), "wave_index": rng.integers(0, 4, 100),
                            "category": rng.integers(0, 4, 100)})
    out = simulate_suggestions(r_idx=rng.integers(0, 50, n), t_idx=rng.integers(0, 4, n), quality=np.zeros(n, int),
                               tickets=tickets, cust_branch=np.arange(50) % 5, n_waves=4, rng=np.random.default_rng(2))
    raw_pii = out.loc[out["pii"], "raw"]
    assert len(raw_pii) > 5
    assert (raw_pii != out.loc[out["pii"], "text"]).all()  # the fake name or phone was there, and was masked
    assert (out.loc[~out["pii"], "raw"].fillna("") == out.loc[~out["pii"], "text"].fillna("")).all()


def test_answers_linked_to_the_retailers_tickets(example):
    study, truth = example
    cs, tk = study.customer_survey, study.tickets
    for theme, cat in THEME_TICKET_CATEGORY.items():
        mine = tk[tk["category"] == cat]
        quarter = pd.PeriodIndex(pd.to_datetime(mine["opened"]), freq="Q")
        keys = set(zip(mine["customer_id"], quarter.astype(str))) | set(zip(mine["customer_id"], (quarter + 1).astype(str)))
        had = np.array([(c, w) in keys for c, w in zip(cs["customer_id"], cs["wave"].astype(str))])
        wrote = truth.text_themes["theme"].eq(theme).to_numpy()
        assert wrote[had].mean() > 1.5 * wrote[~had].mean(), (theme, cat)
    assert set(THEME_TICKET_CATEGORY.values()) == set(TICKET_CATEGORIES)


def test_own_random_stream_leaves_the_other_streams_unchanged():
    # the text stream is child 12 of the seed; children 0-11 (every other table) are those of spawn(12)
    old = np.random.default_rng(20240101).spawn(12)
    new = np.random.default_rng(20240101).spawn(13)
    for a, b in zip(old, new[:12]):
        assert a.bit_generator.state == b.bit_generator.state
