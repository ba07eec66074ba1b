"""Respondents' privacy: PII columns never reach processed tables or exports.

* :func:`find_pii_columns` names columns that hold IP addresses, phone numbers,
  names, ID-card numbers or similar, by header (Chinese and English).
* :func:`mask_pii_text` masks personal data inside free text: mobile and
  landline numbers, resident ID-card numbers, e-mail and IPv4 addresses, and
  personal names in name-like contexts, each replaced by a fixed token
  (:data:`MASK_TOKENS`).
* :func:`neutralise_formulas` defuses spreadsheet formula injection in text cells.

How names are found
-------------------
A name is a surname from ``resources/chinese_surnames.txt`` (the common single
and compound surnames, hand-compiled from the 2020 national name report)
followed by one or two Han characters, and it is masked only in a name-like
context (word lists in ``resources/name_masking_words.txt``):

* after a title or role: ``客户经理刘德明态度很好`` → ``客户经理〔姓名〕态度很好``,
  ``联系人：张伟`` → ``联系人：〔姓名〕``;
* before a title: ``刘德明经理``, ``张师傅``, ``陈建国同志`` → ``〔姓名〕经理`` …;
* as a whole answer of two to four characters: ``刘德明`` → ``〔姓名〕``.

Common words that begin with a surname character (``周到``, ``高兴``, ``王牌``,
``张贴``, ``黄金``, ``许可证`` …) are never names, unless a common given name
follows the surname (``[given_names]``: ``刘海`` "bangs" but ``刘海燕``; ``王国``
"kingdom" but ``王国华``). Precision trade-offs: a
name in running text *without* a title nearby (``刘德明态度很好``) is not found,
nor is a surname missing from the list; a common word that begins with a
surname and is missing from ``[not_names]`` is masked when it stands right
next to a title (``经理X…``) or alone; a name written directly before a title
may take a preceding character with it (privacy first: when unsure, more is
masked, never less). A maintained segmenter with name tagging was considered
(jieba 0.42, 2020): it tags ``张贴``, ``黄金叶`` and ``谢谢`` as names and misses
``马经理`` and ``欧阳经理``, so it is not used.

Numbers are matched after mapping full-width forms to ASCII (``１３８…`` →
``138…``, ``０７９９－６８２１２３４`` → ``0799-6821234``, as Unicode NFKC
does for them), character by character, so the rest of an answer keeps its own
punctuation. Spaces and dashes inside a number are allowed
(``138 1234 5678``, ``360302 19880512 341X``).
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

import pandas as pd

__all__ = [
    "find_pii_columns",
    "mask_pii_text",
    "mask_pii",
    "assert_no_pii",
    "neutralise_formulas",
    "PrivacyError",
    "MASK_TOKENS",
    "load_surnames",
]

_PII_HEADER = re.compile(
    r"(^|[^a-z])(ip|ip_?address|phone|mobile|tel|telephone|e-?mail|id_?card|wechat|openid)([^a-z]|$)"
    r"|来自ip|ip地址|手机|电话|联系方式|姓名|名字|真实姓名|身份证|微信号|邮箱|住址|家庭地址|respondent_name|person_name|full_name",
    re.IGNORECASE,
)

#: The fixed tokens that replace masked personal data.
MASK_TOKENS = {
    "name": "〔姓名〕",
    "phone": "〔电话〕",
    "id_card": "〔身份证号〕",
    "email": "〔邮箱〕",
    "ip": "〔IP地址〕",
}

# Full-width ASCII forms (U+FF01-FF5E), the ideographic space and dash-like characters, mapped one to
# one (so positions in the mapped text are positions in the original).
_WIDTH = {0xFF01 + i: 0x21 + i for i in range(94)} | {0x3000: 0x20}
_WIDTH |= {c: ord("-") for c in (0x2010, 0x2011, 0x2012, 0x2013, 0x2014, 0x2015, 0x2212, 0xFE63, 0xFE58)}

_SEP = r"[ \-]?"
# Resident ID card: 17 digits + digit/X (spaces or dashes between digits allowed), or 15 digits in a row.
_IDCARD = re.compile(rf"(?<![0-9A-Za-z])(?:\d(?:{_SEP}\d){{16}}{_SEP}[\dXx]|\d{{15}})(?![0-9A-Za-z])")
# Mainland mobile: 11 digits starting 1[3-9] (with +86/0086/0 before it, spaces or dashes inside).
_MOBILE = re.compile(rf"(?<!\d)(?:(?:\+|00)?86{_SEP}|0)?1[3-9]\d(?:{_SEP}\d){{8}}(?!\d)")
# Landline with area code: 0799-6821234, (0799)6821234, 010 8765 4321, 0799-6821234转123.
_LANDLINE = re.compile(
    rf"(?<!\d)(?:\(0[1-9]\d{{1,2}}\)|0[1-9]\d{{1,2}}){_SEP}[2-9]\d{{2,3}}{_SEP}\d{{4}}"
    r"(?:[ \-]?(?:转|分机|ext\.?|x)[ ]?\d{1,6})?(?!\d)",
    re.IGNORECASE,
)
# A local number without area code, only right after a word that says it is a phone number.
_LOCAL_PHONE = re.compile(
    rf"(?:电话|座机|手机|联系方式|号码|tel|phone)[ ]?[:]?[ ]?([2-9]\d{{2,3}}{_SEP}\d{{4}})(?!\d)", re.IGNORECASE
)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_IPV4 = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])")

_HAS_DIGIT_OR_AT = re.compile(r"[0-9@]")
_NUMBER_RULES = (
    (_EMAIL, MASK_TOKENS["email"], 0),
    (_IPV4, MASK_TOKENS["ip"], 0),
    (_IDCARD, MASK_TOKENS["id_card"], 0),
    (_LANDLINE, MASK_TOKENS["phone"], 0),
    (_MOBILE, MASK_TOKENS["phone"], 0),
    (_LOCAL_PHONE, MASK_TOKENS["phone"], 1),
)


class PrivacyError(ValueError):
    """Raised when personal data would reach a processed table or an export."""


def find_pii_columns(columns) -> list[str]:
    """Columns whose header says they hold personal data.

    >>> find_pii_columns(["序号", "来自IP", "1、您的姓名", "phone", "满意度", "unit name"])
    ['来自IP', '1、您的姓名', 'phone']
    """
    return [str(c) for c in columns if _PII_HEADER.search(str(c))]


def _read_sections(name: str) -> dict[str, list[str]]:
    text = resources.files("fusion_study").joinpath(f"resources/{name}").read_text(encoding="utf-8")
    sections: dict[str, list[str]] = {}
    current = None
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], [])
            continue
        if current is None:
            raise ValueError(f"resources/{name}: entry {line!r} before the first [section]")
        current.extend(line.split())
    return sections


def load_surnames() -> tuple[list[str], list[str]]:
    """The bundled surname list: ``(single, compound)`` (``resources/chinese_surnames.txt``).

    >>> single, compound = load_surnames()
    >>> "王" in single and "欧阳" in compound
    True
    """
    s = _read_sections("chinese_surnames.txt")
    return list(s.get("single", [])), list(s.get("compound", []))


class _NameRules:
    """The surname list and context words, compiled once."""

    def __init__(self) -> None:
        single, compound = load_surnames()
        words = _read_sections("name_masking_words.txt")
        self.single = frozenset(single)
        self.compound = frozenset(compound)
        self.not_names = tuple(sorted(set(words["not_names"]), key=len, reverse=True))
        self.given_names = frozenset(words["given_names"])
        self.ends_with_surname = frozenset(words["ends_with_surname"])
        self.stop = frozenset("".join(words["stop_chars"]))
        self.follow = tuple(words["follow_words"])
        before = sorted(set(words["titles_before"]), key=len, reverse=True)
        after = sorted(set(words["titles_after"]), key=len, reverse=True)
        self.before = re.compile("(?:" + "|".join(map(re.escape, before)) + r")[ :：]*")
        self.after = re.compile("(?:" + "|".join(map(re.escape, after)) + ")")
        self.first_chars = frozenset(single) | frozenset(c[0] for c in compound)

    def surname_at(self, text: str, i: int) -> int:
        """Length of the surname starting at ``text[i]`` (0: none)."""
        if text[i:i + 2] in self.compound:
            return 2
        return 1 if text[i] in self.single else 0

    def is_word(self, text: str, i: int) -> bool:
        """Does a common non-name word start at ``text[i]``?

        Not when a common given name follows the surname there (刘海燕, not 刘海 "bangs").
        """
        if not text.startswith(self.not_names, i):
            return False
        n = self.surname_at(text, i) if i < len(text) else 0
        return not (n and text[i + n:i + n + 2] in self.given_names)

    def given_ok(self, chars: str) -> bool:
        return all(_is_han(c) and c not in self.stop for c in chars)


def _is_han(c: str) -> bool:
    return "\u4e00" <= c <= "\u9fff" or "\u3400" <= c <= "\u4dbf"


@lru_cache(maxsize=1)
def _rules() -> _NameRules:
    return _NameRules()


def _name_after_title(text: str, i: int, r: _NameRules) -> int:
    """Length of a name starting at ``text[i]`` (right after a title), 0 if none."""
    if i >= len(text) or r.is_word(text, i):
        return 0
    if text[i] in "小老" and i + 1 < len(text) and r.surname_at(text, i + 1) == 1 and not r.is_word(text, i + 1):
        return 2  # 配送员小陈
    n = r.surname_at(text, i)
    if n == 0:
        return 0
    g1 = text[i + n:i + n + 1]
    if not g1 or not r.given_ok(g1):
        return 0
    g2 = text[i + n + 1:i + n + 2]
    if g2 and r.given_ok(g2) and not text.startswith(r.follow, i + n + 1):
        return n + 2
    return n + 1


def _name_before_title(text: str, end: int, r: _NameRules) -> int:
    """Start of a name ending at ``text[end]`` (a title starts there), -1 if none."""
    for length in (4, 3, 2, 1):
        start = end - length
        if start < 0:
            continue
        n = r.surname_at(text, start)
        if n == 0 or n > length or r.is_word(text, start):
            continue
        if not r.given_ok(text[start + n:end]):
            continue
        if start > 0 and text[start - 1:start + 1] in r.ends_with_surname:
            continue
        if length == n and text[start] in "向于和" and start > 0 and _is_han(text[start - 1]):
            continue  # 我向经理反映: a preposition, not a surname
        return start
    return -1


def _mask_names(text: str) -> str:
    r = _rules()
    if not any(c in r.first_chars for c in text):
        return text
    spans: list[tuple[int, int]] = []
    for m in r.before.finditer(text):
        n = _name_after_title(text, m.end(), r)
        if n:
            spans.append((m.end(), m.end() + n))
    for m in r.after.finditer(text):
        start = _name_before_title(text, m.start(), r)
        if start >= 0:
            spans.append((start, m.start()))
    whole = text.strip()
    if 2 <= len(whole) <= 4 and not spans:
        n = r.surname_at(whole, 0)
        if n and len(whole) - n in (1, 2) and r.given_ok(whole[n:]) and not r.is_word(whole, 0):
            lead = len(text) - len(text.lstrip())
            spans.append((lead, lead + len(whole)))
    if not spans:
        return text
    spans.sort()
    out, pos = [], 0
    for a, b in spans:
        if a < pos:  # overlapping spans: extend the previous one
            if b > pos:
                out[-1] = (out[-1][0], b)
                pos = b
            continue
        out.append((a, b))
        pos = b
    pieces, pos = [], 0
    for a, b in out:
        pieces.append(text[pos:a])
        pieces.append(MASK_TOKENS["name"])
        pos = b
    pieces.append(text[pos:])
    return "".join(pieces)


def mask_pii(text: str) -> str:
    """Mask personal data in one text (see :func:`mask_pii_text`).

    >>> mask_pii("客户经理刘德明态度很好，电话０７９９－６８２１２３４")
    '客户经理〔姓名〕态度很好，电话〔电话〕'
    """
    original = str(text)
    wide = original.translate(_WIDTH)
    rules = _NUMBER_RULES if _HAS_DIGIT_OR_AT.search(wide) else ()
    for pattern, token, group in rules:
        matches = list(pattern.finditer(wide))
        for m in reversed(matches):
            a, b = m.span(group)
            original = original[:a] + token + original[b:]
            wide = wide[:a] + token + wide[b:]
    return _mask_names(original)


def mask_pii_text(values: pd.Series) -> pd.Series:
    """Mask personal data in free text with fixed tokens (:data:`MASK_TOKENS`).

    Masked: mobile numbers (also full-width, or with spaces or dashes), landline
    numbers with an area code, resident ID-card numbers (also with spaces or
    dashes), e-mail and IPv4 addresses, and personal names in name-like
    contexts (see the module docs for the rules and their precision). Missing
    values stay missing; the result has the ``string`` dtype.

    >>> mask_pii_text(pd.Series(["请回电13812345678", "身份证360302 19880512 341X，谢谢", "张师傅服务周到"])).tolist()
    ['请回电〔电话〕', '身份证〔身份证号〕，谢谢', '〔姓名〕师傅服务周到']
    """
    s = values.astype("string")
    present = s.dropna()
    if present.empty:
        return s
    uniques = pd.unique(present.to_numpy(dtype=object))
    masked = {u: mask_pii(u) for u in uniques}
    return s.map(masked, na_action="ignore").astype("string")


def assert_no_pii(df: pd.DataFrame, *, where: str) -> None:
    """Raise :class:`PrivacyError` if ``df`` has a PII column."""
    found = find_pii_columns(df.columns)
    if found:
        raise PrivacyError(
            f"{where}: refusing to write personal data columns {found}; drop them or "
            "import the survey with `fusion-study import-survey`, which removes them"
        )


# What a spreadsheet may run as a formula: a text starting (after blanks) with one of these,
# half- or full-width, or starting with a tab or carriage return.
_FORMULA_START = re.compile(r"^(?:[\t\r\n]|[ \u3000]*[=+\-@＝＋－＠])")


def _defuse(value):
    if isinstance(value, str) and _FORMULA_START.match(value):
        return "'" + value
    return value


def neutralise_formulas(df: pd.DataFrame) -> pd.DataFrame:
    """Prefix text cells that a spreadsheet would run as a formula with ``'``.

    A text cell is risky when it starts with ``=``, ``+``, ``-`` or ``@`` (also
    full-width, also after leading spaces), a tab or a line break. Only text
    cells are touched: numbers, including negative ones, stay numbers, also
    inside a mixed (object) column. Column headers are checked too.

    >>> neutralise_formulas(pd.DataFrame({"a": ["=1+1", "ok", "-x"], "b": [-1, 2, 3]}))["a"].tolist()
    ["'=1+1", 'ok', "'-x"]
    >>> neutralise_formulas(pd.DataFrame({"a": pd.Series([" =2+2", -3, "＝1"], dtype=object)}))["a"].tolist()
    ["' =2+2", -3, "'＝1"]
    """
    out = df.copy()
    for j, col in enumerate(out.columns):
        s = out.iloc[:, j]
        if pd.api.types.is_numeric_dtype(s) or pd.api.types.is_datetime64_any_dtype(s) or pd.api.types.is_bool_dtype(s):
            continue
        if isinstance(s.dtype, pd.CategoricalDtype):
            s = s.astype("object")
        values = s.to_numpy(dtype=object)
        risky = [i for i, v in enumerate(values) if isinstance(v, str) and _FORMULA_START.match(v)]
        if risky:
            fixed = s.astype("object").copy()
            fixed.iloc[risky] = [_defuse(values[i]) for i in risky]
            out.isetitem(j, fixed)
    safe = [_defuse(c) for c in out.columns]
    if safe != list(out.columns):
        out.columns = safe
    return out
