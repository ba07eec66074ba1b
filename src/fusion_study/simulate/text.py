"""Free-text answers to 意见和建议 (comments and suggestions), drawn from known themes.

Each retailer-survey response gets one answer in the ``suggestion`` column
(codebook row ``suggestion``, type text). Its true theme (``Truth.text_themes``) is
one of :data:`TEXT_THEMES` or ``none`` (left blank, or 无 / 没有意见 …):

* ``none`` with probability 0.25 for genuine responses and 0.8 for speeders and
  straight-liners (half blank, half a "nothing to say" answer);
* otherwise a content theme with base weights :data:`THEME_WEIGHTS`; the theme
  linked to a ticket category (:data:`THEME_TICKET_CATEGORY`: delivery ↔ urgent
  急, supply/price ↔ difficult 难, platform ↔ worry 愁, policy ↔ expectation 盼) has
  its weight multiplied by ``1 + TICKET_LINK * k``, where ``k`` is the number of
  tickets of that category the retailer opened in the wave's quarter or the one
  before — so branches whose retailers log more 急 tickets write more about
  delivery; and by ``exp(BRANCH_LINK * z)``, where ``z`` is the branch's tickets of
  that category per retailer, standardised across branches (a branch with many 急
  tickets has a delivery problem that many of its retailers write about) — so
  branches that log more tickets of a category have more answers on its theme;
* the answer is one or two phrases of its theme (phrase banks below), sometimes
  with a filler word in front; 8 % add a phrase of another theme (noise);
* 6 % of content answers carry a fake personal name in a name-like context
  (联系人：+ name) or a fake mobile number. Answers are masked with
  :func:`fusion_study.data.privacy.mask_pii_text` before they enter the table
  (a study table never holds personal data); ``Truth.text_themes.pii`` flags them.

The answers use their own random stream (generator 12 of :func:`.draw_latent`),
so adding them left every other simulated table byte-identical.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fusion_study.data.privacy import load_surnames, mask_pii_text
from fusion_study.simulate.presets import TICKET_CATEGORIES

__all__ = ["TEXT_THEMES", "THEME_WEIGHTS", "THEME_TICKET_CATEGORY", "TICKET_LINK", "BRANCH_LINK", "PHRASES",
           "simulate_suggestions", "suggestion_codebook"]

TEXT_THEMES = ("delivery", "supply_price", "service", "platform", "policy", "praise")
THEME_WEIGHTS = (1.0, 1.0, 0.8, 0.8, 0.7, 1.2)
THEME_TICKET_CATEGORY = {"delivery": "urgent", "supply_price": "difficult", "platform": "worry",
                         "policy": "expectation"}
TICKET_LINK = 4.0
BRANCH_LINK = 0.5

PHRASES = {
    "delivery": ("配送不及时", "到货时间太晚", "送货慢，希望准时到货", "配送车辆到得晚", "希望配送时间固定",
                 "到货经常延迟", "送货前能否提前通知到货时间", "配送能再快一点", "货到得太慢了",
                 "希望增加配送次数", "节假日配送不及时", "送货时间不固定，影响营业"),
    "supply_price": ("货源紧张，好卖的烟订不到", "热销品规货源不足", "希望增加紧俏品规的投放", "价格偏高，利润太薄",
                     "批发价格上涨太快", "订货量太少，不够卖", "希望货源分配更公平", "畅销烟总是缺货",
                     "零售价格不统一，利润低", "希望多投放一些高档烟货源"),
    "service": ("客户经理服务态度不好", "客户经理很少上门拜访", "客户经理服务态度有待提高", "客户经理说话不耐烦",
                "希望客户经理多来店里指导经营", "客户经理态度冷淡", "反映给客户经理的问题没人回复",
                "希望客户经理服务更主动热情一些", "客户经理拜访次数太少"),
    "platform": ("积分平台小程序经常登录不上", "小程序订货太卡", "积分平台兑换商品太少", "网上订货小程序操作复杂",
                 "积分平台不会用，希望有人教", "小程序经常闪退", "积分平台规则看不懂", "希望订货小程序简单一些",
                 "积分平台兑换流程太麻烦"),
    "policy": ("希望多宣传烟草政策", "政策变化不知道，希望及时通知", "多开展法规宣传培训", "希望讲解一下新的经营政策",
               "政策宣传不到位", "希望定期组织零售户培训学习政策", "办证政策希望讲清楚", "许可证延续政策不了解"),
    "praise": ("很满意，感谢烟草公司", "非常满意", "满意，辛苦了", "谢谢你们的支持", "总体满意，继续保持",
               "感谢你们一直以来的帮助", "很好，谢谢", "挺满意的，谢谢大家", "满意，感谢"),
}
_NOTHING = ("无", "没有", "暂无", "无意见", "没有意见", "暂无建议", "无。", "没有什么意见")
_FILLER = ("", "", "", "希望", "建议", "我觉得")
_END = ("", "", "。", "！", "，望改进。", "，请重视。")
_GIVEN = ("伟", "芳", "建国", "秀英", "志强", "丽", "德明", "军", "红梅", "国华", "静", "明")


def suggestion_codebook(source_row: int) -> pd.DataFrame:
    """The codebook row of the free-text question (``source_row`` = its row number)."""
    df = pd.DataFrame({
        "item_id": ["suggestion"], "instrument": ["customer_survey"], "scale": ["text"],
        "text_zh": ["意见和建议：您对烟草公司的服务还有哪些意见和建议？"],
        "text_en": ["Comments and suggestions on the service"],
        "reverse": pd.array([pd.NA], dtype="boolean"), "min": pd.array([pd.NA], dtype="Int64"),
        "max": pd.array([pd.NA], dtype="Int64"), "source_column": ["8"], "options": [pd.NA],
    })
    for col in ("item_id", "instrument", "scale", "text_zh", "text_en", "source_column", "options"):
        df[col] = df[col].astype("string")
    df.index = pd.RangeIndex(source_row, source_row + 1, name="source_row")
    return df


def _recent_tickets(tickets: pd.DataFrame, r_idx: np.ndarray, t_idx: np.ndarray, n_retailers: int,
                    n_waves: int) -> np.ndarray:
    """Tickets per response and category opened in the response's quarter or the one before."""
    counts = np.zeros((n_retailers, n_waves, len(TICKET_CATEGORIES)))
    np.add.at(counts, (tickets["retailer"].to_numpy(), tickets["wave_index"].to_numpy(),
                       tickets["category"].to_numpy()), 1)
    recent = counts.copy()
    recent[:, 1:] += counts[:, :-1]
    return recent[r_idx, t_idx]


def branch_ticket_counts(tickets: pd.DataFrame, cust_branch: np.ndarray, n_branches: int) -> np.ndarray:
    """Tickets by branch and category (branches × categories); ``retailer`` indexes ``cust_branch``."""
    counts = np.zeros((n_branches, len(TICKET_CATEGORIES)))
    np.add.at(counts, (cust_branch[tickets["retailer"].to_numpy()], tickets["category"].to_numpy()), 1)
    return counts


def _branch_rates(counts: np.ndarray, retailers: np.ndarray) -> np.ndarray:
    """Tickets per retailer by branch and category, standardised across branches (branches × categories)."""
    rate = counts / np.maximum(retailers, 1)[:, None]
    sd = rate.std(axis=0)
    return (rate - rate.mean(axis=0)) / np.where(sd > 0, sd, 1.0)


def simulate_suggestions(*, r_idx: np.ndarray, t_idx: np.ndarray, quality: np.ndarray, tickets: pd.DataFrame,
                         cust_branch: np.ndarray, n_waves: int, rng: np.random.Generator,
                         branch_counts: tuple[np.ndarray, np.ndarray] | None = None) -> pd.DataFrame:
    """One answer per response: ``raw`` (with fake personal data), ``text`` (masked), ``theme``, ``pii``.

    ``tickets`` and ``cust_branch`` cover the retailers ``r_idx`` points into. The branch ticket
    rates come from them, unless ``branch_counts = (tickets by branch × category, retailers by
    branch)`` gives them for every retailer (the streamed simulation, which keeps the surveyed
    retailers' tickets only).
    """
    n = len(r_idx)
    recent = _recent_tickets(tickets, r_idx, t_idx, len(cust_branch), n_waves)
    if branch_counts is None:
        nb = int(cust_branch.max()) + 1
        branch_counts = (branch_ticket_counts(tickets, cust_branch, nb), np.bincount(cust_branch, minlength=nb))
    zb = _branch_rates(*branch_counts)[cust_branch[r_idx]]
    w = np.tile(np.asarray(THEME_WEIGHTS), (n, 1))
    for j, theme in enumerate(TEXT_THEMES):
        if theme in THEME_TICKET_CATEGORY:
            c = TICKET_CATEGORIES.index(THEME_TICKET_CATEGORY[theme])
            w[:, j] *= (1 + TICKET_LINK * recent[:, c]) * np.exp(BRANCH_LINK * zb[:, c])
    p = w / w.sum(axis=1, keepdims=True)
    u = rng.random(n)
    theme_idx = (u[:, None] > np.cumsum(p, axis=1)).sum(axis=1)
    none = rng.random(n) < np.where(quality == 0, 0.25, 0.8)
    blank = rng.random(n) < 0.5
    two = rng.random(n) < 0.3
    noise = rng.random(n) < 0.08
    pii = rng.random(n) < 0.06
    pii_kind = rng.integers(0, 2, n)
    picks = rng.integers(0, 1_000_000, size=(n, 6))
    single, _ = load_surnames()
    raw, themes = [], []
    for i in range(n):
        if none[i]:
            themes.append("none")
            raw.append(None if blank[i] else _NOTHING[picks[i, 0] % len(_NOTHING)])
            continue
        theme = TEXT_THEMES[theme_idx[i]]
        bank = PHRASES[theme]
        parts = [bank[picks[i, 0] % len(bank)]]
        if two[i]:
            second = bank[picks[i, 1] % len(bank)]
            if second != parts[0]:
                parts.append(second)
        if noise[i]:
            other = TEXT_THEMES[(theme_idx[i] + 1 + picks[i, 2] % (len(TEXT_THEMES) - 1)) % len(TEXT_THEMES)]
            parts.append(PHRASES[other][picks[i, 3] % len(PHRASES[other])])
        filler = "" if theme == "praise" else _FILLER[picks[i, 4] % len(_FILLER)]
        text = filler + "，".join(parts)
        if pii[i]:
            if pii_kind[i] == 0:
                name = single[picks[i, 5] % 40] + _GIVEN[picks[i, 5] % len(_GIVEN)]
                text += f"，联系人：{name}"
            else:
                text += f"，有事请打我电话1{3 + picks[i, 5] % 7}{picks[i, 5] * 7919 % 10**9:09d}"
        raw.append(text + _END[picks[i, 1] % len(_END)])
        themes.append(theme)
    raw_s = pd.Series(raw, dtype="string")
    return pd.DataFrame({"raw": raw_s, "text": mask_pii_text(raw_s), "theme": themes,
                         "pii": pii & ~none})
