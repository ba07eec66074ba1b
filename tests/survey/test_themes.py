"""Themes of open answers (survey/themes.py): recovery of known themes, determinism, privacy, exclusions, errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linear_sum_assignment

from fusion_study import example_study_path, load_study
from fusion_study.data.privacy import MASK_TOKENS
from fusion_study.simulate.truth import Truth
from fusion_study.survey.themes import EXCLUSION_REASONS, Themes, load_stop_words, themes, tokenize

# 30 hand-typed answers (not simulated), five per theme, plus blanks and "nothing to say"
HAND = {
    "delivery": ["配送太慢了，希望准时到货", "到货时间经常推迟", "送货车总是下午才到，配送不及时",
                 "配送时间不固定", "希望配送快一点，到货别拖"],
    "price": ["价格太高，利润很薄", "价格又涨了", "希望价格稳定一些，利润太低", "烟的价格涨得太快",
              "零售价格倒挂，利润没有保障"],
    "app": ["小程序老是登录不上", "订货小程序太卡了", "小程序经常闪退，订货麻烦", "希望小程序界面简单点",
            "小程序订货总出错"],
    "praise": ["非常满意，感谢", "很满意，谢谢你们", "满意，感谢一直以来的帮助", "总体满意，谢谢",
               "感谢烟草公司，很满意"],
    "policy": ["希望多宣传政策", "政策宣传不到位", "新政策要及时宣传到位", "希望开展政策宣传培训",
               "政策变了没人宣传"],
}
HAND_EMPTY = ["", None, "无", "没有", "暂无意见"]


def _hand():
    texts, truth = [], []
    for theme, answers in HAND.items():
        texts += answers
        truth += [theme] * len(answers)
    return texts + HAND_EMPTY, truth + ["none"] * len(HAND_EMPTY)


def _accuracy(true, learned) -> float:
    true, learned = np.asarray(true, dtype=object), pd.array(learned, dtype="Int64")
    ok = (true != "none") & ~pd.isna(learned)
    table = pd.crosstab(true[ok], np.asarray(learned[ok], dtype=np.int64))
    r, c = linear_sum_assignment(-table.to_numpy())
    return table.to_numpy()[r, c].sum() / ok.sum()


@pytest.fixture(scope="module")
def example():
    study = load_study(example_study_path())
    return study, Truth.load(example_study_path())


@pytest.fixture(scope="module")
def example_fit(example):
    study, _ = example
    return themes(study.customer_survey["suggestion"], n_themes=6, seed=20240101)


def test_recovers_the_simulated_themes(example, example_fit):
    study, truth = example
    true = truth.text_themes.set_index("response_id")["theme"].reindex(study.customer_survey["response_id"])
    assert _accuracy(true.to_numpy(), example_fit.answer_theme_["theme"]) >= 0.8
    # every answer the simulator left without content is excluded, and no content answer is
    at = example_fit.answer_theme_
    assert (at["theme"].isna().to_numpy() == (true.to_numpy() == "none")).all()


def test_hand_typed_answers_with_obvious_themes():
    texts, true = _hand()
    m = themes(texts, n_themes=5, seed=3)
    assert _accuracy(true, m.answer_theme_["theme"]) == 1.0
    labels = " ".join(m.themes_["label"])
    for word in ("配送", "价格", "小程序", "满意", "政策"):
        assert word in labels
    excluded = m.excluded_.set_index("reason")["n"]
    assert excluded["empty"] == 2 and excluded["no content words"] == 3 and excluded["rare words only"] == 0
    assert list(m.excluded_["reason"]) == list(EXCLUSION_REASONS)
    assert m.answer_theme_.loc[25:, "theme"].isna().all()
    assert m.answer_theme_.loc[25:26, "reason"].tolist() == ["empty", "empty"]
    assert m.themes_["n"].sum() == 25 and np.isclose(m.themes_["share"].sum(), 1.0)


def test_same_seed_same_bytes_and_index_kept(example):
    texts = example[0].customer_survey["suggestion"].iloc[:800]
    a = themes(texts, n_themes=5, seed=11)
    b = themes(texts, n_themes=5, seed=11)
    assert a.themes_.to_csv() == b.themes_.to_csv()
    assert a.answer_theme_.to_csv() == b.answer_theme_.to_csv()
    assert a.answer_theme_.index.equals(texts.index)


def test_personal_data_never_becomes_a_theme_word():
    names = ["张伟", "李秀英", "王建国"]
    texts = []
    for i in range(12):
        texts.append(f"配送太慢，客户经理{names[i % 3]}说明天到货，请拨1381234{5670 + i}")
        texts.append(f"价格太高，联系人：{names[i % 3]}，1390000{1000 + i}")
    m = themes(texts, n_themes=2, seed=1, min_df=2)
    words = " ".join(m.themes_["label"]) + " " + " ".join(m.themes_["top_words"]) + " " + " ".join(m.terms_)
    for name in names:
        assert name not in words and name[1:] not in words
    assert not any(ch.isdigit() for ch in words)
    for token in MASK_TOKENS.values():
        assert token.strip("〔〕") not in words
    assert "张伟" not in str(m) and "138" not in str(m)


def test_english_with_the_whitespace_tokenizer():
    texts = ["Delivery is late again", "late delivery, please deliver earlier", "the delivery came late",
             "price is too high", "high price and low margin", "the price went up, margin too low", "none", ""]
    m = themes(texts, n_themes=2, seed=0, lang="en")
    assert m.answer_theme_["theme"].iloc[:3].nunique() == 1 and m.answer_theme_["theme"].iloc[3:6].nunique() == 1
    assert m.answer_theme_["theme"].iloc[0] != m.answer_theme_["theme"].iloc[3]
    assert m.answer_theme_["reason"].iloc[6:].tolist() == ["no content words", "empty"]
    assert "the" not in m.terms_ and tokenize("The price IS high", lang="en") == ["price", "high"]


def test_extra_stop_words_and_bundled_list():
    assert "的" in load_stop_words("zh") and "the" in load_stop_words("en")
    assert "满意" not in load_stop_words("zh")
    assert "配送" not in tokenize("配送太慢", stop_words=["配送"])


def test_model_contract():
    texts, _ = _hand()
    m = Themes(5, seed=1)
    assert repr(m) == "Themes(n_themes=5, lang='zh', min_df=2)"
    with pytest.raises(RuntimeError, match="not fitted"):
        m.to_frame()
    assert m.fit(texts) is m
    assert list(m.to_frame().columns) == ["theme", "label", "top_words", "n", "share"]
    assert m.summary()["share"].round(3).equals(m.summary()["share"])
    assert m.components_.shape == (5, len(m.terms_))


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"n_themes": 0}, "n_themes must be a whole number"),
        ({"n_themes": 2.5}, "n_themes must be a whole number"),
        ({"n_themes": 40}, "n_themes=40 is too large"),
        ({"n_themes": 2, "lang": "fr"}, "lang"),
        ({"n_themes": 2, "min_df": 0}, "min_df must be"),
    ],
)
def test_clear_errors(kwargs, match):
    texts, _ = _hand()
    with pytest.raises(ValueError, match=match):
        themes(texts, seed=0, **kwargs)


def test_too_few_answers_with_content():
    with pytest.raises(ValueError, match="1 of 4 answers have content words"):
        themes(["无", "", None, "配送慢"], n_themes=2, seed=0)
    with pytest.raises(TypeError, match="not one string"):
        themes("配送慢", n_themes=1, seed=0)


def test_silent_and_no_work_at_import(capfd):
    import subprocess
    import sys

    code = ("import sys, fusion_study.survey; assert 'rjieba' not in sys.modules and 'sklearn' not in sys.modules; "
            "from fusion_study.survey.themes import tokenize; print(tokenize('配送太慢'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "['配送', '太慢']" and out.stderr == ""
