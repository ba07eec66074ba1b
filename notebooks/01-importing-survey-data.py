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

# %%
from fusion_study.reporting.notebook import notebook_setup

rng = notebook_setup(seed=20240101)

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
# This notebook walks through that on one quarter of the bundled example study.

# %%
import tempfile
from pathlib import Path

import pandas as pd

from fusion_study.ingest import add_to_study, import_survey, write_wenjuanxing_export
from fusion_study.data.instruments import standard_codebook
from fusion_study.data.paths import example_study_path
from fusion_study.data.study import load_study

codebook = standard_codebook()
example = load_study(example_study_path())
answers = example.customer_survey[example.customer_survey["wave"] == "2024Q1"].reset_index(drop=True)
print(f"{len(answers)} retailer responses in 2024Q1, {codebook.instrument.eq('customer_survey').sum()} items each")

# %% [markdown]
# ## A realistic 问卷星 export
#
# We write these answers the way 问卷星 exports them *by option text* (按文本): one column per question,
# matrix questions split into sub-columns such as `3、(服务态度)`, and the meta columns 序号, 提交答卷时间,
# 所用时间 (e.g. `253秒`), 来源, 来源详情 and 来自IP. To make it realistic we add what real exports contain:
# one retailer who submitted twice, one impossible score (11 on the 1–10 satisfaction scale, as happens
# when an old paper questionnaire is keyed in), and an open comment question (8、意见和建议) in which two
# respondents left a phone number.

# %%
duplicate = answers.iloc[[17]].assign(submitted=answers.loc[17, "submitted"] + pd.Timedelta(hours=2))
raw_answers = pd.concat([answers, duplicate], ignore_index=True)
raw_answers.loc[60, "sat1"] = 11
comments = [""] * len(raw_answers)
comments[3] = "希望送货时间提前，有事请打13812345678"
comments[42] = "客户经理服务很好"
comments[120] = "联系电话 15900001111，想了解新品政策"

folder = Path(tempfile.mkdtemp())
export = write_wenjuanxing_export(
    raw_answers,
    codebook,
    folder / "2024Q1零售客户满意度调查_按文本.xlsx",
    flavour="text",
    extra_columns={"8、您对我们的服务还有什么意见和建议": comments},
)
preview = pd.read_excel(export)
preview.iloc[:3, [0, 1, 2, 6, 7, 10, 17]]

# %% [markdown]
# ## Import
#
# One call reads the file, matches columns to the codebook, converts option text to codes, removes personal
# data and screens the responses. We tell it which question holds free text worth keeping (question 8);
# phone numbers in it are masked. The summary says what happened, in numbers.

# %%
result = import_survey(export, codebook, text_columns=["8"])
print(result)

# %% [markdown]
# ### How the columns were matched (列与题项的对应)
#
# Each column of the export has a role. `item` columns feed the analysis; `pii` columns (personal data)
# are dropped; meta columns give the submission time and duration. A column that matched no codebook
# item, or an item with no column, would be listed here and in the problems below — never guessed.

# %%
result.mapping["role"].value_counts()

# %%
result.mapping[result.mapping["role"] != "item"]

# %% [markdown]
# ### The ledger (剔除台账)
#
# Every response set aside, with the row number you would see in Excel and the reason.
# Screening rules: answering in less than 30 % of the median time (speeder), identical answers to all four
# items of the service-quality grid (straight-liner; one of those items is worded negatively, so identical
# answers contradict each other), a second submission by the same retailer in the same quarter
# (the first one is kept), and answers outside the codebook's range.

# %%
ledger = result.ledger.to_frame()
ledger[["source_row", "rule", "action", "detail"]].groupby("rule").head(3)

# %%
result.ledger.summary()

# %% [markdown]
# The balance check: rows read = rows kept + rows excluded.

# %%
result.ledger.balance({"customer_survey": result.responses})

# %% [markdown]
# ### The validation report (校验报告)
#
# The kept responses are checked against the schema and the codebook (required values, answers within
# each item's range, unique response ids …). Warnings here would name the file, row, column and value.

# %%
print(result.problems)

# %% [markdown]
# ### Free text, with personal data masked
#
# Phone and ID-card numbers in open answers are replaced before anything is stored.

# %%
free = result.free_text
free[free.iloc[:, 1].fillna("").str.len() > 0]

# %% [markdown]
# ### Keep and flag instead of excluding
#
# Some teams prefer to keep doubtful responses and decide later. With `policy="flag"` nothing is removed
# (except responses with no retailer id); each rule becomes a yes/no column.

# %%
flagged = import_survey(export, codebook, policy="flag")
flag_columns = [c for c in flagged.responses.columns if c.startswith("flag_")]
flagged.responses[flag_columns].sum().rename("responses flagged").to_frame()

# %% [markdown]
# ## Adding the responses to a study folder
#
# `add_to_study` appends the kept responses to the study's `customer_survey` table, merges the ledger and
# saves the folder. The same step is available on the command line:
#
# ```
# fusion-study import-survey 2024Q1零售客户满意度调查_按文本.xlsx --codebook codebook.csv --study my_study
# ```

# %%
study = add_to_study(result, folder / "my_study", codebook)
reloaded = load_study(folder / "my_study")
reloaded.summary()[["table", "table_zh", "rows"]]

# %%
reloaded.ledger.balance(reloaded.tables)

# %% [markdown]
# No column of the saved table holds an IP address, a name or a phone number:

# %%
list(reloaded.customer_survey.columns)
