"""Domain layer: from a :class:`~fusion_study.Study` to the member analyses.

The generic modules take plain tables (:mod:`.profiles` the ``member_points``
table, :mod:`.agreement` and :mod:`.leniency` the ``evaluations``,
:mod:`.fairness` profiles and tables); the functions here take a study. The
customer survey, where used, is the **screened** one
(:func:`fusion_study.ingest.screen_study`, a no-op when the study is already
screened).

* :func:`study_member_profiles` — the points portrait of every member and period;
* :func:`study_four_strong` — the branch portrait and the four-strong flag;
* :func:`study_rater_agreement`, :func:`study_rater_leniency` — the 360 evaluations;
* :func:`study_points_fairness` — do points track tenure or position beyond the 360 score;
* :func:`study_points_satisfaction` — do a branch's points predict its retailers' satisfaction.
"""

from __future__ import annotations

import pandas as pd

from fusion_study.data.checks import require_tables
from fusion_study.data.lazy import as_frame
from fusion_study.members.agreement import rater_agreement
from fusion_study.members.fairness import points_fairness, points_predict_satisfaction
from fusion_study.members.leniency import RaterLeniency, adjusted_scores
from fusion_study.members.profiles import branch_four_strong, member_profiles

__all__ = [
    "study_member_profiles",
    "study_four_strong",
    "study_rater_agreement",
    "study_rater_leniency",
    "study_points_fairness",
    "study_points_satisfaction",
]


def study_member_profiles(study, *, n_boot: int = 200, seed=None, **kwargs) -> pd.DataFrame:
    """:func:`~fusion_study.members.profiles.member_profiles` of the study's ``member_points``.

    ``n_boot`` bootstrap replicates with randomness ``seed``; other keyword
    arguments (``period``, ``alpha``) go to ``member_profiles``, whose columns
    are returned (one row per member and period).
    """
    require_tables(study, ["member_points"], what="study_member_profiles")
    return member_profiles(as_frame(study.member_points), n_boot=n_boot, seed=seed, **kwargs)


def _profiles(study, profiles, seed):
    return study_member_profiles(study, seed=seed) if profiles is None else profiles


def study_four_strong(study, *, profiles: pd.DataFrame | None = None, seed=None, **kwargs) -> pd.DataFrame:
    """Branch points portrait and four-strong flag (:func:`~fusion_study.members.profiles.branch_four_strong`).

    ``profiles`` defaults to :func:`study_member_profiles` (``seed``); keyword
    arguments (``threshold``, ``min_members``) go to ``branch_four_strong``.
    """
    require_tables(study, ["member_points", "members"], what="study_four_strong")
    return branch_four_strong(_profiles(study, profiles, seed), study.members, **kwargs)


def study_rater_agreement(study, **kwargs) -> pd.DataFrame:
    """:func:`~fusion_study.members.agreement.rater_agreement` of the study's ``evaluations`` (ICC and rwg)."""
    require_tables(study, ["evaluations"], what="study_rater_agreement")
    return rater_agreement(as_frame(study.evaluations), **kwargs)


def study_rater_leniency(study, **kwargs) -> RaterLeniency:
    """:class:`~fusion_study.members.leniency.RaterLeniency` fitted to the study's ``evaluations``.

    Keyword arguments (``method``, ``alpha``) go to ``RaterLeniency``; the
    table is ``.to_frame()`` of the fitted model.
    """
    require_tables(study, ["evaluations"], what="study_rater_leniency")
    return RaterLeniency(**kwargs).fit(as_frame(study.evaluations))


def study_points_fairness(study, *, profiles: pd.DataFrame | None = None, performance=True, seed=None,
                          **kwargs) -> pd.DataFrame:
    """Do points track tenure or position beyond performance? (:func:`~fusion_study.members.fairness.points_fairness`)

    With ``performance=True`` (default) and an ``evaluations`` table, each
    member's mean leniency-adjusted 360 score
    (:func:`~fusion_study.members.leniency.adjusted_scores`) enters as the
    performance control; ``False`` leaves it out, and a Series indexed by
    ``member_id`` is used as given. ``profiles`` defaults to :func:`study_member_profiles`
    (``seed``); keyword arguments (``reference_year``, ``alpha``) go to
    ``points_fairness``, whose table is returned.
    """
    require_tables(study, ["member_points", "members"], what="study_points_fairness")
    perf = performance if isinstance(performance, pd.Series) else None
    if performance is True and "evaluations" in study:
        perf = adjusted_scores(as_frame(study.evaluations)).groupby("member_id")["adjusted_score"].mean()
    return points_fairness(_profiles(study, profiles, seed), study.members, performance=perf, **kwargs)


def study_points_satisfaction(study, *, profiles: pd.DataFrame | None = None, seed=None, **kwargs) -> pd.DataFrame:
    """Do a branch's member points predict its retailers' satisfaction? On the screened customer survey.

    :func:`~fusion_study.members.fairness.points_predict_satisfaction` with the
    study's ``members``, screened ``customer_survey``, ``customers`` and
    codebook; ``profiles`` defaults to :func:`study_member_profiles` (``seed``);
    keyword arguments (``items``, ``alpha``) go to ``points_predict_satisfaction``.
    """
    from fusion_study.ingest.screen import screen_study

    require_tables(study, ["member_points", "members", "customer_survey", "customers"],
                   what="study_points_satisfaction")
    study, _ = screen_study(study)
    return points_predict_satisfaction(_profiles(study, profiles, seed), study.members, study.customer_survey,
                                       study.customers, codebook=study.codebook, **kwargs)
