"""The streamed simulator (national preset): equal to the in-memory one where the design says so,
byte-stable Parquet, the schema's columns and dtypes, and its truth recovered from its own data."""

from __future__ import annotations

import filecmp
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from fusion_study.cli import main
from fusion_study.data.periods import period_range
from fusion_study.data.schema import DTYPES, TABLES
from fusion_study.simulate import Truth, simulate_study, stream_study
from fusion_study.simulate.activities import TEAM_SPEC
from fusion_study.simulate.streaming import SMALL_TABLES, STREAMED_TABLES

#: a national-preset study small enough for a test, in four chunks of retailers
NATIONAL_SMALL = {"n_counties": 4, "n_retailers": 20_000, "survey_per_wave": 1500}
CHUNK = 5_000
SEED = 7


def _read(folder: Path, table: str) -> pd.DataFrame:
    if (folder / table).is_dir():
        return pd.read_parquet(folder / table)
    return pd.read_csv(folder / f"{table}.csv", encoding="utf-8-sig")


@pytest.fixture(scope="module")
def streamed(tmp_path_factory):
    out = tmp_path_factory.mktemp("national") / "study"
    info = stream_study(out, preset="national", seed=SEED, chunk_size=CHUNK, **NATIONAL_SMALL)
    return out, info


@pytest.fixture(scope="module")
def in_memory():
    return simulate_study("national", seed=SEED, **NATIONAL_SMALL)


def test_one_chunk_equals_the_in_memory_simulation(tmp_path):
    small = {"n_counties": 2, "n_retailers": 600, "survey_per_wave": 80}
    stream_study(tmp_path / "s", preset="p_city", seed=3, chunk_size=10_000, **small)
    study, truth = simulate_study("p_city", seed=3, **small)
    for name in STREAMED_TABLES:
        pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "s" / name), study.tables[name].reset_index(drop=True))
    truth.save(tmp_path / "truth.json")
    assert json.loads((tmp_path / "truth.json").read_text()) == json.loads((tmp_path / "s" / "truth.json").read_text())


def test_same_seed_same_bytes(tmp_path):
    kw = {"preset": "national", "seed": 11, "chunk_size": 1500, "n_counties": 2, "n_retailers": 4000, "survey_per_wave": 150}
    stream_study(tmp_path / "a", **kw)
    stream_study(tmp_path / "b", **kw)
    files = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file())
    assert len([f for f in files if f.suffix == ".parquet"]) > 30
    assert files == sorted(p.relative_to(tmp_path / "b") for p in (tmp_path / "b").rglob("*") if p.is_file())
    _, mismatch, errors = filecmp.cmpfiles(tmp_path / "a", tmp_path / "b", [str(f) for f in files], shallow=False)
    assert mismatch == [] and errors == []
    meta = pq.read_metadata(tmp_path / "a" / "activities" / "part-00000.parquet")
    assert meta.num_row_groups >= 1 and meta.row_group(0).column(0).compression == "ZSTD"


def test_layout_and_study_json(streamed):
    out, info = streamed
    meta = json.loads((out / "study.json").read_text(encoding="utf-8"))
    assert meta["simulated"] == {"preset": "national", "seed": SEED, "streamed": {"chunk_size": CHUNK, "chunks": 4}}
    # the description says what was drawn (not "P city"), with the sizes actually drawn
    assert "P city" not in meta["description"] and "national" in meta["description"]
    assert f"{NATIONAL_SMALL['n_retailers']:,} retailers" in meta["description"]
    for name in STREAMED_TABLES:
        parts = sorted((out / name).glob("part-*.parquet"))
        assert len(parts) == meta["tables"][name]["parts"] >= 1
        assert sum(pq.read_metadata(p).num_rows for p in parts) == meta["tables"][name]["rows"] == meta["rows_read"][name]
    for name in (*SMALL_TABLES, "codebook"):
        assert (out / f"{name}.csv").is_file()
    assert [p.name for p in sorted((out / "activities").iterdir())] == [f"part-{k:05d}.parquet" for k in range(4)]
    assert len(pd.read_parquet(out / "customer_survey")) == 12 * NATIONAL_SMALL["survey_per_wave"]


def test_big_tables_have_the_schema_columns_and_dtypes(streamed):
    out, _ = streamed
    arrow = {"string": pa.large_string(), "period": pa.large_string(), "int": pa.int64(), "float": pa.float64(),
             "date": pa.timestamp("ns"), "datetime": pa.timestamp("ns")}  # fmt: skip
    for name in STREAMED_TABLES:
        schema = pq.read_schema(next((out / name).glob("part-*.parquet")))
        spec = {c.name: c for c in TABLES[name].columns}
        present = [c for c in schema.names if c in spec]
        assert present == [c.name for c in TABLES[name].columns if c.name in schema.names]
        assert all(c.name in schema.names for c in TABLES[name].columns if c.required), name
        for col in present:
            assert schema.field(col).type == arrow[spec[col].dtype], (name, col)
        df = pd.read_parquet(out / name)
        for col in present:
            assert str(df[col].dtype) == DTYPES[spec[col].dtype], (name, col, df[col].dtype)


def test_ids_are_unique_and_numbered_on_across_parts(streamed):
    out, _ = streamed
    for table, column, prefix in (("activities", "activity_id", "A"), ("tickets", "ticket_id", "T")):
        ids = pd.read_parquet(out / table, columns=[column])[column]
        numbers = ids.str.slice(1).astype(int).to_numpy()
        assert ids.str.startswith(prefix).all() and ids.str.len().nunique() == 1
        np.testing.assert_array_equal(numbers, np.arange(1, len(ids) + 1))
    acts = pd.read_parquet(out / "activities" / "part-00001.parquet")
    assert acts["date"].is_monotonic_increasing  # sorted within a part, as in memory


def test_tables_not_drawn_per_retailer_equal_the_in_memory_ones(streamed, in_memory):
    out, _ = streamed
    study, truth = in_memory
    for name in ("units", "members", "interventions", "brands", "customers", "staff_survey", "member_points", "evaluations"):
        got = _read(out, name)
        exp = study.tables[name].reset_index(drop=True)
        if not (out / name).is_dir():  # CSV: compare as text
            got, exp = got.astype(str).replace("nan", ""), exp.astype(str).replace({"<NA>": "", "nan": ""})
        pd.testing.assert_frame_equal(got, exp, check_dtype=False)
    streamed_truth = json.loads((out / "truth.json").read_text())
    truth.save(out.parent / "memory_truth.json")
    memory_truth = json.loads((out.parent / "memory_truth.json").read_text())
    for key in ("params", "adoption", "branches", "fusion", "member_skill", "loadings"):
        assert streamed_truth[key] == memory_truth[key], key
    assert streamed_truth["att"] != memory_truth["att"]  # retailer-level draws differ by chunk


def test_activity_and_ticket_counts_match_the_rates(streamed):
    out, _ = streamed
    cust = pd.read_parquet(out / "customers")
    inter = _read(out, "interventions")
    periods = period_range("2022Q1", 12)
    seg_i = cust["segment"].map({"urban": 0, "rural": 1, "modern_terminal": 2}).to_numpy()
    size_i = cust["size_tier"].map({"small": 0, "medium": 1, "large": 2}).to_numpy()
    acts = pd.read_parquet(out / "activities", columns=["team"])
    for team, (_rate, _k, _s, seg_f, size_f) in TEAM_SPEC.items():
        rows = inter[inter["intervention"] == team].set_index("unit_id")
        active = 13 - rows["start_period"].map(periods.index).add(1)  # waves from the start to wave 12
        lam = (
            {"vanguard_team": 2.4, "publicity_team": 0.9, "cloud_team": 0.75}[team]  # the national preset's rates
            * cust["branch_id"].map(rows["intensity"]).fillna(0).to_numpy()
            * cust["branch_id"].map(active).fillna(0).to_numpy()
            * np.asarray(seg_f)[seg_i]
            * np.asarray(size_f)[size_i]
        )
        expected, got = lam.sum(), int((acts["team"] == team).sum())
        assert abs(got - expected) < 5 * np.sqrt(expected), (team, got, expected)
    tickets = pd.read_parquet(out / "tickets", columns=["customer_id"])
    expected = 0.35 * 12 * cust["segment"].map({"urban": 1.0, "rural": 1.2, "modern_terminal": 0.8}).sum()
    assert abs(len(tickets) - expected) < 5 * np.sqrt(expected)


def test_the_survey_recovers_the_streamed_satisfaction_by_branch_and_wave(streamed):
    """Survey satisfaction index (genuine, complete responses) vs the truth's population mean of its branch and wave.

    The truth's ``branch_satisfaction`` averages the expected index over *all* the branch's
    retailers (every chunk); the survey sees the sampled retailers' latent satisfaction. Per
    branch and per wave the mean difference must be within 4 SE: this fails if a chunk's
    latent satisfaction reached the survey for the wrong retailers.
    """
    out, _ = streamed
    truth = Truth.load(out / "truth.json")
    population = truth.branch_satisfaction.set_index(["branch_id", "period"])["index"]
    cust = pd.read_parquet(out / "customers", columns=["customer_id", "branch_id"]).set_index("customer_id")
    cs = pd.read_parquet(out / "customer_survey")
    cs = cs[~cs["response_id"].isin(set(truth.screening["response_id"]))]
    items = {"sat1": 10, "sat2": 7, "sat3": 7}
    cs = cs.dropna(subset=list(items))  # items are missing at random: complete answers stay unbiased
    observed = sum(100 * (cs[i].astype(float) - 1) / (p - 1) for i, p in items.items()) / len(items)
    branch = cs["customer_id"].map(cust["branch_id"])
    expected = population.reindex(pd.MultiIndex.from_arrays([branch, cs["wave"]])).to_numpy()
    diff = pd.DataFrame({"branch": branch.to_numpy(), "wave": cs["wave"].to_numpy(), "d": observed.to_numpy() - expected})
    for key in ("branch", "wave"):
        g = diff.groupby(key)["d"]
        z = g.mean() / (g.std() / np.sqrt(g.size()))
        assert len(z) >= 12 and np.abs(z).max() < 4, (key, z.round(2).tolist())
    waves = population.groupby(level="period").mean()
    assert waves.iloc[-1] > waves.iloc[0] + 2  # the programme raised satisfaction over the window


def test_the_tickets_recover_the_hazard_ratio(streamed):
    out, _ = streamed
    truth = Truth.load(out / "truth.json")
    tk = pd.read_parquet(out / "tickets")
    inter = _read(out, "interventions")
    launch = inter[inter["intervention"] == "problem_mechanism"].set_index("unit_id")["start_period"]
    quarter = tk["opened"].dt.year.astype(str) + "Q" + tk["opened"].dt.quarter.astype(str)
    after = quarter >= tk["branch_id"].map(launch).fillna("9999")
    early = tk["opened"] <= pd.Timestamp("2024-12-31") - pd.Timedelta(days=250)  # hardly any still open
    days = (tk["closed"] - tk["opened"]).dt.days
    hr, k = truth.tickets["hazard_ratio"], truth.tickets["weibull_shape"]
    for cat in ("difficult", "expectation"):
        m = early & (tk["category"] == cat)
        ratio = days[m & ~after].median() / days[m & after].median()
        assert (m & after).sum() > 500
        assert ratio == pytest.approx(hr ** (1 / k), rel=0.10), cat


def test_in_memory_description_names_the_preset(in_memory):
    study, _ = in_memory
    assert "P city" not in study.meta["description"]
    assert f"{NATIONAL_SMALL['n_retailers']:,} retailers, 12 waves" in study.meta["description"]


def test_in_memory_refuses_the_national_size():
    with pytest.raises(ValueError, match="stream it to Parquet"):
        simulate_study("national", seed=1)


def test_cli_streams_refuses_a_full_folder_and_replaces_with_force(tmp_path, capsys):
    args = ["simulate", "--preset", "national", "--out", str(tmp_path / "n"), "--no-progress", "--chunk-size", "900",
            "--set", "n_counties=2", "--set", "n_retailers=2000", "--set", "survey_per_wave=100"]  # fmt: skip
    assert main(args) == 0
    assert "activities/part-*.parquet (3 parts)" in capsys.readouterr().out
    (tmp_path / "n" / "notes.txt").write_text("mine")
    assert main(args) == 2
    assert "not empty" in capsys.readouterr().err
    assert main([*args[:-6], "--force", "--set", "n_counties=2", "--set", "n_retailers=1000", "--set", "survey_per_wave=100"]) == 0
    assert len(list((tmp_path / "n" / "activities").glob("part-*.parquet"))) == 2  # the old third part is gone
    assert (tmp_path / "n" / "notes.txt").read_text() == "mine"  # nothing else touched
    assert main(["simulate", "--streaming", "--out", str(tmp_path / "p"), "--exports", "code"]) == 2
