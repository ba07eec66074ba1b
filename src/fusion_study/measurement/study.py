"""Domain layer: validity reports of a study's survey instruments from its codebook.

:func:`study_validity` and :func:`study_scores` use the **screened** survey
tables (:func:`fusion_study.ingest.screen_study`, a no-op when the study is
already screened), so the measurement results describe the responses every other
analysis uses. :func:`loading_recovery` removes the simulator's own list of
noise responses instead (an oracle check against the simulator's truth).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fusion_study.data import codebook as _codebook
from fusion_study.data.checks import check_alpha, check_choice, critical_value
from fusion_study.measurement.validity_tables import validity_report

__all__ = ["instrument_frame", "instruments_present", "study_validity", "study_scores", "loading_recovery", "INSTRUMENTS"]

_ID_COLUMNS = ("response_id", "customer_id", "staff_id", "unit_id", "wave")

INSTRUMENTS = {"customer_survey": "customer_survey", "staff_survey": "staff_survey"}


def _screened(study):
    from fusion_study.ingest.screen import screen_study

    return screen_study(study)[0]


def _scale_items(cb: pd.DataFrame) -> pd.DataFrame:
    """The codebook rows that are scale items: numbered answers (not text or id questions) with a scale."""
    from fusion_study.data.validation import item_types

    scale = cb["scale"].astype("string").str.strip() if "scale" in cb.columns else pd.Series(pd.NA, index=cb.index)
    keep = item_types(cb).eq("scale") & scale.notna() & scale.ne("")
    return cb[keep.to_numpy()]


def instruments_present(study) -> list[str]:
    """The survey instruments of ``study`` that have responses and codebook scale items, in standard order."""
    if getattr(study, "codebook", None) is None:
        return []
    out = []
    for inst, table in INSTRUMENTS.items():
        frame = study.tables.get(table) if hasattr(study, "tables") else None
        if frame is not None and len(frame) and not _scale_items(_codebook.items(study.codebook, inst)).empty:
            out.append(inst)
    return out


def instrument_frame(study, instrument: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The responses of one instrument and its codebook scale items (raises if either is missing).

    Codebook rows of text or id questions (see :func:`fusion_study.data.validation.item_types`)
    and rows without a scale are not measures and are left out.
    """
    check_choice("instrument", instrument, INSTRUMENTS)
    if getattr(study, "codebook", None) is None:
        raise ValueError("the study has no codebook; scales and reverse-coded items come from it")
    if INSTRUMENTS[instrument] not in study:
        raise ValueError(f"the study has no {INSTRUMENTS[instrument]} table")
    cb = _scale_items(_codebook.items(study.codebook, instrument))
    if cb.empty:
        raise ValueError(f"the codebook lists no scale items for instrument {instrument!r} "
                         "(rows with a scale and numbered answers)")
    return study.tables[INSTRUMENTS[instrument]], cb


def study_validity(study, *, instruments=None, missing: str = "listwise",
                   ordered: bool = False) -> dict[str, dict[str, pd.DataFrame]]:
    """Validity report (see :func:`validity_report`) for each survey instrument of a study.

    Scales and reverse-coded items come from the study's codebook: a scale of one item
    (总体满意度) is a single-item measure, a scale of two items gets the Spearman–Brown
    coefficient (see :func:`validity_report`). The responses are the screened ones
    (:func:`fusion_study.ingest.screen_study`). ``instruments`` defaults to every instrument
    the study has (responses and codebook scale items; :func:`instruments_present`).
    ``ordered=True`` fits the CFAs as ordinal (WLSMV on polychoric correlations, as
    lavaan's ``ordered=TRUE``).

    Returns
    -------
    ``{instrument: ValidityReport}`` (a dict ``{table name: DataFrame}`` each).
    """
    if instruments is None:
        instruments = instruments_present(study)
        if not instruments:
            what = "no codebook" if getattr(study, "codebook", None) is None else \
                f"no survey responses with codebook scale items ({', '.join(INSTRUMENTS.values())})"
            raise ValueError(f"the study has {what}; there is nothing to assess for reliability and validity")
    elif isinstance(instruments, str):
        instruments = [instruments]
    study = _screened(study)
    out = {}
    for inst in instruments:
        data, cb = instrument_frame(study, inst)
        out[inst] = validity_report(data, cb, missing=missing, ordered=ordered)
    return out


def study_scores(study, instrument: str = "customer_survey", *, method: str = "mean",
                 min_items: int | float | None = None) -> pd.DataFrame:
    """Scale scores of one instrument, with the response identifiers, for the index and effects modules.

    Reverse-coded items are reversed from the codebook; see :func:`score_scales`. The
    responses are the screened ones (:func:`fusion_study.ingest.screen_study`).

    Returns
    -------
    DataFrame: the identifier columns present (``response_id, customer_id`` or
    ``staff_id, unit_id``, ``wave``) and one column per scale.
    """
    from fusion_study.measurement.scores import score_scales

    data, cb = instrument_frame(_screened(study), instrument)
    scores = score_scales(data, cb, method=method, min_items=min_items)
    ids = data[[c for c in _ID_COLUMNS if c in data.columns]]
    return pd.concat([ids, scores], axis=1).reset_index(drop=True)


def loading_recovery(study, truth, *, instrument: str = "customer_survey", estimator: str = "WLSMV",
                     alpha: float = 0.05) -> pd.DataFrame:
    """Do ordinal CFA confidence intervals cover a simulated study's true standardized loadings?

    Fits the instrument's scales by WLSMV (:class:`~fusion_study.measurement.CFA` with
    ``ordered=True, std_lv=True``, so the loadings are standardized and have standard errors) to the
    genuine responses (``truth.screening`` removed) of the pre-programme waves (before
    ``truth.params["min_start_wave"]``), the clean case the simulator's ``Truth.latent_variance``
    describes. The simulator draws ``y* = l C + sqrt(1 - l²) e``, so the true standardized loading
    of ``y*`` on ``C`` is ``l sd(C) / sqrt(l² var(C) + 1 - l²)``.

    ``estimator="ML"`` fits the same data by normal-theory ML on the category codes, for
    comparison: its ``estimate`` is the std.all loading of the observed answer (attenuated by the
    coarse categories), and ``se``/``ci_*``/``covered`` are missing. ``alpha`` sets the Wald
    intervals ``estimate ± z_{1-alpha/2} se`` (0.05: 95%).

    Returns
    -------
    DataFrame ``item, scale, loading`` (the simulator's ``l``), ``true_std``, ``estimate``, ``se``,
    ``ci_lower``, ``ci_upper``, ``covered`` (the interval contains ``true_std``), ``n``.
    """
    from fusion_study.data.periods import period_number
    from fusion_study.measurement.sem.model import CFA

    check_choice("estimator", estimator, ("WLSMV", "ML"))
    z = critical_value(check_alpha(alpha))
    data, cb = instrument_frame(study, instrument)
    screened = set(truth.screening.loc[truth.screening["table"] == INSTRUMENTS[instrument], "response_id"])
    data = data[~data["response_id"].isin(screened)]
    start = truth.params.get("start_period") or study.tables[INSTRUMENTS[instrument]]["wave"].min()
    wave = period_number(data["wave"].astype(str)) - period_number(str(start)) + 1
    data = data[(wave < truth.params["min_start_wave"]).to_numpy()]
    ordinal = estimator == "WLSMV"
    fit = CFA(cb, ordered=True if ordinal else None, std_lv=True).fit(data)
    lo = fit.loadings().rename(columns={"factor": "scale"})
    if not ordinal:
        lo["estimate"], lo["se"] = lo["std_all"], np.nan
    true = truth.loadings.set_index("item_id")
    var = truth.latent_variance.query("instrument == @instrument").set_index("construct")["variance"]
    lam = true.loc[lo["item"], "loading"].to_numpy()
    v = var.reindex(lo["scale"]).to_numpy()
    out = pd.DataFrame({"item": lo["item"], "scale": lo["scale"], "loading": lam,
                        "true_std": lam * np.sqrt(v) / np.sqrt(lam**2 * v + 1 - lam**2),
                        "estimate": lo["estimate"], "se": lo["se"]})
    out["ci_lower"] = out["estimate"] - z * out["se"]
    out["ci_upper"] = out["estimate"] + z * out["se"]
    covered = (out["ci_lower"] <= out["true_std"]) & (out["true_std"] <= out["ci_upper"])
    out["covered"] = covered.astype("boolean").where(out["se"].notna())
    out["n"] = fit.n_
    return out.reset_index(drop=True)
