"""Report section "Study overview" (研究概况): sample, response rates, rollout calendar, screening ledger.

The frames are plain functions (tidy DataFrames) so notebooks can use them too.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fusion_study.data.periods import period_number
from fusion_study.reporting.labels import label, vocabulary_labels
from fusion_study.reporting.sections import Figure, Table, Text, register_section

__all__ = ["sample_profile", "response_rates", "rollout_calendar", "plot_rollout_calendar", "plot_responses"]


def _unit_names(study) -> dict[str, str]:
    if "units" not in study:
        return {}
    u = study.units
    return dict(zip(u["unit_id"].astype(str), u["name"].astype(str)))


def _survey_with_customers(study) -> pd.DataFrame:
    s = study.customer_survey[["response_id", "customer_id", "wave"]].copy()
    if "customers" in study:
        c = study.customers[["customer_id", "county_id", "segment"]]
        s = s.merge(c, on="customer_id", how="left")
    else:
        s["county_id"] = pd.NA
        s["segment"] = pd.NA
    return s


def sample_profile(study, *, lang: str = "zh") -> pd.DataFrame:
    """Survey responses by county, segment and wave.

    Returns columns ``variable, category, n, share`` (share of all responses, %).
    """
    s = _survey_with_customers(study)
    names = _unit_names(study)
    total = len(s)
    rows = []
    for var, col in (("county", "county_id"), ("segment", "segment"), ("wave", "wave")):
        counts = s[col].astype("string").fillna("?").value_counts().sort_index()
        for value, n in counts.items():
            if var == "county":
                cat = names.get(value, value)
            elif var == "segment":
                cat = vocabulary_labels([value], "segment", lang).iloc[0]
            else:
                cat = value
            rows.append({"variable": label(var, lang), "category": cat, "n": int(n),
                         "share": 100.0 * n / total if total else np.nan})
    return pd.DataFrame(rows, columns=["variable", "category", "n", "share"])


def response_rates(study) -> pd.DataFrame:
    """Responses per wave against the retailers on file.

    Returns columns ``wave, retailers, responses, response_rate`` (%).
    """
    retailers = len(study.customers) if "customers" in study else np.nan
    s = study.customer_survey
    per = s.groupby(s["wave"].astype(str), sort=True).size()
    out = pd.DataFrame({"wave": per.index, "retailers": retailers, "responses": per.to_numpy().astype(int)})
    out["retailers"] = out["retailers"].astype("Int64") if retailers == retailers else out["retailers"]
    out["response_rate"] = 100.0 * out["responses"] / retailers
    return out.reset_index(drop=True)


def rollout_calendar(study, *, waves=None) -> pd.DataFrame:
    """One row per (unit, intervention, wave): whether the intervention had started.

    Returns columns ``unit_id, intervention, start_period, wave, active``.
    """
    iv = study.interventions.copy()
    if waves is None:
        waves = set(iv["start_period"].dropna().astype(str))
        if "customer_survey" in study:
            waves |= set(study.customer_survey["wave"].dropna().astype(str))
        waves = sorted(waves, key=period_number)
    rows = []
    for r in iv.itertuples(index=False):
        start = period_number(str(r.start_period))
        end = getattr(r, "end_period", None)
        end_n = period_number(str(end)) if end is not None and not pd.isna(end) else None
        for w in waves:
            n = period_number(w)
            rows.append({"unit_id": str(r.unit_id), "intervention": str(r.intervention),
                         "start_period": str(r.start_period), "wave": w,
                         "active": n >= start and (end_n is None or n <= end_n)})
    return pd.DataFrame(rows, columns=["unit_id", "intervention", "start_period", "wave", "active"])


def plot_rollout_calendar(calendar: pd.DataFrame, *, unit_names=None, lang: str = "zh", ax=None):
    """Units × waves, each cell coloured by the start quarter of the unit's first intervention.

    A cell is filled once any intervention is running in that unit; white cells
    are waves before the start. Units are sorted by start (staggered adoption).
    """
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap

    waves = list(dict.fromkeys(calendar["wave"]))
    active = calendar.groupby(["unit_id", "wave"])["active"].any().unstack("wave").reindex(columns=waves)
    start = calendar.groupby("unit_id")["start_period"].min()
    order = sorted(active.index, key=lambda u: (period_number(start[u]), u))
    active = active.loc[order].fillna(False).astype(bool)
    cohorts = sorted(start.unique(), key=period_number)
    code = {c: i + 1 for i, c in enumerate(cohorts)}
    grid = np.where(active.to_numpy(), np.array([code[start[u]] for u in order])[:, None], 0)
    if ax is None:
        _, ax = plt.subplots(figsize=(max(5.0, 0.42 * len(waves) + 2.5), max(2.5, 0.24 * len(order) + 1.3)))
    import seaborn as sns

    colours = sns.color_palette("viridis", len(cohorts))
    cmap = ListedColormap([(1, 1, 1), *colours])
    ax.pcolormesh(grid, cmap=cmap, vmin=-0.5, vmax=len(cohorts) + 0.5, edgecolors="#dddddd", linewidth=0.5)
    ax.set_xticks(np.arange(len(waves)) + 0.5)
    ax.set_xticklabels(waves, rotation=60, ha="right")
    names = unit_names or {}
    ax.set_yticks(np.arange(len(order)) + 0.5)
    ax.set_yticklabels([names.get(u, u) for u in order])
    ax.invert_yaxis()
    ax.set_xlabel(label("wave", lang))
    ax.set_ylabel(label("branch", lang))
    ax.grid(False)
    from matplotlib.patches import Patch

    handles = [Patch(facecolor=colours[i], label=c) for i, c in enumerate(cohorts)]
    ax.legend(handles=handles, title=label("start_wave", lang), loc="upper left", bbox_to_anchor=(1.01, 1))
    return ax


def plot_responses(study, *, lang: str = "zh", ax=None):
    """Stacked bars: survey responses per wave by retailer segment."""
    import matplotlib.pyplot as plt

    s = _survey_with_customers(study)
    tab = s.groupby([s["wave"].astype(str), s["segment"].astype("string").fillna("?")]).size().unstack(fill_value=0)
    if ax is None:
        _, ax = plt.subplots(figsize=(max(5.0, 0.45 * len(tab) + 2.5), 3.6))
    bottom = np.zeros(len(tab))
    for seg in tab.columns:
        ax.bar(np.arange(len(tab)), tab[seg].to_numpy(), bottom=bottom,
               label=vocabulary_labels([seg], "segment", lang).iloc[0])
        bottom += tab[seg].to_numpy()
    ax.set_xticks(np.arange(len(tab)))
    ax.set_xticklabels(tab.index, rotation=60, ha="right")
    ax.set_xlabel(label("wave", lang))
    ax.set_ylabel(label("responses", lang))
    ax.legend(title=label("segment", lang), loc="upper left", bbox_to_anchor=(1.01, 1))
    return ax


def _t(lang: str, zh: str, en: str) -> str:
    return zh if lang == "zh" else en


def _screened_out(study, ctx) -> dict[str, int]:
    """Survey responses screening excluded, per survey table (from ``ctx.extra["screening_ledger"]``)."""
    ledger = ctx.extra.get("screening_ledger")
    if ledger is None:
        from fusion_study.ingest.screen import screening_ledger

        ledger = screening_ledger(study)
    counts = {t: ledger.n_excluded(t) for t in sorted(ledger.rows_read)}
    return {t: n for t, n in counts.items() if n}


@register_section("overview", order=10, title_zh="研究概况", title_en="Study overview")
def build(study, ctx):
    lang = ctx.lang
    n_tables = len(study.tables)
    n_resp = len(study.customer_survey) if "customer_survey" in study else 0
    n_cust = len(study.customers) if "customers" in study else 0
    from fusion_study.data.schema import TABLES

    names_zh = "、".join(TABLES[t].text_zh if t in TABLES else t for t in study.tables)
    names_en = ", ".join(TABLES[t].text_en if t in TABLES else t for t in study.tables)
    yield Text(
        zh=f"本研究共有{n_tables}张数据表（{names_zh}）"
        + (f"，零售客户{n_cust}户" if n_cust else "")
        + (f"，客户满意度调查有效答卷{n_resp}份" if n_resp else "") + "。"
        + "样本构成、各波次应答率、干预措施实施进度和数据筛查记录见下。",
        en=f"The study has {n_tables} tables ({names_en})"
        + (f", {n_cust} retailers" if n_cust else "") + (f", {n_resp} retailer survey responses" if n_resp else "")
        + ". Below: the sample profile, response rates by wave, the rollout calendar and the screening ledger.",
    )
    if n_resp and "customers" in study:
        from fusion_study.survey.report import weighting_statement

        yield weighting_statement(study, ctx.weights)
    screened_out = _screened_out(study, ctx)
    if screened_out:
        yield Text(
            zh="问卷筛查（速答、直线作答、重复提交、超出取值范围等）剔除了"
            + "、".join(f"{TABLES[t].text_zh}答卷{n}份" for t, n in screened_out.items())
            + "；本报告各项分析均基于筛查后的同一批答卷，剔除原因见数据筛查记录。",
            en="Survey screening (speeders, straight-liners, duplicate submissions, out-of-range answers) excluded "
            + ", ".join(f"{n} {TABLES[t].text_en} responses" for t, n in screened_out.items())
            + "; every analysis in this report uses the same screened responses (reasons in the screening ledger).",
        )
    if "customer_survey" in study and n_resp:
        yield Table(
            "overview_sample", sample_profile(study, lang=lang),
            caption_zh="样本构成（零售客户满意度调查）", caption_en="Sample profile (retailer survey)",
            notes_zh="占比为占全部答卷的百分比。", notes_en="Share: percent of all responses.",
            n_column="n", decimals={"share": 1}, group_column="variable",
        )
        ax = plot_responses(study, lang=lang)
        yield Figure("overview_responses", ax.figure,
                     caption_zh="各波次答卷数（按客户类型）", caption_en="Responses per wave by segment")
        yield Table(
            "overview_response_rates", response_rates(study).rename(columns={"response_rate": "response_rate_pct"}),
            caption_zh="各波次应答率", caption_en="Response rate by wave",
            notes_zh="应答率 = 有效答卷数 / 在册零售客户数（%）。",
            notes_en="Response rate = responses / retailers on file (%).",
            n_column="responses", decimals={"response_rate_pct": 1},
        )
        if "customers" in study:
            from fusion_study.survey.report import descriptives_blocks

            yield from descriptives_blocks(study, ctx.weights, lang)
    else:
        yield Text(zh="本研究没有零售客户满意度调查数据。", en="This study has no retailer survey.")
    if "interventions" in study and len(study.interventions):
        cal = rollout_calendar(study)
        ax = plot_rollout_calendar(cal, unit_names=_unit_names(study), lang=lang)
        yield Figure("overview_rollout", ax.figure,
                     caption_zh="干预措施实施日历（单位×波次，颜色表示首次启动季度）",
                     caption_en="Rollout calendar (units × waves, coloured by first start quarter)")
        iv = study.interventions
        counts = (
            iv.assign(intervention=vocabulary_labels(iv["intervention"], "intervention", lang).to_numpy())
            .groupby(["intervention", iv["start_period"].astype(str).rename("start_wave")])
            .size().rename("n_units").reset_index()
        )
        yield Table("overview_rollout_counts", counts,
                    caption_zh="各措施按启动季度的实施单位数",
                    caption_en="Units starting each intervention, by quarter",
                    group_column="intervention")
    else:
        yield Text(zh="本研究没有干预措施表。", en="This study has no interventions table.")
    ledger = study.ledger.summary()
    if len(ledger):
        ledger = ledger.assign(table=[label(t, lang) for t in ledger["table"]],
                               rule=[label(r, lang) for r in ledger["rule"]],
                               action=[label(a, lang) for a in ledger["action"]])
        yield Table("overview_ledger", ledger,
                    caption_zh="数据筛查记录（剔除与标记的行数）",
                    caption_en="Screening ledger (rows excluded or flagged)",
                    group_column="table")
    else:
        yield Text(zh="筛查记录为空：没有剔除或标记的数据行。", en="The screening ledger is empty: no rows were excluded or flagged.")
