"""An empty study to fill in: one Excel template per table, a codebook template and a README.

``fusion-study init DIR`` (:func:`write_template`) writes, for every table in
:data:`fusion_study.data.schema.TABLES` and for the codebook, an ``.xlsx``
file whose header row names each column bilingually, ``name（中文说明）``
(e.g. ``unit_id（单位编号）``), and holds one example row. The reader maps such a
header back to its column name (:func:`canonical_header`), so the untouched
template loads with :func:`fusion_study.data.study.load_study`.

Example rows are recognisable by their key: identifiers start with
``EXAMPLE-`` (codebook items with ``example_``). :func:`template_problems` lists
every example row still present and every required table that has no rows, so
``fusion-study validate`` tells what is still to be filled in.
"""

from __future__ import annotations

import datetime as _dt
import re
from pathlib import Path

import pandas as pd

from fusion_study.data.lazy import is_lazy
from fusion_study.data.schema import CODEBOOK, TABLES, Column, Table
from fusion_study.data.validation import PROBLEM_COLUMNS, ValidationReport
from fusion_study.data.xlsxio import write_xlsx_deterministic

__all__ = [
    "EXAMPLE_PREFIX",
    "TemplateFolderError",
    "header_label",
    "canonical_header",
    "template_frames",
    "write_template",
    "template_problems",
    "with_template_checks",
]

#: Identifiers of example rows start with this (case-insensitive): ``EXAMPLE-U1``, ``example_sat``.
EXAMPLE_PREFIX = "example"

_HEADER = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*[（(].*[)）]\s*$", re.DOTALL)


class TemplateFolderError(ValueError):
    """The folder a template is to be written to is not empty."""


def header_label(col: Column) -> str:
    """The bilingual header a template writes for a column.

    >>> header_label(TABLES["units"].column_map["unit_id"])
    'unit_id（单位编号）'
    """
    return f"{col.name}（{col.text_zh}）"


def canonical_header(header, spec: Table | None = None) -> str:
    """The column name behind a header: ``"unit_id（单位编号）"`` → ``"unit_id"``.

    A header ``name（…）`` or ``name (…)`` is read as ``name`` when ``name`` is a
    column of ``spec`` or ``spec`` is a survey table (whose extra columns are
    codebook items); any other header, and any header when ``spec`` is None, is
    only stripped of spaces.

    >>> canonical_header(" unit_id（单位编号） ", TABLES["units"])
    'unit_id'
    >>> canonical_header("text_zh（题干（中文））", CODEBOOK)
    'text_zh'
    >>> canonical_header("sat1 (总体满意度)", TABLES["customer_survey"])
    'sat1'
    >>> canonical_header("备注（自由填写）", TABLES["units"])
    '备注（自由填写）'
    """
    text = str(header).strip()
    m = _HEADER.match(text)
    if m is None:
        return text
    name = m.group(1)
    if spec is not None and (name in spec.column_map or spec.item_columns):
        return name
    return text


# ---------------------------------------------------------------------------
# The example rows (canonical column names; one row per table)
# ---------------------------------------------------------------------------
_D = _dt.datetime
_EXAMPLE_ROWS: dict[str, dict] = {
    "units": {"unit_id": "EXAMPLE-U1", "name": "示例单位（请替换）", "level": "city", "parent_id": None,
              "branch_kind": None},
    "customers": {"customer_id": "EXAMPLE-C1", "county_id": "EXAMPLE-U1", "branch_id": "EXAMPLE-U1",
                  "segment": "urban", "size_tier": "small"},
    "members": {"member_id": "EXAMPLE-M1", "branch_id": "EXAMPLE-U1", "role": "member",
                "position": "customer_manager", "joined_year": 2010},
    "interventions": {"unit_id": "EXAMPLE-U1", "intervention": "brand", "start_period": "2024Q1",
                      "end_period": None, "intensity": 1.0},
    "brands": {"branch_id": "EXAMPLE-U1", "brand_name": "示例品牌", "slogan": "示例口号",
               "launch_period": "2024Q1"},
    "activities": {"activity_id": "EXAMPLE-A1", "date": _D(2024, 3, 15), "team": "vanguard_team",
                   "kind": "visit", "customer_id": "EXAMPLE-C1", "member_id": "EXAMPLE-M1"},
    "tickets": {"ticket_id": "EXAMPLE-T1", "customer_id": "EXAMPLE-C1", "branch_id": "EXAMPLE-U1",
                "category": "urgent", "opened": _D(2024, 3, 1), "closed": _D(2024, 3, 8), "status": "resolved"},
    "customer_survey": {"response_id": "EXAMPLE-R1", "customer_id": "EXAMPLE-C1", "wave": "2024Q1",
                        "submitted": _D(2024, 3, 20, 10, 30), "duration_s": 300.0,
                        "example_qual1": 6, "example_sat": 9},  # text answers are kept apart (free text)
    "staff_survey": {"response_id": "EXAMPLE-R2", "staff_id": "EXAMPLE-P1", "unit_id": "EXAMPLE-U1",
                     "wave": "2024Q1", "submitted": _D(2024, 3, 20, 14, 0), "duration_s": 420.0},
    "member_points": {"member_id": "EXAMPLE-M1", "period": "2024Q1", "dimension": "duty", "points": 10.0},
    "evaluations": {"evaluation_id": "EXAMPLE-E1", "member_id": "EXAMPLE-M1", "rater_type": "customer",
                    "rater_id": "EXAMPLE-P2", "dimension": "attitude", "score": 90.0, "wave": "2024Q1"},
    "kpis": {"unit_id": "EXAMPLE-U1", "period": "2024Q1", "metric": "示例指标（请替换）", "value": 1.0},
}

_LIKERT7 = "1=非常不同意;2=不同意;3=比较不同意;4=一般;5=比较同意;6=同意;7=非常同意"
#: Codebook examples: a Likert item, a single-item overall satisfaction (总体满意度), a text question.
_EXAMPLE_CODEBOOK = [
    {"item_id": "example_qual1", "instrument": "customer_survey", "scale": "quality",
     "text_zh": "客户经理服务态度热情周到", "text_en": "The customer manager is friendly and attentive",
     "reverse": False, "min": 1, "max": 7, "source_column": "3(服务态度)", "options": _LIKERT7},
    {"item_id": "example_sat", "instrument": "customer_survey", "scale": "satisfaction",
     "text_zh": "总体满意度：总体而言，您对烟草公司的服务满意程度（1-10分）",
     "text_en": "Overall satisfaction with the service (1-10)", "reverse": False, "min": 1, "max": 10,
     "source_column": "5", "options": ";".join(f"{k}={k}分" for k in range(1, 11))},
    {"item_id": "example_comment", "instrument": "customer_survey", "scale": "text",
     "text_zh": "意见和建议：您对我们的服务还有哪些意见和建议？", "text_en": "Comments and suggestions",
     "reverse": False, "min": None, "max": None, "source_column": "8", "options": None},
]


def _frame(spec: Table, row: dict) -> pd.DataFrame:
    extra = [k for k in row if k not in spec.column_map]
    if extra and not spec.item_columns:  # pragma: no cover - guards the declarations above
        raise ValueError(f"example row of {spec.name} has unknown columns {extra}")
    missing = [c.name for c in spec.columns if c.name not in row]
    if missing:  # pragma: no cover - a new schema column needs an example value
        raise ValueError(f"example row of {spec.name} lacks columns {missing}; add them to _EXAMPLE_ROWS")
    return pd.DataFrame([row], columns=[*spec.column_names, *extra])


def template_frames() -> dict[str, pd.DataFrame]:
    """The template tables with canonical column names: one example row each, plus ``"codebook"``.

    Every table of :data:`~fusion_study.data.schema.TABLES` appears, in schema order,
    with all its declared columns (``customer_survey`` also has the example items'
    columns); ``"codebook"`` has the three example items.
    """
    frames = {name: _frame(spec, _EXAMPLE_ROWS[name]) for name, spec in TABLES.items()}
    cb = pd.DataFrame(_EXAMPLE_CODEBOOK, columns=CODEBOOK.column_names)
    frames["codebook"] = cb
    return frames


def _labelled(df: pd.DataFrame, spec: Table, codebook: pd.DataFrame) -> pd.DataFrame:
    texts = dict(zip(codebook["item_id"], codebook["text_zh"].str.split("：").str[0]))
    labels = []
    for c in df.columns:
        if c in spec.column_map:
            labels.append(header_label(spec.column_map[c]))
        else:  # a survey item: its short Chinese text
            labels.append(f"{c}（{texts.get(c, c)}）")
    return df.set_axis(labels, axis=1)


def write_template(folder: str | Path) -> list[Path]:
    """Write an empty study folder to fill in; return the files written.

    Writes ``<table>.xlsx`` for every canonical table, ``codebook.xlsx`` and
    ``README.md`` (Chinese, with an English part). ``folder`` may exist only if
    it is empty. The same call writes the same bytes every time.

    Raises
    ------
    TemplateFolderError
        ``folder`` exists and is not empty (nothing is overwritten).
    """
    out = Path(folder)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        what = "is a file" if not out.is_dir() else "is not empty"
        raise TemplateFolderError(
            f"{out} {what}; `fusion-study init` writes a new study only into a new or empty folder "
            "and never overwrites files. Choose another folder name (目标文件夹非空，请换一个新文件夹)."
        )
    out.mkdir(parents=True, exist_ok=True)
    frames = template_frames()
    codebook = frames["codebook"]
    written = []
    for name, df in frames.items():
        spec = CODEBOOK if name == "codebook" else TABLES[name]
        path = out / f"{name}.xlsx"
        write_xlsx_deterministic(_labelled(df, spec, codebook), path, sheet_name=name, literal_text=True)
        written.append(path)
    readme = out / "README.md"
    readme.write_text(_readme(out.name), encoding="utf-8")
    written.append(readme)
    return written


def _readme(name: str) -> str:
    tables = "\n".join(
        f"| `{t.name}.xlsx` | {t.text_zh} | {t.text_en} | {'必填 required' if t.required else ''} |"
        for t in TABLES.values()
    )
    return f"""# 研究数据文件夹 {name}

由 `fusion-study init` 生成。每张表一个 Excel 文件；第一行是表头，写成「英文列名（中文说明）」，
例如 `unit_id（单位编号）`。**表头不要改**（可以删掉不需要的可选列）；从第二行起每行一条记录。

## 怎么填

1. 每个文件里都有一行示例（编号以 `EXAMPLE-` 开头，题项编号以 `example_` 开头）。
   请用自己的数据替换它，或者删掉它。
2. 先填 `units.xlsx`（组织单位：市局 city → 县区局 county → 党支部 branch，`parent_id` 写上级单位编号），
   其他表用这里的编号互相引用（客户、党员、干预措施……）。
3. 取值有固定清单的列（如 `level`、`segment`、`intervention`），只能填清单里的英文代码；
   季度写成 `2024Q1`，日期写成 `2024-03-31`。所有列的含义和允许取值：`fusion-study codebook`。
4. 不收集的表可以整个删掉；`units` 必须有。
5. `codebook.xlsx` 是问卷的编码手册，每个题项一行：`min`/`max` 是量表的最小、最大值，
   `options` 写成 `1=非常不满意;2=不满意;…`，`source_column` 是问卷星导出文件中的题号（如 `3(服务态度)`）。
   示例有三种题：李克特量表题、单题总体满意度（总体满意度）、文本题（意见和建议，scale 写 `text`，min/max/options 留空）。
   文本题的回答不放进 `customer_survey`：导入时单独保存（个人信息已遮蔽，`--free-text 文件`）。
6. 检查：`fusion-study validate {name}` 会列出所有问题，包括还没替换的示例行和还是空的必填表。

## 导入问卷星数据

在问卷星「下载答卷数据」中选择「按序号下载」或「按文本下载」（Excel），然后：

```
fusion-study import-survey 问卷星导出.xlsx --codebook {name}/codebook.xlsx --study {name}
```

员工问卷加 `--instrument staff_survey`。导入会去掉姓名、电话、IP 等个人信息，
筛除答题过快、连续同一选项等无效答卷，并把原因记在 `ledger.csv`。

| 文件 | 表 | table | |
|---|---|---|---|
{tables}
| `codebook.xlsx` | {CODEBOOK.text_zh} | {CODEBOOK.text_en} | |

## English

Made by `fusion-study init`. One Excel file per table; row 1 is the header, written as
`column_name（Chinese description）` — keep it as it is. Each file has one example row (ids start with
`EXAMPLE-`, codebook item ids with `example_`): replace or delete it. Fill `units.xlsx` first (city →
county → branch); closed lists take the English codes shown by `fusion-study codebook`; quarters are
`2024Q1`, dates `2024-03-31`. Delete the files of tables you do not collect (`units` is required).
`codebook.xlsx` lists the survey items (a Likert item, a single-item overall satisfaction 总体满意度
and a text question 意见和建议 as examples). Check with `fusion-study validate {name}`; import a
问卷星 (Wenjuanxing) export with
`fusion-study import-survey EXPORT.xlsx --codebook {name}/codebook.xlsx --study {name}`.
"""


# ---------------------------------------------------------------------------
# What is still to be filled in
# ---------------------------------------------------------------------------
def _is_example(s: pd.Series) -> pd.Series:
    return s.astype("string").str.strip().str.lower().str.startswith(EXAMPLE_PREFIX).fillna(False).astype(bool)


def _sql_name(column: str) -> str:
    return '"' + column.replace('"', '""') + '"'


def template_problems(study) -> pd.DataFrame:
    """Example rows still present and required tables without rows, as validation problems.

    Returns the columns of a validation report (``severity, table, file, row,
    column, value, rule, message``) with rules ``example_row`` (one per example
    row, naming its key) and ``empty_table`` (a required table with no rows);
    both are errors.
    """
    parts = []
    frames = dict(study.tables)
    if study.codebook is not None:
        frames["codebook"] = study.codebook
    for name, df in frames.items():
        spec = CODEBOOK if name == "codebook" else TABLES[name]
        key = [k for k in spec.key if k in df.columns]
        if not key or df.empty:
            continue
        if is_lazy(df):  # only the example rows leave DuckDB
            cond = " OR ".join(f"starts_with(lower(trim(CAST({_sql_name(k)} AS VARCHAR))), '{EXAMPLE_PREFIX}')"
                               for k in key)
            df = df.to_pandas(columns=key, where=cond, source=True)
            if df.empty:
                continue
        mask = pd.concat([_is_example(df[k]) for k in key], axis=1).any(axis=1)
        if not mask.any():
            continue
        values = df.loc[mask, key].astype("string").fillna("").agg(" / ".join, axis=1)
        rows = df.loc[mask, "_source_row"].to_numpy() if "_source_row" in df else df.index[mask].to_numpy()
        file = df.loc[mask, "_source_file"].to_numpy() if "_source_file" in df else study.files.get(name, "")
        parts.append(pd.DataFrame({
            "severity": "error", "table": name, "file": file,
            "row": rows, "column": ",".join(key), "value": values.to_numpy(),
            "rule": "example_row",
            "message": "an example row from `fusion-study init`: replace it with your data or delete it "
                       "(示例行，请替换或删除)",
        }))
    for name, spec in TABLES.items():
        if spec.required and name in study.tables and study.tables[name].empty:
            parts.append(pd.DataFrame({
                "severity": ["error"], "table": [name], "file": [study.files.get(name, "")], "row": [pd.NA],
                "column": [""], "value": [""], "rule": ["empty_table"],
                "message": [f"{name} ({spec.text_zh}) is required but has no rows yet; fill it in (必填表还是空的)"],
            }))
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in PROBLEM_COLUMNS})
    out = pd.concat(parts, ignore_index=True)
    out["row"] = out["row"].astype("Int64")
    return out[PROBLEM_COLUMNS]


def with_template_checks(study, report: ValidationReport) -> ValidationReport:
    """``report`` with :func:`template_problems` in front (unchanged when there are none)."""
    extra = template_problems(study)
    if extra.empty:
        return report
    return ValidationReport(pd.concat([extra, report.to_frame()], ignore_index=True))
