"""The ground-truth simulator: validity, determinism, truth serialisation, overrides, CLI."""

from __future__ import annotations

import filecmp
import json

import numpy as np
import pandas as pd
import pytest

from fusion_study import load_study
from fusion_study.data.schema import TABLES
from fusion_study.simulate import Truth, make_config, simulate_study

#: a small study for tests that need several draws
SMALL = {"n_counties": 2, "n_retailers": 300, "survey_per_wave": 60}


@pytest.fixture(scope="module")
def p_city():
    return simulate_study("p_city", seed=20240101)


def test_every_canonical_table_and_zero_validation_errors(p_city):
    study, _ = p_city
    assert set(study.tables) == set(TABLES)
    report = study.validate()
    assert report.ok, str(report)
    assert report.problems.empty, str(report)  # no warnings either
    assert study.codebook is not None and len(study.codebook) == 29  # 28 items + the free-text question


def test_p_city_sizes(p_city):
    study, truth = p_city
    units = study.units
    assert (units["level"] == "county").sum() == 6
    assert (units["level"] == "branch").sum() == 24
    assert len(study.customers) == 2000
    assert 200 <= len(study.members) <= 400
    assert study.customer_survey["wave"].nunique() == 12
    # partial panel overlap between consecutive waves
    cs = study.customer_survey
    w = sorted(cs["wave"].unique())
    a = set(cs.loc[cs["wave"] == w[4], "customer_id"])
    b = set(cs.loc[cs["wave"] == w[5], "customer_id"])
    assert 0.3 < len(a & b) / len(b) < 0.5
    # nobody adopts in the first two waves; some branches never adopt some intervention
    adoption = truth.adoption
    assert (adoption.loc[adoption["start_wave"] > 0, "start_wave"] >= 3).all()
    assert (adoption["start_wave"] == 0).any()


def test_saved_study_reloads_valid_and_round_trips(p_city, tmp_path):
    study, truth = p_city
    study.save(tmp_path / "s")
    truth.save(tmp_path / "s")
    loaded = load_study(tmp_path / "s")
    assert loaded.validate().ok
    for name, df in study.tables.items():
        pd.testing.assert_frame_equal(loaded.tables[name], df, check_dtype=False, obj=name)
    again = Truth.load(tmp_path / "s")
    assert again.to_json() == truth.to_json()


def test_same_seed_gives_byte_identical_files(tmp_path):
    from fusion_study.simulate import save_simulated_study

    save_simulated_study(tmp_path / "a", seed=7, **SMALL)
    save_simulated_study(tmp_path / "b", seed=7, **SMALL)
    names = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert "truth.json" in names and "customer_survey.csv" in names
    match, mismatch, errors = filecmp.cmpfiles(tmp_path / "a", tmp_path / "b", names, shallow=False)
    assert mismatch == [] and errors == []


def test_different_seeds_differ_but_share_parameters():
    s1, t1 = simulate_study(seed=1, **SMALL)
    s2, t2 = simulate_study(seed=2, **SMALL)
    assert t1.params == t2.params
    assert t1.loadings.equals(t2.loadings)
    assert not s1.customer_survey["sat1"].equals(s2.customer_survey["sat1"])


def test_truth_json_round_trip(p_city):
    _, truth = p_city
    text = truth.to_json()
    again = Truth.from_json(text)
    assert again.to_json() == text
    pd.testing.assert_frame_equal(again.att, truth.att)
    pd.testing.assert_frame_equal(again.adoption, truth.adoption)
    data = json.loads(text)
    assert data["alignment"] == truth.alignment
    assert set(truth.att["intervention"]) >= {"brand", "problem_mechanism", "programme"}


def test_truth_att_decomposition(p_city):
    _, truth = p_city
    a = truth.att
    np.testing.assert_allclose(a["att_latent"], a["direct"] + a["indirect"] + a["ticket_channel"], atol=1e-12)
    overall = truth.overall_att("latent").set_index("intervention")["att_latent"]
    assert (overall > 0).all()
    # effects grow with time since adoption (saturating)
    prog = a[(a.intervention == "vanguard_team") & (a.segment == "all") & a.event_time.notna()]
    prog = prog.set_index("event_time")["att_latent"]
    assert prog.loc[0] < prog.loc[2] < prog.loc[5]
    # heterogeneous: rural retailers gain more than urban ones
    seg = a[(a.intervention == "vanguard_team") & a.event_time.isna()].set_index("segment")["att_latent"]
    assert seg["rural"] > seg["urban"] > seg["modern_terminal"]
    # only distinctive brands move satisfaction
    be = truth.brand_effects.set_index("brand_type")
    assert be.loc["distinctive", "att_latent"] > 0
    assert be.loc[["generic", "copied"], "att_latent"].fillna(0).eq(0).all()


def test_unknown_override_lists_allowed_names():
    with pytest.raises(ValueError, match=r"unknown simulation setting\(s\) \['n_retailer'\]; allowed: .*n_retailers"):
        simulate_study(seed=1, n_retailer=10)
    with pytest.raises(ValueError, match="unknown preset 'town'; allowed presets: p_city, province"):
        simulate_study("town", seed=1)
    with pytest.raises(ValueError, match="speeder_rate must lie in"):
        make_config(speeder_rate=1.5)


def test_cli_simulate(tmp_path, capsys):
    from fusion_study.cli.parser import main

    out = tmp_path / "cli"
    args = ["simulate", "--seed", "3", "--out", str(out)]
    for k, v in SMALL.items():
        args += ["--set", f"{k}={v}"]
    assert main(args) == 0
    assert (out / "truth.json").exists()
    assert load_study(out).validate().ok
    assert main(["simulate", "--out", str(tmp_path / "x"), "--set", "bogus=1"]) == 2
    assert "unknown simulation setting" in capsys.readouterr().err


def test_example_study_path_regenerates_when_missing(tmp_path, monkeypatch):
    from fusion_study.data import paths

    monkeypatch.delenv("FUSION_STUDY_EXAMPLE", raising=False)
    monkeypatch.setenv("FUSION_STUDY_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(paths, "project_root", lambda: tmp_path / "installed")
    path = paths.example_study_path()
    assert path.parent == tmp_path / "cache"
    assert (path / "truth.json").exists()
    assert load_study(path).validate().ok
    assert paths.example_study_path() == path  # cached: not regenerated


def test_bundled_example_is_up_to_date(tmp_path):
    """data/example is exactly what `make example` writes (regenerate it if this fails)."""
    from fusion_study.data.paths import EXAMPLE_SEED, project_root
    from fusion_study.simulate import save_simulated_study

    bundled = project_root() / "data" / "example"
    if not bundled.exists():
        pytest.skip("no bundled example in this installation")
    fresh = tmp_path / "fresh"
    save_simulated_study(fresh, preset="p_city", seed=EXAMPLE_SEED, exports=("code", "text"))
    names = sorted(str(p.relative_to(fresh)) for p in fresh.rglob("*") if p.is_file())
    assert names == sorted(str(p.relative_to(bundled)) for p in bundled.rglob("*") if p.is_file())
    _, mismatch, errors = filecmp.cmpfiles(bundled, fresh, names, shallow=False)
    assert mismatch == [] and errors == [], "run `make example` to regenerate data/example"
    assert sum(p.stat().st_size for p in bundled.rglob("*") if p.is_file()) < 5 * 1024 * 1024


def test_province_preset_changes_only_sizes():
    p_city, province = make_config("p_city"), make_config("province")
    assert (province.n_counties, province.n_retailers) == (100, 300_000)
    size_fields = {"n_counties", "branches_per_county", "n_retailers", "survey_per_wave"}
    for name, value in p_city.to_dict().items():
        if name not in size_fields:
            assert province.to_dict()[name] == value, name
    assert make_config("province", n_retailers=1000).n_retailers == 1000


def test_truth_json_from_an_older_file_and_a_foreign_file(p_city):
    _, truth = p_city
    data = truth.to_dict()
    del data["fusion"]  # a field added later: falls back to its default
    assert Truth.from_dict(data).fusion.empty
    del data["att"]
    with pytest.raises(ValueError, match="lacks 'att'"):
        Truth.from_dict(data)
