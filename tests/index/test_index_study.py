"""Domain layer: the study's index, coupling and alignment from staff survey + KPIs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fusion_study import Study
from fusion_study.index.study import study_alignment, study_coupling, study_index, study_indicators
from fusion_study.data.instruments import STAFF_SCALES, standard_codebook


def small_study(seed=0, n_branches=8, waves=("2024Q2", "2024Q4")):
    rng = np.random.default_rng(seed)
    branches = [f"B{i}" for i in range(n_branches)]
    units = pd.DataFrame({
        "unit_id": ["C", "K"] + branches,
        "name": ["市局", "县局"] + [f"支部{i}" for i in range(n_branches)],
        "level": ["city", "county"] + ["branch"] * n_branches,
        "parent_id": [None, "C"] + ["K"] * n_branches,
        "branch_kind": [None, None] + ["marketing"] * n_branches,
    })
    fusion = dict(zip(branches, np.linspace(-1, 1, n_branches)))
    n_ret = {b: 3 + (i % 3) for i, b in enumerate(branches)}  # branch size varies, unrelated to fusion
    cust = [(f"R{b}{j}", b) for b in branches for j in range(n_ret[b])]
    customers = pd.DataFrame({"customer_id": [c for c, _ in cust], "county_id": "K", "branch_id": [b for _, b in cust],
                              "segment": "urban", "size_tier": "small"})
    items = [i for s in STAFF_SCALES.values() for i in s]
    rows, kpis = [], []
    for w in waves:
        for b in branches:
            for s in range(4):
                r = {"response_id": f"{b}-{w}-{s}", "staff_id": f"S{b}{s}", "unit_id": b, "wave": w}
                for it in items:
                    v = int(np.clip(np.round(3 + fusion[b] + rng.normal(scale=0.5)), 1, 5))
                    r[it] = 6 - v if it == "capa3" else v  # reverse item answered reversed
                rows.append(r)
            f = fusion[b]
            for m, v in {"non_tobacco_revenue": n_ret[b] * (10 + 3 * f + rng.normal(scale=0.3)),
                         "complaints": n_ret[b] * (5 - 2 * f + rng.normal(scale=0.3)),
                         "sales": 100 + rng.normal(scale=5),
                         "party_assessment": 85 + 5 * f + rng.normal(),
                         "business_assessment": 80 + 4 * f + rng.normal()}.items():
                kpis.append({"unit_id": b, "period": w, "metric": m, "value": v})
    tables = {"units": units, "customers": customers, "staff_survey": pd.DataFrame(rows), "kpis": pd.DataFrame(kpis)}
    return Study(tables, standard_codebook(), name="small"), fusion


def test_indicators_reverse_code_and_average_by_branch_wave():
    study, _ = small_study()
    ind = study_indicators(study)
    assert len(ind) == 16 and list(ind.columns[:7]) == ["unit_id", "period", "goal", "outcome", "capability",
                                                       "service", "n_staff"]
    s = study.staff_survey
    one = s[(s["unit_id"] == "B3") & (s["wave"] == "2024Q2")]
    capa = pd.concat([one["capa1"], one["capa2"], 6 - one["capa3"]], axis=1).mean(axis=1).mean()
    got = ind.set_index(["unit_id", "period"]).loc[("B3", "2024Q2")]
    assert got["capability"] == pytest.approx(capa, abs=1e-12)
    assert got["n_staff"] == 4
    k = study.kpis
    total = k[(k.unit_id == "B3") & (k.period == "2024Q2") & (k.metric == "complaints")]["value"].iloc[0]
    assert got["complaints_per_retailer"] == pytest.approx(total / 3)  # B3 serves 3 retailers
    assert "complaints" not in ind.columns
    raw = study_indicators(study, kpi_metrics=["complaints", "complaints_per_retailer"])
    assert raw.set_index(["unit_id", "period"]).loc[("B3", "2024Q2"), "complaints"] == pytest.approx(total)


def test_index_tracks_true_fusion():
    study, fusion = small_study()
    idx = study_index(study)
    s = idx.scores_.groupby("unit_id")["index"].mean()
    truth = pd.Series(fusion).reindex(s.index)
    assert s.corr(truth, method="spearman") > 0.9


def test_kpis_kept_at_county_level_are_inherited_by_branches():
    study, _ = small_study()
    k = study.kpis
    county = k[k["unit_id"] == "B0"].assign(unit_id="K")
    study.tables["kpis"] = pd.concat([k[k["unit_id"] != "B0"], county])
    ind = study_indicators(study, kpi_metrics=["complaints"]).set_index(["unit_id", "period"])
    assert ind.loc[("B0", "2024Q2"), "complaints"] == pytest.approx(
        county[(county.period == "2024Q2") & (county.metric == "complaints")]["value"].iloc[0])


def test_missing_branch_kpis_go_to_the_ledger():
    study, _ = small_study()
    k = study.kpis
    study.tables["kpis"] = k[~((k.unit_id == "B2") & (k.period == "2024Q4"))]
    idx = study_index(study)
    led = idx.ledger_.to_frame()
    assert len(idx.scores_) == 15 and len(led) == 1 and "B2/2024Q4" in led.loc[0, "detail"]


def test_coupling_and_alignment():
    study, _ = small_study()
    cc = study_coupling(study)
    assert {"C", "T", "D", "level_zh"} <= set(cc.columns) and cc["C"].between(0, 1).all()
    al = study_alignment(study, n_boot=200, seed=1)
    assert al.correlations_.loc[0, "estimate"] > 0.5 and al.correlations_.loc[0, "n"] == 16
    assert al.correlations_.loc[0, "n_clusters"] == 8
    assert study_alignment(study, by="unit_id", n_boot=200, seed=1).correlations_.loc[0, "n"] == 8


def test_clear_errors():
    study, _ = small_study()
    with pytest.raises(ValueError, match=r"KPI metric\(s\) \['profit'\] not in the kpis table"):
        study_index(study, indicators={"goal": ["goal"], "b": ["profit"]})
    del study.tables["staff_survey"]
    with pytest.raises(ValueError, match="no staff_survey table"):
        study_index(study)


def test_report_section_registers_and_builds():
    import matplotlib.pyplot as plt

    from fusion_study.reporting.sections import Figure, ReportContext, Table, discover_sections

    sec = {s.key: s for s in discover_sections()}["index"]
    assert sec.order == 40 and sec.title_zh == "党业融合指数"
    study, _ = small_study()
    blocks = list(sec.build(study, ReportContext(lang="en", quick=True)))
    names = [b.name for b in blocks if isinstance(b, (Table, Figure))]
    assert names == ["index_scores", "index_weights", "index_sensitivity", "index_rank_intervals",
                     "index_coupling_levels", "index_alignment", "index_quadrants", "index_alignment_scatter"]
    plt.close("all")


def test_cli_index(tmp_path, capsys):
    from fusion_study.cli.parser import main

    study, _ = small_study()
    folder = study.save(tmp_path / "s")
    out = tmp_path / "scores.csv"
    assert main(["index", str(folder), "--weights", "critic", "--draws", "50", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "2024Q4:" in text and "median_rank" in text
    assert len(pd.read_csv(out)) == 16


def test_staff_survey_screened_and_ledgered():
    study, _ = small_study()
    s = study.staff_survey.copy()
    s["duration_s"] = 200.0
    s.loc[s["response_id"] == "B3-2024Q2-0", "duration_s"] = 10.0  # a speeder
    study.tables["staff_survey"] = s
    idx = study_index(study)
    led = idx.ledger_.to_frame()
    sp = led[led["rule"] == "screening:speeder"]
    assert len(sp) == 1 and sp["table"].iloc[0] == "staff_survey"
    assert idx.data_.set_index(["unit_id", "period"]).loc[("B3", "2024Q2"), "n_staff"] == 3
    assert study_index(study, screen=False).data_.set_index(["unit_id", "period"]).loc[("B3", "2024Q2"), "n_staff"] == 4
