"""Respondents' privacy: PII columns never reach processed tables or exports.

* :func:`find_pii_columns` names columns that hold IP addresses, phone numbers,
  names, ID-card numbers or similar, by header (Chinese and English).
* :func:`mask_pii_text` masks mainland mobile numbers, ID-card numbers, e-mail
  addresses and IPv4 addresses inside free text.
* :func:`neutralise_formulas` defuses spreadsheet formula injection in text cells.
"""

from __future__ import annotations

import re

import pandas as pd

__all__ = ["find_pii_columns", "mask_pii_text", "assert_no_pii", "neutralise_formulas", "PrivacyError"]

_PII_HEADER = re.compile(
    r"(^|[^a-z])(ip|ip_?address|phone|mobile|tel|telephone|e-?mail|id_?card|wechat|openid)([^a-z]|$)"
    r"|来自ip|ip地址|手机|电话|联系方式|姓名|名字|真实姓名|身份证|微信号|邮箱|住址|家庭地址|respondent_name|person_name|full_name",
    re.IGNORECASE,
)

# Mainland mobile: 11 digits starting 1[3-9]; not part of a longer digit run.
_MOBILE = re.compile(r"(?<!\d)(?:\+?86[- ]?)?1[3-9]\d[- ]?\d{4}[- ]?\d{4}(?!\d)")
# Resident ID card: 17 digits + digit/X, or 15-digit legacy; not part of a longer run.
_IDCARD = re.compile(r"(?<![0-9A-Za-z])(?:\d{17}[\dXx]|\d{15})(?![0-9A-Za-z])")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_IPV4 = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])")


class PrivacyError(ValueError):
    """Raised when personal data would reach a processed table or an export."""


def find_pii_columns(columns) -> list[str]:
    """Columns whose header says they hold personal data.

    >>> find_pii_columns(["序号", "来自IP", "1、您的姓名", "phone", "满意度", "unit name"])
    ['来自IP', '1、您的姓名', 'phone']
    """
    return [str(c) for c in columns if _PII_HEADER.search(str(c))]


def mask_pii_text(values: pd.Series) -> pd.Series:
    """Mask phone numbers, ID-card numbers, e-mails and IPv4 addresses in text.

    >>> mask_pii_text(pd.Series(["请回电13812345678", "身份证110101199003074512，谢谢"])).tolist()
    ['请回电[手机号已隐藏]', '身份证[身份证号已隐藏]，谢谢']
    """
    s = values.astype("string")
    s = s.str.replace(_IDCARD, "[身份证号已隐藏]", regex=True)
    s = s.str.replace(_MOBILE, "[手机号已隐藏]", regex=True)
    s = s.str.replace(_EMAIL, "[邮箱已隐藏]", regex=True)
    s = s.str.replace(_IPV4, "[IP已隐藏]", regex=True)
    return s


def assert_no_pii(df: pd.DataFrame, *, where: str) -> None:
    """Raise :class:`PrivacyError` if ``df`` has a PII column."""
    found = find_pii_columns(df.columns)
    if found:
        raise PrivacyError(
            f"{where}: refusing to write personal data columns {found}; drop them or "
            "import the survey with `fusion-study import-survey`, which removes them"
        )


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formulas(df: pd.DataFrame) -> pd.DataFrame:
    """Prefix text cells that a spreadsheet would run as a formula with ``'``.

    Only text columns are touched; numbers (including negative ones) are left alone.

    >>> neutralise_formulas(pd.DataFrame({"a": ["=1+1", "ok", "-x"], "b": [-1, 2, 3]}))["a"].tolist()
    ["'=1+1", 'ok', "'-x"]
    """
    out = df.copy()
    for col in out.columns:
        s = out[col]
        if pd.api.types.is_string_dtype(s) or s.dtype == object:
            text = s.astype("string")
            risky = text.str.startswith(_FORMULA_START).fillna(False).astype(bool)
            if risky.any():
                out[col] = s.astype("object").where(~risky, "'" + text[risky].astype(str))
    return out
