"""Branch brand names and slogans (一支部一品牌一特色) as Chinese text.

Three kinds, the brand type recorded in ``Truth.brands``:

* **distinctive** — local and mission-specific: built from the county's place
  name, a local product and a service word (e.g. "青溪茶乡·红管家",
  "扎根青溪 做零售户的贴心人"); only these move satisfaction;
* **generic** — stock party slogans shared across the country
  ("党旗引领 护航发展", "初心引领 服务先锋", …);
* **copied** — the provincial "星火" (Spark) brand reused.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["brand_texts", "GENERIC_SLOGANS", "GENERIC_NAMES", "COPIED_NAMES", "COPIED_SLOGANS"]

_PRODUCTS = ["茶乡", "橙乡", "竹乡", "稻香", "花炮", "瓷韵", "红土", "山泉", "油茶", "烟叶", "米粉", "夏布"]
_SERVICE_NOUNS = ["红管家", "暖心驿站", "连心桥", "便民站", "帮帮团", "贴心人", "服务岗", "解忧铺", "致富帮"]
_SLOGAN_TEMPLATES = [
    "扎根{place} 做零售户的{noun}",
    "{product}{place} 一户一策解难题",
    "守护{place}{product} 服务送到店头",
    "{place}零售户的事 件件有回音",
    "走遍{place}千家店 点滴满意在身边",
    "{product}飘香 {noun}常在{place}",
]
_KIND_WORDS = {"marketing": "", "monopoly": "守护", "logistics": "速达", "office": "后盾"}

GENERIC_NAMES = ["红色引擎", "先锋堡垒", "党旗红", "初心领航", "红心向党", "党员先锋岗", "红旗飘飘"]
GENERIC_SLOGANS = [
    "党旗引领 护航发展",
    "初心引领 服务先锋",
    "不忘初心 牢记使命",
    "党建引领 服务至上",
    "红色引擎 助推发展",
    "争当先锋 勇创一流",
]
COPIED_NAMES = ["星火", "星火服务", "星火先锋", "星火燎原"]
COPIED_SLOGANS = ["点滴满意 价值凝聚", "星火燎原 服务先行"]


def brand_texts(
    brand_type: np.ndarray, place: np.ndarray, kind: np.ndarray, rng: np.random.Generator
) -> pd.DataFrame:
    """Brand name and slogan per branch: columns ``brand_name, slogan``.

    ``brand_type`` is 0 distinctive, 1 generic, 2 copied; ``place`` the branch's
    county place name; ``kind`` its branch kind.
    """
    n = len(brand_type)
    prod = rng.integers(0, len(_PRODUCTS), n)
    noun = rng.integers(0, len(_SERVICE_NOUNS), n)
    tmpl = rng.integers(0, len(_SLOGAN_TEMPLATES), n)
    gen_name = rng.integers(0, len(GENERIC_NAMES), n)
    gen_slogan = rng.integers(0, len(GENERIC_SLOGANS), n)
    cop_name = rng.integers(0, len(COPIED_NAMES), n)
    cop_slogan = rng.integers(0, len(COPIED_SLOGANS), n)
    names, slogans = [], []
    for i in range(n):
        if brand_type[i] == 0:
            p, pr, no = place[i], _PRODUCTS[prod[i]], _SERVICE_NOUNS[noun[i]]
            names.append(f"{p}{pr}·{_KIND_WORDS.get(kind[i], '')}{no}")
            slogans.append(_SLOGAN_TEMPLATES[tmpl[i]].format(place=p, product=pr, noun=no))
        elif brand_type[i] == 1:
            names.append(GENERIC_NAMES[gen_name[i]])
            slogans.append(GENERIC_SLOGANS[gen_slogan[i]])
        else:
            names.append(COPIED_NAMES[cop_name[i]])
            slogans.append(COPIED_SLOGANS[cop_slogan[i]])
    return pd.DataFrame({"brand_name": names, "slogan": slogans})
