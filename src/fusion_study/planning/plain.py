"""Plain-language sentences about a rollout plan, its separability, power and survey precision (zh / en)."""

from __future__ import annotations

import math

import pandas as pd

from fusion_study.data.checks import check_lang
from fusion_study.reporting.labels import label

__all__ = ["describe_plan"]

#: The power a plan is usually asked to reach.
TARGET_POWER = 0.8

#: Below this share of usable exposed branch-waves the summary explains why and what to change.
SHARE_USED_NOTE = 0.9


def _names(names, lang: str) -> str:
    return ("、" if lang == "zh" else ", ").join(label(k, lang) for k in names)


def _design_sentence(plan: pd.DataFrame, waves: int, max_new_per_wave, lang: str) -> str:
    n_b = plan["unit_id"].nunique()
    starts = plan.groupby("unit_id", sort=False)["start_wave"].apply(lambda s: s.notna().any())
    n_hold = int((~starts).sum())
    names = list(pd.unique(plan["intervention"]))
    per_wave = plan.groupby("start_wave").size()
    busiest = int(per_wave.max()) if len(per_wave) else 0
    if lang == "zh":
        cap = f"每波次最多新上线{max_new_per_wave}项" if max_new_per_wave else "每波次新上线数不设上限"
        hold = f"另有{n_hold}个支部在计划期内暂不启动，作为对照；" if n_hold else ""
        return (f"推广计划：{n_b}个支部、{len(names)}项措施（{_names(names, lang)}），共{waves}个波次"
                f"（波次0为基线，所有措施尚未上线）；{hold}{cap}，最忙的一个波次上线{busiest}项。")
    cap = f"at most {max_new_per_wave} new starts per wave" if max_new_per_wave else "no limit on new starts per wave"
    hold = f"{n_hold} of the branches start nothing during the plan (a wait-list comparison group); " if n_hold else ""
    return (f"Rollout plan: {n_b} branches, {len(names)} intervention(s) ({_names(names, lang)}), {waves} waves "
            f"(wave 0 is the baseline, before anything starts); {hold}{cap}, the busiest wave has {busiest} starts.")


def _separability_sentence(sep: pd.DataFrame, lang: str) -> str:
    bad = sep.loc[~sep["separable"], "intervention"].tolist()
    vif = float(sep["vif"].max()) if len(sep) else math.nan
    if not bad:
        if lang == "zh":
            return (f"可分离性：每项措施都在一些支部-波次单独上线，数据能把各项措施的效果分开"
                    f"（最大方差膨胀因子{vif:.2f}，越接近1越好）。")
        return (f"Separability: every intervention switches on alone in some branch-waves, so the data can tell "
                f"their effects apart (largest variance inflation {vif:.2f}; closer to 1 is better).")
    if lang == "zh":
        return f"可分离性：{_names(bad, lang)}的上线时间与其他措施重合，数据无法把它们的效果分开，请调整计划。"
    return (f"Separability: {_names(bad, lang)} start(s) at the same time as other interventions, so the data "
            f"cannot tell their effects apart; change the plan.")


def _undercovers(row, alpha: float) -> bool:
    """Coverage below ``1 - alpha`` by more than 3 Monte Carlo SEs (+0.02): the intervals are too narrow."""
    n, level = row["n_estimated"], 1 - alpha
    return bool(n >= 2 and row["coverage"] < level - 3 * math.sqrt(level * alpha / n) - 0.02)


def _power_sentence(row, alpha: float, lang: str) -> str:
    name = label(row["intervention"], lang)
    if row["n_estimated"] and _undercovers(row, alpha):
        note_zh = (f"注意：置信区间只覆盖了{100 * row['coverage']:.0f}%的真实效应（应为{100 * (1 - alpha):.0f}%），"
                   "支部或可用的对照太少，这样的区间和效能都不可信。")
        note_en = (f" Caution: the CIs cover the truth only {100 * row['coverage']:.0f}% of the time (should be "
                   f"{100 * (1 - alpha):.0f}%): too few branches or comparisons, so these intervals and this power "
                   "cannot be trusted.")
    else:
        note_zh = note_en = ""
    pct, mc = 100 * row["power"], 200 * row["mcse_power"]
    level = 100 * (1 - alpha)
    if lang == "zh":
        s = (f"{name}：若真实效应为{row['effect_size']:.2f}个标准差，{int(row['reps'])}次模拟研究中"
             f"{pct:.0f}%（±{mc:.0f}%）的{level:.0f}%置信区间不含0（检验效能），区间平均宽度"
             f"{row['mean_ci_width']:.2f}个标准差、覆盖率{100 * row['coverage']:.0f}%。")
        if row["power"] < TARGET_POWER:
            s += "低于常用的80%标准：可增加每支部应答数、支部数或波次，或只关注更大的效应。"
        if row["share_exposed_used"] < SHARE_USED_NOTE:
            s += (f"已上线的支部-波次中只有{100 * row['share_exposed_used']:.0f}%可用于估计：后几个波次所有支部都已有措施"
                  "上线，没有可比的对照；留出几个支部暂不启动（--hold-out）可提高效能。")
        if row["n_refused"] + row["n_failed"] > 0:
            s += f"其中{int(row['n_refused'] + row['n_failed'])}次未能估计。"
        return s + note_zh
    s = (f"{name}: with a true effect of {row['effect_size']:.2f} SD, {pct:.0f}% (±{mc:.0f}%) of "
         f"{int(row['reps'])} simulated studies give a {level:.0f}% CI that excludes 0 (the power); the mean CI "
         f"width is {row['mean_ci_width']:.2f} SD and {100 * row['coverage']:.0f}% of the CIs cover the truth.")
    if row["power"] < TARGET_POWER:
        s += (" Below the usual 80%: add responses per branch, branches or waves, or aim at larger effects "
              "only.")
    if row["share_exposed_used"] < SHARE_USED_NOTE:
        s += (f" Only {100 * row['share_exposed_used']:.0f}% of the exposed branch-waves can be used: in the last "
              "waves every branch already runs something, so there is no comparison; holding a few branches back "
              "until after the plan (--hold-out) raises the power.")
    if row["n_refused"] + row["n_failed"] > 0:
        s += f" {int(row['n_refused'] + row['n_failed'])} replication(s) could not be estimated."
    return s + note_en


def _survey_sentence(survey: pd.DataFrame, alpha: float, lang: str) -> str:
    first = survey.iloc[0]
    m = int(first["responses_per_branch"])
    branch = survey[survey["target"] == "branch_mean"]
    city = survey[survey["target"] == "city_mean"]
    level = 100 * (1 - alpha)
    if lang == "zh":
        needs = "；".join(f"单个支部±{h:.2f}需{int(n)}份" for h, n in zip(branch["half_width"], branch["responses_needed"]))
        return (f"调查样本：每支部每波次{m}份应答时（组内相关{first['icc']:.2f}，设计效应{first['design_effect']:.2f}），"
                f"单个支部均值的{level:.0f}%区间半宽约±{branch['planned_half_width'].iloc[0]:.2f}个标准差，"
                f"全市均值约±{city['planned_half_width'].iloc[0]:.2f}。每支部每波次所需应答：{needs}。")
    needs = "; ".join(f"±{h:.2f} for one branch needs {int(n)}"
                      for h, n in zip(branch["half_width"], branch["responses_needed"]))
    return (f"Survey: with {m} responses per branch and wave (ICC {first['icc']:.2f}, design effect "
            f"{first['design_effect']:.2f}) the {level:.0f}% half-width of one branch's mean is about "
            f"±{branch['planned_half_width'].iloc[0]:.2f} SD and of the city mean ±{city['planned_half_width'].iloc[0]:.2f}. "
            f"Responses per branch and wave needed: {needs}.")


def describe_plan(plan: pd.DataFrame, separability: pd.DataFrame, power: pd.DataFrame | None = None,
                  survey: pd.DataFrame | None = None, *, waves: int | None = None, max_new_per_wave=None,
                  alpha: float = 0.05, lang: str = "zh") -> list[str]:
    """Plain-language paragraphs about a plan: its design, separability, power and survey precision.

    Parameters
    ----------
    plan, separability : DataFrame
        From :func:`~fusion_study.planning.rollout.plan_rollout` and
        :func:`~fusion_study.planning.rollout.separability`.
    power : DataFrame, optional
        From :func:`~fusion_study.planning.power.rollout_power`.
    survey : DataFrame, optional
        From :func:`~fusion_study.planning.samples.survey_precision`.
    waves : int, optional
        Default ``plan.attrs["waves"]``, else the latest start wave + 1.
    max_new_per_wave : int, optional
        The cap the plan was made with (``None``: none).
    alpha : float
    lang : {"zh", "en"}

    Returns
    -------
    list of str
        One sentence per topic, then one per intervention's power.
    """
    check_lang(lang)
    if waves is None:
        waves = plan.attrs.get("waves", int(pd.to_numeric(plan["start_wave"]).max()) + 1)
    out = [_design_sentence(plan, int(waves), max_new_per_wave, lang), _separability_sentence(separability, lang)]
    if power is not None:
        out += [_power_sentence(row, alpha, lang) for _, row in power.iterrows()]
    if survey is not None and len(survey):
        out.append(_survey_sentence(survey, alpha, lang))
    return out
