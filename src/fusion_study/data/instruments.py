"""The standard instruments: the retailer satisfaction survey and the staff integration survey.

These are the questionnaires the bundled example study uses and that users can
adopt; :func:`standard_codebook` returns them as a codebook table in the
canonical format (see :data:`fusion_study.data.schema.CODEBOOK`).

Retailer survey (``customer_survey``), an ACSI/ECSI-style model:

=============  ==========  ======  =========================================
scale          中文         points  items
=============  ==========  ======  =========================================
expectation    客户期望     7       exp1–exp3
quality        感知服务质量  7       qual1–qual4 (qual4 reverse-coded)
image          品牌形象     7       img1–img3
satisfaction   客户满意度   10/7    sat1 (10-point, as ACSI), sat2–sat3 (7-point)
dependency     客户依存度   5       dep1–dep3 (dep3 reverse-coded)
=============  ==========  ======  =========================================

Staff survey (``staff_survey``), the four fusions (四个融合), 5-point:
goal (目标融合) goal1–goal3, outcome (成效融合) outc1–outc3, capability (能力融合)
capa1–capa3, service (服务融合) serv1–serv3 (capa3 reverse-coded).

``source_column`` gives each item's place in a 问卷星 (Wenjuanxing) export as
``"N"`` (question N) or ``"N(子项)"`` (sub-item of matrix question N); survey
import matches export headers to items through it.
"""

from __future__ import annotations

import pandas as pd

__all__ = ["standard_codebook", "CUSTOMER_SCALES", "STAFF_SCALES", "SCALE_LABELS", "LIKERT_OPTIONS"]

LIKERT_OPTIONS = {
    5: "1=非常不同意;2=不同意;3=一般;4=同意;5=非常同意",
    7: "1=非常不同意;2=不同意;3=比较不同意;4=一般;5=比较同意;6=同意;7=非常同意",
    10: ";".join(f"{i}={i}分" for i in range(1, 11)),
}

# item_id, scale, points, reverse, question number, matrix sub-item, text_zh, text_en
_ITEMS = [
    ("exp1", "expectation", 7, False, 2, "总体服务", "在合作之前，我对烟草公司服务的总体期望很高", "Before, I expected high overall service quality"),
    ("exp2", "expectation", 7, False, 2, "满足需求", "我期望烟草公司能满足我的经营需求", "I expected the company to meet my business needs"),
    ("exp3", "expectation", 7, False, 2, "可靠程度", "我期望烟草公司的服务稳定可靠", "I expected reliable service"),
    ("qual1", "quality", 7, False, 3, "服务态度", "客户经理服务态度热情周到", "The customer manager is friendly and attentive"),
    ("qual2", "quality", 7, False, 3, "问题解决", "我反映的问题能及时得到解决", "Problems I raise are solved promptly"),
    ("qual3", "quality", 7, False, 3, "经营指导", "客户经理能给予有用的经营指导", "The customer manager gives useful business guidance"),
    ("qual4", "quality", 7, True, 3, "敷衍应付", "工作人员对我的诉求敷衍应付", "Staff respond to my requests perfunctorily"),
    ("img1", "image", 7, False, 4, "值得信赖", "烟草公司是值得信赖的单位", "The company is trustworthy"),
    ("img2", "image", 7, False, 4, "党员带头", "党员在服务中起到带头作用", "Party members lead by example in service"),
    ("img3", "image", 7, False, 4, "品牌认知", "我了解并认可本地支部的服务品牌", "I know and value the local branch's service brand"),
    ("sat1", "satisfaction", 10, False, 5, None, "总体而言，您对烟草公司的服务满意程度（1-10分）", "Overall satisfaction with the service (1-10)"),
    ("sat2", "satisfaction", 7, False, 6, "符合期望", "服务达到了我的期望", "The service meets my expectations"),
    ("sat3", "satisfaction", 7, False, 6, "接近理想", "服务接近我心目中理想的服务", "The service is close to my ideal"),
    ("dep1", "dependency", 5, False, 7, "持续合作", "我愿意继续与烟草公司紧密合作", "I want to keep working closely with the company"),
    ("dep2", "dependency", 5, False, 7, "推荐他人", "我会向同行推荐烟草公司的服务", "I would recommend the service to peers"),
    ("dep3", "dependency", 5, True, 7, "减少依赖", "如有其他渠道，我会减少对烟草公司的依赖", "Given alternatives, I would rely less on the company"),
    ("goal1", "goal", 5, False, 2, "共同谋划", "本支部党建工作与业务工作共同谋划、共同部署", "Party and business work are planned together"),
    ("goal2", "goal", 5, False, 2, "共同考核", "党建考核与业务考核挂钩", "Party and business assessments are linked"),
    ("goal3", "goal", 5, False, 2, "目标一致", "支部工作目标与单位业务目标一致", "Branch goals match business goals"),
    ("outc1", "outcome", 5, False, 3, "成果转化", "学习成果能转化为工作成效", "Study results turn into work results"),
    ("outc2", "outcome", 5, False, 3, "服务提升", "党建活动切实提升了客户服务", "Party activities improve customer service"),
    ("outc3", "outcome", 5, False, 3, "业绩促进", "党建工作促进了业务指标完成", "Party work helps meet business targets"),
    ("capa1", "capability", 5, False, 4, "双向培养", "支部注重党员与业务骨干双向培养", "Members and key staff are developed together"),
    ("capa2", "capability", 5, False, 4, "能力提升", "参加支部活动提升了我的业务能力", "Branch activities improved my business skills"),
    ("capa3", "capability", 5, True, 4, "缺乏时间", "我没有时间参加党建学习", "I have no time for party study"),
    ("serv1", "service", 5, False, 5, "文化引领", "星火文化引领了我们的服务工作", "Spark culture guides our service"),
    ("serv2", "service", 5, False, 5, "主动服务", "党员在服务客户中主动靠前", "Members take the lead in serving customers"),
    ("serv3", "service", 5, False, 5, "客户反馈", "客户对我们服务的认可度提高了", "Customers value our service more"),
]

_STAFF_SCALES = ("goal", "outcome", "capability", "service")

SCALE_LABELS: dict[str, tuple[str, str]] = {
    "expectation": ("客户期望", "customer expectations"),
    "quality": ("感知服务质量", "perceived service quality"),
    "image": ("品牌形象", "brand image"),
    "satisfaction": ("客户满意度", "customer satisfaction"),
    "dependency": ("客户依存度", "customer dependency"),
    "goal": ("目标融合", "goal fusion"),
    "outcome": ("成效融合", "outcome fusion"),
    "capability": ("能力融合", "capability fusion"),
    "service": ("服务融合", "service fusion"),
}

CUSTOMER_SCALES: dict[str, list[str]] = {}
STAFF_SCALES: dict[str, list[str]] = {}
for _row in _ITEMS:
    (STAFF_SCALES if _row[1] in _STAFF_SCALES else CUSTOMER_SCALES).setdefault(_row[1], []).append(_row[0])


def standard_codebook() -> pd.DataFrame:
    """The standard instruments as a codebook table (one row per item).

    >>> cb = standard_codebook()
    >>> cb.groupby("instrument").size().to_dict()
    {'customer_survey': 16, 'staff_survey': 12}
    >>> [str(v) for v in cb.set_index("item_id").loc["sat1", ["min", "max", "source_column"]]]
    ['1', '10', '5']
    >>> [str(v) for v in cb.set_index("item_id").loc["qual4", ["reverse", "source_column"]]]
    ['True', '3(敷衍应付)']
    """
    rows = []
    for item_id, scale, points, reverse, q, sub, zh, en in _ITEMS:
        rows.append(
            {
                "item_id": item_id,
                "instrument": "staff_survey" if scale in _STAFF_SCALES else "customer_survey",
                "scale": scale,
                "text_zh": zh,
                "text_en": en,
                "reverse": reverse,
                "min": 1,
                "max": points,
                "source_column": f"{q}({sub})" if sub else f"{q}",
                "options": LIKERT_OPTIONS[points],
            }
        )
    df = pd.DataFrame(rows)
    df["reverse"] = df["reverse"].astype("boolean")
    df["min"] = df["min"].astype("Int64")
    df["max"] = df["max"].astype("Int64")
    for col in ("item_id", "instrument", "scale", "text_zh", "text_en", "source_column", "options"):
        df[col] = df[col].astype("string")
    df.index = pd.RangeIndex(2, len(df) + 2, name="source_row")
    return df
