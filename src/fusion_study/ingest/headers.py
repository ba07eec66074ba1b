"""Survey-export column headers parsed into keys that codebooks use.

A *key* names a question (``"5"``) or a sub-item of a matrix or multi-select
question (``"3(服务态度)"``). The same key comes out of

* 问卷星 (Wenjuanxing) headers ``5、总体而言…`` (trailing spaces and full-width
  punctuation tolerated), matrix sub-columns ``3、(服务态度)``, the pre-2019
  form ``第3题(服务态度)`` and matrix rows under their title,
  ``5、(服务质量)—客户经理态度`` (key ``5(客户经理态度)``, title ``服务质量``);
* 腾讯问卷 (Tencent) headers ``5.总体而言…`` and ``3.(服务态度)``;
* codebook ``source_column`` values ``"5"`` and ``"3(服务态度)"`` (also ``"3（服务态度）"``).

Meta columns (序号, 提交答卷时间, 所用时间, 来源, 来源详情, 来自IP and their
Tencent/English equivalents) get a *meta* name instead.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import pandas as pd

__all__ = ["HeaderKey", "parse_header", "parse_headers", "normalise_source_column", "META_COLUMNS"]

#: Meta-column names and the headers that mean them (compared after NFKC, case-folded, no spaces).
META_COLUMNS: dict[str, tuple[str, ...]] = {
    "seq": ("序号", "编号", "答卷编号", "id", "no.", "no", "serialno", "responseid"),
    "submitted": ("提交答卷时间", "提交时间", "结束答题时间", "答题结束时间", "submittime", "submissiontime",
                  "submitted", "endtime"),
    "started": ("开始答题时间", "开始时间", "starttime"),
    "duration": ("所用时间", "答题时长", "答题用时", "用时", "timetaken", "duration"),
    "source": ("来源", "来源渠道", "source", "channel"),
    "source_detail": ("来源详情", "sourcedetail", "sourcedetails"),
    "ip": ("来自ip", "ip", "ip地址", "ipaddress", "来源ip", "填写者ip"),
    "score": ("总分", "score", "totalscore"),
}
_META_LOOKUP = {alias: name for name, aliases in META_COLUMNS.items() for alias in aliases}

# "5、题干", "5.题干", "5．题干", "第5题(子项)", "Q5、题干"; the number is not followed by another digit
# (so "2.5" is not question 2).
_QUESTION = re.compile(r"^\s*(?:第\s*(\d+)\s*题\s*[、.:]?|[Qq]?(\d+)\s*(?:[、.:]|(?=[(]))(?!\d))\s*(.*?)\s*$", re.S)
_SUB = re.compile(r"^[(]\s*([^()]*?)\s*[)]$")
# "(matrix title)—row label": an em dash (or two), en dash, horizontal bar or one or two hyphens
_MATRIX_ROW = re.compile(r"^[(]\s*([^()]*?)\s*[)]\s*(?:—{1,2}|–|―|-{1,2})\s*(\S.*?)$")
_UNNAMED = re.compile(r"^Unnamed: \d+$|^$")


def _nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", str(text))


@dataclass(frozen=True)
class HeaderKey:
    """One parsed header.

    ``kind`` is ``"question"`` (then ``key``, ``question``, ``sub`` and ``text``
    are set; ``title`` is the matrix title of a ``N、(标题)—子项`` header), ``"meta"`` (``meta`` holds the meta name), ``"unnamed"`` (an empty
    header, e.g. from trailing commas) or ``"other"``.
    """

    header: str
    kind: str
    key: str | None = None
    question: int | None = None
    sub: str | None = None
    text: str = ""
    meta: str | None = None
    title: str | None = None


def _question_parts(text: str):
    m = _QUESTION.match(_nfkc(text))
    if not m:
        return None
    number = int(m.group(1) or m.group(2))
    rest = m.group(3)
    sub = _SUB.match(rest)
    if sub:
        return number, sub.group(1).strip(), "", None
    row = _MATRIX_ROW.match(rest)
    if row:
        return number, row.group(2).strip(), "", row.group(1).strip()
    return number, None, rest, None


def parse_header(header) -> HeaderKey:
    """Parse one export header.

    >>> parse_header("3、(服务态度) ").key
    '3(服务态度)'
    >>> parse_header("第3题（服务态度）").key
    '3(服务态度)'
    >>> h = parse_header("5、总体而言，您对服务满意吗？  ")
    >>> (h.kind, h.key, h.text)
    ('question', '5', '总体而言,您对服务满意吗?')
    >>> parse_header("1.您的客户编号").key
    '1'
    >>> parse_header("来自IP").meta, parse_header("所用时间").meta
    ('ip', 'duration')
    >>> parse_header("Unnamed: 9").kind
    'unnamed'
    >>> h = parse_header("5、(服务质量)—客户经理态度")
    >>> (h.key, h.sub, h.title)
    ('5(客户经理态度)', '客户经理态度', '服务质量')
    """
    raw = "" if header is None else str(header)
    flat = _nfkc(raw).strip().casefold().replace(" ", "")
    if flat in _META_LOOKUP:
        return HeaderKey(raw, "meta", meta=_META_LOOKUP[flat])
    if _UNNAMED.match(raw.strip()):
        return HeaderKey(raw, "unnamed")
    parts = _question_parts(raw)
    if parts is None:
        return HeaderKey(raw, "other", text=_nfkc(raw).strip())
    number, sub, text, title = parts
    key = f"{number}({sub})" if sub is not None else f"{number}"
    return HeaderKey(raw, "question", key=key, question=number, sub=sub, text=text, title=title)


def parse_headers(headers) -> pd.DataFrame:
    """Parse every header; one row per column: ``header, kind, key, question, sub, text, meta, title``.

    >>> parse_headers(["序号", "2、(总体服务)", "2、(满足需求)"])[["kind", "key"]].fillna("-").values.tolist()
    [['meta', '-'], ['question', '2(总体服务)'], ['question', '2(满足需求)']]
    """
    rows = [parse_header(h).__dict__ for h in headers]
    return pd.DataFrame(rows, columns=["header", "kind", "key", "question", "sub", "text", "meta", "title"])


def normalise_source_column(value) -> str | None:
    """A codebook ``source_column`` as a key (``None`` when empty or unparseable).

    >>> normalise_source_column("3（服务态度）"), normalise_source_column(" 5 "), normalise_source_column(5)
    ('3(服务态度)', '5', '5')
    """
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    text = _nfkc(str(value)).strip()
    if text.endswith(".0") and text[:-2].isdigit():
        text = text[:-2]
    if text.isdigit():
        return str(int(text))
    parts = _question_parts(text)
    if parts is None:
        return None
    number, sub, _rest, _title = parts
    return f"{number}({sub})" if sub is not None else f"{number}"
