"""Brand distinctiveness: hand-worked overlaps, flag rule, sparse nearest neighbour (the moderator model: test_brand_moderation.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fusion_study.brands import (
    brand_distinctiveness,
    brand_similarity_matrix,
    load_generic_phrases,
    plot_brand_similarity,
)

PLACES = ["青溪", "石湖", "高桥", "龙滩", "东门", "湖田", "白沙", "南岭"]
PRODUCTS = ["茶乡", "橙乡", "竹乡", "稻香", "瓷韵", "米粉"]
NOUNS = ["红管家", "暖心驿站", "连心桥", "便民站", "解忧铺", "致富帮"]


def _brands(rng, n=60):
    """Brands written the way the seed article describes the three kinds (not the simulator's templates)."""
    rows, kinds = [], []
    generic_names = ["红旗先锋", "党建领航", "先锋模范岗", "红色先锋"]
    generic_slogans = ["党建引领 凝心聚力", "不忘初心 担当作为", "旗帜鲜明 争创一流"]
    for i in range(n):
        k = ["distinctive", "generic", "copied"][i % 3]
        if k == "distinctive":
            p, pr, no = PLACES[rng.integers(8)], PRODUCTS[rng.integers(6)], NOUNS[rng.integers(6)]
            rows.append((f"{p}{pr}{no}{i}", f"走遍{p}千家店 {no}在身边"))
        elif k == "generic":
            rows.append((generic_names[rng.integers(4)], generic_slogans[rng.integers(3)]))
        else:
            rows.append((["星火", "星火服务队", "星火先锋"][rng.integers(3)], "点滴满意 价值凝聚"))
        kinds.append(k)
    b = pd.DataFrame(rows, columns=["brand_name", "slogan"])
    b.insert(0, "branch_id", [f"B{i:03d}" for i in range(n)])
    b["launch_period"] = "2024Q1"
    return b, np.array(kinds)


def test_generic_phrases_resource_documented():
    phrases = load_generic_phrases()
    assert "党旗引领 护航发展" in phrases and "初心引领 服务先锋" in phrases  # the seed article's examples
    assert all(not p.startswith("#") for p in phrases) and len(phrases) >= 30


def test_flags_precision_recall_on_seed_style_brands():
    b, kinds = _brands(np.random.default_rng(0))
    r = brand_distinctiveness(b)
    for k in ("distinctive", "generic", "copied"):
        pred = r["flag"].to_numpy() == k
        true = kinds == k
        precision = (pred & true).sum() / pred.sum()
        recall = (pred & true).sum() / true.sum()
        assert precision >= 0.9 and recall >= 0.9, (k, precision, recall)


def test_hand_worked_scores_and_rules():
    b = pd.DataFrame(
        {
            "branch_id": ["B1", "B2", "B3", "B4"],
            "brand_name": ["青溪茶乡红管家", "星火服务", "红色引擎", "青溪茶乡红管家"],
            "slogan": ["扎根青溪", "", "党旗引领 护航发展", "扎根青溪"],
            "launch_period": ["2023Q1", "2023Q2", "2023Q2", "2024Q1"],
        }
    )
    r = brand_distinctiveness(b).set_index("branch_id")
    assert r.loc["B2", "reference_overlap"] == 1.0 and r.loc["B2", "flag"] == "copied"
    # 红色引擎 + 党旗引领护航发展: every bigram is in the stock list
    assert r.loc["B3", "genericness"] == 1.0 and r.loc["B3", "flag"] == "generic"
    # B4 duplicates B1 word for word and launched later -> copied; B1 (the original) stays distinctive
    assert r.loc["B4", "max_similarity"] == pytest.approx(1.0, abs=1e-6)
    assert r.loc["B4", "nearest_branch"] == "B1"
    assert r.loc["B4", "flag"] == "copied" and r.loc["B1", "flag"] == "distinctive"
    # genericness of B1: bigrams 青溪 溪茶 茶乡 乡红 红管 管家 扎根 根青 -> none stock
    assert r.loc["B1", "genericness"] == 0.0
    # thresholds are arguments
    r2 = brand_distinctiveness(b, generic_threshold=1.01 - 0.01, copy_threshold=1.0).set_index("branch_id")
    assert r2.loc["B3", "flag"] == "generic"
    with pytest.raises(ValueError, match="generic_threshold must lie"):
        brand_distinctiveness(b, generic_threshold=2)
    with pytest.raises(ValueError, match="more than one brand row"):
        brand_distinctiveness(pd.concat([b, b.head(1)]))


def test_sparse_nearest_matches_dense():
    b, _ = _brands(np.random.default_rng(1), n=45)
    S = brand_similarity_matrix(b).to_numpy().copy()
    np.fill_diagonal(S, -np.inf)
    r = brand_distinctiveness(b)
    np.testing.assert_allclose(r["max_similarity"], S.max(axis=1), atol=1e-6)
    # nearest neighbour achieves the max (ties may pick another index with the same value)
    idx = b["branch_id"].tolist()
    got = [S[i, idx.index(j)] for i, j in enumerate(r["nearest_branch"])]
    np.testing.assert_allclose(got, S.max(axis=1), atol=1e-6)


def test_plot_brand_similarity_labels():
    b, _ = _brands(np.random.default_rng(2), n=12)
    r = brand_distinctiveness(b)
    ax = plot_brand_similarity(b, flags=r, lang="zh")
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert len(labels) == 13 and labels[-1] == "[星火]"
    assert any("（照搬）" in x for x in labels) and any("（空泛）" in x for x in labels)
