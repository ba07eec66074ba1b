"""Report section: themes in the retailers' comments and suggestions (意见和建议), and their link to tickets.

Imported by :mod:`fusion_study.survey.report` (section discovery imports each package's
``report`` module only).
"""

from __future__ import annotations

from fusion_study.reporting.sections import Figure, SectionSkipped, Table, Text, register_section

#: fewest answers with content words for themes to be worth fitting
MIN_ANSWERS = 30


@register_section(
    "survey_themes", order=46, title_zh="意见和建议的主题", title_en="Themes in comments and suggestions",
    needs={"customer_survey": ("customer_id", "wave"), "customers": ("customer_id", "branch_id")},
    what_zh="分析零售客户的意见和建议", what_en="the comments and suggestions were not analysed",
)
def build(study, ctx):
    import matplotlib.pyplot as plt

    from fusion_study.reporting.labels import label
    from fusion_study.survey.plots import caterpillar_height, plot_theme_heatmap
    from fusion_study.survey.study_themes import study_text_columns, study_themes

    lang = ctx.lang
    if not study_text_columns(study):
        raise SectionSkipped(
            zh="本研究的零售客户调查没有开放题（意见和建议）的答复，因此未分析意见和建议的主题。",
            en="The retailer survey of this study holds no free-text answers (comments and suggestions), so their "
               "themes were not analysed.")
    try:
        st = study_themes(study, seed=ctx.seed, n_permutations=499 if ctx.quick else 4999)
    except ValueError as err:
        raise SectionSkipped(zh="开放题中有实际内容的答复太少，无法归纳主题。",
                             en=f"Too few free-text answers have content to find themes: {err}") from None
    n_content = int(st.themes_["n"].sum())
    if n_content < MIN_ANSWERS:
        raise SectionSkipped(zh=f"开放题中只有 {n_content} 份答复归入主题，少于 {MIN_ANSWERS} 份，不归纳主题。",
                             en=f"Only {n_content} free-text answers fall into a theme (fewer than {MIN_ANSWERS}).")
    excl = dict(zip(st.excluded_["reason"], st.excluded_["n"]))
    total = len(st.answers_)
    yield Text(
        zh=(f"{total} 份有效答卷中，{excl['empty']} 份未填写意见和建议，{excl['no content words']} 份只写了“无”“没有意见”"
            f"之类的话，{excl['rare words only']} 份只含罕见词；其余 {n_content} 份按用词归纳为 {len(st.themes_)} 个主题"
            "（分词后做 TF-IDF 与非负矩阵分解；姓名、电话等个人信息在分析前已遮蔽）。主题名是该主题最有代表性的词，"
            "是否贴切应结合原始答复判断。"),
        en=(f"Of {total} screened responses, {excl['empty']} left the comments blank, {excl['no content words']} "
            f"wrote only 'none' or similar and {excl['rare words only']} only rare words; the other {n_content} "
            f"fall into {len(st.themes_)} themes found from their words (segmentation, TF-IDF and non-negative "
            "matrix factorisation; names and phone numbers masked first). A theme is named by its most typical "
            "words; read some answers before relying on it."),
    )
    yield Table(
        "survey_themes",
        st.themes_[["theme", "label", "top_words", "n", "share"]].rename(columns={"label": "theme_label"})
        .assign(share=lambda d: 100 * d["share"]),  # the share column is shown in per cent
        caption_zh="意见和建议的主题：代表词、答复数与占比（占归入主题的答复）",
        caption_en="Themes of the comments and suggestions: top words, answers and share (of answers with a theme)",
        n_column="n", decimals={"share": 1},
    )
    fig, ax = plt.subplots(figsize=(1.2 + 1.05 * len(st.themes_), caterpillar_height(st.by_branch_["branch_id"].nunique())))
    plot_theme_heatmap(st.by_branch_, lang=lang, ax=ax)
    fig.tight_layout()
    yield Figure("survey_theme_heatmap", fig,
                 caption_zh="各支部答复的主题构成（每格为该主题占本支部归入主题答复的百分比）",
                 caption_en="Themes by branch (each cell: the theme's per cent of the branch's answers with a theme)")
    link = st.ticket_link_
    if link.empty:
        yield Text(zh="本研究没有急难愁盼问题登记，因此未比较主题与问题类别。",
                   en="The study has no problem tickets, so themes were not compared with ticket categories.")
        return
    shown = link.assign(category=[label(f"ticket_category.{c}", lang) for c in link["category"]])
    yield Table(
        "survey_theme_tickets", shown.rename(columns={"label": "theme_label"})[["theme_label", "category", "estimate", "ci_lower", "ci_upper", "p_value", "p_adjusted",
                                       "n_branches"]],
        caption_zh="主题与急难愁盼问题类别：各支部该主题答复占比与该类问题人均登记数的相关系数",
        caption_en="Themes and ticket categories: correlation across branches between a theme's share of answers "
                   "and tickets of the category per retailer",
        notes_zh="置信区间用 Fisher z 变换；p 值为置换检验（打乱各支部的问题登记率），校正p值为 Holm 多重比较校正。"
                 "这是支部之间的关联，不是因果效应。",
        notes_en="Intervals by Fisher's z; p-values by permutation (ticket rates shuffled across branches); "
                 "p_adjusted: Holm correction over all pairs. An association across branches, not a causal effect.",
        p_column="p_adjusted", decimals={"estimate": 2, "ci_lower": 2, "ci_upper": 2},
    )
    strong = link[(link["p_adjusted"] < 0.05) & (link["estimate"] > 0)]
    if strong.empty:
        yield Text(zh="校正多重比较后，没有哪个主题与某类问题登记在支部之间明显同升同降。",
                   en="After correcting for multiple comparisons, no theme rises and falls with a ticket category "
                      "across branches.")
        return
    pairs_zh = "；".join(f"“{r.label}”与{label('ticket_category.' + r.category, 'zh')}类问题（r = {r.estimate:.2f}）"
                        for r in strong.itertuples())
    pairs_en = "; ".join(f"'{r.label}' with {label('ticket_category.' + r.category, 'en')} tickets (r = {r.estimate:.2f})"
                         for r in strong.itertuples())
    yield Text(zh=f"支部之间明显同向变化的有：{pairs_zh}。即该类问题登记多的支部，其零售户也更常在意见中提到这一主题。",
               en=f"Clearly moving together across branches: {pairs_en}. Branches that log more such tickets "
                  "have retailers who write more about the theme.")
