"""问卷星 (Wenjuanxing) export conventions.

Two export flavours exist: 按序号 (answers as option numbers) and 按文本
(answers as option text); both come as .xlsx or .csv (GB18030 from older
versions, UTF-8 with BOM from newer ones). Headers are ``N、题干``, matrix
sub-columns ``N、(子项)`` (before 2019: ``第N题(子项)``), multi-select either
one ``┋``-joined column or one 0/1 column per option. Meta columns: 序号,
提交答卷时间 (``2024/3/5 10:21:33``), 所用时间 (``125秒``), 来源 (手机提交/链接),
来源详情 (直接访问, or the link's ``sojumpparm`` value), 来自IP
(``183.14.2.7(广东-深圳)``).

Reading is shared with the other formats (:mod:`.exportfile`); this module
holds what is specific to 问卷星: recognising its headers and reading its
meta values.
"""

from __future__ import annotations

import re

import pandas as pd

from fusion_study.ingest.headers import parse_header

__all__ = ["looks_like_wenjuanxing", "respondent_from_source_detail", "SUBMITTED_FORMAT"]

#: how 问卷星 writes 提交答卷时间
SUBMITTED_FORMAT = "%Y/%m/%d %H:%M:%S"
_WJX_HEADER = re.compile(r"^\s*(?:第\s*\d+\s*题|\d+\s*、)")
_SOJUMP = re.compile(r"sojumpparm=([^&#\s]+)", re.IGNORECASE)


def looks_like_wenjuanxing(headers) -> bool:
    """True when the question headers use 问卷星's ``N、`` or ``第N题`` form.

    >>> looks_like_wenjuanxing(["序号", "1、客户编号", "2、(总体服务)"]), looks_like_wenjuanxing(["编号", "1.客户编号"])
    (True, False)
    """
    return any(_WJX_HEADER.match(str(h)) for h in headers if parse_header(h).kind == "question")


def respondent_from_source_detail(values: pd.Series) -> pd.Series:
    """The respondent id carried by 来源详情: the link's ``sojumpparm`` value, else the text itself.

    问卷星 links sent to a known list carry the respondent as ``?sojumpparm=ID``;
    ``直接访问`` (direct visit) carries none and gives missing.

    >>> respondent_from_source_detail(pd.Series(["https://v.wjx.cn/vm/x.aspx?sojumpparm=R001", "直接访问", "R002"])).tolist()
    ['R001', <NA>, 'R002']
    """
    s = values.astype("string").str.strip()
    param = s.str.extract(_SOJUMP, expand=False)
    out = param.fillna(s)
    return out.mask(out.isin(["直接访问", "", "-"]))
