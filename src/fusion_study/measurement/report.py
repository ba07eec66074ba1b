"""Report section: reliability and validity of the study's survey instruments (order 30)."""

from __future__ import annotations

import warnings

from fusion_study.reporting.sections import Table, Text, register_section
from fusion_study.measurement._data import MeasurementWarning
from fusion_study.measurement.study import study_validity

_INSTRUMENTS = {"customer_survey": ("零售客户满意度问卷", "retailer satisfaction survey"),
                "staff_survey": ("员工“四个融合”问卷", "staff four-fusion survey")}


@register_section("measurement", order=30, title_zh="量表信度与效度", title_en="Reliability and validity of the scales")
def build(study, ctx):
    insts = [i for i in _INSTRUMENTS if i in study and getattr(study, "codebook", None) is not None]
    if not insts:
        yield Text(zh="本研究没有问卷数据或码本，跳过信效度分析。",
                   en="The study has no survey data or codebook; reliability and validity are skipped.")
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MeasurementWarning)
        res = study_validity(study, instruments=insts)
    yield Text(zh="信度用Cronbach's α、McDonald's ω和组合信度(CR)衡量（≥0.7为佳）；收敛效度看平均方差抽取量(AVE≥0.5)；"
                  "区分效度看AVE平方根是否大于构念间相关(Fornell–Larcker)及HTMT(<0.85)。",
               en="Reliability: Cronbach's alpha, McDonald's omega and composite reliability (≥0.7 is good); "
                  "convergent validity: AVE ≥ 0.5; discriminant validity: sqrt(AVE) above the construct "
                  "correlations (Fornell–Larcker) and HTMT < 0.85.")
    for inst, tabs in res.items():
        zh, en = _INSTRUMENTS[inst]
        yield Table(f"{inst}_reliability", tabs["reliability"], caption_zh=f"{zh}：信度与收敛效度",
                    caption_en=f"{en}: reliability and convergent validity", n_column="n",
                    decimals={c: 3 for c in ["alpha", "alpha_std", "omega_total", "mean_r", "cr", "ave", "sqrt_ave"]})
        yield Table(f"{inst}_cfa_fit", tabs["cfa_fit"], caption_zh=f"{zh}：验证性因子分析模型比较",
                    caption_en=f"{en}: CFA fit of the hypothesised and alternative models",
                    decimals={c: 3 for c in ["chisq", "chisq_df", "cfi", "tli", "rmsea", "srmr", "delta_chisq"]})
        yield Table(f"{inst}_correlations", tabs["correlations"], caption_zh=f"{zh}：均值、标准差与相关（对角线为AVE平方根）",
                    caption_en=f"{en}: means, SDs and correlations (sqrt(AVE) on the diagonal)",
                    decimals={c: 3 for c in tabs["correlations"].columns if c != "scale"})
        yield Table(f"{inst}_htmt", tabs["htmt"], caption_zh=f"{zh}：HTMT", caption_en=f"{en}: HTMT",
                    decimals={c: 3 for c in tabs["htmt"].columns if c != "scale"})
