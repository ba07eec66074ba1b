"""Report section: reliability and validity of the study's survey instruments (order 30).

The same tables, in the same order and with the same notes, as ``fusion-study validity``
(:func:`~fusion_study.measurement.validity_export.validity_parts`): one-item measures as
observed variables, two-item scales with the Spearman–Brown coefficient, the CFA-based
tables only when a CFA can be fitted, and a verdict under every poor value.
"""

from __future__ import annotations

import warnings

from fusion_study.measurement._data import MeasurementWarning
from fusion_study.measurement.study import INSTRUMENTS, instruments_present, study_validity
from fusion_study.measurement.validity_export import validity_parts
from fusion_study.reporting.sections import SectionSkipped, Table, Text, register_section

#: Reliability and validity are computed unweighted whatever the report's weighting switch.
UNWEIGHTED_NOTE_ZH = ("信度与效度均未加权计算：α、ω 和 AVE 描述的是问卷题目之间的关系（测量工具的性质），"
                      "不是总体的均值；加权版本的 α/ω 不是通行做法。")
UNWEIGHTED_NOTE_EN = ("Reliability and validity are computed unweighted: alpha, omega and AVE describe how the items "
                      "relate (a property of the instrument), not a population mean; weighted alpha/omega are not "
                      "standard practice.")

_INSTRUMENTS = {"customer_survey": ("零售客户满意度问卷", "retailer satisfaction survey"),
                "staff_survey": ("员工“四个融合”问卷", "staff four-fusion survey")}


def _skip_reason(study) -> SectionSkipped:
    tables = [t for t in INSTRUMENTS.values() if t in study and len(study.tables[t])]
    if not tables:
        return SectionSkipped(
            zh="本研究没有问卷数据（customer_survey 或 staff_survey），因此未做量表信度与效度分析。",
            en="The study has no survey responses (customer_survey or staff_survey), so the reliability "
               "and validity of the scales were not assessed.")
    if getattr(study, "codebook", None) is None:
        return SectionSkipped(
            zh="本研究没有码本（codebook），无法确定各题项所属的量表和反向计分题，因此未做量表信度与效度分析。",
            en="The study has no codebook, which says which items form each scale and which are reverse-coded, "
               "so the reliability and validity of the scales were not assessed.")
    return SectionSkipped(
        zh="码本中没有属于量表的问卷题项（有量表名、按数字作答的题项），因此未做量表信度与效度分析。",
        en="The codebook lists no survey items that belong to a scale (items with a scale name and numbered "
           "answers), so the reliability and validity of the scales were not assessed.")


#: the validity tables the report shows (the Word/Excel export has them all)
_SHOWN = ("reliability", "single_items", "loadings", "cfa_fit", "correlations", "htmt")


def _table(name: str, part: dict, caption_zh: str, caption_en: str, notes_zh: str, notes_en: str) -> Table:
    """A report Table from a validity part: columns renamed to their display headers."""
    h = part["headers"]
    opts = {k: h[v] for k, v in part["options"].items() if k in ("n_column", "group_column", "p_column")}
    return Table(name, part["frame"].rename(columns=h), caption_zh=caption_zh, caption_en=caption_en,
                 notes_zh=notes_zh, notes_en=notes_en, decimals={h[c]: d for c, d in part["decimals"].items()},
                 **opts)


@register_section("measurement", order=30, title_zh="量表信度与效度", title_en="Reliability and validity of the scales")
def build(study, ctx):
    insts = instruments_present(study)
    if not insts:
        raise _skip_reason(study)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MeasurementWarning)
        res = study_validity(study, instruments=insts)
    yield Text(zh="信度用Cronbach's α、McDonald's ω和组合信度(CR)衡量（≥0.7为佳），双题项量表用Spearman–Brown系数；"
                  "收敛效度看平均方差抽取量(AVE≥0.5)；区分效度看AVE平方根是否大于构念间相关(Fornell–Larcker)及HTMT(<0.85)。",
               en="Reliability: Cronbach's alpha, McDonald's omega and composite reliability (≥0.7 is good), the "
                  "Spearman–Brown coefficient for two-item scales; convergent validity: AVE ≥ 0.5; discriminant "
                  "validity: sqrt(AVE) above the construct correlations (Fornell–Larcker) and HTMT < 0.85.")
    yield Text(zh=UNWEIGHTED_NOTE_ZH, en=UNWEIGHTED_NOTE_EN)
    for inst, rep in res.items():
        zh, en = _INSTRUMENTS[inst]
        parts = {lang: validity_parts(rep, lang=lang, min_cell=ctx.min_cell) for lang in ("zh", "en")}
        for part_zh, part_en in zip(parts["zh"], parts["en"]):
            part = part_zh if ctx.lang == "zh" else part_en
            if part["key"] not in _SHOWN:
                continue
            yield _table(f"{inst}_{part['key']}", part, f"{zh}：{part_zh['title']}", f"{en}: {part_en['title']}",
                         "".join(part_zh["notes"]), " ".join(part_en["notes"]))
