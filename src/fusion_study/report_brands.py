"""Report section: branch brand distinctiveness (一支部一品牌一特色)."""

from __future__ import annotations

import matplotlib.pyplot as plt

from .reporting.sections import Figure, Table, Text, register_section


@register_section("brands", order=61, title_zh="支部品牌特色性", title_en="Branch brand distinctiveness")
def build(study, ctx):
    from .brands import brand_distinctiveness, plot_brand_similarity

    if "brands" not in study or study.brands.empty:
        yield Text(zh="本研究没有支部品牌数据，略去本节。", en="No branch brands in this study; section skipped.")
        return
    res = brand_distinctiveness(study.brands)
    counts = res["flag"].value_counts()
    yield Text(
        zh=(
            f"共 {len(res)} 个支部品牌：特色 {counts.get('distinctive', 0)} 个，空泛 {counts.get('generic', 0)} 个，"
            f"照搬 {counts.get('copied', 0)} 个。判定规则：品牌名完整沿用上级“星火”品牌为照搬；"
            "品牌名和口号中一半以上的双字组合见于常用党建套话表为空泛；与更早发布的品牌文本余弦相似度≥0.9 亦为照搬。"
        ),
        en=(
            f"{len(res)} branch brands: {counts.get('distinctive', 0)} distinctive, {counts.get('generic', 0)} generic, "
            f"{counts.get('copied', 0)} copied. Rule: reusing the provincial 'Spark' name whole = copied; at least half "
            "of the name+slogan character pairs found in the stock-phrase list = generic; cosine similarity >= 0.9 to an "
            "earlier brand = copied."
        ),
    )
    yield Table(
        "brands_flags",
        res[["branch_id", "brand_name", "slogan", "nearest_branch", "max_similarity", "genericness", "flag"]],
        caption_zh="支部品牌相似度与判定",
        caption_en="Brand similarity and flags",
        decimals={"max_similarity": 2, "genericness": 2},
    )
    fig, ax = plt.subplots(figsize=(9, 8))
    plot_brand_similarity(study.brands, flags=res, lang=ctx.lang, ax=ax)
    fig.tight_layout()
    yield Figure("brands_similarity", fig, caption_zh="支部品牌文本相似度热力图", caption_en="Brand text similarity heat-map")
