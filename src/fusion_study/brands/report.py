"""Report section: branch brand distinctiveness (一支部一品牌一特色)."""

from __future__ import annotations

import warnings

import matplotlib.pyplot as plt
import pandas as pd

from fusion_study.reporting.labels import label
from fusion_study.reporting.sections import Figure, Table, Text, register_section


@register_section("brands", order=61, title_zh="支部品牌特色性", title_en="Branch brand distinctiveness",
                  needs={"brands": ("branch_id", "brand_name", "slogan", "launch_period")}, what_zh="评估支部品牌特色性", what_en="brand distinctiveness was not assessed")
def build(study, ctx):
    from fusion_study.brands.plots import plot_brand_similarity
    from fusion_study.brands.study import study_brand_distinctiveness

    res = study_brand_distinctiveness(study)
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
    lang = ctx.lang
    names = dict(zip(study.units["unit_id"].astype(str), study.units["name"].astype(str))) if "units" in study else {}
    flags = res[["branch_id", "brand_name", "slogan", "nearest_branch", "max_similarity", "genericness", "flag"]].copy()
    flags["branch_id"] = [names.get(str(b), str(b)) for b in flags["branch_id"]]
    flags["nearest_branch"] = [names.get(str(b), str(b)) if isinstance(b, str) else "" for b in flags["nearest_branch"]]
    flags["flag"] = [label(f"brand_flag_{f}", lang) for f in flags["flag"]]
    yield Table(
        "brands_flags",
        flags.rename(columns={"branch_id": "branch", "flag": "brand_flag"}),
        caption_zh="支部品牌相似度与判定",
        caption_en="Brand similarity and flags",
        decimals={"max_similarity": 2, "genericness": 2},
    )
    fig, ax = plt.subplots(figsize=(9, 8))
    plot_brand_similarity(study.brands, flags=res, lang=ctx.lang, ax=ax)
    fig.tight_layout()
    yield Figure("brands_similarity", fig, caption_zh="支部品牌文本相似度热力图", caption_en="Brand text similarity heat-map")
    yield from _moderation(study, res, ctx)


def _moderation(study, flags, ctx):
    """Brand type as a moderator of the brand launch's effect on satisfaction (CS-DiD by type, contrasts)."""
    from fusion_study.brands.moderation import MIN_BRANCHES_PER_TYPE
    from fusion_study.brands.plots import plot_brand_moderation
    from fusion_study.brands.study import study_brand_moderation

    needed = ("customer_survey", "customers", "units", "interventions")
    if any(t not in study for t in needed):
        missing = [t for t in needed if t not in study]
        yield Text(zh="品牌类型对品牌效应的调节作用需要" + "、".join(label(t, "zh") + "表" for t in missing)
                   + "，本研究未提供，因此未估计。",
                   en="The brand-type moderation needs the " + ", ".join(missing)
                   + " table(s), which this study does not provide, so it was not estimated.")
        return
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tab = study_brand_moderation(study, flags=flags)
    except ValueError as exc:  # includes DiDSpecificationError
        yield Text(zh="各品牌类型在调查期内发布品牌的支部太少（或缺少发布前后的调查），品牌类型的调节作用无法估计。",
                   en=f"The brand-type moderation cannot be estimated: {exc}")
        return
    types = tab[tab["kind"] == "type ATT"]
    weak = bool((types["n_branches"] < MIN_BRANCHES_PER_TYPE).any())
    counts_zh = "、".join(f"{z} {n} 个" for z, n in zip(types["label_zh"], types["n_branches"]))
    counts_en = ", ".join(f"{n} {e}s" for e, n in zip(types["label_en"], types["n_branches"]))
    yield Text(
        zh=(
            "品牌效应是否因品牌类型而异：以支部品牌发布季度为批次的交错双重差分（Callaway–Sant'Anna，调查各期作重复截面，"
            "以尚未发布品牌的支部为对照，标准误按支部聚类），分类型估计，再比较类型之间的差异（Holm 校正）。"
            "品牌与服务队、积分平台、急难愁盼机制几乎同时推出，分类型的估计包含这些同期干预的效果；"
            "类型之间的差（特色 − 空泛、特色 − 照搬）才反映品牌本身的差别。"
            f"在调查期内发布品牌的支部：{counts_zh}。"
            + (f"每类不足 {MIN_BRANCHES_PER_TYPE} 个支部，检验力不足，置信区间很宽，结论应为“无法判断”而非“没有差别”。" if weak else "")
        ),
        en=(
            "Does the brand's effect depend on its type? Staggered DiD (Callaway–Sant'Anna) with brand-launch "
            "cohorts by type, survey waves as repeated cross-sections, not-yet-launched branches as comparison, "
            "SEs clustered by branch; contrasts between types Holm-adjusted. Brands are launched together with "
            "the teams, platform and problem mechanism, so each type's estimate includes those co-timed effects; "
            f"the contrasts between types isolate the brand. Branches with a brand launched in the window: {counts_en}."
            + (f" Fewer than {MIN_BRANCHES_PER_TYPE} branches per type: underpowered, wide CIs — read as "
               "'cannot tell', not 'no difference'." if weak else "")
        ),
    )
    lang = ctx.lang
    show = pd.DataFrame({
        label("brand_type_or_contrast", lang): tab[f"label_{lang}"],
        label("estimate_of", lang): tab["kind"].map({"type ATT": label("brand_type_att", lang),
                                                      "contrast": label("brand_contrast", lang)}),
        "estimate": tab["estimate"], "se": tab["se"], "ci_lower": tab["ci_lower"], "ci_upper": tab["ci_upper"],
        "p_adjusted": tab["p_adjusted"],
        label("n_branches", lang): tab["n_branches"],
    })
    yield Table(
        "brands_moderation",
        show,
        caption_zh="品牌类型对品牌效应的调节（满意度指数，0–100）",
        caption_en="Brand effect by brand type (satisfaction index, 0–100)",
        notes_zh="校正p值：三个类型之差的 Holm 校正 p 值。",
        notes_en="Adjusted p: Holm-adjusted p-values over the three contrasts.",
        decimals={"estimate": 2, "se": 2, "ci_lower": 2, "ci_upper": 2},
        p_column="p_adjusted",
    )
    fig, ax = plt.subplots(figsize=(8, 4.5))
    plot_brand_moderation(tab, lang=ctx.lang, ax=ax)
    fig.tight_layout()
    yield Figure("brands_moderation_forest", fig, caption_zh="品牌类型与品牌效应（95% 置信区间）",
                 caption_en="Brand effect by type (95% CIs)")
