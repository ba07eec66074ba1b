"""The canonical study tables, declared once.

Validation (:mod:`fusion_study.data.validation`), type coercion on load
(:mod:`fusion_study.data.readers`) and the bilingual codebook documentation
(``fusion-study codebook``) are all generated from the declarations in this
module, so the three can never disagree.

A *vocabulary* is a closed set of allowed values; each value has a Chinese and
an English label, which the reporting layer uses for figures and tables.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

__all__ = [
    "Column",
    "Table",
    "TABLES",
    "VOCABULARIES",
    "SURVEY_TABLES",
    "CODEBOOK",
    "vocabulary_label",
    "schema_frame",
    "DTYPE_EXPECTED",
]

#: dtype names used in :class:`Column`; each maps to one pandas dtype after load.
DTYPES = {
    "string": "string",
    "int": "Int64",
    "float": "float64",
    "period": "string",  # canonical quarter text, e.g. "2024Q1"
    "date": "datetime64[ns]",
    "datetime": "datetime64[ns]",
    "bool": "boolean",
}

#: what a value of each non-text dtype must look like, as the problem messages say it
DTYPE_EXPECTED = {
    "period": "a quarter such as 2024Q1",
    "int": "a whole number",
    "float": "a number",
    "date": "a date such as 2024-03-31",
    "datetime": "a date and time",
    "bool": "true/false (是/否)",
}


# ---------------------------------------------------------------------------
# Vocabularies: value -> (Chinese label, English label)
# ---------------------------------------------------------------------------
VOCABULARIES: dict[str, dict[str, tuple[str, str]]] = {
    "level": {
        "city": ("市局", "city bureau"),
        "county": ("县区局", "county/district bureau"),
        "branch": ("党支部", "party branch"),
    },
    "branch_kind": {
        "marketing": ("营销", "marketing"),
        "monopoly": ("专卖", "monopoly enforcement"),
        "logistics": ("物流", "logistics"),
        "office": ("机关", "office"),
    },
    "segment": {
        "urban": ("城镇", "urban"),
        "rural": ("农村", "rural"),
        "modern_terminal": ("现代终端", "modern terminal"),
    },
    "size_tier": {
        "small": ("小型", "small"),
        "medium": ("中型", "medium"),
        "large": ("大型", "large"),
    },
    "member_role": {
        "secretary": ("支部书记", "branch secretary"),
        "committee": ("支委委员", "branch committee member"),
        "member": ("党员", "party member"),
    },
    "position": {
        "customer_manager": ("客户经理", "customer manager"),
        "monopoly_inspector": ("专卖稽查员", "monopoly inspector"),
        "delivery": ("送货员", "delivery staff"),
        "office": ("机关人员", "office staff"),
        "manager": ("管理人员", "manager"),
    },
    "intervention": {
        "brand": ("支部品牌", "branch brand"),
        "publicity_team": ("星火燎原宣传队", "publicity team"),
        "vanguard_team": ("星火服务先锋队", "service vanguard team"),
        "cloud_team": ("星火云台创收队", "cloud revenue team"),
        "points_platform": ("四优评先赛马平台", "member points platform"),
        "problem_mechanism": ("急难愁盼机制", "customer-problem mechanism"),
    },
    "team": {
        "publicity_team": ("星火燎原宣传队", "publicity team"),
        "vanguard_team": ("星火服务先锋队", "service vanguard team"),
        "cloud_team": ("星火云台创收队", "cloud revenue team"),
    },
    "activity_kind": {
        "visit": ("走访", "visit"),
        "guidance": ("经营指导", "business guidance"),
        "store_image": ("店面形象提升", "store-image help"),
        "publicity": ("宣传", "publicity contact"),
        "policy_briefing": ("政策宣讲", "policy briefing"),
        "livestream": ("直播带货", "live-stream selling"),
        "short_video": ("短视频", "short video"),
    },
    "ticket_category": {
        "urgent": ("急", "urgent"),
        "difficult": ("难", "difficult"),
        "worry": ("愁", "worry"),
        "expectation": ("盼", "expectation"),
    },
    "ticket_status": {
        "open": ("未办结", "open"),
        "resolved": ("已解决", "resolved"),
        "unresolved": ("办结未解决", "closed unresolved"),
    },
    "points_dimension": {
        "model_role": ("先锋模范", "model role"),
        "education": ("教育管理", "education and management"),
        "self_improvement": ("自我提升", "self-improvement"),
        "duty": ("履职尽责", "duty fulfilment"),
    },
    "rater_type": {
        "customer": ("客户评议", "customer"),
        "peer": ("党员互评", "peer"),
        "leader": ("领导点评", "leader"),
    },
    "evaluation_dimension": {
        "attitude": ("服务态度", "service attitude"),
        "dedication": ("敬业精神", "dedication"),
        "policy": ("政策水平", "policy knowledge"),
        "skill": ("业务技能", "business skill"),
    },
    "instrument": {
        "customer_survey": ("零售客户满意度调查", "retailer satisfaction survey"),
        "staff_survey": ("员工党业融合调查", "staff integration survey"),
    },
}


def vocabulary_label(vocabulary: str, value: str, lang: str = "zh") -> str:
    """Return the display label of one vocabulary value.

    >>> vocabulary_label("ticket_category", "urgent")
    '急'
    >>> vocabulary_label("segment", "rural", lang="en")
    'rural'
    """
    if lang not in ("zh", "en"):
        raise ValueError(f"lang must be 'zh' or 'en', got {lang!r}")
    try:
        zh, en = VOCABULARIES[vocabulary][value]
    except KeyError:
        return str(value)
    return zh if lang == "zh" else en


# ---------------------------------------------------------------------------
# Columns and tables
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Column:
    """One column of a canonical table.

    Parameters
    ----------
    name : English snake_case column name.
    dtype : one of ``string, int, float, period, date, datetime, bool``.
    text_zh, text_en : bilingual description for the codebook.
    required : the column must be present in the file.
    nullable : missing values are allowed.
    vocabulary : name of the closed set (in :data:`VOCABULARIES`) the value must be in.
    references : ``(table, column)`` the value must exist in (a foreign key).
    min, max : inclusive numeric bounds.
    """

    name: str
    dtype: str
    text_zh: str
    text_en: str
    required: bool = True
    nullable: bool = False
    vocabulary: str | None = None
    references: tuple[str, str] | None = None
    min: float | None = None
    max: float | None = None

    def __post_init__(self) -> None:
        if self.dtype not in DTYPES:
            raise ValueError(f"column {self.name}: unknown dtype {self.dtype!r}")
        if self.vocabulary is not None and self.vocabulary not in VOCABULARIES:
            raise ValueError(f"column {self.name}: unknown vocabulary {self.vocabulary!r}")


@dataclass(frozen=True)
class Table:
    """One canonical table: its columns, primary key and bilingual name.

    ``item_columns`` names the codebook instrument whose items may appear as
    extra columns (survey tables); other tables may not have unknown columns
    beyond a warning.
    """

    name: str
    text_zh: str
    text_en: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    item_columns: str | None = None
    required: bool = False
    notes: str = ""
    column_map: dict[str, Column] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "column_map", {c.name: c for c in self.columns})
        missing = [k for k in self.key if k not in self.column_map]
        if missing:
            raise ValueError(f"table {self.name}: key columns {missing} not declared")

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


def _c(name, dtype, zh, en, **kw) -> Column:
    return Column(name, dtype, zh, en, **kw)


_survey_meta = (
    _c("response_id", "string", "答卷编号", "response id"),
    _c("wave", "period", "调查波次（季度）", "survey wave (quarter)"),
    _c("submitted", "datetime", "提交答卷时间", "submission time", nullable=True),
    _c("duration_s", "float", "所用时间（秒）", "time taken (seconds)", nullable=True, min=0),
)

TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table(
            "units",
            "组织单位",
            "organisational units",
            (
                _c("unit_id", "string", "单位编号", "unit id"),
                _c("name", "string", "单位名称", "unit name"),
                _c("level", "string", "层级", "level", vocabulary="level"),
                _c(
                    "parent_id",
                    "string",
                    "上级单位编号",
                    "parent unit id",
                    nullable=True,
                    references=("units", "unit_id"),
                ),
                _c(
                    "branch_kind",
                    "string",
                    "支部类别",
                    "branch kind",
                    nullable=True,
                    required=False,
                    vocabulary="branch_kind",
                ),
            ),
            key=("unit_id",),
            required=True,
            notes="city → county → branch; must form a tree.",
        ),
        Table(
            "customers",
            "零售客户",
            "retailers (customers)",
            (
                _c("customer_id", "string", "客户编号", "customer id"),
                _c("county_id", "string", "所属县区局", "county bureau", references=("units", "unit_id")),
                _c("branch_id", "string", "服务支部", "serving branch", references=("units", "unit_id")),
                _c("segment", "string", "客户类型", "segment", vocabulary="segment"),
                _c("size_tier", "string", "经营规模", "size tier", nullable=True, vocabulary="size_tier"),
            ),
            key=("customer_id",),
        ),
        Table(
            "members",
            "党员",
            "party members",
            (
                _c("member_id", "string", "党员编号", "member id"),
                _c("branch_id", "string", "所在支部", "branch", references=("units", "unit_id")),
                _c("role", "string", "党内职务", "party role", vocabulary="member_role"),
                _c("position", "string", "岗位", "position", vocabulary="position"),
                _c("joined_year", "int", "入党年份", "year joined", nullable=True, min=1921, max=2100),
            ),
            key=("member_id",),
        ),
        Table(
            "interventions",
            "干预措施",
            "interventions",
            (
                _c("unit_id", "string", "实施单位", "unit", references=("units", "unit_id")),
                _c("intervention", "string", "措施", "intervention", vocabulary="intervention"),
                _c("start_period", "period", "启动季度", "start quarter"),
                _c("end_period", "period", "结束季度", "end quarter", nullable=True, required=False),
                _c("intensity", "float", "强度", "intensity", nullable=True, required=False, min=0),
            ),
            key=("unit_id", "intervention"),
        ),
        Table(
            "brands",
            "支部品牌",
            "branch brands",
            (
                _c("branch_id", "string", "支部", "branch", references=("units", "unit_id")),
                _c("brand_name", "string", "品牌名称", "brand name"),
                _c("slogan", "string", "品牌口号", "slogan", nullable=True),
                _c("launch_period", "period", "发布季度", "launch quarter"),
            ),
            key=("branch_id",),
        ),
        Table(
            "activities",
            "服务队活动",
            "team activities",
            (
                _c("activity_id", "string", "活动编号", "activity id"),
                _c("date", "date", "日期", "date"),
                _c("team", "string", "服务队", "team", vocabulary="team"),
                _c("kind", "string", "活动类型", "kind", vocabulary="activity_kind"),
                _c("customer_id", "string", "客户", "customer", references=("customers", "customer_id")),
                _c(
                    "member_id",
                    "string",
                    "党员",
                    "member",
                    nullable=True,
                    references=("members", "member_id"),
                ),
            ),
            key=("activity_id",),
        ),
        Table(
            "tickets",
            "急难愁盼问题清单",
            "customer-problem tickets",
            (
                _c("ticket_id", "string", "问题编号", "ticket id"),
                _c("customer_id", "string", "客户", "customer", references=("customers", "customer_id")),
                _c("branch_id", "string", "责任支部", "branch", references=("units", "unit_id")),
                _c("category", "string", "问题类别", "category", vocabulary="ticket_category"),
                _c("opened", "date", "登记日期", "opened"),
                _c("closed", "date", "办结日期", "closed", nullable=True),
                _c("status", "string", "状态", "status", vocabulary="ticket_status"),
            ),
            key=("ticket_id",),
            notes="closed must not precede opened; open tickets have no closed date.",
        ),
        Table(
            "customer_survey",
            "零售客户满意度调查",
            "retailer satisfaction survey",
            (
                _survey_meta[0],
                _c("customer_id", "string", "客户", "customer", references=("customers", "customer_id")),
                *_survey_meta[1:],
            ),
            key=("response_id",),
            item_columns="customer_survey",
        ),
        Table(
            "staff_survey",
            "员工党业融合调查",
            "staff integration survey",
            (
                _survey_meta[0],
                _c("staff_id", "string", "员工编号（化名）", "staff id (pseudonym)"),
                _c("unit_id", "string", "所在支部", "branch", references=("units", "unit_id")),
                *_survey_meta[1:],
            ),
            key=("response_id",),
            item_columns="staff_survey",
        ),
        Table(
            "member_points",
            "党员积分",
            "member points",
            (
                _c("member_id", "string", "党员", "member", references=("members", "member_id")),
                _c("period", "period", "季度", "quarter"),
                _c("dimension", "string", "积分维度", "dimension", vocabulary="points_dimension"),
                _c("points", "float", "积分", "points"),
            ),
            key=("member_id", "period", "dimension"),
        ),
        Table(
            "evaluations",
            "三亮三比三评",
            "360 evaluations",
            (
                _c("evaluation_id", "string", "评价编号", "evaluation id"),
                _c("member_id", "string", "被评党员", "member rated", references=("members", "member_id")),
                _c("rater_type", "string", "评价主体", "rater type", vocabulary="rater_type"),
                _c("rater_id", "string", "评价人（化名）", "rater (pseudonym)", nullable=True),
                _c("dimension", "string", "评价维度", "dimension", vocabulary="evaluation_dimension"),
                _c("score", "float", "评分", "score", min=0, max=100),
                _c("wave", "period", "波次", "wave"),
            ),
            key=("evaluation_id",),
        ),
        Table(
            "kpis",
            "考核指标",
            "key performance indicators",
            (
                _c("unit_id", "string", "单位", "unit", references=("units", "unit_id")),
                _c("period", "period", "季度", "quarter"),
                _c("metric", "string", "指标", "metric"),
                _c("value", "float", "数值", "value", nullable=True),
            ),
            key=("unit_id", "period", "metric"),
        ),
    )
}

#: Tables whose extra columns are codebook items of the named instrument.
SURVEY_TABLES = {name: t.item_columns for name, t in TABLES.items() if t.item_columns}

CODEBOOK = Table(
    "codebook",
    "编码手册",
    "codebook",
    (
        _c("item_id", "string", "题项编号", "item id"),
        _c("instrument", "string", "问卷", "instrument", vocabulary="instrument"),
        _c("scale", "string", "量表", "scale"),
        _c("text_zh", "string", "题干（中文）", "item text (Chinese)"),
        _c("text_en", "string", "题干（英文）", "item text (English)", nullable=True),
        _c("reverse", "bool", "反向计分", "reverse-coded"),
        _c("min", "int", "最小值", "minimum"),
        _c("max", "int", "最大值", "maximum"),
        _c("source_column", "string", "导出文件中的列", "column in survey exports", nullable=True),
        _c(
            "options",
            "string",
            "选项（编码=文本，以;分隔）",
            "options (code=text, ';'-separated)",
            nullable=True,
            required=False,
        ),
    ),
    key=("item_id",),
    notes="One row per survey item. min/max bound the Likert answers.",
)


def schema_frame(lang: str = "both") -> pd.DataFrame:
    """The whole schema as one tidy table (one row per column of each table).

    Columns: ``table, table_zh, column, dtype, required, nullable, key,
    allowed, references, text_zh, text_en``.

    >>> df = schema_frame()
    >>> df.loc[df.column == "category", "allowed"].iloc[0]
    'urgent (急) | difficult (难) | worry (愁) | expectation (盼)'
    """
    if lang not in ("zh", "en", "both"):
        raise ValueError(f"lang must be 'zh', 'en' or 'both', got {lang!r}")
    rows = []
    for table in [*TABLES.values(), CODEBOOK]:
        for col in table.columns:
            allowed = ""
            if col.vocabulary:
                allowed = " | ".join(
                    f"{v} ({zh})" if lang != "en" else v
                    for v, (zh, _en) in VOCABULARIES[col.vocabulary].items()
                )
            elif col.min is not None or col.max is not None:
                allowed = f"[{col.min if col.min is not None else '-inf'}, {col.max if col.max is not None else 'inf'}]"
            rows.append(
                {
                    "table": table.name,
                    "table_zh": table.text_zh,
                    "column": col.name,
                    "dtype": col.dtype,
                    "required": col.required,
                    "nullable": col.nullable,
                    "key": col.name in table.key,
                    "allowed": allowed,
                    "references": ".".join(col.references) if col.references else "",
                    "text_zh": col.text_zh,
                    "text_en": col.text_en,
                }
            )
    df = pd.DataFrame(rows)
    if lang == "zh":
        df = df.drop(columns="text_en")
    elif lang == "en":
        df = df.drop(columns=["text_zh", "table_zh"])
    return df
