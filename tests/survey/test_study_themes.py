"""study_themes: themes of a study's open answers by branch and wave, the link to ticket categories, plot, report."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linear_sum_assignment

from fusion_study import Study, example_study_path, load_study
from fusion_study.simulate.text import THEME_TICKET_CATEGORY
from fusion_study.simulate.truth import Truth
from fusion_study.survey.plots import plot_theme_heatmap
from fusion_study.survey.study_themes import StudyThemes, choose_n_themes, study_text_columns, study_themes


@pytest.fixture(scope="module")
def example():
    return load_study(example_study_path()), Truth.load(example_study_path())


@pytest.fixture(scope="module")
def fitted(example):
    return study_themes(example[0], n_themes=6, seed=7, n_permutations=999)


def _matching(fitted, truth) -> dict[int, str]:
    """Learned theme -> true theme (Hungarian assignment on the answers' contingency table)."""
    true = truth.text_themes.set_index("response_id")["theme"].reindex(fitted.answers_["response_id"]).to_numpy()
    a = fitted.answers_
    ok = a["theme"].notna().to_numpy() & (true != "none")
    table = pd.crosstab(true[ok], a.loc[ok, "theme"].astype("int64").to_numpy())
    r, c = linear_sum_assignment(-table.to_numpy())
    return {int(table.columns[j]): table.index[i] for i, j in zip(r, c)}


def test_text_column_found_through_the_codebook(example):
    assert study_text_columns(example[0]) == ["suggestion"]


def test_screened_answers_and_counts(example, fitted):
    study, _ = example
    from fusion_study.ingest.screen import screen_study

    screened = screen_study(study)[0]
    assert len(fitted.answers_) == len(screened.customer_survey) < len(study.customer_survey)
    excl = fitted.excluded_.set_index("reason")["n"]
    assert excl.sum() + fitted.themes_["n"].sum() == len(fitted.answers_)
    blank = screened.customer_survey["suggestion"].isna().sum()
    assert excl["empty"] == blank


def test_shares_by_branch_and_wave(example, fitted):
    k = len(fitted.themes_)
    for frame, by, groups in ((fitted.by_branch_, "branch_id", 24), (fitted.by_wave_, "wave", 12)):
        assert len(frame) == groups * k
        sums = frame.groupby(by)["share"].sum()
        assert np.allclose(sums, 1.0)
        assert frame.groupby(by)["n"].sum().sum() == fitted.themes_["n"].sum()
    assert fitted.by_branch_["branch_name"].str.endswith("党支部").all()


def test_linked_theme_ticket_pairs_are_found(example, fitted):
    _, truth = example
    match = _matching(fitted, truth)
    link = fitted.ticket_link_
    assert list(link.columns) == ["theme", "label", "category", "estimate", "se", "ci_lower", "ci_upper", "p_value",
                                  "p_adjusted", "n_branches"]
    assert len(link) == 6 * 4 and (link["n_branches"] == 24).all()
    link = link.assign(true_theme=link["theme"].map(match))
    linked = link[[THEME_TICKET_CATEGORY.get(t) == c for t, c in zip(link["true_theme"], link["category"])]]
    assert len(linked) == 4
    # each simulated link shows as a positive correlation across branches, significant before adjustment
    assert (linked["estimate"] > 0.3).all() and (linked["p_value"] < 0.05).all()
    assert (linked["ci_lower"] < linked["estimate"]).all() and (linked["estimate"] < linked["ci_upper"]).all()
    # unlinked pairs of themes that have no ticket link (praise, service) are not positively linked after Holm
    free = link[link["true_theme"].isin(["praise", "service"])]
    assert not ((free["p_adjusted"] < 0.05) & (free["estimate"] > 0)).any()
    assert (link["p_adjusted"] >= link["p_value"]).all()


def test_determinism(example):
    a = study_themes(example[0], n_themes=4, seed=3, n_permutations=200)
    b = study_themes(example[0], n_themes=4, seed=3, n_permutations=200)
    for name in ("themes_", "answers_", "by_branch_", "by_wave_", "ticket_link_"):
        assert getattr(a, name).to_csv() == getattr(b, name).to_csv()


def test_no_personal_data_in_outputs(example, fitted):
    from fusion_study.data.privacy import load_surnames

    words = " ".join(fitted.themes_["label"]) + " " + " ".join(fitted.themes_["top_words"])
    assert not any(ch.isdigit() for ch in words)
    assert "姓名" not in words and "电话" not in words
    single, _ = load_surnames()
    given = ("伟", "芳", "建国", "秀英", "志强", "德明", "海燕", "红梅", "国华")  # the simulator's given names
    for w in words.split():
        assert not (len(w) in (2, 3) and w[0] in single and w[1:] in given), w


def test_heatmap_labels(fitted):
    import matplotlib.pyplot as plt

    ax = plot_theme_heatmap(fitted.by_branch_, lang="zh")
    ticks = [t.get_text() for t in ax.get_xticklabels()]
    assert len(ticks) == 6 and all(lab.split("/")[0] in t for lab, t in zip(fitted.themes_["label"], ticks))
    assert ax.images[0].get_array().shape == (24, 6)
    assert ax.get_ylabel() == "党支部"
    assert [t.get_text() for t in ax.get_yticklabels()][0].endswith("党支部")
    plt.close(ax.figure)


def test_no_text_column_is_a_clear_error(tiny_study):
    with pytest.raises(ValueError, match="no free-text column"):
        study_themes(tiny_study, n_themes=2, seed=0)
    assert study_text_columns(tiny_study) == []


def test_unknown_column_and_model_contract(example):
    with pytest.raises(ValueError, match="not a free-text column"):
        StudyThemes(2, column="sat1").fit(example[0])
    st = StudyThemes(2, seed=0)
    with pytest.raises(RuntimeError, match="not fitted"):
        st.to_frame()
    assert repr(st) == "StudyThemes(n_themes=2, column=None)"


def test_choose_n_themes_on_well_separated_answers():
    texts = (["配送太慢，到货晚"] * 5 + ["配送不及时，到货慢"] * 5 + ["价格太高，利润低"] * 5 + ["价格涨了，利润薄"] * 5
             + ["小程序登录不上"] * 5 + ["小程序经常闪退"] * 5)
    assert choose_n_themes(texts, seed=0) == 3


def test_report_section_skips_without_text(tmp_path, tiny_study):
    from fusion_study.reporting.report import render_report
    from fusion_study.reporting.sections import discover_sections

    sec = [s for s in discover_sections() if s.key == "survey_themes"]
    assert len(sec) == 1
    res = render_report(tiny_study, tmp_path, lang="en", sections=sec, progress=False)
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert not res.failed
    assert "holds no free-text answers" in html


def test_report_section_on_a_small_simulated_study(tmp_path):
    from fusion_study import simulate_study
    from fusion_study.reporting.report import render_report
    from fusion_study.reporting.sections import discover_sections

    study, _ = simulate_study("p_city", seed=5, n_retailers=400, survey_per_wave=80, n_waves=4)
    sec = [s for s in discover_sections() if s.key == "survey_themes"]
    res = render_report(study, tmp_path, lang="zh", sections=sec, progress=False)
    assert not res.failed
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "意见和建议的主题" in html and "置换检验" in html
    assert (tmp_path / "figures" / "survey_theme_heatmap.png").exists()
    assert "〔" not in html


def test_survey_table_text_with_personal_data_fails_validation():
    from fusion_study import simulate_study

    study, _ = simulate_study("p_city", seed=2, n_retailers=300, survey_per_wave=60, n_counties=2)
    tables = dict(study.tables)
    cs = tables["customer_survey"].copy()
    cs["suggestion"] = cs["suggestion"].astype("object")
    cs.iloc[0, cs.columns.get_loc("suggestion")] = "配送慢，请回电13812345678"
    tables["customer_survey"] = cs
    report = Study(tables, study.codebook).validate()
    assert not report.ok
    bad = report.problems[report.problems["rule"] == "pii"]
    assert len(bad) == 1 and bad["column"].iloc[0] == "suggestion" and "13812345678" not in str(report)


def test_correlation_and_interval_match_scipy(example, fitted):
    from scipy.stats import pearsonr

    study, _ = example
    share = fitted.by_branch_.pivot(index="branch_id", columns="theme", values="share")
    retailers = study.customers.groupby("branch_id").size().reindex(share.index)
    tickets = pd.crosstab(study.tickets["branch_id"], study.tickets["category"]).reindex(share.index, fill_value=0)
    rate = tickets.div(retailers, axis=0)
    for row in fitted.ticket_link_.iloc[[0, 5, 13, 22]].itertuples():
        ref = pearsonr(share[row.theme].to_numpy(float), rate[row.category].to_numpy(float))
        ci = ref.confidence_interval(0.95)
        assert row.estimate == pytest.approx(ref.statistic, abs=1e-10)
        assert (row.ci_lower, row.ci_upper) == pytest.approx((ci.low, ci.high), abs=1e-10)
        # permutation p-value close to the t-test's (both two-sided; 999 permutations: +-0.05)
        assert row.p_value == pytest.approx(ref.pvalue, abs=0.05)
