"""Header keys, source columns and 所用时间 durations."""

import numpy as np
import pandas as pd
import pytest

from fusion_study.ingest.durations import parse_durations
from fusion_study.ingest.headers import normalise_source_column, parse_header


@pytest.mark.parametrize(
    "header, key",
    [
        ("5、总体而言，您满意吗？", "5"),
        ("5、总体而言，您满意吗？   ", "5"),
        ("  12、其他 ", "12"),
        ("3、(服务态度)", "3(服务态度)"),
        ("3、（服务态度） ", "3(服务态度)"),
        ("第3题(服务态度)", "3(服务态度)"),
        ("第3题（服务态度）", "3(服务态度)"),
        ("第5题：总体满意度", "5"),
        ("5.总体满意度", "5"),
        ("5．总体满意度", "5"),
        ("3.(服务态度)", "3(服务态度)"),
        ("Q5、总体满意度", "5"),
    ],
)
def test_question_headers(header, key):
    h = parse_header(header)
    assert (h.kind, h.key) == ("question", key)


@pytest.mark.parametrize(
    "header, meta",
    [("序号", "seq"), ("提交答卷时间", "submitted"), ("所用时间", "duration"), ("来源", "source"),
     ("来源详情", "source_detail"), ("来自IP", "ip"), ("来自IP ", "ip"), ("编号", "seq"),
     ("结束答题时间", "submitted"), ("答题时长", "duration"), ("IP", "ip"), ("Submit time", "submitted"),
     ("Time taken", "duration")],
)
def test_meta_headers(header, meta):
    h = parse_header(header)
    assert (h.kind, h.meta) == ("meta", meta)


def test_other_headers():
    assert parse_header("Unnamed: 7").kind == "unnamed"
    assert parse_header("2.5分以上").kind == "other"  # not question 2
    assert parse_header("总体评价").kind == "other"


@pytest.mark.parametrize(
    "value, key", [("5", "5"), (5, "5"), ("5.0", "5"), ("3(服务态度)", "3(服务态度)"), ("3（服务态度）", "3(服务态度)"),
                   (" 3 ( 服务态度 ) ", "3(服务态度)"), (None, None), ("", None), (np.nan, None)],
)
def test_source_column_keys(value, key):
    assert normalise_source_column(value) == key


def test_codebook_and_export_sides_meet():
    for header in ["3、(服务态度) ", "第3题（服务态度）", "3.(服务态度)"]:
        assert parse_header(header).key == normalise_source_column("3(服务态度)")


def test_durations():
    s, bad = parse_durations(pd.Series(["125秒", "2分5秒", "1小时2分5秒", "125", " 90 秒", "1:02:05", "2:05",
                                        None, "", "快", "3天"]))
    assert s.tolist()[:7] == [125.0, 125.0, 3725.0, 125.0, 90.0, 3725.0, 125.0]
    assert s.iloc[7:].isna().all()
    assert bad.tolist() == [False] * 9 + [True, True]


def test_numeric_durations_pass_through():
    s, bad = parse_durations(pd.Series([12, 300.5]))
    assert s.tolist() == [12.0, 300.5] and not bad.any()
