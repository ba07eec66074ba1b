# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 01 · Importing survey data (问卷星导出数据的导入与清洗)
#
# Retailer satisfaction surveys (零售客户满意度调查) are usually collected with **问卷星 (Wenjuanxing)**
# and downloaded as an Excel file. Before any analysis, that file has to become a clean table:
#
# 1. every column is matched to an item of the **codebook (编码手册)** — nothing is guessed;
# 2. answers written as text (按文本导出) are turned back into numbers through the codebook;
# 3. personal data (IP addresses, names, phone numbers) is removed;
# 4. doubtful responses are **screened**: people who answered far too fast (speeders, 答题过快),
#    gave the same answer to every item of a grid (straight-liners, 规律作答), submitted twice
#    (duplicates, 重复提交), or gave impossible answers (out of range, 超出范围);
# 5. every response that is set aside is written in the **ledger (剔除台账)** with its row number in the
#    original file and the reason, so that *rows read = rows kept + rows excluded*.
#
# The notebook runs on the study named in the next cell (by default the bundled example study). It imports
# the first export in the study folder's `exports/` sub-folder with the study's codebook; a study without
# an `exports/` folder is shown the example's exports instead.

# %% tags=["parameters"]
STUDY = None  # a study folder; None: the bundled example study
LANG = "zh"
SEED = 20240101
OUT = "out"  # this notebook's output folder

# %%
import shutil
from pathlib import Path

import pandas as pd

from fusion_study.data.paths import example_study_path
from fusion_study.data.privacy import mask_pii_text
from fusion_study.data.study import load_study
from fusion_study.ingest import add_to_study, import_survey
from fusion_study.reporting.notebook import notebook_setup, plain_warnings

rng = notebook_setup(seed=SEED, lang=LANG)
STUDY = str(example_study_path()) if STUDY is None else STUDY
study = load_study(STUDY)

# %% [markdown]
# ## The export and the codebook
#
# A study folder keeps the files downloaded from 问卷星 in `exports/`, untouched (raw data is read-only).
# The codebook says which question number (`source_column`) holds which item and what the answer codes mean.

# %%
exports = Path(STUDY) / "exports"
source = Path(STUDY)
if not exports.is_dir():
    source = example_study_path()
    exports = source / "exports"
    print("本研究文件夹没有 exports/，下面用示例研究的导出文件演示。" if LANG == "zh" else
          "The study folder has no exports/ folder, so the example study's exports are shown.")
files = sorted(p for p in exports.iterdir() if p.suffix.lower() in (".xlsx", ".csv", ".sav", ".parquet"))
codebook = load_study(source).codebook
export = files[0] if files and codebook is not None else None
if export is None:
    print("没有可导入的导出文件或码本（codebook），本笔记本到此为止。" if LANG == "zh" else
          "There is no export or no codebook to import with; the rest of this notebook is skipped.")
else:
    instrument = "staff_survey" if any(k in export.name.lower() for k in ("staff", "员工")) else "customer_survey"
    print(f"{len(files)} export file(s) in {exports.name}/; importing {export.name} as {instrument}")
    items = codebook[codebook["instrument"] == instrument]
    display(items[["item_id", "scale", "text_zh", "min", "max", "source_column"]].head(8))

# %% [markdown]
# ## Import
#
# One call reads the file, matches columns to the codebook, converts option text to codes, removes personal
# data and screens the responses. The summary says what happened, in numbers; anything the import could not
# match or read is listed there and in the validation report below, never guessed.

# %%
result = None
if export is not None:
    with plain_warnings(lang=LANG):
        result = import_survey(export, codebook, instrument=instrument)
    print(result)

# %% [markdown]
# The first rows of the file as 问卷星 wrote it (only the columns the import matched; personal data, free
# text and unmatched columns are not shown): the meta columns 序号, 提交答卷时间, 所用时间 (e.g. `253秒`), 来源, 来源详情, then one column
# per question, matrix questions split into sub-columns such as `3、(服务态度)`.

# %%
if result is not None and export.suffix.lower() == ".xlsx":
    shown = set(result.mapping.loc[result.mapping["role"].isin(["meta", "respondent", "item"]), "column"].dropna())
    preview = pd.read_excel(export, nrows=3)
    display(preview[[c for c in preview.columns if c in shown]].iloc[:, :9])

# %% [markdown]
# ### How the columns were matched (列与题项的对应)
#
# Each column of the export has a role. `item` columns feed the analysis; `pii` columns (personal data)
# are dropped; meta columns give the submission time and duration. A column that matched no codebook
# item, or an item with no column, is listed here.

# %%
if result is not None:
    display(result.mapping["role"].value_counts().rename("columns").to_frame())
    display(result.mapping[result.mapping["role"] != "item"])

# %% [markdown]
# ### The ledger (剔除台账)
#
# Every response set aside, with the row number you would see in Excel and the reason.
# Screening rules: answering in less than 30 % of the median time (speeder), identical answers to all items
# of a grid of at least four items (straight-liner), a second submission by the same respondent in the same
# quarter (the first one is kept), and answers outside the codebook's range.

# %%
if result is not None:
    ledger = result.ledger.to_frame()
    excluded = len(result.ledger.excluded_rows(result.table))
    share = excluded / result.rows_read
    if LANG == "zh":
        print(f"共读入 {result.rows_read} 份答卷，保留 {len(result.responses)} 份，剔除 {excluded} 份（{share:.1%}）。")
    else:
        print(f"{result.rows_read} responses read, {len(result.responses)} kept, {excluded} excluded ({share:.1%}).")
    if len(ledger):
        display(ledger[["source_row", "rule", "action", "detail"]].groupby("rule").head(3))
        display(result.ledger.summary())

# %% [markdown]
# The balance check: rows read = rows kept + rows excluded.

# %%
if result is not None:
    display(result.ledger.balance({result.table: result.responses}))

# %% [markdown]
# ### The validation report (校验报告)
#
# The kept responses are checked against the schema and the codebook (required values, answers within
# each item's range, unique response ids …). Problems here name the file, row, column and value.

# %%
if result is not None:
    print(result.problems)

# %% [markdown]
# ### Free text, with personal data masked
#
# Open questions (意见和建议) are kept apart from the numbers, and phone numbers, ID-card numbers and names
# in them are replaced before anything is stored. Which questions are free text comes from the codebook
# (questions without min, max and options) or from `import_survey(..., text_columns=["8"])`.

# %%
if result is not None:
    free = result.free_text
    answered = free.drop(columns="response_id").notna().any(axis=1) if len(free.columns) > 1 else []
    if len(free.columns) > 1 and answered.any():
        display(free[answered].head(8))
    else:
        print("这份导出文件没有保留开放题（文本题）的回答。下面演示同样的遮蔽规则：" if LANG == "zh" else
              "This export has no free-text answers kept. The same masking rules, on made-up text:")
        demo = pd.Series(["希望送货时间提前，有事请打13900001111", "感谢张师傅送货及时", "身份证360302 19880512 341X"])
        display(pd.DataFrame({"answer": demo, "masked": mask_pii_text(demo)}))

# %% [markdown]
# ### Keep and flag instead of excluding
#
# Some teams prefer to keep doubtful responses and decide later. With `policy="flag"` nothing is removed
# (except responses with no respondent id); each rule becomes a yes/no column.

# %%
if result is not None:
    with plain_warnings(lang=LANG):
        flagged = import_survey(export, codebook, instrument=instrument, policy="flag")
    flag_columns = [c for c in flagged.responses.columns if c.startswith("flag_")]
    if flag_columns:
        display(flagged.responses[flag_columns].sum().rename("responses flagged").to_frame())
    else:
        print("没有答卷被任何筛查规则标记。" if LANG == "zh" else "No response was flagged by any screening rule.")

# %% [markdown]
# ## Adding the responses to a study folder
#
# `add_to_study` appends the kept responses to a study's survey table, merges the ledger and saves the
# folder. Here it writes a new study in this notebook's output folder (`OUT`), so the study you started from
# is never changed. The same step is available on the command line:
#
# ```
# fusion-study import-survey 2024Q1零售客户满意度调查_按文本.xlsx --codebook codebook.csv --study my_study
# ```

# %%
if result is not None:
    target = Path(OUT) / "imported_study"
    shutil.rmtree(target, ignore_errors=True)  # this notebook's own output, rebuilt on every run
    add_to_study(result, target, codebook)
    reloaded = load_study(target)
    display(reloaded.summary()[["table", "table_zh", "rows"]])
    display(reloaded.ledger.balance(reloaded.tables))

# %% [markdown]
# No column of the saved table holds an IP address, a name or a phone number:

# %%
if result is not None:
    print(list(reloaded.tables[result.table].columns))
