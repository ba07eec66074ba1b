"""Plain-language helpers for notebooks: sentences computed from results, warnings a reader must see."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from fusion_study.data.study import Study
from fusion_study.reporting.notebook import describe_estimate, missing_sentence, notebook_setup, plain_warnings


@pytest.mark.parametrize("args, kwargs, expected", [
    ((2.3, 0.8, 3.8), {"unit": "分"}, "提高了 2.3 分（95%置信区间 0.8 至 3.8），证据较强"),
    ((2.3, 0.8, 3.8), {"unit": "points", "lang": "en"}, "rose by 2.3 points (95% CI 0.8 to 3.8); strong evidence"),
    ((-2.34, -3.1, -1.58), {"unit": "分"}, "降低了 2.3 分（95%置信区间 -3.1 至 -1.6），证据很强"),
    ((0.6, -0.4, 1.6), {"unit": "分"}, "提高了 0.6 分（95%置信区间 -0.4 至 1.6），区间包含 0，证据不足"),
    ((0.6, -0.4, 1.6), {"lang": "en"},
     "rose by 0.6 (95% CI -0.4 to 1.6); the interval includes 0, so the evidence is insufficient"),
    ((0.42, 0.30, 0.54), {"decimals": 2, "change": False}, "为 0.42（95%置信区间 0.30 至 0.54），明显为正，证据很强"),
    ((-0.21, -0.40, -0.02), {"decimals": 2, "change": False, "lang": "en"},
     "is -0.21 (95% CI -0.40 to -0.02); clearly negative, strong evidence"),
    ((0.7, 0.45, 0.95), {"decimals": 2, "null": 1, "change": False},
     "为 0.70（95%置信区间 0.45 至 0.95），明显小于 1，证据较强"),
    ((0.7, 0.45, 0.95), {"decimals": 2, "null": 1}, "降低了 0.30（95%置信区间 0.45 至 0.95），证据较强"),
    ((1.0, 0.2, 1.8), {"alpha": 0.1, "unit": "分"}, "提高了 1.0 分（90%置信区间 0.2 至 1.8），证据较强"),
])
def test_describe_estimate_states_numbers_direction_and_strength(args, kwargs, expected):
    assert describe_estimate(*args, **kwargs) == expected


def test_strength_switches_at_p_below_0_001():
    # se = 1 (half-width 1.96): z = 3.2 is "strong", z = 3.4 "very strong"
    assert describe_estimate(3.2, 3.2 - 1.959964, 3.2 + 1.959964).endswith("证据较强")
    assert describe_estimate(3.4, 3.4 - 1.959964, 3.4 + 1.959964).endswith("证据很强")
    # an interval touching 0 contains it
    assert describe_estimate(1.0, 0.0, 2.0).endswith("区间包含 0，证据不足")


def test_missing_numbers_and_bad_options():
    assert describe_estimate(np.nan, 0, 1) == "无法估计"
    assert describe_estimate(None, None, None, lang="en") == "could not be estimated"
    assert "无法判断证据强弱" in describe_estimate(1.2, np.nan, np.nan)
    with pytest.raises(ValueError, match="lang"):
        describe_estimate(1, 0, 2, lang="de")
    with pytest.raises(ValueError, match="alpha"):
        describe_estimate(1, 0, 2, alpha=5)


def test_plain_warnings_prints_each_message_once_without_file_and_line(capsys):
    with plain_warnings(lang="zh") as w:
        for _ in range(3):
            warnings.warn("only 4 clusters;   standard errors are unreliable", UserWarning)
        warnings.warn("a 1-item scale has no internal consistency", RuntimeWarning)
    out = capsys.readouterr().out.splitlines()
    assert out == ["注意：only 4 clusters; standard errors are unreliable",
                   "注意：a 1-item scale has no internal consistency"]
    assert len(w.caught) == 4


def test_plain_warnings_leaves_out_third_party_deprecations(capsys):
    with plain_warnings(lang="en"):
        warnings.warn_explicit("pandas will change", FutureWarning, "x.py", 1, module="pandas.core.frame")
        warnings.warn_explicit("our option is renamed", DeprecationWarning, "x.py", 1, module="fusion_study.index")
    assert capsys.readouterr().out.splitlines() == ["Note: our option is renamed"]


def test_notebook_setup_hides_only_third_party_deprecations():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        notebook_setup(lang="zh")
        warnings.warn_explicit("numpy noise", DeprecationWarning, "x.py", 1, module="numpy.lib")
        warnings.warn_explicit("statsmodels noise", FutureWarning, "x.py", 1, module="statsmodels.base.model")
        warnings.warn_explicit("ours", FutureWarning, "x.py", 1, module="fusion_study.effects.study")
        warnings.warn_explicit("in the notebook", DeprecationWarning, "x.py", 1, module="__main__")
        warnings.warn("few clusters", UserWarning)
    assert [str(w.message) for w in caught] == ["ours", "in the notebook", "few clusters"]


def test_missing_sentence_names_the_table_or_columns():
    study = Study({"units": pd.DataFrame({"unit_id": ["C"], "name": ["市局"], "level": ["city"]})})
    zh = missing_sentence(study, {"staff_survey": ("unit_id",)}, what_zh="计算党业融合指数",
                          what_en="the integration index was not computed")
    assert zh.startswith("本节需要") and "staff_survey" in zh and zh.endswith("因此未计算党业融合指数。")
    en = missing_sentence(study, {"units": ("unit_id", "branch_kind")}, what_zh="x",
                          what_en="branches were not compared", lang="en")
    assert "branch_kind" in en and "unit_id" not in en and en.endswith("so branches were not compared.")
    assert missing_sentence(study, {"units": ("unit_id",)}, what_zh="x", what_en="x") is None
