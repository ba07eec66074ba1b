"""Domain layer: from a :class:`~fusion_study.Study` to the 急难愁盼 problem-mechanism analyses.

The generic modules (:mod:`.tickets`, :mod:`.survival`, :mod:`.resolution`) take
plain tables; the functions here take a study, use its **screened** customer
survey (:func:`fusion_study.ingest.screen_study`, a no-op when the study is
already screened) and the mechanism's launches from its ``interventions``:

* :func:`study_launches` — each branch's launch quarter of the mechanism;
* :func:`study_ticket_durations` — one survival record per ticket;
* :func:`study_launch_hazard_ratio` — the Cox hazard ratio of resolution after launch;
* :func:`study_next_wave_satisfaction` — the naive regression of next-wave satisfaction;
* :func:`study_resolution_effect` — the AIPW effect of a problem resolved in time.
"""

from __future__ import annotations

import pandas as pd

from fusion_study.data.checks import require_tables
from fusion_study.data.lazy import as_frame
from fusion_study.problems.tickets import (
    branch_launch_periods,
    launch_hazard_ratio,
    next_wave_satisfaction,
    ticket_durations,
)

__all__ = [
    "study_launches",
    "study_ticket_durations",
    "study_launch_hazard_ratio",
    "study_next_wave_satisfaction",
    "study_resolution_effect",
]

MECHANISM = "problem_mechanism"


def _screened(study):
    from fusion_study.ingest.screen import screen_study

    return screen_study(study)


def study_launches(study, *, intervention: str = MECHANISM) -> pd.Series | None:
    """Start quarter of ``intervention`` for every branch, or ``None`` when the study cannot tell.

    ``None`` when the study lacks ``units`` or ``interventions`` or no branch
    ever launched it; otherwise :func:`~fusion_study.problems.tickets.branch_launch_periods`
    (Series ``branch_id -> start period``, ``NaN`` where never launched).
    """
    if "interventions" not in study or "units" not in study:
        return None
    launches = branch_launch_periods(study.units, study.interventions, intervention)
    return None if launches.isna().all() else launches


def study_ticket_durations(study, *, launches: pd.Series | None = None, event: str = "resolved") -> pd.DataFrame:
    """:func:`~fusion_study.problems.tickets.ticket_durations` of the study's tickets.

    Open tickets are censored at ``study.meta["study_end"]`` when the study
    records one (else at the latest ticket date); ``launches`` defaults to
    :func:`study_launches`, which adds ``after_launch``.

    Returns
    -------
    DataFrame ``ticket_id, customer_id, branch_id, category, period, opened,
    time, event, status`` and, with launches, ``after_launch``.
    """
    require_tables(study, ["tickets"], what="study_ticket_durations")
    if launches is None:
        launches = study_launches(study)
    return ticket_durations(as_frame(study.tickets), study_end=study.meta.get("study_end"), event=event, launches=launches)


def study_launch_hazard_ratio(study, **kwargs) -> pd.DataFrame:
    """Cox hazard ratio of resolution after the mechanism's launch (:func:`~fusion_study.problems.tickets.launch_hazard_ratio`).

    Keyword arguments go to ``launch_hazard_ratio`` (``adjust_category``,
    ``cluster``, ``alpha``).

    Raises
    ------
    ValueError
        No launches of the mechanism in the study, or all tickets on one side of the launch.
    """
    d = study_ticket_durations(study)
    if "after_launch" not in d.columns:
        raise ValueError("study_launch_hazard_ratio: the study records no launch of the problem mechanism "
                         f"(intervention {MECHANISM!r} in the interventions table)")
    return launch_hazard_ratio(d, **kwargs)


def study_next_wave_satisfaction(study, **kwargs) -> pd.DataFrame:
    """:func:`~fusion_study.problems.tickets.next_wave_satisfaction` on the screened customer survey.

    Satisfaction is scored with the study's codebook; keyword arguments
    (``items``, ``alpha``) go to ``next_wave_satisfaction``.
    """
    require_tables(study, ["tickets", "customer_survey", "customers"], what="study_next_wave_satisfaction")
    study, _ = _screened(study)
    return next_wave_satisfaction(study.tickets, study.customer_survey, study.customers, codebook=study.codebook,
                                  **kwargs)


def study_resolution_effect(study, *, screen: bool = True, estimand: str = "ate", seed=None, **kwargs) -> pd.DataFrame:
    """:func:`~fusion_study.problems.resolution.resolution_effect` on a :class:`~fusion_study.Study`.

    Uses the screened customer survey (``screen=True``, default:
    :func:`fusion_study.ingest.screen_study`, a no-op when the study is already
    screened; its ``customer_survey`` entries join the returned ledger), and
    takes the mechanism launches from the ``interventions`` table
    (``problem_mechanism``) when present. Other keyword arguments go to
    :func:`~fusion_study.problems.resolution.resolution_effect`.

    Returns
    -------
    DataFrame
        As :func:`~fusion_study.problems.resolution.resolution_effect`;
        ``attrs["ledger"]`` holds the excluded retailer-quarters and the
        screened-out survey responses.
    """
    from fusion_study.ingest.screen import screening_ledger
    from fusion_study.problems.resolution import resolution_effect

    require_tables(study, ["tickets", "customer_survey", "customers"], what="study_resolution_effect")
    screen_ledger = None
    if screen:
        study, _ = _screened(study)
        screen_ledger = screening_ledger(study, tables=["customer_survey"])
    launches = kwargs.pop("launches", None)
    if launches is None and "interventions" in study and "units" in study:
        launches = branch_launch_periods(study.units, study.interventions, MECHANISM)
    out = resolution_effect(as_frame(study.tickets), study.customer_survey, study.customers, codebook=study.codebook,
                            launches=launches, estimand=estimand, seed=seed, **kwargs)
    if screen_ledger is not None:
        out.attrs["ledger"].extend(screen_ledger)
    return out
