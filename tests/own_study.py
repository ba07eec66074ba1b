"""Hand-made inputs of a user's own study (issue 13), written without the simulator.

:func:`write_one_wave_inputs` writes what a retailer-satisfaction project has on day one:
a 问卷星 按文本 export of ONE survey wave (``.xlsx``, headers as 问卷星 writes them:
``序号, 提交答卷时间, 所用时间, 来源, 来源详情, 来自IP, 1、您的零售客户编码``, matrix rows
``5、(服务质量)—客户经理态度``, a single item ``9、总体满意度``, a two-item scale, a free-text
question with a name and a phone number typed in), the codebook as the user writes it
(the id and text questions listed, with no min/max/options), and ``units.csv`` /
``customers.csv`` for 3 counties and 6 branches.

:func:`write_multi_wave_study` writes a study folder directly: the same organisation, three
survey waves, no interventions table.

Answers come from a small seeded latent-trait recipe written here (a satisfied retailer answers
higher on every item), so that scales have ordinary reliabilities; nothing else is modelled.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import Workbook

__all__ = [
    "UNITS",
    "CUSTOMERS",
    "PII",
    "SPEEDER_ROW",
    "STRAIGHT_ROW",
    "N_RESPONDENTS",
    "user_codebook",
    "export_frame",
    "write_xlsx",
    "write_org_tables",
    "write_one_wave_inputs",
    "write_multi_wave_study",
]

# --- the organisation: 1 city, 3 counties, 6 branches --------------------------------------------

UNITS = pd.DataFrame(
    {
        "unit_id": ["SR", "XZ", "GF", "YS", "XZ-YX", "XZ-ZM", "GF-YX", "GF-WL", "YS-YX", "YS-ZM"],
        "name": ["上饶市局", "信州区局", "广丰区局", "玉山县局", "信州营销党支部", "信州专卖党支部",
                 "广丰营销党支部", "广丰物流党支部", "玉山营销党支部", "玉山专卖党支部"],
        "level": ["city", "county", "county", "county", "branch", "branch", "branch", "branch", "branch",
                  "branch"],
        "parent_id": [None, "SR", "SR", "SR", "XZ", "XZ", "GF", "GF", "YS", "YS"],
        "branch_kind": [None, None, None, None, "marketing", "monopoly", "marketing", "logistics",
                        "marketing", "monopoly"],
    }
)
_BRANCHES = UNITS.loc[UNITS["level"] == "branch", ["unit_id", "parent_id"]].to_numpy()

N_CUSTOMERS = 60


def _customers() -> pd.DataFrame:
    rows = []
    for i in range(N_CUSTOMERS):
        branch, county = _BRANCHES[i % len(_BRANCHES)]
        rows.append({
            "customer_id": f"3611021{i + 1:05d}",  # a 12-digit 零售客户编码 (licence-style code)
            "county_id": county,
            "branch_id": branch,
            "segment": ("urban", "rural", "modern_terminal")[i % 3 if i % 5 else 0],
            "size_tier": ("small", "medium", "large", None)[i % 4],
        })
    return pd.DataFrame(rows)


CUSTOMERS = _customers()

# --- the questionnaire ------------------------------------------------------------------------------

_AGREE = ["非常不同意", "不同意", "一般", "同意", "非常同意"]
_SATIS = ["非常不满意", "不满意", "一般", "满意", "非常满意"]
_OPTIONS_AGREE = ";".join(f"{i + 1}={t}" for i, t in enumerate(_AGREE))
_OPTIONS_SATIS = ";".join(f"{i + 1}={t}" for i, t in enumerate(_SATIS))

#: (question number, matrix title or None, row label / question text, item_id, scale, options)
QUESTIONS = [
    (2, "货源供应", "品规丰富", "sup1", "supply", _OPTIONS_SATIS),
    (2, "货源供应", "货源分配公平", "sup2", "supply", _OPTIONS_SATIS),
    (2, "货源供应", "订货便捷", "sup3", "supply", _OPTIONS_SATIS),
    (3, None, "我愿意长期经营烟草公司供应的卷烟", "dep1", "dependence", _OPTIONS_AGREE),
    (4, None, "我会向其他零售户推荐烟草公司的服务", "dep2", "dependence", _OPTIONS_AGREE),
    (5, "服务质量", "客户经理态度", "svc1", "service", _OPTIONS_SATIS),
    (5, "服务质量", "拜访及时", "svc2", "service", _OPTIONS_SATIS),
    (5, "服务质量", "问题解决", "svc3", "service", _OPTIONS_SATIS),
    (5, "服务质量", "政策宣传", "svc4", "service", _OPTIONS_SATIS),
    (6, "党员服务", "党员亮身份", "pty1", "party_service", _OPTIONS_AGREE),
    (6, "党员服务", "党员带头解决问题", "pty2", "party_service", _OPTIONS_AGREE),
    (6, "党员服务", "支部活动对经营有帮助", "pty3", "party_service", _OPTIONS_AGREE),
    (9, None, "总体满意度", "sat", "satisfaction", _OPTIONS_SATIS),
]
#: background questions the user does not score (not in the codebook: reported, then dropped)
BACKGROUND = {"7、您的门店位于": ["城区", "乡镇", "农村"], "8、您经营卷烟的年限": ["3年以下", "3-10年", "10年以上"]}
ID_HEADER = "1、您的零售客户编码"
ADVICE_HEADER = "10、您的意见和建议"

# personal data typed into the free-text question (and the IP column): none may reach any output
NAME, MOBILE, LANDLINE, IP = "刘德明", "13907931234", "0793-8201234", "117.41.22.135"
PII = [NAME, "陈国强", MOBILE, "139 0793 1234", LANDLINE, "8201234", IP, "117.41.22."]
_ADVICE = [
    f"客户经理{NAME}态度很好，经常来店里",
    "希望紧俏品规多分一点",
    "",
    f"有问题请打我电话{MOBILE}",
    "送货员陈国强很负责",
    "订货系统有时候打不开",
    f"座机{LANDLINE}，手机139 0793 1234",
    "无",
]

N_RESPONDENTS = 40
#: spreadsheet rows (header = row 1) of the speeder and of the straight-liner
SPEEDER_ROW, STRAIGHT_ROW = 8, 15


def _header(q) -> str:
    number, title, text = q[0], q[1], q[2]
    return f"{number}、({title})—{text}" if title else f"{number}、{text}"


def user_codebook() -> pd.DataFrame:
    """The codebook as a user writes it: every question listed, matrix rows by their question number."""
    rows = [dict(item_id="retailer_code", instrument="customer_survey", scale="", text_zh="您的零售客户编码",
                 text_en="", reverse="", min=None, max=None, source_column="1", options="")]
    for number, title, text, item_id, scale, options in QUESTIONS:
        # matrix rows: question 5 as the docs' example codebook writes it, "5(客户经理态度)";
        # the others by question number alone (their rows are matched by label)
        source = f"{number}({text})" if scale == "service" else str(number)
        rows.append(dict(item_id=item_id, instrument="customer_survey", scale=scale, text_zh=text, text_en="",
                         reverse=False, min=1, max=5, source_column=source, options=options))
    rows.append(dict(item_id="advice", instrument="customer_survey", scale="", text_zh="您的意见和建议", text_en="",
                     reverse="", min=None, max=None, source_column="10", options=""))
    return pd.DataFrame(rows)


def _answers(rng: np.random.Generator, n: int, shift: float = 0.0) -> np.ndarray:
    """Answers 1..5, one column per scored question: a latent satisfaction plus scale and item noise."""
    scales = sorted({q[4] for q in QUESTIONS})
    z = rng.normal(shift, 1.0, n)
    by_scale = {s: 0.8 * z + 0.6 * rng.normal(0, 1, n) for s in scales}
    cols = [np.clip(np.rint(3.4 + 0.9 * by_scale[q[4]] + 0.5 * rng.normal(0, 1, n)), 1, 5) for q in QUESTIONS]
    out = np.column_stack(cols).astype(int)
    # nobody straight-lines the 4-row matrix by accident: move its last row one step
    svc = [j for j, q in enumerate(QUESTIONS) if q[4] == "service"]
    same = (out[:, svc] == out[:, svc[:1]]).all(axis=1)
    out[same, svc[-1]] += np.where(out[same, svc[-1]] < 5, 1, -1)
    return out


def export_frame(*, n: int = N_RESPONDENTS, seed: int = 13, month: int = 3) -> pd.DataFrame:
    """A 问卷星 按文本 export of one wave (2024, ``month``): one row per submission, text answers."""
    rng = np.random.default_rng(seed)
    codes = rng.choice(CUSTOMERS["customer_id"].to_numpy(), size=n, replace=False)
    answers = _answers(rng, n)
    seconds = rng.integers(180, 420, n)
    speeder, straight = SPEEDER_ROW - 2, STRAIGHT_ROW - 2
    seconds[speeder] = 41
    answers[straight] = 4  # 满意/同意 on every question
    rows = []
    for i in range(n):
        row = {
            "序号": i + 1,
            "提交答卷时间": f"2024/{month}/{1 + i % 28} {8 + i % 10}:{(7 * i) % 60:02d}:{(13 * i) % 60:02d}",
            "所用时间": f"{seconds[i]}秒",
            "来源": "微信" if i % 3 else "手机提交",
            "来源详情": "直接访问" if i % 3 else "N/A",
            "来自IP": f"{IP}(江西-上饶)" if i == 0 else f"117.41.22.{10 + i}(江西-上饶)",
            ID_HEADER: str(codes[i]),
        }
        for q, a in zip(QUESTIONS, answers[i]):
            labels = _AGREE if q[5] == _OPTIONS_AGREE else _SATIS
            row[_header(q)] = labels[a - 1]
        for j, (header, choices) in enumerate(BACKGROUND.items()):
            row[header] = choices[(i + j) % len(choices)]
        row[ADVICE_HEADER] = _ADVICE[i % len(_ADVICE)] or "(空)"
        rows.append(row)
    order = ["序号", "提交答卷时间", "所用时间", "来源", "来源详情", "来自IP", ID_HEADER]
    order += [_header(q) for q in QUESTIONS if q[0] < 7] + list(BACKGROUND)
    order += [_header(q) for q in QUESTIONS if q[0] >= 7] + [ADVICE_HEADER]
    return pd.DataFrame(rows)[order]


def write_xlsx(frame: pd.DataFrame, path: Path) -> Path:
    """As 问卷星 writes it: one sheet, text cells stored as text, 序号 as a number."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    ws.append(list(frame.columns))
    for values in frame.itertuples(index=False):
        ws.append([v.item() if hasattr(v, "item") else v for v in values])
    wb.save(path)
    return Path(path)


def write_org_tables(folder: Path) -> Path:
    """``units.csv`` and ``customers.csv`` as a user exports them from a spreadsheet (UTF-8 with BOM)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    UNITS.to_csv(folder / "units.csv", index=False, encoding="utf-8-sig")
    CUSTOMERS.to_csv(folder / "customers.csv", index=False, encoding="utf-8-sig")
    return folder


def write_one_wave_inputs(root: Path) -> dict[str, Path]:
    """Write the export, the codebook and a study folder holding units and customers.

    Returns ``{"export", "codebook", "study"}`` paths (the study folder has no survey yet).
    """
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    export = write_xlsx(export_frame(), root / "2024Q1零售客户满意度调查.xlsx")
    codebook = root / "codebook.csv"
    user_codebook().to_csv(codebook, index=False, encoding="utf-8-sig")
    study = write_org_tables(root / "my_study")
    return {"export": export, "codebook": codebook, "study": study}


def write_multi_wave_study(folder: Path, *, waves=("2023Q3", "2023Q4", "2024Q1"), n_per_wave: int = 40,
                           seed: int = 31) -> Path:
    """A study folder written directly: units, customers, three survey waves, a codebook; no interventions.

    Each wave is answered by ``n_per_wave`` retailers drawn from the population (many answer
    several waves), satisfaction drifting up a little from wave to wave.
    """
    folder = write_org_tables(folder)
    rng = np.random.default_rng(seed)
    items = [q[3] for q in QUESTIONS]
    parts = []
    for w, wave in enumerate(waves):
        year, quarter = int(wave[:4]), int(wave[-1])
        codes = rng.choice(CUSTOMERS["customer_id"].to_numpy(), size=n_per_wave, replace=False)
        day = pd.Timestamp(year=year, month=3 * quarter - 1, day=3)
        part = pd.DataFrame({
            "response_id": [f"CS{wave}-{i + 1:03d}" for i in range(n_per_wave)],
            "customer_id": codes,
            "wave": wave,
            "submitted": [(day + pd.Timedelta(hours=5 * i)).strftime("%Y-%m-%d %H:%M:%S") for i in range(n_per_wave)],
            "duration_s": rng.integers(180, 420, n_per_wave).astype(float),
        })
        part[items] = _answers(rng, n_per_wave, shift=0.2 * w)
        parts.append(part)
    pd.concat(parts, ignore_index=True).to_csv(folder / "customer_survey.csv", index=False, encoding="utf-8-sig")
    cb = user_codebook()
    cb = cb[cb["min"].notna()]  # the study codebook lists the scored items
    cb.to_csv(folder / "codebook.csv", index=False, encoding="utf-8-sig")
    return folder
