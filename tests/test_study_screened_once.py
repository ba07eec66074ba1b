"""The analyses screen through ``screen_study`` only, and give what their own screening copies gave.

Regression values: computed on the bundled example (data/example) with the code at commit
c4feb92 (before issue 12), where ``effects.study.exposures``, ``problems.resolution.
study_resolution_effect``, ``index.study._screened_staff_survey`` and
``brands.moderation.brand_moderation_frame`` each ran ``screening_flags``/``apply_screening``
themselves. One call per analysis; the numbers printed with ``repr`` and pasted here.
"""

from __future__ import annotations

import warnings

import pytest

from fusion_study import load_study, screen_study
from fusion_study.data.paths import example_study_path

REL = 1e-9  # same arithmetic on the same rows: only floating-point summation order could differ


@pytest.fixture(scope="module")
def raw():
    return load_study(example_study_path())


@pytest.fixture(scope="module")
def screened(raw):
    return screen_study(raw)[0]


def test_exposures_as_before(raw, screened):
    from fusion_study.effects.study import exposures

    for study in (raw, screened):
        ex = exposures(study)
        assert len(ex) == 3302 and ex.attrs["n_screened_out"] == 298
        assert ex["satisfaction"].sum() == pytest.approx(214706.48148148146, rel=REL)
        assert ex["dependency"].mean() == pytest.approx(65.11457702402585, rel=REL)
        summ = ex.attrs["ledger"].summary()
        assert summ[["table", "rule", "n_rows"]].values.tolist() == [
            ["customer_survey", "screening:speeder", 164],
            ["customer_survey", "screening:straight_liner", 135],
        ]
    assert len(exposures(raw, screen=False)) == 3600


@pytest.fixture(scope="module")
def effects(raw, screened):
    from fusion_study.effects.study import evaluate_interventions

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return evaluate_interventions(raw), evaluate_interventions(screened)


def test_evaluate_interventions_as_before(effects):
    before = {  # (intervention, estimand, estimator) -> (estimate, se)
        ("programme", "ATT (simple)", "CS-DiD (RC, DR)"): (7.761430641730397, 1.4275540852915314),
        ("programme", "ATT (event-time average)", "CS-DiD (RC, DR)"): (9.581924585060694, 1.339960867799102),
        ("brand", "ATT (simple)", "CS-DiD (RC, DR)"): (3.0481924929389996, 1.2759453812038732),
        ("vanguard_team", "ATT (simple)", "CS-DiD (RC, DR)"): (4.618287165843244, 1.2448857259981307),
        ("programme", "ATT (naive)", "TWFE (branch + wave)"): (4.981547327801547, 1.1749680974459742),
        ("programme", "ATT (naive)", "before/after"): (13.165913607090054, 0.737934524050298),
    }
    for table in effects:
        # 24 rows as before, plus one "ATT net of other interventions" row per intervention (four of
        # six refused on the example's co-timed rollout: no number, the reason in the note)
        assert len(table) == 30 and (table["n"] == 3302).all()
        net = table[table["estimand"] == "ATT net of other interventions"]
        assert len(net) == 6 and net["estimate"].isna().sum() == 4
        t = table.set_index(["intervention", "estimand", "estimator"])
        for key, (est, se) in before.items():
            assert t.loc[key, "estimate"] == pytest.approx(est, rel=REL), key
            assert t.loc[key, "se"] == pytest.approx(se, rel=REL), key
        assert t.loc[("programme", "ATT (simple)", "CS-DiD (RC, DR)"), "note"].count("298 responses screened out") == 1
    # the screened study gives the very same table as the raw one (screening it again is a no-op)
    assert effects[0].equals(effects[1])


def test_resolution_effect_as_before(raw, screened):
    from fusion_study.problems.study import study_resolution_effect

    for study in (raw, screened):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = study_resolution_effect(study, seed=20240101)
        aipw, naive = res.iloc[0], res.iloc[1]
        assert (aipw["n"], aipw["n_treated"], naive["n"], naive["n_treated"]) == (330, 213, 337, 220)
        assert aipw["estimate"] == pytest.approx(3.5982551922454413, rel=REL)
        assert aipw["se"] == pytest.approx(3.379587282078472, rel=REL)
        assert naive["estimate"] == pytest.approx(11.850880600880608, rel=REL)
        summ = res.attrs["ledger"].summary().set_index(["table", "rule"])["n_rows"]
        assert summ[("customer_survey", "screening:speeder")] == 164
        assert summ[("customer_survey", "screening:straight_liner")] == 135
        assert summ[("retailer_quarters", "resolution_effect:two_or_more_tickets")] == 1174
        assert res.attrs["exclusions"]["candidates"] == 7411


def test_resolution_old_import_path(raw):
    from fusion_study.problems import resolution, study

    assert resolution.study_resolution_effect is study.study_resolution_effect


def test_index_as_before(raw, screened):
    from fusion_study.index.study import study_index, study_indicators

    for study in (raw, screened):
        ind = study_indicators(study)
        assert len(ind) == 288 and ind["n_staff"].sum() == 1111
        assert ind["goal"].sum() == pytest.approx(1035.763888888889, rel=REL)
        idx = study_index(study)
        assert idx.scores_["index"].sum() == pytest.approx(147.26762081673178, rel=REL)
        summ = idx.ledger_.summary()
        staff = summ[summ["table"] == "staff_survey"]
        assert staff[["rule", "n_rows"]].values.tolist() == [["screening:speeder", 41]]


def test_brand_moderation_as_before(raw, screened):
    from fusion_study.brands import moderation
    from fusion_study.brands.study import brand_moderation_frame, study_brand_moderation

    assert moderation.brand_moderation_frame is brand_moderation_frame  # old path still importable
    for study in (raw, screened):
        frame = brand_moderation_frame(study)
        assert len(frame) == 3302 and frame.attrs["n_screened_out"] == 298
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tab = study_brand_moderation(study).set_index("term")
        assert tab.loc["distinctive", "estimate"] == pytest.approx(1.6478233748382234, rel=REL)
        assert tab.loc["distinctive_minus_generic", "estimate"] == pytest.approx(-2.3223622616781343, rel=REL)
        assert tab.loc["distinctive_minus_generic", "se"] == pytest.approx(2.552314582309916, rel=REL)


def test_analyses_use_screen_study_only():
    """No study-level module calls the screening rules itself any more."""
    from pathlib import Path

    import fusion_study

    root = Path(fusion_study.__file__).parent
    for path in sorted(root.glob("*/*.py")):
        if path.parent.name in ("ingest", "simulate"):
            continue
        text = path.read_text(encoding="utf-8")
        assert "screening_flags(" not in text and "apply_screening(" not in text, path.relative_to(root)


def test_report_screens_once_and_states_it(raw, tmp_path, monkeypatch):
    import fusion_study.ingest.screen as screen_mod
    from fusion_study.reporting.report import render_report
    from fusion_study.reporting.sections import Section, Text, discover_sections

    seen = []

    def probe(study, ctx):
        seen.append((screen_mod.is_screened(study), ctx.extra["screening_ledger"]))
        yield Text(zh="探针", en="probe")

    calls = []
    real = screen_mod.screening_flags

    def counting(*args, **kwargs):
        calls.append(kwargs.get("respondent"))
        return real(*args, **kwargs)

    monkeypatch.setattr(screen_mod, "screening_flags", counting)
    overview = [s for s in discover_sections() if s.key == "overview"]
    result = render_report(raw, tmp_path, lang="en", sections=[*overview, Section("probe", 99, "探针", "Probe", probe)],
                           progress=False)
    assert result.failed == {}
    assert calls == ["customer_id", "staff_id"]  # one screening of each survey, for the whole report
    (is_screened, ledger), = seen
    assert is_screened and len(ledger.excluded_rows("customer_survey")) == 298
    html = result.path.read_text(encoding="utf-8")
    assert "excluded 298 retailer satisfaction survey responses, 41 staff integration survey responses" in html
    assert "3302 retailer survey responses" in html
