"""Domain layer: from a :class:`~fusion_study.Study` to the participation analyses.

* :func:`study_participation` — weekly participation rate and activity heat per
  branch, from the study's ``activities`` and ``members``
  (:func:`~fusion_study.participation.calendar.participation_by_week`).

The activity log is not a survey: screening (:func:`fusion_study.ingest.screen_study`)
leaves it unchanged.
"""

from __future__ import annotations

import pandas as pd

from fusion_study.data.checks import require_tables
from fusion_study.participation.calendar import participation_by_week

__all__ = ["study_participation"]


def study_participation(study, **kwargs) -> pd.DataFrame:
    """Weekly participation rate and heat per branch of the study's members.

    Keyword arguments (``start``, ``end``) go to
    :func:`~fusion_study.participation.calendar.participation_by_week`, whose
    columns are returned (``attrs["n_unattributed"]``: activities without a member).
    """
    require_tables(study, ["activities", "members"], what="study_participation")
    return participation_by_week(study.activities, study.members, **kwargs)
