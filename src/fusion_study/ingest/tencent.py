"""腾讯问卷 (Tencent Questionnaire) export conventions.

CSV exports have headers ``N.题干`` and matrix sub-columns ``N.(子项)``; meta
columns 编号, 开始答题时间, 结束答题时间, 答题时长 and IP; rows often end in a
trailing comma, which gives unnamed empty columns (``Unnamed: 12``). Reading
is shared with the other formats (:mod:`.exportfile`), which notes the empty
unnamed columns so that the mapping drops them quietly.
"""

from __future__ import annotations

import re

from fusion_study.ingest.headers import parse_header

__all__ = ["looks_like_tencent"]

_TENCENT_HEADER = re.compile(r"^\s*[Qq]?\d+\s*[.．](?!\d)")


def looks_like_tencent(headers) -> bool:
    """True when the question headers use 腾讯问卷's ``N.`` form.

    >>> looks_like_tencent(["编号", "1.客户编号", "Unnamed: 2"]), looks_like_tencent(["序号", "1、客户编号"])
    (True, False)
    """
    return any(_TENCENT_HEADER.match(str(h)) for h in headers if parse_header(h).kind == "question")
